# s2sgrad: emit affine_grads
"""gate_gradients=True: each op's input gradients are computed together, one tuple assignment."""
import numpy as np
import s2sgrad


@s2sgrad.function
def affine_grads(x: "float64[n, d]", W: "float64[d, k]", b: "float64[k]"):
    z = x @ W + b
    loss = np.sum(z * z)
    return s2sgrad.gradients(loss, [W, b], gate_gradients=True)
