# s2sgrad: emit f
"""np.sum(x, where=mask) and np.mean(x, where=mask): the call itself (`sum_where`: NumPy
adds the kept elements one after another, where the sum of np.where(mask, x, 0) adds
pairwise, another value in the last bit); its gradient is the seed where the mask holds."""
import numpy as np


def f(x: "float64[n, m]"):
    kept = np.sum(np.sin(x), where=x > 0)
    rows = np.mean(x * x, axis=1, where=x < 1.0)
    return kept + np.sum(rows)
