# s2sgrad: emit f --wrt x,W
"""A list built with append in a loop (in a branch too), read by np.stack, sum, len,
indexing and iteration. The list's adjoint is the array adjoint of np.array(hs): the
reverse of an append takes its last row."""
import numpy as np


def f(x: "float64[n]", W: "float64[n, n]"):
    hs = [x]
    for t in range(4):
        h = np.tanh(W @ hs[-1] + x)
        hs.append(h)
        if np.sum(h) > 0.0:
            hs.append(h * 0.5)
    total = 0.0
    for h in hs:
        total = total + np.sum(h ** 2)
    return total + np.sum(np.stack(hs)[1:] * x) + np.sum(sum(hs)) / len(hs)
