# s2sgrad: emit f --wrt x,w --mode fwd --signature "x: float64[n], w: float"
"""Forward mode through a call of the user's function (its own jvp_dense, once), a branch
(both arms yield a tangent) and a while loop to tolerance (its tangent carried along)."""
import numpy as np


def dense(x, w):
    return np.tanh(x * w + 0.1)


def f(x, w):
    y = dense(x, w)
    if np.sum(y) > 0.0:
        z = y * w
    else:
        z = np.cos(y)
    r = np.ones_like(x)
    while np.max(np.abs(r * r - (z * z + 1.0))) > 1e-12:
        r = 0.5 * (r + (z * z + 1.0) / r)
    return np.sum(r * x)
