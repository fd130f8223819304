# s2sgrad: emit weighted
"""Integer values are constant: counts and 2 * counts get None, x gets 2 * counts."""
import numpy as np
import s2sgrad


@s2sgrad.function
def weighted(x: "float64[n]", counts: "int64[n]"):
    w = 2 * counts
    total = np.sum(x * w)
    return s2sgrad.gradients(total, [x, w, counts])
