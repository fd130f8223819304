# s2sgrad: emit f --wrt s,w,x,v
"""float32 and float64 side by side: each gradient has its x's dtype. The float32
scalar s gets np.float32(d_ys) (d_ys is a Python float, which has no .astype); v's
gradient is np.broadcast_to(d_ys, ...) * x, a float64 array (1.0 * x is float32)."""
import numpy as np


def f(s: "float32", w: "float64", x: "float32[n]", v: "float64[n]"):
    return s + w + np.sum(x * v)
