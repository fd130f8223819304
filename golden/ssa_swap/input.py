# s2sgrad: emit fib --wrt a,b
"""Out of SSA: loop-carried values swapped in one tuple assignment (Fibonacci).
The back edge is a parallel copy: both new values are computed from the old
ones before either name is rebound."""
import numpy as np


def fib(a: float, b: float):
    for i in range(2):
        a, b = b, a + b
    return a * b
