# s2sgrad: emit loss --wrt W1,W2
"""In-place updates of temporaries that die (out_of_ssa.py, `_augmented`): `d_h = d_h * (1 -
h * h)` is written `d_h *= 1.0 - h * h` when nothing reads the old d_h's array later, and an
adjoint summed into a dying one is `d_W1 += ...`; the user's `x = x + ...` on an array the
function made is `x += ...`. The argument W1 is never written (`W1 + ...` makes a new array),
and neither is an array still read later."""

import numpy as np


def loss(x: "float64[n, d]", W1: "float64[d, h]", W2: "float64[h, k]"):
    h = np.tanh(x @ W1)
    out = h @ W2
    out = out + 0.5 * out ** 2
    return np.sum(out ** 2) + np.sum(W1 ** 2) + np.sum(h)
