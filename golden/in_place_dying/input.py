# s2sgrad: emit f --wrt x
"""Gradient code written into arrays that die there (out_of_ssa.py, passes/negation.py),
the elementwise workload of tools/bench.py: `d_c += d_c` (an array summed with itself:
a ufunc reads each element before it writes it); `d_b = a; d_b *= d_c` (d_c * a with
a, a forward value, read there last: the product goes into a's array, under the
adjoint's name); `d_x = d; d_x += d_c ...` (the sum of x's adjoints starts in the
array of d, which dies there, not in a new one); `d_c = np.divide(x, _t1, out=_t1)` (a
divisor NumPy would not reuse: `x / (_t0 + 1.0)` makes two arrays); `_t2 =
np.subtract(1.0, _t0, out=_t0)` and `_t3 = np.cos(x, out=c)` (temporaries an in-place
statement reads, into arrays that die: `_t0` there, `c` before); `d_b *= x` once,
subtracted twice (the adjoint of -x * x, passes/negation.py): 6 arrays at the peak."""

import numpy as np


def f(x: "float64[n]"):
    a = np.sin(x)
    b = np.exp(-x * x)
    c = np.tanh(a * b + x)
    d = np.log1p(c * c)
    return np.sum(d * x)
