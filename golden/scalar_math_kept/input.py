# s2sgrad: emit kept --wrt x
"""Where math would change what the code does, np.<name> stays (passes/pymath.py): a
Python float divided by a Python float zero raises where NumPy's float64 gives inf (a);
a NumPy float64 makes a float32 array's product float64, a Python float does not (b);
a value compared, or carried out of a branch, is NumPy's float64 in Python (c). Only
np.sin(3.0 * x), read by * and + alone, is math's (d)."""
import numpy as np


def kept(x: float, v: "float32[n]"):
    a = 1.0 / np.sin(x)
    b = np.sum(v * np.cos(x))
    c = np.exp(x)
    if c > 2.0:
        c = c * 2.0
    d = np.sin(3.0 * x)
    return a + b * b + c + d * d
