# s2sgrad: emit f --wrt x
"""len() of an array made in the function: np.shape(h) reads h under its source
name (it once read the temporary h had before it was named, never defined)."""
import numpy as np


def f(x: "float64[n]"):
    h = np.zeros((len(x), 2))
    return np.sum(x) * len(h)
