# s2sgrad: emit f --wrt x
"""np.tanh(h, out=h): a ufunc writing into its own operand, as generated modules write it
(and as experts do by hand), is read as h[...] = np.tanh(h), a write into h's array that
g, another name for it, sees too."""

import numpy as np


def f(x: "float64[n]"):
    h = x * 2.0
    g = h
    np.tanh(h, out=h)
    return np.sum(h * g) + np.sum(x)
