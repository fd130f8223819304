# s2sgrad: emit prefix --wrt x
"""np.zeros then filled in a loop: y is written in place in the forward loop,
and d_y and d_x are updated in place in the reverse loop."""
import numpy as np


def prefix(x: "float64[n]"):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] * 0.5 + np.sin(x[i])
    return np.sum(y * y)
