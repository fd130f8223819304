# s2sgrad: emit loss --wrt W,b
"""A call to the user's own function: its adjoint is a function too (vjp_dense)."""
import numpy as np


def dense(x, W, b):
    return np.tanh(x @ W + b)


def loss(x: "float64[n, d]", W: "float64[d, h]", b: "float64[h]"):
    h = dense(x, W, b)
    return np.mean(h * h)
