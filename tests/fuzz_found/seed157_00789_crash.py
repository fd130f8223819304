# s2sgrad fuzz: crash (seed 157, program 789); check again with python tools/fuzz.py --replay THIS_FILE
# (fixed since: a located refusal) InternalError: the rule of np.stack(out, axis=1) took the rank of items of unknown rank
# n = 2
# args = {"x0": [[-0.2773792760596019, 0.9036478129786558, -0.48931597013601635], [-0.481436598900991, -0.04668115849039234, 0.62253767152407]], "x1": [[0.7076356104658073, -0.7537958690597713, -0.8240861008958691], [0.9718453663519186, 0.38845310173713954, -0.018031948009691323]], "x2": [[0.5704304629460615, -0.7032187200974156, 0.8296387922913935], [-0.8792830950471817, -0.7922037606597494, -0.9596832289992634]], "w": 0.3561416462596769, "r": [-0.17033438504578147, -0.29897584656212817, 0.974184004889082]}
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


@s2sgrad.register_gradient(np.hypot, override=True)
def _(g, ans, x, y):
    return (g * x / ans, g * y / ans)

K0 = np.array([[-0.5, 0.7, 0.3], [-1.2, -0.5, -0.5]])
K1 = np.array([[-0.5, 2.0, -0.8], [-1.2, 2.0, 0.5]])

def h0(a0, k):
    a9 = a0 + np.zeros((2, 3))
    pass
    return 0.5 * np.abs((a9 if np.sum(K1) < 0.5 else K0)), np.tanh(((2.0 * k / (1.5 + a0 ** 2)) * np.sum(a9[k % 2])))


def h1(a0):
    a9 = a0 + np.zeros((2, 3))
    sb1 = np.sin((a9 - (0.5 * 0.5)))
    k2 = 0
    while k2 < 2 and np.sum(np.abs(a9 - sb1)) > 0.5:
        k2 = k2 + 1
        a9, sb1 = sb1, a9 + sb1
    return 0.5 * np.tanh(a9), np.sin(np.sum(np.mean((a9[::-1] * -0.8), axis=1) ** 2))


def f(x0, x1, x2, w, r, n):
    acc3 = 0.0
    for i4 in range(3):
        acc3 += 0.5 * np.tanh((soft_abs(K1) - ((np.mean(x0, axis=0) * r) * (r * 0.7))))
    L5 = [(np.abs(acc3) / (1.5 + K0 ** 2)) * 1.0]
    for i6 in range(len(x1)):
        t9 = h0(-1.2 * i6, n)
        p7 = t9[0]
        p8 = t9[1]
        if not np.sum(K0) > 1.0:
            return np.sum(p7 * p7) + np.sum(1.5 * x0)
        if (np.sum(acc3) + np.sum(x1)) < -0.5:
            L5.append(np.tanh(p7.reshape(p7.shape)))
        if i6 % 2 == 0:
            p8 = 0.5 * np.sum(K1 @ p7[1])
            break
    s10 = np.sum(np.stack(L5, axis=1)[0]) + 0.25 * len(L5)
    y11 = np.zeros_like(x0)
    for i12 in range(n):
        for j13 in range(3):
            y11[:, j13 % 3] = np.tanh((-np.mean((np.sum(K1, axis=1, keepdims=True) * x2))))
        if min(-0.5 * i12, -1.2 * n) < -1.0:
            continue
    return np.sum(np.sin(r)) + np.sum(np.sin(y11)) + np.sin(s10) + np.sum(1.5 * x0)
