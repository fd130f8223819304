# s2sgrad: emit rollout --wrt h0,W --signature "steps=4"
"""A helper called inside a loop: each iteration's back function goes on the tape."""
import numpy as np


def cell(h, W):
    return np.tanh(W @ h) + 0.5 * h


def rollout(h0: "float64[n]", W: "float64[n, n]", steps: int):
    h = h0
    for t in range(steps):
        h = cell(h, W)
    return np.sum(h * h)
