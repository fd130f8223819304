# s2sgrad: emit until_large --wrt x --signature "steps=10"
"""break: the loop stops as early as the source does (it becomes a while on a flag)."""
import numpy as np


def until_large(x: "float64[n]", steps: int):
    s = 0.0
    for i in range(steps):
        if s > 5.0:
            break
        s = s + np.sum(np.sin(x * i) ** 2) + np.sum(x)
    return s
