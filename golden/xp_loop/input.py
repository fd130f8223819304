# s2sgrad: emit rnn --wrt W,h0 --xp
# A loop in array-API code: its tape a Python list (no rows written into a preallocated
# array), no in-place updates (`d_h = d_h * ...`, never `*=`), transposes spelled .T.
import numpy as np


def rnn(xs: "float64[t, n]", W: "float64[n, n]", h0: "float64[n]"):
    h = h0
    for i in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[i])
    return np.sum(h * h)
