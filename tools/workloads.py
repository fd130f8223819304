"""The workloads of tools/bench.py that are not shipped examples, written as users
write them (plain NumPy; s2sgrad reads their source), each next to the gradient a
NumPy expert writes by hand and the inputs the benchmark calls them with.

examples/logistic.py and examples/rnn.py are the two other workloads; their
hand-written gradients are here too.

A workload is `Workload(name, f, wrt, hand, make_args)`: `s2sgrad.grad(f, wrt=wrt)`
and `hand` take the same arguments and return the same tuple of gradients.
"""

import math
import os
import sys
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.join(ROOT, "examples") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "examples"))

import logistic  # noqa: E402
import rnn  # noqa: E402

# ---- the functions, as users write them -----------------------------------------

def scalar(x: float, y: float, z: float):
    a = np.sin(x) * np.cos(y)
    b = np.exp(-z * z)
    c = np.tanh(x * y + z)
    return a * b + c * x + np.log(1.0 + y * y)


def elementwise(x: "float64[n]"):
    a = np.sin(x)
    b = np.exp(-x * x)
    c = np.tanh(a * b + x)
    d = np.log1p(c * c)
    return np.sum(d * x)


def logsumexp(x: "float64[n, k]"):
    m = np.max(x, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1)))


def mlp(x: "float64[n, d]", W1: "float64[d, h]", b1: "float64[h]",
        W2: "float64[h, k]", b2: "float64[k]", labels: "float64[n, k]"):
    h = np.tanh(x @ W1 + b1)
    logits = h @ W2 + b2
    z = logits - np.max(logits, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * labels, axis=1))


# ---- the gradients an expert writes by hand -------------------------------------

def scalar_by_hand(x, y, z):
    sx, cx = math.sin(x), math.cos(x)
    sy, cy = math.sin(y), math.cos(y)
    b = math.exp(-z * z)
    c = math.tanh(x * y + z)
    dc = (1.0 - c * c) * x
    d_x = cx * cy * b + dc * y + c
    d_y = -sx * sy * b + dc * x + 2.0 * y / (1.0 + y * y)
    d_z = -2.0 * z * sx * cy * b + dc
    return d_x, d_y, d_z


def elementwise_by_hand(x):
    a = np.sin(x)
    b = x * x
    np.negative(b, out=b)
    np.exp(b, out=b)                 # b = exp(-x^2)
    c = a * b
    c += x
    np.tanh(c, out=c)                # c = tanh(a b + x)
    cc = c * c
    d = np.log1p(cc)                 # d = log1p(c^2)
    # d/dx sum(d x) = d + x * d'(x), d' = 2c (1 - c^2) / (1 + c^2) * u', u' = 1 + cos(x) b - 2 x a b
    g = 1.0 - cc
    cc += 1.0
    g /= cc
    g *= c
    g *= 2.0                         # g = dd/du
    g *= x                           # x dd/du
    a *= b
    a *= x
    a *= -2.0                        # a = -2 x sin(x) b
    np.cos(x, out=cc)
    cc *= b
    cc += a
    cc += 1.0                        # cc = du/dx
    g *= cc
    g += d
    return (g,)


def logsumexp_by_hand(x):
    m = x.max(axis=1, keepdims=True)
    e = x - m
    np.exp(e, out=e)
    e /= e.sum(axis=1, keepdims=True)
    return (e,)


def mlp_by_hand(x, W1, b1, W2, b2, labels):
    h = x @ W1
    h += b1
    np.tanh(h, out=h)
    p = h @ W2
    p += b2
    p -= p.max(axis=1, keepdims=True)
    np.exp(p, out=p)
    p /= p.sum(axis=1, keepdims=True)        # softmax
    p -= labels
    p /= x.shape[0]                          # d_logits (labels one-hot)
    d_W2 = h.T @ p
    d_b2 = p.sum(axis=0)
    d_h = p @ W2.T
    h *= h
    np.subtract(1.0, h, out=h)
    d_h *= h
    return x.T @ d_h, d_h.sum(axis=0), d_W2, d_b2


def logistic_by_hand(w, b, X, y, lam):
    n = X.shape[0]
    p = X @ w
    p += b
    np.negative(p, out=p)
    np.exp(p, out=p)
    p += 1.0
    np.reciprocal(p, out=p)          # sigmoid(z)
    p -= y
    p /= n
    d_w = X.T @ p
    d_w += (2.0 * lam) * w
    return d_w, p.sum()


def rnn_by_hand(xs, h0, Wx, Wh, b, Wy, ys):
    T = xs.shape[0]
    XW = xs @ Wx                     # the input contributions of every step at once
    XW += b
    H = np.empty((T + 1, h0.shape[0]))
    H[0] = h0
    for t in range(T):
        H[t + 1] = np.tanh(XW[t] + H[t] @ Wh)
    d_y = H[1:] @ Wy
    d_y -= ys
    d_y *= 2.0 / T
    dZ = 1.0 - H[1:] * H[1:]         # tanh' of every step, then scaled in the reverse sweep
    d_h = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        d_h += d_y[t] * Wy
        dZ[t] *= d_h
        d_h = Wh @ dZ[t]
    return xs.T @ dZ, H[:-1].T @ dZ, dZ.sum(axis=0), H[1:].T @ d_y


# ---- the inputs -----------------------------------------------------------------

def _scalar_args(rng, quick):
    return (0.7, -0.4, 0.3)


def _elementwise_args(rng, quick):
    return (rng.standard_normal(10_000 if quick else 1_000_000),)


def _logsumexp_args(rng, quick):
    return (rng.standard_normal((100, 100) if quick else (1000, 1000)),)


def _mlp_args(rng, quick):
    n, d, h, k = (64, 32, 64, 10) if quick else (512, 128, 256, 10)
    return (rng.standard_normal((n, d)), rng.standard_normal((d, h)) * 0.1,
            rng.standard_normal(h) * 0.1, rng.standard_normal((h, k)) * 0.1,
            rng.standard_normal(k) * 0.1, np.eye(k)[rng.integers(0, k, n)])


def _logistic_args(rng, quick):
    m, d = (256, 32) if quick else (4096, 256)
    return (rng.standard_normal(d) * 0.1, 0.3, rng.standard_normal((m, d)),
            (rng.random(m) > 0.5).astype(float), 1e-3)


def _rnn_args(rng, quick):
    T, d, h = (20, 8, 16) if quick else (50, 32, 64)
    return (rng.standard_normal((T, d)), rng.standard_normal(h),
            rng.standard_normal((d, h)) * 0.1, rng.standard_normal((h, h)) * 0.1,
            rng.standard_normal(h) * 0.1, rng.standard_normal(h), rng.standard_normal(T))


class Workload(NamedTuple):
    name: str
    f: Callable
    wrt: tuple
    hand: Callable
    make_args: Callable       # (rng, quick) -> the arguments


WORKLOADS = [
    Workload("scalar", scalar, (0, 1, 2), scalar_by_hand, _scalar_args),
    Workload("elementwise", elementwise, (0,), elementwise_by_hand, _elementwise_args),
    Workload("logsumexp", logsumexp, (0,), logsumexp_by_hand, _logsumexp_args),
    Workload("logistic", logistic.loss, (0, 1), logistic_by_hand, _logistic_args),
    Workload("mlp", mlp, (1, 2, 3, 4), mlp_by_hand, _mlp_args),
    Workload("rnn", rnn.loss, (2, 3, 4, 5), rnn_by_hand, _rnn_args),
]


def by_name(name):
    return next(w for w in WORKLOADS if w.name == name)


def arguments(workload, quick=False, seed=0):
    return workload.make_args(np.random.default_rng(seed), quick)
