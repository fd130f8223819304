# s2sgrad: emit mlp --xp
# The MLP of tools/workloads.py, as array-API code: its namespace taken from its arrays.
import numpy as np


def mlp(x: "float64[n, d]", W1: "float64[d, h]", b1: "float64[h]",
        W2: "float64[h, k]", b2: "float64[k]", labels: "float64[n, k]"):
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    z = logits - np.max(logits, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * labels, axis=1))
