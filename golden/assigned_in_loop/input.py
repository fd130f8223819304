# s2sgrad: emit f --wrt x --signature "x: float64[n], n: int"
"""A name the loop's body assigns first (no value before the loop), read after the loop:
carried from a zero never read, its read checked as the loop index's is (_loop_index:
Python's UnboundLocalError when the loop ran no time), the gradient flowing through it."""
import numpy as np


def f(x, n):
    s = 0.0
    for t in range(n):
        h = np.tanh(x * t + s)
        s = s + np.sum(h)
    return s + np.sum(h ** 2)
