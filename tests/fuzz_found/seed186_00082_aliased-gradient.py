# s2sgrad fuzz: aliased gradient (seed 186, program 82); check again with python tools/fuzz.py --replay THIS_FILE
# a gradient shares memory with an argument or another
# n = 2
# args = {"x0": [0.7053878191939902, -0.07178274935070927, 0.9464753218619106], "x1": [0.32852806324584805, 0.8404624826449332, 0.6610411587627643]}
import math

import numpy as np

K0 = np.array([-0.8, 0.7, 0.3])

def h0(a0):
    a9 = a0 + np.zeros((3,))
    y1 = np.zeros((3,))
    for i2 in range(3):
        pass
        y1 = np.add(np.sin(y1), y1, out=y1)
    return np.tanh(np.sum(np.array([c3 for c3 in (a9,)]))), np.sin((-K0)), 2


def f(x0, x1, n):
    x0 *= 0.5 * np.tanh((-K0))
    x0 = +x1
    y4 = np.zeros_like(x0)
    for i5 in range(n - 1):
        y6 = np.zeros((3,))
        for i7 in range(n):
            for j8 in range(n):
                s9 = np.tanh(np.median(K0))
                y6[-1] = np.tanh((np.max(y4) + np.log(np.sum(np.exp(y4 - np.max(y4))))))
                np.tanh(y6, out=y6)
        y11 = np.zeros((3,))
        for i12 in range(len(x1)):
            pass
            y11 = np.tanh(y11, out=y11)
        for i13 in reversed(range(1, 3)):
            v14 = np.sin(float(x0[0]))
            v15 = np.tanh((y4[::-1] * 0.5))
            if (np.sum(K0) > -0.5 and v14 < -1.0):
                break
        y4[-1] += np.sin(np.median(K0))
    return np.sum(0.7 * y4)
