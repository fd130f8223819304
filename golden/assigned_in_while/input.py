# s2sgrad: emit f --wrt x
"""A name a while loop's body assigns first (no value before the loop), read after the
loop: the loop's test is read once more before it (`_t0`, a test with no effect), and
the read is checked against it as a range() loop's is (_loop_index: Python's
UnboundLocalError when the loop ran no time)."""
import numpy as np


def f(x: "float64[n]"):
    t = 1.0
    while np.sum(x) * t > 0.1:
        z = x * t
        t = t * 0.5
    return np.sum(z**2)
