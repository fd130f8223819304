# s2sgrad: emit example
"""SPEC seed example: partial derivatives, both a and b in stop_gradients."""
import numpy as np
import s2sgrad


@s2sgrad.function
def example():
    a = np.float64(0.)
    b = 2 * a
    return s2sgrad.gradients(a + b, [a, b], stop_gradients=[a, b])
