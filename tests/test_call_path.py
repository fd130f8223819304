"""The call path of a transformed function (api.py, `_fast_class`): after a call, the
object's class calls the generated function directly on that call's signature, and
every other call goes the way that checks everything. What it must never do: call a
function built for another signature, skip a check, or keep a function built before
a rule was registered."""

import numpy as np
import pytest

import s2sgrad


def power(x, n=2):
    return np.sum(x**n)


def test_statics_types_and_shapes_each_get_their_own_function():
    g = s2sgrad.grad(power)
    x = np.array([1.0, 2.0, 3.0])
    for _ in range(2):  # (each twice: the fast call, then the other)
        np.testing.assert_allclose(g(x, 3), 3 * x**2)
        np.testing.assert_allclose(g(x, 3), 3 * x**2)
        np.testing.assert_allclose(g(x), 2 * x)
        np.testing.assert_allclose(g(x, n=2), 2 * x)
        np.testing.assert_allclose(g(x[:2], 3), 3 * x[:2] ** 2)
        np.testing.assert_allclose(g(x.astype(np.float32), 2), 2 * x)
        assert g(1.5, 2) == 3.0 and type(g(1.5, 2)) is float
        assert type(g(np.float32(1.5), 2)) is np.float32  # (docs/contract.md)
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
        return (3.0 * g,)  # (deliberately not twice's: to see it used)

    np.testing.assert_allclose(g(x), 3.0)


def scale(self, x, k=2.0):
    return np.sum(self * x) * k


def reserved_name(_s2s_x, y):
    return np.sum(_s2s_x * y)


def test_calls_by_keyword():
    """The fast __call__ takes the function's own parameter names (one may be `self`);
    every way of writing a call gives the same gradient, fast or not, and a wrong
    keyword is Python's own TypeError."""
    g = s2sgrad.grad(scale, wrt=1)
    s, x = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    for _ in range(2):
        np.testing.assert_allclose(g(s, x, 2.0), 2 * s)
        np.testing.assert_allclose(g(self=s, x=x, k=2.0), 2 * s)
        np.testing.assert_allclose(g(s, x=x, k=3.0), 3 * s)
        np.testing.assert_allclose(g(s, x), 2 * s)  # (k's default)
    assert type(g) is not type(s2sgrad.grad(scale))  # (the fast class)
    assert not type(g).__call__.__code__.co_flags & 0x08  # (no **kwargs)
    calls = []
    fast = type(g).__call__.__globals__["_s2s_fn"]
    type(g).__call__.__globals__["_s2s_fn"] = lambda *a: calls.append(a) or fast(*a)
    g(s, x), g(s, x=x), g(x=x, self=s, k=2.0)  # each the generated function, directly
    assert len(calls) == 3
    with pytest.raises(TypeError, match="unexpected keyword argument 'q'"):
        g(s, x, 2.0, q=1.0)
    with pytest.raises(TypeError):
        g(s, x, 2.0, 4.0)
    with pytest.raises(TypeError):
        g(s)
    np.testing.assert_allclose(g(s, x, 2.0), 2 * s)


def test_a_parameter_named_like_the_calls_own_names_gets_the_generic_call():
    g = s2sgrad.grad(reserved_name, wrt=1)
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    for _ in range(2):
        np.testing.assert_allclose(g(x, y=y), x)
        np.testing.assert_allclose(g(x, y), x)
    assert type(g) is not type(s2sgrad.grad(reserved_name))
    assert (
        "**_s2s_kw" in type(g).__call__.__code__.co_varnames
        or type(g).__call__.__code__.co_flags & 0x08
    )  # (the generic form: **kwargs)
    with pytest.raises(TypeError):
        g(x, y, y)
