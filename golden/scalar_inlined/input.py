# s2sgrad: emit scalar --wrt x,y,z
"""Scalars printed where they are read (out_of_ssa.py, `inlined`): in a reverse sweep,
a number used once -- a temporary, an adjoint (`_d4 = b * _t1`, `d_x_1 = _d4 *
math.cos(x)`), the seed 1.0 (`1.0 / (1.0 + y * y)`, not `d_ys / _t3`) -- is written
inside the expression that reads it, across the comments' groups, since an expression
of numbers keeps no array alive longer. The same operations in the same order: the
same floats. The gradients handed back keep their names (`# gradients of the xs`)."""
import numpy as np


def scalar(x: float, y: float, z: float):
    a = np.sin(x) * np.cos(y)
    b = np.exp(-z * z)
    c = np.tanh(x * y + z)
    return a * b + c * x + np.log(1.0 + y * y)
