# s2sgrad: emit layer --wrt W,V,U,e
"""A temporary that the other operand broadcasts into gets a name and is updated in
place (`z = x @ W; z += b`): NumPy reuses a dying temporary by itself only when the
other operand is a number or has its shape (`x @ U * 2.0 + y` stays one line), and a
new array costs its page faults on every call. A small array of known shape keeps
its expression (below NumPy's own 256 kB bound)."""
import numpy as np


def layer(x: "float64[n, d]", W: "float64[d, k]", V: "float64[d, k]", U: "float64[d, k]",
          b: "float64[k]", s: "float64[n, 1]", y: "float64[n, k]", c: "float64[3, 4]",
          e: "float64[4]"):
    z = x @ W + b
    u = (x @ V) * s
    v = x @ U * 2.0 + y
    w = c * 2.0 - e
    return np.sum(np.tanh(z) * u * v) + np.sum(w * w * e)
