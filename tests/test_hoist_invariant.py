"""passes/hoist_invariant.py: `xs[t] @ W` in a loop over the rows of xs, W invariant,
is the row t of `xs @ W` computed before the loop, and only where that product's
rounding can change no value the function returns and no branch. Each case checks the
gradient against central differences and the generated code for the hoisted product."""

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad

# ---- functions under test (s2sgrad reads their source from this file) -------------------


def rnn(xs, h0, W, U):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h * h)


def rnn_left(xs, h0, V, U):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(V @ xs[t] + h @ U)
    return np.sum(h * h)


def rnn_branch(xs, h0, W, U):
    h = h0
    for t in range(xs.shape[0]):
        z = xs[t] @ W + h @ U
        if np.sum(z) > 0.0:  # the product decides a branch: left alone
            h = np.tanh(z)
        else:
            h = 0.5 * z
    return np.sum(h * h)


def rnn_floor(xs, h0, W, U):
    h = h0
    for t in range(xs.shape[0]):  # np.floor reads the product: left alone
        z = xs[t] @ W
        h = np.tanh(np.floor(z) * 0.1 + h @ U + z)
    return np.sum(h * h)


def rnn_from_one(xs, h0, W, U):
    h = h0
    for t in range(1, xs.shape[0]):  # not one row a trip from the first: left alone
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h * h)


def rnn_changing(xs, h0, W, U):
    h = h0
    for t in range(xs.shape[0]):  # W changes in the loop: left alone
        h = np.tanh(xs[t] @ W + h @ U)
        W = W * 0.9
    return np.sum(h * h)


def _args(T_=6, d=3, h=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((T_, d)).astype(dtype),
        rng.standard_normal(h).astype(dtype),
        (rng.standard_normal((d, h)) * 0.5).astype(dtype),
        (rng.standard_normal((h, h)) * 0.5).astype(dtype),
    ]


def _check(f, args, wrt=(2, 3)):
    g = s2sgrad.grad(f, wrt=wrt)
    got = g(*args)
    for k, gk in zip(wrt, got):
        assert np.shape(gk) == np.shape(args[k]) and gk.dtype == args[k].dtype
        np.testing.assert_allclose(gk, central_difference(f, args, k), rtol=1e-5, atol=1e-7)
    return _code(s2sgrad.source(g))


def _code(src):
    """The generated code without its comments (which quote the source lines)."""
    return "\n".join(line.split("#")[0] for line in src.splitlines())


@pytest.mark.parametrize("T_", [6, 1, 0])
def test_the_product_is_computed_once_before_the_loop(T_):
    src = _check(rnn, _args(T_=T_))
    assert " = xs @ W" in src and "xs[t] @ W" not in src


def test_w_at_a_row_is_a_row_of_xs_at_w_transposed():
    args = _args()
    args[2] = args[2].T.copy()
    src = _check(rnn_left, args)
    assert " = xs @ V.T" in src and "V @ xs[t]" not in src


def test_float32():
    args = _args(dtype=np.float32)
    g = s2sgrad.grad(rnn, wrt=(2, 3))
    got = g(*args)
    want = s2sgrad.grad(rnn, wrt=(2, 3))(*[a.astype(np.float64) for a in args])
    for x, w in zip(got, want):
        assert x.dtype == np.float32
        np.testing.assert_allclose(x, w, rtol=1e-4, atol=1e-5)
    assert " = xs @ W" in _code(s2sgrad.source(g))


def test_a_returned_value_is_exactly_pythons():
    args = _args()
    g = s2sgrad.value_and_grad(rnn, wrt=(2, 3))
    value, _ = g(*args)
    assert value == rnn(*args)  # bit for bit: the loop's own products
    assert "xs[t] @ W" in _code(s2sgrad.source(g))


@pytest.mark.parametrize("f", [rnn_branch, rnn_floor, rnn_from_one, rnn_changing])
def test_loops_it_must_leave_alone(f):
    for seed in range(2):
        src = _check(f, _args(seed=seed))
        assert "xs[t] @ W" in src and " = xs @ W" not in src
