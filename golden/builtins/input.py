# s2sgrad: emit stats --wrt x,y
"""Python builtins a NumPy user writes: len, float, abs, min and max of two scalars."""
import numpy as np


def stats(x: "float64[n]", y: float):
    m = np.sum(x) / len(x)
    spread = abs(np.max(x) - m)
    lo = min(m, y)
    hi = max(float(np.sum(x * x)), y)
    return spread * lo + hi
