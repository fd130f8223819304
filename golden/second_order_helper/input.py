# s2sgrad: emit energy --wrt k --order 2
"""Grad of grad through calls of the user's own function, called twice: for a second
derivative the helper's code is inlined (passes/inline.py), so the outer sweep
differentiates it as the caller's own code. E(k) = sum(spring(k, x) + spring(k * k, x))
with spring(c, x) = c * x**2 * exp(-c); the comments name the helper's lines."""
import numpy as np


def spring(c, x):
    return c * x ** 2 * np.exp(-c)


def energy(k: float, x: "float64[n]"):
    return np.sum(spring(k, x) + spring(k * k, x))
