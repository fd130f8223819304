# s2sgrad: emit
"""`s2sgrad emit FILE`: every decorated function of the file, in one module."""
import numpy as np
import s2sgrad


@s2sgrad.function
def huber_grad(r: "float64[n]", delta: float):
    a = np.abs(r)
    quad = np.minimum(a, delta)
    loss = np.sum(0.5 * quad ** 2 + delta * (a - quad))
    return s2sgrad.gradients(loss, [r])


@s2sgrad.function
def rmse_grad(pred: "float64[n]", y: "float64[n]"):
    loss = np.sqrt(np.mean((pred - y) ** 2))
    return s2sgrad.gradients(loss, [pred, y])
