# s2sgrad: emit recurrence --wrt x
"""Out of SSA: `prev, cur = cur, g(prev, cur)` (a two-term recurrence) and a
Chebyshev three-term recurrence T_{k+1} = 2 x T_k - T_{k-1}."""
import numpy as np


def recurrence(x: "float64[n]"):
    prev = x * 0.5
    cur = np.sin(x)
    for k in range(3):
        prev, cur = cur, np.tanh(prev * cur + x)
    t0 = np.ones_like(x)
    t1 = x
    for k in range(4):
        t0, t1 = t1, 2.0 * x * t1 - t0
    return np.sum(cur * prev) + np.sum(t1)
