"""The call path of a transformed function (api.py, `_fast_class`): after a call, the
object's class calls the generated function directly on that call's signature, and
every other call goes the way that checks everything. What it must never do: call a
function built for another signature, skip a check, or keep a function built before
a rule was registered."""

import numpy as np
import pytest

import s2sgrad


def power(x, n=2):
    return np.sum(x ** n)


def test_statics_types_and_shapes_each_get_their_own_function():
    g = s2sgrad.grad(power)
    x = np.array([1.0, 2.0, 3.0])
    for _ in range(2):                       # (each twice: the fast call, then the other)
        np.testing.assert_allclose(g(x, 3), 3 * x ** 2)
        np.testing.assert_allclose(g(x, 3), 3 * x ** 2)
        np.testing.assert_allclose(g(x), 2 * x)
        np.testing.assert_allclose(g(x, n=2), 2 * x)
        np.testing.assert_allclose(g(x[:2], 3), 3 * x[:2] ** 2)
        np.testing.assert_allclose(g(x.astype(np.float32), 2), 2 * x)
        assert g(1.5, 2) == 3.0 and type(g(1.5, 2)) is float
        assert type(g(np.float32(1.5), 2)) is np.float32          # (docs/contract.md)
    assert isinstance(g, type(s2sgrad.grad(power)))
    assert "def grad_power" in s2sgrad.source(g)


def test_a_wrong_call_gets_the_error_it_got_before():
    g = s2sgrad.grad(power)
    g(1.5, 2)
    with pytest.raises(TypeError):
        g(1.5, 2, 7)
    with pytest.raises(TypeError):
        g()
    with pytest.raises(s2sgrad.errors.InvalidArgumentError):
        g("a", 2)
    assert g(1.5, 2) == 3.0


def write_first(a, b):
    a[0] = 2.0
    return np.sum(a * b)


def test_a_function_writing_into_an_argument_keeps_its_check():
    g = s2sgrad.grad(write_first, wrt=1)
    x = np.ones(3)
    np.testing.assert_allclose(g(x, x.copy()), [2.0, 1.0, 1.0])
    with pytest.raises(s2sgrad.errors.InvalidArgumentError, match="share memory"):
        g(x, x)


def test_a_rule_registered_after_the_call_is_used():
    @s2sgrad.custom_vjp
    def twice(x):
        return 2.0 * x

    @twice.defvjp
    def _(g, ans, x):
        return (2.0 * g,)

    def f(x):
        return np.sum(twice(x))

    g = s2sgrad.grad(f)
    x = np.ones(2)
    np.testing.assert_allclose(g(x), 2.0)
    np.testing.assert_allclose(g(x), 2.0)

    @twice.defvjp
    def _(g, ans, x):
        return (3.0 * g,)                    # (deliberately not twice's: to see it used)
    np.testing.assert_allclose(g(x), 3.0)
