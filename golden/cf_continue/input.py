# s2sgrad: emit odd_powers --wrt x --signature "steps=6"
"""continue: the rest of the iteration is guarded by a flag."""
import numpy as np


def odd_powers(x: "float64[n]", steps: int):
    s = 0.0
    for i in range(steps):
        if i % 2 == 0:
            continue
        s = s + np.sum(x ** i) / i
    return s
