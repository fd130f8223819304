# s2sgrad: emit loss --wrt x,w --signature "x: float64[n], w: float64[n]"
"""Custom rules: a custom_vjp function of the user's, in a loop, and a NumPy function
s2sgrad has no rule for (np.hypot) registered with one; both rules are copied into the
generated module with the global they read (EPS)."""
import numpy as np
import s2sgrad

EPS = 1e-12


@s2sgrad.custom_vjp
def soft_abs(x):
    return np.sqrt(x * x + EPS)


@soft_abs.defvjp
def _(g, ans, x):
    return (g * x / ans,)


@s2sgrad.register_gradient(np.hypot)
def _(g, ans, x, y):
    return (g * x / ans, g * y / ans)


def loss(x, w):
    s = 0.0
    for i in range(3):
        x = soft_abs(x * w - 0.5)
        s = s + np.sum(np.hypot(x, w))
    return s
