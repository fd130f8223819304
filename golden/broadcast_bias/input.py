# s2sgrad: emit affine --wrt W,b
"""Bias add: b of shape (k,) is broadcast over the n rows, so its gradient sums axis 0."""
import numpy as np


def affine(x: "float64[n, d]", W: "float64[d, k]", b: "float64[k]"):
    z = x @ W + b
    return np.sum(np.tanh(z))
