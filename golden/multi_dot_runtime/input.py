# s2sgrad: emit f --wrt a,b,c
"""np.linalg.multi_dot of three arrays whose sizes are known only at run time: NumPy's own
cost test picks the grouping there (an if on the shapes), so the value is NumPy's bit for
bit; np.stack along the last axis is written as np.stack (a C-ordered array, whose sum
adds in NumPy's order)."""
import numpy as np


def f(a: "float64[n, k]", b: "float64[k, m]", c: "float64[m, p]"):
    y = np.linalg.multi_dot([a, b, c])
    return np.sum(np.stack([y, y * y], axis=-1) * np.array([1.0, 0.5]))
