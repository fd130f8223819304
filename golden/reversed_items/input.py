# s2sgrad: emit f --wrt x
"""reversed(xs) of an array and of a list built by append: a loop over the indices, last
first (`for _i in range(len(xs) - 1, -1, -1): row = xs[_i]`)."""
import numpy as np


def f(x: "float64[n, m]"):
    s = 0.0
    hs = []
    for row in reversed(x):
        s = s * 0.5 + np.sum(row**2)
        hs.append(np.tanh(row * s))
    for h in reversed(hs):
        s = s + np.sum(h) * 0.25
    return s
