# s2sgrad: emit f --wrt x,W
"""List comprehensions and a generator expression: each is the loop that appends to a
new list, its variables renamed so that none leaks (Python 3's scoping)."""
import numpy as np


def f(x: "float64[n]", W: "float64[n, n]"):
    squares = np.sum(np.array([x[i] ** 2 for i in range(min(len(x), 3))]))
    rows = np.stack([np.sin(W @ v) for v in W])
    pairs = sum(x[i] * x[i + 1] for i in range(len(x) - 1) if x[i] > 0.0)
    return squares + np.sum(rows) + pairs
