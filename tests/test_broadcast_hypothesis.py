"""Hypothesis: gradients of broadcasting elementwise ops over random shapes.

For each op, operand shapes are drawn mutually broadcastable (rank 0 to 3,
sides 1 to 3; a rank-0 operand is sometimes a Python float), values come from
the op's domain, and the gradient with respect to every operand is compared
with float64 central differences. One `grad` object per op serves every
example, so the specialisation cache (same pattern of sizes, new sizes) is
exercised too.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from rules_cases import (
    AWAY,
    POS,
    A,
    F,
    central_difference,
    f_add,
    f_div,
    f_maximum,
    f_mul,
    f_pow,
    f_sub,
    f_where_three,
)

import s2sgrad
from s2sgrad import transform

# op -> (function, domain of each operand)
OPS = {
    "add": (f_add, [{}, {}]),
    "sub": (f_sub, [{}, {}]),
    "mul": (f_mul, [{}, {}]),
    "div": (f_div, [{}, AWAY]),
    "pow": (f_pow, [POS, dict(lo=-1.5, hi=1.5)]),
    "maximum": (f_maximum, [{}, {}]),
    "where": (f_where_three, [{}, {}, {}]),
}
GRADS = {op: s2sgrad.grad(fn, wrt=tuple(range(len(doms)))) for op, (fn, doms) in OPS.items()}


@pytest.fixture(autouse=True, scope="module")
def verify_ir():
    """Run the IR verifier after every stage while these tests build gradients."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transform, "VERIFY", True)
        yield


@st.composite
def operands(draw, op):
    fn, domains = OPS[op]
    shapes = draw(
        mutually_broadcastable_shapes(
            num_shapes=len(domains), min_dims=0, max_dims=3, min_side=1, max_side=3
        )
    ).input_shapes
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    args = []
    for k, (shape, dom) in enumerate(zip(shapes, domains)):
        # where's condition is an array: its x is unconnected, and an unconnected
        # Python float gets np.zeros_like(x), a 0-d array, not a float (reported).
        python_float = shape == () and not (op == "where" and k == 0) and draw(st.booleans())
        args.append(F(**dom) if python_float else A(*shape, **dom))
    return [a.make(rng) for a in args]


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_broadcast_gradient(op, data):
    fn, _ = OPS[op]
    values = data.draw(operands(op))
    grads = GRADS[op](*values)
    assert len(grads) == len(values)
    for i, (g, x) in enumerate(zip(grads, values)):
        assert np.shape(g) == np.shape(x), f"argument {i}: shape {np.shape(g)} for {np.shape(x)}"
        assert np.result_type(g) == np.result_type(x)
        if isinstance(x, float):
            assert isinstance(g, float), f"argument {i}: {type(g).__name__} for a Python float"
        np.testing.assert_allclose(
            g,
            central_difference(fn, values, i, 1e-6),
            rtol=1e-6,
            atol=1e-7,
            err_msg=f"{op}: gradient of argument {i}",
        )


def test_cached_gradient_follows_size_one_dims():
    """(3, 1) + (1, 1) and (3, 1) + (1, 2) broadcast differently: one grad object,
    two specialisations."""
    g = s2sgrad.grad(f_add, wrt=(0, 1))
    x = np.array([[0.5], [-1.0], [2.0]])
    for y in (np.array([[0.3]]), np.array([[0.3, -0.7]])):
        dx, dy = g(x, y)
        assert dx.shape == x.shape and dy.shape == y.shape
        np.testing.assert_allclose(dx, np.sum(np.cos(x + y), axis=1, keepdims=True))
        np.testing.assert_allclose(dy, np.sum(np.cos(x + y), axis=0, keepdims=True))
