# s2sgrad: emit total
"""SPEC seed example: total derivatives (a reaches a + b directly and through b)."""
import numpy as np
import s2sgrad


@s2sgrad.function
def total():
    a = np.float64(0.)
    b = 2 * a
    return s2sgrad.gradients(a + b, [a, b])
