# s2sgrad: emit power_iter --wrt A,v --signature "steps=5"
"""A for loop over a static range: a few steps of power iteration."""
import numpy as np


def power_iter(A: "float64[n, n]", v: "float64[n]", steps: int):
    for k in range(steps):
        v = A @ v
        v = v / np.sqrt(np.sum(v * v))
    return v @ (A @ v)
