"""The traps that made earlier AD tools silently wrong, one test each.

- `/` and `**` with both operands broadcast: each gradient must be summed
  back to its own operand's shape.
- `x * 1.0` and `s * 0.0` must stay arithmetic: never an alias of the
  caller's array, never an integer 0, never a symbolic zero that drops the
  NaN/inf NumPy arithmetic would produce.
- Returned gradients never share memory with the caller's arrays (x,
  grad_ys), with each other, or with a read-only broadcast view.
- Fan-out: a value used k times gets k contributions, each summed once.
- The same x listed twice in xs, and the same y listed twice in ys.
- Mixed precision: every gradient has its x's dtype (a float64 x beside a
  float32 one, a NumPy float32 scalar with a Python-number cotangent).
- A value the generated code reads is one it defines: a shape read of a
  renamed array (`len(h)`, `h = np.zeros(...)`).
"""

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad

A31 = np.array([[0.7], [1.3], [2.1]])
B14 = np.array([[0.4, 1.1, 1.9, 2.6]])


# ---- both operands broadcast -----------------------------------------------------------------


def div_both(a, b):
    return np.sum(a / b)


def pow_both(a, b):
    return np.sum(a**b)


def np_divide_both(a, b):
    return np.sum(np.divide(a, b) * np.power(b, a))


def div_pow_chain(a, b):
    return np.sum((a / b) ** (b / a))


@pytest.mark.parametrize(
    "f", [div_both, pow_both, np_divide_both, div_pow_chain], ids=lambda f: f.__name__
)
def test_both_operands_broadcast(f):
    # d_a shaped (3, 1), d_b (1, 4), each against central differences
    s2sgrad.check_grads(f, (0, 1), A31, B14, modes=("rev",), rtol=1e-6, atol=1e-9)


@s2sgrad.function
def div_pow_weighted(a, b, g):
    y = a / b + a**b
    return s2sgrad.gradients(y, [a, b], grad_ys=[g])


def test_both_operands_broadcast_with_weights():
    g = np.arange(12.0).reshape(3, 4) - 5.0
    d_a, d_b = div_pow_weighted(A31, B14, g)

    def f(a, b):
        return g * (a / b + a**b)

    np.testing.assert_allclose(d_a, central_difference(f, (A31, B14), 0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(d_b, central_difference(f, (A31, B14), 1), rtol=1e-6, atol=1e-8)


def test_broadcast_against_scalar_and_rank_change():
    def f(a, b):
        return np.sum(a / b + b**a)

    a = np.array([0.5, 1.5, 2.5, 3.5])
    for b in (2.0, np.float64(2.0), np.array([[1.5], [2.5]])):
        # np.shape(d_b) == np.shape(b), and both against central differences
        s2sgrad.check_grads(f, (0, 1), a, b, modes=("rev",), rtol=1e-6, atol=0.0)


# ---- x * 1.0 and s * 0.0 stay arithmetic ------------------------------------------------------


def sum_times_one(x):
    return np.sum(x * 1.0)


def times_one(x):
    return x * 1.0


def times_zero(x):
    return x * 0.0


def sum_times_zero(x):
    return np.sum(x * 0.0)


def scaled_by_zeroed(x, s):
    return np.sum(x * (s * 0.0))


def scalar_times_zero(s):
    return s * 0.0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_times_one_gradient_is_a_fresh_float_array(dtype):
    x = np.array([1.0, -2.0, 3.0], dtype=dtype)
    d_x = s2sgrad.grad(sum_times_one)(x)
    assert isinstance(d_x, np.ndarray) and d_x.dtype == dtype and d_x.shape == x.shape
    np.testing.assert_array_equal(d_x, np.ones(3))
    assert not np.shares_memory(d_x, x)
    assert d_x.flags.writeable
    d_x[0] = 99.0  # the caller owns it: writing changes nothing else
    np.testing.assert_array_equal(x, np.array([1.0, -2.0, 3.0], dtype=dtype))
    np.testing.assert_array_equal(s2sgrad.grad(sum_times_one)(x), np.ones(3))


def test_times_one_does_not_alias_the_cotangent():
    x = np.array([1.0, 2.0])
    g = np.array([5.0, 6.0])
    _, vjp_fn = s2sgrad.vjp(times_one, x)
    (d_x,) = vjp_fn(g)
    np.testing.assert_array_equal(d_x, g)
    assert not np.shares_memory(d_x, g) and not np.shares_memory(d_x, x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_times_zero_gradient_is_float_zero_not_int(dtype):
    x = np.array([1.0, np.inf, np.nan], dtype=dtype)
    with np.errstate(invalid="ignore"):
        d_x = s2sgrad.grad(sum_times_zero)(x)
    assert isinstance(d_x, np.ndarray) and d_x.dtype == dtype and d_x.shape == (3,)
    # d/dx (x * 0.0) = 0.0 * cotangent(1.0) = 0.0 everywhere, whatever x holds
    np.testing.assert_array_equal(d_x, np.zeros(3, dtype=dtype))
    assert not np.shares_memory(d_x, x)


def test_times_zero_keeps_nan_from_the_cotangent():
    """Jᵀg of x * 0.0 is g * 0.0: NaN where g is NaN or ±inf, as NumPy computes
    it. A tool that turned `* 0.0` into a symbolic zero would return 0 there."""
    x = np.array([1.0, 2.0, 3.0, 4.0])
    g = np.array([np.nan, np.inf, -np.inf, 2.0])
    _, vjp_fn = s2sgrad.vjp(times_zero, x)
    with np.errstate(invalid="ignore"):
        (d_x,) = vjp_fn(g)
        expected = g * 0.0
    np.testing.assert_array_equal(d_x, expected)  # NaNs in the same places
    assert np.isnan(d_x[:3]).all() and d_x[3] == 0.0
    assert d_x.dtype == np.float64


@pytest.mark.parametrize("s", [np.inf, -np.inf, np.nan])
def test_zeroed_scale_keeps_nan_in_the_other_operand(s):
    """With y = sum(x * (s * 0.0)) and s = inf or nan, s * 0.0 is NaN, so
    dy/dx = s * 0.0 is NaN as NumPy computes it; dy/ds = sum(x) * 0.0 = 0.0."""
    x = np.array([1.0, 2.0])
    with np.errstate(invalid="ignore"):
        d_x, d_s = s2sgrad.grad(scaled_by_zeroed, wrt=(0, 1))(x, s)
        expected_x = np.ones_like(x) * (s * 0.0)
    np.testing.assert_array_equal(d_x, expected_x)
    assert np.isnan(d_x).all()
    assert type(d_s) is float and d_s == 0.0


@pytest.mark.parametrize("s", [np.inf, np.nan, 3.0])
def test_scalar_times_zero_gradient(s):
    with np.errstate(invalid="ignore"):
        d_s = s2sgrad.grad(scalar_times_zero)(s)
        d_s32 = s2sgrad.grad(scalar_times_zero)(np.float32(s))
    assert type(d_s) is float and d_s == 0.0 and not np.signbit(d_s)
    assert isinstance(d_s32, np.float32) and d_s32 == 0.0


def test_times_zero_generated_code_keeps_the_multiplication():
    text = s2sgrad.source(s2sgrad.grad(sum_times_zero), np.ones(3))
    assert "* 0.0" in text
    text = s2sgrad.source(s2sgrad.grad(sum_times_one), np.ones(3))
    assert "* 1.0" in text


# ---- returned gradients never alias the caller's arrays ---------------------------------------


@s2sgrad.function
def plus_zero(x, g):
    y = x + 0.0
    return s2sgrad.gradients(y, [x], grad_ys=[g])


@s2sgrad.function
def identity(x, g):
    return s2sgrad.gradients(x, [x], grad_ys=[g])


@s2sgrad.function
def through_views(x, g):
    y = np.reshape(x, (2, 3))
    z = y.T
    return s2sgrad.gradients(z, [x, y, z], grad_ys=[g])


@s2sgrad.function
def through_stop(x, g):
    y = x * 1.0
    z = y + s2sgrad.stop_gradient(x)
    return s2sgrad.gradients(z, [x, y], grad_ys=[g])


@s2sgrad.function
def plain_sum(x):
    y = np.sum(x)
    return s2sgrad.gradients(y, [x])


@s2sgrad.function
def broadcast_view(x, g):
    y = np.broadcast_to(x, (3, 4))
    return s2sgrad.gradients(y, [x], grad_ys=[g])


def assert_owned(results, *caller):
    arrays = [r for r in results if isinstance(r, np.ndarray)]
    assert arrays
    for r in arrays:
        assert r.flags.writeable
        for c in caller:
            assert not np.shares_memory(r, c)
        for other in arrays:
            assert other is r or not np.shares_memory(r, other)


def test_identity_path_does_not_return_grad_ys():
    x, g = np.arange(4.0), np.arange(4.0) + 10
    for fn in (plus_zero, identity):
        result = fn(x, g)
        np.testing.assert_array_equal(result[0], g)
        assert_owned(result, x, g)


def test_view_paths_do_not_return_views_of_grad_ys():
    x, g = np.arange(6.0), np.arange(6.0).reshape(3, 2)
    d_x, d_y, d_z = through_views(x, g)
    np.testing.assert_array_equal(d_x, g.T.reshape(6))
    np.testing.assert_array_equal(d_y, g.T)
    np.testing.assert_array_equal(d_z, g)
    assert_owned([d_x, d_y, d_z], x, g)


def test_stop_gradient_path():
    x, g = np.arange(3.0), np.ones(3) * 2
    d_x, d_y = through_stop(x, g)
    np.testing.assert_array_equal(d_x, g)
    np.testing.assert_array_equal(d_y, g)
    assert_owned([d_x, d_y], x, g)


def test_sum_gradient_is_not_a_read_only_broadcast():
    x = np.arange(3.0)
    (d_x,) = plain_sum(x)
    np.testing.assert_array_equal(d_x, np.ones(3))
    assert_owned([d_x], x)
    d_x += 1.0  # would raise on a np.broadcast_to view


def test_broadcast_to_gradient():
    x, g = np.arange(4.0), np.ones((3, 4))
    (d_x,) = broadcast_view(x, g)
    np.testing.assert_array_equal(d_x, [3.0, 3.0, 3.0, 3.0])
    assert_owned([d_x], x, g)


def test_grad_of_identity_function():
    def ident(x):
        return x

    x, g = np.arange(3.0), np.ones(3)
    _, vjp_fn = s2sgrad.vjp(ident, x)
    (d_x,) = vjp_fn(g)
    assert_owned([d_x], x, g)


# ---- fan-out, repeated xs and ys --------------------------------------------------------------


@s2sgrad.function
def fan_out(a, x, method):
    y = a * a + a * x + np.sin(a)
    return s2sgrad.gradients(y, [a, x], aggregation_method=method)


@s2sgrad.function
def fan_out_many(a):
    b = a * 2.0
    y = a + b + a * b + np.exp(a) + a / b + a - b * a
    return s2sgrad.gradients(y, [a, b])


@pytest.mark.parametrize("method", [0, 1, 2])
def test_fan_out_summed_once_per_use(method):
    a = np.array([0.3, -1.2, 2.0])
    x = np.array([1.5, 0.25, -0.5])
    d_a, d_x = fan_out(a, x, method)
    np.testing.assert_allclose(d_a, 2 * a + x + np.cos(a), rtol=1e-13)
    np.testing.assert_allclose(
        d_a, central_difference(lambda a_: a_ * a_ + a_ * x + np.sin(a_), (a,), 0), rtol=1e-7
    )
    np.testing.assert_allclose(d_x, a, rtol=1e-13)
    assert_owned([d_a, d_x], a, x)


def test_fan_out_through_an_intermediate():
    a = np.array([0.5, 1.5])
    d_a, d_b = fan_out_many(a)

    def f(a_):
        b = a_ * 2.0
        return a_ + b + a_ * b + np.exp(a_) + a_ / b + a_ - b * a_

    np.testing.assert_allclose(d_a, central_difference(f, (a,), 0), rtol=1e-7)
    b = 2 * a
    np.testing.assert_allclose(d_b, 1 + a - a / b**2 - a, rtol=1e-13)  # partial in b


@s2sgrad.function
def x_twice(x):
    y = np.sin(x) * x
    return s2sgrad.gradients(y, [x, x])


@s2sgrad.function
def y_twice(x):
    y = np.sin(x)
    return s2sgrad.gradients([y, y], [x])


@s2sgrad.function
def y_twice_weighted(x, g1, g2):
    y = np.sin(x)
    return s2sgrad.gradients([y, y], [x], grad_ys=[g1, g2])


def test_same_x_listed_twice():
    x = np.array([0.2, 0.9])
    d1, d2 = x_twice(x)
    expected = np.cos(x) * x + np.sin(x)
    np.testing.assert_allclose(d1, expected)
    np.testing.assert_allclose(d2, expected)
    assert d1 is not d2
    assert_owned([d1, d2], x)


def test_same_y_listed_twice_counts_twice():
    x = np.array([0.2, 0.9])
    (d_x,) = y_twice(x)
    np.testing.assert_allclose(d_x, 2 * np.cos(x))
    g1, g2 = np.array([1.0, 2.0]), np.array([10.0, 20.0])
    (d_x,) = y_twice_weighted(x, g1, g2)
    np.testing.assert_allclose(d_x, (g1 + g2) * np.cos(x))
    assert_owned([d_x], x, g1, g2)


# ---- mixed precision: each gradient has its x's dtype ------------------------------------


def add_scalars(s, w):
    return s + w


def mixed_product(x, w):
    return np.sum(x * w)


def test_float32_scalar_beside_float64_scalar():
    d_s = s2sgrad.grad(add_scalars, 0)(np.float32(0.3), np.float64(0.25))
    assert type(d_s) is np.float32 and d_s == 1.0
    d_s, d_w = s2sgrad.grad(add_scalars, (0, 1))(np.float32(0.3), np.float64(0.25))
    assert type(d_s) is np.float32 and type(d_w) is float


def test_float64_array_beside_float32_array():
    x32 = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    w64 = np.array([0.1, 0.2, 0.3])
    d_x, d_w = s2sgrad.grad(mixed_product, (0, 1))(x32, w64)
    assert d_x.dtype == np.float32 and d_w.dtype == np.float64
    np.testing.assert_allclose(d_x, w64, rtol=1e-7)
    np.testing.assert_array_equal(d_w, x32.astype(np.float64))


def float64_of_float32(s):
    return np.float64(s) * 2.0


def test_cast_back_of_a_python_number_cotangent():
    d = s2sgrad.grad(float64_of_float32)(np.float32(0.5))
    assert type(d) is np.float32 and d == 2.0


# ---- the generated code reads only what it defines --------------------------------------


def len_of_zeros(x):
    h = np.zeros((len(x), 2))
    return np.sum(x) * len(h)


def test_shape_of_a_renamed_array():
    # np.shape(h) once read the value h had before it was named (`_t1`, never defined)
    g = s2sgrad.grad(len_of_zeros)
    np.testing.assert_array_equal(g(np.ones(3)), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(g(np.ones(5)), [5.0] * 5)
    # (and its length is read off x's shape: the zeros are not made to be counted)
    assert "np.zeros" not in s2sgrad.source(g)


def product_sum(a, b):
    return np.sum(a * b)


def test_folded_seed_never_hands_back_an_argument():
    # d(sum(a * b))/da is b exactly: the seed 1.0 folded away must not make the gradient
    # the caller's b itself (every gradient returned is a fresh, writable array)
    a, b = np.ones(3), np.arange(3.0)
    d_a, d_b = s2sgrad.grad(product_sum, wrt=(0, 1))(a, b)
    np.testing.assert_array_equal(d_a, b)
    assert not np.shares_memory(d_a, b) and not np.shares_memory(d_b, a)
    d_a[:] = -1.0
    np.testing.assert_array_equal(b, [0.0, 1.0, 2.0])


def tanh_out(x):
    h = x * 2.0
    g = h
    np.tanh(h, out=h)  # g is h: it sees the write
    return np.sum(h * g) + np.sum(x)


def test_ufunc_out_is_a_write_into_its_operand():
    # what generated modules write (np.tanh(t, out=t)) reads back as t[...] = np.tanh(t)
    x = np.array([0.3, -0.2, 0.5])
    value, g = s2sgrad.value_and_grad(tanh_out)(x)
    assert value == tanh_out(x.copy())
    eps = 1e-6
    num = np.array([(tanh_out(x + eps * e) - tanh_out(x - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(g, num, rtol=1e-7, atol=1e-9)


def tanh_out_in_loop(x):
    for _ in range(2):
        np.tanh(x, out=x)  # a write into the argument, twice (fuzzer, seed 102 program 281)
    return np.sum(x * x)


def test_ufunc_out_in_a_loop_is_carried():
    x = np.array([-0.005, 0.64, -0.68])
    value, g = s2sgrad.value_and_grad(tanh_out_in_loop)(x)
    np.testing.assert_array_equal(x, [-0.005, 0.64, -0.68])  # the caller's array
    assert value == tanh_out_in_loop(x.copy())
    t1 = np.tanh(x)
    t2 = np.tanh(t1)
    np.testing.assert_allclose(g, 2 * t2 * (1 - t2**2) * (1 - t1**2), rtol=1e-13)


def tanh_out_nested_while(x, n):
    k = 0
    while k < n:
        k = k + 1
        j = 0
        while j < 3:
            j = j + 1
            np.tanh(x, out=x)  # the outer loop carries x too (fuzzer, seed 104 programs 82, 425)
    return np.sum(x)


def test_ufunc_out_in_nested_loops_is_carried_by_both():
    x = np.array([0.3, 0.9])
    value, g = s2sgrad.value_and_grad(tanh_out_nested_while)(x, 1)
    assert value == tanh_out_nested_while(x.copy(), 1)
    t1 = np.tanh(x)
    t2 = np.tanh(t1)
    t3 = np.tanh(t2)
    np.testing.assert_allclose(g, (1 - t3**2) * (1 - t2**2) * (1 - t1**2), rtol=1e-13)


def add_out_assigned(x):
    v = x * 2.0
    w = v[::-1]  # a view of v: sees the write
    r = np.add(x, v, out=v)  # r is v
    return np.sum(r * w) + np.sum(v * x)


def add_out_into_ints(x):
    v = np.zeros(3, dtype=np.int64)
    r = np.add(x, x, out=v)  # NumPy refuses: float64 into int64
    return np.sum(r * x)


def test_ufunc_out_assigned_is_a_write_then_a_name():
    # r = np.f(a, b, out=v), as generated modules write it, reads as v[...] = np.f(a, b); r = v
    x = np.array([0.3, -0.2, 0.5])
    value, g = s2sgrad.value_and_grad(add_out_assigned)(x)
    assert value == add_out_assigned(x.copy())
    eps = 1e-6
    num = [
        (add_out_assigned(x + eps * e) - add_out_assigned(x - eps * e)) / (2 * eps)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(g, num, rtol=1e-7, atol=1e-9)
    with pytest.raises(s2sgrad.UnsupportedError) as info:
        s2sgrad.grad(add_out_into_ints)(x)
    text = str(info.value)
    assert (
        "np.add(x, x, out=v) needs v to be a float array of at least one axis (it is int64[3])"
        in text
    )
    assert "r = np.add(x, x, out=v)" in text and "r = np.add(x, x)\n" in text + "\n"


def builtin_named_float(x, float):
    s = 0.0
    for i in range(3):
        s = s + x * float * i
    return s


def builtin_named_reversed(x, reversed):
    h = x
    for t in range(3):
        h = np.tanh(h * reversed)
    return np.sum(h)


@pytest.mark.parametrize(
    "fn, args",
    [
        (builtin_named_float, (0.7, 1.3)),
        (builtin_named_reversed, (np.array([0.3, -0.2]), np.array([0.5, 1.1]))),
    ],
)
def test_a_parameter_named_like_a_builtin_the_generated_code_calls(fn, args):
    # (float(d_x), reversed(range(3)) are written builtins.float, builtins.reversed there)
    vg = s2sgrad.value_and_grad(fn, wrt=(0, 1))
    for _ in range(2):  # (the second call: the fast code, the body inlined)
        value, g = vg(*args)
        assert value == fn(*args)
    assert "import builtins\n" in s2sgrad.source(vg) and " builtins." in s2sgrad.source(vg)
    eps = 1e-6
    for k in (0, 1):
        for i in range(np.size(args[k])):
            up, down = (
                [np.array(a, dtype=float) for a in args],
                [np.array(a, dtype=float) for a in args],
            )
            up[k].flat[i] += eps
            down[k].flat[i] -= eps
            num = (
                fn(*[u if np.ndim(a) else float(u) for u, a in zip(up, args)])
                - fn(*[d if np.ndim(a) else float(d) for d, a in zip(down, args)])
            ) / (2 * eps)
            np.testing.assert_allclose(np.ravel(g[k])[i], num, rtol=1e-6)


def log_of_a_product(x, y):
    return np.log(x * y)


def test_a_gradient_dividing_by_a_python_float_zero_gives_numpys_inf():
    # (the adjoint of np.log(x * y) of two Python floats divides by the Python float x * y:
    # at x * y == 0 the fast code's `1.0 / _t0` raises ZeroDivisionError, and the NumPy
    # twin runs, which divides with np.divide, as the function's own value is NumPy's -inf)
    with np.errstate(all="ignore"):
        value, (dx, dy) = s2sgrad.value_and_grad(log_of_a_product, wrt=(0, 1))(0.0, 2.0)
    assert value == -np.inf and dx == np.inf
    with np.errstate(all="ignore"):  # (and the fast path, the second call, the same)
        again = s2sgrad.value_and_grad(log_of_a_product, wrt=(0, 1))(0.0, 2.0)
    assert again[0] == -np.inf and again[1][0] == np.inf


def scaled_by_a_numpy_function_of_a_python_float(b, s):
    v = b * 1.0
    v = v * np.abs(s)  # np.abs(1.5) is np.float64(1.5): NEP 50 makes v float64
    return v


def accumulated_with_a_numpy_function_of_a_python_float(b, s):
    v = b * 1.0
    v += np.maximum(s, 0.5) + v * v  # float64 here, cast back into float32 v
    return np.sum(np.sin(v))


def test_a_numpy_function_of_a_python_float_is_a_float64_scalar():
    # np.abs, np.maximum, np.add ... of Python floats return np.float64, which promotes a
    # float32 array (NEP 50): the frontend makes such a result np.float64(...) (it was
    # typed a Python float: `v *= np.abs(s)` kept v float32; found by a float32 fuzz)
    b = np.array([0.3, -1.2, 0.7, 2.0], dtype=np.float32)
    got = s2sgrad.function(scaled_by_a_numpy_function_of_a_python_float)(b, 1.5)
    want = scaled_by_a_numpy_function_of_a_python_float(b, 1.5)
    assert got.dtype == want.dtype == np.float64 and np.array_equal(got, want)
    f = accumulated_with_a_numpy_function_of_a_python_float
    value, _ = s2sgrad.value_and_grad(f)(b, 1.5)
    want = f(b.copy(), 1.5)
    assert type(value) is type(want) is np.float32 and value == want
