# s2sgrad: emit scalars --wrt a,b,w
"""Lists and tuples of scalars given where NumPy takes an array: NumPy reads each
as np.array of its items, and so does s2sgrad. Each item gets its slice of the
stack's cotangent (`[0]`, `[1]`, ...), so np.sum([a, 3.0 * a]) has gradient 4, not 0."""
import numpy as np


def scalars(a: float, b: "float64[]", w: "float64[2]"):
    v = np.array([a * b, a, 1.0])
    u = np.asarray([a, b])
    total = np.sum([a, 3.0 * a]) + np.mean((a, a + 2.0)) + np.dot([a, 3.0 * a], w)
    return total + np.max([a, 3.0 * b]) * np.prod([a, b, 2.0]) + np.sum(v * v) + u @ w
