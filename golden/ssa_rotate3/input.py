# s2sgrad: emit rotate3 --wrt a,b,c
"""Out of SSA: a three-way rotation of carried values, then a scaled update."""
import numpy as np


def rotate3(a: "float64[n]", b: "float64[n]", c: "float64[n]"):
    for i in range(4):
        a, b, c = b, c, a
        c = c * 0.5 + np.tanh(a)
    return np.sum(a * b + c)
