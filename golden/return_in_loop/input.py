# s2sgrad: emit solve --wrt x --signature "x: float64[n], steps: int"
"""A return inside a loop (under a branch, and from a nested loop): a flag and the value
carried out of the loops, a break, then `if flag: return value` after them."""
import numpy as np


def solve(x, steps):
    for k in range(steps):
        x = x - 0.1 * np.tanh(x)
        if np.sum(x * x) < 0.5:
            return np.sum(x * x) * k
        j = 0
        while j < 3:
            j = j + 1
            if np.max(x) > 2.0 * j:
                return np.sum(np.sin(x))
            x = x * 0.9
    return np.sum(x)
