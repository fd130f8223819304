# s2sgrad: emit
"""Second order through indexing: the gradient of a gather is a scatter
(index_add), whose gradient is a gather again."""
import numpy as np
import s2sgrad


@s2sgrad.function
def hvp(x: "float64[4]", v: "float64[4]"):
    y = np.sum(np.sin(x[[0, 2, 2]]) * x[1:])
    (d,) = s2sgrad.gradients(y, [x])
    (h,) = s2sgrad.gradients(np.sum(d * v), [x])
    return d, h
