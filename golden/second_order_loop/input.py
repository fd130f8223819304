# s2sgrad: emit chain --wrt x --order 2
"""Grad of grad through a loop whose reverse reads nothing saved (c[t] and t are read
again): no tape, so the outer sweep differentiates the adjoint loop like any loop, and
its reverse runs forwards (the adjoint loop was reversed). s_T = sin(x) P_T + x sum_t t
prod_{u>t} c_u, f = s_T**2. A loop whose reverse needs a tape is refused at second order
in reverse mode (docs/limitations.md): hessian (forward over reverse) goes through it."""
import numpy as np


def chain(x: float, c: "float64[n]"):
    y = np.sin(x)
    s = y
    for t in range(c.shape[0]):
        s = s * c[t] + x * t
    return s * s
