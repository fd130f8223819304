"""Out-of-SSA's in-place writes into arrays that die (out_of_ssa.py: `_chains`,
`_renames`, `a += a`; passes/negation.py: the dying operand of a product put first)."""

import numpy as np
import pytest

import s2sgrad


def _sum_read_through_a_view(x: "float64[n]"):
    a = np.sin(x)
    r = a[::-1]
    return np.sum(a * x) + np.sum(r * x)


def _product_with_a_viewed_array(x: "float64[n]"):
    a = np.exp(x)
    c = np.tanh(x)
    r = a[::-1]
    return np.sum(c * a) + np.sum(r * x)


def _product_of_an_array_read_later(x: "float64[n]"):
    a = np.exp(x)
    c = np.tanh(x)
    return np.sum(c * a * a) + np.sum(a * x)


@pytest.mark.parametrize(
    "fn", [_sum_read_through_a_view, _product_with_a_viewed_array, _product_of_an_array_read_later]
)
def test_no_in_place_write_into_an_array_still_read(fn):
    """A sum or product of gradient code goes into a forward array only when nothing
    reads it later, a view of it (`a[::-1]`, the same memory backwards) included:
    written in place, the sum would read elements it had already changed."""
    x = np.linspace(0.1, 1.0, 7)
    g = s2sgrad.grad(fn)
    got = g(x.copy())
    f = lambda v: fn(v)  # noqa: E731
    want = np.array([(f(x + h) - f(x - h)) / 2e-6 for h in np.eye(len(x)) * 1e-6])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(x, np.linspace(0.1, 1.0, 7))


def _elementwise(x: "float64[n]"):  # (tools/workloads.py's, as golden/in_place_dying)
    a = np.sin(x)
    b = np.exp(-x * x)
    c = np.tanh(a * b + x)
    d = np.log1p(c * c)
    return np.sum(d * x)


def test_a_dying_array_takes_the_sum_and_the_product():
    """The elementwise workload: `d_c += d_c`, `d_b = a; d_b *= d_c`, `d_x = d; d_x +=
    ...` (golden/in_place_dying), with NumPy's values exactly."""

    x = np.linspace(-1.0, 1.0, 11)
    g = s2sgrad.grad(_elementwise)
    got = g(x)
    src = s2sgrad.source(g)
    for line in ("d_c += d_c", "d_b = a\n", "d_b *= d_c", "d_x = d\n", "d_x += d_c"):
        assert line in src, src
    a, b = np.sin(x), np.exp(-x * x)
    c = np.tanh(a * b + x)
    t = c * c
    d = np.log1p(t)
    d_c = x / (t + 1.0) * c
    d_c = (d_c + d_c) * (1.0 - t)
    d_a, d_b = d_c * b, d_c * a
    d_b = d_b * b
    want = d + d_c + d_b * (-x) - d_b * x + d_a * np.cos(x)
    np.testing.assert_array_equal(got, want)


def _dead_array_read_through_a_list(x: "float64[n]"):
    a = np.sin(x)
    keep = [a * 2.0, np.cos(x)]
    b = np.exp(-x * x)
    return np.sum(a * b) + np.sum(keep[0] * keep[1] * x)


def _dead_array_read_through_a_view(x: "float64[n]"):
    a = np.sin(x)
    c = np.tanh(x)
    r = c[::-1]
    b = np.exp(-x * x) * a
    return np.sum(c * b) + np.sum(r * a * x)


@pytest.mark.parametrize("fn", [_dead_array_read_through_a_list, _dead_array_read_through_a_view])
def test_a_result_goes_into_an_array_only_when_nothing_reads_it_again(fn):
    """dead_arrays (out_of_ssa._reuse): a gradient result written into the array of a variable that
    died (`d_a = np.multiply(d_c, b, out=c)`) only when no list, tuple, view or later
    name refers to that array: gradients against central differences, the verifier on."""
    x = np.linspace(0.1, 1.0, 7)
    s2sgrad.check_grads(fn, 0, x.copy())
    np.testing.assert_array_equal(x, np.linspace(0.1, 1.0, 7))


def test_the_elementwise_gradient_reuses_dead_arrays():
    """golden/in_place_dying: results go into arrays that died (`out=`): `d_a` into a
    dead variable's, `d_c = x / (_t0 + 1.0)` into its divisor's, and the temporaries
    of `d_c *= 1.0 - _t0` and `d_a *= np.cos(x)` into `_t0`'s and `c`'s; and `d_b * x`
    is computed once (passes/negation.py): the gradient holds 6 arrays of x's size at
    its peak, not 10."""
    import tracemalloc

    g = s2sgrad.grad(_elementwise)
    x = np.linspace(-1.0, 1.0, 100_000)
    g(x)
    src = s2sgrad.source(g)
    assert src.count("= np.multiply(") == 1
    assert "np.divide(x, _t1, out=_t1)" in src and "np.subtract(1.0, _t0, out=_t0)" in src
    assert "np.cos(x, out=c)" in src
    tracemalloc.start()
    try:
        g(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6.5 * x.nbytes, peak / x.nbytes
