# s2sgrad fuzz: crash (seed 175, program 147); check again with python tools/fuzz.py --replay THIS_FILE
# float32: TypeError: s2sgrad type check at _s2s_fuzz_e086d3c0945854a9.py:94: ndarray float32[2], static float64None weak=False
#   File "/work/main/tools/fuzz.py", line 328, in check_float32
#     got, grads = derivative_fn(*prog.call_args(copies(args)), prog.n)
#                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "<s2sgrad:value_and_grad_f#253>", line 771, in value_and_grad_f
#     _s2s_typecheck(_d4, 'float64', None, False, '_s2s_fuzz_e086d3c0945854a9.py:94')
#   File "<s2sgrad:value_and_grad_f#253>", line 35, in _s2s_typecheck
#     raise TypeError(f"s2sgrad type check at {where}: {got}, static {dtype}{shape} weak={weak}")
# n = 1
# args = {"x0": [0.5984734415232134, 0.12921929316912473, -0.9459607625399382], "x1": [0.9210241586500818, 0.44262652634120747, -0.16763429495248316], "w": -0.6554865833784229}
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

K0 = np.array([-1.2, 2.0, -0.8])
K1 = np.array([-0.8, 2.0, 2.0])

def h0(a0, a1, c=0.5):
    st1 = (np.sin((np.max(K1) * 0.5 + np.log(np.sum(np.exp(K1 - np.max(K1)))))), np.maximum(a0.reshape(a0.shape), np.maximum(K1, K0)))
    for i2 in range(2):
        p3, q4 = st1
        z5 = np.sin(np.exp(0.5 * np.tanh(np.sum(a0))))
        lag6 = 1.0
        for i7 in range(i2):
            lag6, c = c, 2.0 * z5 * c - lag6
            if np.sum(K0) < -1.0:
                break
        st1 = (0.5 * (np.max(q4) + np.log(np.sum(np.exp(q4 - np.max(q4))))), np.tanh((-K1)))
    p8, q9 = st1
    vel10 = 0.0 * a0
    pos11 = np.sin((np.exp((np.sum(a0, axis=0, keepdims=True) * K1) - np.max((np.sum(a0, axis=0, keepdims=True) * K1))) / np.sum(np.exp((np.sum(a0, axis=0, keepdims=True) * K1) - np.max((np.sum(a0, axis=0, keepdims=True) * K1))))))
    k12 = 0
    while k12 < 3:
        k12 = k12 + 1
        if not np.sum(K0) < -1.0:
            a0 = vel10 ** 1
            vel10 = 0.5 * (K0 - np.max(K0) - np.log(np.sum(np.exp(K0 - np.max(K0)))))
        elif not np.sum(pos11) > 0.0:
            c += 0.5 * np.tanh(((np.max(K0) * 0.5 + np.log(np.sum(np.exp(K0 - np.max(K0))))) / (1.5 + float(2.0) ** 2)))
        else:
            b13 = a1
            a1 = 0.5 * np.sum(soft_abs(pos11))
        if not np.sum(a0) < 1.0:
            vel10 = 0.9 * vel10 + (pos11 - (-a0))
            pos11 = pos11 - 0.1 * vel10
    return np.sin((np.logaddexp(K1, 0.5 * np.tanh(K1)) if np.hypot(np.sum(a0[a0 > 1.0]), 0.5 + c ** 2) > 1.5 else np.abs(vel10))), np.sin((K1 + soft_abs(K0)))


def h1(a0, k, c=0.5):
    a9 = a0 + np.zeros((3,))
    v14 = (a9 - K1)
    st15 = (0.5 * (v14[::-1] * 0.7), stretch(np.sum(a9[a9 > 1.5]), 2.0 * k))
    for i16 in range(3):
        p17, q18 = st15
        pass
        st15 = (0.5 * (v14[::-1] * -0.5), 0.5 * ((1.5 * i16 * -0.8) if a9[-1] > 1.5 else 1.5))
    p19, q20 = st15
    return 0.5 * (-np.sum(p19))


def f(x0, x1, w, n, c=0.7):
    acc21 = 0.0
    for i22 in range(3):
        acc21 += 0.5 * np.tanh((K0 * x0))
    t25 = h0(K0, ((np.sum(acc21[1:]) / (1.5 + np.sum(x0) ** 2)) if n > 0 else 2.0 * n))
    p23 = t25[0]
    p24 = t25[1]
    p26, p27 = h0((K1 + np.sum(acc21)), np.mean(K1))
    return np.sin(c) + np.sum(np.sin(acc21)) + np.sum(0.7 * p23)
