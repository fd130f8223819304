"""s2sgrad.check_grads (s2sgrad/check.py): silent on correct derivatives (arrays, Python
and NumPy floats, pytrees, array outputs, float32, second and third order), and a
GradientCheckError naming the check, the argument, the worst entry and the numbers on a
wrong rule: a custom_vjp rule, a registered rule, a built-in reverse or tangent rule
swapped for a wrong one (each test's own functions, so no other test's cache sees it)."""

import dataclasses

import numpy as np
import pytest

import s2sgrad
from s2sgrad import rules as R
from s2sgrad.rules import tangents as TG

X = np.array([0.3, -1.2, 2.0, 0.8])
W = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]])


# ---- correct derivatives pass ----------------------------------------------------------


def mlp(W, x):
    return np.sum(np.tanh(x @ W) ** 2)


def layer(x, W):
    return np.tanh(W @ x[:3]) * x[0]


def scalar_poly(a, b):
    return a * np.sin(b) + a**3 * b


def tree_loss(params, x):
    h = np.tanh(x[:2] @ params["W"] + params["b"])
    return np.sum(h * h) * params["scale"] + params["layers"][0] * params["n"]


def test_array_arguments_both_modes():
    s2sgrad.check_grads(mlp, 0, W.T.copy(), X[:3])
    s2sgrad.check_grads(mlp, ("W", "x"), W.T.copy(), X[:3])
    s2sgrad.check_grads(mlp, None, W.T.copy(), X[:3])


def test_python_and_numpy_scalars():
    s2sgrad.check_grads(scalar_poly, (0, 1), 0.7, 1.3)
    s2sgrad.check_grads(scalar_poly, 1, np.float64(0.7), np.float64(1.3))


def test_a_pytree_argument_leaf_by_leaf():
    params = {
        "W": W[:, :2].copy(),
        "b": np.array([0.1, -0.2]),
        "scale": 1.5,
        "layers": [0.4],
        "n": 3,
    }
    s2sgrad.check_grads(tree_loss, "params", params, X)


def test_an_array_output_with_a_random_cotangent():
    s2sgrad.check_grads(layer, (0, 1), X, W)


def concatenated(x, y):
    return np.concatenate([x * 2.0, np.sin(y)])


def test_an_empty_argument():
    s2sgrad.check_grads(concatenated, (0, 1), np.zeros(0), X)


def test_second_and_third_order():
    s2sgrad.check_grads(mlp, ("W", "x"), W.T.copy(), X[:3], order=2)
    s2sgrad.check_grads(scalar_poly, (0, 1), 0.7, 1.3, order=3)


def test_float32_arguments():
    s2sgrad.check_grads(mlp, (0, 1), W.T.astype(np.float32), X[:3].astype(np.float32))
    s2sgrad.check_grads(layer, 1, X.astype(np.float32), W.astype(np.float32))


def big(x, w):
    return np.sum(np.sin(x) * w) + np.sum(x * x) * w[0]


def test_large_inputs_along_random_directions():
    rng = np.random.default_rng(3)
    s2sgrad.check_grads(big, (0, 1), rng.standard_normal(300), rng.standard_normal(300))


def noisy(x, rng):
    return np.sum(np.sin(x) * rng.standard_normal(x.shape))


def test_a_generator_draws_the_same_numbers_at_every_evaluation_and_is_left_alone():
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    x = X.copy()
    s2sgrad.check_grads(noisy, 0, x, rng)
    assert rng.bit_generator.state == state
    np.testing.assert_array_equal(x, X)


# ---- wrong rules are caught, and the message says where ---------------------------------


@s2sgrad.custom_vjp
def square(x):
    return x * x


@square.defvjp
def _(g, ans, x):
    return (2.0 * g * x + np.where(x > 1.5, 0.5, 0.0),)  # wrong where x > 1.5 only


def uses_square(x):
    return np.sum(np.sin(square(x)))


def test_a_wrong_custom_vjp_rule_raises_at_its_worst_entry():
    with pytest.raises(s2sgrad.GradientCheckError) as info:
        s2sgrad.check_grads(uses_square, 0, X, modes=("rev",))
    e = info.value
    assert isinstance(e, AssertionError)
    assert (e.check, e.argument, e.index) == ("rev", "x", (2,))
    want = 2.0 * X[2] * np.cos(X[2] ** 2)
    assert e.analytic == pytest.approx(want + 0.5, rel=1e-12)
    assert e.numeric == pytest.approx(want, rel=1e-6)
    assert e.abs_error > e.tolerance
    text = str(e)
    assert "check_grads(uses_square): reverse mode (s2sgrad.grad)" in text
    assert "argument x, worst entry [2] (1 of 4 entries out of tolerance)" in text
    assert f"analytic: {e.analytic!r}" in text and f"numeric:  {e.numeric!r}" in text
    assert "tolerance" in text and "rel error" in text


def sin_of_square(x):
    return np.sin(square(x))


def test_an_array_output_is_checked_through_vjp_with_a_random_cotangent():
    with pytest.raises(
        s2sgrad.GradientCheckError,
        match=r"reverse mode \(s2sgrad.vjp: J\^T u\)"
        r"(.|\n)*u: a random cotangent",
    ) as info:
        s2sgrad.check_grads(sin_of_square, 0, X, modes=("rev",))
    assert info.value.index == (2,)


def test_forward_mode_through_a_custom_rule_is_s2sgrads_own_error():
    with pytest.raises(s2sgrad.UnsupportedError, match="use reverse mode"):
        s2sgrad.check_grads(uses_square, 0, X)


def sinc_loss(x, w):
    return np.sum(np.sinc(w * x) ** 2)


def test_a_wrong_registered_rule_raises(own_registrations):
    @s2sgrad.register_gradient(np.sinc)
    def _(g, ans, x):
        return (g * (np.cos(np.pi * x) + ans) / np.where(x == 0, 1.0, x),)  # (- ans)

    with pytest.raises(s2sgrad.GradientCheckError, match=r"argument x, worst entry \[\d\]"):
        s2sgrad.check_grads(sinc_loss, (0, 1), X, 0.8, modes=("rev",))
    with pytest.raises(s2sgrad.GradientCheckError, match=r"argument w\n") as info:
        s2sgrad.check_grads(sinc_loss, "w", X, 0.8, modes=("rev",))
    assert (info.value.check, info.value.index) == ("rev", ())


def test_a_right_registered_rule_passes(own_registrations):
    @s2sgrad.register_gradient(np.sinc)
    def _(g, ans, x):
        return (g * (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x),)

    s2sgrad.check_grads(sinc_loss, (0, 1), X, 0.8, modes=("rev",))


def tree_of_squares(params):
    return np.sum(np.cos(square(params["W"]))) + params["b"] ** 2


def test_the_message_names_a_pytree_leaf_by_its_path():
    params = {"b": 0.5, "W": np.array([[0.2, 1.7], [-0.4, 0.9]])}
    with pytest.raises(s2sgrad.GradientCheckError) as info:
        s2sgrad.check_grads(tree_of_squares, 0, params, modes=("rev",))
    assert (info.value.argument, info.value.index) == ("params['W']", (0, 1))
    assert "argument params['W'], worst entry [0, 1]" in str(info.value)


def big_square(x):
    return np.sum(square(x) * x)


def test_a_wrong_rule_is_caught_along_random_directions_too():
    x = np.linspace(1.0, 2.0, 50)
    with pytest.raises(s2sgrad.GradientCheckError, match="along a random direction v") as info:
        s2sgrad.check_grads(big_square, 0, x, modes=("rev",), max_elements=10)
    assert info.value.index is None
    s2sgrad.check_grads(big_square, 0, x - 1.0, modes=("rev",), max_elements=10)  # (x < 1.5)


def wrong_tangent(x, y):
    return np.sin(x) * y


def test_a_wrong_tangent_rule_is_caught_by_forward_mode(monkeypatch):
    monkeypatch.setitem(
        TG.TANGENTS,
        "sin",
        lambda b, dots, ans, x, **attrs: None if dots[0] is None else b.mul(dots[0], b.sin(x)),
    )
    s2sgrad.check_grads(wrong_tangent, (0, 1), X, X + 1.0, modes=("rev",))
    with pytest.raises(s2sgrad.GradientCheckError, match="forward mode") as info:
        s2sgrad.check_grads(wrong_tangent, (0, 1), X, X + 1.0)
    e = info.value
    assert (e.check, e.argument) == ("fwd", "x") and len(e.index) == 1
    assert f"direction v; worst output entry [{e.index[0]}]" in str(e)


def second_only(x):
    return np.sum(np.sin(x) * x)


def test_a_rule_only_second_derivatives_use_is_caught_at_order_2(monkeypatch):
    rule = R.RULES["cos"]  # d sin = cos: cos's own rule runs in the second derivative
    monkeypatch.setitem(
        R.RULES, "cos", dataclasses.replace(rule, fn=lambda b, g, ans, x: (b.mul(g, b.sin(x)),))
    )  # (the sign dropped)
    s2sgrad.check_grads(second_only, 0, X, modes=("rev",))
    with pytest.raises(
        s2sgrad.GradientCheckError,
        match=r"check_grads\(grad\(second_only, "
        r"wrt='x'\)\): reverse mode",
    ) as info:
        s2sgrad.check_grads(second_only, 0, X, modes=("rev",), order=2)
    assert "(order 2;" in str(info.value)


def f32_square(x):
    return np.sum(square(x) * 2.0)


def test_a_wrong_rule_is_caught_in_float32():
    with pytest.raises(s2sgrad.GradientCheckError, match="rtol 0.001") as info:
        s2sgrad.check_grads(f32_square, 0, X.astype(np.float32), modes=("rev",))
    assert info.value.index == (2,)


def test_tolerances_can_be_given():
    s2sgrad.check_grads(uses_square, 0, X, modes=("rev",), atol=10.0)
    with pytest.raises(s2sgrad.GradientCheckError, match="atol 1e-09"):
        s2sgrad.check_grads(uses_square, 0, X, modes=("rev",), atol=1e-9, rtol=1e-3)


def test_the_dot_product_message():
    """With both modes, a rule wrong in either fails its comparison with central
    differences first (the dot-product test runs last, for each leaf): its message, from
    its comparison."""
    from s2sgrad import check

    ctx = check._Context(
        "f",
        1,
        False,
        check._Settings(("rev", "fwd"), None, None, None, 100, np.random.default_rng(0), 0),
    )
    ctx.tolerances(ctx.settings, False)
    leaf = check._Leaf(0, None, "x", np.zeros(3), np.dtype(np.float64))
    with pytest.raises(
        s2sgrad.GradientCheckError,
        match=r"dot-product test(.|\n)*<J\^T u, v>: "
        r"1.5\n  <u, J v>:  1.0 (.|\n)*\* \|<u, J v>\|",
    ) as info:
        ctx.compare(
            "dot",
            leaf,
            1.5,
            1.0,
            1.0,
            "<u, J v> from s2sgrad.jvp",
            scalar=True,
            names=("<J^T u, v>:", "<u, J v>: "),
        )
    assert (info.value.check, info.value.analytic, info.value.numeric) == ("dot", 1.5, 1.0)


# ---- what check_grads refuses ------------------------------------------------------------


def pair(x):
    return x, 2.0 * x


def with_int(x, n):
    return np.sum(x) * n


def test_invalid_requests():
    with pytest.raises(s2sgrad.InvalidArgumentError, match="'n' .* is not a float"):
        s2sgrad.check_grads(with_int, 1, X, 3)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="order=0"):
        s2sgrad.check_grads(mlp, 0, W.T.copy(), X[:3], order=0)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="modes='rev'"):
        s2sgrad.check_grads(mlp, 0, W.T.copy(), X[:3], modes="rev")
    with pytest.raises(s2sgrad.InvalidArgumentError, match="returns tuple"):
        s2sgrad.check_grads(pair, 0, X)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="needs a scalar"):
        s2sgrad.check_grads(layer, 0, X, W, order=2)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="returns dict(.|\n)*at order 1"):
        s2sgrad.check_grads(
            tree_loss,
            0,
            {"W": W[:, :2].copy(), "b": np.zeros(2), "scale": 1.0, "layers": [0.4], "n": 3},
            X,
            order=2,
        )
    with pytest.raises(s2sgrad.InvalidArgumentError, match="wrt='y' is not a parameter"):
        s2sgrad.check_grads(mlp, "y", W.T.copy(), X[:3])
