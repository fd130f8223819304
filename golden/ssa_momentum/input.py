# s2sgrad: emit descend --wrt x0,c
"""Out of SSA: gradient descent with momentum; two carried values, each
update reading the other's new value."""
import numpy as np


def descend(x0: "float64[n]", c: "float64[n]"):
    x = x0
    v = np.zeros_like(x0)
    for k in range(5):
        g = 2.0 * (x - c) + 0.1 * np.sin(x)
        v = 0.9 * v + g
        x = x - 0.1 * v
    return np.sum(x * x)
