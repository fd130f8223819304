# s2sgrad: emit f --wrt x
"""A helper that writes into its argument must copy it first (`a = a.copy()`):
a write into the caller's array is refused (docs/limitations.md), this is fine."""
import numpy as np


def zero_first(a):
    a = a.copy()
    a[0] = 0.0
    return a * 2.0


def f(x: "float64[n]"):
    y = np.exp(x)
    z = zero_first(y)
    return np.sum(z * y)
