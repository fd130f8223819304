# s2sgrad: emit f --wrt x,W
"""One loop checkpointed in the source (s2sgrad.checkpointed(range(...))), with a branch,
a `continue` and an inner loop in it; the loop after it keeps its tape."""
import numpy as np
import s2sgrad


def f(x: "float64[n]", W: "float64[n, n]", steps: "int"):
    h = x
    for t in s2sgrad.checkpointed(range(steps)):
        if t % 4 == 3:
            continue
        z = W @ h
        if np.sum(z) > 0:
            h = np.tanh(z)
        else:
            h = np.sin(z)
        for j in range(2):
            h = h * 0.5 + x
    for t in range(3):
        h = np.cos(h) * x
    return np.sum(h ** 2)
