# s2sgrad fuzz: wrong value (seed 189, program 426); check again with python tools/fuzz.py --replay THIS_FILE
# f = 2.1163646442212682, value_and_grad gave np.float64(3.108606249499223)
# n = 0
# args = {"x0": [0.48384670208572755, 0.7515225633872651, 0.7277717570413111], "x1": [0.6683612658082423, -0.7745187993627443, 0.7462445208555599], "x2": [0.242569183235529, -0.6598441712386596, 0.09513191532613186]}
import math

import numpy as np


import s2sgrad


@s2sgrad.custom_vjp
def soft_abs(x):
    return np.sqrt(x * x + 0.01)


@soft_abs.defvjp
def _(g, ans, x):
    return (g * x / ans,)


@s2sgrad.custom_vjp
def smooth_max(a, b):
    return 0.5 * (a + b + np.sqrt((a - b) ** 2 + 0.01))


@smooth_max.defvjp
def _(g, ans, a, b):
    t = (a - b) / np.sqrt((a - b) ** 2 + 0.01)
    return (0.5 * g * (1.0 + t), 0.5 * g * (1.0 - t))


@s2sgrad.custom_vjp
def stretch(x, k):
    return x * 1.5


@stretch.defvjp
def _(g, ans, x, k):
    return (g * np.full(np.shape(x), 1.5), None)


@s2sgrad.register_gradient(np.hypot, override=True)
def _(g, ans, x, y):
    return (g * x / ans, g * y / ans)


def h0(a0, k):
    y1 = np.zeros((3,))
    for i2 in range(k):
        pass
        y1[(k + 1) % 3] = np.tanh((np.sum(a0[a0 > -0.5]) * 0.3))
    if (np.sum(a0) < 0.5 or y1[-1] > 0.0):
        z3 = np.tanh(np.tanh(1.5 * k) ** 2)
        lag4 = 1.0
        cheb5 = z3
        for i6 in range(3):
            s7 = np.tanh((np.exp(0.5 * np.tanh(-0.5 * k)) * np.maximum(2, 1)))
            t8 = 2.0 * z3 * cheb5 - lag4
            lag4 = cheb5
            cheb5 = t8
            y1[1] = cheb5
            if not np.sum(a0) < 1.5:
                z3 = np.sin((np.max(a0) + np.log(np.sum(np.exp(a0 - np.max(a0))))))
                break
    elif np.hypot(np.sum(a0[::2]), 0.5 + -0.5 ** 2) < 1.5:
        s9 = float(a0[0])
    else:
        s10 = 0.5 * (-0.5 * 0.5)
    return 0.5 * (2.0 + a0), np.tanh((-1.2 * k * -0.5))


def h1(a0):
    a9 = a0 + np.zeros((3,))
    s11 = np.mean((a9[::-1] * 0.3))
    return 0.5 * np.tanh(a9) ** 2, 0.5 * (np.sum(a9) - (a9[0] - s11))


def f(x0, x1, x2, n=2, c=-1.2):
    for i12 in range(3):
        for e14, e15 in zip(x2, x2):
            x1[1] *= np.sin((np.sum(x0) + (e15 / (1.5 + e15 ** 2))))
            ra16 = 0.5 * np.sum(np.stack([x1 for c17 in range(3)]), axis=0)
            rc18 = np.sin((x2 / (1.5 + np.sin(x0) ** 2)))
            k19 = 0
            while k19 < n and np.sum(np.abs(ra16 - x2)) > 0.5:
                k19 = k19 + 1
                if (np.sum(x2) > 0.5 or 2.0 * k19 > -1.0):
                    ra16, x2, rc18 = x2, rc18, np.sin(ra16 + x0)
                else:
                    s20 = 0.5 * stretch(np.sum(x2[x2 > -1.0]), np.sum(x1))
                if 0.3 * n > -1.0:
                    break
            p21, p22 = h0((x2 / (1.5 + ra16 ** 2)), i12)
    s23 = 2.0 * i12
    prev24 = np.sin((x0 / (1.5 + x2 ** 2)))
    cur25 = np.sin(np.einsum('i->i', x1))
    for i26 in s2sgrad.checkpointed(range(3)):
        np.add.at(x2, np.array([0, 1, 0]), 0.5 * np.tanh(((np.max(x2) + np.log(np.sum(np.exp(x2 - np.max(x2))))) / (1.5 + (0.5 * sum((np.max(x1) * 0.5 + np.log(np.sum(np.exp(x1 - np.max(x1))))) for c27 in range(1, 3) if c27 % 2 == 0)) ** 2))))
        prev24, cur25 = cur25, np.tanh(1.5 * cur25 - prev24 * x2)
        if np.sum(smooth_max(np.sum(x0[1:]), prev24)) < 0.0:
            continue
    return np.sum(np.sin(cur25)) + np.sum(np.sin(x0)) + np.sum(prev24 * prev24)
