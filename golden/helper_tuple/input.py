# s2sgrad: emit f --wrt x,W
"""A helper returning a tuple: its back function takes one adjoint per float item
(an int item is a constant; an item never read gets zeros), in a loop and a branch."""
import numpy as np


def cell(h, x, W):
    a = np.tanh(W @ h + x)
    if np.sum(a) > 0.0:
        return a, a * x, 1
    return a * 0.5, np.sin(x), 2


def f(x: "float64[n]", W: "float64[n, n]"):
    h = x
    s = 0.0
    for t in range(3):
        h, y, k = cell(h, x, W)
        s = s + np.sum(y) * k
    last = cell(h, x, W)
    return s + np.sum(last[0])
