# s2sgrad: emit f --wrt x --mode fwd
"""Forward mode through a list built with append and a helper returning a tuple: the
tangent of a list is the list of its items' tangents, appended beside them."""
import numpy as np


def split(v):
    return np.sin(v), v * v


def f(x: "float64[n]"):
    out = []
    for i in range(3):
        a, b = split(x * i)
        out.append(a + b)
    return np.sum(np.stack(out)) + sum(np.sum(v) for v in out)
