# s2sgrad: emit leaky --wrt x,W --signature "steps=6"
"""A branch inside a loop: its condition is saved on the tape."""
import numpy as np


def leaky(x: "float64[n]", W: "float64[n, n]", steps: int):
    h = x
    for t in range(steps):
        z = W @ h
        if np.sum(z) > 0:
            h = np.tanh(z)
        else:
            h = 0.1 * z
    return np.sum(h * h)
