"""Draws from a np.random.Generator passed in as an argument (docs/contract.md).

A draw is an op with an effect on the generator: the generated code draws exactly
what, where and as often as plain Python draws (never removed, merged, recomputed
or moved), so its values are plain Python's bit for bit and the caller's generator
is left in the state plain Python leaves it. `rng.normal(mu, sigma, size)` is
`mu + sigma * rng.standard_normal(size)`, which is what NumPy computes, so the
gradient flows to mu and sigma (a reparameterised sample).
"""

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad
from s2sgrad import transform

SEED = 20240607


@pytest.fixture(autouse=True, scope="module")
def verify_ir():
    """Run the IR verifier after every stage while these tests build gradients."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transform, "VERIFY", True)
        yield


def fresh():
    return np.random.default_rng(SEED)


# ---- functions drawing from a generator ------------------------------------------------


def reparameterised(mu, sigma, gen):
    z = mu + sigma * gen.standard_normal(mu.shape)
    return np.sum(np.sin(z) * z)


def normal_and_uniform(mu, sigma, gen):
    a = gen.normal(mu, sigma, (4, 3))
    b = gen.uniform(mu, mu + sigma**2, size=(4, 3))
    c = gen.normal(mu, sigma)  # (the parameters' shape)
    return np.sum(np.sin(a) * b) + np.sum(c**2) + gen.uniform() * np.sum(mu)


def scalar_parameters(loc, scale, gen):
    return np.sin(gen.normal(loc, scale)) + gen.uniform(loc, 3.0) * scale + gen.normal(scale=scale)


def narrow_parameters(mu, sigma, gen):
    return np.sum(gen.normal(mu, sigma) * gen.uniform(mu, 1.0, size=(3, 2)))


def draws_in_a_loop(mu, sigma, gen, n):
    s = 0.0
    for i in range(n):
        s = s + np.sum(np.tanh(gen.normal(mu, sigma, mu.shape)) * gen.random(mu.shape))
    return s


def draws_in_a_while_and_a_branch(mu, gen):
    s = 0.0
    k = 0
    while k < 3:
        if np.sum(mu) > k:
            s = s + np.sum(mu * gen.standard_normal(mu.shape))
        else:
            s = s - np.sum(mu**2 * gen.random())
        k = k + 1
    return s


def an_unused_draw(mu, gen):
    gen.standard_normal(5)
    unused = gen.random((2, 2))
    return np.sum(mu * gen.standard_normal(mu.shape))


def two_equal_draws(mu, gen):
    a = gen.standard_normal(mu.shape)
    b = gen.standard_normal(mu.shape)
    return np.sum(mu * (a - b))


def integers_and_dtypes(mu, gen):
    k = gen.integers(0, 5, size=mu.shape)
    j = gen.integers(3)
    u = gen.random(mu.shape, dtype=np.float32)
    v = gen.standard_normal(2, np.float32)
    w = gen.random(dtype=np.float32)  # (a Python float)
    return np.sum(mu * k) + j * np.sum(mu * u) + np.sum(v) * np.sum(mu) + w * np.sum(mu)


def helper_draw(x, gen):
    return x * gen.standard_normal(np.shape(x))


def draws_in_a_helper(mu, gen):
    return np.sum(helper_draw(mu, gen) ** 2) + np.sum(helper_draw(mu * 2.0, gen))


def helper_calls_that_draw_late(mu, gen):
    return helper_calls_that_draw(mu, gen)


def helper_draws_in_a_loop(mu, gen):
    s = 0.0
    for i in range(3):
        unused = helper_draw(mu, gen)
        s = s + np.sum(np.sin(helper_draw(mu * s, gen) + mu))
    return s


def a_generator_method_not_known(mu, gen):
    return np.sum(mu * gen.choice(mu))


CASES = [
    (reparameterised, (3,)),
    (normal_and_uniform, (3,)),
    (draws_in_a_loop, (3,)),
    (draws_in_a_while_and_a_branch, (3,)),
    (an_unused_draw, (3,)),
    (two_equal_draws, (3,)),
    (integers_and_dtypes, (3,)),
    (draws_in_a_helper, (3,)),
    (helper_calls_that_draw_late, (3,)),
    (helper_draws_in_a_loop, (3,)),
]


def arguments(fn, shape):
    """Float arguments before the generator; a loop's count after it."""
    values = np.random.default_rng(5).uniform(0.5, 1.5, size=(2,) + shape)
    n_floats = fn.__code__.co_varnames[: fn.__code__.co_argcount].index("gen")
    return list(values[:n_floats]), ([4] if fn is draws_in_a_loop else [])


@pytest.mark.parametrize("fn, shape", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_values_are_plain_pythons_and_the_generator_advances_alike(fn, shape):
    floats, rest = arguments(fn, shape)
    plain_rng, ours = fresh(), fresh()
    expected = fn(*floats, plain_rng, *rest)
    value, _ = s2sgrad.value_and_grad(fn)(*floats, ours, *rest)
    assert value == expected
    assert ours.random() == plain_rng.random()


@pytest.mark.parametrize("fn, shape", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_gradient_by_central_differences_from_one_state(fn, shape):
    """Each evaluation draws from a copy of the generator (check_grads copies it): the
    function is a deterministic function of its float arguments."""
    floats, rest = arguments(fn, shape)
    wrt = tuple(range(len(floats)))
    s2sgrad.check_grads(fn, wrt, *floats, fresh(), *rest, modes=("rev",), rtol=1e-6, atol=1e-8)


def test_scalar_parameters_draw_python_floats():
    loc, scale = 0.3, 1.7
    value, (d_loc, d_scale) = s2sgrad.value_and_grad(scalar_parameters, wrt=(0, 1))(
        loc, scale, fresh()
    )
    assert value == scalar_parameters(loc, scale, fresh())
    assert isinstance(d_loc, float) and isinstance(d_scale, float)
    for i, d in enumerate((d_loc, d_scale)):
        expected = central_difference(lambda *xs: scalar_parameters(*xs, fresh()), [loc, scale], i)
        np.testing.assert_allclose(d, expected, rtol=1e-6)


def test_narrow_parameters_are_drawn_in_float64_as_numpy_does():
    mu = np.array([0.3, -1.1], dtype=np.float32)
    sigma = np.array([1.3, 0.7], dtype=np.float32)
    value, (d_mu, d_sigma) = s2sgrad.value_and_grad(narrow_parameters, wrt=(0, 1))(
        mu, sigma, fresh()
    )
    assert value == narrow_parameters(mu, sigma, fresh())
    assert d_mu.dtype == np.float32 and d_sigma.dtype == np.float32


def test_the_gradient_advances_the_generator_as_the_function_does():
    mu, sigma = np.array([0.5, 1.0]), np.array([1.0, 0.2])
    for derivative in (
        s2sgrad.grad(reparameterised),
        s2sgrad.grad(reparameterised, wrt=(0, 1)),
        s2sgrad.value_and_grad(reparameterised),
    ):
        plain_rng, ours = fresh(), fresh()
        reparameterised(mu, sigma, plain_rng)
        derivative(mu, sigma, ours)
        assert ours.standard_normal() == plain_rng.standard_normal()


def test_vjp_draws_once_and_its_vjp_fn_from_the_same_state():
    mu, sigma = np.array([0.5, 1.0]), np.array([1.0, 0.2])
    plain_rng, ours = fresh(), fresh()
    out, vjp_fn = s2sgrad.vjp(reparameterised, mu, sigma, ours)
    assert out == reparameterised(mu, sigma, plain_rng)
    first = vjp_fn(1.0)
    second = vjp_fn(1.0)
    assert ours.random() == plain_rng.random()  # vjp_fn draws from copies
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    expected = s2sgrad.grad(reparameterised, wrt=(0, 1))(mu, sigma, fresh())
    for a, b in zip(first, expected):
        np.testing.assert_array_equal(a, b)


def test_an_unused_draw_stays_and_equal_draws_stay_two():
    mu = np.array([0.5, 1.0, 2.0])
    g = s2sgrad.grad(an_unused_draw)
    g(mu, fresh())
    text = s2sgrad.source(g)
    assert "gen.standard_normal(5)" in text and "gen.random((2, 2))" in text
    g = s2sgrad.grad(two_equal_draws)
    d = g(mu, fresh())
    assert s2sgrad.source(g).count("gen.standard_normal(") == 2
    assert np.all(d != 0.0)


def test_draws_in_a_loop_are_taped_not_drawn_again():
    mu, sigma = np.array([0.5, 1.0]), np.array([1.0, 0.2])
    g = s2sgrad.grad(draws_in_a_loop)
    g(mu, sigma, fresh(), 3)
    code = [line for line in s2sgrad.source(g).splitlines() if not line.strip().startswith("#")]
    assert sum("gen.standard_normal(" in line for line in code) == 1
    assert sum("gen.random(" in line for line in code) == 1
    text = "\n".join(code)
    assert ".append(" in text and ".pop()" in text


def test_no_gradient_with_respect_to_the_generator():
    with pytest.raises(s2sgrad.InvalidArgumentError, match="'gen'"):
        s2sgrad.grad(reparameterised, wrt=2)(np.ones(2), np.ones(2), fresh())
    out, vjp_fn = s2sgrad.vjp(reparameterised, np.ones(2), np.ones(2), fresh())
    assert len(vjp_fn(1.0)) == 2


def test_the_generator_is_part_of_the_specialisation():
    f = s2sgrad.function(reparameterised)
    assert f(np.ones(2), np.ones(2), fresh()) == reparameterised(np.ones(2), np.ones(2), fresh())
    assert "gen: rng" in s2sgrad.source(f)
    with pytest.raises(s2sgrad.InvalidArgumentError):
        f(np.ones(2), np.ones(2), np.random.RandomState(0))  # (the legacy API: not supported)


def test_a_generator_method_s2sgrad_does_not_know_is_a_located_error():
    with pytest.raises(s2sgrad.UnsupportedError) as e:
        s2sgrad.grad(a_generator_method_not_known)(np.ones(2), fresh())
    assert "the generator method .choice() is not supported" in str(e.value)
    assert "test_draws.py:" in str(e.value)


def second_order(mu, gen):
    y = np.sum(np.exp(mu * gen.standard_normal(mu.shape)))
    return np.sum(s2sgrad.gradients(y, [mu])[0])


def test_second_order_draws_once():
    mu = np.array([0.5, -0.2])
    plain_rng, ours = fresh(), fresh()
    z = plain_rng.standard_normal(2)
    h = s2sgrad.grad(second_order)(mu, ours)
    np.testing.assert_allclose(h, z**2 * np.exp(mu * z), rtol=1e-12)
    assert ours.random() == plain_rng.random()


def cotangent_named_like_a_parameter(x, g):
    return np.sin(x) * g


def test_vjp_of_a_function_with_a_parameter_named_g():
    """vjp's generated function takes the cotangent after the parameters, under a name of
    its own (once `g`, which a parameter named g collided with)."""
    x, w = np.array([0.3, 1.2]), np.array([2.0, -1.0])
    out, vjp_fn = s2sgrad.vjp(cotangent_named_like_a_parameter, x, w)
    d_x, d_w = vjp_fn(np.ones(2))
    np.testing.assert_allclose(d_x, np.cos(x) * w)
    np.testing.assert_allclose(d_w, np.sin(x))


def helper_calls_that_draw(mu, gen):
    unused = helper_draw(mu, gen)  # (its result unused: the draw still happens)
    a = helper_draw(mu, gen)
    b = helper_draw(mu, gen)  # (the same call again: a new draw)
    return np.sum(a - b)


def test_calls_passing_the_generator_on_are_never_removed_or_merged():
    mu = np.array([0.5, 1.0, 2.0])
    plain_rng, ours = fresh(), fresh()
    value, d_mu = s2sgrad.value_and_grad(helper_calls_that_draw)(mu, ours)
    assert value == helper_calls_that_draw(mu, plain_rng)
    assert ours.random() == plain_rng.random()
    assert np.all(d_mu != 0.0)


def draw_of_numbers(mu, s, rng):
    return rng.normal(mu, s) + rng.uniform(mu, s + 1.0)


def test_a_draw_of_numbers_is_a_python_float_as_numpys_is():
    # (hunt 11: of np.float64 parameters it was an np.float64, which turns a float32
    # array it meets float64 where NumPy's Python float does not)
    for mu, s in ((0.3, np.float64(0.5)), (np.float32(0.3), 0.5), (np.array(0.3), 0.5)):
        value, grads = s2sgrad.value_and_grad(draw_of_numbers, wrt=(0, 1))(
            mu, s, np.random.default_rng(1)
        )
        want = draw_of_numbers(mu, s, np.random.default_rng(1))
        assert type(value) is type(want) and value == want
