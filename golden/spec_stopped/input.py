# s2sgrad: emit stopped
"""SPEC seed example: stop_gradient calls give the same partial derivatives."""
import numpy as np
import s2sgrad


@s2sgrad.function
def stopped():
    a = s2sgrad.stop_gradient(np.float64(0.))
    b = s2sgrad.stop_gradient(2 * a)
    return s2sgrad.gradients(a + b, [a, b])
