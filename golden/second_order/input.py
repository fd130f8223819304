# s2sgrad: emit cube_curvature
"""Second order: gradients of a gradient. y = x**3, dy = 3x**2, d(sum dy)/dx = 6x."""
import numpy as np
import s2sgrad


@s2sgrad.function
def cube_curvature(x: "float64[n]"):
    y = x ** 3
    (dy,) = s2sgrad.gradients(y, [x])
    (d2y,) = s2sgrad.gradients(np.sum(dy), [x])
    return dy, d2y
