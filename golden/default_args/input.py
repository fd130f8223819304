# s2sgrad: emit loss --wrt x,scale --signature "x: float64[n]"
"""The source's default values stay in the generated def (a parameter without an
annotation takes its literal default's type: a float, or a static int, bool or str)."""
import numpy as np


def loss(x, scale=2.0, power=2, act="tanh", shift=-0.5):
    y = np.tanh(x + shift) if act == "tanh" else x
    return np.sum(np.abs(y) ** power) * scale
