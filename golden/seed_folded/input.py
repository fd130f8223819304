# s2sgrad: emit loss --wrt w,b
"""Folded seeds and counts (ir/builder.py): the seed 1.0 is not multiplied through
(d_ys * lam is lam), np.size of a temporary is read off a parameter of the same shape (so
the forward work that made it is not kept), and a negation of a broadcast scalar is the
broadcast of its negation (passes/broadcast.py), so no array is negated."""

import numpy as np


def loss(w: "float64[d]", b: "float64", X: "float64[n, d]", y: "float64[n]", lam: float):
    z = X @ w + b
    nll = np.logaddexp(0.0, z) - y * z
    return np.mean(nll) + lam * np.sum(w * w)
