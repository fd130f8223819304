# s2sgrad: emit scaled --wrt s,t,x
"""A Python float s and a 0-d array t scale an array: their gradients are full sums."""
import numpy as np


def scaled(s: float, t: "float64[]", x: "float64[n, m]"):
    y = s * x + t * x * x
    return np.sum(y * y)
