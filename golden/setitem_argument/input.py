# s2sgrad: emit zero_first --wrt x
"""Writing into an argument: the generated code writes into a copy
(`x_1 = x.copy()`), so the caller's array never changes."""
import numpy as np


def zero_first(x: "float64[n]"):
    x[0] = 0.0
    x[1:] *= 2.0
    return np.sum(x * x)
