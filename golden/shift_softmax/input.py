# s2sgrad: emit softmax_xent --wrt z
"""Shift invariance (passes/shift.py): softmax e / sum(e) with e = exp(z - m) does not
depend on m; the cross-entropy's gradient has no adjoint of the max."""

import numpy as np


def softmax_xent(z: "float64[n, k]", y: "float64[n, k]"):
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    p = e / np.sum(e, axis=1, keepdims=True)
    return -np.mean(np.sum(y * np.log(p), axis=1))
