# s2sgrad: emit masked --wrt x
"""Boolean masks: a mask computed from x, and one passed in. Masked positions
are each read once, so the reverse sweep adds with `d_x[mask] += g`."""
import numpy as np


def masked(x: "float64[4, 3]", keep: "bool[4]"):
    pos = x[x > 0]
    rows = x[keep]
    return np.sum(np.log1p(pos)) + np.sum(rows * rows)
