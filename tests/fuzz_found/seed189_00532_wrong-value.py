# s2sgrad fuzz: wrong value (seed 189, program 532); check again with python tools/fuzz.py --replay THIS_FILE
# f = 53.4009139280091, value_and_grad gave np.float64(3.0363161866584023)
# n = 0
# args = {"x0": [-0.2694953327087355, 0.493795406010467, -0.5681232302286057], "x1": [0.9907593227597584, 0.6985447606287754, 0.346673003152389], "x2": [-0.8115979070435044, 0.9770753309854245, -0.8852814125725839]}
import math

import numpy as np

K0 = np.array([-0.5, 0.5, -1.2])

def h0(a0, a1):
    ra1 = 0.5 * float(np.sum(a0[a0 > 1.0]))
    rb2 = np.sin((1.5 / (1.5 + (np.max(K0) + np.log(np.sum(np.exp(K0 - np.max(K0))))) ** 2)))
    rc3 = 0.5 * pow(np.sum(a0), 2)
    k4 = 0
    while k4 < 3:
        k4 = k4 + 1
        if 0.0 < (np.max(K0) + np.log(np.sum(np.exp(K0 - np.max(K0))))) <= 1.0:
            ra1, rb2, rc3 = rb2, rc3, ra1
        if a0[-1] > -0.5:
            rb2 = 0.5 * np.exp2(0.5 * np.tanh(2.0 * k4))
            continue
    return np.sin(pow(1.2, (-np.sum(a0))))


def f(x0, x1, x2, n):
    x1 += 0.5 * np.tanh(np.exp(0.5 * np.tanh((np.exp(x1 - np.max(x1)) / np.sum(np.exp(x1 - np.max(x1))) * np.max(x1)))))
    for e6 in x0:
        if np.sum(K0) > 1.5:
            x1 = 0.5 * (x2 / (1.5 + K0 ** 2))
            break
        vel8 = 0.0 * x0
        pos9 = np.sin((vel8).astype(x0.dtype))
        k10 = 0
        while k10 < 3:
            k10 = k10 + 1
            np.add.at(x2, np.array([0, 1, 0]), 0.5 * np.tanh((np.max(K0) + np.log(np.sum(np.exp(K0 - np.max(K0)))))))
            L11 = [(x2 * np.sum(np.sin(np.stack([(x0 * np.sum(np.array([(K0 / (1.5 + K0 ** 2)) for c15 in range(1, 3)]))) for c13 in range(1, 3) if c13 % 2 == 0])))) * 1.0]
            k16 = 0
            while k16 < n and np.sum(x2) > 0.2:
                k16 = k16 + 1
                pass
                L11.append(np.tanh((-(vel8 + pos9)) + 0.5 * L11[-1]))
                if (round(e6) + e6) > -1.0:
                    continue
            s17 = 0.0
            for v18 in L11:
                s17 = 0.5 * s17 + np.sum(np.sin(v18))
            if (np.sum(K0) > -1.0 or s17 > 0.5):
                vel8 = 0.9 * vel8 + (pos9 - (K0 / (1.5 + x0 ** 2)))
                pos9 = pos9 - 0.1 * vel8
        s19 = np.tanh((np.tanh(h0(x1, np.sum(x0))) ** 2 if e6 < 0.0 else e6))
    y20 = np.zeros_like(x0)
    for i21 in range(3):
        pass
        for j22 in range(n):
            y20[(i21 + 1) % 3] *= np.sin(h0(K0, np.sum(y20)))
        if not np.sum(x0) < 1.0:
            x1 = np.tanh((x0 if not np.sum(K0) < 0.2 else K0))
            continue
    return np.sum(x2 * x2) + np.sum(x0 * x0)
