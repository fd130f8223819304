# s2sgrad: emit normalized_energy
"""Reductions with axis and keepdims: column means, row sums, a max and a total mean."""
import numpy as np


def normalized_energy(x: "float64[n, m]"):
    centered = x - np.mean(x, axis=0, keepdims=True)
    rows = np.sum(centered ** 2, axis=1)
    peak = np.max(x, axis=1, keepdims=True)
    return np.mean(rows) + np.sum(peak * np.sum(x, axis=1, keepdims=True))
