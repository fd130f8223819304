# s2sgrad: emit f --wrt x
"""Names with no value before a loop that a nested loop or a branch in it assigns, read
after it: the loop carries each with whether it is bound (`last_bound`, `pos_bound`), and
the read after the loop checks that (_loop_index: Python's UnboundLocalError when no trip
bound it)."""
import numpy as np


def f(x: "float64[n]", m: int):
    for i in range(x.shape[0]):
        for j in range(m):
            last = np.sin(x) * (i + j)
        if x[i] > 0.0:
            pos = x[i] * last
    return np.sum(last**2) + np.sum(pos)
