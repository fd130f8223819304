# s2sgrad: emit f --wrt x,w
"""The function s2sgrad.vjp once ran on the caller's array: it writes into its
argument x. The generated code writes into a copy (x_1 = x.copy()); vjp runs the
plain function on a copy too, so the caller's x never changes (tests/test_spec.py)."""
import numpy as np


def f(x: "float64[n]", w: "float64[n]"):
    x[0] = 0.0
    return np.sum(x * w)
