# s2sgrad: emit sqrt_newton --wrt a --signature "a: float64[n]"
"""A while loop with a data-dependent trip count: Newton's method for sqrt(a)."""
import numpy as np


def sqrt_newton(a: "float64[n]"):
    x = a + 1.0
    while np.max(np.abs(x * x - a)) > 1e-10:
        x = 0.5 * (x + a / x)
    return np.sum(x)
