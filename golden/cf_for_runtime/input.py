# s2sgrad: emit decay --wrt x,rate
"""A for loop whose trip count is a runtime value (the length of x)."""
import numpy as np


def decay(x: "float64[n]", rate: float):
    acc = np.zeros_like(x)
    for i in range(x.shape[0]):
        acc = acc * rate + np.tanh(x * i)
    return np.sum(acc)
