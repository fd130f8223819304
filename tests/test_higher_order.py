"""Higher order: grad of grad (on the IR), nested `gradients` calls, Hessian-vector
products, and generated modules read back and differentiated again.

Every derivative is checked against its analytic form. s2sgrad reads source
from files, so every function under test is defined at the top level here.
"""

import importlib.util
import sys
import textwrap

import numpy as np
import pytest

import s2sgrad
from s2sgrad import cli, transform
from s2sgrad.frontend import source as S


def close(actual, expected, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol, atol=atol)


# ---- the functions, with their analytic second derivatives ---------------------------------


def cube(x):
    return x**3


def sin_exp(x):
    return np.sin(x) * np.exp(x)


def log_bump(x):
    return np.log(1.0 + x**2)


def tanh_(x):
    return np.tanh(x)


def rational(x):
    return (x * x + 1.0) / (x - 3.0)


def scaled_quartic(s, x):
    return np.sum((s * x) ** 4)


def gaussian(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


def product(x, y):
    return x * y * y + np.sin(x * y)


def sech2(x):
    return 1.0 / np.cosh(x) ** 2


X = 0.7
VEC = np.array([0.3, -1.2, 2.0, 0.5])

# name: (function, args, index differentiated twice, analytic second derivative)
SECOND = {
    "cube": (cube, (X,), 0, lambda x: 6 * x),
    "sin_exp": (sin_exp, (X,), 0, lambda x: 2 * np.cos(x) * np.exp(x)),
    "log_bump": (log_bump, (X,), 0, lambda x: (2 - 2 * x**2) / (1 + x**2) ** 2),
    "tanh": (tanh_, (X,), 0, lambda x: -2 * np.tanh(x) * sech2(x)),
    "rational": (rational, (X,), 0, lambda x: 20 / (x - 3) ** 3),
    "scaled_quartic": (scaled_quartic, (X, VEC), 0, lambda s, x: 12 * s**2 * np.sum(x**4)),
    "gaussian": (gaussian, (X,), 0, lambda x: (x * x - 1) * gaussian(x)),
    "product_yy": (product, (X, 1.3), 1, lambda x, y: 2 * x - x * x * np.sin(x * y)),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_grad_of_grad_matches_the_analytic_second_derivative(name):
    f, args, i, d2 = SECOND[name]
    got = s2sgrad.grad(s2sgrad.grad(f, wrt=i), wrt=i)(*args)
    close(got, d2(*args))
    assert type(got) is float  # a float64 scalar gradient is a Python float, at any order


def test_mixed_partial_and_wrt_by_name():
    x, y = X, 1.3
    mixed = lambda x, y: 2 * y + np.cos(x * y) - x * y * np.sin(x * y)  # noqa: E731
    close(s2sgrad.grad(s2sgrad.grad(product, 0), 1)(x, y), mixed(x, y))
    close(s2sgrad.grad(s2sgrad.grad(product, "y"), "x")(x, y), mixed(x, y))
    # the outer wrt may be a tuple: a tuple of second derivatives
    dxx, dxy = s2sgrad.grad(s2sgrad.grad(product, 0), (0, 1))(x, y)
    close(dxx, -(y**2) * np.sin(x * y))
    close(dxy, mixed(x, y))


def test_value_and_grad_of_grad():
    value, d2 = s2sgrad.value_and_grad(s2sgrad.grad(sin_exp))(X)
    close(value, np.exp(X) * (np.sin(X) + np.cos(X)))
    close(d2, 2 * np.cos(X) * np.exp(X))


def test_third_derivative():
    close(s2sgrad.grad(s2sgrad.grad(s2sgrad.grad(cube)))(X), 6.0)
    d3 = s2sgrad.grad(s2sgrad.grad(s2sgrad.grad(sin_exp)))
    close(d3(X), 2 * np.exp(X) * (np.cos(X) - np.sin(X)))
    header = s2sgrad.source(d3).splitlines()[1]
    assert header == (
        "# grad_grad_grad_sin_exp: grad with respect to x of grad with respect to x "
        "of grad with respect to x"
    )


def test_second_derivative_at_array_inputs():
    """A 0-d float64 array and a float32 scalar are differentiated twice too."""
    close(s2sgrad.grad(s2sgrad.grad(sin_exp))(np.float64(X)), 2 * np.cos(X) * np.exp(X))
    g = s2sgrad.grad(s2sgrad.grad(cube))(np.float32(2.0))
    assert isinstance(g, np.float32) and g == np.float32(12.0)


def branchy(x):
    if x > 0:
        y = x**3
    else:
        y = np.sin(x) * x
    return y * 2.0


def branchy_d2(x):
    return 12 * x if x > 0 else 2 * (2 * np.cos(x) - x * np.sin(x))


def test_second_derivative_through_a_runtime_branch():
    d2 = s2sgrad.grad(s2sgrad.grad(branchy))
    for x in (0.7, -0.7):
        close(d2(x), branchy_d2(x))


# ---- nested gradients inside a decorated function (nested tf.gradients) ----------------------


@s2sgrad.function
def d2_cube(x):
    y = x**3
    (dy,) = s2sgrad.gradients(y, [x])
    (d2y,) = s2sgrad.gradients(dy, [x])
    return d2y


@s2sgrad.function
def d2_sin_exp(x):
    y = np.sin(x) * np.exp(x)
    (dy,) = s2sgrad.gradients(y, [x])
    return s2sgrad.gradients(dy, [x])[0]


@s2sgrad.function
def d2_log_bump(x):
    y = np.log(1.0 + x**2)
    (dy,) = s2sgrad.gradients(y, [x])
    return s2sgrad.gradients(dy, [x])[0]


@s2sgrad.function
def d2_tanh(x):
    y = np.tanh(x)
    (dy,) = s2sgrad.gradients(y, [x])
    return s2sgrad.gradients(dy, [x])[0]


@s2sgrad.function
def d2_rational(x):
    y = (x * x + 1.0) / (x - 3.0)
    (dy,) = s2sgrad.gradients(y, [x])
    return s2sgrad.gradients(dy, [x])[0]


@s2sgrad.function
def d2_scaled_quartic(s, x):
    y = np.sum((s * x) ** 4)
    (dy,) = s2sgrad.gradients(y, [s])
    return s2sgrad.gradients(dy, [s])[0]


@s2sgrad.function
def d2_gaussian(x):
    y = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    (dy,) = s2sgrad.gradients(y, [x])
    return s2sgrad.gradients(dy, [x])[0]


@s2sgrad.function
def d2_product_yy(x, y):
    f = x * y * y + np.sin(x * y)
    (dy,) = s2sgrad.gradients(f, [y])
    return s2sgrad.gradients(dy, [y])[0]


@pytest.mark.parametrize("name", sorted(SECOND))
def test_nested_gradients_match_the_analytic_second_derivative(name):
    _, args, _, d2 = SECOND[name]
    close(globals()["d2_" + name](*args), d2(*args))


@s2sgrad.function
def d3_sin_exp(x):
    y = np.sin(x) * np.exp(x)
    (d1,) = s2sgrad.gradients(y, [x])
    (d2,) = s2sgrad.gradients(d1, [x])
    (d3,) = s2sgrad.gradients(d2, [x])
    return d3


def test_nested_gradients_third_order():
    close(d3_sin_exp(X), 2 * np.exp(X) * (np.cos(X) - np.sin(X)))


@s2sgrad.function
def cube_slope(x):
    (dy,) = s2sgrad.gradients(x**3, [x])
    return dy


def test_grad_of_a_decorated_function():
    """grad(s2sgrad.function(f)): the decorated function's gradients calls are
    expanded first, then differentiated."""
    close(s2sgrad.grad(cube_slope)(X), 6 * X)
    close(s2sgrad.grad(s2sgrad.grad(cube_slope))(X), 6.0)


# ---- Hessian-vector products ------------------------------------------------------------------


def logsumexp(x):
    return np.log(np.sum(np.exp(x)))


def logsumexp_hvp(x, v):
    p = np.exp(x) / np.sum(np.exp(x))
    return (np.diag(p) - np.outer(p, p)) @ v


@s2sgrad.function
def hvp_nested(x, v):
    f = np.log(np.sum(np.exp(x)))
    (g,) = s2sgrad.gradients(f, [x])
    (hv,) = s2sgrad.gradients(np.sum(g * v), [x])
    return hv


@s2sgrad.function
def hvp_grad_ys(x, v):
    f = np.log(np.sum(np.exp(x)))
    (g,) = s2sgrad.gradients(f, [x])
    return s2sgrad.gradients(g, [x], grad_ys=[v])[0]


def tanh_layer(x, W):
    return np.sum(np.tanh(W @ x))


def test_hvp_by_nested_gradients():
    rng = np.random.default_rng(0)
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    close(hvp_nested(x, v), logsumexp_hvp(x, v))
    close(hvp_grad_ys(x, v), logsumexp_hvp(x, v))


def test_hvp_by_vjp_of_grad():
    rng = np.random.default_rng(1)
    x, v, W = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal((4, 3))
    grad_f, vjp_fn = s2sgrad.vjp(s2sgrad.grad(tanh_layer), x, W)
    t = np.tanh(W @ x)
    close(grad_f, W.T @ (1 - t**2))
    hessian = W.T @ np.diag(-2 * t * (1 - t**2)) @ W
    hv, _ = vjp_fn(v)  # one entry per float argument: x, then W
    close(hv, hessian @ v)
    x = rng.standard_normal(4)
    (hv,) = s2sgrad.vjp(s2sgrad.grad(logsumexp), x)[1](v := rng.standard_normal(4))
    close(hv, logsumexp_hvp(x, v))


def test_full_hessian_by_vjp_rows():
    x = VEC.copy()
    quartic = s2sgrad.grad(scaled_quartic, 1)
    _, vjp_fn = s2sgrad.vjp(quartic, 1.0, x)
    H = np.array([vjp_fn(e)[1] for e in np.eye(len(x))])
    close(H, np.diag(12 * x**2))


# ---- what is refused, and how ---------------------------------------------------------------


def test_grad_of_a_vector_gradient_needs_a_scalar():
    with pytest.raises(s2sgrad.InvalidArgumentError) as e:
        s2sgrad.grad(s2sgrad.grad(logsumexp))(VEC)
    msg = str(e.value)
    assert "grad needs a scalar output; grad_logsumexp returns an array of rank 1" in msg
    assert "test_higher_order.py:" in msg and "s2sgrad.vjp(s2sgrad.grad(f), x)" in msg
    assert "np.sum(gradient * v)" in msg


def test_grad_of_a_tuple_valued_derivative_is_refused():
    for inner in (s2sgrad.value_and_grad(cube), s2sgrad.grad(product, (0, 1))):
        with pytest.raises(s2sgrad.InvalidArgumentError, match="returns a tuple") as e:
            s2sgrad.grad(inner)(X, 1.0) if s2sgrad.api.transformed(
                inner
            ).nparams == 2 else s2sgrad.grad(inner)(X)
        assert "grad(f, wrt=0)" in str(e.value)


def looping(x, n):
    s = x
    for i in range(n):
        s = np.sin(s) * x
    return s


@s2sgrad.function
def nested_through_loop(x):
    s = x
    for i in range(3):
        s = np.sin(s) * x
    (ds,) = s2sgrad.gradients(s, [x])
    return s2sgrad.gradients(ds, [x])[0]


def test_second_derivative_through_a_loop_is_the_number_or_an_error():
    first = s2sgrad.grad(looping)
    close(first(X, 3), _looping_slope(X, 3), rtol=1e-8)  # first order works
    eps = 1e-6  # grad(grad(f)) through the loop: forward over reverse
    close(s2sgrad.grad(first)(X, 3), (first(X + eps, 3) - first(X - eps, 3)) / (2 * eps), rtol=1e-7)
    with pytest.raises(s2sgrad.UnsupportedError) as e:  # nested gradients: refused
        nested_through_loop(X)
    msg = str(e.value)
    assert "second derivative" in msg and "not supported" in msg
    assert "test_higher_order.py:" in msg and "for i in range(" in msg


def sin_times(x):
    return np.sin(x) * x


def calls_a_helper(x):
    return sin_times(x) * 2.0 + x**2


def _fd_jacobian(g, x, eps=1e-5):
    """Central differences of the gradient g, column by column: the Hessian."""
    if np.ndim(x) == 0:
        return (g(x + eps) - g(x - eps)) / (2 * eps)
    cols = [(g(x + eps * u) - g(x - eps * u)) / (2 * eps) for u in np.eye(np.size(x))]
    return np.stack(cols, axis=-1)


def test_second_derivative_through_a_call_inlines_the_helper():
    first = s2sgrad.grad(calls_a_helper)
    close(first(X), 2 * (np.cos(X) * X + np.sin(X)) + 2 * X)
    second = 2 * (-np.sin(X) * X + 2 * np.cos(X)) + 2
    close(s2sgrad.grad(first)(X), second, rtol=1e-12)
    value, d2 = s2sgrad.value_and_grad(first)(X)
    close(value, first(X), rtol=1e-14)
    close(d2, second, rtol=1e-12)
    close(s2sgrad.vjp(first, X)[1](1.0)[0], second, rtol=1e-12)
    close(s2sgrad.hessian(calls_a_helper)(X), second, rtol=1e-12)
    close(_fd_jacobian(first, X), second, rtol=1e-7)
    src = s2sgrad.source(s2sgrad.grad(first), X)
    assert "def sin_times" not in src and "vjp_" not in src  # inlined, no closure
    assert "return np.sin(x) * x  [test_higher_order.py:" in src  # the helper's own line


def spring(c, x):
    return c * x**2 * np.exp(-c)


def twice_through(c, x):
    return spring(c * c, x) + spring(c, x)


def energy(x):  # a helper called twice, and one calling it
    return np.sum(twice_through(x, 2.0) * 2.0 + spring(x, 1.5) ** 2)


def tanh_steps(a, n):
    s = a
    for i in range(n):
        s = np.tanh(s * a)
    return s


def calls_a_looping_helper(x):
    return np.sum(tanh_steps(x, 3) ** 2)


def test_hessian_and_hvps_through_helper_calls():
    x, v = np.array([0.3, -0.2, 0.5]), np.array([1.0, 0.5, -2.0])
    for f in (energy, calls_a_looping_helper):
        g = s2sgrad.grad(f)
        H = _fd_jacobian(g, x)
        close(s2sgrad.hessian(f)(x), H, rtol=1e-6, atol=1e-8)
        close(s2sgrad.jvp(g, (x,), (v,))[1], H @ v, rtol=1e-6, atol=1e-8)
    g = s2sgrad.grad(energy)  # reverse over reverse through the calls
    H = _fd_jacobian(g, x)
    close(s2sgrad.vjp(g, x)[1](v)[0], H.T @ v, rtol=1e-6, atol=1e-8)


def rnn_loss(W, xs):
    h = np.zeros(3)
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h**2)


def while_loss(x):
    s = x
    while s < 10.0:
        s = s * 1.5 + np.sin(s) * x  # its reverse reads each iteration's s: a tape
    return s


def _refused_at(call, line_text):
    with pytest.raises(s2sgrad.UnsupportedError) as e:
        call()
    msg = str(e.value)
    assert "second derivative of code with a loop, reverse over reverse" in msg, msg
    assert "not supported" in msg and "test_higher_order.py:" in msg and line_text in msg, msg
    assert "s2sgrad.hessian(f)(x)" in msg and "s2sgrad.jvp(s2sgrad.grad(f), (x,), (v,))" in msg
    return msg


def test_second_derivatives_of_a_gradient_through_loops_go_forward_over_reverse():
    """grad(grad(f)), value_and_grad(grad(f)) and vjp(grad(f)) through a loop's tape:
    reverse over reverse is refused inside, and the API takes them forward over reverse
    (the Hessian is symmetric); each against central differences of the gradient."""
    rng = np.random.default_rng(3)
    W, xs = 0.5 * rng.standard_normal((3, 3)), rng.standard_normal((4, 3))
    g = s2sgrad.grad(rnn_loss)
    H = _fd_jacobian(lambda w: g(w.reshape(3, 3), xs).ravel(), W.ravel()).reshape(3, 3, 3, 3)
    # vjp(g, W, xs) with a random cotangent U against central differences of <U, g>
    s2sgrad.check_grads(g, (0, 1), W, xs, modes=("rev",), rtol=1e-6, atol=1e-8)
    gw = s2sgrad.grad(while_loss)
    want = _fd_jacobian(gw, 1.0)
    close(s2sgrad.grad(gw)(1.0), want, rtol=1e-6)
    value, second = s2sgrad.value_and_grad(gw)(1.0)
    close(value, gw(1.0), rtol=1e-12)
    close(second, want, rtol=1e-6)
    close(s2sgrad.vjp(gw, 1.0)[1](2.0)[0], 2.0 * want, rtol=1e-6)
    gl = s2sgrad.grad(calls_a_looping_helper)  # a loop in a helper
    s2sgrad.check_grads(gl, 0, np.array([0.3, -0.2]), modes=("rev",), rtol=1e-6, atol=1e-8)
    ge = s2sgrad.grad(loop_after_early_return)  # the loop's tape leaves a branch
    s2sgrad.check_grads(
        ge, 0, np.array([0.3, -0.2, 0.4]), 0.5, 3, modes=("rev",), rtol=1e-6, atol=1e-8
    )
    # a decorated function's nested gradients through the loop stay refused, located
    _refused_at(lambda: s2sgrad.grad(_sum_of_grad)(W, xs), "for t in range(xs.shape[0]):")
    # and hessian / jvp(grad) go through, as the hint says
    close(s2sgrad.hessian(rnn_loss)(W, xs), H, rtol=1e-6, atol=1e-8)
    V = rng.standard_normal((3, 3))
    close(s2sgrad.jvp(g, (W, xs), (V, None))[1], np.tensordot(H, V, 2), rtol=1e-6, atol=1e-8)


@s2sgrad.function
def _sum_of_grad(W, xs):  # nested: grad of a decorated function's gradients
    h = np.zeros(3)
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    loss = np.sum(h**2)
    (d_W,) = s2sgrad.gradients(loss, [W])
    return np.sum(d_W)


def shifted_product(x):
    return np.sum(x[1:] * x[:-1] ** 2)


def test_hvp_through_indexing():
    x, v = np.array([0.3, -0.7, 1.1]), np.array([1.0, 0.5, -2.0])
    H = np.array([[2 * x[1], 2 * x[0], 0], [2 * x[0], 2 * x[2], 2 * x[1]], [0, 2 * x[1], 0]])
    (hv,) = s2sgrad.vjp(s2sgrad.grad(shifted_product), x)[1](v)
    close(hv, H @ v)


def _looping_slope(x, n, eps=1e-6):
    def f(x):
        s = x
        for _ in range(n):
            s = np.sin(s) * x
        return s

    return (f(x + eps) - f(x - eps)) / (2 * eps)


def test_vjp_cannot_be_differentiated_again():
    d = s2sgrad.api._Derivative(cube, "vjp", (0,))
    with pytest.raises(s2sgrad.InvalidArgumentError, match="vjp"):
        s2sgrad.grad(d)


# ---- the request and the pipeline -------------------------------------------------------------


def test_request_chain_and_stage_names(tmp_path):
    inner = transform.Request("grad", ("x",), False)
    outer = transform.Request("grad", ("x",), False, inner)
    assert outer.chain() == (inner, outer) and inner.chain() == (inner,)
    path = tmp_path / "f.py"
    path.write_text("import numpy as np\n\ndef f(x: float):\n    return np.sin(x) * x\n")
    text = cli.show_text(f"{path}::f", stage="all", order=2)
    names = [
        line[len("// after ") :].strip()
        for line in text.splitlines()
        if line.startswith("// after ")
    ]
    assert names[:9] == [
        "lower",
        "shift",
        "attach.1",
        "unconnected.1",
        "reverse.1",
        "dce.1",
        "attach",
        "unconnected",
        "reverse",
    ]


# ---- generated modules, read back and differentiated again ------------------------------------


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    old, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = old
    return module


SOURCE = textwrap.dedent("""\
    import numpy as np
    import s2sgrad


    def rational(x: float):
        return (x * x + 1.0) / (x - 3.0)


    def scaled(s, x):
        return np.sum(np.exp(s * x))


    def widen(x: "float32[n]"):
        return np.sum(np.exp(x.astype(np.float64)))


    @s2sgrad.function
    def gated(x: float, y: float):
        z = x * y
        dx, dy = s2sgrad.gradients(z * z, [x, y], gate_gradients=True)
        return dx


    def branchy(x: float):
        if x > 0:
            y = x ** 3
        else:
            y = np.sin(x) * x
        return y * 2.0


    @s2sgrad.function
    def copied(a: "float64[n]", b: "float64[n]"):
        t = np.tanh(a + b)
        da, db = s2sgrad.gradients(np.sum(t), [a, b])
        return db


    def looping(x: float, n: int):
        s = x
        for i in range(n):
            s = np.sin(s) * x
        return s


    def products(s, x):
        return np.sum(np.sin(np.cumprod(x + s)))
    """)


@pytest.fixture
def generated(tmp_path):
    """(write, load): emit a module from SOURCE with the command line's code, write it."""
    src = tmp_path / "user.py"
    src.write_text(SOURCE)

    def write(target, name, **options):
        out = tmp_path / name
        out.write_text(cli.emit_text(target.replace("SRC", str(src)), **options))
        return out

    return write


def test_cli_differentiates_a_generated_module(generated):
    first = generated("SRC::rational", "g1.py")
    text = first.read_text()
    assert "float(" in text  # the generated code uses the builtin float
    second = generated(f"{first}::grad_rational", "g2.py")  # types from its docstring
    mod = _load(second, "g2")
    close(mod.grad_grad_rational(X), 20 / (X - 3) ** 3)
    # and --order 2 on the source gives the same numbers
    direct = _load(generated("SRC::rational", "g2d.py", order=2), "g2d")
    close(direct.grad_grad_rational(X), 20 / (X - 3) ** 3)
    third = _load(generated(f"{second}::grad_grad_rational", "g3.py"), "g3")
    close(third.grad_grad_grad_rational(X), -60 / (X - 3) ** 4)


def test_cli_differentiates_a_generated_branch(generated):
    first = generated("SRC::branchy", "b1.py")
    assert "if _t0:" in first.read_text()
    mod = _load(generated(f"{first}::grad_branchy", "b2.py"), "b2")
    for x in (0.7, -0.7):
        close(mod.grad_grad_branchy(x), branchy_d2(x))


def test_cli_reads_the_unbroadcast_helper_as_its_op(generated):
    """Unknown ranks make the generated module call its `_unbroadcast` helper;
    read back, the call is the `unbroadcast` op again (never the helper's loop)."""
    first = generated("SRC::scaled", "g1.py", wrt="s", signature="s: float64[...], x: float64[...]")
    assert "def _unbroadcast(g, shape):" in first.read_text()
    parsed = S.from_file(str(first), "grad_scaled")
    assert parsed.resolver.lookup("_unbroadcast") == S.Meaning("op", name="unbroadcast")
    second = generated(
        f"{first}::grad_scaled", "g2.py", wrt="s", signature="s: float64[], x: float64[n]"
    )
    mod = _load(second, "g2u")
    s, x = np.float64(0.4), np.array([0.5, -1.0, 2.0])
    close(mod.grad_grad_scaled(s, x), np.sum(x * x * np.exp(s * x)))


def test_cli_reads_the_linear_scan_helper_as_its_op(generated):
    """cumprod's gradient calls the module's `_linear_scan` helper; read back, the call
    is the `linear_scan` op again, differentiated by its rule, exact at zeros."""
    signature = "s: float64[], x: float64[n]"
    first = generated("SRC::products", "p1.py", wrt="s", signature=signature)
    assert "def _linear_scan(v, a, axis, reverse=False):" in first.read_text()
    parsed = S.from_file(str(first), "grad_products")
    assert parsed.resolver.lookup("_linear_scan") == S.Meaning("op", name="linear_scan")
    second = _load(
        generated(f"{first}::grad_products", "p2.py", wrt="s", signature=signature), "p2"
    )
    x = np.array([1.5, 0.0, 2.0, 0.0, 0.7])
    hessian = s2sgrad.hessian(_load(first.parent / "user.py", "user_products").products, wrt=1)(
        0.0, x
    )
    # d/dx_1 of the gradient's entries 2 and 3: x_0 cos(y_2) and x_0 x_2 (cos(y_3) + x_4
    # cos(y_4)), products holding the zero x_1 in the gradient, 0 there but not their slopes
    close(hessian[2:4, 1], [1.5, 5.1])
    close(second.grad_grad_products(np.float64(0.0), x), np.sum(hessian))


def test_cli_reads_astype_and_gate_tuples(generated):
    first = generated("SRC::widen", "g1.py")
    assert ".astype(np.float32)" in first.read_text()
    mod = _load(first, "g1w")
    x = np.array([0.1, -0.4, 0.8], dtype=np.float32)
    _, vjp_fn = s2sgrad.vjp(mod.grad_widen, x)  # decorator path on generated code
    (hv,) = vjp_fn(np.ones(3, dtype=np.float32))
    assert hv.dtype == np.float32
    close(hv, np.exp(x.astype(np.float64)), rtol=1e-6)
    gated = generated("SRC::gated", "gate.py")
    assert "d_x, _ = d_z_2 * y, d_z_2 * x" in gated.read_text()  # gate_gradients' tuple
    # (d_y: nothing reads it)
    second = _load(generated(f"{gated}::gated", "gate2.py", wrt="x"), "gate2")
    close(second.grad_gated(0.7, 1.3), 2 * 1.3**2)  # d/dx (2 x y**2)


def test_generated_np_copy_reads_back(generated):
    first = generated("SRC::copied", "copied.py")
    assert "np.copy(" in first.read_text()  # the second of two gradients sharing an adjoint
    mod = _load(first, "copied")
    a, b, u = np.array([0.2, -0.5]), np.array([0.1, 0.3]), np.array([1.0, -2.0])
    t = np.tanh(a + b)
    close(mod.copied(a, b), 1 - t * t)
    _, vjp_fn = s2sgrad.vjp(mod.copied, a, b)
    da, db = vjp_fn(u)
    close(da, -2 * t * (1 - t * t) * u)
    close(db, -2 * t * (1 - t * t) * u)


def test_decorator_path_differentiates_a_generated_module(generated):
    mod = _load(generated("SRC::rational", "g1.py"), "g1r")
    close(s2sgrad.grad(mod.grad_rational)(X), 20 / (X - 3) ** 3)
    first = generated(
        "SRC::scaled", "g1s.py", wrt="s", signature="s: float64[...], x: float64[...]"
    )
    mod = _load(first, "g1s")
    assert S._meaning_of_object(mod._unbroadcast) == S.Meaning("op", name="unbroadcast")
    s, x = np.float64(0.4), np.array([0.5, -1.0, 2.0])
    close(s2sgrad.grad(mod.grad_scaled)(s, x), np.sum(x * x * np.exp(s * x)))


def test_loaded_generated_text_differentiates_again():
    """The text s2sgrad.source returns (loaded from linecache) reads back too."""
    from s2sgrad.loader import load

    g = s2sgrad.grad(log_bump)
    g(X)
    module = load(s2sgrad.source(g), "grad_log_bump")
    close(s2sgrad.grad(module.grad_log_bump)(X), (2 - 2 * X**2) / (1 + X**2) ** 2)


def test_generated_loop_tapes_are_refused(generated):
    first = generated("SRC::looping", "loop.py", signature="n=3")
    text = first.read_text()
    assert ".append(" in text and ".pop()" in text
    with pytest.raises(s2sgrad.UnsupportedError) as e:
        cli.emit_text(f"{first}::grad_looping")
    msg = str(e.value)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if ".append(" in l)
    assert f"loop.py:{line}:" in msg and ".append() is not supported" in msg
    assert "--order 2" in msg and "np.zeros" in msg
    assert cli.main(["emit", f"{first}::grad_looping", "-o", str(first) + ".out"]) == 1
    assert not (first.parent / "loop.py.out").exists()


def popping(x):
    xs = [x, 2.0 * x]
    v = xs.pop()
    return v * x


def test_list_pop_is_refused():
    with pytest.raises(s2sgrad.UnsupportedError, match=r"\.pop\(\) is not supported") as e:
        s2sgrad.grad(popping)(X)
    assert "test_higher_order.py:" in str(e.value)


def test_a_user_function_named_like_the_helper_is_not_the_helper():
    import gast

    from s2sgrad.ir.opcodes import OPS

    helper = gast.parse(OPS["unbroadcast"].helper).body[0]
    assert S.is_helper(helper)
    other = gast.parse("def _unbroadcast(g, shape):\n    return g * 2\n").body[0]
    assert not S.is_helper(other)
    assert (
        S.module_resolver(gast.parse("def _unbroadcast(g, shape):\n    return g\n"))
        .lookup("_unbroadcast")
        .kind
        != "op"
    )


def test_cli_order_errors(generated, tmp_path):
    src = tmp_path / "user.py"
    src.write_text(SOURCE)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="--order must be a positive integer"):
        cli.emit_text(f"{src}::rational", order=0)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="--order does not apply"):
        cli.emit_text(f"{src}::gated", order=2)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="grad_scaled returns an array"):
        cli.emit_text(f"{src}::scaled", wrt="x", signature="s: float, x: float64[n]", order=2)


# ---- forward over reverse: tapes in branches and in nested loops (found by the fuzzer) ------


def loop_after_early_return(x, w, n):
    if np.sum(x) > 10.0:  # the rest is a branch: the loop's tape is made in it
        return np.sum(np.sin(x))
    s = w
    for i in range(n):
        s = np.tanh(s * x + w)
    return np.sum(s * s)


def nested_loops(x, w, n):
    y = np.zeros(3)
    for i in range(n):
        for j in range(2):  # the inner loop's tape is pushed on the outer one's
            y[(i + j) % 3] = np.tanh(x[j] * w + y[-1])
            w = 0.5 * w + np.sin(np.sum(y))
    return np.sum(np.sin(y)) + np.sin(w)


@pytest.mark.parametrize("f", [loop_after_early_return, nested_loops])
def test_hessian_through_tapes_in_branches_and_nested_loops(f):
    x, w, v = np.array([0.3, -0.5, 0.8]), 0.4, np.array([1.0, -0.5, 2.0])
    g = s2sgrad.grad(f)
    H = _fd_jacobian(lambda x: g(x, w, 3), x)
    close(s2sgrad.hessian(f)(x, w, 3), H, rtol=1e-6, atol=1e-8)
    close(s2sgrad.jvp(g, (x, w, 3), (v, None, None))[1], H @ v, rtol=1e-6, atol=1e-8)


# ---- reverse over reverse through a loop whose reverse reads nothing saved ----------------------


def invariant_loop(x, c):
    y = np.sin(x)
    s = y
    for t in range(c.shape[0]):  # the reverse reads c[t] and t again: no tape
        s = s * c[t] + y * t
    return s * s


def invariant_loop_from_one(x, c):
    y = np.sin(x) * x
    s = y
    for t in range(1, c.shape[0]):
        s = s * c[t] + y * t
    return s * s


def invariant_while_counted(x, c):
    s = np.sin(x)
    k = 0
    while k < 3:
        s = s * c[k] + np.cos(x) * k
        k = k + 1
    return s * s


def invariant_while(x):
    s = x
    while s < 10.0:
        s = s * 1.5 + np.sin(x)
    return s


@pytest.mark.parametrize("f", [invariant_loop, invariant_loop_from_one])
def test_reverse_over_reverse_through_a_loop_without_a_tape(f):
    # the reverse of the adjoint loop (itself reversed) runs forwards: the order matters here,
    # each iteration scaling by its own c[t]
    c, x = np.array([0.5, -1.0, 2.0, 0.3]), 0.7
    g = s2sgrad.grad(f)
    expected = _fd_jacobian(lambda x: g(x, c), x)
    close(s2sgrad.grad(g)(x, c), expected, rtol=1e-7)
    close(s2sgrad.value_and_grad(g)(x, c)[1], expected, rtol=1e-7)
    close(s2sgrad.vjp(g, x, c)[1](1.0)[0], expected, rtol=1e-7)
    close(s2sgrad.grad(g)(x, c), s2sgrad.hessian(f)(x, c), rtol=1e-12)
    assert ".pop()" not in s2sgrad.source(s2sgrad.grad(g), x, c)


def test_second_derivative_through_a_counted_while_loop():
    """A while loop's trip count is taped, so reverse over reverse refuses it: grad(grad)
    goes forward over reverse instead, with the same numbers."""
    c, x = np.array([0.5, -1.0, 2.0, 0.3]), 0.7
    g = s2sgrad.grad(invariant_while_counted)
    expected = _fd_jacobian(lambda x: g(x, c), x)
    close(s2sgrad.grad(g)(x, c), expected, rtol=1e-7)
    close(s2sgrad.value_and_grad(g)(x, c)[1], expected, rtol=1e-7)
    close(s2sgrad.vjp(g, x, c)[1](1.0)[0], expected, rtol=1e-7)
    close(s2sgrad.grad(g)(x, c), s2sgrad.hessian(invariant_while_counted)(x, c), rtol=1e-12)


def test_reverse_over_reverse_through_a_while_loop_without_a_tape():
    g = s2sgrad.grad(invariant_while)
    for x in (0.3, 1.7):
        expected = _fd_jacobian(g, x)
        close(s2sgrad.grad(g)(x), expected, rtol=1e-6)
        close(s2sgrad.grad(g)(x), s2sgrad.hessian(invariant_while)(x), rtol=1e-12)


def fuzz_seed92_3234(x0, x1, w, n, c=-0.8):
    w = np.sin(max(x1[1, 2], w))
    y1 = np.zeros_like(x0)
    for e3, e4 in zip(x1, x0):
        ra5 = np.tanh(c * 0.3)
        rb6 = np.sin(
            max(
                c,
                (
                    np.tanh(np.sum(x0[-1, ::2])) ** 2
                    if np.sum(np.tanh(x0) ** 2) > 0.5
                    else np.sum(e3 * -0.5)
                ),
            )
        )
        rc7 = np.tanh(1.5 / (1.5 + np.tanh(np.sum(y1[:, 1:]) * 0.7) ** 2))
        k8 = 0
        while k8 < 3:
            k8 = k8 + 1
            if 2.0 * k8 < -1.0:
                ra5, rb6, rc7 = rb6, rc7, ra5
            else:
                rb6 = np.sin(0.7)
            y1[0, 0] = ra5
            if not np.sum(x1) < 1.5:
                rb6 = 0.5 * (w * np.sum(y1))
                break
        cand9 = 0.5 * (
            0.5
            * sum(
                np.exp(0.5 * np.tanh(float(rb6)))
                for c10 in (
                    x0,
                    x1,
                )
            )
        )
        if cand9 < ra5:
            ra5 = cand9
            x1 = x0
        y1[:, 1] = c
    i11 = 0
    for i11 in range(n):
        prev12 = np.tanh(
            x0 * np.sum(np.array([np.tanh(y1) ** 2 for c14 in range(1, 3) if c14 % 2 == 0]))
        )
        cur15 = 0.5 * ((prev12[::-1] * 0.3) / (1.5 + x0**2))
        for e17, e18 in zip(x1, x1):
            prev12 = cur15
            cur15 = np.tanh(-0.5 * prev12 + cur15)
        s19 = np.sin(c if i11 > 0 else np.sum(y1[0]))
    return np.sin(c) + np.sum(0.5 * x0) + np.sum(np.sin(y1)) + np.sin(w)


def test_hessian_through_a_conditional_expressions_unevaluated_arm():
    """Found by the fuzzer (seed 92, program 3234): forward over reverse made the zero
    tangent of an adjoint like a popped value that was None (the arm of `a if c else b`
    not taken, on the tape): np.zeros_like(None) is an object array."""
    x0 = np.array(
        [
            [-0.7523131890412058, 0.9228362053621499, -0.40486905347163216],
            [-0.42944045048030155, -0.9709770559019322, -0.8991196973339943],
        ]
    )
    x1 = np.array(
        [
            [-0.9735937994497732, 0.7995569464280807, 0.9028546207330466],
            [0.9172369283748505, -0.2829028941966789, 0.5062676760630702],
        ]
    )
    w = 0.41322172749232333
    g = s2sgrad.grad(fuzz_seed92_3234, 1)
    H = s2sgrad.hessian(fuzz_seed92_3234, 1)(x0, x1, w, 2)
    fd = _fd_jacobian(lambda v: g(x0, v.reshape(x1.shape), w, 2).ravel(), x1.ravel())
    close(H.reshape(fd.shape), fd, rtol=1e-6, atol=1e-8)


def test_generated_out_into_dead_arrays_reads_back():
    """golden/in_place_dying's module writes results into dead arrays (`d_c =
    np.divide(x, _t1, out=_t1)`, `_t2 = np.subtract(1.0, _t0, out=_t0)`, `_t3 =
    np.cos(x, out=c)`): read back as `v[...] = np.f(...); r = v`, its vjp is the
    Hessian's product (central differences of the gradient)."""
    from pathlib import Path

    from numeric import central_difference

    path = Path(__file__).parent.parent / "golden" / "in_place_dying" / "grad.py"
    text = path.read_text()
    assert "np.divide(x, _t1, out=_t1)" in text and "np.cos(x, out=c)" in text
    mod = _load(path, "in_place_dying_grad")
    x = np.linspace(-0.8, 0.9, 5)
    u = np.linspace(1.0, 2.0, 5)
    _, vjp_fn = s2sgrad.vjp(mod.grad_f, x)
    (hu,) = vjp_fn(u)
    want = central_difference(lambda x: mod.grad_f(x) * u, [x], 0)
    np.testing.assert_allclose(hu, want, rtol=1e-6, atol=1e-8)
