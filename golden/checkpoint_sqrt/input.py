# s2sgrad: emit loss --wrt Wx,Wh,b --checkpoint sqrt
"""checkpoint="sqrt": the RNN's loop keeps its hidden state every k ~ sqrt(T) steps
(snapshots), and the reverse sweep, a segment at a time from the last, runs the
segment's steps again from its snapshot, taping them, then its backward body."""
import numpy as np


def loss(xs: "float64[T, d]", h0: "float64[h]", Wx: "float64[d, h]", Wh: "float64[h, h]",
         b: "float64[h]"):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h ** 2)
