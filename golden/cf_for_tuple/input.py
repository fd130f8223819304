# s2sgrad: emit deep --wrt x,W1,W2,W3
"""for over a tuple of arrays: unrolled, one copy of the body per item."""
import numpy as np


def deep(x: "float64[n]", W1: "float64[n, n]", W2: "float64[n, n]", W3: "float64[n, n]"):
    for W in (W1, W2, W3):
        x = np.tanh(W @ x)
    return np.sum(x * x)
