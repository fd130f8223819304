"""Logistic regression: mean binary cross-entropy with L2 regularisation.

    s2sgrad emit examples/logistic.py::loss --wrt w,b -o logistic_grad.py
"""

import numpy as np


def loss(w: "float64[d]", b: "float64", X: "float64[n, d]", y: "float64[n]", lam: float):
    z = X @ w + b
    # log(1 + exp(-z)) for y = 1 and log(1 + exp(z)) for y = 0, stably
    nll = np.logaddexp(0.0, z) - y * z
    return np.mean(nll) + lam * np.sum(w * w)
