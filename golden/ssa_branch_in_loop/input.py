# s2sgrad: emit piecewise_loop --wrt h,w
"""Out of SSA: a branch inside a loop reassigns the carried value in each
branch; the reverse sweep must not overwrite an adjoint another still reads."""
import numpy as np


def piecewise_loop(h: float, w: float):
    for t in range(1):
        if h > 0.0:
            h = h * 2.0
        else:
            h = h * 0.5 + w
    return h
