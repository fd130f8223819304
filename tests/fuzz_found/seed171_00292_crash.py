# s2sgrad fuzz: crash (seed 171, program 292); check again with python tools/fuzz.py --replay THIS_FILE
# float32: TypeError: s2sgrad type check at _s2s_fuzz_ef5c7a1167ac200b.py:67: float [], static float32() weak=False
#   File "/work/main/tools/fuzz.py", line 326, in check_float32
#     got, grads = derivative_fn(*prog.call_args(copies(args)), prog.n)
#                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "<s2sgrad:value_and_grad_f#692>", line 98, in value_and_grad_f
#     _s2s_typecheck(_t5, 'float32', (), False, '_s2s_fuzz_ef5c7a1167ac200b.py:67')
#   File "<s2sgrad:value_and_grad_f#692>", line 34, in _s2s_typecheck
#     raise TypeError(f"s2sgrad type check at {where}: {got}, static {dtype}{shape} weak={weak}")
# n = 2
# args = {"x0": [[-0.6757692802656847, 0.009035912952508385, 0.43161929399247745], [0.6875372427196773, 0.7662451148741689, 0.40554755757967165]], "x1": [[-0.9829790270335697, -0.6013547235668995, 0.518236429663357], [-0.6876996865854854, -0.8230403194609106, -0.2824643259796866]], "x2": [[-0.1795419839987933, 0.7375988674327563, 0.1631035034006243], [0.1020623330596746, -0.8670027198533592, 0.09006885102929796]], "w": -0.23216417441850234, "r": [-0.2851931950924458, 0.5288304424479555, 0.4156596019394374]}
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

K0 = np.array([[-1.2, 1.5, 0.7], [0.7, -0.5, 0.5]])
K1 = np.array([[2.0, -1.2, 2.0], [-0.8, 0.5, -1.2]])

def h0(a0, a1, k):
    a9 = a0 + np.zeros((2, 3))
    a9[1] += np.sin(np.sum((np.sum(a9, axis=0) * a9[k % 2]) * -0.5))
    L1 = [np.hypot(a1, 0.5 + np.tanh(0.5 * k) ** 2 ** 2) * 1.0]
    k2 = 0
    while k2 < 2 and not np.sum(a9) < 0.5:
        k2 = k2 + 1
        pass
        L1.append(np.tanh(np.logaddexp(np.tanh(a0) ** 2, 0.5 * np.tanh(np.tanh(a0) ** 2))))
    s3 = np.mean(L1) + np.sum(L1[k % len(L1)])
    return 0.5 * np.sum((np.max(smooth_max(a1, K1), axis=1, keepdims=True) + np.log(np.sum(np.exp(smooth_max(a1, K1) - np.max(smooth_max(a1, K1), axis=1, keepdims=True)), axis=1, keepdims=True)))), np.tanh(((K1 - np.max(K1, axis=1, keepdims=True) - np.log(np.sum(np.exp(K1 - np.max(K1, axis=1, keepdims=True)), axis=1, keepdims=True))) * 0.7)), 2


def h1(a0):
    a9 = a0 + np.zeros((2, 3))
    pass
    return np.tanh((np.sum(np.maximum(K0, K1), axis=1, keepdims=True) * np.hypot(a9, 0.5 + a9 ** 2))), 0.5 * np.median(a9)


def f(x0, x1, x2, w, r, n):
    pos4 = np.sin(stretch(min(-0.5, np.sum(x0[1] * 0.3)), (np.sum(r * -1.2) * np.sum(np.sum(K0, axis=1) ** 2))))
    k5 = 0
    while k5 < n and abs(w - pos4) > 0.1:
        k5 = k5 + 1
        cand6 = np.tanh(np.sum((np.max(np.where(np.tanh(x1) ** 2 > 1.0, K1, (K1 if -0.8 * n > 0.2 else K1)), axis=1, keepdims=True) + np.log(np.sum(np.exp(np.where(np.tanh(x1) ** 2 > 1.0, K1, (K1 if -0.8 * n > 0.2 else K1)) - np.max(np.where(np.tanh(x1) ** 2 > 1.0, K1, (K1 if -0.8 * n > 0.2 else K1)), axis=1, keepdims=True)), axis=1, keepdims=True)))))
        if cand6 < w:
            w = cand6
        t10 = h0(-0.5, np.sum(np.cos(r) * -0.5), k5)
        p7 = t10[0]
        p8 = t10[1]
        m9 = t10[2]
        if np.sum((K1 - r)) > 1.5:
            w = 0.9 * w + np.tanh(pos4 * (-0.5 * k5 / (1.5 + 0.5 ** 2)))
            pos4 = pos4 - 0.1 * w
        if k5 % 2 == 0:
            continue
    return np.sin(w) + np.sum(r * r) + np.sin(pos4) + np.sum(0.7 * x1)
