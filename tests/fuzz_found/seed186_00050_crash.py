# s2sgrad fuzz: crash (seed 186, program 50); check again with python tools/fuzz.py --replay THIS_FILE
# InternalError: IR verifier after lower: operand %t used before it is defined
#      %c.1 = add(%t.1, %t.2)  : float64[]  # _s2s_fuzz_6f3e2974ef74a1d8.py:65
#      %t.3 = sin(%c.1)  : float64[]  # _s2s_fuzz_6f3e2974ef74a1d8.py:66
#      %c.2 = const() {value=0.7}  : py_float64  # _s2s_fuzz_6f3e2974ef74a1d8.py:66
#   >> %t.4 = mul(%c.2, %t)  : float64[n0, n1]  # _s2s_fuzz_6f3e2974ef74a1d8.py:66
#      %t.5 = sum(%t.4)  : float64[]  # _s2s_fuzz_6f3e2974ef74a1d8.py:66
#      %t.6 = add(%t.3, %t.5)  : float64[]  # _s2s_fuzz_6f3e2974ef74a1d8.py:66
#      %t.7 = mul(%x1, %x1)  : float64[n0, n1]  # _s2s_fuzz_6f3e2974ef74a1d8.py:66
#   File "/work/main/s2sgrad/ir/verifier.py", line 30, in verify
#     _verify_region(fn.body, defined, set(), names, stage, expanded)
#   File "/work/main/s2sgrad/ir/verifier.py", line 73, in _verify_region
#     _fault(region, i, f"operand {names(v)} used before it is defined", names, stage)
#   File "/work/main/s2sgrad/ir/verifier.py", line 48, in _fault
#     raise InternalError(f"IR verifier after {stage}: {message}\n" + "\n".join(window))
# n = 1
# args = {"x0": [[0.9830246112854126, -0.5096940483438188, -0.3372383691115832], [-0.8897072862348889, 0.834887025244734, -0.8634355314957807]], "x1": [[0.8020699319273035, -0.4389513773120606, 0.6085424127107633], [0.22494289999992212, -0.48512567878537505, 0.283305590823286]], "x2": [[0.31915185730586937, 0.19011039255232132, 0.44096759659366613], [0.6443587697092235, 0.4103881577068571, 0.17621119410852537]]}
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


def h0(a0, k, c=None):
    if c is None:
        c = 0.5
    c += 0.5 * np.tanh((0.5 * np.maximum(2, 1)))
    L1 = [(a0 if (c if not np.sum(a0) < -0.5 else c) > 0.2 else a0) * 1.0]
    for i2 in range(3):
        pass
        L1.append(np.tanh(np.maximum(soft_abs(a0), a0) + 0.5 * L1[-1]))
    s3 = np.sum(np.sin(np.stack(L1)))
    return np.tanh(np.sum(np.stack([(a0 * s3) for c4 in range(1, 3) if c4 % 2 == 0]), axis=0))


def f(x0, x1, x2, n=2, c=-1.2):
    k5 = 0
    while k5 < 3 and np.sum(x1) > 0.2:
        v6 = np.tanh(((x0[::-1] * -0.8) if k5 % 2 == 0 else x1))
        k5 = k5 + 1
        cand7 = np.tanh(np.tanh(np.sum(np.tanh(v6) ** 2 @ x1[1])) ** 2)
        if cand7 < c:
            c = cand7
    c = 0.5 * c + np.tanh((0.5 * sum(np.sum((c8[1] * c8[n % 2]) * 0.3) for c8 in (v6, x2,))))
    return np.sin(c) + np.sum(0.7 * v6) + np.sum(x1 * x1) + np.sum(x0 * x0)
