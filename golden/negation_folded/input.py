# s2sgrad: emit f --wrt x
"""Negations folded into sums (passes/negation.py): the adjoint of -x * x reaches x
negated; summed with x's other adjoints it is subtracted (`... - _d1`), not negated
first. The seed 1.0 broadcast by np.sum and multiplied by x is x itself
(passes/broadcast.py)."""

import numpy as np


def f(x: "float64[n]"):
    a = np.sin(x)
    b = np.exp(-x * x)
    c = np.tanh(a * b + x)
    return np.sum(np.log1p(c * c) * x)
