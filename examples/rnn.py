"""A recurrent network over a sequence: squared error of a scalar read-out at
every step.

    s2sgrad emit examples/rnn.py::loss --wrt Wx,Wh,b,Wy -o examples/rnn_grad.py
"""

import numpy as np


def loss(xs: "float64[T, d]", h0: "float64[h]", Wx: "float64[d, h]", Wh: "float64[h, h]",
         b: "float64[h]", Wy: "float64[h]", ys: "float64[T]"):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        y = h @ Wy
        total = total + (y - ys[t]) ** 2
    return total / xs.shape[0]
