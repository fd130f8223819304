"""The call path of a transformed function (api.py, `_CallPath`): `grad` returns a plain
function; after a call, its code calls the generated function directly on that call's
signature, and every other call goes the way that checks everything. What it must never do: call a
function built for another signature, skip a check, or keep a function built before
a rule was registered."""

import inspect

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
    fresh = s2sgrad.grad(scale)
    assert g.__code__ is not fresh.__code__  # (the fast code)
    assert not g.__code__.co_flags & 0x0C  # (no *args, no **kwargs)
    assert inspect.signature(g) == inspect.signature(scale)
    # (the generated function's body, inlined: its module's lines; never the slow path)
    assert g.__code__.co_filename.startswith("<s2sgrad:grad_scale")
    calls = []
    slow = g.__globals__["_s2s_call"]
    g.__globals__["_s2s_call"] = lambda *a, **k: calls.append(a) or slow(*a, **k)
    np.testing.assert_allclose(g(s, x), 2 * s)
    np.testing.assert_allclose(g(s, x=x), 2 * s)
    np.testing.assert_allclose(g(x=x, self=s, k=2.0), 2 * s)
    assert not calls
    np.testing.assert_allclose(g(s, x, 5.0), 5 * s)  # (a float: the same code)
    np.testing.assert_allclose(g(x[:1], s[:1]), 2 * x[:1])  # (another shape: not this code's)
    assert len(calls) == 1
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
    assert g.__code__.co_flags & 0x0C == 0x0C  # (the generic form: *args, **kwargs)
    assert not any(k.endswith("_fn") for k in g.__globals__)  # (and no fast code)
    with pytest.raises(TypeError):
        g(x, y, y)


def test_alternating_signatures_reuse_their_codes(monkeypatch):
    """Two signatures called in turn: each has one fast code, made once, whose globals
    are never rebound; past the limit of fast codes, the slow code runs, still right."""
    g = s2sgrad.grad(power)
    x, y = np.arange(3.0), np.arange(5.0)
    for _ in range(3):
        np.testing.assert_allclose(g(x, 3), 3 * x**2)
        np.testing.assert_allclose(g(y), 2 * y)
    assert len([k for k in g.__globals__ if k.endswith("_fn")]) == 2
    monkeypatch.setattr(s2sgrad.api, "_MAX_FAST", 2)
    for n in range(1, 6):
        z = np.arange(float(n))
        np.testing.assert_allclose(g(z), 2 * z)
        np.testing.assert_allclose(g(z), 2 * z)
    assert g.__code__.co_varnames[:2] == ("x", "n")
    assert len([k for k in g.__globals__ if k.endswith("_fn")]) == 2  # (made no more)
    np.testing.assert_allclose(g(x, 3), 3 * x**2)


def test_grad_returns_a_function_s2sgrad_knows():
    g = s2sgrad.grad(power)
    assert inspect.isfunction(g) and g.__name__ == "power" and g.__wrapped__ is power
    np.testing.assert_allclose(s2sgrad.grad(g)(1.5, 3), 6 * 1.5)  # (higher order)
    assert "def grad_power" in s2sgrad.source(g, 1.5, 3)
