# s2sgrad: emit f --wrt x
"""A name only one branch of an `if` binds, with nothing bound before: the `if` yields
its value (a zero of its type where it is unbound, never read) and whether it is bound
(`y_bound`); each read checks the flag, as Python raises UnboundLocalError there."""
import numpy as np


def f(x: "float64[n]"):
    c = np.sum(x) > 0.0
    if c:
        y = np.tanh(x)
    s = np.sum(x * x)
    if c:
        s = s + np.sum(y * x)
    return s
