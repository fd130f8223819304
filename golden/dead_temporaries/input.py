# s2sgrad: emit f --wrt x,y
"""Temporaries of gradient code written into arrays that die (out_of_ssa._reuse): the
product `_t1 * e` that `d_s -= ...` reads, which NumPy would make and free there, goes
into `_t1`, dying there (`_t2 = np.multiply(_t1, e, out=_t1)`), and `d_x_1` into it
next. `d_s *= 1.0 - s * s` stays: NumPy makes `s * s`, then `1.0 - ...` (a temporary
of a temporary is not decided)."""

import numpy as np


def f(x: "float64[n]", y: "float64[n]"):
    s = np.tanh(x * y)
    e = np.exp(s)
    return np.sum(y / (1.0 + e)) + np.sum(s * np.sin(x))
