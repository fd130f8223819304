"""The rules table, checked numerically and for coverage.

Every case of `rules_cases.py` is differentiated with `s2sgrad.grad` with
respect to all its float arguments, on random inputs from the case's domain
(seeded by the case name), and compared with float64 central differences of
the function (or of its closed form `ref`). While the gradient is built, the
rules table is wrapped so the test also sees which rules ran: each case must
really send a gradient through the rules it names.
"""

import dataclasses
import warnings
import zlib

import numpy as np
import pytest
import rules_cases as C
from numeric import RTOL_F32
from rules_cases import central_difference

import s2sgrad
from s2sgrad import rules as R
from s2sgrad import transform
from s2sgrad.api import specialise
from s2sgrad.frontend import source as S
from s2sgrad.ir.opcodes import OPS

CASES = {c.name: c for c in C.CASES}


def inputs(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    return [a.make(rng) for a in case.args]


@pytest.fixture(autouse=True, scope="module")
def verify_ir():
    """Run the IR verifier after every stage while these tests build gradients."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transform, "VERIFY", True)
        yield


@pytest.fixture
def rules_run(monkeypatch):
    """The set of rules invoked while this test builds gradients."""
    seen = set()

    def recording(name, fn):
        def rule(*args, **kwargs):
            seen.add(name)
            return fn(*args, **kwargs)

        return rule

    for name, rule in list(R.RULES.items()):
        monkeypatch.setitem(R.RULES, name, dataclasses.replace(rule, fn=recording(name, rule.fn)))
    return seen


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_numerically(name, rules_run):
    case = CASES[name]
    values = inputs(case)
    wrt = tuple(i for i, a in enumerate(case.args) if a.is_float)
    ref = case.ref or case.fn
    if case.ref is not None:  # the transformed function computes the closed form's value
        value, _ = s2sgrad.value_and_grad(case.fn, wrt=wrt)(*values)
        np.testing.assert_allclose(value, ref(*values), rtol=1e-12, atol=1e-12)

    grads = s2sgrad.grad(case.fn, wrt=wrt)(*values)

    assert isinstance(grads, tuple) and len(grads) == len(wrt)
    for i, g in zip(wrt, grads):
        x = values[i]
        assert g is not None, f"no gradient for argument {i}"
        if isinstance(x, float):
            assert isinstance(g, float), f"argument {i}: {type(g).__name__} for a Python float"
        else:
            assert np.shape(g) == x.shape, f"argument {i}: shape {np.shape(g)} for {x.shape}"
            assert np.result_type(g) == x.dtype, f"argument {i}: dtype {np.result_type(g)}"
        expected = central_difference(ref, values, i, case.eps)
        np.testing.assert_allclose(
            g, expected, rtol=case.rtol, atol=case.atol, err_msg=f"{name}: gradient of argument {i}"
        )
    missing = set(case.rules) - rules_run
    assert not missing, f"{name} never sent a gradient through {sorted(missing)}"


# RTOL_F32: numeric.py says what it is (docs/contract.md)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_in_float32(name):
    """Float32 array inputs get float32 gradients (Python floats stay Python floats), which
    agree with the float64 gradient at the same point to RTOL_F32."""
    case = CASES[name]
    values = inputs(case)
    floats = [isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in values]
    v32 = [v.astype(np.float32) if f else v for v, f in zip(values, floats)]
    v64 = [v.astype(np.float64) if f else v for v, f in zip(values, floats)]
    wrt = tuple(i for i, a in enumerate(case.args) if a.is_float)
    grads32 = s2sgrad.grad(case.fn, wrt=wrt)(*v32)
    grads64 = s2sgrad.grad(case.fn, wrt=wrt)(*v64)
    for i, g32, g64 in zip(wrt, grads32, grads64):
        if floats[i]:
            assert np.result_type(g32) == np.float32, f"argument {i}: {np.result_type(g32)}"
        else:
            assert isinstance(g32, float), f"argument {i}: {type(g32).__name__}"
        scale = np.max(np.abs(g64), initial=0.0)
        np.testing.assert_allclose(
            g32,
            g64,
            rtol=RTOL_F32,
            atol=RTOL_F32 * scale,
            err_msg=f"{name}: float32 gradient of argument {i}",
        )


# ---- coverage --------------------------------------------------------------------


def test_every_opcode_is_classified_once():
    for op, d in OPS.items():
        kinds = [op in R.RULES, d.constant, d.structural]
        assert sum(kinds) == 1, f"{op}: rule/constant/structural = {kinds}"
    assert set(R.RULES) <= set(OPS)


def test_every_rule_has_a_numerical_case():
    claimed = {r for c in C.CASES for r in c.rules}
    assert claimed <= set(R.RULES), f"cases name unknown rules {sorted(claimed - set(R.RULES))}"
    assert not set(R.RULES) - claimed, f"rules without a case: {sorted(set(R.RULES) - claimed)}"


def test_case_names_are_unique():
    assert len(CASES) == len(C.CASES)


def test_every_nondifferentiable_op_has_a_case():
    claimed = {op for ops, _ in C.NONDIFF_CASES for op in ops} | set(C.NONDIFF_UNREACHABLE)
    assert claimed == {op for op, d in OPS.items() if d.constant}


# ---- non-differentiable ops and missing rules ----------------------------------------

ND_INPUT = np.array([[0.3, -1.2, 2.6], [1.7, -0.4, 0.9]])


def nd_arguments(fn, mode):
    """(x, mode), and a generator for a function that draws from one (a third parameter)."""
    drawn = fn.__code__.co_argcount == 3
    return (ND_INPUT, mode) + ((np.random.default_rng(0),) if drawn else ())


@pytest.mark.parametrize("opcodes,fn", C.NONDIFF_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_nondifferentiable_gives_none_or_zeros(opcodes, fn):
    stages = []
    names = fn.__code__.co_varnames[: fn.__code__.co_argcount]
    transform.build_ir(
        S.from_function(fn),
        specialise(names, nd_arguments(fn, "none")),
        transform.Request("function"),
        stages,
    )
    lowered = {op.opcode for op in dict(stages)["lower"].body.walk()}
    assert set(opcodes) <= lowered, f"{fn.__name__} does not use {set(opcodes) - lowered}"

    f = s2sgrad.function(fn)
    assert f(*nd_arguments(fn, "none")) == [None]
    (z,) = f(*nd_arguments(fn, "zero"))
    assert z.shape == ND_INPUT.shape and z.dtype == ND_INPUT.dtype and not z.any()


def test_grad_of_nondifferentiable_only_is_zeros():
    g = s2sgrad.grad(C.f_nondifferentiable_only)(ND_INPUT)
    assert isinstance(g, np.ndarray) and g.shape == ND_INPUT.shape and not g.any()


def test_missing_rule_is_a_lookup_error(monkeypatch):
    assert not [
        op for op, d in OPS.items() if op not in R.RULES and not d.constant and not d.structural
    ]  # so make one: take exp's rule away
    monkeypatch.delitem(R.RULES, "exp")
    g = s2sgrad.grad(C.f_exp)
    with pytest.raises(LookupError) as info:
        g(np.ones(3))
    assert isinstance(info.value, s2sgrad.NoGradientError)
    message = str(info.value)
    assert "'exp'" in message and "register_gradient" in message
    assert "rules_cases.py:" in message and "np.sum(np.exp(x))" in message


def test_missing_rule_off_the_gradient_path_is_fine(monkeypatch):
    monkeypatch.delitem(R.RULES, "exp")
    g = s2sgrad.grad(C.f_add, wrt=0)  # no exp between x and y
    np.testing.assert_allclose(g(np.zeros(2), np.zeros(2)), np.ones(2))


def test_registering_a_rule_twice_is_an_error():
    with pytest.raises(ValueError, match="already registered"):
        R.defrule("exp")(lambda b, g, ans, x: (g,))
    with pytest.raises(ValueError, match="already registered: its definition declares it constant"):
        R.defrule("floor")(lambda b, g, ans, x: (g,))


# ---- conventions central differences cannot see -----------------------------------------


@pytest.mark.parametrize(
    "fn", [C.f_maximum_weighted, C.f_minimum_weighted], ids=lambda f: f.__name__
)
def test_elementwise_extremum_ties_go_to_the_first_argument(fn):
    """As in TensorFlow: where x == y, all of the gradient goes to x."""
    x = np.array([1.0, -2.0, 0.5])
    w = np.array([2.0, 3.0, -1.0])
    dx, dy, _ = s2sgrad.grad(fn, wrt=(0, 1, 2))(x, x.copy(), w)
    np.testing.assert_array_equal(dx, w)
    np.testing.assert_array_equal(dy, np.zeros(3))


def test_fmax_fmin_pass_the_gradient_to_the_operand_they_return():
    """A nan is passed over (fmax/fmin return the other operand); ties go to x."""
    x = np.array([1.0, np.nan, 2.0])
    y = np.array([np.nan, 3.0, 2.0])
    dx, dy = s2sgrad.grad(C.f_fmax_fmin_nan, wrt=(0, 1))(x, y)
    np.testing.assert_array_equal(dx, [3.0, 0.0, 1.0])
    np.testing.assert_array_equal(dy, [0.0, 3.0, 2.0])


def test_nan_reductions_give_nothing_to_a_nan():
    """np.nansum/np.nanmean skip nans: a nan's gradient is 0, the rest share as if
    the nans were not there."""
    x = np.array([[0.5, np.nan, 1.0], [2.0, 3.0, -1.0]])
    g = s2sgrad.grad(C.f_nan_reductions)(x)
    np.testing.assert_array_equal(g, [[2.5, 0.0, 3.5], [2.5, 4.0, 3.5]])


@pytest.mark.parametrize("fn, fragment", C.REFUSED, ids=lambda v: getattr(v, "__name__", ""))
def test_calls_an_op_check_refuses_are_located_errors(fn, fragment):
    with pytest.raises(s2sgrad.UnsupportedError) as e:
        s2sgrad.grad(fn)(np.ones((2, 3)))
    assert fragment in str(e.value) and "rules_cases.py:" in str(e.value)


def test_axis_of_a_0d_array_numpy_refuses_is_refused():
    """np.mean(s, axis=0) of a 0-d s is an AxisError in NumPy: a located error here (it was
    an InternalError, a division by the rank 0)."""
    with pytest.raises(s2sgrad.UnsupportedError) as e:
        s2sgrad.grad(C.f_mean_axis_of_0d)(np.float64(0.5) * np.ones(()))
    assert "axis 0 is out of bounds for a 0-d array" in str(e.value)
    assert "rules_cases.py:" in str(e.value)


def test_matrix_norm_ties_share_equally():
    """np.linalg.norm of a matrix, ord 1 (inf): columns (rows) of equal largest absolute
    sum share the gradient, as vector norms' ties do."""
    m = np.array([[1.0, -2.0, 0.5], [-1.0, 0.0, 1.0]])  # column sums 2, 2, 1.5
    d1 = s2sgrad.grad(C.f_matrix_norm_1)(m)
    np.testing.assert_allclose(d1, [[0.5, -0.5, 0.0], [-0.5, 0.0, 0.0]])
    d_inf = s2sgrad.grad(C.f_matrix_norm_inf)(m.T)
    np.testing.assert_allclose(d_inf, [[0.5, -0.5], [-0.5, 0.0], [0.0, 0.0]])


def test_repeated_eigenvalues_give_inf_or_nan_only_through_eigenvectors():
    """As in JAX and autograd: F_ij = 1 / (w_j - w_i) is infinite for repeated w."""
    a = np.diag([1.0, 1.0, 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        d_vectors = s2sgrad.grad(C.f_eigh_vectors)(a)
    assert not np.isfinite(d_vectors).all()
    np.testing.assert_allclose(
        s2sgrad.grad(C.f_eigvalsh_sum_of_squares)(a), np.diag([2.0, 2.0, 4.0])
    )


def test_reduction_ties_share_equally():
    x = np.array([[3.0, 1.0, 3.0, 3.0], [0.0, 2.0, 2.0, -1.0]])
    w = np.array([1.0, 4.0])
    dx, _ = s2sgrad.grad(C.f_max_axis, wrt=(0, 1))(x, w)
    np.testing.assert_allclose(dx, [[1 / 3, 0, 1 / 3, 1 / 3], [0, 2.0, 2.0, 0]])


# ---- second derivatives at the inputs with exact zeros ------------------------------------
# A rule exact at zeros to first order (Π/x with a case for zeros) can still be wrong one
# order up: a constant 0 in place of a product holding a zero has a zero derivative where
# the product's is not. prod's rule is a polynomial (reductions.prod_others), and so are
# cumprod's (a linear scan, rules/scan.py).

# (a case with a `ref` calls s2sgrad.gradients, which only a transformed function can run)
ZERO_CASES = sorted(
    n
    for n in CASES
    if "zero" in n and any("prod" in r for r in CASES[n].rules) and CASES[n].ref is None
)


@pytest.mark.parametrize("name", ZERO_CASES)
def test_second_derivatives_at_zeros(name):
    case = CASES[name]
    args = inputs(case)
    if any(np.isnan(a).any() for a in args if isinstance(a, np.ndarray)):
        pytest.skip("central differences at a nan input give nan")
    wrt = tuple(i for i, a in enumerate(case.args) if a.kind != "static")
    s2sgrad.check_grads(case.fn, wrt, *args, order=2)


@pytest.mark.parametrize(
    "x", [[1.5, 0.0, 2.0, 0.0, 0.7], [0.0, 0.0, 1.3, -0.4, 0.0], [0.9, -1.2, 1.1, 0.6, 1.4]]
)
def test_third_derivatives_of_cumprod(x):
    # (grad(grad(grad(f))), reverse three times: linear_scan's rules are scans again)
    s2sgrad.check_grads(C.f_cumprod_plane, (0, 1), 0.0, 0.0, np.array(x), order=3)


def test_zero_cases_are_found():
    assert {
        "prod_one_zero",
        "prod_two_zeros",
        "prod_axis_zeros",
        "cumprod_zeros",
        "cumprod_zeros_first",
        "cumprod_zeros_two",
        "cumprod_zeros_adjacent",
        "cumprod_zeros_axis",
    } <= set(ZERO_CASES)


def mean_of_columns(x):
    return np.sum(np.mean(x, axis=(0,))) + np.sum(np.var(x, axis=(0,)))


def mean_of_all(x):
    return np.mean(x)


def test_means_of_empty_arrays_are_nan_with_empty_gradients():
    # (hunt 17: the count of a tuple axis was size(x) // size(mean), which divides by zero
    # when another axis is empty; 1.0 / x.size raised ZeroDivisionError for an empty x)
    for fn, x in ((mean_of_columns, np.zeros((3, 0))), (mean_of_all, np.zeros(0))):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = fn(x)
            value, d_x = s2sgrad.value_and_grad(fn)(x)
        np.testing.assert_array_equal(value, want)
        assert d_x.shape == x.shape
    g = s2sgrad.grad(mean_of_all)
    g(np.ones(3))  # (a size that is a symbol is not 0: no cast)
    assert "1.0 / x.size" in s2sgrad.source(g)


def over_size(x):
    return np.sum(x**2) / (x.shape[0] - 3) + np.sum(x) / x.size


def min_with_initial(x):
    return np.sum(np.min(x, axis=0, initial=5.0)) + np.max(x, initial=-1.0)


def variance_along(x):
    return np.sum(np.var(x, axis=0)) + np.sum(np.std(x, axis=1, ddof=1))


def one_section(x):
    (a,) = np.array_split(x, 1)
    return np.sum(np.split(x, 1)[0] ** 2) + np.sum(a)


def test_rules_where_a_count_or_a_section_is_empty_or_zero():
    # (hunt 17d: 1.0 / 0 of Python numbers in the reverse rule of x / n (ZeroDivisionError
    # where NumPy's division gives inf); np.min(x, initial=c) as np.minimum(x.min(), c)
    # (ValueError on an empty axis); var's tangent dividing size by size; np.split into
    # one section used as the list)
    cases = [
        (over_size, np.ones(3)),
        (over_size, np.zeros(0)),
        (min_with_initial, np.zeros((0, 3))),
        (min_with_initial, np.array([[7.0, 2.0], [6.0, -3.0]])),
        (variance_along, np.zeros((3, 0))),
        (variance_along, np.zeros((0, 3))),
        (one_section, np.array([0.3, -0.7, 1.1])),
    ]
    for fn, x in cases:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = fn(x)
            value, d_x = s2sgrad.value_and_grad(fn)(x)
            out, tangent = s2sgrad.jvp(fn, (x,), (np.ones_like(x),))
        np.testing.assert_array_equal(value, want)
        np.testing.assert_array_equal(out, want)
        assert d_x.shape == x.shape
        if x.size and np.isfinite(want):
            np.testing.assert_allclose(d_x, central_difference(fn, [x], 0), rtol=1e-6)
            assert tangent == pytest.approx(np.sum(d_x))
