# s2sgrad: emit log_softmax_xent --wrt z,v
"""Shift invariance (passes/shift.py): s - log(sum(exp(s))) with s = z - max(z) (log-softmax),
and a vector's logsumexp with a scalar shift (axis=None), in one function."""

import numpy as np


def log_softmax_xent(z: "float64[n, k]", y: "float64[n, k]", v: "float64[k]"):
    s = z - np.max(z, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    c = np.max(v)
    lse_v = c + np.log(np.sum(np.exp(v - c)))
    return -np.mean(np.sum(y * logp, axis=1)) + lse_v
