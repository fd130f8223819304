# s2sgrad: emit loss32 --wrt W,b
"""float32 inputs: gradients keep float32 (the 0.5 and the Python scalars stay weak)."""
import numpy as np


def loss32(x: "float32[n, d]", W: "float32[d, k]", b: "float32[k]", y: "float32[n, k]"):
    z = np.tanh(x @ W + b)
    return 0.5 * np.sum((z - y) ** 2)
