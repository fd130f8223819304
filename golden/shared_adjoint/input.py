# s2sgrad: emit mix_grads
"""Two xs with one adjoint (c = a + b) get two arrays; user names t and c are kept."""
import numpy as np
import s2sgrad


@s2sgrad.function
def mix_grads(a: "float64[n]", b: "float64[n]", w: "float64[n]"):
    c = a + b
    t = np.tanh(c)
    return s2sgrad.gradients(np.sum(t * w), [a, b, w])
