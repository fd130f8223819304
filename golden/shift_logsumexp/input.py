# s2sgrad: emit lse --wrt x
"""Shift invariance (passes/shift.py): the stabilising max of a logsumexp gets no gradient.
The result does not depend on m, so its adjoint (a mask of the maxima, their count) is
exactly zero and is not computed: the gradient is exp(x - m) / sum, as by hand."""

import numpy as np


def lse(x: "float64[n, k]"):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1)))
