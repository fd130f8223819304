# s2sgrad: emit g --wrt x,w
"""A negation the forward reads pulled out of a product of the gradient
(passes/negation.py): the adjoint of w in `n * w` is `_d0 * n`, n = -x; summed into d_w it
is subtracted, `d_w -= _d0` with `_d0 *= x`: the same number (IEEE products round the
magnitude, the sign is exact), no pass added."""

import numpy as np


def g(x: "float64[n]", w: "float64[n]"):
    n = -x
    a = np.exp(n * w)
    return np.sum(a * w + x * n)
