# s2sgrad: emit rollout --wrt W,U
"""Loop accumulation over range(steps), a runtime int: the stacks have max(steps, 0) rows
(range of a negative count runs no time, and so gives empty stacks, whose products are
zeros). xs has rows the loop may not read, so its rows are stacked as the loop reads them."""
import numpy as np


def rollout(xs: "float64[T, d]", h0: "float64[h]", W: "float64[d, h]", U: "float64[h, h]",
            steps: int):
    h = h0
    for t in range(steps):
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h * h)
