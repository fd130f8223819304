"""passes/loop_accumulate.py: a backward loop's accumulation of outer products becomes
one contraction after the loop, and only where that is the same sum. Each case checks
the gradient against central differences, and the generated code for whether the loop
was rewritten (a contraction `.T @` after it) or left alone."""

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad
from s2sgrad.ir import types as T
from s2sgrad.ir.builder import Builder
from s2sgrad.ir.core import Function, Region, Value
from s2sgrad.ir.verifier import verify
from s2sgrad.passes import loop_accumulate

# ---- functions under test (s2sgrad reads their source from this file) -------------------


def rnn(xs, h0, W, U):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h * h)


def rnn_steps(xs, h0, W, U, steps):
    h = h0
    for t in range(steps):
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h * h)


def rnn_from_one(xs, h0, W, U):
    h = h0
    for t in range(1, xs.shape[0]):  # start 1: left alone
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h * h)


def rnn_every_other(xs, h0, W, U):
    h = h0
    for t in range(0, xs.shape[0], 2):  # step 2: left alone
        h = np.tanh(xs[t] @ W + h @ U)
    return np.sum(h * h)


def rnn_break(xs, h0, W, U):
    h = h0
    for t in range(xs.shape[0]):  # a break: a while loop, its backward loop a for
        h = np.tanh(xs[t] @ W + h @ U)
        if np.sum(h) > 2.0:
            break
    return np.sum(h * h)


def rnn_backwards(xs, h0, W, U):
    h = h0
    n = xs.shape[0]
    for t in range(n):  # xs[n - 1 - t]: rows stacked as read
        h = np.tanh(xs[n - 1 - t] @ W + h @ U)
    return np.sum(h * h)


def rnn_shared(xs, h0, W):
    h = h0
    for t in range(xs.shape[0]):  # W read twice a step: a sum of two products
        h = np.tanh(xs[t] @ W + h @ W)
    return np.sum(h * h)


def rnn_decay(xs, h0, W, U):
    h = h0
    s = 0.0
    for t in range(xs.shape[0]):  # d_W also gets 2 W a step: no contraction for it
        h = np.tanh(xs[t] @ W + h @ U)
        s = s + np.sum(W * W) * 0.01
    return np.sum(h * h) + s


def nested(xs, h0, W, U):
    h = h0
    for i in range(xs.shape[0]):
        for t in range(xs.shape[1]):
            h = np.tanh(xs[i, t] @ W + h @ U)
        h = h * 0.5
    return np.sum(h * h)


def user_outer(xs, ys):
    G = np.zeros((xs.shape[1], ys.shape[1]))
    for t in range(xs.shape[0]):  # the user's own loop: computed as written
        G = G + np.outer(np.sin(xs[t]), ys[t])
    return np.sum(G * G)


def scaled(xs, v):
    s = 0.0
    for t in range(xs.shape[0]):
        s = s + np.sin(xs[t] @ v)
    return s


def _args(T_=6, d=3, h=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((T_, d)).astype(dtype),
        rng.standard_normal(h).astype(dtype),
        (rng.standard_normal((d, h)) * 0.5).astype(dtype),
        (rng.standard_normal((h, h)) * 0.5).astype(dtype),
    ]


def _check(f, args, wrt):
    g = s2sgrad.grad(f, wrt=wrt)
    got = g(*args)
    got = got if isinstance(got, tuple) else (got,)
    for k, gk in zip(wrt if isinstance(wrt, tuple) else (wrt,), got):
        want = central_difference(f, args, k)
        assert np.shape(gk) == np.shape(args[k]) and gk.dtype == np.asarray(args[k]).dtype
        np.testing.assert_allclose(gk, want, rtol=1e-5, atol=1e-7)
    return s2sgrad.source(g), got


def _after_loop(src):
    """The generated code after the backward loop's body (the contractions, if any)."""
    lines = src.splitlines()
    start = max(
        i
        for i, line in enumerate(lines)
        if "for t in reversed(" in line or "for _ in range(" in line
    )
    return [line for line in lines[start + 1 :] if not line.startswith("        ")]


# ---- rewritten ------------------------------------------------------------------------


def test_the_rnn_gradient_is_a_contraction_after_the_loop():
    src, _ = _check(rnn, _args(), (2, 3))
    after = "\n".join(_after_loop(src))
    assert "d_W = xs.T @ " in after and "d_U = h_in.T @ " in after  # (loop_stack.py)
    assert "expand_dims" not in src and "d_W + " not in src


@pytest.mark.parametrize("T_", [1, 0])
def test_a_loop_of_one_or_no_trip(T_):
    args = _args(T_=T_)
    src, got = _check(rnn, args, (2, 3))
    if T_ == 0:  # empty stacks: the contraction is zeros of d_W's shape
        assert all(np.array_equal(g, np.zeros_like(a)) for g, a in zip(got, args[2:]))


@pytest.mark.parametrize("steps", [4, 0, -3])
def test_a_runtime_trip_count_and_a_negative_one(steps):
    args = _args() + [steps]
    src, got = _check(rnn_steps, args, (2, 3))
    assert ".T @ " in src


def test_float32_stacks_keep_the_dtype():
    args = _args(dtype=np.float32)
    g = s2sgrad.grad(rnn, wrt=(2, 3))
    got = g(*args)
    want = s2sgrad.grad(rnn, wrt=(2, 3))(*[a.astype(np.float64) for a in args])
    assert all(x.dtype == np.float32 for x in got)
    for x, w in zip(got, want):
        np.testing.assert_allclose(x, w, rtol=1e-4, atol=1e-5)
    assert "dtype=np.float32" in s2sgrad.source(g)


def test_a_scalar_times_a_vector_is_a_vector_matrix_product():
    rng = np.random.default_rng(1)
    src, _ = _check(scaled, [rng.standard_normal((5, 3)), rng.standard_normal(3)], 1)
    assert "d_v = " in "\n".join(_after_loop(src)) and "@ xs" in src


def test_rows_read_backwards_are_stacked_as_the_loop_reads_them():
    src, _ = _check(rnn_backwards, _args(), (2, 3))
    assert ".T @ " in src and "xs.T" not in src


def test_a_weight_read_twice_a_step_gets_two_contractions():
    src, _ = _check(rnn_shared, _args(d=4)[:3], 2)
    after = "\n".join(_after_loop(src))
    assert "xs.T @ " in after and "h_in.T @ " in after and "expand_dims" not in src


def test_an_accumulator_with_a_term_that_is_no_product_stays_in_the_loop():
    src, _ = _check(rnn_decay, _args(), (2, 3))
    after = "\n".join(_after_loop(src))
    assert "d_U = h_in.T @ " in after and "d_W = " not in after


def test_nested_loops():
    rng = np.random.default_rng(2)
    args = [
        rng.standard_normal((2, 3, 3)),
        rng.standard_normal(4),
        rng.standard_normal((3, 4)) * 0.5,
        rng.standard_normal((4, 4)) * 0.5,
    ]
    src, _ = _check(nested, args, (2, 3))
    assert ".T @ " in src


def test_second_derivatives_through_the_rewritten_loop():
    args = _args(T_=4, d=2, h=3)
    H = s2sgrad.hessian(rnn, wrt=2)(*args)
    g = s2sgrad.grad(rnn, wrt=2)
    rows = []
    for i in np.ndindex(args[2].shape):
        up, down = [a.copy() for a in args], [a.copy() for a in args]
        up[2][i] += 1e-6
        down[2][i] -= 1e-6
        rows.append((g(*up) - g(*down)) / 2e-6)
    np.testing.assert_allclose(
        H.reshape(len(rows), -1), np.array(rows).reshape(len(rows), -1), rtol=1e-4, atol=1e-6
    )


# ---- left alone -------------------------------------------------------------------------


def test_a_loop_with_a_break_has_a_backward_for_loop_over_its_trips():
    for seed in range(3):  # (breaking at different steps, or running through)
        src, _ = _check(rnn_break, _args(seed=seed), (2, 3))
        assert "d_U = h_rows.T @ " in src


@pytest.mark.parametrize("f", [rnn_from_one, rnn_every_other])
def test_loops_it_must_leave_alone(f):
    src, _ = _check(f, _args(), (2, 3))
    assert ".T @ " not in src and "np.empty(" not in src


def test_the_users_own_loop_is_computed_as_written():
    rng = np.random.default_rng(3)
    xs, ys = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    g = s2sgrad.value_and_grad(user_outer, wrt=(0, 1))
    value, _ = g(xs, ys)
    assert value == user_outer(xs, ys)  # the same sum, in the same order
    _check(user_outer, [xs, ys], (0, 1))
    assert "np.outer(" in s2sgrad.source(g)


# ---- preconditions on the IR ----------------------------------------------------------


def _loop(extra_read=False, bias_shape=None, tag="grad:gradients"):
    """A backward loop over range(n) carrying acc += outer(a_t, b_t); optionally acc
    also read by another op of the body, or b_t of a shape that broadcasts."""
    xs, W = Value("xs", T.array("float64", ("n", 3))), Value("W", T.array("float64", (3, 4)))
    b = Builder(params=[xs, W])
    b.tag = tag
    n = b.getitem(b.shape(xs), index=0)
    acc0 = b.zeros_like(W, hint="d_W")
    c = b.child()
    t, acc = Value("t", T.PY_INT), Value("d_W", W.type)
    other = Value("s", T.array("float64", ()))
    a_t = c.index(xs, t, key=("%",))
    b_t = (
        c.sin(c.index(W, key=(0,))) if bias_shape is None else c.zeros(bias_shape, dtype="float64")
    )
    p = c.mul(c.expand_dims(a_t, axis=-1), c.expand_dims(b_t, axis=-2))
    acc_next = c.add(acc, p, hint="d_W")
    s_next = c.add(other, c.sum(acc)) if extra_read else other
    body = Region((t, acc, other), tuple(c.ops), (acc_next, s_next))
    results = b.region_op(
        "for",
        [b.const(0), n, b.const(1), acc0, b.const(0.0)],
        [body],
        [W.type, other.type],
        ["d_W", "s"],
        reverse=True,
    )
    out = b.tuple(*results)
    return Function("f", (xs, W), ("xs", "W"), Region((), tuple(b.ops), (out,)))


def test_the_ir_case_is_rewritten():
    fn = _loop()
    verify(fn, "test")
    new = loop_accumulate.run(fn)
    verify(new, "loop_accumulate")
    assert new is not fn and any(op.opcode == "matmul" for op in new.body.ops)


@pytest.mark.parametrize("case", [dict(extra_read=True), dict(bias_shape=(1,)), dict(tag="fwd")])
def test_the_ir_preconditions(case):
    fn = _loop(**case)
    verify(fn, "test")
    assert loop_accumulate.run(fn) is fn
