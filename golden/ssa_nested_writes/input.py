# s2sgrad: emit writes --wrt w
"""Out of SSA: writes into one array in nested loops, then a read of all of it;
the reverse sweep reads each adjoint before the write that zeroes it."""
import numpy as np


def writes(w: float):
    y = np.zeros((2, 3))
    for i in range(2):
        for j in range(2):
            y[0, 0] = w
        y[1] = w * w
    return np.sum(y)
