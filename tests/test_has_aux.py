"""`has_aux=True` on grad, value_and_grad and vjp (SPEC.md, "The functional form"):
f returns (value, aux); the value is differentiated, aux is handed back as f computed it."""

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad


def with_aux(x, w):
    y = np.tanh(x * w)
    loss = np.sum(y**2) + w * w
    return loss, (np.mean(y), y)


def loss_only(x, w):
    return with_aux(x, w)[0]


X = np.array([0.3, -1.2, 0.8])
W = 0.7


def test_grad_returns_the_gradient_and_aux():
    g, (m, y) = s2sgrad.grad(with_aux, has_aux=True)(X, W)
    np.testing.assert_allclose(g, central_difference(loss_only, [X, W], 0), rtol=1e-6)
    assert m == pytest.approx(np.mean(np.tanh(X * W)))
    np.testing.assert_allclose(y, np.tanh(X * W))


def test_value_and_grad_returns_value_aux_and_gradients():
    (value, aux), (d_x, d_w) = s2sgrad.value_and_grad(with_aux, (0, 1), has_aux=True)(X, W)
    assert value == pytest.approx(loss_only(X, W))
    assert aux[0] == pytest.approx(np.mean(np.tanh(X * W)))
    np.testing.assert_allclose(d_x, central_difference(loss_only, [X, W], 0), rtol=1e-6)
    assert d_w == pytest.approx(central_difference(loss_only, [X, W], 1), rel=1e-6)


def test_vjp_returns_out_the_function_and_aux():
    out, back, aux = s2sgrad.vjp(with_aux, X, W, has_aux=True)
    assert out == pytest.approx(loss_only(X, W))
    d_x, d_w = back(2.0)
    np.testing.assert_allclose(d_x, 2.0 * central_difference(loss_only, [X, W], 0), rtol=1e-6)
    np.testing.assert_allclose(aux[1], np.tanh(X * W))


def returns_one_value(x):
    return np.sum(x)


def test_a_function_not_returning_a_pair_is_a_located_error():
    with pytest.raises(
        ValueError, match="has_aux=True needs returns_one_value to return a pair"
    ) as info:
        s2sgrad.grad(returns_one_value, has_aux=True)(X)
    assert "test_has_aux.py:" in str(info.value)


def test_a_derivative_with_aux_is_not_differentiated_again():
    with pytest.raises(ValueError, match="has_aux=True returns"):
        s2sgrad.grad(s2sgrad.grad(with_aux, has_aux=True))
