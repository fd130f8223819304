# s2sgrad: emit features --wrt x --signature "k=2"
"""Basic indexing: ints (negative too), slices with steps, `...`, None, a static
int in a slice bound, and an int known only at run time. The reverse sweep
adds each read's cotangent into d_x where it was read."""
import numpy as np


def features(x: "float64[6, 4]", k: int):
    last = x[-1]
    head = x[1:k + 2, ::2]
    flipped = x[::-1, -2]
    col = x[..., None, 0]
    i = np.argmax(last)
    best = x[:, i]
    return np.sum(np.sin(head)) + np.sum(last * flipped[:4]) + np.sum(col ** 2) * np.sum(best)
