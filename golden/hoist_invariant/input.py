# s2sgrad: emit loss --wrt Wx,U,Wh
"""Loop-invariant hoisting (passes/hoist_invariant.py): t reads the rows of xs in order,
one a trip, and Wx and U do not change in the loop, so `xs[t] @ Wx` and `U @ xs[t]` are
the rows of `xs @ Wx` and `xs @ U.T`, each computed once before the loop. (Only in a
gradient: the products round differently, and the loss itself is not returned here.)"""
import numpy as np


def loss(xs: "float64[T, d]", h0: "float64[h]", Wx: "float64[d, h]", U: "float64[h, d]",
         Wh: "float64[h, h]"):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + U @ xs[t] + h @ Wh)
        total = total + np.sum(h * h)
    return total
