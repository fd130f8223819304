# s2sgrad: emit loss --wrt W,M
"""What passes/loop_stack.py leaves alone. The first loop starts at 1, and the second
runs a number of trips known only at run time (n may be negative): their carries stay
on the tape. In the third, g * M broadcasts a row against a matrix (an (h, h) value a
trip, which a batch over the rows would not be): it stays in the reverse loop, while
g's rows are stacked and the cosines of them computed at once."""
import numpy as np


def loss(x: "float64[h]", W: "float64[h, h]", M: "float64[h, h]", n: "int"):
    h = x
    for t in range(1, n):
        h = np.tanh(W @ h)
    for t in range(n):
        h = np.tanh(h @ W)
    g = x
    for t in range(x.shape[0]):
        g = np.sin(g) + np.sum(g * M, axis=0)
    return np.sum(h) + np.sum(g)
