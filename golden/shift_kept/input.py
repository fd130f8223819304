# s2sgrad: emit f --wrt x
"""Shift invariance (passes/shift.py) proves independence or leaves the max alone: here
the result reads the max itself (m * 0.5) and a sum over the wrong axis, so the max's
gradient (its mask) stays."""

import numpy as np


def f(x: "float64[n, k]"):
    m = np.max(x, axis=1, keepdims=True)
    t = np.log(np.sum(np.exp(x - m), axis=0))
    return np.sum(t) + 0.5 * np.sum(m)
