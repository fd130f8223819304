# s2sgrad: emit f --wrt x
"""enumerate(zip(xs, ys)) and enumerate(xs, start): a loop over an index reading each
sequence's row; with a start, the first statement of the body binds the index the source
names (i = k + 1), which is then read after the loop as a name the loop assigns first."""
import numpy as np


def f(x: "float64[n, 3]", y: "float64[n, 3]"):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, reversed(y)), 1):
        s = s + i * np.sum(a * b)
    return s * i
