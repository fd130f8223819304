# s2sgrad: emit f --wrt x,a
"""A lambda bound to a local name, inlined at each call; it reads the function's variables
as they are when it is called (late binding), as Python does."""
import numpy as np


def f(x: "float64[n]", a: float):
    sq = lambda v: v * v * a  # noqa: E731
    scale = 2.0
    wave = lambda v, w: np.sin(v) * scale + w  # noqa: E731
    s = np.sum(sq(x))
    scale = 3.0
    for i in range(2):
        s = s + np.sum(wave(x, w=s))
    return s
