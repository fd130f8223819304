"""Newton's method until tolerance: the cube roots of c, and their sum.

The gradient flows through every iteration the solver took; at convergence
it approaches the implicit-function answer d(c ** (1/3))/dc = 1 / (3 x**2).

    s2sgrad emit examples/newton.py::cube_root_sum --wrt c -o examples/newton_grad.py
"""

import numpy as np


def cube_root_sum(c: "float64[n]", tol: float):
    x = np.ones_like(c)
    while np.max(np.abs(x ** 3 - c)) > tol:
        x = x - (x ** 3 - c) / (3.0 * x ** 2)
    return np.sum(x)
