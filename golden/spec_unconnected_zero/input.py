# s2sgrad: emit unconnected --signature "use_zero=True"
"""SPEC seed example: an x that reaches no y, specialised for use_zero=True."""
import numpy as np
import s2sgrad


@s2sgrad.function
def unconnected(use_zero):
    a = np.ones([1, 2])
    b = np.ones([3, 1])
    if use_zero:
        return s2sgrad.gradients([b], [a], unconnected_gradients='zero')
    else:
        return s2sgrad.gradients([b], [a], unconnected_gradients='none')
