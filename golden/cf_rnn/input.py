# s2sgrad: emit loss --wrt Wx,Wh,b,Wy
"""examples/rnn.py: the hidden state is carried through the loop though it is neither an x nor
a result the loss reads after the loop; its adjoint must still flow backwards step by step."""
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
