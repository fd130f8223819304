# s2sgrad: emit clamp --wrt x,lo
"""Writes through boolean masks: a clamp written as two masked stores."""
import numpy as np


def clamp(x: "float64[3, 4]", lo: float):
    y = x * 1.0
    y[y < lo] = lo
    y[y > 1.0] *= 0.5
    return np.sum(y * y)
