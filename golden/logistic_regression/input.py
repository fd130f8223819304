# s2sgrad: emit nll --wrt w,b
"""Logistic regression: mean binary cross-entropy through the sigmoid, with L2."""
import numpy as np


def nll(w: "float64[d]", b: float, X: "float64[n, d]", y: "float64[n]", lam: float):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    ce = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))
    return np.mean(ce) + lam * np.sum(w ** 2)
