"""Aliasing regressions found by an adversarial review of out-of-SSA's decisions:

- np.einsum of one operand summing nothing away ('ij->ji') is a view, and
  np.linalg.matrix_power(a, 1) is a itself: with memory 'new', out-of-SSA wrote a
  dead array (`out=`) through a live view of it, and `t *= 2.0` into a parameter;
- a fold of `x * 1.0` (passes/ones.py) or of `np.broadcast_to(1.0, s) * x`
  (passes/broadcast.py) whose result is viewed or held by something handed back
  (`d_y = (1.0 * x).T`; aux `t[::-1]`; a loop's initial value) handed back the
  caller's array, or an array another result views."""

import numpy as np
import pytest

import s2sgrad


def _einsum_view_of_dead(x: "float64[n, n]"):
    a = x * 2.0
    v = np.einsum("ij->ji", a)
    return np.sum(np.sin(v) * x) + np.sum(v * v * v)


def _matrix_power_one_of_dead(x: "float64[n, n]"):
    a = x * 2.0
    v = np.linalg.matrix_power(a, 1)
    return np.sum(np.sin(v) * x) + np.sum(v * v * v)


def _einsum_of_parameter(W: "float64[n, n]"):
    t = np.einsum("ij->ji", W)
    t = t * 2.0
    return np.sum(t * W)


def _einsum_identity(x: "float64[n, n]"):
    a = np.sin(x)
    d = np.einsum("ij->ij", a)
    return np.sum(d * x) + np.sum(a * x)


@pytest.mark.parametrize(
    "fn",
    [_einsum_view_of_dead, _matrix_power_one_of_dead, _einsum_of_parameter, _einsum_identity],
)
def test_single_operand_einsum_and_matrix_power_one_are_views(fn):
    x = np.random.default_rng(0).normal(size=(3, 3)) * 0.5
    x0 = x.copy()
    s2sgrad.check_grads(fn, 0, x)
    value, _ = s2sgrad.value_and_grad(fn)(x)
    np.testing.assert_array_equal(x, x0)
    assert value == fn(x0)


def _product_with_a_transpose(x: "float64[n, m]", y: "float64[m, n]"):
    return np.sum(x * y.T)


def _rotation(a: "float64[n]", b: "float64[n]", c: "float64[n]", k):
    for i in range(k):
        a, b, c = b, c, a
        c = c * 0.5 + np.tanh(a)
    return np.sum(a * b + c)


def _aux_viewing_the_gradient(x: "float64[n]", z: "float64[n]"):
    t = np.sin(z)
    return np.sum(x * t), t[::-1]


def _disjoint(arrays):
    for i, a in enumerate(arrays):
        for b in arrays[i + 1 :]:
            assert not np.shares_memory(a, b)


def test_a_gradient_never_views_the_callers_array():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(4, 3))
    dx, dy = s2sgrad.grad(_product_with_a_transpose, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(dy, x.T)
    _disjoint([dx, dy, x, y])
    a, b, c = rng.normal(size=(3, 4))
    for k in (0, 1, 2):
        s2sgrad.check_grads(_rotation, (0, 1, 2), a, b, c, k)
        _disjoint(list(s2sgrad.grad(_rotation, wrt=(0, 1, 2))(a, b, c, k)) + [a, b, c])


def test_a_gradient_is_not_the_array_an_aux_views():
    rng = np.random.default_rng(2)
    x, z = rng.normal(size=4), rng.normal(size=4)
    dx, aux = s2sgrad.grad(_aux_viewing_the_gradient, has_aux=True)(x, z)
    np.testing.assert_array_equal(dx, np.sin(z))
    np.testing.assert_array_equal(aux, np.sin(z)[::-1])
    assert not np.shares_memory(dx, aux)


# ---- temporaries written into dead arrays (dead_arrays (out_of_ssa._reuse): `right_temp`, `temps`) ----


def _aux_dies_in_the_gradient(x: "float64[n]"):
    a = np.sin(x)
    c = np.tanh(a * x)
    d = np.log1p(c * c)
    return np.sum(d * x), c  # (c, dead in the gradient's last lines, is handed back)


def _view_of_a_parameter_dies(x: "float64[n]"):
    r = x[::-1]
    a = np.sin(x) + r  # (r, of x's type, read nowhere after: x's array all the same)
    return np.sum(a * a)


def _dying_operand_viewed(x: "float64[n]"):
    c = np.tanh(x) * 2.0
    v = c[::-1]  # (c dies at `1.0 - c` in the gradient; v, read later, is its array)
    e = np.exp(c)
    return np.sum(e * x) + np.sum(v * v * x)


def test_a_temporary_never_goes_into_an_aux_a_parameters_view_or_a_viewed_array():
    """`_t = np.cos(x, out=c)`, `np.subtract(1.0, t, out=t)`, `np.divide(x, t, out=t)`:
    never into an array handed back (an aux), a view of the caller's array, or an array
    a live view reads (gradients against central differences, the verifier on)."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0.1, 1.0, size=6)
    x0 = x.copy()
    dx, aux = s2sgrad.grad(_aux_dies_in_the_gradient, has_aux=True)(x)
    np.testing.assert_array_equal(aux, np.tanh(np.sin(x0) * x0))
    assert not np.shares_memory(dx, aux)

    def value(x):
        return _aux_dies_in_the_gradient(x)[0]

    s2sgrad.check_grads(value, 0, x)
    for fn in (_view_of_a_parameter_dies, _dying_operand_viewed):
        s2sgrad.check_grads(fn, 0, x)
        _disjoint([s2sgrad.grad(fn)(x), x])
    np.testing.assert_array_equal(x, x0)
