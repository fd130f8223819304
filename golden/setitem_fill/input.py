# s2sgrad: emit summary --wrt x,w
"""An array the function makes and fills in: y[i] = v, y[a:b] = v, y[a:b] += v.
The writes update y in place; the reverse sweep reads each written part of
d_y, then zeroes it where the write overwrote y."""
import numpy as np


def summary(x: "float64[n]", w: "float64[3]"):
    y = np.zeros(5)
    y[0] = np.sum(x)
    y[1:4] = w * np.max(x)
    y[2:] += np.mean(x)
    y[-1] *= 2.0
    return np.sum(np.sin(y) * y)
