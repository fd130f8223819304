# s2sgrad: emit fixed_point --wrt a
"""Out of SSA: `prev = cur` in a while loop whose condition reads both: a
wrong copy order would also change the trip count."""
import numpy as np


def fixed_point(a: "float64[n]"):
    prev = a * 0.0
    cur = a * 0.5
    k = 0
    while np.max(np.abs(cur - prev)) > 1e-3 and k < 50:
        prev = cur
        cur = np.cos(cur) * 0.5 + a * 0.1
        k = k + 1
    return np.sum(cur * cur + prev)
