"""A classifier whose parameters are a dict (a pytree), trained with
value_and_grad(has_aux=True): the loss also returns its accuracy, not differentiated.

    python examples/classifier.py              # 200 steps of gradient descent
    s2sgrad emit examples/classifier.py::loss --wrt params --has-aux -o classifier_grad.py
"""

import numpy as np


def loss(params: {"W1": "float64[d, h]", "b1": "float64[h]",
                  "W2": "float64[h, k]", "b2": "float64[k]"},
         x: "float64[n, d]", labels: "float64[n, k]"):
    h = np.tanh(x @ params["W1"] + params["b1"])
    logits = h @ params["W2"] + params["b2"]
    z = logits - np.max(logits, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    value = -np.mean(np.sum(logp * labels, axis=1))
    accuracy = np.mean(np.argmax(logits, axis=1) == np.argmax(labels, axis=1))
    return value, {"accuracy": accuracy}


def data(n=128, seed=0):
    """Three classes of 4-vectors, not linearly separable, and a small initialisation."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    classes = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int) + (x[:, 3] > 1).astype(int)
    params = {"W1": rng.normal(size=(4, 16)) * 0.5, "b1": np.zeros(16),
              "W2": rng.normal(size=(16, 3)) * 0.5, "b2": np.zeros(3)}
    return params, x, np.eye(3)[classes]


def train(steps=200, rate=0.5):
    import s2sgrad
    params, x, labels = data()
    step = s2sgrad.value_and_grad(loss, has_aux=True)
    history = []
    for _ in range(steps):
        (value, aux), grads = step(params, x, labels)
        params = {k: params[k] - rate * grads[k] for k in params}
        history.append((value, aux["accuracy"]))
    return params, history


if __name__ == "__main__":
    _, history = train()
    for i in (0, 49, 99, 149, 199):
        print(f"step {i + 1:3d}: loss {history[i][0]:.4f}, accuracy {history[i][1]:.3f}")
