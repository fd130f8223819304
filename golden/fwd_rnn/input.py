# s2sgrad: emit loss --wrt Wx,Wh --mode fwd
"""Forward mode of an RNN: the tangents of the hidden state carried beside it through the
loop (no tape), the loss's tangent summed as the loss is."""
import numpy as np


def loss(xs: "float64[T, d]", h0: "float64[h]", Wx: "float64[d, h]", Wh: "float64[h, h]",
         ys: "float64[T]"):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh)
        total = total + (np.sum(h) - ys[t]) ** 2
    return total / xs.shape[0]
