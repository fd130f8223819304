# s2sgrad: emit search --wrt x --mode fwd --signature "x: float64[n], steps: int"
"""Forward mode of a return inside a loop: the returned value's tangent is carried out of
the loop beside it."""
import numpy as np


def search(x, steps):
    for k in range(steps):
        x = np.tanh(1.5 * x)
        if np.sum(x) > 1.0:
            return np.sum(x * x) * k
    return np.sum(x)
