# s2sgrad: emit piecewise --wrt x,w
"""if/elif/else on runtime scalars: the reverse sweep takes the branch the forward took."""
import numpy as np


def piecewise(x: "float64[n]", w: float):
    s = np.sum(x)
    if s > 1.0:
        y = np.sin(x) * w
    elif s > -1.0:
        y = x * x + w
    else:
        y = np.exp(x) - w
    return np.sum(y * y)
