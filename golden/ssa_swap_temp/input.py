# s2sgrad: emit rotate --wrt a,b
"""Out of SSA: a swap through a temporary, `t = a; a = b; b = t * 2`, in a loop."""
import numpy as np


def rotate(a: "float64[n]", b: "float64[n]"):
    for i in range(3):
        t = a
        a = b
        b = t * 2.0
    return np.sum(a * np.sin(b))
