# s2sgrad: emit last_index --wrt x --signature "n=3"
"""After a loop, its index holds the last iteration's value (and the index `break`
left at), as in Python; a loop that runs no time leaves it as it was."""
import numpy as np


def last_index(x: "float64[m]", n: int):
    i = 0
    for i in range(n):
        x = x * 0.5 + i
    k = -1
    for k in range(n):
        if np.sum(x) > 2.0:
            break
    j = 7
    for j in range(n, 0):
        x = x * 2.0
    return np.sum(x) * i + k + j
