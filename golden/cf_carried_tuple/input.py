# s2sgrad: emit oscillator --wrt x0,v0,k --signature "steps=8"
"""A tuple carried through a loop (element by element) and merged by a branch."""
import numpy as np


def oscillator(x0: "float64[n]", v0: "float64[n]", k: float, steps: int):
    state = (x0, v0)
    for i in range(steps):
        x, v = state
        state = (x + 0.1 * v, v - 0.1 * k * x)
    x, v = state
    if np.sum(x) > 0:
        pair = (x * 2.0, v)
    else:
        pair = (x, v * 3.0)
    a, b = pair
    return np.sum(a * a + b)
