# s2sgrad: emit loss --wrt x --signature "x: float64[3]"
"""Module-level arrays as constants, frozen when the function is transformed, written into
the generated module as module constants (the command line evaluates np.array, np.eye,
np.arange ... of literals)."""
import numpy as np

W = np.array([[0.5, -1.25, 2.0], [0.1, 0.2, 0.3]])
IDX = np.array([2, 0, 1])
B = np.zeros(2, dtype=np.float32)


def loss(x):
    h = np.tanh(W @ x[IDX] + B)
    return np.sum(h * h)
