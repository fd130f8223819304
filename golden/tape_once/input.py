# s2sgrad: emit f --wrt x,w
"""A loop tape holds each value once and only what the reverse sweep reads: x is taped as
it enters each step; sin(x) is recomputed from it in the backward body (an elementwise op
of a taped value), and the step's result, the next step's x, is carried back from the
pop before (the loop's result for the last step), never taped twice."""
import numpy as np


def f(x: "float64[n]", w: "float64[n]"):
    for i in range(6):
        x = np.sin(x) * w
    return np.sum(x)
