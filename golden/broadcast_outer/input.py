# s2sgrad: emit outer
"""(3, 1) * (4,) broadcasts to (3, 4): each gradient sums over the axes its operand lacked."""
import numpy as np


def outer(a: "float64[3, 1]", b: "float64[4]"):
    p = a * b
    return np.sum(np.sin(p))
