# s2sgrad: emit predict --wrt params --mode fwd
"""Forward mode through a pytree: the tangent of params is a dict of its leaves' tangents;
the int leaf 'steps' is static (a constant of the specialisation), as in reverse mode."""
import numpy as np


def predict(params: {"W": "float64[d, h]", "b": "float64[h]", "steps": 2},
            x: "float64[n, d]"):
    h = x @ params["W"] + params["b"]
    for _ in range(params["steps"]):
        h = np.tanh(h)
    return np.sum(h ** 2)
