"""The user contract of SPEC.md: its seed examples exactly as written, the
options of `gradients`, the functional API, specialisation and caching.

s2sgrad reads source from files, so every function under test is defined at
the top level of this module.
"""

import importlib.util
import re
import subprocess
import sys
import textwrap
import threading

import numpy
import numpy as np
import pytest
from numeric import central_difference

import s2sgrad
from s2sgrad import rules, transform

# ---- the seed examples of SPEC.md, as written ------------------------------------


@s2sgrad.function
def example():
    a = np.float64(0.0)
    b = 2 * a
    return s2sgrad.gradients(a + b, [a, b], stop_gradients=[a, b])


@s2sgrad.function
def total():
    a = np.float64(0.0)
    b = 2 * a
    return s2sgrad.gradients(a + b, [a, b])


@s2sgrad.function
def stopped():
    a = s2sgrad.stop_gradient(np.float64(0.0))
    b = s2sgrad.stop_gradient(2 * a)
    return s2sgrad.gradients(a + b, [a, b])


@s2sgrad.function
def unconnected(use_zero):
    a = np.ones([1, 2])
    b = np.ones([3, 1])
    if use_zero:
        return s2sgrad.gradients([b], [a], unconnected_gradients="zero")
    else:
        return s2sgrad.gradients([b], [a], unconnected_gradients="none")


@s2sgrad.function
def backprop():
    Ws = np.float64(0.0)
    bs = 2 * Ws
    cost = Ws + bs
    dCost_dW, dCost_db = s2sgrad.gradients(cost, [Ws, bs])
    return dCost_dW, dCost_db


def test_example_partial_derivatives():
    assert repr(example()) == "[1.0, 1.0]"


def test_total_derivatives():
    assert repr(total()) == "[3.0, 1.0]"


def test_stopped():
    assert repr(stopped()) == "[1.0, 1.0]"


def test_unconnected_none():
    assert repr(unconnected(False)) == "[None]"


def test_unconnected_zero():
    result = unconnected(True)
    assert repr(result) == "[array([[0., 0.]])]"
    (d_a,) = result
    assert isinstance(d_a, np.ndarray) and d_a.shape == (1, 2) and d_a.dtype == np.float64


def test_backprop():
    assert repr(backprop()) == "(3.0, 1.0)"


def test_float64_scalar_gradients_are_python_floats():
    # NumPy 2 prints np.float64(1.0); SPEC.md prints 1.0 (docs/contract.md).
    assert all(type(v) is float for v in total())


SPEC_BLOCK = """\
import numpy
import numpy as np
import s2sgrad

@s2sgrad.function
def example():
    a = np.float64(0.)
    b = 2 * a
    return s2sgrad.gradients(a + b, [a, b], stop_gradients=[a, b])
example()                      # [1.0, 1.0]   partial derivatives

@s2sgrad.function
def total():
    a = np.float64(0.)
    b = 2 * a
    return s2sgrad.gradients(a + b, [a, b])
total()                        # [3.0, 1.0]   total derivatives

@s2sgrad.function
def stopped():
    a = s2sgrad.stop_gradient(np.float64(0.))
    b = s2sgrad.stop_gradient(2 * a)
    return s2sgrad.gradients(a + b, [a, b])
stopped()                      # [1.0, 1.0]

@s2sgrad.function
def unconnected(use_zero):
    a = np.ones([1, 2])
    b = np.ones([3, 1])
    if use_zero:
        return s2sgrad.gradients([b], [a], unconnected_gradients='zero')
    else:
        return s2sgrad.gradients([b], [a], unconnected_gradients='none')
unconnected(False)             # [None]
unconnected(True)              # [array([[0., 0.]])]

@s2sgrad.function
def backprop():
    Ws = np.float64(0.)
    bs = 2 * Ws
    cost = Ws + bs
    dCost_dW, dCost_db = s2sgrad.gradients(cost, [Ws, bs])
    return dCost_dW, dCost_db
backprop()                     # (3.0, 1.0)
"""


def test_spec_block_pasted_into_a_file(tmp_path):
    """SPEC.md's block, pasted into a file with each bare call printed, prints
    what its comments say."""
    lines, expected = [], []
    for line in SPEC_BLOCK.splitlines():
        if line and not line[0].isspace() and "#" in line and line.split("(")[0].isidentifier():
            call, _, comment = line.partition("#")
            expected.append(comment.strip().split("   ")[0].strip())
            lines.append(f"print(repr({call.strip()}))")
        else:
            lines.append(line)
    path = tmp_path / "spec_examples.py"
    path.write_text("\n".join(lines) + "\n")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == expected
    assert len(expected) == 6


# ---- options of gradients ----------------------------------------------------------


def test_unconnected_gradients_enum():
    U = s2sgrad.UnconnectedGradients
    assert U.NONE.value == "none" and U.ZERO.value == "zero"
    assert U("none") is U.NONE and U("zero") is U.ZERO
    assert [m.name for m in U] == ["NONE", "ZERO"]


@s2sgrad.function
def unconnected_enum(x, use_zero):
    y = np.sin(x)
    z = np.ones([3])
    if use_zero:
        return s2sgrad.gradients(y, [x, z], unconnected_gradients=s2sgrad.UnconnectedGradients.ZERO)
    return s2sgrad.gradients(y, [x, z], unconnected_gradients=s2sgrad.UnconnectedGradients.NONE)


def test_unconnected_gradients_as_enum():
    x = np.array([0.5, 1.0, 2.0])
    d_x, d_z = unconnected_enum(x, False)
    np.testing.assert_allclose(d_x, np.cos(x))
    assert d_z is None
    d_x, d_z = unconnected_enum(x, True)
    np.testing.assert_allclose(d_x, np.cos(x))
    assert d_z.shape == (3,) and d_z.dtype == np.float64 and not d_z.any()


def test_aggregation_method_constants():
    A = s2sgrad.AggregationMethod
    assert A.ADD_N == A.DEFAULT == 0
    assert A.EXPERIMENTAL_TREE == 1
    assert A.EXPERIMENTAL_ACCUMULATE_N == 2


@s2sgrad.function
def fan_out(a, x, method):
    y = np.sum(a * a + a * x + np.sin(a) + np.exp(a))
    return s2sgrad.gradients(y, [a, x], aggregation_method=method)


@pytest.mark.parametrize("method", [None, 0, 1, 2])
def test_aggregation_methods_agree(method):
    a = np.array([0.3, -1.2, 2.0])
    x = np.array([1.5, 0.25, -0.5])
    d_a, d_x = fan_out(a, x, method)
    np.testing.assert_allclose(d_a, 2 * a + x + np.cos(a) + np.exp(a), rtol=1e-12)
    np.testing.assert_allclose(d_x, a, rtol=1e-12)


def test_aggregation_methods_are_distinct_code():
    a, x = np.ones(3), np.ones(3)
    texts = {}
    for method in (
        s2sgrad.AggregationMethod.ADD_N,
        s2sgrad.AggregationMethod.EXPERIMENTAL_TREE,
        s2sgrad.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N,
    ):
        texts[method] = s2sgrad.source(fan_out, a, x, method)
    bodies = [t.split('"""', 2)[2] for t in texts.values()]  # past the docstring
    assert len(set(bodies)) == 3
    assert s2sgrad.source(fan_out, a, x, None).split('"""', 2)[2] == bodies[0]  # DEFAULT = ADD_N


@s2sgrad.function
def gated(a, x, gate):
    y = np.sum(a * x)
    return s2sgrad.gradients(y, [a, x], gate_gradients=gate)


def test_gate_gradients_one_tuple_assignment():
    a, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    ungated, gated_ = gated(a, x, False), gated(a, x, True)
    for u, g in zip(ungated, gated_):
        np.testing.assert_array_equal(u, g)
    np.testing.assert_array_equal(gated_[0], x)
    np.testing.assert_array_equal(gated_[1], a)
    text = s2sgrad.source(gated, a, x, True)
    assert any(line.strip().startswith("d_a, d_x = ") for line in text.splitlines()), text
    assert "d_a, d_x = " not in s2sgrad.source(gated, a, x, False)


@s2sgrad.function
def named(a, x):
    y = np.sum(np.sin(a * x))
    return s2sgrad.gradients(y, [a, x], name="outer")


def test_name_prefixes_adjoints():
    a, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    d_a, d_x = named(a, x)
    np.testing.assert_allclose(d_a, np.cos(a * x) * x, rtol=1e-15)
    np.testing.assert_allclose(d_x, np.cos(a * x) * a, rtol=1e-15)
    text = s2sgrad.source(named)
    assert "outer_d_a" in text and "outer_d_x" in text
    assert "# ---- outer:" in text


@s2sgrad.function
def weighted(x, w):
    y = np.sin(x)
    return s2sgrad.gradients(y, [x], grad_ys=[w])


def test_grad_ys_weights():
    x = np.array([0.1, 0.2, 0.3])
    w = np.array([1.0, -2.0, 0.5])
    (d_x,) = weighted(x, w)
    np.testing.assert_allclose(d_x, w * np.cos(x))


@s2sgrad.function
def two_ys(x):
    y1 = np.sin(x)
    y2 = x * x
    return s2sgrad.gradients([y1, y2], [x])


def test_sum_over_ys():
    x = np.array([0.5, 1.5])
    (d_x,) = two_ys(x)
    np.testing.assert_allclose(d_x, np.cos(x) + 2 * x)


@s2sgrad.function
def partial(x):
    h = np.exp(x)
    y = h * x
    return s2sgrad.gradients(y, [x], stop_gradients=[h])


def test_stop_gradients_gives_partial_derivatives():
    x = np.array([0.5, 1.5])
    (d_x,) = partial(x)
    np.testing.assert_allclose(d_x, np.exp(x))


def test_gradient_has_shape_and_dtype_of_x():
    x = np.array([[1.0, 2.0]], dtype=np.float32)
    (d_x,) = weighted(x, np.ones((1, 2), dtype=np.float32))
    assert d_x.shape == (1, 2) and d_x.dtype == np.float32


# ---- integer values are constant -----------------------------------------------------


@s2sgrad.function
def int_values(x, n):
    k = n * 2
    m = np.argmax(x)
    y = x * k + m
    return s2sgrad.gradients(y, [x, k, n, m])


@s2sgrad.function
def int_array(i, x):
    y = np.sum(i * x)
    return s2sgrad.gradients(y, [i, x])


def test_gradients_wrt_integer_values_are_none():
    x = np.array([1.0, 3.0, 2.0])
    d_x, d_k, d_n, d_m = int_values(x, 3)
    np.testing.assert_array_equal(d_x, [6.0, 6.0, 6.0])
    assert d_k is None and d_n is None and d_m is None


def test_gradients_wrt_integer_array_is_none():
    i = np.array([1, 2, 3])
    x = np.array([0.5, 0.5, 0.5])
    d_i, d_x = int_array(i, x)
    assert d_i is None
    np.testing.assert_array_equal(d_x, [1.0, 2.0, 3.0])
    assert d_x.dtype == np.float64


# ---- the functional API ----------------------------------------------------------------


def mlp(x, W, b):
    return np.sum(np.tanh(x @ W + b) ** 2)


def scalar_fn(x):
    return x * x * x


def vector_fn(x, c):
    return np.sin(x) * c


def mlp_args():
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=(5,))


@pytest.mark.parametrize("wrt", [0, 1, 2, "W", -1])
def test_grad_matches_central_differences(wrt):
    # grad(mlp, wrt=wrt), shaped like its argument, against central differences
    s2sgrad.check_grads(mlp, wrt, *mlp_args(), modes=("rev",), rtol=1e-6, atol=1e-8)


def test_grad_tuple_wrt_gives_tuple():
    args = mlp_args()
    got = s2sgrad.grad(mlp, wrt=(0, 2))(*args)
    assert isinstance(got, tuple) and len(got) == 2
    np.testing.assert_allclose(got[1], central_difference(mlp, args, 2), rtol=1e-6, atol=1e-8)


def test_value_and_grad():
    args = mlp_args()
    value, g = s2sgrad.value_and_grad(mlp, wrt=1)(*args)
    assert value == pytest.approx(mlp(*args), rel=1e-14)
    np.testing.assert_allclose(g, central_difference(mlp, args, 1), rtol=1e-6, atol=1e-8)


def test_grad_of_scalar_function():
    assert s2sgrad.grad(scalar_fn)(2.0) == pytest.approx(12.0)
    g32 = s2sgrad.grad(scalar_fn)(np.float32(2.0))
    assert g32.dtype == np.float32 and g32 == 12.0


def unrelated(x, c):
    return np.sum(x * 2.0)


def test_grad_gives_zeros_for_unconnected_arguments():
    x = np.array([1.0, 2.0])
    d_x, d_c = s2sgrad.grad(unrelated, wrt=(0, 1))(x, 3.0)
    np.testing.assert_array_equal(d_x, [2.0, 2.0])
    assert type(d_c) is float and d_c == 0.0  # like a connected float64 scalar
    _, d_c = s2sgrad.grad(unrelated, wrt=(0, 1))(x, np.ones((2, 2)))
    assert d_c.shape == (2, 2) and d_c.dtype == np.float64 and not d_c.any()


def test_grad_needs_scalar_output():
    with pytest.raises(ValueError, match="scalar output"):
        s2sgrad.grad(vector_fn)(np.ones(3), 2.0)


def test_vjp():
    x = np.array([0.1, 0.7, -0.3])
    out, vjp_fn = s2sgrad.vjp(vector_fn, x, 2.5)
    np.testing.assert_allclose(out, np.sin(x) * 2.5)
    u = np.array([1.0, -1.0, 3.0])
    d_x, d_c = vjp_fn(u)
    np.testing.assert_allclose(d_x, u * np.cos(x) * 2.5)
    assert d_c == pytest.approx(np.sum(u * np.sin(x)))


def zero_first_times(x, w):
    x[0] = 0.0
    return x * w


def zero_first_sum(x, w):
    x[0] = 0.0
    x *= w
    return np.sum(x * x)


@pytest.mark.parametrize(
    "call",
    [
        lambda x, w: s2sgrad.vjp(zero_first_times, x, w)[1](np.ones(3)),
        lambda x, w: s2sgrad.grad(zero_first_sum, wrt=(0, 1))(x, w),
        lambda x, w: s2sgrad.value_and_grad(zero_first_sum, wrt=(0, 1))(x, w),
        lambda x, w: s2sgrad.function(zero_first_sum)(x, w),
    ],
    ids=["vjp", "grad", "value_and_grad", "function"],
)
def test_callers_arrays_are_never_changed(call):
    x, w = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])
    call(x, w)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(w, [2.0, 3.0, 4.0])


def test_vjp_of_a_function_writing_into_its_argument():
    x, w = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0])
    out, vjp_fn = s2sgrad.vjp(zero_first_times, x, w)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(out, [0.0, 6.0, 12.0])  # Python's value, on a copy
    x[1] = 100.0  # the caller's array, later:
    d_x, d_w = vjp_fn(np.ones(3))  # vjp_fn keeps its own point
    np.testing.assert_array_equal(d_x, [0.0, 3.0, 4.0])
    np.testing.assert_array_equal(d_w, [0.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "u",
    [np.ones((3, 1)), np.ones((2, 3)), np.ones(2), 1.0],
    ids=["column", "rows", "shorter", "scalar"],
)
def test_vjp_fn_refuses_a_cotangent_of_another_shape(u):
    """NumPy would broadcast (3, 1) against (3,) into (3, 3) gradients (hunt 5)."""
    _, vjp_fn = s2sgrad.vjp(vector_fn, np.array([0.1, 0.7, -0.3]), 2.5)
    with pytest.raises(ValueError, match="shape"):
        vjp_fn(u)


@pytest.mark.parametrize("u", [None, "1", np.ones(3, dtype=complex), True])
def test_vjp_fn_refuses_a_cotangent_that_is_not_real_numbers(u):
    _, vjp_fn = s2sgrad.vjp(vector_fn, np.array([0.1, 0.7, -0.3]), 2.5)
    with pytest.raises(ValueError, match="cotangent"):
        vjp_fn(u)


def test_vjp_fn_takes_the_cotangent_in_the_outputs_dtype():
    """A float64 cotangent of a float32 output: float32 gradients, as grad_ys in
    gradients (hunt 5: they came back float64)."""
    x = np.array([0.1, 0.7, -0.3], dtype=np.float32)
    _, vjp_fn = s2sgrad.vjp(vector_fn, x, np.float32(2.5))
    d_x, d_c = vjp_fn(np.ones(3))
    assert d_x.dtype == np.float32 and np.asarray(d_c).dtype == np.float32
    np.testing.assert_allclose(d_x, np.cos(x) * 2.5, rtol=1e-6)
    _, vjp_scalar = s2sgrad.vjp(lambda_free_sum, np.array([1.0, 2.0]))
    (d,) = vjp_scalar(2)  # an int cotangent of a float64 scalar output
    np.testing.assert_array_equal(d, [4.0, 4.0])


def lambda_free_sum(x):
    return np.sum(x * 2.0)


def test_vjp_skips_integer_arguments():
    x = np.array([0.1, 0.7])
    out, vjp_fn = s2sgrad.vjp(vector_fn, x, 3)
    (d_x,) = vjp_fn(np.ones(2))
    np.testing.assert_allclose(d_x, 3 * np.cos(x))


def test_source_of_grad_is_a_numpy_module():
    args = mlp_args()
    g = s2sgrad.grad(mlp, wrt=1)
    with pytest.raises(ValueError, match="not been called"):
        s2sgrad.source(g)
    text = s2sgrad.source(g, *args)
    assert "def grad_mlp(x, W, b):" in text
    imports = [ln for ln in text.splitlines() if ln.startswith(("import ", "from "))]
    assert imports == ["import numpy as np"]
    assert "# grad of: return np.sum(np.tanh(x @ W + b) ** 2)" in text
    namespace = {}
    exec(compile(text, "generated.py", "exec"), namespace)
    np.testing.assert_allclose(namespace["grad_mlp"](*args), g(*args))


def test_source_of_decorated_function_follows_last_call():
    total()
    assert "def total():" in s2sgrad.source(total)
    text_true = s2sgrad.source(unconnected, True)
    assert "use_zero=True" in text_true and "np.zeros_like" in text_true
    assert "use_zero=False" in s2sgrad.source(unconnected, False)


def test_source_rejects_plain_functions():
    with pytest.raises(ValueError):
        s2sgrad.source(mlp)


@s2sgrad.function
def uses_sinh(x):
    y = np.sinh(x)
    return s2sgrad.gradients(y, [x])


def plain_sinh(x):
    return np.sum(np.sinh(x))


def test_register_gradient(monkeypatch):
    monkeypatch.setattr(s2sgrad.custom, "REGISTRY", dict(s2sgrad.custom.REGISTRY))
    monkeypatch.delitem(rules.RULES, "sinh")
    with pytest.raises(LookupError, match="register_gradient"):
        s2sgrad.function(uses_sinh.__wrapped__)(np.array([0.5]))

    @s2sgrad.register_gradient("np.sinh", override=True)
    def sinh_rule(g, ans, x):
        """d sinh(x) = cosh(x) dx"""
        return (g * np.cosh(x),)

    x = np.array([0.5, -1.0])
    (d_x,) = s2sgrad.function(uses_sinh.__wrapped__)(x)
    np.testing.assert_allclose(d_x, np.cosh(x))
    np.testing.assert_allclose(s2sgrad.grad(plain_sinh)(x), np.cosh(x))


def test_register_gradient_of_a_built_in_rule_needs_override():
    with pytest.raises(ValueError, match="np.exp has a built-in rule.*override=True"):
        s2sgrad.register_gradient("np.exp")(lambda g, ans, x: (g,))


def test_register_gradient_unknown_function():
    with pytest.raises(ValueError, match="not the dotted name of a function"):
        s2sgrad.register_gradient("np.frobnicate")


# ---- specialisation and caching ----------------------------------------------------------


def spec_target(x, W, flag):
    y = np.sum(np.tanh(x @ W))
    if flag:
        y = y * 2.0
    return s2sgrad.gradients(y, [x, W])


@pytest.fixture
def builds(monkeypatch):
    count = []
    real = transform.generate

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(transform, "generate", counting)
    return count


def vjp_target(x, W):
    return np.tanh(x @ W)


def test_vjp_transforms_once_per_signature(builds):
    x, W = np.ones((2, 3)), np.ones((3, 4))
    for scale in (1.0, 2.0, 3.0):
        out, back = s2sgrad.vjp(vjp_target, x * scale, W)
        back(np.ones_like(out))
    assert len(builds) == 1
    s2sgrad.vjp(vjp_target, np.ones((5, 2, 3)), W)  # a new signature (rank 3)
    assert len(builds) == 2


def test_same_signature_reuses_generated_function(builds):
    f = s2sgrad.function(spec_target)
    x, W = np.ones((2, 3)), np.ones((3, 4))
    first = s2sgrad.api.transformed(f).entry((x, W, True), {})[0]
    f(x, W, True)
    f(np.zeros((5, 3)), np.zeros((3, 4)), True)  # other sizes, same pattern
    assert len(builds) == 1
    assert s2sgrad.api.transformed(f).entry((x * 2, W, True), {})[0] is first


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(lambda x, W: (x.astype(np.float32), W, True), id="dtype"),
        pytest.param(lambda x, W: (x[None], W, True), id="rank"),
        pytest.param(lambda x, W: (x, W, False), id="static-value"),
        pytest.param(lambda x, W: (np.ones((3, 3)), np.ones((3, 4)), True), id="size-equality"),
        pytest.param(lambda x, W: (np.ones((1, 3)), W, True), id="size-one"),
    ],
)
def test_new_signature_retraces(builds, other):
    f = s2sgrad.function(spec_target)
    x, W = np.ones((2, 3)), np.ones((3, 4))
    first = s2sgrad.api.transformed(f).entry((x, W, True), {})[0]
    args = other(x, W)
    try:
        second = s2sgrad.api.transformed(f).entry(args, {})[0]
    except s2sgrad.S2SGradError:
        second = None  # a rank the function cannot take still means a new trace
    assert len(builds) == 2
    assert second is not first


def test_retraced_results_are_right():
    f = s2sgrad.function(spec_target)
    x, W = np.full((2, 3), 0.1), np.full((3, 4), 0.2)
    d_x1, d_W1 = f(x, W, False)
    d_x2, d_W2 = f(x, W, True)
    np.testing.assert_allclose(d_x2, 2 * d_x1)
    d_x3, _ = f(x.astype(np.float32), W.astype(np.float32), True)
    assert d_x3.dtype == np.float32
    np.testing.assert_allclose(d_x3, d_x2, rtol=1e-6)


def test_concurrent_first_calls(builds):
    f = s2sgrad.function(spec_target)
    real = transform.generate

    def slow(*args, **kwargs):  # widen the window in which threads can race
        threading.Event().wait(0.05)
        return real(*args, **kwargs)

    transform.generate = slow  # the fixture restores transform.generate
    n = 8
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []
    rng = np.random.default_rng(1)
    inputs = [(rng.normal(size=(2, 3)), rng.normal(size=(3, 4))) for _ in range(n)]

    def worker(i):
        try:
            barrier.wait()
            results[i] = f(*inputs[i], True)
        except BaseException as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for (x, W), (d_x, d_W) in zip(inputs, results):
        t = np.tanh(x @ W)
        np.testing.assert_allclose(d_x, 2 * ((1 - t * t) @ W.T))
        np.testing.assert_allclose(d_W, 2 * (x.T @ (1 - t * t)))
    assert len(s2sgrad.api.transformed(f).cache) == 1 and len(builds) == 1


def test_keyword_arguments_and_defaults():
    f = s2sgrad.function(spec_target)
    x, W = np.full((2, 3), 0.1), np.full((3, 4), 0.2)
    a = f(x, W, True)
    b = f(W=W, x=x, flag=True)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_non_array_argument_is_a_value_error():
    f = s2sgrad.function(spec_target)
    with pytest.raises(ValueError, match="np.asarray"):
        f({1.0, 2.0, 3.0}, np.ones((3, 4)), True)


def test_a_list_argument_is_a_pytree_and_not_an_array():
    f = s2sgrad.function(spec_target)  # (a list of floats is a pytree, as in JAX)
    with pytest.raises(s2sgrad.UnsupportedError, match=r"np.array\(\[a, b\]\) @ v"):
        f([[1.0, 2.0, 3.0]], np.ones((3, 4)), True)


def test_generated_lines_show_in_tracebacks():
    import traceback

    f = s2sgrad.function(spec_target)
    try:
        f(np.ones((2, 3)), np.ones((4, 4)), True)  # matmul shape mismatch at run time
    except ValueError as e:
        frames = traceback.extract_tb(e.__traceback__)
    else:
        pytest.fail("expected a ValueError from the generated code")
    generated = [fr for fr in frames if fr.filename.startswith("<s2sgrad:")]
    assert generated and generated[-1].line, textwrap.indent(str(frames), "  ")


def test_module_constants_are_read_for_each_signature(tmp_path):
    """As jax.jit reads globals when it traces: a new signature sees the module's
    constant as it is then; a cached one keeps what it was built with (hunt 5: the
    first signature's value was used for every later one)."""
    path = tmp_path / "scaled_mod.py"
    path.write_text(
        "import numpy as np\n\nSCALE = 2.0\n\n\ndef f(x):\n    return np.sum(x * SCALE)\n"
    )
    spec = importlib.util.spec_from_file_location("scaled_mod", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    g = s2sgrad.value_and_grad(mod.f)
    assert g(np.ones(3))[0] == 6.0
    mod.SCALE = 5.0
    value, grad = g(np.ones((2, 2)))  # a new signature: built now
    assert value == 20.0 and (grad == 5.0).all()
    assert g(np.ones(3))[0] == 6.0  # the cached one: as it was built


class _Model:
    def loss(self, x, w):
        return np.sum(np.sin(x) * w)


def test_a_bound_method_is_transformed_with_its_object():
    """hunt 5: a raw TypeError from the generated code (`self` was a parameter); now `self`
    is the object (issue 8), never a parameter of the generated function."""
    x, w = np.array([0.1, 0.2]), np.array([2.0, -1.0])
    np.testing.assert_allclose(s2sgrad.grad(_Model().loss)(x, w), np.cos(x) * w)
    assert "def grad_loss(x, w):" in s2sgrad.source(s2sgrad.grad(_Model().loss), x, w)


@pytest.mark.parametrize(
    "arg", [np.str_("a"), np.array(["a", "b"]), np.array(["2020-01-01"], dtype="datetime64[D]")]
)
def test_arrays_of_text_or_dates_are_refused(arg):
    """hunt 5: InternalError ('data type str32 not understood')."""
    with pytest.raises(ValueError, match="arrays and scalars of numbers"):
        s2sgrad.grad(lambda_free_sum_of)(np.ones(2), arg)


def lambda_free_sum_of(x, mode):
    return np.sum(x)


def helper_of_shadowing(a):
    return np.sin(a) * a


def shadows_the_vjp(x, vjp_helper_of_shadowing):
    return np.sum(helper_of_shadowing(x) * vjp_helper_of_shadowing)


def test_a_parameter_named_like_a_generated_function_does_not_hide_it():
    """hunt 5: `def f(x, vjp_helper)` hid the module's vjp_helper from f (TypeError)."""
    x = np.array([0.1, 0.2, 0.3])
    d_x = s2sgrad.grad(shadows_the_vjp)(x, x)
    np.testing.assert_allclose(d_x, (np.cos(x) * x + np.sin(x)) * x)


def scaled_by_a_parameter_named_np(x, np=2.0):
    return numpy.sin(x * np).sum()


def test_a_parameter_named_np_or_math_is_refused_in_words():
    """hunt 54: `def f(x, np)` hid the generated module's NumPy from the generated
    function (AttributeError: 'float' object has no attribute 'cos'); refused with
    the parameter's position, as a helper's name is."""
    with pytest.raises(s2sgrad.UnsupportedError) as e:
        s2sgrad.grad(scaled_by_a_parameter_named_np)(np.ones(3))
    text = str(e.value)
    assert "the parameter name 'np' is the name generated modules give NumPy" in text
    assert "def scaled_by_a_parameter_named_np(x, np=2.0):" in text
    assert "rename the parameter" in text


def max_after_a_loop(x0, x1, n):
    a = x0 * 1.0
    for i in range(n):
        a = a * x1
    return np.max(a)


def augmented_float32(x0, x1):
    a = x0 * 1.0
    a += x1
    return np.sum(a * a)


def test_float32_gradients_stay_float32_through_max_and_loops():
    """hunt 4: np.max's tie count (int64) made the adjoint float64, and the loop then
    carried a float64 adjoint typed float32: a float64 gradient for float32 x."""
    x0 = np.array([0.3, 0.9, -0.2], dtype=np.float32)
    x1 = np.array([1.1, 0.8, 1.3], dtype=np.float32)
    d0, d1 = s2sgrad.grad(max_after_a_loop, wrt=(0, 1))(x0, x1, 2)
    assert d0.dtype == np.float32 and d1.dtype == np.float32
    np.testing.assert_allclose(d0, [0, 0.8**2, 0], rtol=1e-6)
    np.testing.assert_allclose(d1, [0, 2 * 0.9 * 0.8, 0], rtol=1e-6)


def test_augmented_assignment_keeps_the_arrays_dtype():
    """hunt 4: float32 `a += x64` is float32 in NumPy (in place); s2sgrad made it float64."""
    x0 = np.array([0.3, 0.9, -0.2], dtype=np.float32)
    x1 = np.array([1.1e-3, 0.8, 1.3])
    value, (d0, d1) = s2sgrad.value_and_grad(augmented_float32, wrt=(0, 1))(x0, x1)
    expected = augmented_float32(x0, x1)
    assert type(value) is type(expected) and value == expected
    assert d0.dtype == np.float32 and d1.dtype == np.float64


def int_array_plus_float(x, k):
    a = np.zeros(3, dtype=np.int64) + k
    a += x
    return np.sum(a * x)


def row_plus_matrix(x0, x1):
    a = x0[0] * 1.0
    a += x1[0:1]
    return np.sum(a)


@pytest.mark.parametrize(
    "fn, args, message",
    [
        (int_array_plus_float, (np.ones(3), 2), "cannot cast"),
        (row_plus_matrix, (np.ones((2, 3)), np.ones((2, 3))), "does not fit in it"),
    ],
    ids=["int += float", "row += matrix"],
)
def test_an_augmented_assignment_numpy_refuses_is_refused(fn, args, message):
    with pytest.raises(NotImplementedError, match=message):
        s2sgrad.grad(fn)(*args)
    with pytest.raises(Exception):  # (Python raises too)
        fn(*args)


# A variable an if or a loop assigns, named after it (hunt 12: stopping one of an if's or
# a loop's variables stopped all of them, and naming one as an x gave None silently)


@s2sgrad.function
def stop_one_of_a_branch(x, c):
    a = x * 1.0
    b = x * 1.0
    if c > 0:
        a = x * 2.0
        b = x * 3.0
    return s2sgrad.gradients(b, [x], stop_gradients=[a])


@s2sgrad.function
def stop_one_of_a_loop(x, w, n):
    y = 0.0
    a = w * 1.0
    for t in range(n):
        y = y + x * w
        x = x * 2.0
        a = a * 3.0
    return s2sgrad.gradients(y + a, [w, x], stop_gradients=[x])


@s2sgrad.function
def x_read_inside_the_branch(x, c):
    a = x * 1.0
    b = x * 1.0
    if c > 0:
        a = x * 2.0
        b = a * 3.0
    return s2sgrad.gradients(b, [a])


@s2sgrad.function
def stop_read_inside_the_loop(x, n):
    h = x
    acc = 0.0
    for t in range(n):
        h = np.tanh(2 * h)
        acc = acc + np.sum(h)
    return s2sgrad.gradients(acc, [x], stop_gradients=[h])


@s2sgrad.function
def stop_held_before_the_branch(x, c):
    a = x * 1.0
    b = a * 3.0
    if c > 0:
        a = x * 2.0
    return s2sgrad.gradients(b, [x], stop_gradients=[a])


@s2sgrad.function
def stop_read_after_the_branch(x, c):
    a = x * 1.0
    if c > 0:
        a = x * 2.0
    b = a * 3.0 + x
    (d_x,) = s2sgrad.gradients(b, [x], stop_gradients=[a])
    (d_a,) = s2sgrad.gradients(b, [a])
    return [d_x, d_a]


def test_a_variable_an_if_or_a_loop_assigns_is_a_value_of_its_own():
    assert stop_one_of_a_branch(0.5, 1.0) == [3.0]
    assert stop_one_of_a_branch(0.5, -1.0) == [1.0]
    for n in (0, 1, 3):
        d_w, d_x = stop_one_of_a_loop(0.3, 1.5, n)
        assert d_w == pytest.approx(0.3 * (2**n - 1) + 3**n)  # (through y and a)
        assert d_x is None  # (nothing reads x after the loop)
    for c in (1.0, -1.0):
        assert stop_read_after_the_branch(0.5, c) == [1.0, 3.0]


@s2sgrad.function
def x_swapped_in_the_loop(x):
    a = x * 2.0
    b = a
    for i in range(1):  # (hunt 13: a and b are one array on its last trip: not refused)
        a, b = b, a
    return s2sgrad.gradients(a * b, [a])


@s2sgrad.function
def x_assigned_first_in_the_loop(x, n):
    s = 0.0
    for i in range(n):  # (hunt 15: its checked read after the loop was not looked through)
        a = x * 2.0
        s = s + a * 3.0
    return s2sgrad.gradients(s, [a])


@s2sgrad.function
def row_of_a_loop_over_rows(X):
    s = 0.0
    for r in X:
        s = s + np.sum(r * r)
    return s2sgrad.gradients(s, [r])


@pytest.mark.parametrize(
    "fn, args",
    [
        (x_assigned_first_in_the_loop, (1.5, np.int64(2))),
        (row_of_a_loop_over_rows, (np.ones((2, 2)),)),
        (x_swapped_in_the_loop, (1.5,)),
        (x_read_inside_the_branch, (0.5, 1.0)),
        (stop_read_inside_the_loop, (np.array([0.3, -0.4]), 3)),
        (stop_held_before_the_branch, (0.5, 1.0)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_a_variable_whose_readings_differ_is_refused(fn, args):
    with pytest.raises(s2sgrad.UnsupportedError, match="eager TensorFlow, JAX or autograd"):
        fn(*args)


@s2sgrad.function
def zero_for_numbers(x, n):
    return s2sgrad.gradients(x * n, [x, n], unconnected_gradients="zero")


def test_the_zero_of_an_unconnected_number_is_a_number_of_its_kind():
    # (hunt 17: np.zeros_like(3) gave a 0-d array for a Python int)
    assert repr(zero_for_numbers(2.0, 3)) == "[3.0, 0]"
    d_x, d_n = zero_for_numbers(np.float32(2.0), np.int32(3))
    assert type(d_x) is np.float32 and type(d_n) is np.int32 and d_n == 0


HUNT55 = """
import numpy as np


def conj_is_the_array(x):
    y = x * 2.0
    z = y.conj()
    y += 1.0
    return np.sum(z * x)


def conj_written(x):
    y = x * 2.0
    z = y.conj()
    z += 1.0
    return np.sum(y * x)


def alias_in_the_branch(x, c):
    if c > 0:
        y = x * 2.0
        t = y
    t += 1.0
    return np.sum(y * t)


def alias_taken_in_the_branch(x, c):
    y = x * 1.0
    if c > 0:
        r = y
    y += 2.0
    return np.sum(r * x)


def alias_under_the_same_test(x, c):
    if c > 0:
        y = x * 2.0
    if c > 0:
        z = y
        z *= x
    return np.sum(y * x) if c > 0 else np.sum(x)


def written_under_the_same_test(x, c):
    if c > 0:
        y = x * 2.0
    if c > 0:
        y[1] = 3.0
    return np.sum(x)


def tangent_named_like_a_parameter(x, d_x):
    return np.sum(x * d_x)
"""


def test_hunt_55_aliases_of_a_flagged_name_conj_and_tangent_names(tmp_path, monkeypatch):
    """hunt 55: a name one branch binds lost its aliases (`t = y` in the branch, then
    `t += 1.0`: y did not see it, a wrong value); a write into it under a later `if`
    was an InternalError (KeyError); x.conj() of a real array is x itself, not a copy;
    a parameter named `d_x` beside `x` made forward mode's parameter list repeat it."""
    (tmp_path / "hunt55.py").write_text(HUNT55)
    monkeypatch.syspath_prepend(str(tmp_path))
    h = importlib.import_module("hunt55")
    x = np.array([0.3, -0.7, 1.1])
    v, g = s2sgrad.value_and_grad(h.conj_is_the_array)(x)
    assert v == pytest.approx(h.conj_is_the_array(x.copy()))
    np.testing.assert_allclose(g, central_difference(h.conj_is_the_array, [x], 0), rtol=1e-6)
    refused = {
        "conj_written": "'z' is a view made by",
        "alias_in_the_branch": "may share memory with",
        "alias_taken_in_the_branch": "'r' may share memory with 'y'",
        "alias_under_the_same_test": "'z' holds the array of 'y', which a loop or only one",
        "written_under_the_same_test": "'y' may be unbound here (a loop or only one branch",
    }
    for name, words in refused.items():
        args = (x,) if name.startswith("conj") else (x, 1.0)
        with pytest.raises(s2sgrad.UnsupportedError, match=re.escape(words)):
            s2sgrad.grad(getattr(h, name))(*args)
    y = np.array([1.0, 2.0, 3.0])
    out, tangent = s2sgrad.jvp(h.tangent_named_like_a_parameter, (x, y), (y, y))
    assert out == pytest.approx(np.sum(x * y))
    assert tangent == pytest.approx(np.sum(y * y) + np.sum(x * y))


def test_a_line_separator_before_a_custom_rule_keeps_the_emitted_module_valid(tmp_path):
    """hunt 55: str.splitlines splits at a form feed or U+2028 in a comment, which the
    parser does not: `s2sgrad emit` copied a custom rule's lines shifted (its decorator
    kept, its last line lost) and wrote a module Python could not import."""
    src = (
        "import numpy as np\nimport s2sgrad\n\n# page \x0c break and \u2028 separator\n"
        "EPS = 1e-3\n\n\n@s2sgrad.custom_vjp\ndef soft_abs(x):\n    y = x * x + EPS\n"
        "    return np.sqrt(y)\n\n\n@soft_abs.defvjp\ndef _vjp_soft_abs(g, ans, x):\n"
        "    return (g * x / ans,)\n\n\ndef f(x):\n    return np.sum(soft_abs(x) * x)\n"
    )
    (tmp_path / "paged_rule.py").write_text(src, encoding="utf-8")
    out = tmp_path / "paged_rule_grad.py"
    subprocess.run(
        [sys.executable, "-m", "s2sgrad", "emit", "paged_rule.py::f", "--wrt", "x", "-o", str(out)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    spec = importlib.util.spec_from_file_location("paged_rule_grad", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x = np.array([0.3, -0.7, 1.1])
    s = np.sqrt(x * x + 1e-3)
    np.testing.assert_allclose(mod.grad_f(x), s + x * x / s)
