# s2sgrad: emit scatter --wrt x,v
"""A write with repeated indices: position 1 is written twice and keeps the
last value, so only that write's v gets a gradient. The reverse sweep numbers
the writes and writes the numbers the same way to see which ones stayed."""
import numpy as np


def scatter(x: "float64[5]", v: "float64[3]"):
    y = np.cos(x)
    y[[1, 3, 1]] = v
    return np.sum(np.sin(y))
