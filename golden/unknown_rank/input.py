# s2sgrad: emit scale_shift --signature "x: float64[...], a: float64[...], c: float64[...]"
"""Unknown ranks: broadcasting is only known at run time, so the generic _unbroadcast is used."""
import numpy as np


def scale_shift(x, a, c):
    y = a * x + c
    return np.sum(np.exp(-y * y))
