# s2sgrad: emit layer_vjp
"""grad_ys: the cotangent g weights y, so the result is a vector-Jacobian product."""
import numpy as np
import s2sgrad


@s2sgrad.function
def layer_vjp(x: "float64[n, d]", W: "float64[d, k]", g: "float64[n, k]"):
    y = np.tanh(x @ W)
    return s2sgrad.gradients([y], [x, W], grad_ys=[g])
