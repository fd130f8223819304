# s2sgrad: emit energy --wrt x,k
"""A helper calling a helper."""
import numpy as np


def spring(d, k):
    return 0.5 * k * d * d


def chain(x, k):
    return np.sum(spring(x - 1.0, k)) + np.sum(spring(np.sin(x), k * 2.0))


def energy(x: "float64[n]", k: float):
    return chain(x, k) + chain(x * x, k)
