# s2sgrad: emit f --wrt x --signature "x: float64[n], k: int"
"""A loop over reversed(range(...)): the same indices as range(b - 1, a - 1, -1), last first."""
import numpy as np


def f(x, k):
    s = 0.0
    for i in reversed(range(1, k)):
        s = s * 0.5 + x[i] * x[i - 1]
    return s
