# s2sgrad: emit clipped --wrt x
"""A return inside a branch: the statements after the if run in the other branch."""
import numpy as np


def clipped(x: "float64[n]"):
    norm = np.sqrt(np.sum(x * x))
    if norm < 1.0:
        return norm * norm
    y = x / norm
    return np.sum(np.log1p(y * y)) + norm
