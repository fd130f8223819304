# s2sgrad: emit
"""Hessian-vector product by nested gradients (as with nested tf.gradients):
the gradient of <grad f(x), v> is H v, without forming H. f is logsumexp, whose
Hessian diag(p) - p p^T (p = softmax(x)) is not diagonal."""
import numpy as np
import s2sgrad


@s2sgrad.function
def hvp(x: "float64[n]", v: "float64[n]"):
    f = np.log(np.sum(np.exp(x)))
    (g,) = s2sgrad.gradients(f, [x])
    (hv,) = s2sgrad.gradients(np.sum(g * v), [x])
    return hv
