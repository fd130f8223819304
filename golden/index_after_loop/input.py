# s2sgrad: emit f --wrt x --signature "x: float64[n], n: int"
"""The loop index read after the loop: the last index (also after `break`), and, when the
loop may run no time and nothing bound the name before it, Python's UnboundLocalError
raised at the read (_loop_index)."""
import numpy as np


def f(x, n):
    for i in range(n):
        x = x * 0.9
    for j in range(1, n):
        if np.sum(x) > 2.0:
            break
        x = np.sin(x) + j
    return np.sum(x) * i + j
