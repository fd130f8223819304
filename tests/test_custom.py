"""Custom rules (SPEC.md, "Custom rules"): `custom_vjp` for the user's own functions,
`register_gradient` for functions s2sgrad lacks, a `LookupError` for a function with no
rule on the gradient path, and the generated module standalone with the rules copied in.

Registrations are global (as TensorFlow's): each test that registers restores the
registry afterwards (`registry` fixture)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad
from s2sgrad import custom as C

HERE = os.path.dirname(os.path.abspath(__file__))


def cd(fn, x):
    return central_difference(fn, (x,), 0)


@pytest.fixture
def registry():
    saved = dict(C.REGISTRY)  # (what other modules registered is not this test's)
    C.REGISTRY.clear()
    yield C.REGISTRY
    C.REGISTRY.clear()
    C.REGISTRY.update(saved)
    C._new_rule()


# ---- the spec's example, as written ------------------------------------------------------


@s2sgrad.custom_vjp  # a gradient for the user's own function
def safe_log(x):
    return np.log(np.maximum(x, 1e-300))


@safe_log.defvjp
def _(g, ans, x):  # cotangent, result, then the arguments
    return (g / np.maximum(x, 1e-300),)


def register_sinc():
    @s2sgrad.register_gradient(np.sinc)  # a NumPy/SciPy function s2sgrad lacks
    def _(g, ans, x):
        return (g * (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x),)


def loss(x, w):
    return np.sum(safe_log(x * x + 1.0) * np.sinc(w * x))


@s2sgrad.function
def loss_gradients(x, w):
    return s2sgrad.gradients(np.sum(safe_log(x * x + 1.0) * np.sinc(w * x)), [x, w])


X = np.array([0.3, -1.7, 2.2, 0.9])
W = 0.8


def expected():
    return cd(lambda x: loss(x, W), X), cd(lambda w: loss(X, w), W)


def test_custom_vjp_and_register_gradient_from_grad(registry):
    register_sinc()
    d_x, d_w = s2sgrad.grad(loss, (0, 1))(X, W)
    e_x, e_w = expected()
    np.testing.assert_allclose(d_x, e_x, rtol=1e-6)
    np.testing.assert_allclose(d_w, e_w, rtol=1e-6)
    assert isinstance(d_w, float)


def test_custom_rules_from_the_decorator(registry):
    register_sinc()
    d_x, d_w = loss_gradients(X, W)
    e_x, e_w = expected()
    np.testing.assert_allclose(d_x, e_x, rtol=1e-6)
    np.testing.assert_allclose(d_w, e_w, rtol=1e-6)


def test_custom_rules_from_value_and_grad_and_vjp(registry):
    register_sinc()
    value, d_x = s2sgrad.value_and_grad(loss)(X, W)
    assert value == pytest.approx(loss(X, W))
    out, back = s2sgrad.vjp(loss, X, W)
    d_x2, d_w2 = back(2.0)
    np.testing.assert_allclose(d_x2, 2.0 * d_x)


def test_the_generated_module_copies_the_rules_in(registry):
    register_sinc()
    g = s2sgrad.grad(loss)
    g(X, W)
    text = s2sgrad.source(g)
    assert "def safe_log(x):\n    return np.log(np.maximum(x, 1e-300))" in text
    assert "def _vjp_safe_log(g, ans, x):" in text and "def _vjp_sinc(g, ans, x):" in text
    assert "@" not in text.split("def grad_loss")[0]  # (decorators left behind)
    assert "np.sinc(" in text and "_vjp_sinc(" in text


def test_a_custom_function_called_plainly_is_the_function():
    assert safe_log(np.e) == pytest.approx(1.0)


# ---- registrations ----------------------------------------------------------------------


def test_registering_twice_needs_override(registry):
    register_sinc()
    with pytest.raises(ValueError, match="already registered.*override=True"):
        register_sinc()

    @s2sgrad.register_gradient(np.sinc, override=True)
    def _(g, ans, x):
        return (2.0 * g * (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x),)

    d_x, d_w = s2sgrad.grad(loss, (0, 1))(X, W)
    assert d_w == pytest.approx(2.0 * expected()[1], rel=1e-6)  # (w reaches sinc only)


def test_overriding_a_built_in_rule(registry):
    def f(x):
        return np.sum(np.exp(x))

    with pytest.raises(ValueError, match="np.exp has a built-in rule"):
        s2sgrad.register_gradient(np.exp)(lambda g, ans, x: (g * ans,))
    g = s2sgrad.grad(f)
    np.testing.assert_allclose(g(X), np.exp(X))

    @s2sgrad.register_gradient("np.exp", override=True)
    def _(g, ans, x):
        return (3.0 * g * ans,)  # (deliberately not exp's: to see it used)

    np.testing.assert_allclose(g(X), 3.0 * np.exp(X))  # built again after registering
    assert "_vjp_exp(" in s2sgrad.source(g)


def test_registering_what_is_not_an_importable_function_is_an_error():
    with pytest.raises(ValueError, match="custom_vjp"):
        s2sgrad.register_gradient(lambda x: x)
    with pytest.raises(ValueError, match="custom_vjp function"):
        s2sgrad.register_gradient(safe_log)
    with pytest.raises(ValueError, match="dotted name"):
        s2sgrad.register_gradient("sinc")


def test_a_function_of_several_arguments_and_another_shape(registry):
    """np.convolve (full mode): y has len(a) + len(v) - 1 entries; da = correlate(g, v),
    dv = correlate(g, a) (valid mode)."""

    @s2sgrad.register_gradient(np.convolve, shape=lambda a, v: (a[0] + v[0] - 1,))
    def _(g, ans, a, v):
        return (np.correlate(g, v, "valid"), np.correlate(g, a, "valid"))

    def f(a, v):
        return np.sum(np.sin(np.convolve(a, v)))

    a, v = np.array([0.5, -1.0, 2.0, 0.1]), np.array([1.5, 0.3])
    s2sgrad.check_grads(f, (0, 1), a, v, modes=("rev",), rtol=1e-6, atol=0.0)


def test_a_registered_scipy_function(registry):
    special = pytest.importorskip("scipy.special")

    @s2sgrad.register_gradient(special.erf)
    def _(g, ans, x):
        return (g * 2.0 / np.sqrt(np.pi) * np.exp(-x * x),)

    def f(x):
        return np.sum(special.erf(x) * x)

    g = s2sgrad.grad(f)
    np.testing.assert_allclose(g(X), cd(f, X), rtol=1e-6)
    assert "import scipy.special" in s2sgrad.source(g)


# ---- custom_vjp ------------------------------------------------------------------------


@s2sgrad.custom_vjp(shape=lambda x: ())
def clipped_norm(x):
    try:  # (a body s2sgrad could not differentiate)
        return min(np.sqrt(np.sum(x * x)), 10.0)
    except FloatingPointError:
        return 0.0


@clipped_norm.defvjp
def _(g, ans, x):
    return (np.where(ans < 10.0, g * x / ans, 0.0),)


def test_a_custom_vjp_function_s2sgrad_cannot_read_typed_by_shape():
    def f(x):
        return clipped_norm(x) * 3.0

    s2sgrad.check_grads(f, 0, X, modes=("rev",), rtol=1e-6, atol=0.0)


EPS = 1e-12


@s2sgrad.custom_vjp
def soft_abs(x):
    return np.sqrt(x * x + EPS)


@soft_abs.defvjp
def _(g, ans, x):
    return (g * x / ans,)


def in_a_loop(x, w):
    s = 0.0
    for i in range(3):
        x = soft_abs(x * w - 0.5)
        s = s + np.sum(x)
    return s + np.sum(soft_abs(w))


def test_a_custom_vjp_function_in_a_loop_reading_a_global_number():
    w = np.array([0.7, -1.3, 0.4, 1.1])
    g = s2sgrad.grad(in_a_loop, (0, 1))
    d_x, d_w = g(X, w)
    np.testing.assert_allclose(d_x, cd(lambda x: in_a_loop(x, w), X), rtol=1e-6)
    np.testing.assert_allclose(d_w, cd(lambda w: in_a_loop(X, w), w), rtol=1e-6)
    text = s2sgrad.source(g)
    assert "EPS = 1e-12" in text and text.count("def _vjp_soft_abs(") == 1


def test_a_rule_must_return_a_tuple_display():
    @s2sgrad.custom_vjp
    def f(x):
        return x * 2.0

    with pytest.raises(s2sgrad.UnsupportedError, match="returns a tuple display") as info:

        @f.defvjp
        def _(g, ans, x):
            return g * 2.0

    assert "test_custom.py:" in str(info.value)


def test_a_rule_returning_the_wrong_count_is_located_at_the_call():
    @s2sgrad.custom_vjp
    def twice(x):
        return x * 2.0

    @twice.defvjp
    def _(g, ans, x):
        return (g * 2.0, None)

    def f(x):
        return np.sum(twice(x))

    with pytest.raises(s2sgrad.UnsupportedError, match="returns 2 entries.*passes 1") as info:
        s2sgrad.grad(f)(X)
    assert "np.sum(twice(x))" in str(info.value)


def test_a_custom_vjp_function_without_a_rule_is_located_at_the_call():
    @s2sgrad.custom_vjp
    def ruleless(x):
        return x

    def f(x):
        return np.sum(ruleless(x))

    with pytest.raises(s2sgrad.UnsupportedError, match="without a rule") as info:
        s2sgrad.grad(f)(X)
    assert "ruleless.defvjp" in str(info.value)


def test_a_rule_reading_a_global_array_is_refused_where_it_is_defined():
    @s2sgrad.custom_vjp
    def scaled(x):
        return x * 2.0

    with pytest.raises(s2sgrad.UnsupportedError, match="reads the global 'X'"):

        @scaled.defvjp
        def _(g, ans, x):
            return (g * X,)


def test_second_derivatives_through_a_custom_rule_are_a_lookup_error():
    def f(x):
        return np.sum(soft_abs(x) ** 2)

    with pytest.raises(LookupError, match="second derivative through a custom rule"):
        s2sgrad.grad(s2sgrad.grad(f))(0.7)


# ---- no rule: a LookupError on the gradient path, a constant off it ------------------------


def unknown_on_path(x):
    return np.sum(np.convolve(x, x))  # no-rule


def test_a_function_without_a_rule_on_the_gradient_path_is_a_lookup_error():
    with pytest.raises(LookupError) as info:
        s2sgrad.grad(unknown_on_path)(X)
    assert isinstance(info.value, s2sgrad.NoGradientError)
    msg = str(info.value)
    assert "no gradient for np.convolve" in msg
    assert "test_custom.py:" in msg and "np.sum(np.convolve(x, x))" in msg
    assert "@s2sgrad.register_gradient(np.convolve)\n    def _(g, ans, x, y):" in msg


def off_path(x, c):
    k = np.convolve(c, c)
    return np.sum(x * k[:4]) + np.median(c)


def test_a_function_without_a_rule_off_the_gradient_path_is_a_constant():
    c = np.array([0.5, 0.2, -0.3, 1.0])
    g = s2sgrad.grad(off_path)
    np.testing.assert_allclose(g(X, c), np.convolve(c, c)[:4])
    value, _ = s2sgrad.value_and_grad(off_path)(X, c)
    assert value == pytest.approx(off_path(X, c))


def test_a_global_random_draw_is_refused():
    def f(x):
        return np.sum(x * np.random.normal(size=4))

    with pytest.raises(s2sgrad.UnsupportedError, match="global random state"):
        s2sgrad.grad(f)(X)


def test_out_and_writing_functions_are_refused():
    def f(x):
        y = np.zeros(4)
        done = np.copyto(y, x)
        return np.sum(y)

    with pytest.raises(s2sgrad.UnsupportedError, match="writes into its argument"):
        s2sgrad.grad(f)(X)


# ---- the command line and a module without s2sgrad ---------------------------------------

RULES = """\
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
"""

MODEL = """\
import numpy as np
import s2sgrad
from rules import safe_log


def loss(x, w):
    return np.sum(safe_log(x * x + 1.0) * np.sinc(w * x))
"""


def emit(tmp_path, files, target, *args):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    out = subprocess.run(
        [sys.executable, "-m", "s2sgrad.cli", "emit", target, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    return out


CHECK = """
import sys
sys.path.insert(0, ".")
import numpy as np
import {module}
x = np.array([0.3, -1.7, 2.2, 0.9]); w = 0.8
d_x, d_w = {module}.grad_loss(x, w)
print(repr(d_x.tolist()), repr(d_w))
assert not [m for m in sys.modules if m.startswith("s2sgrad")]
"""


@pytest.mark.parametrize("layout", ["one file", "rules in a module of the same folder"])
def test_the_cli_finds_the_rules_and_the_module_runs_without_s2sgrad(tmp_path, layout):
    if layout == "one file":
        files = {"model.py": RULES + "\n\n" + MODEL.split("from rules import safe_log\n")[1]}
    else:
        files = {"rules.py": RULES, "model.py": MODEL}
    out = emit(
        tmp_path,
        files,
        "model.py::loss",
        "--wrt",
        "x,w",
        "--signature",
        "x: float64[n], w: float",
        "-o",
        "model_grad.py",
    )
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "model_grad.py").read_text()
    assert "def _vjp_safe_log(" in text and "def _vjp_sinc(" in text
    run = subprocess.run(
        [sys.executable, "-c", CHECK.format(module="model_grad")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    got = run.stdout.strip().rsplit(" ", 1)
    e_x, e_w = expected()  # (model.py's loss is this file's)
    np.testing.assert_allclose(eval(got[0]), e_x, rtol=1e-6)
    assert float(got[1]) == pytest.approx(e_w, rel=1e-6)


def test_the_cli_without_a_rule_is_a_located_lookup_error(tmp_path):
    out = emit(
        tmp_path,
        {"m.py": "import numpy as np\n\n\ndef loss(x, w):\n    return np.sum(np.sinc(w * x))\n"},
        "m.py::loss",
        "-o",
        "g.py",
    )
    assert out.returncode != 0
    assert "m.py:5:" in out.stderr and "no gradient for np.sinc" in out.stderr
    assert "@s2sgrad.register_gradient(np.sinc)" in out.stderr
    assert not (tmp_path / "g.py").exists()


def test_an_unregistered_scipy_function_on_the_gradient_path_is_a_lookup_error():
    special = pytest.importorskip("scipy.special")

    def f(x):
        return np.sum(special.gammaln(x) * x)

    with pytest.raises(LookupError, match="no gradient for scipy.special.gammaln") as info:
        s2sgrad.grad(f)(np.array([1.5, 2.5]))
    assert "@s2sgrad.register_gradient(scipy.special.gammaln)" in str(info.value)


def test_a_registered_math_function_on_python_floats(registry):
    import math

    @s2sgrad.register_gradient(math.erf)
    def _(g, ans, x):
        return (g * 2.0 / math.sqrt(math.pi) * math.exp(-x * x),)

    def f(x):
        return math.erf(x) * 2.0

    g = s2sgrad.grad(f)
    assert g(0.3) == pytest.approx(cd(f, 0.3), rel=1e-7)
    assert isinstance(g(0.3), float) and "import math" in s2sgrad.source(g)


def test_differentiating_a_custom_vjp_function_itself_points_to_a_caller():
    with pytest.raises(ValueError, match="custom_vjp function"):
        s2sgrad.grad(safe_log)


def helper_of_mine(x):
    return x * 2.0


def test_a_custom_function_reading_a_function_of_the_users_is_refused_where_it_is_defined():
    with pytest.raises(s2sgrad.UnsupportedError, match="reads the global 'helper_of_mine'"):

        @s2sgrad.custom_vjp
        def f(x):
            return helper_of_mine(x)

        @f.defvjp
        def _(g, ans, x):
            return (g * 2.0,)

        f.custom()


# ---- what a rule gives, made its argument's adjoint at run time (rule_adjoint) -----------


@s2sgrad.custom_vjp
def scale(x, k):
    return x * k


@scale.defvjp
def _(g, ans, x, k):
    return (g * k, None)  # None: k gets no gradient from this rule


def scaled(x, k):
    return np.sum(scale(x, k))


def scaled_twice(x, k):
    h = x
    for _ in range(2):
        h = scale(h, k)
    return np.sum(h)


@pytest.mark.parametrize("k", [2.0, np.array(2.0), np.array([2.0, 3.0])], ids=["py", "0d", "1d"])
@pytest.mark.parametrize("f", [scaled, scaled_twice])
def test_a_rules_none_is_a_zero_gradient(f, k):
    x = np.array([1.0, 2.0])
    d_x, d_k = s2sgrad.grad(f, wrt=(0, 1))(x, k)
    np.testing.assert_allclose(d_x, central_difference(f, (x, k), 0), rtol=1e-6)
    assert np.shape(d_k) == np.shape(k) and not np.any(d_k)


@s2sgrad.custom_vjp
def doubled(x):
    return x * 2.0


@doubled.defvjp
def _(g, ans, x):
    return (g * np.full(np.shape(x), 2.0),)  # float64 whatever x's dtype


@s2sgrad.custom_vjp
def flat(x):
    return x * 2.0


@flat.defvjp
def _(g, ans, x):
    return (0.0,)  # a number for an array: zeros of its shape


@s2sgrad.custom_vjp
def wrong(x):
    return x * 2.0


@wrong.defvjp
def _(g, ans, x):
    return (np.ones(4),)


def test_a_rules_entry_takes_its_arguments_dtype_and_shape():
    x32 = np.ones(3, np.float32)
    for f in (doubled_sum, doubled_times):
        g = s2sgrad.grad(f)(x32)
        assert g.dtype == np.float32, g
    x = np.array([0.5, -1.0, 2.0])
    g = s2sgrad.grad(flat_plus)(x)
    np.testing.assert_array_equal(g, np.ones(3))
    with pytest.raises(
        ValueError, match=r"custom rule of wrong gave an adjoint of shape \(4,\) for"
    ):
        s2sgrad.grad(wrong_sum)(x)


def flat_plus(x):
    return np.sum(flat(x)) + np.sum(x)


def wrong_sum(x):
    return np.sum(wrong(x))


def doubled_sum(x):
    return np.sum(doubled(x))


def doubled_times(x):
    return np.sum(doubled(x) * x)


@s2sgrad.custom_vjp
def column(a):
    return a * 2.0


@column.defvjp
def _(g, ans, a):
    return ((g * 2.0)[:, None],)  # (3, 1) for a (3,) argument: neither its shape nor the
    # result's (hunt 10: it was summed to [6, 6, 6])


def column_sum(x):
    return np.sum(column(x))


@s2sgrad.custom_vjp
def shifted(a, b):
    return a + b


@shifted.defvjp
def _(g, ans, a, b):
    return (g, g)  # the result's shape for b, broadcast into it: summed to b's


def shifted_squares(x, c):
    return np.sum(shifted(x, c) ** 2)


def test_a_rules_entry_of_another_shape_is_an_error_and_the_results_is_summed():
    x = np.array([0.3, -0.7, 1.1])
    with pytest.raises(ValueError, match=r"column gave an adjoint of shape \(3, 1\)"):
        s2sgrad.grad(column_sum)(x)
    for c in (0.5, np.array([0.5]), np.array([[0.5], [0.2]])):
        d_x, d_c = s2sgrad.grad(shifted_squares, wrt=(0, 1))(x, c)
        assert np.shape(d_c) == np.shape(c)
        np.testing.assert_allclose(d_c, central_difference(shifted_squares, (x, c), 1), rtol=1e-6)
