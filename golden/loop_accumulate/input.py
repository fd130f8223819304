# s2sgrad: emit loss --wrt Wx,Wh,b,v
"""Loop accumulation (passes/loop_accumulate.py). Each backward step of `x @ W` adds an
outer product into d_W; instead the loop stacks the factors by t (`dz[t] = ...`) and one
matmul after it sums them. xs, read in order by t with one row a trip, is its own stack
(`xs.T @ dz`); d_b, a sum of rows stacked anyway, is one sum; d_v, a scalar times a vector
at each step, one vector-matrix product."""
import numpy as np


def loss(xs: "float64[T, d]", h0: "float64[h]", Wx: "float64[d, h]", Wh: "float64[h, h]",
         b: "float64[h]", v: "float64[h]"):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        total = total + np.sin(h @ v)
    return total
