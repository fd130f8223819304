# s2sgrad: emit heads --wrt q,k
"""Attention-style scores: split into heads with reshape, permute with transpose."""
import numpy as np


def heads(q: "float64[4, 6]", k: "float64[4, 6]"):
    qh = np.transpose(q.reshape(4, 2, 3), (1, 0, 2))
    kh = np.transpose(k.reshape(4, 2, 3), (1, 2, 0))
    scores = qh @ kh
    flat = np.reshape(scores, (2, 16))
    return np.sum(np.tanh(flat.T))
