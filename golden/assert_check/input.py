# s2sgrad: emit f --wrt x
"""`assert`: a test true at transform time (x.ndim == 1 of a 1-d x) is gone; any other
is a check where the source has it (`_assert(test, message)`), in the loop too, raising
Python's AssertionError where the test is false."""
import numpy as np


def f(x: "float64[n]", n: int):
    assert x.ndim == 1, "a vector"
    s = 0.0
    for i in range(n):
        assert np.all(np.isfinite(x)), "finite"
        s = s + np.sum(np.sin(x) * i)
    assert s < 1e6
    return s
