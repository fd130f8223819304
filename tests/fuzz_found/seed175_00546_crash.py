# s2sgrad fuzz: crash (seed 175, program 546); check again with python tools/fuzz.py --replay THIS_FILE
# vjp(grad(f)): InternalError: IR verifier after out_of_ssa: ~dt is read after an in-place write changed its array
#   >> %dt.1 = sum(%dt)  : float64[]  # _s2s_fuzz_5aad82163832b2d3.py:26 [grad:gradients]
#   File "/work/main/s2sgrad/codegen.py", line 1122, in function_lines
#     header, unpack, body, ret = _function_parts(_without_same(fn), verify, functions)
#                                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
#   File "/work/main/s2sgrad/codegen.py", line 1179, in _function_parts
#     verify_names.check(fn, plan, plan.shares, plan.web)
#   File "/work/main/s2sgrad/ir/verify_names.py", line 39, in check
#     raise InternalError(
# n = 3
# args = {"x0": [[0.5367578681074485, -0.18696166933569258, 0.4321881218408046], [0.3276886263294445, 0.8920487056716788, 0.49484320201713095]], "x1": [[-0.7467402307471724, 0.4677726079952653, 0.9099690602301229], [0.7245876198221151, -0.13930853311707603, 0.29911641551879664]], "r": [0.1967885502264588, -0.12572972869689858, 0.1283452020168756]}
import math

import numpy as np


def h0(a0, a1, c=0.5):
    a9 = a0 + np.zeros((2, 3))
    a9 = ((a9[:, ::-1] * 0.3) if 0.7 > 0.5 else np.abs(a9))
    return np.sin(np.tanh(np.flip(a9)) ** 2), np.sin(((np.exp(a9 - np.max(a9)) / np.sum(np.exp(a9 - np.max(a9)))) * a9[-1, :]))


def h1(a0, k):
    L1 = [(a0 / (1.5 + (a0 / (1.5 + a0 ** 2)) ** 2)) * 1.0]
    k2 = 0
    while k2 < 3 and 0.5 * k > 1.0:
        k2 = k2 + 1
        pass
        L1.append(np.tanh(np.tanh((a0 * 0.3 * k)) ** 2))
        if not np.sum(a0) < 0.2:
            break
    s3 = np.sum(np.stack(L1, axis=0)[0]) + np.sum(np.tanh(np.concatenate(L1)))
    return np.tanh(np.tanh(np.sum(a0)) ** 2)


def f(x0, x1, r, n):
    x1[1] *= np.sin((np.max((-(x1 - x0))) + np.log(np.sum(np.exp((-(x1 - x0)) - np.max((-(x1 - x0))))))))
    return np.sum(np.sin(x1))
