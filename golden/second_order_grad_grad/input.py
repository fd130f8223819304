# s2sgrad: emit logistic_nll --wrt w --order 2
"""Grad of grad on the IR (s2sgrad.grad(s2sgrad.grad(f)), here from the command
line): the curvature of a 1-D logistic loss in its weight, for a Newton step.
d/dw = -sum(x * sigmoid(-w x)), d2/dw2 = sum(x**2 * sigmoid(w x) * sigmoid(-w x))."""
import numpy as np


def logistic_nll(w: float, x: "float64[n]"):
    z = w * x
    return np.sum(np.log(1.0 + np.exp(-z)))
