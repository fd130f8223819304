"""Custom rules: a gradient for a function of your own, and for a NumPy function
s2sgrad has no rule for.

`safe_log` clamps its argument away from zero; its rule says what the gradient is
(the clamp's own derivative, 0 below 1e-300, is not what a fit wants). `np.sinc` has
no built-in rule in s2sgrad: `register_gradient` gives it one. Both rules are plain
NumPy, and the generated module copies them in: it runs without s2sgrad.

A Poisson fit of photon counts `y` at positions `t` to the diffraction pattern
`a * sinc(w t)**2 + 0.1`:

    s2sgrad emit examples/custom_rules.py::loss --wrt a,w -o examples/custom_rules_grad.py
"""

import numpy as np
import s2sgrad


@s2sgrad.custom_vjp
def safe_log(x):
    return np.log(np.maximum(x, 1e-300))


@safe_log.defvjp
def _(g, ans, x):
    return (g / np.maximum(x, 1e-300),)


@s2sgrad.register_gradient(np.sinc)
def _(g, ans, x):
    return (g * (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x),)


def loss(a: float, w: float, t: "float64[n]", y: "float64[n]"):
    """The Poisson negative log-likelihood (up to a constant) of counts y."""
    rate = a * np.sinc(w * t) ** 2 + 0.1
    return np.sum(rate - y * safe_log(rate))


def fit(t, y, a=10.0, w=1.2, steps=1000, lr=0.02):
    """Plain gradient descent (w's step scaled down: the loss is steep in w)."""
    step = s2sgrad.value_and_grad(loss, ("a", "w"))
    for _ in range(steps):
        value, (d_a, d_w) = step(a, w, t, y)
        a, w = a - lr * d_a, w - lr * 0.002 * d_w
    return a, w, value


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    t = np.linspace(-3.0, 3.0, 61)
    y = rng.poisson(20.0 * np.sinc(1.3 * t) ** 2 + 0.1).astype(float)
    a, w, value = fit(t, y)
    print(f"a = {a:.2f} (true 20), w = {w:.3f} (true 1.3), loss {value:.2f}")
