# s2sgrad: emit backprop
"""SPEC seed example: the gradients list unpacked into two names."""
import numpy as np
import s2sgrad


@s2sgrad.function
def backprop():
    Ws = np.float64(0.)
    bs = 2 * Ws
    cost = Ws + bs
    dCost_dW, dCost_db = s2sgrad.gradients(cost, [Ws, bs])
    return dCost_dW, dCost_db
