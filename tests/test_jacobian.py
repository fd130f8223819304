"""jacobian (three modes) and hessian (forward over reverse), against central differences
and each other, on the functions of tests/test_forward.py (an RNN loop, a while loop to
tolerance, a branch, writes in a loop, broadcasting, reductions, Python floats)."""

import numpy as np
import pytest
from test_forward import CASES, helper_calls

import s2sgrad


def numerical_jacobian(f, args, i, eps=1e-6):
    x = np.asarray(args[i], dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = 1.0
        up, down = list(args), list(args)
        up[i] = x + eps * e.reshape(x.shape) if x.shape else float(x) + eps
        down[i] = x - eps * e.reshape(x.shape) if x.shape else float(x) - eps
        cols.append((np.asarray(f(*up)) - np.asarray(f(*down))) / (2 * eps))
    return np.stack(cols, axis=-1).reshape(np.shape(f(*args)) + x.shape)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n != "pair"))
def test_jacobian_in_each_mode_matches_central_differences(name):
    f, args = CASES[name]
    expected = numerical_jacobian(f, args, 0)
    got = {mode: s2sgrad.jacobian(f, 0, mode=mode)(*args) for mode in ("fwd", "rev", "auto")}
    for mode, J in got.items():
        assert J.shape == expected.shape, mode
        np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-7, err_msg=mode)
    np.testing.assert_allclose(got["fwd"], got["rev"], rtol=1e-10, atol=1e-12)


def test_jacobian_of_a_tuple_of_arguments():
    f, args = CASES["straight"]
    d_x, d_w = s2sgrad.jacobian(f, (0, "w"))(*args)
    np.testing.assert_allclose(d_x, numerical_jacobian(f, args, 0), rtol=1e-6)
    assert float(d_w) == pytest.approx(float(numerical_jacobian(f, args, 1)), rel=1e-6)


def loop_loss(x, w):
    h = x
    for t in range(3):
        h = np.tanh(h * w + 0.1)
    return np.sum(h * h * x)


def while_loss(c):
    x = np.ones_like(c)
    k = 0
    while k < 30 and np.max(np.abs(x**3 - c)) > 1e-13:
        x = x - (x**3 - c) / (3.0 * x**2)
        k = k + 1
    return np.sum(x * c)


def branch_loss(x, w):
    s = np.sum(x * w)
    if s > 0.0:
        y = np.sin(x) * s
    else:
        y = np.cos(x) + w
    return np.sum(y * y)


def rnn_loss(xs, h, W, U):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def lambda_free_helper_loss(x, W):
    return np.sum(helper_calls(x, W) ** 2)


HESSIANS = {
    "loop": (loop_loss, [np.array([0.3, -0.7, 0.5]), 0.8], 0),
    "while": (while_loss, [np.array([0.7, 1.9, 2.6])], 0),
    "branch": (branch_loss, [np.array([0.4, -0.2, 0.9]), 0.6], 0),
    "rnn": (rnn_loss, CASES["rnn"][1], 2),
    "floats": (CASES["floats"][0], CASES["floats"][1], 1),
    "helper": (lambda_free_helper_loss, [CASES["helper"][1][0], CASES["helper"][1][1]], 1),
}


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_hessian_is_forward_over_reverse_and_matches_central_differences(name):
    f, args, i = HESSIANS[name]
    H = s2sgrad.hessian(f, i)(*args)
    x_shape = np.shape(args[i])
    assert H.shape == x_shape + x_shape
    expected = numerical_jacobian(s2sgrad.grad(f, i), args, i)
    np.testing.assert_allclose(H, expected, rtol=1e-6, atol=1e-7)
    flat = H.reshape(int(np.prod(x_shape)), -1)
    np.testing.assert_allclose(flat, flat.T, rtol=1e-9, atol=1e-12)


def test_jacobian_mode_is_checked():
    with pytest.raises(ValueError, match="mode='sideways'"):
        s2sgrad.jacobian(loop_loss, 0, mode="sideways")


# ---- jacobian(mode="auto") evaluates the function once, in the mode it picks -------------------


def widen(x, w):  # 2 inputs -> 6 outputs: forward mode is cheaper
    return np.outer(np.tanh(x * w), np.array([1.0, -2.0, 0.5]))


def narrow(x):  # 6 inputs -> 2 outputs: reverse mode is cheaper
    return np.array([np.sum(np.sin(x)), np.sum(x * x)])


def positives(x):  # an output of a size known only when it runs
    return np.exp(x[x > 0.0])


def _plain_calls(fn, call):
    """How many times fn's own code runs (plain Python) during call()."""
    import sys

    count = [0]

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is fn.__code__:
            count[0] += 1

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = call()
    finally:
        sys.setprofile(old)
    return count[0], result


@pytest.mark.parametrize(
    "f, args, picks",
    [
        (widen, (np.array([0.3, -0.4]), 1.5), "fwd"),
        (narrow, (np.linspace(-1.0, 1.0, 6),), "rev"),
        (positives, (np.array([0.5, -1.0, 2.0, 0.1]),), "rev"),  # 3 outputs, seen by the vjp
    ],
)
def test_jacobian_auto_evaluates_once_and_agrees_with_the_mode_it_picks(f, args, picks):
    jac = {mode: s2sgrad.jacobian(f, 0, mode=mode) for mode in ("auto", "fwd", "rev")}
    for mode in ("auto", "fwd", "rev"):
        jac[mode](*args)  # (built: later calls count evaluations only)
    runs = {mode: _plain_calls(f, lambda: jac[mode](*args)) for mode in jac}
    assert runs["auto"][0] <= 1 and runs["auto"][0] == runs[picks][0], runs
    assert runs["fwd"][0] == 0 and runs["rev"][0] == 1
    np.testing.assert_array_equal(runs["auto"][1], runs[picks][1])  # the same passes
    np.testing.assert_allclose(runs["fwd"][1], runs["rev"][1], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        runs["auto"][1], numerical_jacobian(f, args, 0), rtol=1e-6, atol=1e-8
    )


def two_outputs(x):
    return x, x * 2.0


@pytest.mark.parametrize("mode", ["fwd", "rev", "auto"])
@pytest.mark.parametrize("x", [np.array([1.0, 2.0]), 0.5], ids=["array", "number"])
def test_jacobian_of_a_function_returning_a_tuple_is_refused_in_each_mode(mode, x):
    with pytest.raises(s2sgrad.InvalidArgumentError, match="returning one array or scalar"):
        s2sgrad.jacobian(two_outputs, mode=mode)(x)


def float64_of_float32(x, a):
    y = np.zeros(3)
    for i in range(3):
        y[i] = np.sin(x[i] * a) * a
    return y * x


def test_every_mode_gives_the_dtype_of_x():
    # (hunt 13: forward mode gave the output's float64 for a float32 x, reverse float32)
    x, a = np.array([0.1, 0.2, 0.3], np.float32), np.float32(0.5)
    results = [s2sgrad.jacobian(float64_of_float32, mode=m)(x, a) for m in ("fwd", "rev", "auto")]
    assert [J.dtype for J in results] == [np.float32] * 3
    for J in results[1:]:
        np.testing.assert_allclose(J, results[0], rtol=1e-6)


def sum_of_squares(x):
    return np.sum(x * x)


def test_jvp_with_no_tangent_gives_a_zero_of_the_output_type():
    # (hunt 13: a 0-d array where a tangent of np.float64(0.0) is due)
    for dtype in (np.float64, np.float32):
        x = np.array([1.0, 2.0], dtype)
        out, t = s2sgrad.jvp(sum_of_squares, (x,), (None,))
        assert type(t) is type(out) and t == 0


def pair_of_outputs(x, W):
    h = np.tanh(W @ x)
    return h, np.sum(h**2)


def test_vjp_of_a_tuple_of_outputs_takes_a_cotangent_each():
    # (hunt 14: refused, where JAX's vjp takes a tuple of cotangents)
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal(3), rng.standard_normal((2, 3))
    out, vjp_fn = s2sgrad.vjp(pair_of_outputs, x, W)
    want = pair_of_outputs(x, W)
    assert np.array_equal(out[0], want[0]) and out[1] == want[1]
    g0, g1 = rng.standard_normal(2), 0.7

    def weighted(x, W):
        h, s = pair_of_outputs(x, W)
        return np.dot(g0, h) + g1 * s

    d_x, d_W = vjp_fn((g0, g1))
    eps = 1e-6
    num = [(weighted(x + eps * e, W) - weighted(x - eps * e, W)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(d_x, num, rtol=1e-6)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="takes a tuple of 2 cotangents"):
        vjp_fn(g0)
