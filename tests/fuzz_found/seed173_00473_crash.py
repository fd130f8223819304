# s2sgrad fuzz: crash (seed 173, program 473); check again with python tools/fuzz.py --replay THIS_FILE
# float32: TypeError: s2sgrad type check at _s2s_fuzz_3f3e11fc02db60e9.py:80: float32 float32[], static float64() weak=None
#   File "/work/main/tools/fuzz.py", line 326, in check_float32
#     got, grads = derivative_fn(*prog.call_args(copies(args)), prog.n)
#                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "<s2sgrad:value_and_grad_f#1003>", line 250, in value_and_grad_f
#     _s2s_typecheck(_d6, 'float64', (), None, '_s2s_fuzz_3f3e11fc02db60e9.py:80')
#   File "<s2sgrad:value_and_grad_f#1003>", line 33, in _s2s_typecheck
#     raise TypeError(f"s2sgrad type check at {where}: {got}, static {dtype}{shape} weak={weak}")
# n = 2
# args = {"x0": [[-0.08791952494035038, -0.35440125433063363, -0.8790708390620672], [0.877867986805456, -0.07269305040682816, -0.14143861122546975]], "x1": [[-0.8026445474597657, -0.43653114169884066, -0.1509985114074659], [-0.9151390629520819, -0.07397693826586926, -0.31104205685645536]], "w": -0.5821852283264857, "r": [-0.4598244259578641, 0.8293565332367008, 0.12168347248029732]}
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


def h0(a0, a1, k, c=0.5):
    b1 = a0
    a0 = (np.einsum('ij->ij', a0) * (-c))
    k2 = 0
    while k2 < 3:
        k2 = k2 + 1
        i3 = 1
        for i3 in range(2):
            b4 = c
            c = np.tanh((c + 0.5))
            if np.sum((np.max(a0, axis=1, keepdims=True) + np.log(np.sum(np.exp(a0 - np.max(a0, axis=1, keepdims=True)), axis=1, keepdims=True)))) < 0.5:
                b1 = 0.5 * soft_abs(a1)
                continue
        if (np.sum(a0) > 1.5 and 0.3 * i3 < -1.0):
            a1 = 0.5 * a1 + np.tanh((b1 + a1[k % 2]))
            break
    return np.tanh(np.mean((b1 - np.mean(a1, axis=0)))), 0.5 * (b1 + np.mean(a0, axis=0)), k


def f(x0, x1, w, r, n):
    if np.sum(x1) > 0.5:
        y5 = np.zeros_like(x0)
        for e7, e8 in zip(x0, x0):
            s9 = 0.5 * np.sum(np.array([w for c10 in (x1, x0,) if 0.5 < 1.5]))
            k11 = 0
            while k11 < n:
                k11 = k11 + 1
                b12 = w
                b12 = np.tanh(np.sin(((np.sum(y5) if not np.sum(x1) > 1.5 else 0.7 * k11) - np.sum(x1))))
            x1 += 0.5 * np.tanh(np.maximum(((np.sum(y5) * -0.5) * (x0 - y5[1, 2])), x1))
            y5[k11 % 2, k11 % 3] = 0.5 * y5[k11 % 2, k11 % 3] + np.sin((-np.sum(x1)))
        y13 = np.zeros_like(x0)
        for i14, e15 in enumerate(x1, start=n - 2):
            pass
            y13 = np.sin(y13, out=y13)
    s17 = np.tanh(np.hypot(np.sum(x1), 0.5 + (0.5 * sum(w for c18 in x0 if w < 1.5)) ** 2))
    y19 = np.zeros((2, 3))
    for i20 in range(n):
        pass
        for j21 in range(n):
            y19[:, j21 % 3] *= np.sin(np.cos(np.mean(y19[:, ::-1])))
            w = 0.5 * w + np.sin(np.sum(y19[0]))
    return np.sum(np.sin(x1)) + np.sin(s17) + np.sum(x0 * x0) + np.sin(w)
