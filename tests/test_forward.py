"""Forward mode (issue 8): `s2sgrad.jvp` from its own generated module, checked against
central differences of the directional derivative and against reverse mode (the dot
product test <u, J v> = <Jᵀ u, v>), with loops, branches, writes and broadcasting."""

import numpy as np
import pytest

import s2sgrad


def straight(x, w):
    y = np.tanh(x * w) + np.sin(x) ** 2
    return np.sum(y * y) / (1.0 + w * w)


def broadcast(x, r):
    return np.exp(x * r[None, :] - 0.5) @ r + np.maximum(x, 0.2).sum(axis=1)


def rnn(xs, h, W, U):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U @ xs[t])
    return np.sum(h * h)


def newton_cbrt(c):
    x = np.ones_like(c)
    while np.max(np.abs(x**3 - c)) > 1e-12:
        x = x - (x**3 - c) / (3.0 * x**2)
    return x


def branch(x, w):
    s = np.sum(x * w)
    if s > 0.0:
        y = np.sin(x) * s
    else:
        y = np.cos(x) + w
    return y


def writes(x, w):
    y = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        y[i] = x[i] * w + (y[i - 1] if i > 0 else 0.0)
    return y * y


def reductions(a):
    return (
        np.max(a, axis=0) + np.mean(a**2, axis=0, keepdims=True)[0] + np.std(a, axis=0) + np.var(a)
    )


def pair(x):
    return np.sin(x), np.sum(x * x)


def selection(x, lo):
    return np.where(x > 0.0, np.clip(x, lo, 1.0), np.minimum(x, -x * x)) + np.abs(x)


def floats(a, b):
    c = a * b + np.sin(a)
    for k in range(3):
        c = c * 0.5 + np.exp(-c * c) * b
    return c


def shapes_in_a_branch(x, w):
    """A value of a branch has z's shape: the zeros of z's tangent must not stand on it."""
    if np.sum(x) > 0.0:
        y = np.zeros((3,)) + w
    else:
        y = np.ones((3,)) * w
    z = np.zeros((3,))
    for k in range(2):
        z[k] = z[k] * 0.5 + x[k] * w
    return z + y


rng = np.random.default_rng(3)


def _layer(h, W, scale=1.0):
    return np.tanh(W @ h) * scale, np.sum(h * h)


def helper_calls(x, W):
    h, s = _layer(x, W)
    for _ in range(2):
        h, t = _layer(h, W, 0.9)
        s = s + t
    return h * s


CASES = {
    "helper": (helper_calls, [rng.normal(size=3), 0.5 * rng.normal(size=(3, 3))]),
    "shapes_in_a_branch": (shapes_in_a_branch, [np.array([0.5, -0.2, 0.9]), 0.7]),
    "straight": (straight, [rng.normal(size=4), 0.7]),
    "broadcast": (broadcast, [rng.normal(size=(3, 4)), rng.normal(size=4)]),
    "rnn": (
        rnn,
        [
            rng.normal(size=(6, 2)),
            rng.normal(size=3),
            0.5 * rng.normal(size=(3, 3)),
            rng.normal(size=(3, 2)),
        ],
    ),
    "newton": (newton_cbrt, [rng.uniform(0.5, 3.0, size=4)]),
    "branch": (branch, [rng.normal(size=4), 0.4]),
    "writes": (writes, [rng.normal(size=5), 1.3]),
    "reductions": (reductions, [rng.normal(size=(3, 4))]),
    "pair": (pair, [rng.normal(size=3)]),
    "selection": (selection, [rng.normal(size=6), -0.3]),
    "floats": (floats, [0.4, -1.1]),
}


def directions(primals, seed):
    r = np.random.default_rng(seed)
    return [
        float(r.normal()) if isinstance(p, float) else r.normal(size=np.shape(p)) for p in primals
    ]


def flat(v):
    if isinstance(v, tuple):
        return np.concatenate([np.ravel(x) for x in v])
    return np.ravel(v)


@pytest.mark.parametrize("name", sorted(CASES))
def test_jvp_matches_central_differences(name):
    f, primals = CASES[name]
    dots = directions(primals, 1)
    out, t = s2sgrad.jvp(f, primals, dots)
    np.testing.assert_allclose(flat(out), flat(f(*primals)), rtol=1e-12, atol=1e-12)
    eps = 1e-6
    up = f(*[p + eps * d for p, d in zip(primals, dots)])
    down = f(*[p - eps * d for p, d in zip(primals, dots)])
    expected = (flat(up) - flat(down)) / (2 * eps)
    np.testing.assert_allclose(flat(t), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n != "pair"))
def test_jvp_and_vjp_agree(name):
    """<u, J v> = <Jᵀ u, v>: forward and reverse mode are each other's transpose."""
    f, primals = CASES[name]
    v = directions(primals, 2)
    out, jv = s2sgrad.jvp(f, primals, v)
    u = np.random.default_rng(4).normal(size=np.shape(out))
    u = float(u) if np.shape(out) == () else u
    _, back = s2sgrad.vjp(f, *primals)
    jtu = back(u)
    lhs = float(np.sum(u * jv))
    rhs = sum(float(np.sum(a * b)) for a, b in zip(jtu, v))
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-10)


def test_jvp_keeps_types_and_zero_tangents():
    out, t = s2sgrad.jvp(floats, (0.4, -1.1), (1.0, None))
    assert isinstance(t, float)
    x = np.arange(3, dtype=np.float32)
    out, t = s2sgrad.jvp(straight, (x, 0.7), (np.ones(3, np.float32), None))
    assert np.asarray(t).dtype == np.float32


def test_the_forward_module_is_readable_and_has_no_tape():
    s2sgrad.jvp(rnn, CASES["rnn"][1], directions(CASES["rnn"][1], 1))
    text = s2sgrad.source(rnn, mode="fwd")
    assert "def jvp_rnn(xs, h, W, U, d_xs, d_h, d_W, d_U):" in text
    assert ".append(" not in text and ".pop()" not in text


def dense(x, W, b):
    return np.tanh(x @ W + b)


def two_layers(x, W, b):
    h = dense(x, W, b)
    return np.sum(dense(h, W.T, b[:2] * 0.5) ** 2)


def test_calls_of_the_users_functions_get_their_own_forward_mode():
    r = np.random.default_rng(0)
    primals = [r.normal(size=(4, 2)), r.normal(size=(2, 3)), r.normal(size=3)]
    dots = directions(primals, 5)
    out, t = s2sgrad.jvp(two_layers, primals, dots)
    eps = 1e-6
    up = two_layers(*[p + eps * d for p, d in zip(primals, dots)])
    down = two_layers(*[p - eps * d for p, d in zip(primals, dots)])
    assert t == pytest.approx((up - down) / (2 * eps), rel=1e-6)
    text = s2sgrad.source(two_layers, mode="fwd")
    assert "def jvp_dense(" in text and "def jvp_dense_1(" in text  # (two specialisations)


@s2sgrad.custom_vjp
def soft(x):
    return np.sqrt(x * x + 1.0)


@soft.defvjp
def _(g, ans, x):
    return (g * x / ans,)


def calls_a_custom_rule(x):
    return np.sum(soft(x))


def soft_layer(x):  # an array out: jacobian "auto" would pick forward mode
    return soft(x) * 2.0


def _sinc_rule(g, ans, x):
    return (g * (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x),)


def calls_sinc(x):
    return np.sum(np.sinc(x) * x)


def _forward_refused(call, line, words):
    with pytest.raises(s2sgrad.UnsupportedError) as info:
        call()
    msg = str(info.value)
    assert f"test_forward.py:{line}:" in msg, msg
    for w in words:
        assert w in msg, msg


def _line(fn, text):
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, t in enumerate(lines) if text in t)


FWD_WORDS = [
    "forward mode",
    "which has a custom rule, is not supported",
    "use reverse mode",
    "s2sgrad.grad",
    "s2sgrad.vjp",
    'mode="rev"',
]


def test_forward_mode_through_a_custom_rule_is_a_located_error():
    # a rule is a vector-Jacobian product: forward mode cannot use it (JAX refuses jvp of
    # a custom_vjp function alike), whichever way forward mode is asked for
    s2sgrad.register_gradient(np.sinc, override=True)(_sinc_rule)  # (conftest restores)
    x = np.array([0.5, -1.5, 2.0])
    for f, text, name in (
        (calls_a_custom_rule, "return np.sum(soft(x))", "soft"),
        (soft_layer, "return soft(x) * 2.0", "soft"),
        (calls_sinc, "np.sinc(x) * x", "np.sinc"),
    ):
        line = _line(f, text)
        words = FWD_WORDS + [f"through {name},"]
        _forward_refused(lambda: s2sgrad.jvp(f, (x,), (np.ones(3),)), line, words)
        _forward_refused(lambda: s2sgrad.jacobian(f, mode="fwd")(x), line, words)
        # hessian is forward over reverse: a second derivative through the rule
        if f is not soft_layer:
            _forward_refused(
                lambda: s2sgrad.hessian(f)(x),
                line,
                [
                    "a second derivative through the custom rule of " + name,
                    "not supported",
                    'mode="rev"',
                ],
            )
        # reverse mode uses the rule; jacobian "auto" picks it
        rev = s2sgrad.jacobian(f, mode="rev")(x)
        np.testing.assert_array_equal(s2sgrad.jacobian(f, mode="auto")(x), rev)
    np.testing.assert_allclose(
        s2sgrad.jacobian(soft_layer, mode="auto")(x),
        np.diag(2 * x / np.sqrt(x * x + 1)),
        rtol=1e-12,
    )


def test_forward_mode_off_a_custom_rule_path_works():
    def check(x, w):
        out, t = s2sgrad.jvp(rule_off_path, (x, w), (None, 1.0))
        assert t == pytest.approx(np.sum(np.sqrt(x * x + 1.0)))

    check(np.array([0.5, 2.0]), 0.3)


def rule_off_path(x, w):  # the tangent (of w) never reaches soft's rule
    return np.sum(soft(x)) * w


def test_emit_mode_fwd_through_a_custom_rule_is_refused(tmp_path):
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(
        "import numpy as np\nimport s2sgrad\n\n\n@s2sgrad.custom_vjp\ndef soft(x):\n"
        "    return np.sqrt(x * x + 1.0)\n\n\n@soft.defvjp\ndef _(g, ans, x):\n"
        "    return (g * x / ans,)\n\n\ndef f(x: 'float64[n]'):\n"
        "    return np.sum(soft(x))\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "s2sgrad.cli", "emit", "m.py::f", "--mode", "fwd", "-o", "g.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode != 0 and "m.py:16:5: error: forward mode" in out.stderr, out.stderr
    assert "use reverse mode" in out.stderr and not (tmp_path / "g.py").exists()
    ok = subprocess.run(
        [sys.executable, "-m", "s2sgrad.cli", "emit", "m.py::f", "-o", "g.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ok.returncode == 0 and (tmp_path / "g.py").exists(), ok.stderr


def test_a_tangent_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="shaped like its primal"):
        s2sgrad.jvp(straight, (np.ones(3), 0.5), (np.ones(2), 1.0))


def test_emit_mode_fwd_writes_a_module_that_runs_without_s2sgrad(tmp_path):
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "s2sgrad.cli",
            "emit",
            os.path.join(root, "examples", "rnn.py") + "::loss",
            "--mode",
            "fwd",
            "--wrt",
            "Wx,Wh",
            "-o",
            str(tmp_path / "rnn_jvp.py"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "rnn_jvp.py").read_text()
    assert "def jvp_loss(xs, h0, Wx, Wh, b, Wy, ys, d_Wx, d_Wh):" in text
    check = """
import sys, numpy as np
sys.path.insert(0, ".")
import rnn_jvp
r = np.random.default_rng(0)
args = [r.normal(size=(5, 3)), r.normal(size=4), r.normal(size=(3, 4)) * 0.5,
        r.normal(size=(4, 4)) * 0.5, r.normal(size=4), r.normal(size=4), r.normal(size=5)]
dWx, dWh = r.normal(size=(3, 4)), r.normal(size=(4, 4))
out, t = rnn_jvp.jvp_loss(*args, dWx, dWh)
print(float(out), float(t))
assert not [m for m in sys.modules if m.startswith("s2sgrad")]
"""
    run = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    value, t = (float(v) for v in run.stdout.split())
    sys.path.insert(0, os.path.join(root, "examples"))
    try:
        import rnn as example
    finally:
        sys.path.pop(0)
    r = np.random.default_rng(0)
    args = [
        r.normal(size=(5, 3)),
        r.normal(size=4),
        r.normal(size=(3, 4)) * 0.5,
        r.normal(size=(4, 4)) * 0.5,
        r.normal(size=4),
        r.normal(size=4),
        r.normal(size=5),
    ]
    dWx, dWh = r.normal(size=(3, 4)), r.normal(size=(4, 4))
    eps = 1e-6

    def at(s):
        a = list(args)
        a[2], a[3] = a[2] + s * dWx, a[3] + s * dWh
        return example.loss(*a)

    assert value == pytest.approx(example.loss(*args), rel=1e-12)
    assert t == pytest.approx((at(eps) - at(-eps)) / (2 * eps), rel=1e-6)


def test_emit_mode_fwd_of_a_decorated_function_is_refused(tmp_path):
    import subprocess
    import sys

    (tmp_path / "m.py").write_text(
        "import numpy as np\nimport s2sgrad\n\n\n@s2sgrad.function\n"
        "def f(x):\n    return s2sgrad.gradients(np.sum(x), [x])\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "s2sgrad.cli", "emit", "m.py::f", "--mode", "fwd", "-o", "g.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode != 0 and "m.py:6:" in out.stderr and "--mode fwd" in out.stderr
    assert not (tmp_path / "g.py").exists()


def identity(x):
    return x


def tail(x):
    return x[1:]


def transposed(x):
    return x.T


@pytest.mark.parametrize("f", [identity, tail, transposed])
def test_jvp_hands_back_a_tangent_of_its_own_not_the_callers(f):
    # (as a gradient is a fresh array: writing into the tangent jvp returns must not
    # change the tangent the caller passed)
    x, t = np.ones((2, 3)), np.arange(6.0).reshape(2, 3)
    _, d = s2sgrad.jvp(f, (x,), (t,))
    np.testing.assert_array_equal(d, f(t))
    assert not np.shares_memory(d, t)


def by_rank(x):
    return np.sum(x**2) if np.ndim(x) else x * 2.0


def test_np_ndim_is_the_rank_in_both_modes():
    # (hunt 10: jvp refused np.ndim, an unknown call, which grad took as a constant)
    x = np.array([0.3, -0.7, 1.1])
    assert s2sgrad.jvp(by_rank, (x,), (np.ones(3),))[1] == pytest.approx(np.sum(2 * x))
    np.testing.assert_allclose(s2sgrad.grad(by_rank)(x), 2 * x)
    assert s2sgrad.jvp(by_rank, (0.5,), (1.0,)) == (1.0, 2.0)


def x_log_x(a):
    return a * np.log(a)


def three_halves(a):
    return a**1.5


def test_forward_mode_of_python_floats_at_zero_gives_numpys_inf_and_nan():
    # (hunt 13: a tangent's division or power of Python floats raised ZeroDivisionError,
    # where reverse mode and NumPy give nan or inf)
    with np.errstate(all="ignore"):
        out, t = s2sgrad.jvp(x_log_x, (0.0,), (1.0,))
        assert np.isnan(out) and np.isnan(t)
        assert np.isnan(s2sgrad.hessian(x_log_x)(0.0))
        assert s2sgrad.hessian(three_halves)(0.0) == np.inf
        assert s2sgrad.jvp(x_log_x, (0.5,), (1.0,))[1] == pytest.approx(np.log(0.5) + 1.0)


def identity_on_one_path(x, c):
    if c > 0:
        return x
    return x * 2.0


def test_a_jvp_tangent_never_shares_memory_with_the_one_given():
    # (hunt 15: through a branch that returned x, the output tangent was the caller's)
    x, t = np.ones(3), np.arange(3.0)
    _, d = s2sgrad.jvp(identity_on_one_path, (x, 1.0), (t, None))
    assert not np.shares_memory(d, t) and np.array_equal(d, t)


def nansum_rows(x):
    return np.sum(np.nansum(x, axis=1, keepdims=True) ** 2)


def logaddexps(x, y):
    return np.sum(np.logaddexp(x, y) + np.logaddexp2(y, x))


def test_tangents_at_nans_and_infinities_agree_with_the_reverse_rules():
    # (hunt 17: nansum's tangent summed the tangent at nans, 12 for 2; logaddexp's was
    # e^(x - ans), NaN at x = inf)
    x = np.array([[1.0, np.nan], [2.0, 3.0]])
    t = np.array([[1.0, 10.0], [1.0, 1.0]])
    assert s2sgrad.jvp(nansum_rows, (x,), (t,))[1] == 2.0 * 1.0 + 2.0 * 5.0 * 2.0
    np.testing.assert_array_equal(
        s2sgrad.jacobian(nansum_rows, mode="fwd")(x), s2sgrad.grad(nansum_rows)(x)
    )
    a, b = np.array([np.inf, 1.0, -np.inf]), np.array([1.0, 2.0, 0.5])
    for da, db in ((np.ones(3), np.zeros(3)), (np.zeros(3), np.ones(3))):
        tangent = s2sgrad.jvp(logaddexps, (a, b), (da, db))[1]
        back = s2sgrad.vjp(logaddexps, a, b)[1](1.0)
        assert np.isfinite(tangent)
        assert tangent == pytest.approx(np.sum(back[0] * da) + np.sum(back[1] * db))


def max_with_initial(x):
    return np.max(x, initial=5.0)


def test_a_tangent_has_its_outputs_type():
    # (hunt 17: the tangent of np.max(x, initial=5.0), an np.where of scalars, was a 0-d
    # array beside an np.float64 output)
    for x in (-np.ones(3), np.full(3, 7.0)):
        out, tangent = s2sgrad.jvp(max_with_initial, (x,), (np.ones(3),))
        assert type(out) is np.float64 and type(tangent) is np.float64
