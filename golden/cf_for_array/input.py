# s2sgrad: emit sum_rows --wrt xs,w
"""for over an array's first axis: a loop over an index reading xs[i] (recomputed, not saved)."""
import numpy as np


def sum_rows(xs: "float64[m, n]", w: "float64[n]"):
    total = 0.0
    for row in xs:
        total = total + np.sum(np.tanh(row * w))
    return total
