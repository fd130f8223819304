"""passes/loop_stack.py: a loop's carried array stacked, and the work on its rows
batched, in `grad`. Each case checks the gradient against central differences and
against value_and_grad's (which the pass leaves alone), and what the code became."""

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad


def rnn(xs, h0, Wx, Wh, v, ys):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh)
        err = np.sin(h) @ v - ys[t]
        total = total + err * err
    return total


def two_carries(xs, a0, c0, W):
    a, c = a0, c0
    for t in range(xs.shape[0]):
        a = np.tanh(W @ a + c * xs[t])
        c = np.sin(c) * 0.5 + a
    return np.sum(a * c)


def _args(T_=5, d=3, h=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((T_, d)).astype(dtype),
        rng.standard_normal(h).astype(dtype),
        (rng.standard_normal((d, h)) * 0.5).astype(dtype),
        (rng.standard_normal((h, h)) * 0.5).astype(dtype),
        rng.standard_normal(h).astype(dtype),
        rng.standard_normal(T_).astype(dtype),
    ]


def _check(f, args, wrt, rtol=1e-6):
    g = s2sgrad.grad(f, wrt=wrt)
    got = g(*args)
    got = got if isinstance(got, tuple) else (got,)
    _, plain = s2sgrad.value_and_grad(f, wrt=wrt)(*args)
    plain = plain if isinstance(plain, tuple) else (plain,)
    for k, gk, pk in zip(wrt, got, plain):
        assert gk.dtype == np.asarray(args[k]).dtype and gk.shape == np.shape(args[k])
        np.testing.assert_allclose(gk, central_difference(f, args, k), rtol=rtol, atol=1e-7)
        np.testing.assert_allclose(gk, pk, rtol=1e-12, atol=1e-14)
    return s2sgrad.source(g)


def test_the_rnn_gradient_stacks_h_and_batches_its_rows():
    src = _check(rnn, _args(), (1, 2, 3, 4))
    assert "h_steps[t + 1] = h" in src and ".append(" not in src and ".pop()" not in src
    body = "\n".join(
        line for line in src.split("for t in reversed(")[1].splitlines() if "#" not in line
    )
    assert "np.sin(" not in body and "np.cos(" not in body and "h_out * h_out" in src
    assert "h_in.T @ " in src
    value, _ = s2sgrad.value_and_grad(rnn, wrt=(2, 3))(*_args())
    assert value == rnn(*_args())  # (stacked too; the value is Python's, bit for bit)


def test_what_the_value_depends_on_stays_in_the_loop():
    vg = s2sgrad.value_and_grad(rnn, wrt=(2, 3))
    vg(*_args())
    src = s2sgrad.source(vg)
    assert "h_steps[t + 1] = h" in src and "= h_out * h_out" in src.split("for t in reversed")[0]
    assert "err = " in src.split("for t in range(")[1].split("h_in =")[0]  # (in F)


@pytest.mark.parametrize("T_", [0, 1, 2])
def test_no_trip_one_trip(T_):
    _check(rnn, _args(T_=T_), (1, 2, 3, 4))


def test_two_carried_arrays_each_get_their_stack():
    rng = np.random.default_rng(1)
    args = [
        rng.standard_normal((6, 4)),
        rng.standard_normal(4),
        rng.standard_normal(4),
        rng.standard_normal((4, 4)) * 0.5,
    ]
    src = _check(two_carries, args, (1, 2, 3))
    assert "a_steps[0] = a0" in src and "c_steps[0] = c0" in src and ".pop()" not in src


def test_float32_carries_keep_their_dtype():
    args = _args(dtype=np.float32)
    got = s2sgrad.grad(rnn, wrt=(2, 3))(*args)
    want = s2sgrad.grad(rnn, wrt=(2, 3))(*[a.astype(np.float64) for a in args])
    for g, w in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def readout_of_rows(x0, r, w):
    r3 = r * w
    q = r3 * 0.5
    for i in range(x0.shape[0]):
        q = np.tanh(q @ np.outer(r3, r3) * 0.3 + x0[i])
        w = w + np.cos(q) @ x0[i]
    return -1.2 * w


def test_a_batch_reading_one_left_in_the_loop_stays_in_the_loop():
    """Fuzzer, seed 109 program 382: `d_w * x0[i]` (d_w a carry that never changes, a
    Python float at first) was not batched, and the product of it with sin(q) was,
    reading the loop's own value from outside the loop (the IR verifier caught it)."""
    rng = np.random.default_rng(2)
    args = [rng.standard_normal((2, 3)), rng.standard_normal(3), -0.5]
    _check(readout_of_rows, args, (0, 1))


def converge(x0, x1, n):
    x = x0 * 0.5
    k = 0
    while k < 2:
        k = k + 1
        x = np.tanh(x + x1)
    for i in range(n):
        x = x * 0.9 + np.sin(x1)
    return np.sum(x * x)


@pytest.mark.parametrize("n", [0, 2])
def test_constants_of_two_rewritten_loops_each_where_they_are_used(n):
    """A while loop, then a for loop: each rewritten loop's constants where it uses
    them (the program the fuzzer found, seed 110 program 828, is in test_fuzz.py)."""
    rng = np.random.default_rng(3)
    args = [rng.standard_normal(3), rng.standard_normal(3), n]
    s2sgrad.check_grads(converge, (0, 1), *args, modes=("rev",), rtol=1e-6, atol=1e-8)


def matrix_readout(xs, h0, Wx, Wh, M, ys):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh)
        total = total + np.sum(np.sin(h * M)) * ys[t]  # (h broadcast into M's rows)
    return total


@pytest.mark.parametrize("T_", [0, 1, 4])
def test_a_smaller_row_times_a_value_the_loop_keeps_is_batched_with_new_axes(T_):
    # the adjoint of `err @ v` is `d_err[t] * v` (a number a trip times a vector); of
    # `h * M`, `d[t] * M` with d a matrix a trip: batched as `d[:, None] * v`, each element
    # what the trip computes
    src = _check(rnn, _args(T_=T_), (1, 2, 3, 4))
    assert "[:, None] * v" in src or "[:, None], v, out=" in src
    rng = np.random.default_rng(1)
    args = _args(T_=T_, h=3)
    args[4] = rng.standard_normal((2, 3))
    _check(matrix_readout, args, (1, 2, 3, 4))


def test_two_rows_of_different_ranks_stay_an_outer_product():
    # (`d_y[t] * h[t]` is the adjoint of `h @ Wy` for Wy: loop_accumulate contracts it)
    src = _check(rnn, _args(), (1, 2, 3, 4))
    assert " @ " in next(line for line in src.splitlines() if "d_v = " in line)


def row_of_an_argument(xs, h0, Wh, ys, s):
    h = h0
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] + h @ Wh)
        e = s * ys[t] - s  # (its adjoint d_e * ys[t] is batched before the reverse loop)
        total = total + np.sum(h) + e * e
    return total


@pytest.mark.parametrize("T_", [0, 1, 4])
def test_a_batch_reading_a_row_of_an_argument_reads_the_argument(T_):
    # the reverse loop's `ys[t]`, a row of an array it does not change, batched as `ys`
    # (the batch read the loop's `_t1 = ys[t]` before the loop: a NameError)
    rng = np.random.default_rng(4)
    args = [
        rng.standard_normal((T_, 3)),
        rng.standard_normal(3),
        rng.standard_normal((3, 3)) * 0.5,
        rng.standard_normal(T_),
        0.3,
    ]
    _check(row_of_an_argument, args, (0, 1, 2, 3))
    g = s2sgrad.grad(row_of_an_argument, wrt=(2, 4))
    d_Wh, d_s = g(*args)
    want = central_difference(lambda s: row_of_an_argument(*args[:4], s), [0.3], 0)
    np.testing.assert_allclose(d_s, want, rtol=1e-6, atol=1e-8)
    _, (_, plain) = s2sgrad.value_and_grad(row_of_an_argument, wrt=(2, 4))(*args)
    assert type(d_s) is float and abs(d_s - plain) <= 1e-12 * max(1.0, abs(plain))
    assert " * ys\n" in s2sgrad.source(g).split("for t in reversed")[0]
