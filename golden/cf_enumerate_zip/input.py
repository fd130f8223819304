# s2sgrad: emit weighted_fit --wrt xs,w
"""enumerate and zip over arrays."""
import numpy as np


def weighted_fit(xs: "float64[m, n]", ys: "float64[m]", w: "float64[n]"):
    total = 0.0
    for x, y in zip(xs, ys * 2.0):
        total = total + (np.sum(x * w) - y) ** 2
    for i, x in enumerate(xs):
        total = total + 0.1 * i * np.sum(x * w)
    return total
