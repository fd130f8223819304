# s2sgrad: emit loss --wrt x,w,k
"""Products with one folded (passes/ones.py): the gradient of sum(t * w) with respect to
w is t itself, not t * 1.0 (a pass over memory); 1.0 * mask, a float of booleans, stays."""
import numpy as np


def loss(x: "float64[n]", w: "float64[n]", k: "float64"):
    t = np.sin(x)
    mask = x > 0.0
    return np.sum(t * w) + np.sum(mask * k)
