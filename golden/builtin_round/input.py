# s2sgrad: emit f --wrt x,y
"""Python's round(): of a number, an int; with ndigits, a number of its operand's type (a
Python float rounds by its decimal value: round(2.675, 2) is 2.67). A step function: no
gradient flows through it."""
import numpy as np


def f(x: float, y: "float64[n]"):
    step = round(x, 1)
    k = round(x * 3)
    return step * np.sum(y) + k * x
