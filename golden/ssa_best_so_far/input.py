# s2sgrad: emit best --wrt x
"""Out of SSA: "keep the best so far", a carried value reassigned in one
branch only, inside a loop."""
import numpy as np


def best(x: "float64[n]"):
    best = np.sum(x * x)
    for i in range(4):
        cand = np.sum(np.sin(x * (i + 1.0)))
        if cand > best:
            best = cand
    return best
