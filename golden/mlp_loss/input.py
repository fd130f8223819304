# s2sgrad: emit loss --wrt W1,b1,W2,b2
"""examples/mlp.py's loss: a two-layer perceptron with squared error and L2."""
import numpy as np


def loss(x: "float64[n, d]", W1: "float64[d, h]", b1: "float64[h]",
         W2: "float64[h, k]", b2: "float64[k]", y: "float64[n, k]"):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    err = out - y
    return np.mean(np.sum(err ** 2, axis=1)) + 1e-3 * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
