# s2sgrad: emit rows --wrt x
"""Names that share memory see each other's writes, as in Python: `top` is a
view of `y`, so writing into `y` changes `top`, and writing into `top`
changes `y`."""
import numpy as np


def rows(x: "float64[2, 3]"):
    y = np.exp(x)
    top = y[0]
    y[0, 1] = 0.0
    top[2] = np.sum(x)
    return np.sum(top * y[1]) + np.sum(y)
