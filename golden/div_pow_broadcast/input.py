# s2sgrad: emit ratio --wrt a,b
"""Division and power with both operands broadcast: (3, 1) against (4,)."""
import numpy as np


def ratio(a: "float64[3, 1]", b: "float64[4]"):
    q = a / b
    p = a ** b
    return np.sum(q + p)
