# s2sgrad: emit f --wrt x --mode fwd --xp
# Forward mode as array-API code: jvp_f(x, w, d_x) -> (out, d_out).
import numpy as np


def f(x: "float64[n, k]", w: "float64[k]"):
    y = np.sin(x) * w + np.sqrt(np.exp(x))
    return np.mean(np.square(y).sum(axis=1))
