# s2sgrad: emit mlp --wrt W1,b1,W2,b2
"""A helper called twice, with a keyword argument and a default (a static value)."""
import numpy as np


def layer(x, W, b, act=True):
    z = x @ W + b
    if act:
        return np.tanh(z)
    return z


def mlp(x: "float64[n, d]", W1: "float64[d, h]", b1: "float64[h]",
        W2: "float64[h, k]", b2: "float64[k]"):
    h = layer(x, W1, b1)
    out = layer(h, W=W2, b=b2, act=False)
    return np.sum(out ** 2)
