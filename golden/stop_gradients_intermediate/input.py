# s2sgrad: emit partial
"""stop_gradients=[h]: h = x * y is treated as a constant, so only the direct paths count."""
import numpy as np
import s2sgrad


@s2sgrad.function
def partial(x: "float64[n]", y: "float64[n]"):
    h = x * y
    z = np.sum(h * x + np.sin(y))
    return s2sgrad.gradients(z, [x, y, h], stop_gradients=[h])
