# s2sgrad: emit nested --wrt x --signature "n=3, m=2"
"""Nested loops: the inner loop's tape is itself saved on the outer loop's tape."""
import numpy as np


def nested(x: "float64[k]", n: int, m: int):
    acc = np.zeros_like(x)
    for i in range(n):
        y = x * 1.0
        for j in range(m):
            y = np.sin(y) + x
        acc = acc + y * y
    return np.sum(acc)
