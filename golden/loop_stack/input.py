# s2sgrad: emit loss --wrt Wx,Wh,v
"""Stacked carries (passes/loop_stack.py). The h each trip starts from is written into
h_steps (T + 1 rows) instead of a tape: the reverse loop reads h_in[t] (the h a trip
started from) and h_out[t] (the h it ended with) and carries nothing down. What the
sweep computes from rows alone is computed once for all the rows: the error each step
read out (only the tape needed it: it goes after the forward loop), tanh's derivative
1 - h * h and the sine's cos before the reverse loop. The weight gradients are then
contractions of h_in and h_out (passes/loop_accumulate.py)."""
import numpy as np


def loss(xs: "float64[T, d]", h0: "float64[h]", Wx: "float64[d, h]", Wh: "float64[h, h]",
         v: "float64[h]", ys: "float64[T]"):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh)
        err = np.sin(h) @ v - ys[t]
        total = total + err * err
    return total
