# s2sgrad: emit loss --wrt params
"""An MLP whose parameters are a dict, with a list of layers inside it (pytrees): the
gradient has the argument's structure; the loss also returns metrics (a dict)."""
import numpy as np


def loss(params: {"layers": [("float64[d, h]", "float64[h]"), ("float64[h, k]", "float64[k]")],
                  "scale": "float"},
         x: "float64[n, d]", y: "float64[n, k]"):
    h = x
    for W, b in params["layers"]:
        h = np.tanh(h @ W + b)
    err = h * params["scale"] - y
    return np.mean(err ** 2)
