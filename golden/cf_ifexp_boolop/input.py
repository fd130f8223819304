# s2sgrad: emit choose --wrt x
"""Conditional expressions and and/or on runtime values, short-circuit as in Python."""
import numpy as np


def choose(x: "float64[n]"):
    a = np.sum(x)
    b = a * 2.0 if a > 0 else -a
    big = (a > 1 and b < 100) or a < -3
    return b * b + (3.0 if big else 1.0) * a
