# s2sgrad: emit stacked --wrt x,y
"""Arrays of one shape stacked by a list display (nested too): the cotangent of
the stack is split back along its first axes, one slice an item."""
import numpy as np


def stacked(x: "float64[n]", y: "float64[n]", w: "float64[2, 2, n]"):
    rows = np.array([[x, y * x], [np.sin(y), x + 1.0]])
    return np.sum(rows * w) + np.sum(np.exp((x, y)))
