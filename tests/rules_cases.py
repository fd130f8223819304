"""Numerical cases for the rules table: at least one per rule in `s2sgrad.rules.RULES`.

Each case is a small plain function defined in this file (s2sgrad reads its
source), the inputs it is called with (`Arg`: a shape and a domain, or fixed
values), and the rules it exercises. `tests/test_rules.py` differentiates each
function with `s2sgrad.grad` with respect to every float argument and compares
the result with float64 central differences of the function itself (or of
`ref`, a closed form of the same value, for cases that call
`s2sgrad.gradients` inside, which only runs transformed).

Outputs go through `np.sin` or a weighted sum, so cotangents are not uniform
and a transposed or mis-broadcast adjoint shows.

Domains: log/sqrt/log2/log10 and the base of `**` on positives, log1p above -1,
arcsin/arccos in (-0.9, 0.9), divisors away from zero. Ties (max/min) and
zeros (prod, abs) are fixed inputs: central differences there give the
one-sided average, which is what the rules promise (a two-way tie shares the
gradient equally; prod is linear in each element, so it is exact at zeros).

Rules reached only through second-order code: `copy` and `pyfloat` are
emitted by the driver when it hands back a gradient (a copy of a borrowed
array, a Python float for a float64 scalar), and `unbroadcast` when a shape is
not known statically; differentiating a function that calls
`s2sgrad.gradients` sends the outer sweep through them.
"""

import math
from dataclasses import dataclass

import numpy as np
from numeric import central_difference  # noqa: F401  (re-exported for the rule tests)

import s2sgrad

# ---- the table's types -----------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """One argument: 'array' (float array of `shape`, uniform in [lo, hi], times
    a random sign when `signed`), 'float' (a Python float), 'fixed' (the given
    float64 values) or 'static' (a Python int/str passed as is, not differentiated)."""

    kind: str = "array"
    shape: tuple = ()
    lo: float = -2.0
    hi: float = 2.0
    signed: bool = False
    dtype: str = "float64"
    value: object = None

    @property
    def is_float(self):
        return self.kind != "static"

    def make(self, rng):
        if self.kind == "static":
            return self.value
        if self.kind == "fixed":
            return np.array(self.value, dtype=self.dtype)
        size = () if self.kind == "float" else self.shape
        v = rng.uniform(self.lo, self.hi, size=size)
        if self.signed:
            v = v * rng.choice([-1.0, 1.0], size=size)
        if self.kind == "float":
            return float(v)
        return np.asarray(v, dtype=self.dtype)


def A(*shape, lo=-2.0, hi=2.0, signed=False, dtype="float64"):
    return Arg("array", tuple(shape), lo, hi, signed, dtype)


def F(lo=-2.0, hi=2.0, signed=False):
    return Arg("float", (), lo, hi, signed)


def FIXED(value):
    return Arg("fixed", value=tuple(map(tuple, value)) if np.ndim(value) == 2 else tuple(value))


def STATIC(value):
    return Arg("static", value=value)


POS = dict(lo=0.5, hi=2.0)  # log, sqrt, bases of **
UNIT = dict(lo=-0.9, hi=0.9)  # arcsin, arccos
AWAY = dict(lo=0.5, hi=2.0, signed=True)  # divisors: |y| >= 0.5, either sign


@dataclass(frozen=True)
class Case:
    name: str
    fn: object
    args: tuple
    rules: tuple  # rules of RULES this case sends a gradient through
    ref: object = None  # plain NumPy function of the same value, when fn cannot run plain
    eps: float = 1e-6
    rtol: float = 1e-6
    atol: float = 1e-7

    def __repr__(self):
        return f"Case({self.name})"


CASES = []


def case(name, fn, args, rules, **kw):
    rules = (rules,) if isinstance(rules, str) else tuple(rules)
    CASES.append(Case(name, fn, tuple(args), rules, **kw))


# ---- elementwise functions of one array --------------------------------------------


def f_exp(x):
    return np.sum(np.exp(x))


def f_log(x):
    return np.sum(np.sin(np.log(x)))


def f_log2(x):
    return np.sum(np.sin(np.log2(x)))


def f_log10(x):
    return np.sum(np.sin(np.log10(x)))


def f_log1p(x):
    return np.sum(np.sin(np.log1p(x)))


def f_expm1(x):
    return np.sum(np.sin(np.expm1(x)))


def f_sqrt(x):
    return np.sum(np.sin(np.sqrt(x)))


def f_square(x):
    return np.sum(np.sin(np.square(x)))


def f_abs(x):
    return np.sum(np.sin(np.abs(x)))


def f_absolute(x):
    return np.sum(np.sin(np.absolute(x) + 1.0))


def f_sin(x):
    return np.sum(np.sin(x) * x)


def f_cos(x):
    return np.sum(np.sin(np.cos(x)))


def f_tan(x):
    return np.sum(np.sin(np.tan(x)))


def f_tanh(x):
    return np.sum(np.sin(np.tanh(x)))


def f_arctan(x):
    return np.sum(np.sin(np.arctan(x)))


def f_arcsin(x):
    return np.sum(np.sin(np.arcsin(x)))


def f_arccos(x):
    return np.sum(np.sin(np.arccos(x)))


def f_arcsinh(x):
    return np.sum(np.sin(np.arcsinh(x)))


def f_sinh(x):
    return np.sum(np.sin(np.sinh(x)))


def f_cosh(x):
    return np.sum(np.sin(np.cosh(x)))


def f_neg(x):
    return np.sum(np.sin(-x))


def f_pos(x):
    return np.sum(np.sin(+x) * x)


def f_positive(x):
    return np.sum(np.sin(np.positive(x)))


def f_negative(x):
    return np.sum(np.sin(np.negative(x)))


def f_math_scalar(x):
    return math.exp(x) * math.sin(x) + math.log(x) - math.tanh(x)


def f_math_more(x):
    return (
        math.asin(x)
        + math.acos(x) * 0.5
        + math.asinh(x)
        + math.acosh(x + 1.5)
        + math.atanh(x) * 0.3
        + math.atan2(x, 2.0)
        + math.radians(x)
        + math.degrees(x) * 0.01
        + math.cbrt(x)
        + math.exp2(x)
        + math.log2(x)
        + math.log10(x)
        + math.fabs(x - 1.0)
    )


def f_arccosh(x):
    return np.sum(np.sin(np.arccosh(x)))


def f_arctanh(x):
    return np.sum(np.sin(np.arctanh(x)))


def f_exp2(x):
    return np.sum(np.sin(np.exp2(x)))


def f_cbrt(x):
    return np.sum(np.sin(np.cbrt(x)))


def f_reciprocal(x):
    return np.sum(np.sin(np.reciprocal(x)))


def f_deg2rad(x):
    return np.sum(np.sin(np.deg2rad(x * 50.0)))


def f_radians(x):
    return np.sum(np.sin(np.radians(x * 50.0)))


def f_rad2deg(x):
    return np.sum(np.sin(np.rad2deg(x) * 0.01))


def f_degrees(x):
    return np.sum(np.sin(np.degrees(x) * 0.01))


def f_fabs(x):
    return np.sum(np.sin(np.fabs(x)))


def f_logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


case("exp", f_exp, [A(3, 4)], "exp")
case("exp_0d", f_exp, [A()], "exp")
case("log", f_log, [A(3, 4, **POS)], "log")
case("log2", f_log2, [A(3, 4, **POS)], "log2")
case("log10", f_log10, [A(3, 4, **POS)], "log10")
case("log1p", f_log1p, [A(3, 4, lo=-0.5, hi=2.0)], "log1p")
case("expm1", f_expm1, [A(3, 4, lo=-1.0, hi=1.0)], "expm1")
case("sqrt", f_sqrt, [A(3, 4, **POS)], "sqrt")
case("square", f_square, [A(3, 4)], "square")
case("abs", f_abs, [A(3, 4)], "abs")
case("abs_at_zero", f_abs, [FIXED([[0.0, -1.5, 0.0], [2.0, 0.0, -0.5]])], "abs")
case("absolute", f_absolute, [A(5)], "abs")
case("sin", f_sin, [A(3, 4)], "sin")
case("cos", f_cos, [A(3, 4)], "cos")
case("tan", f_tan, [A(3, 4, lo=-1.2, hi=1.2)], "tan")
case("tanh", f_tanh, [A(3, 4)], "tanh")
case("arctan", f_arctan, [A(3, 4)], "arctan")
case("arcsin", f_arcsin, [A(3, 4, **UNIT)], "arcsin")
case("arccos", f_arccos, [A(3, 4, **UNIT)], "arccos")
case("arcsinh", f_arcsinh, [A(3, 4)], "arcsinh")
case("sinh", f_sinh, [A(3, 4)], "sinh")
case("cosh", f_cosh, [A(3, 4, lo=-1.5, hi=1.5)], "cosh")
case("neg", f_neg, [A(3, 4)], "neg")
case("negative", f_negative, [A(2, 3)], "neg")
case("pos", f_pos, [A(3, 4)], "pos")
case("positive", f_positive, [A(2, 3)], "pos")
case(
    "math_on_python_float",
    f_math_scalar,
    [F(**POS)],
    ("exp", "sin", "mul", "log", "add", "tanh", "sub"),
)
case("math_on_0d_array", f_math_scalar, [A(**POS)], ("exp", "sin", "mul", "log", "tanh"))
case("logsumexp", f_logsumexp, [A(6)], ("sub", "exp", "sum", "log", "add"))  # (max: a shift)
case(
    "math_inverse_and_more",
    f_math_more,
    [F(lo=0.2, hi=0.8)],
    (
        "arcsin",
        "arccos",
        "arcsinh",
        "arccosh",
        "arctanh",
        "arctan2",
        "deg2rad",
        "rad2deg",
        "cbrt",
        "exp2",
        "log2",
        "log10",
        "fabs",
    ),
)
case("arccosh", f_arccosh, [A(3, 4, lo=1.2, hi=3.0)], "arccosh")
case("arctanh", f_arctanh, [A(3, 4, **UNIT)], "arctanh")
case("exp2", f_exp2, [A(3, 4)], "exp2")
case("cbrt", f_cbrt, [A(3, 4, **AWAY)], "cbrt")
case("reciprocal", f_reciprocal, [A(3, 4, **AWAY)], "reciprocal")
case(
    "reciprocal_f32",
    f_reciprocal,
    [A(3, 4, **AWAY, dtype="float32")],
    "reciprocal",
    rtol=2e-3,
    atol=1e-4,
    eps=1e-3,
)
case("deg2rad", f_deg2rad, [A(3, 4)], "deg2rad")
case("radians", f_radians, [A(2, 3)], "deg2rad")
case("rad2deg", f_rad2deg, [A(3, 4)], "rad2deg")
case("degrees", f_degrees, [A(2, 3)], "rad2deg")
case("fabs", f_fabs, [A(3, 4, **AWAY)], "fabs")
case("fabs_at_zero", f_fabs, [FIXED([[0.0, -1.5, 0.0], [2.0, 0.0, -0.5]])], "fabs")


# ---- elementwise functions of two arrays, over broadcasting shape pairs -------------


def f_add(x, y):
    return np.sum(np.sin(x + y))


def f_sub(x, y):
    return np.sum(np.sin(x - y))


def f_mul(x, y):
    return np.sum(np.sin(x * y))


def f_div(x, y):
    return np.sum(np.sin(x / y))


def f_pow(x, y):
    return np.sum(np.sin(x**y))


def f_maximum(x, y):
    return np.sum(np.sin(np.maximum(x, y)))


def f_minimum(x, y):
    return np.sum(np.sin(np.minimum(x, y)))


def f_arctan2(x, y):
    return np.sum(np.sin(np.arctan2(x, y)))


def f_logaddexp(x, y):
    return np.sum(np.sin(np.logaddexp(x, y)))


def f_logaddexp2(x, y):
    return np.sum(np.sin(np.logaddexp2(x, y)))


def f_float_power(x, y):
    return np.sum(np.sin(np.float_power(x, y)))


def f_fmax(x, y):
    return np.sum(np.sin(np.fmax(x, y)))


def f_fmin(x, y):
    return np.sum(np.sin(np.fmin(x, y)))


def f_mod(x, y):
    return np.sum(np.sin(x % y))


def f_np_binops(x, y):
    a = np.add(x, y) * np.subtract(x, y)
    b = np.divide(np.multiply(a, y), np.power(x, 2.0))
    return np.sum(np.sin(b + np.true_divide(a, 3.0) + np.remainder(x, 0.75)))


# (label, shape of x, shape of y); None is a Python float.
SHAPE_PAIRS = [
    ("same", (3, 4), (3, 4)),
    ("col_row", (3, 1), (4,)),
    ("row_col", (4,), (3, 1)),
    ("rank3_rank2", (2, 3, 4), (3, 1)),
    ("ones_both", (1, 4), (3, 1)),
    ("array_0d", (2, 3), ()),
    ("0d_array", (), (2, 3)),
    ("pyfloat_array", None, (2, 3)),
    ("array_pyfloat", (3,), None),
]

BINARY = [  # (op, fn, domain of x, domain of y)
    ("add", f_add, {}, {}),
    ("sub", f_sub, {}, {}),
    ("mul", f_mul, {}, {}),
    ("div", f_div, {}, AWAY),
    ("pow", f_pow, POS, dict(lo=-1.5, hi=1.5)),
    ("maximum", f_maximum, {}, {}),
    ("minimum", f_minimum, {}, {}),
    ("arctan2", f_arctan2, {}, AWAY),
    ("logaddexp", f_logaddexp, {}, {}),
    ("logaddexp2", f_logaddexp2, {}, {}),
    ("float_power", f_float_power, POS, dict(lo=-1.5, hi=1.5)),
    ("fmax", f_fmax, {}, {}),
    ("fmin", f_fmin, {}, {}),
    ("mod", f_mod, dict(lo=-3.0, hi=3.0), AWAY),
]


def _arg(shape, domain):
    return F(**domain) if shape is None else A(*shape, **domain)


for _op, _fn, _dx, _dy in BINARY:
    for _label, _sx, _sy in SHAPE_PAIRS:
        case(f"{_op}_{_label}", _fn, [_arg(_sx, _dx), _arg(_sy, _dy)], _op)
case(
    "np_binop_spellings",
    f_np_binops,
    [A(3, 4, **POS), A(4, **POS)],
    ("add", "sub", "mul", "div", "pow", "mod"),
)


# ---- arithmetic with constants -----------------------------------------------------


def f_pow_int(x):
    return np.sum(np.sin(x**3))


def f_pow_float(x):
    return np.sum(np.sin(x**2.5))


def f_rpow(x):
    return np.sum(np.sin(2.0**x))


def f_rdiv(x):
    return np.sum(np.sin(1.0 / x))


def f_rsub(x):
    return np.sum(np.sin(3 - x * 2.0))


def f_square_sum(x):
    return np.sum(x * x)


def f_augassign(x, y):
    z = x * 1.5
    z += y
    z *= x
    z -= 1.0
    z /= y
    return np.sum(np.sin(z))


def f_relu(x):
    return np.sum(np.sin(np.maximum(x, 0.0)))


def f_minimum_const_first(x):
    return np.sum(np.sin(np.minimum(1.0, x)))


case("pow_int_exponent_negative_base", f_pow_int, [A(3, 4)], "pow")
case("pow_float_exponent", f_pow_float, [A(3, 4, **POS)], "pow")
case("pow_constant_base", f_rpow, [A(3, 4)], "pow")
case("div_constant_numerator", f_rdiv, [A(3, 4, **AWAY)], "div")
case("sub_from_constant", f_rsub, [A(3, 4)], ("sub", "mul"))
case("mul_same_operand", f_square_sum, [A(3, 4)], "mul")
case("augmented_assignment", f_augassign, [A(3, 4), A(4, **AWAY)], ("mul", "add", "sub", "div"))
case(
    "pow_zero_base",
    f_pow,
    [FIXED([[0.0, 1.5, 0.7], [0.0, 0.3, 1.2]]), FIXED([[2.0, 1.3, -0.5], [3.0, 2.5, 0.8]])],
    "pow",
)
case("maximum_constant", f_relu, [A(3, 4)], "maximum")
case("minimum_constant_first", f_minimum_const_first, [A(3, 4)], "minimum")


# ---- where, clip ------------------------------------------------------------------


def f_where(x, y):
    return np.sum(np.sin(np.where(x > y, x, y)))


def f_where_const_branch(x):
    return np.sum(np.sin(np.where(x > 0, x, 0.1 * x)))


def f_where_scalar_branch(x):
    return np.sum(np.sin(np.where(x > 0.5, x, -1.0)))


def f_where_three(c, x, y):
    return np.sum(np.sin(np.where(c > 0, x, y)))


def f_clip(x, lo, hi):
    return np.sum(np.sin(np.clip(x, lo, hi)))


def f_clip_no_max(x):
    return np.sum(np.sin(np.clip(x, -0.5, None)))


def f_clip_no_min(x):
    return np.sum(np.sin(np.clip(x, None, 0.5)))


def f_clip_method(x):
    return np.sum(np.sin(x.clip(-1.0, 1.0)))


def f_clip_keywords(x, lo):
    return np.sum(np.sin(np.clip(x, a_min=lo, a_max=None)))


def f_where_python_float(x, v, y):
    return np.sum(np.sin(np.where(x > 0, v, y) * x))


def f_clip_python_float_x(v, lo, hi):
    return np.sum(np.sin(np.clip(v, lo, hi)))


case("where", f_where, [A(3, 4), A(3, 4)], "where")
case("where_broadcast", f_where, [A(3, 1), A(4)], "where")
case("where_const_branch", f_where_const_branch, [A(3, 4)], ("where", "mul"))
case("where_scalar_branch", f_where_scalar_branch, [A(3, 4)], "where")
case("where_three_shapes", f_where_three, [A(3, 1), A(4), A(2, 1, 1)], "where")
case("clip", f_clip, [A(3, 4), A(4, lo=-1.5, hi=-0.2), A(3, 1, lo=0.2, hi=1.5)], "clip")
case("clip_python_float_bounds", f_clip, [A(3, 4), F(lo=-1.0, hi=-0.2), F(lo=0.2, hi=1.0)], "clip")
case("clip_max_none", f_clip_no_max, [A(3, 4)], "clip")
case("clip_min_none", f_clip_no_min, [A(3, 4)], "clip")
case("clip_method", f_clip_method, [A(3, 4)], "clip")
case("clip_keywords_max_none", f_clip_keywords, [A(3, 4), A(3, 1, lo=-1.0, hi=0.5)], "clip")
case("where_python_float_branch", f_where_python_float, [A(3, 4), F(), A(4)], ("where", "mul"))
case(
    "clip_python_float_x",
    f_clip_python_float_x,
    [F(lo=-1.0, hi=1.0), A(3, lo=-1.5, hi=-0.2), A(2, 1, lo=0.2, hi=1.5)],
    "clip",
)


# ---- matmul, dot --------------------------------------------------------------------


def f_matmul(x, y):
    return np.sum(np.sin(x @ y))


def f_np_matmul(x, y):
    return np.sum(np.sin(np.matmul(x, y)))


def f_dot(x, y):
    return np.sum(np.sin(np.dot(x, y)))


def f_dot_method(x, y):
    return np.sum(np.sin(x.dot(y)))


def f_matmul_chain(x, w1, w2):
    return np.sum(np.tanh(np.tanh(x @ w1) @ w2))


MATMUL_SHAPES = [
    ("matrix_matrix", (3, 4), (4, 5)),
    ("vector_matrix", (4,), (4, 5)),
    ("matrix_vector", (3, 4), (4,)),
    ("vector_vector", (4,), (4,)),
    ("batched", (2, 3, 4), (2, 4, 5)),
    ("batched_matrix", (2, 3, 4), (4, 5)),
    ("matrix_batched", (3, 4), (2, 4, 5)),
    ("batch_broadcast", (2, 1, 3, 4), (5, 4, 2)),
    ("vector_batched", (4,), (2, 4, 5)),
    ("batched_vector", (2, 3, 4), (4,)),
    ("size_one", (1, 4), (4, 1)),
    ("size_one_batches", (1, 3, 4), (2, 4, 1)),
]
DOT_SHAPES = [
    ("matrix_matrix", (3, 4), (4, 5)),
    ("vector_matrix", (4,), (4, 5)),
    ("matrix_vector", (3, 4), (4,)),
    ("vector_vector", (4,), (4,)),
    ("scalar_array", (), (3, 2)),
    ("array_scalar", (3,), ()),
    ("rank3_vector", (2, 3, 4), (4,)),
    ("vector_rank3", (4,), (2, 4, 5)),
    ("matrix_rank3", (3, 4), (2, 4, 5)),
    ("rank3_rank3", (2, 3, 4), (5, 4, 2)),
    ("rank3_matrix", (2, 3, 4), (4, 5)),
]

for _label, _sx, _sy in MATMUL_SHAPES:
    case(f"matmul_{_label}", f_matmul, [A(*_sx), A(*_sy)], "matmul")
for _label, _sx, _sy in DOT_SHAPES:
    case(f"dot_{_label}", f_dot, [A(*_sx), A(*_sy)], "dot")
case("np_matmul", f_np_matmul, [A(3, 4), A(4, 2)], "matmul")
case("dot_method", f_dot_method, [A(3, 4), A(4, 2)], "dot")
case("matmul_chain", f_matmul_chain, [A(5, 3), A(3, 4), A(4, 2)], ("matmul", "tanh", "sum"))


# ---- reductions ----------------------------------------------------------------------


def f_sum(x):
    return np.sum(np.sin(x)) * 2.0


def f_sum_axis0(x):
    return np.sum(np.sin(np.sum(x, axis=0)))


def f_sum_axis_neg(x):
    return np.sum(np.sin(np.sum(x, axis=-1)))


def f_sum_axis_tuple(x):
    return np.sum(np.sin(np.sum(x, axis=(0, 2))))


def f_sum_keepdims(x):
    return np.sum(np.sin(np.sum(x, axis=1, keepdims=True) * x))


def f_sum_keepdims_none(x):
    return np.sum(np.sin(np.sum(x, keepdims=True) * x))


def f_sum_method(x):
    return np.sum(np.sin(x.sum(axis=1)))


def f_sum_static_axis(x, axis):
    return np.sum(np.sin(np.sum(x, axis=axis)))


def f_mean(x):
    return np.sin(np.mean(x)) + np.mean(x * x)


def f_mean_axis(x):
    return np.sum(np.sin(np.mean(x, axis=1)))


def f_mean_axis_tuple(x):
    return np.sum(np.sin(np.mean(x, axis=(0, 2))))


def f_mean_keepdims(x):
    return np.sum(np.sin(x - np.mean(x, axis=0, keepdims=True)))


def f_mean_tuple_keepdims(x):
    return np.sum(np.sin(x * np.mean(x, axis=(1, 2), keepdims=True)))


def f_mean_method(x):
    return np.sum(np.sin(x.mean(axis=-1)))


def f_max(x):
    return np.sin(np.max(x))


def f_max_axis(x, w):
    return np.sum(np.max(x, axis=1) * w)


def f_max_axis_tuple(x):
    return np.sum(np.sin(np.max(x, axis=(0, 2))))


def f_max_keepdims(x):
    return np.sum(np.sin(x - np.max(x, axis=0, keepdims=True)))


def f_max_method(x):
    return np.sum(np.sin(x.max(axis=0)))


def f_amax(x):
    return np.sum(np.sin(np.amax(x, axis=-1)))


def f_max_linear(x):
    return np.max(x) * 3.0


def f_min(x):
    return np.sin(np.min(x))


def f_min_axis(x, w):
    return np.sum(np.min(x, axis=1) * w)


def f_min_axis_tuple(x):
    return np.sum(np.sin(np.min(x, axis=(1, 2))))


def f_min_keepdims(x):
    return np.sum(np.sin(x * np.min(x, axis=1, keepdims=True)))


def f_min_method(x):
    return np.sum(np.sin(x.min()))


def f_min_linear(x):
    return np.min(x) * 3.0


def f_prod(x):
    return np.sin(np.prod(x))


def f_prod_axis(x):
    return np.sum(np.sin(np.prod(x, axis=1)))


def f_prod_axis_tuple_keepdims(x):
    return np.sum(np.sin(x * np.prod(x, axis=(0, 2), keepdims=True)))


def f_prod_method(x):
    return np.sum(np.sin(x.prod(axis=0)))


def f_sum_empty_axis(x):
    return np.sum(np.sin(np.sum(x, axis=())))


def f_sum_dtype(x):
    return np.sum(np.sin(np.sum(x, axis=0, dtype=np.float32)))


def f_mean_keepdims_all(x):
    return np.sum(np.sin(x * np.mean(x, keepdims=True)))


def f_max_tuple_negative_keepdims(x):
    return np.sum(np.sin(x * np.max(x, axis=(-1, 0), keepdims=True)))


def f_min_tuple_negative(x):
    return np.sum(np.sin(np.min(x, axis=(-1, 0))))


def f_prod_keepdims_all(x):
    return np.sum(np.sin(x * np.prod(x, keepdims=True)))


case("sum", f_sum, [A(3, 4)], "sum")
case("sum_0d", f_sum, [A()], "sum")
case("sum_axis0", f_sum_axis0, [A(3, 4)], "sum")
case("sum_axis_negative", f_sum_axis_neg, [A(2, 3, 4)], "sum")
case("sum_axis_tuple", f_sum_axis_tuple, [A(2, 3, 4)], "sum")
case("sum_keepdims", f_sum_keepdims, [A(3, 4)], "sum")
case("sum_keepdims_all", f_sum_keepdims_none, [A(3, 4)], "sum")
case("sum_method", f_sum_method, [A(3, 4)], "sum")
case("sum_static_axis_argument", f_sum_static_axis, [A(3, 4), STATIC(1)], "sum")
case("sum_empty_axis_tuple", f_sum_empty_axis, [A(3, 4)], "sum")
case("sum_dtype_float32", f_sum_dtype, [A(3, 4)], "sum", eps=1e-2, rtol=1e-3, atol=1e-3)
case("mean", f_mean, [A(3, 4)], "mean")
case("mean_axis", f_mean_axis, [A(3, 4)], "mean")
case("mean_axis_tuple", f_mean_axis_tuple, [A(2, 3, 4)], "mean")
case("mean_keepdims", f_mean_keepdims, [A(3, 4)], "mean")
case("mean_axis_tuple_keepdims", f_mean_tuple_keepdims, [A(2, 3, 4)], "mean")
case("mean_method", f_mean_method, [A(2, 3, 4)], "mean")
case("mean_keepdims_all", f_mean_keepdims_all, [A(3, 4)], "mean")
case("max", f_max, [A(3, 4)], "max")
case("max_axis", f_max_axis, [A(3, 4), A(3)], "max")
case("max_axis_tuple", f_max_axis_tuple, [A(2, 3, 4)], "max")
case("max_keepdims", f_max_keepdims, [A(3, 4)], "max")
case("max_method", f_max_method, [A(3, 4)], "max")
case("amax", f_amax, [A(3, 4)], "max")
case("max_tie", f_max_linear, [FIXED([[1.0, 3.0, -2.0], [3.0, 0.5, 2.0]])], "max")
case(
    "max_axis_ties",
    f_max_axis,
    [FIXED([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0], [0.0, 1.0, -1.0]]), A(3)],
    "max",
)
case("max_tuple_negative_keepdims", f_max_tuple_negative_keepdims, [A(2, 3, 4)], "max")
case("min", f_min, [A(3, 4)], "min")
case("min_axis", f_min_axis, [A(3, 4), A(3)], "min")
case("min_axis_tuple", f_min_axis_tuple, [A(2, 3, 4)], "min")
case("min_keepdims", f_min_keepdims, [A(3, 4)], "min")
case("min_method", f_min_method, [A(3, 4)], "min")
case("min_tie", f_min_linear, [FIXED([[1.0, -3.0, 2.0], [-3.0, 0.5, 2.0]])], "min")
case(
    "min_axis_ties",
    f_min_axis,
    [FIXED([[1.0, -3.0, -3.0], [2.0, 2.0, 5.0], [0.0, 1.0, -1.0]]), A(3)],
    "min",
)
case("min_tuple_negative", f_min_tuple_negative, [A(2, 3, 4)], "min")
case("prod", f_prod, [A(3, 4, lo=0.5, hi=1.5)], "prod")
case("prod_negative_entries", f_prod, [A(2, 3, lo=-1.5, hi=1.5)], "prod")
case("prod_axis", f_prod_axis, [A(3, 4)], "prod")
case("prod_axis_tuple_keepdims", f_prod_axis_tuple_keepdims, [A(2, 3, 2, lo=0.5, hi=1.5)], "prod")
case("prod_method", f_prod_method, [A(3, 4)], "prod")
case("prod_one_zero", f_prod, [FIXED([[1.5, 0.0, -2.0], [0.5, 1.2, 0.8]])], "prod")
case("prod_two_zeros", f_prod, [FIXED([[1.5, 0.0, -2.0], [0.5, 0.0, 0.8]])], "prod")
case(
    "prod_axis_zeros",
    f_prod_axis,
    [
        FIXED(
            [
                [1.5, 0.0, -2.0, 1.1],  # one zero
                [0.0, 1.3, 0.0, 0.7],  # two zeros
                [0.9, -1.2, 0.6, 1.4],
            ]
        )
    ],  # none
    "prod",
)
case(
    "prod_keepdims_all_with_zero",
    f_prod_keepdims_all,
    [FIXED([[1.5, 0.0, -1.2], [0.5, 0.9, 1.1]])],
    "prod",
)


def f_var(x):
    return np.sin(np.var(x))


def f_var_axis_ddof(x):
    return np.sum(np.sin(np.var(x, axis=1, ddof=1)))


def f_var_tuple_keepdims(x):
    return np.sum(np.sin(x * np.var(x, axis=(0, -1), keepdims=True)))


def f_var_method(x):
    return np.sin(x.var(axis=0)).sum()


def f_std(x):
    return np.sin(np.std(x))


def f_std_axis_ddof_keepdims(x):
    return np.sum(np.sin(x * np.std(x, axis=-1, ddof=1, keepdims=True)))


def f_std_method(x):
    return np.sum(np.sin(x.std(axis=(1, 2))))


def f_nansum(x):
    return np.sum(np.sin(np.nansum(x, axis=0)))


def f_nansum_keepdims(x):
    return np.sum(np.sin(x * np.nansum(x, axis=1, keepdims=True)))


def f_nanmean(x):
    return np.sum(np.sin(np.nanmean(x, axis=-1)))


def f_nanmean_all(x):
    return np.sin(np.nanmean(x))


def f_ptp(x):
    return np.sin(np.ptp(x))


def f_ptp_axis_keepdims(x):
    return np.sum(np.sin(x * np.ptp(x, axis=0, keepdims=True)))


def f_cumsum(x):
    return np.sum(np.sin(np.cumsum(x)))


def f_cumsum_axis(x):
    return np.sum(np.sin(np.cumsum(x, axis=-1) * x))


def f_cumsum_method(x):
    return np.sum(np.sin(x.cumsum(axis=0)))


case("var", f_var, [A(3, 4)], "var")
case("var_0d", f_var, [A()], "var")
case("var_axis_ddof", f_var_axis_ddof, [A(3, 4)], "var")
case("var_tuple_keepdims", f_var_tuple_keepdims, [A(2, 3, 4)], "var")
case("var_method", f_var_method, [A(3, 4)], "var")
case("var_f32", f_var_axis_ddof, [A(3, 4, dtype="float32")], "var", eps=1e-3, rtol=2e-3, atol=1e-4)
case("std", f_std, [A(3, 4)], "std")
case("std_axis_ddof_keepdims", f_std_axis_ddof_keepdims, [A(3, 4)], "std")
case("std_method", f_std_method, [A(2, 3, 4)], "std")
case("nansum", f_nansum, [A(3, 4)], "nansum")
case("nansum_keepdims", f_nansum_keepdims, [A(3, 4)], "nansum")
case("nanmean", f_nanmean, [A(3, 4)], "nanmean")
case("nanmean_all", f_nanmean_all, [A(2, 3)], "nanmean")
case("ptp", f_ptp, [A(3, 4)], "ptp")
case("ptp_axis_keepdims", f_ptp_axis_keepdims, [A(3, 4)], "ptp")
case("ptp_ties", f_ptp, [FIXED([[1.0, 3.0, -2.0], [3.0, -2.0, 2.0]])], "ptp")
case("cumsum", f_cumsum, [A(3, 4)], "cumsum")
case("cumsum_0d", f_cumsum, [A()], "cumsum")
case("cumsum_axis", f_cumsum_axis, [A(2, 3, 4)], "cumsum")
case("cumsum_method", f_cumsum_method, [A(3, 4)], "cumsum")


def f_axis_of_0d(x):
    """NumPy reads axis 0 or -1 of a 0-d array as axis=None for these (the sweep found
    s2sgrad crashing on them: an InternalError, or np.cumsum typed 0-d)."""
    y = np.cumsum(x, axis=0) * np.cumprod(x, axis=-1) + np.repeat(x, 2, axis=0)
    z = np.sum(x, axis=0) + np.prod(x, axis=-1, keepdims=True) + np.max(x, axis=0)
    z = z + np.min(x, axis=-1) + np.ptp(x, axis=0) + np.nansum(x, axis=0)
    z = z + np.nanmean(x, axis=-1) + np.squeeze(x, axis=0) + np.take(x, [0, -1], axis=0)
    return np.sum(np.sin(y) * np.cos(z))


def f_mean_axis_of_0d(x):  # NumPy: AxisError
    return np.mean(x, axis=0)


case(
    "axis_of_0d",
    f_axis_of_0d,
    [A()],
    (
        "cumsum",
        "cumprod",
        "repeat",
        "sum",
        "prod",
        "max",
        "min",
        "ptp",
        "nansum",
        "nanmean",
        "squeeze",
        "take",
    ),
)
case("axis_of_0d_python_float", f_axis_of_0d, [F()], ("cumsum", "sum", "take"))


# ---- shape ops -----------------------------------------------------------------------


def f_flip(x, w):
    return np.sum(np.sin(np.flip(x, axis=1) * w))


def f_split(x):
    a, b = np.split(x, 2)
    parts = np.array_split(x, [1, 3], axis=1)
    rest = np.array_split(x, 3, axis=-1)
    return (
        np.sum(np.sin(a) * b)
        + np.sum(parts[0] ** 2)
        + np.sum(np.cos(parts[2]))
        + np.sum(np.sin(rest[1] * 2.0))
    )


def f_rot90_pad(x, y):
    return (
        np.sum(np.sin(np.rot90(x) * np.arange(12.0).reshape(3, 4)))
        + np.sum(np.sin(np.rot90(y, 3, axes=(1, 2)) * 1.5))
        + np.sum(np.sin(np.rot90(x, 2)))
        + np.sum(np.sin(np.pad(x, 1, constant_values=2.0)))
        + np.sum(np.pad(x, ((0, 1), (2, 0))) ** 2 * np.arange(5.0))
    )


def f_diag_diagonal(x, v, y):
    return (
        np.sum(np.sin(np.diag(x, 1)))
        + np.sum(np.sin(np.diag(v, -1)) * 2.0)
        + np.sum(np.diag(v) ** 2)
        + np.sum(np.diagonal(x) ** 2)
        + np.sum(np.sin(x.diagonal(1)))
        + np.sin(x.trace(-1))
        + np.sum(np.sin(np.diagonal(y, 1, 2, 0)))
    )


def f_take(x):
    return (
        np.sum(np.sin(np.take(x, [0, 2, 2], axis=1)))
        + np.sum(np.take(x, np.array([1, 5, 5])) ** 2)
        + np.sum(np.sin(x.take([1, 0], axis=0)))
        + np.sum(np.sin(np.take(x, np.array([[0, 1], [1, 1]]), -1)))
    )


def f_take_along_axis_sort(x):
    i = np.argsort(x, axis=1)
    return (
        np.sum(np.sin(np.take_along_axis(x, i, axis=1)) * np.arange(4.0))
        + np.sum(np.take_along_axis(x, np.array([[0], [2], [2]]), 1) ** 2)
        + np.sum(np.sort(x, axis=0) * np.arange(12.0).reshape(3, 4))
        + np.sum(np.sin(np.sort(x)) * 3.0)
        + np.sum(np.sort(x, axis=None) * np.arange(12.0))
    )


def f_cumprod(x):
    return (
        np.sum(np.sin(np.cumprod(x, axis=1)))
        + np.sum(np.cumprod(x) * np.arange(12.0))
        + np.sum(x.cumprod(axis=0) ** 2)
    )


def f_cumprod_flat(x):
    return np.sum(np.sin(np.cumprod(x))) + np.sum(np.cumprod(x) * np.arange(6.0))


def f_cumprod_axis(x):
    return np.sum(np.sin(np.cumprod(x, axis=0))) + np.sum(np.cumprod(x, axis=-1) ** 2)


def f_cumprod_plane(s, t, x):
    """cumprod's third derivatives at x, along the plane of two directions (check_grads
    differentiates again only a scalar argument)."""
    n = x.shape[0]
    return np.sum(np.sin(np.cumprod(x + s * (1.0 + np.arange(n) / 4) + t * np.cos(np.arange(n)))))


def f_select_kron_cross(x, y, u, v):
    return (
        np.sum(np.sin(np.select([x < -0.5, x > 0.5], [x * y, np.cos(x)], default=y)) * y)
        + np.sum(np.select([x > 0.0], [x**2]))
        + np.sum(np.sin(np.kron(x, y[:2, :2])) * np.arange(24.0).reshape(4, 6))
        + np.sum(np.kron(u, v) ** 2)
        + np.sum(np.sin(np.cross(u, v)) * np.array([1.0, 2.0, 3.0]))
        + np.sum(np.cross(x[:, :1] * u, v) ** 2)
    )


def f_views_see_a_later_write(x):
    y = x * 2.0
    a, b = np.split(y, 2)
    d = np.diagonal(y[None, :] * np.ones((2, 1)), 1)
    r = np.rot90(y[None, :])
    y[0] = 5.0
    return (
        np.sum(a * b * np.array([1.0, 3.0])) + np.sum(np.sin(d)) + np.sum(r[:, 0] * np.arange(4.0))
    )


def f_masked_reductions(x):
    m = np.array([[True, False, True], [False, True, True]])
    return (
        np.sum(np.sin(x), where=m)
        + np.sum(np.mean(x, axis=1, where=m) * np.array([1.0, 2.0]))
        + np.sum(x.prod(axis=0, where=m))
        + np.max(x, initial=-1.0, where=m) * 2.0
        + np.sum(np.min(x, axis=1, initial=0.5, where=m))
        + x.sum(where=x > 0.0)
        + np.max(x, initial=5.0)
        + np.sum(x.max(axis=0, initial=-1.5, where=m[0]) * np.arange(3.0))
    )


def f_flip_all(x):
    return np.sum(np.sin(np.flip(x) * x))


def f_flip_axis_tuple(x):
    return np.sum(np.sin(np.flip(x, axis=(0, -1)) * x))


def f_fliplr(x):
    return np.sum(np.sin(np.fliplr(x) * x))


def f_flipud(x):
    return np.sum(np.sin(np.flipud(x)[0] * x))


def f_linspace(a, b):
    return np.sum(np.sin(np.linspace(a, b, 7) * np.linspace(b, 2.0 * a, num=7, endpoint=False)))


def f_linspace_one(a, b):
    return np.sum(np.sin(np.linspace(a, b, num=1))) + a * b


def f_tril_triu(x):
    return np.sum(np.sin(np.tril(x) + np.triu(x, k=1) * 2.0 + np.tril(x, -1) * x))


def f_roll(x, w):
    return np.sum(np.sin(np.roll(x, 1) * w[0] + np.roll(x, (1, -1), axis=(0, 1)) * x))


def f_roll_axis(x):
    return np.sum(np.sin(np.roll(x, -2, axis=1) * x))


def f_trace(x):
    return np.sin(np.trace(x) + np.trace(x * x, offset=1) + np.trace(x, -1) * 0.5)


def f_outer(x, y):
    return np.sum(np.sin(np.outer(x, y)))


def f_composed_spellings(x):
    s = np.ravel(x) + x.flatten() * 2.0 + x.ravel() * 0.5
    t = np.swapaxes(x, 0, 2) * 0.5 + np.moveaxis(x, [0, 2], [2, 0]) * x + x.swapaxes(-1, 0)
    return np.sum(np.sin(s)) + np.sum(np.sin(t))


def f_concatenate(x, v, w):
    c = np.concatenate([x, x * w], axis=1) + np.concatenate((x, np.sin(x)), axis=-1)
    d = np.concatenate([v, w * v, np.sin(w)])
    e = np.concatenate([x, v[None]], axis=0)
    z = np.concatenate([x, x * x], axis=None)
    return np.sum(np.sin(c)) + np.sum(d**2) + np.sum(np.sin(e * e)) + np.sum(np.sin(z))


def f_concatenate_runtime_sizes(x, n):
    return np.sum(np.sin(np.concatenate([x[:n], x * 2.0, x[n:] * x[n:]])))


def f_stack_hstack_vstack(x, v, w):
    s = np.stack([v, w]) + np.stack((v, w * w), axis=1).T + np.stack([v, w], axis=-1).T
    h = np.hstack([v, w]) + np.hstack([x, x])[0, :6]
    k = np.vstack([v, w]) + np.vstack([x[:1], x[1:2] * v])
    return np.sum(np.sin(s)) + np.sum(np.sin(h)) + np.sum(np.sin(k))


def f_einsum(a, b, c):
    return (
        np.sum(np.sin(np.einsum("ij,jk", a, b)))
        + np.einsum("ij->", a * a)
        + np.sum(np.einsum("ij,j->i", a, c) ** 2)
        + np.sum(np.sin(np.einsum("bij,jk->bik", np.stack([a, a * 2.0]), b)))
        + np.sum(np.sin(np.einsum("ij,k->ijk", a, c)))
    )


def f_einsum_letter_of_one(a, c):
    return np.sum(np.sin(np.einsum("ij,k->i", a, c)))


def f_einsum_broadcast(a, b, c):
    # (a letter of size 1 in one operand that NumPy broadcasts: hunt 12)
    return (
        np.sum(np.sin(np.einsum("ij,ij->ij", a, b)))
        + np.einsum("i,i->", c, b[0])
        + np.sum(np.sin(np.einsum("ij,jk->ik", a, b.T)))
    )


def f_attention(Q, K, V):
    s = np.einsum("id,jd->ij", Q, K) / np.sqrt(Q.shape[1])
    s = s - np.max(s, axis=1, keepdims=True)
    p = np.exp(s) / np.sum(np.exp(s), axis=1, keepdims=True)
    return np.sum(np.concatenate([p @ V, Q], axis=1) ** 2)


def _spd(a):
    """A well-conditioned symmetric positive definite matrix made from a."""
    return a @ a.T + 3.0 * np.eye(a.shape[0])


def f_inv(a):
    return np.sum(np.sin(np.linalg.inv(_spd(a)) * a))


def f_inv_stacked(a):
    s = _spd(a)
    return np.sum(np.sin(np.linalg.inv(np.stack([s, s + a * 0.1]))))


def f_det(a):
    return np.linalg.det(_spd(a)) * 0.1 + np.sum(np.linalg.det(np.stack([a, a.T * 2.0])))


def f_solve(a, b, v):
    s = _spd(a)
    return np.sum(np.linalg.solve(s, b) ** 2) + np.sum(np.sin(np.linalg.solve(s, v)))


def f_solve_stacks(a, b, v):
    # (stacks that broadcast, and a vector against a stack: hunt 12)
    s = np.stack([_spd(a), _spd(a * 0.5)])
    return (
        np.sum(np.sin(np.linalg.solve(s[:1], np.stack([b, b * 2.0, b * 3.0]))))
        + np.sum(np.linalg.solve(s, b) ** 2)
        + np.sum(np.sin(np.linalg.solve(s, v)))
    )


def f_tri_of_vector(v):
    # (NumPy makes the rows of a square matrix of a vector: hunt 12)
    return np.sum(np.sin(np.tril(v) + np.triu(v, 1) * 2.0))


def f_trace_of_stack(x):
    return np.sum(np.sin(np.trace(x) * np.array([1.0, 2.0]) + np.trace(x, 1)))


def f_norm(x, m):
    return (
        np.linalg.norm(x)
        + np.linalg.norm(m)
        + np.sum(np.linalg.norm(m, axis=1))
        + np.sum(np.linalg.norm(m, 1, axis=0, keepdims=True) * 2.0)
        + np.linalg.norm(x, np.inf)
        + np.linalg.norm(m, "fro")
        + np.linalg.norm(x, -np.inf)
        + np.linalg.norm(x, 3)
        + np.sum(np.linalg.norm(m, 2.5, axis=-1))
    )


def f_diff(x, m):
    return (
        np.sum(np.sin(np.diff(x)))
        + np.sum(np.diff(m, 2, 1) ** 2)
        + np.sum(np.sin(np.diff(m, axis=0) * m[1:]))
    )


def f_smooth(x, w):
    d = np.diff(np.cumsum(x * w))
    return np.var(np.stack([d, np.roll(d, 1)]), axis=0).sum() + np.linalg.norm(x, 3)


def f_slogdet(a):
    sign, logdet = np.linalg.slogdet(_spd(a))
    s2, l2 = np.linalg.slogdet(np.stack([a, a.T * 2.0]))
    return logdet * sign + np.sum(np.sin(l2) * s2)


def f_cholesky(a, n):
    s = _spd(a)
    low = np.linalg.cholesky(s + np.triu(n, 1))  # NumPy reads the lower triangle
    up = np.linalg.cholesky(s + np.tril(n, -1) * 0.5, upper=True)  # ... or the upper
    stacked = np.linalg.cholesky(np.stack([s, s + 0.1 * np.eye(3)]))
    return np.sum(np.sin(low)) + np.sum(np.sin(up) * 2.0) + np.sum(np.cos(stacked))


def f_eigh(a):
    """a's every entry perturbed: the gradient of what NumPy computes from its lower
    (upper) triangle; functions of the eigenvectors that their signs do not change."""
    w, v = np.linalg.eigh(a * 0.2 + (np.eye(3) * np.array([1.0, 2.0, 3.5])))
    w2, v2 = np.linalg.eigh(a * 0.2 - (np.eye(3) * np.array([1.0, 2.0, 3.5])), UPLO="U")
    return (
        np.sum(np.sin(w))
        + np.sum(np.sin(v * v * 2.0))
        + np.sum(w2**2)
        + np.sum(np.sin(v2 @ (np.eye(3) * np.array([0.5, 1.0, 2.0])) @ v2.T))
    )


def f_eigh_symmetric_input(b):
    s = b + b.T
    w, v = np.linalg.eigh(np.stack([s, s * 2.0 + (np.eye(3) * np.array([1.0, 2.0, 3.0]))]))
    return np.sum(np.sin(w)) + np.sum(np.cos(v[..., 0] * v[..., 1]))


def f_eigvalsh(a):
    return np.sum(np.sin(np.linalg.eigvalsh(a + a.T))) + np.sum(
        np.linalg.eigvalsh(a, UPLO="U") ** 2
    )


def f_qr(a, c):
    q, r = np.linalg.qr(a)
    q2, r2 = np.linalg.qr(np.stack([c, c.T * 2.0]))
    return np.sum(np.sin(q)) + np.sum(np.sin(r)) + np.sum(np.sin(r2)) + np.sum(q2 * q2 * c)


def f_qr_r_only(a):
    _, r = np.linalg.qr(a)
    return np.sum(np.sin(r))


def f_svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (
        np.sum(np.sin(u @ vh))
        + np.sum(np.sin(s))
        + np.sum(np.sin(u * u * 2.0))
        + np.sum(np.sin(vh * vh * 3.0))
        + np.sum(u[0] * vh[:, 0] * s)
    )


def f_svd_square_and_values(a, c):
    u, s, vh = np.linalg.svd(c)
    return (
        np.sum(np.sin(np.linalg.svd(a, compute_uv=False)))
        + np.sum(np.sin(u * u + vh * vh))
        + np.sum(s**2)
    )


def f_pinv(a, c):
    return np.sum(np.sin(np.linalg.pinv(a))) + np.sum(
        np.sin(np.linalg.pinv(np.stack([c, c * 2.0])))
    )


def f_matrix_norms(m):
    return (
        np.linalg.norm(m, "nuc")
        + np.linalg.norm(m, 2)
        + np.linalg.norm(m, -2) * 2.0
        + np.linalg.norm(m, 1)
        + np.linalg.norm(m, -1) * 3.0
        + np.linalg.norm(m, np.inf)
        + np.linalg.norm(m, -np.inf) * 0.5
        + np.linalg.norm(m, axis=(0, 1))
        + np.linalg.norm(m, "fro", axis=(1, 0)) * 2.0
    )


def f_matrix_norms_axes(t):
    return (
        np.sum(np.sin(np.linalg.norm(t, 2, axis=(0, 2))))
        + np.sum(
            np.linalg.norm(t, 1, axis=(2, 1), keepdims=True) * np.array([1.0, 2.0])[:, None, None]
        )
        + np.sum(np.sin(np.linalg.norm(t, "nuc", axis=(-2, -1))))
        + np.sum(np.sin(np.linalg.norm(t, -np.inf, axis=(1, 2))))
        + np.linalg.norm(t)
    )


def f_gaussian_nll(mu, L, X):  # L lower-triangular, positive diagonal
    S = L @ L.T + 1e-6 * np.eye(X.shape[1])
    sign, logdet = np.linalg.slogdet(S)
    R = X - mu
    return 0.5 * np.sum(R * np.linalg.solve(S, R.T).T) + 0.5 * X.shape[0] * logdet


def f_contractions(a, b, v, t):
    r = np.sum(np.sin(np.inner(a, b.T))) + np.inner(v, v * 2.0) + np.vdot(a, a * 2.0)
    r = r + np.sum(np.inner(a, v)) + np.sum(np.sin(np.tensordot(a, b, axes=1)))
    return r + np.tensordot(a, a, axes=2) + np.sum(np.tensordot(t, a, axes=([0, 2], [1, 0])))


def f_atleast_and_stacks(a, v):
    r = np.sum(np.sin(np.atleast_2d(v) * 2.0)) + np.sum(np.atleast_3d(a) ** 2)
    r = r + np.sum(np.atleast_1d(v[0]) * 3.0) + np.sum(np.sin(np.atleast_3d(v)))
    r = r + np.sum(np.atleast_2d(a[0, 0])) + np.sum(np.sin(np.column_stack([v, v * v, a.T])))
    return r + np.sum(np.sin(np.dstack([a, a * 2.0]))) + a.size * 0.5


def f_full_like(x, v):
    return np.sum(np.sin(np.full_like(x, v) * x)) + np.sum(np.full_like(x, v, dtype="float64"))


def f_tile_repeat(x, m):
    return (
        np.sum(np.sin(np.tile(x, 3) * np.arange(12.0)))
        + np.sum(np.sin(np.tile(m, 2)) * 2.0)
        + np.sum(np.sin(np.repeat(x, 2) * np.arange(8.0)))
        + np.sum(np.sin(np.repeat(m, 3, axis=0)))
        + np.sum(np.sin(m.repeat(2, axis=-1) * 1.5))
        + np.sum(np.repeat(m, 2) ** 2)
    )


def f_average(x, m, w, u):
    return (
        np.sin(np.average(x))
        + np.sum(np.sin(np.average(m, axis=0)))
        + np.sin(np.average(x, weights=w))
        + np.sum(np.sin(np.average(m, axis=1, weights=u)))
        + np.sum(np.average(m, 0, m * m + 1.0))
    )


def f_reshape(x, w):
    return np.sum(np.sin(x.reshape(4, 3) * w))


def f_np_reshape(x, w):
    return np.sum(np.sin(np.reshape(x, (2, -1)) * w))


def f_reshape_flat(x):
    return np.sum(np.sin(np.cos(x.reshape(-1))))


def f_reshape_unknown(x, y):
    return np.sum(np.sin(x.reshape(-1, 1) + y))


def f_transpose(x, w):
    return np.sum(np.sin(np.transpose(x) * w))


def f_transpose_axes(x, w):
    return np.sum(np.sin(np.transpose(x, (1, 2, 0)) * w))


def f_transpose_method(x, w):
    return np.sum(np.sin(x.transpose(2, 0, 1) * w))


def f_transpose_method_tuple(x, w):
    return np.sum(np.sin(x.transpose((0, 2, 1)) * w))


def f_T(x, w):
    return np.sum(np.sin(x.T * w))


def f_expand_dims(x, w):
    return np.sum(np.sin(np.expand_dims(x, 0) * w))


def f_expand_dims_neg(x, w):
    return np.sum(np.sin(np.expand_dims(x, axis=-1) * w))


def f_expand_dims_tuple(x, w):
    return np.sum(np.sin(np.expand_dims(x, (0, 2)) * w))


def f_squeeze(x, w):
    return np.sum(np.sin(np.squeeze(x) * w))


def f_squeeze_axis(x, w):
    return np.sum(np.sin(np.squeeze(x, axis=1) * w))


def f_squeeze_method(x, w):
    return np.sum(np.sin(x.squeeze(axis=(0,)) * w))


def f_broadcast_to(x, w):
    return np.sum(np.sin(np.broadcast_to(x, (2, 3, 4)) * w))


def f_broadcast_to_shape_of(x, w):
    return np.sum(np.sin(np.broadcast_to(x, w.shape) * w))


def f_transpose_negative_axes(x, w):
    return np.sum(np.sin(np.transpose(x, (-1, 0, 1)) * w))


def f_transpose_method_negative(x, w):
    return np.sum(np.sin(x.transpose(0, -1, -2) * w))


def f_expand_dims_negative_tuple(x, w):
    return np.sum(np.sin(np.expand_dims(x, (0, -1)) * w))


def f_squeeze_negative_axis(x, w):
    return np.sum(np.sin(np.squeeze(x, axis=-1) * w))


def f_broadcast_python_float(v, x):
    return np.sum(np.sin(np.broadcast_to(v, (3, 4)) * x))


case("linspace", f_linspace, [F(), F()], "linspace")
case("linspace_0d_arrays", f_linspace, [A(), A()], "linspace")
case("linspace_one_point", f_linspace_one, [F(), F()], "linspace")
case("concatenate", f_concatenate, [A(2, 3), A(3), A(3)], "concatenate")
case("concatenate_runtime_sizes", f_concatenate_runtime_sizes, [A(5), STATIC(2)], "concatenate")
case(
    "concatenate_f32",
    f_concatenate,
    [A(2, 3, dtype="float32"), A(3, dtype="float32"), A(3, dtype="float32")],
    "concatenate",
    eps=1e-3,
    rtol=2e-3,
    atol=1e-3,
)
case(
    "stack_hstack_vstack",
    f_stack_hstack_vstack,
    [A(2, 3), A(3), A(3)],
    ("list", "concatenate", "transpose"),
)
case("einsum", f_einsum, [A(2, 3), A(3, 4), A(3)], "einsum")
case("einsum_letter_of_one_operand", f_einsum_letter_of_one, [A(2, 3), A(4)], "einsum")
case("einsum_broadcast", f_einsum_broadcast, [A(3, 1), A(3, 4), A(1)], "einsum")
case(
    "einsum_f32",
    f_einsum_letter_of_one,
    [A(2, 3, dtype="float32"), A(4, dtype="float32")],
    "einsum",
    eps=1e-3,
    rtol=2e-3,
    atol=1e-3,
)
case(
    "attention",
    f_attention,
    [A(4, 3), A(5, 3), A(5, 3)],  # (the max only shifts: no
    ("einsum", "exp", "sum", "concatenate", "matmul"),
)  # gradient, passes/shift.py)
case("inv", f_inv, [A(3, 3)], "inv")
case("inv_stacked", f_inv_stacked, [A(3, 3)], "inv")
case("inv_f32", f_inv, [A(3, 3, dtype="float32")], "inv", eps=1e-3, rtol=5e-3, atol=1e-3)
case("det", f_det, [A(3, 3)], "det")
case("solve", f_solve, [A(3, 3), A(3, 2), A(3)], "solve")
case("solve_stacks", f_solve_stacks, [A(3, 3), A(3, 2), A(3)], "solve")
case("slogdet", f_slogdet, [A(3, 3)], "slogdet")
case(
    "gaussian_nll",
    f_gaussian_nll,
    [A(3), FIXED([[2.0, 0.0, 0.0], [0.3, 1.5, 0.0], [-0.4, 0.2, 1.8]]), A(5, 3)],
    ("slogdet", "solve", "matmul", "sub"),
)
case("cholesky", f_cholesky, [A(3, 3), A(3, 3)], "cholesky")
case("eigh", f_eigh, [A(3, 3)], "eigh")
case("eigh_symmetric_input", f_eigh_symmetric_input, [A(3, 3)], "eigh")
case("eigvalsh", f_eigvalsh, [A(3, 3)], "eigvalsh")
case("qr", f_qr, [A(4, 3), A(3, 3)], "qr")
case("qr_r_only", f_qr_r_only, [A(5, 3)], "qr")
case("svd", f_svd, [A(4, 3)], "svd")
case("svd_wide", f_svd, [A(3, 5)], "svd")
case("svd_square_and_values", f_svd_square_and_values, [A(3, 5), A(3, 3)], "svd")
case("pinv", f_pinv, [A(4, 3), A(2, 3)], "pinv")
case("matrix_norms", f_matrix_norms, [A(3, 4)], "norm")
case("matrix_norms_axes", f_matrix_norms_axes, [A(2, 3, 4)], "norm")
case("norm", f_norm, [A(6), A(3, 4)], "norm")
case("diff", f_diff, [A(6), A(3, 5)], ("sub", "index"))
case("smooth", f_smooth, [A(6), A(6)], ("cumsum", "roll", "var", "norm", "list"))
case("inner_vdot_tensordot", f_contractions, [A(2, 3), A(3, 2), A(3), A(3, 4, 2)], "einsum")
case(
    "atleast_column_stack_dstack",
    f_atleast_and_stacks,
    [A(2, 3), A(3)],
    ("reshape", "expand_dims", "concatenate"),
)
case("full_like", f_full_like, [A(3, 4), F()], "full_like")
case("full_like_0d", f_full_like, [A(3), A()], "full_like")
case("tile_repeat", f_tile_repeat, [A(4), A(2, 3)], ("tile", "repeat"))
case(
    "tile_repeat_f32",
    f_tile_repeat,
    [A(4, dtype="float32"), A(2, 3, dtype="float32")],
    ("tile", "repeat"),
    eps=1e-3,
    rtol=2e-3,
    atol=1e-3,
)
case(
    "average",
    f_average,
    [A(4), A(2, 3), A(4, lo=0.5, hi=1.5), A(3, lo=0.5, hi=1.5)],
    ("mean", "sum", "div", "mul"),
)
case("tril_triu", f_tril_triu, [A(3, 4)], ("tril", "triu"))
case("roll", f_roll, [A(3, 4), A(2)], "roll")
case("roll_axis", f_roll_axis, [A(2, 5)], "roll")
case("trace", f_trace, [A(3, 4)], "trace")
case("trace_of_stack", f_trace_of_stack, [A(3, 3, 2)], "trace")
case("tril_triu_of_vector", f_tri_of_vector, [A(3)], ("tril", "triu"))
case("trace_f32", f_trace, [A(3, 3, dtype="float32")], "trace", eps=1e-3, rtol=2e-3, atol=1e-4)
case("outer", f_outer, [A(3), A(4)], "outer")
case("outer_flattens", f_outer, [A(2, 3), A(2, 2)], "outer")
case(
    "ravel_flatten_swapaxes_moveaxis",
    f_composed_spellings,
    [A(2, 3, 2)],
    ("reshape", "transpose", "copy"),
)
case("flip", f_flip, [A(3, 4), A(4)], "flip")
case("split", f_split, [A(4, 5)], ("split", "array_split"))
case("rot90_pad", f_rot90_pad, [A(4, 3), A(2, 3, 4)], ("rot90", "pad"))
case("diag_diagonal", f_diag_diagonal, [A(3, 4), A(3), A(3, 4, 2)], ("diag", "diagonal", "trace"))
case("take", f_take, [A(2, 3)], "take")
case("take_along_axis_sort", f_take_along_axis_sort, [A(3, 4)], ("take_along_axis", "sort"))
case("cumprod", f_cumprod, [A(3, 4)], "cumprod")
case(
    "cumprod_zeros",
    f_cumprod,
    [FIXED([[1.5, 0.0, 2.0, 0.0], [0.0, 0.7, 0.0, 1.2], [0.3, -1.1, 0.5, 0.0]])],
    "cumprod",
)
# (each exact to every order at its zeros: the rules are polynomials in x, rules/scan.py)
case("cumprod_zeros_first", f_cumprod_flat, [FIXED([0.0, 1.5, -0.8, 2.0, 0.7, 1.1])], "cumprod")
case("cumprod_zeros_two", f_cumprod_flat, [FIXED([1.5, 0.0, 2.0, 0.0, 0.7, -1.3])], "cumprod")
case("cumprod_zeros_adjacent", f_cumprod_flat, [FIXED([1.2, 0.0, 0.0, 0.9, -0.6, 0.0])], "cumprod")
case(
    "cumprod_zeros_axis",
    f_cumprod_axis,
    [FIXED([[0.0, 1.5, 0.0], [1.1, 0.0, 2.0], [0.0, 0.7, -1.2], [0.8, 0.0, 0.0]])],
    "cumprod",
)
case(
    "select_kron_cross",
    f_select_kron_cross,
    [A(2, 3), A(2, 3), A(3), A(3)],
    ("where", "einsum", "reshape", "cross", "three_vector"),
)
case(
    "masked_reductions",
    f_masked_reductions,
    [A(2, 3)],
    ("where", "sum", "sum_where", "prod", "max", "min", "div"),
)
case("views_see_a_later_write", f_views_see_a_later_write, [A(4)], ("split", "diagonal", "rot90"))
case(
    "cumprod_f32", f_cumprod, [A(3, 4, dtype="float32")], "cumprod", eps=1e-3, rtol=2e-3, atol=1e-3
)
case("flip_all", f_flip_all, [A(2, 3, 4)], "flip")
case("flip_axis_tuple", f_flip_axis_tuple, [A(2, 3, 4)], "flip")
case("fliplr", f_fliplr, [A(3, 4)], "fliplr")
case("flipud", f_flipud, [A(3, 4)], "flipud")
case("reshape", f_reshape, [A(3, 4), A(4, 3)], "reshape")
case("np_reshape_minus_one", f_np_reshape, [A(3, 4), A(2, 6)], "reshape")
case("reshape_flat", f_reshape_flat, [A(3, 4)], "reshape")
case("reshape_unknown_shape_broadcast", f_reshape_unknown, [A(3), A(4)], ("reshape", "add"))
case("transpose", f_transpose, [A(2, 3, 4), A(4, 3, 2)], "transpose")
case("transpose_axes", f_transpose_axes, [A(2, 3, 4), A(3, 4, 2)], "transpose")
case("transpose_method", f_transpose_method, [A(2, 3, 4), A(4, 2, 3)], "transpose")
case("transpose_method_tuple", f_transpose_method_tuple, [A(2, 3, 4), A(2, 4, 3)], "transpose")
case("T", f_T, [A(3, 4), A(4, 3)], "T")
case("T_rank3", f_T, [A(2, 3, 4), A(4, 3, 2)], "T")
case("transpose_negative_axes", f_transpose_negative_axes, [A(2, 3, 4), A(4, 2, 3)], "transpose")
case(
    "transpose_method_negative_axes",
    f_transpose_method_negative,
    [A(2, 3, 4), A(2, 4, 3)],
    "transpose",
)
case("T_vector", f_T, [A(4), A(3, 4)], "T")
case("expand_dims", f_expand_dims, [A(3, 4), A(2, 3, 4)], "expand_dims")
case("expand_dims_negative_axis", f_expand_dims_neg, [A(3, 4), A(3, 4, 2)], "expand_dims")
case("expand_dims_tuple_axis", f_expand_dims_tuple, [A(3, 4), A(1, 3, 1, 4)], "expand_dims")
case(
    "expand_dims_negative_tuple",
    f_expand_dims_negative_tuple,
    [A(3, 4), A(1, 3, 4, 1)],
    "expand_dims",
)
case("squeeze", f_squeeze, [A(3, 1, 4, 1), A(3, 4)], "squeeze")
case("squeeze_axis", f_squeeze_axis, [A(3, 1, 4), A(3, 4)], "squeeze")
case("squeeze_method", f_squeeze_method, [A(1, 3, 4), A(3, 4)], "squeeze")
case("squeeze_negative_axis", f_squeeze_negative_axis, [A(3, 4, 1), A(3, 4)], "squeeze")
case("broadcast_to", f_broadcast_to, [A(3, 1), A(2, 3, 4)], "broadcast_to")
case("broadcast_to_shape_of", f_broadcast_to_shape_of, [A(4), A(3, 4)], "broadcast_to")
case("broadcast_to_python_float", f_broadcast_python_float, [F(), A(3, 4)], "broadcast_to")


# ---- casts and creation ------------------------------------------------------------


def f_float64(x):
    return np.sum(np.sin(np.float64(x)))


def f_float64_scalar(x):
    return np.sin(np.float64(x)) * x


def f_float32(x):
    return np.sum(np.sin(np.float32(x)))


def f_asarray(x):
    return np.sum(np.sin(np.asarray(x)))


def f_asarray_dtype(x):
    return np.sum(np.sin(np.asarray(x, dtype=np.float64)))


def f_asarray_float32(x):
    return np.sum(np.sin(np.asarray(x, dtype=np.float32)))


def f_array(x):
    return np.sum(np.sin(np.array(x)))


def f_astype(x):
    return np.sum(np.sin(x.astype(np.float64)))


def f_astype_float32(x):
    return np.sum(np.sin(x.astype(np.float32)))


def f_astype_string_dtype(x):
    return np.sum(np.sin(x.astype("float32")) * 2.0)


def f_full(v, x):
    return np.sum(np.sin(np.full((3, 4), v) * x))


def f_full_shape_of(v, x):
    return np.sum(np.sin(np.full(x.shape, v) + x))


def f_asarray_python_float(v, x):
    return np.sum(np.sin(np.asarray(v) * x))


def f_full_float32(v, x):
    return np.sum(np.sin(np.full((3, 4), v, dtype=np.float32) * x))


LOOSE = dict(eps=1e-2, rtol=1e-3, atol=1e-3)  # float32 somewhere: rounding ~1e-7 relative

case("float64", f_float64, [A(3, 4)], "float64")
case("float64_python_float", f_float64_scalar, [F()], ("float64", "sin", "mul"))
case("float32", f_float32, [A(3, 4)], "float32", **LOOSE)
case("asarray", f_asarray, [A(3, 4)], "asarray")
case("asarray_dtype", f_asarray_dtype, [A(3, 4)], "asarray")
case("asarray_float32", f_asarray_float32, [A(3, 4)], "asarray", **LOOSE)
case("array", f_array, [A(3, 4)], "array")
case("astype", f_astype, [A(3, 4)], "astype")
case("astype_float32", f_astype_float32, [A(3, 4)], "astype", **LOOSE)
case("astype_float32_string", f_astype_string_dtype, [A(3, 4)], "astype", **LOOSE)
case("astype_from_float32_input", f_astype, [A(3, 4, dtype="float32")], "astype", **LOOSE)
case("float64_from_float32_input", f_float64, [A(3, 4, dtype="float32")], "float64", **LOOSE)
case("full_python_float", f_full, [F(), A(3, 4)], "full")
case("full_0d_array", f_full, [A(), A(3, 4)], "full")
case("full_broadcast_fill", f_full, [A(4), A(3, 4)], "full")
case("full_shape_of", f_full_shape_of, [A(1, 4), A(3, 4)], "full")
case("asarray_python_float", f_asarray_python_float, [F(), A(3, 4)], "asarray")
case("full_float32_dtype", f_full_float32, [F(), A(3, 4)], "full", **LOOSE)


# ---- tuples and lists given for arrays: the stack of their items ---------------------


def f_list_of_scalars(a, b):
    return np.sin(np.sum([a * b, a, 1.0]))


def f_tuple_mean(a):
    return np.sin(np.mean((a, a + 2.0)))


def f_list_dot(a, w):
    return np.sin(np.dot([a, 3.0 * a], w))


def f_list_max_prod(a, b):
    return np.max([a, 3.0 * b]) + np.prod([a, b, 2.0])


def f_list_of_arrays(x, y, w):
    return np.sum(np.sin(np.array([x, y * x])) * w)


def f_nested_list_float32(x, s):
    return np.sum(np.sin(np.asarray([[x, s * x], [x, x]], dtype=np.float32)))


def f_tuple_ufunc(x, y):
    return np.sum(np.sin(np.exp((x, y)) * np.array([1.0, 2.0])[:, None]))


case("list_of_scalars", f_list_of_scalars, [F(), A()], ("list", "array", "sum"))
case("tuple_mean", f_tuple_mean, [F()], ("tuple", "array", "mean"))
case("list_dot", f_list_dot, [A(), A(2)], ("list", "array", "dot"))
case("list_max_prod", f_list_max_prod, [F(lo=0.5), F(lo=-1.0, hi=-0.5)], ("list", "max", "prod"))
case("list_of_arrays", f_list_of_arrays, [A(3), A(3), A(2, 3)], ("list", "array"))
case(
    "nested_list_float32",
    f_nested_list_float32,
    [A(3, dtype="float32"), A(dtype="float32")],
    ("list", "asarray"),
    **LOOSE,
)
case("tuple_ufunc", f_tuple_ufunc, [A(2), A(2)], ("tuple", "exp"))


# ---- second order: copy, pyfloat, unbroadcast --------------------------------------


def f_copy(x, w):
    # The adjoint of w seeded with x is x itself, a borrowed array: handed back as np.copy(x).
    (d,) = s2sgrad.gradients(w, [w], grad_ys=[x])
    return np.sum(np.sin(d) * w)


def ref_copy(x, w):
    return np.sum(np.sin(x) * w)


def f_copy_of_broadcast(x, w):
    # d/dw sum(w * s) is a broadcast of the scalar s (read-only): handed back as np.copy(...).
    s = np.sum(x * x)
    (d,) = s2sgrad.gradients(np.sum(w) * s, [w])
    return np.sum(np.sin(d * w))


def ref_copy_of_broadcast(x, w):
    return np.sum(np.sin(np.sum(x * x) * w))


def f_pyfloat(x):
    # The gradient with respect to a Python float is handed back as float(...).
    (d,) = s2sgrad.gradients(x**3, [x])
    return d * np.sin(x)


def ref_pyfloat(x):
    return 3.0 * x**2 * np.sin(x)


def f_unbroadcast(x, y):
    # r has a shape unknown statically, so the adjoint of r is _unbroadcast(...).
    r = x.reshape(-1, 1)
    (dr,) = s2sgrad.gradients(np.sum(np.sin(r + y)), [r])
    return np.sum(dr * dr)


def ref_unbroadcast(x, y):
    return np.sum(np.sum(np.cos(x[:, None] + y), axis=1) ** 2)


def f_unbroadcast_dropped_axis(x, w):
    # a[0] = m with m of shape (1, n): the adjoint of m is _unbroadcast(d_a[0], (1, n)),
    # whose own adjoint drops the leading axis again (tools/fuzz.py, second order)
    a = w * 1.0
    a[0] = np.mean(x, axis=0, keepdims=True)
    (dx,) = s2sgrad.gradients(np.sum(a * w), [x])
    return np.sum(dx * w)


def ref_unbroadcast_dropped_axis(x, w):
    return np.sum(np.broadcast_to(w[0] / x.shape[0], x.shape) * w)


def f_linear_scan(x, w):
    # cumprod's gradient is a scan, _linear_scan(...) (rules/scan.py): its gradient runs
    # the scan's rule (and the jvp of it the scan's tangent rule)
    (dx,) = s2sgrad.gradients(np.sum(np.sin(np.cumprod(x, axis=-1)) * w), [x])
    return np.sum(dx * w)


def ref_linear_scan(x, w):
    # dx_j = Σ_{i≥j} dy_i Π_{k≤i, k≠j} x_k, each product written out (x_j set to 1)
    dy = np.cos(np.cumprod(x, axis=-1)) * w
    dx = np.zeros_like(x)
    for j in range(x.shape[-1]):
        others = x.copy()
        others[..., j] = 1.0
        dx[..., j] = np.sum((dy * np.cumprod(others, axis=-1))[..., j:], axis=-1)
    return np.sum(dx * w)


def f_hessian_vector(x, v):
    (d,) = s2sgrad.gradients(np.sum(np.tanh(x) * np.exp(x)), [x])
    return np.sum(d * v)


def ref_hessian_vector(x, v):
    t = np.tanh(x)
    return np.sum(((1.0 - t * t) * np.exp(x) + t * np.exp(x)) * v)


# Hessian-vector products of mixed programs: the outer sweep runs rules over the
# inner sweep's ops. `ref` is v . grad f, from s2sgrad.grad of the first-order
# function (itself checked by the cases above).


def f_mix1(x, w):
    h = np.tanh(x @ w)
    z = np.where(h > 0, h * h, np.log1p(np.exp(h)))
    return np.mean(np.sqrt(z + 1.0)) + np.sum(np.max(h.T, axis=1) * np.min(h, axis=0))


def f_mix1_hvp(x, w, v, u):
    h = np.tanh(x @ w)
    z = np.where(h > 0, h * h, np.log1p(np.exp(h)))
    y = np.mean(np.sqrt(z + 1.0)) + np.sum(np.max(h.T, axis=1) * np.min(h, axis=0))
    dx, dw = s2sgrad.gradients(y, [x, w])
    return np.sum(dx * v) + np.sum(dw * u)


def f_mix2(x, y):
    p = np.prod(np.clip(x, -1.5, 1.5), axis=0)
    q = np.arctan2(p, y) + np.logaddexp(x, 2.0 * y) / (1.0 + np.abs(y))
    return np.sum(np.minimum(q, 0.8) ** 2) + np.sum(np.mod(x, 0.9) * y)


def f_mix2_hvp(x, y, v, u):
    p = np.prod(np.clip(x, -1.5, 1.5), axis=0)
    q = np.arctan2(p, y) + np.logaddexp(x, 2.0 * y) / (1.0 + np.abs(y))
    f = np.sum(np.minimum(q, 0.8) ** 2) + np.sum(np.mod(x, 0.9) * y)
    dx, dy = s2sgrad.gradients(f, [x, y])
    return np.sum(dx * v) + np.sum(dy * u)


def f_mix3(x, y):
    a = np.dot(x.reshape(4, 3), y)
    b = np.squeeze(np.expand_dims(np.transpose(a), 0), axis=0)
    c = np.broadcast_to(np.cosh(b), (2, 5, 4)) * np.full((5, 4), np.sum(x) * 0.1)
    return np.sum(np.arcsinh(c)) + np.sum(np.log(np.square(x) + 1.0))


def f_mix3_hvp(x, y, v, u):
    a = np.dot(x.reshape(4, 3), y)
    b = np.squeeze(np.expand_dims(np.transpose(a), 0), axis=0)
    c = np.broadcast_to(np.cosh(b), (2, 5, 4)) * np.full((5, 4), np.sum(x) * 0.1)
    f = np.sum(np.arcsinh(c)) + np.sum(np.log(np.square(x) + 1.0))
    dx, dy = s2sgrad.gradients(f, [x, y])
    return np.sum(dx * v) + np.sum(dy * u)


def _directional(fn):
    g = s2sgrad.grad(fn, wrt=(0, 1))

    def ref(x, y, v, u):
        dx, dy = g(x, y)
        return np.sum(dx * v) + np.sum(dy * u)

    return ref


case("copy_second_order", f_copy, [A(3, 4), A(3, 4)], "copy", ref=ref_copy)
case(
    "copy_of_broadcast_second_order",
    f_copy_of_broadcast,
    [A(3), A(2, 3)],
    ("copy", "broadcast_to", "sum", "mul"),
    ref=ref_copy_of_broadcast,
)
case("pyfloat_second_order", f_pyfloat, [F()], ("pyfloat", "pow", "mul"), ref=ref_pyfloat)


def f_loop_index(x):
    for i in range(x.shape[0]):  # (a run-time count: the read after the loop is checked)
        y = np.sin(x) * (i + 1.0)
    return np.sum(y * y)


case("loop_index", f_loop_index, [A(3)], ("loop_index", "sin", "mul"))
case(
    "linear_scan",
    f_linear_scan,
    [A(3, 4), A(3, 4)],
    ("linear_scan", "cumprod"),
    ref=ref_linear_scan,
)
case(
    "linear_scan_zeros",
    f_linear_scan,
    [FIXED([[0.0, 1.5, 0.0, 2.0], [1.1, 0.0, 0.0, -0.7]]), A(2, 4)],
    ("linear_scan", "cumprod"),
    ref=ref_linear_scan,
)
case(
    "unbroadcast_second_order",
    f_unbroadcast,
    [A(3), A(4)],
    ("unbroadcast", "reshape"),
    ref=ref_unbroadcast,
)
case(
    "unbroadcast_dropped_axis_second_order",
    f_unbroadcast_dropped_axis,
    [A(3, 4), A(3, 4)],
    ("unbroadcast", "setitem", "mean"),
    ref=ref_unbroadcast_dropped_axis,
)
case(
    "hessian_vector_product",
    f_hessian_vector,
    [A(5), A(5)],
    ("tanh", "exp", "mul", "sub", "add", "sum"),
    ref=ref_hessian_vector,
)

case(
    "hvp_matmul_where_max_min",
    f_mix1_hvp,
    [A(3, 4), A(4, 2), A(3, 4), A(4, 2)],
    (
        "matmul",
        "tanh",
        "where",
        "log1p",
        "exp",
        "sqrt",
        "mean",
        "max",
        "min",
        "T",
        "mul",
        "expand_dims",
        "div",
    ),
    ref=_directional(f_mix1),
)
case(
    "hvp_prod_clip_arctan2_logaddexp",
    f_mix2_hvp,
    [A(3, 4), A(4, **AWAY), A(3, 4), A(4)],
    (
        "prod",
        "clip",
        "arctan2",
        "logaddexp",
        "abs",
        "minimum",
        "pow",
        "mod",
        "div",
        "cumprod",
        "concatenate",
    ),
    ref=_directional(f_mix2),
)
case(
    "hvp_dot_shapes_full",
    f_mix3_hvp,
    [A(12, lo=-1.0, hi=1.0), A(3, 5, lo=-1.0, hi=1.0), A(12), A(3, 5)],
    (
        "dot",
        "reshape",
        "transpose",
        "expand_dims",
        "squeeze",
        "broadcast_to",
        "full",
        "cosh",
        "arcsinh",
        "log",
        "square",
        "sum",
    ),
    ref=_directional(f_mix3),
)

# ---- indexing: reads x[key], writes y[key] = v and y[key] += v ----------------------------


def f_index_int(x):
    return np.sum(np.sin(x[1]) * x[-1])


def f_index_slices(x):
    return np.sum(np.sin(x[1:3, ::2])) + np.sum(x[::-1, -2] ** 2)


def f_index_newaxis_ellipsis(x, w):
    return np.sum(np.sin(x[None, 1:, ..., 0]) * w)


def f_index_dynamic(x, k):
    # k is a static int: it becomes part of the key; k + 1 as a bound too
    return np.sum(np.sin(x[k : k + 2]) * x[k - 1])


def f_index_runtime_int(x):
    i = np.argmax(x[0])  # an int known only at run time
    return np.sum(np.sin(x[:, i])) * np.sum(x[1, i:])


def f_index_gather(x, w):
    return np.sum(np.sin(x[[0, 2, 2, 1]]) * w)  # row 2 read twice: its gradient accumulates


def f_index_gather_pairs(x):
    return np.sum(np.sin(x[[1, 1, 2], [2, 2, 0]])) + np.sum(x[0, [3, 3]] ** 2)


def f_index_gather_runtime(x, w):
    i = np.argmax(w, axis=1)  # an integer array known only at run time
    return np.sum(np.sin(x[i]) * w)


def f_index_gather_apart(x, w):
    return np.sum(np.sin(x[[0, 0], :, [1, 2]]) * w)  # separated arrays: their axis goes first


def f_index_mask(x):
    return np.sum(np.sin(x[x > 0])) + np.sum(x[x < 0] ** 2)


def f_index_mask_rows(x, w):
    return np.sum(np.sin(x[w > 0]) * 2.0)


def f_setitem_fill(x, w):
    y = np.zeros(5)
    y[0] = np.sum(x)
    y[1:3] = x[:2] * w
    y[3:] = np.tanh(w)
    return np.sum(np.sin(y) * y)


def f_setitem_broadcast(x, v):
    y = np.cos(x)
    y[1:, ::2] = v  # v broadcast into the written part
    return np.sum(np.sin(y) * x)


def f_setitem_scalar_into_slice(x, s):
    y = x * 2.0
    y[:, 1] = s
    return np.sum(np.sin(y))


def f_setitem_augmented(x, w):
    y = x * 1.0
    y[1:3] += w
    y[0] *= np.sum(w)
    y[-1] -= 1.0
    y[2] /= 2.0
    return np.sum(np.sin(y) * y)


def f_setitem_mask(x):
    y = x * 1.0
    y[x > 0.5] = 0.5
    y[y < -0.5] *= 3.0
    return np.sum(np.sin(y) * x)


def f_setitem_repeated(x, v):
    y = np.cos(x)
    y[[1, 3, 1]] = v  # position 1 written twice: the last write stays
    return np.sum(np.sin(y) * (y + x))


def f_setitem_repeated_augmented(x, v):
    y = x * 2.0
    y[[1, 3, 1]] += v  # as in NumPy: y[i] = y[i] + v, no accumulation
    return np.sum(np.sin(y))


def f_setitem_argument(x, v):
    x[1] = v  # on a copy: the caller's x is not changed
    return np.sum(np.sin(x) * x)


def f_setitem_old_value_read_later(x):
    y = np.sin(x)
    t = np.sum(y * y)
    y[0] = t  # y's old value is needed by the reverse sweep
    return np.sum(y * np.cos(x)) + t


def f_setitem_through_view(x, w):
    y = np.zeros((3, 4))
    z = y[1:]  # a view: writes through either name reach both
    y[1, 2] = np.sum(x)
    z[0, 0] = np.sum(w)
    return np.sum(np.sin(z) * y[1:]) + np.sum(y * y)


def f_setitem_aliases(x):
    y = np.exp(x)
    a = y  # the same array
    s = y[0]  # a view of a row
    y[0] = 1.0
    return np.sum(np.sin(a) * s) + np.sum(a * y)


def f_index_hvp(x, w, v):
    (d,) = s2sgrad.gradients(np.sum(np.sin(x[[0, 2, 2]]) * w), [x])
    return np.sum(d * v)


def ref_index_hvp(x, w, v):
    # d = scatter-add of cos(x[i]) w at i = [0, 2, 2]; sum(d * v) = sum(cos(x[i]) w v[i])
    i = [0, 2, 2]
    return np.sum(np.cos(x[i]) * w * v[i])


def f_setitem_hvp(x, v):
    y = np.zeros((2, 3))
    y[0] = np.sin(x)
    y[1, 1:] = x[:2] * x[1:]
    y[:, 0] += 1.0
    (d,) = s2sgrad.gradients(np.sum(y * y), [x])
    return np.sum(d * v)


def ref_setitem_hvp(x, v):
    y = np.zeros((2, 3))
    y[0] = np.sin(x)
    y[1, 1:] = x[:2] * x[1:]
    y[:, 0] += 1.0
    d = 2 * y[0] * np.cos(x)
    d[:2] += 2 * y[1, 1:] * x[1:]
    d[1:] += 2 * y[1, 1:] * x[:2]
    return np.sum(d * v)


def f_setitem_repeated_hvp(x, v, u):
    y = np.cos(x)
    y[[1, 3, 1]] = v * v
    (dx, dv) = s2sgrad.gradients(np.sum(np.sin(y)), [x, v])
    return np.sum(dx * u) + np.sum(dv * v)


def _setitem_repeated_grads(x, v):
    y = np.cos(x)
    y[[1, 3, 1]] = v * v
    dy = np.cos(y)
    dx = -np.sin(x) * dy
    dx[[1, 3]] = 0.0
    dv = np.zeros(3)
    dv[1] = dy[3] * 2 * v[1]
    dv[2] = dy[1] * 2 * v[2]  # the last write of position 1
    return dx, dv


def ref_setitem_repeated_hvp(x, v, u):
    dx, dv = _setitem_repeated_grads(x, v)
    return np.sum(dx * u) + np.sum(dv * v)


case("index_int_negative", f_index_int, [A(3, 4)], "index")
case("index_slices_steps", f_index_slices, [A(4, 5)], "index")
case("index_newaxis_ellipsis", f_index_newaxis_ellipsis, [A(3, 4, 2), A(1, 2, 4)], "index")
case("index_static_int_and_bounds", f_index_dynamic, [A(6), STATIC(2)], "index")
case("index_runtime_int", f_index_runtime_int, [A(3, 5)], "index")
case("index_gather_repeated", f_index_gather, [A(4, 3), A(4, 3)], "index")
case("index_gather_pairs", f_index_gather_pairs, [A(3, 4)], "index")
case("index_gather_runtime", f_index_gather_runtime, [A(4, 3), A(5, 3)], "index")
case("index_gather_separated", f_index_gather_apart, [A(2, 3, 4), A(2, 3)], "index")
case("index_mask", f_index_mask, [A(3, 4)], "index")
case("index_mask_rows", f_index_mask_rows, [A(4, 3), A(4)], "index")
case("setitem_fill", f_setitem_fill, [A(3), A(2)], ("setitem", "index"))
case("setitem_broadcast_value", f_setitem_broadcast, [A(3, 4), A(2)], "setitem")
case("setitem_python_float_into_column", f_setitem_scalar_into_slice, [A(3, 4), F()], "setitem")
case("setitem_augmented", f_setitem_augmented, [A(4, 2), A(2)], ("setitem", "index"))
case("setitem_mask", f_setitem_mask, [A(3, 4)], ("setitem", "index"))
case("setitem_repeated_last_write", f_setitem_repeated, [A(5), A(3)], "setitem")
case("setitem_repeated_augmented", f_setitem_repeated_augmented, [A(5), A(3)], ("setitem", "index"))
case("setitem_argument", f_setitem_argument, [A(4), F()], "setitem")
case("setitem_old_value_read_later", f_setitem_old_value_read_later, [A(4)], "setitem")
case("setitem_through_view", f_setitem_through_view, [A(2), A(3)], ("setitem", "index"))
case("setitem_aliases", f_setitem_aliases, [A(3, 2)], ("setitem", "index"))
case(
    "index_add_second_order",
    f_index_hvp,
    [A(4), A(3), A(4)],
    ("index_add", "index"),
    ref=ref_index_hvp,
)
case(
    "setitem_second_order",
    f_setitem_hvp,
    [A(3), A(3)],
    ("setitem", "index", "index_add"),
    ref=ref_setitem_hvp,
)
case(
    "setitem_repeated_second_order",
    f_setitem_repeated_hvp,
    [A(5), A(3), A(5)],
    ("setitem", "index"),
    ref=ref_setitem_repeated_hvp,
)


# ---- nan-reductions, order statistics, matrix powers, real-array helpers (issue 7) -----


def f_nanmax_nanmin(x):
    return (
        np.sum(np.sin(np.nanmax(x, axis=0)))
        + np.sin(np.nanmin(x))
        + np.sum(x * np.nanmax(x, axis=1, keepdims=True))
    )


def f_nan_only(x):
    """x only through nan-skipping reductions: a nan of x gets 0, the rest as if it were
    not there."""
    w = np.arange(1.0, 5.0)
    return (
        np.sum(np.sin(np.nanmax(x, axis=0)))
        + np.sin(np.nanmin(x)) * 2.0
        + np.sum(np.sin(np.nanvar(x, axis=1)))
        + np.nanstd(x, ddof=1)
        + np.sum(np.nanstd(x, axis=0, keepdims=True) * w)
        + np.sum(np.sin(np.nancumsum(x, axis=1)) * w)
        + np.sin(np.nanprod(x, axis=0)[1])
    )


def f_nanprod(x):
    return np.sum(np.sin(np.nanprod(x, axis=1))) + np.nanprod(x) * 0.5


def f_nanvar_nanstd(x):
    return (
        np.sum(np.sin(np.nanvar(x, axis=0)))
        + np.nanstd(x, ddof=1)
        + np.sum(np.nanstd(x, axis=1, keepdims=True) * x)
    )


def f_nancumsum(x):
    return np.sum(np.sin(np.nancumsum(x, axis=1))) + np.sum(np.nancumsum(x) * np.arange(12.0))


def f_median(x):
    return (
        np.sin(np.median(x))
        + np.sum(np.sin(np.median(x, axis=0)))
        + np.sum(np.median(x, axis=1, keepdims=True) * x)
    )


def f_quantile_percentile(x):
    return (
        np.sin(np.quantile(x, 0.3))
        + np.sum(np.sin(np.quantile(x, 0.75, axis=1)))
        + np.sum(np.percentile(x, 40.0, axis=0, keepdims=True) * x)
        + np.percentile(x, 100, axis=None, keepdims=True)[0, 0]
    )


def f_matrix_power(a):
    w = np.arange(9.0).reshape(3, 3) - 3.0
    return (
        np.sum(np.linalg.matrix_power(a, 3) * w)
        + np.sum(np.linalg.matrix_power(a, 1))
        + np.sum(np.linalg.matrix_power(a, -2) * w)
        + np.sum(np.linalg.matrix_power(a, 0))
    )


def f_multi_dot(a, b, c, v):
    return (
        np.sum(np.sin(np.linalg.multi_dot([a, b, c])))
        + np.sin(np.linalg.multi_dot([v, a, b, c, v]))
        + np.sum(np.linalg.multi_dot([a, b]))
    )


def f_real_conj(x):
    return np.sum(np.sin(np.real(x)) * np.conj(x) + np.conjugate(x) * x.conj() + x.real**2)


def f_nan_to_num(x):
    w = np.arange(1.0, 5.0)
    return np.sum(
        np.sin(np.nan_to_num(x)) * w + np.nan_to_num(x, nan=2.0, posinf=3.0, neginf=-1.0) ** 2
    )


def f_copysign(x, y):
    return np.sum(np.sin(np.copysign(x, y)) * np.arange(1.0, 13.0).reshape(3, 4))


def f_item(x):
    return np.sin(x[1:2, 2].item()) * x[0, 0].item() + np.sum(x)


case("nanmax_nanmin", f_nanmax_nanmin, [A(3, 4)], ("nanmax", "nanmin"))
case(
    "nan_reductions_of_nans",
    f_nan_only,
    [FIXED([[1.0, np.nan, 2.0, -1.0], [1.0, 0.5, np.nan, -1.0], [0.5, 0.25, 2.5, 3.0]])],
    ("nanmax", "nanmin", "nanvar", "nanstd", "nancumsum", "nanprod"),
)
case("nanprod", f_nanprod, [A(3, 4)], "nanprod")
case(
    "nanprod_zeros",
    f_nanprod,
    [FIXED([[1.5, 0.0, 2.0, 0.7], [0.0, 0.7, 0.0, 0.4], [0.3, -1.1, 0.5, 1.2]])],
    "nanprod",
)
case("nanvar_nanstd", f_nanvar_nanstd, [A(3, 4)], ("nanvar", "nanstd"))
case("nancumsum", f_nancumsum, [A(3, 4)], "nancumsum")
case("median", f_median, [A(3, 4)], "median")
case("median_odd", f_median, [A(5, 3)], "median")
case("quantile_percentile", f_quantile_percentile, [A(3, 4)], ("quantile", "percentile"))
case(
    "matrix_power",
    f_matrix_power,
    [FIXED([[1.0, 0.3, -0.2], [0.1, 0.8, 0.4], [-0.3, 0.2, 1.2]])],
    "matrix_power",
)
case("multi_dot", f_multi_dot, [A(3, 4), A(4, 2), A(2, 3), A(3)], "matmul")
case("real_conj", f_real_conj, [A(3, 4)], ("real", "conj"))
case("nan_to_num", f_nan_to_num, [A(3, 4)], "nan_to_num")
case(
    "nan_to_num_replaced",
    f_nan_to_num,
    [FIXED([[1.5, np.inf, np.nan, 0.7], [-np.inf, 0.7, 0.9, 0.4]])],
    "nan_to_num",
)
case("copysign", f_copysign, [A(3, 4, lo=0.2, hi=2.0, signed=True), A(4, **AWAY)], "copysign")
case("item", f_item, [A(2, 3)], "pyfloat")


# ---- non-differentiable ops inside differentiable code ------------------------------


def f_floor_times_x(x):
    return np.sum(np.floor(x) * x + np.sign(x) * np.ceil(x))


def f_maximum_weighted(x, y, w):
    return np.sum(np.maximum(x, y) * w)


def f_minimum_weighted(x, y, w):
    return np.sum(np.minimum(x, y) * w)


def f_fmax_fmin_nan(x, y):
    return np.sum(np.fmax(x, y) + np.fmin(y, x) * 2.0)


def f_matrix_norm_1(m):
    return np.linalg.norm(m, 1)


def f_matrix_norm_inf(m):
    return np.linalg.norm(m, np.inf)


def f_eigh_vectors(a):
    _, v = np.linalg.eigh(a)
    return np.sum(v * np.arange(9.0).reshape(3, 3))


def f_eigvalsh_sum_of_squares(a):
    return np.sum(np.linalg.eigvalsh(a) ** 2)


def f_nan_reductions(x):
    return np.nansum(x * 2.0) + np.sum(np.nanmean(x, axis=0) * np.array([1.0, 2.0, 3.0]))


# calls refused at their line by their op's check (OpDef.check), with a fragment of the message
def r_norm_of_matrix(x):
    return np.linalg.norm(x, 3)


def r_norm_over_three_axes(x):
    return np.linalg.norm(x[None], axis=(0, 1, 2))


def r_norm_of_rank_3_without_axis(x):
    return np.linalg.norm(x[None], 2)


def r_qr_complete(x):
    q, r = np.linalg.qr(x, mode="complete")
    return np.sum(r)


def r_qr_of_a_wide_matrix(x):
    q, r = np.linalg.qr(np.ones((2, 3)) * x[0, 0])
    return np.sum(r)


def r_svd_full_matrices(x):
    u, s, vh = np.linalg.svd(x)
    return np.sum(s)


def r_svd_hermitian(x):
    return np.sum(np.linalg.svd(x, compute_uv=False, hermitian=True))


def r_eigh_uplo(x):
    w, v = np.linalg.eigh(x, UPLO="X")
    return np.sum(w)


def r_cholesky_of_a_vector(x):
    return np.sum(np.linalg.cholesky(x[0]))


def r_pinv_rcond(x):
    return np.sum(np.linalg.pinv(x, rcond=0.1))


def r_repeat_method_by_tuple(x):
    return np.sum(x.repeat((1, 2, 1), axis=1))


def r_tile_by_tuple(x):
    return np.sum(np.tile(x, (2, 1)))


def r_linspace_of_arrays(x):
    return np.sum(np.linspace(x[0], x[1], 3))


def r_pad_edge(x):
    return np.sum(np.pad(x, 1, mode="edge"))


def r_split_by_a_runtime_count(x):
    a, b = np.split(x, x.shape[0])
    return np.sum(a)


def r_diag_of_3d(x):
    return np.sum(np.diag(x[None]))


def r_take_float_indices(x):
    return np.sum(np.take(x, x[0]))


def r_rot90_one_axis_twice(x):
    return np.sum(np.rot90(x, 1, (0, 0)))


def r_max_where_without_initial(x):
    return np.max(x, where=x > 0.0)


def r_cross_of_2_vectors(x):
    y = np.reshape(x, (3, 2))
    return np.sum(np.cross(y, y * 2.0))


def r_kron_of_mixed_ranks(x):
    return np.sum(np.kron(x, x[0]))


def r_select_uneven_lists(x):
    return np.sum(np.select([x > 0.0, x < -1.0], [x]))


def r_quantile_nearest(x):
    return np.quantile(x, 0.5, method="nearest")


def r_quantile_of_a_list(x):
    return np.sum(np.quantile(x, [0.25, 0.75]))


def r_matrix_power_by_a_float(x):
    return np.sum(np.linalg.matrix_power(x, 1.5))


def r_item_of_an_int_array(x):
    return np.sum(x) * np.argsort(x)[0, 0].item()


REFUSED = [
    (r_quantile_nearest, "np.quantile with method='nearest'"),
    (r_quantile_of_a_list, "np.quantile takes one constant number q from 0 to 1"),
    (r_matrix_power_by_a_float, "np.linalg.matrix_power takes a constant int power"),
    (r_item_of_an_int_array, "x.item() is supported without arguments, of a float"),
    (r_norm_of_matrix, "np.linalg.norm of a matrix with ord=3 is not a matrix norm"),
    (r_norm_over_three_axes, "np.linalg.norm over axis=(0, 1, 2) is not supported"),
    (r_norm_of_rank_3_without_axis, "of an array of rank 3 needs an axis"),
    (r_qr_complete, "np.linalg.qr with mode='complete' is not supported"),
    (r_qr_of_a_wide_matrix, "np.linalg.qr of a wide matrix (2 x 3) is not supported"),
    (r_svd_full_matrices, "np.linalg.svd with full_matrices=True"),
    (r_svd_hermitian, "np.linalg.svd with hermitian=True is not supported"),
    (r_eigh_uplo, "np.linalg.eigh with UPLO='X' is not supported"),
    (r_cholesky_of_a_vector, "np.linalg.cholesky takes a matrix or a stack of them"),
    (r_pinv_rcond, "the argument 'rcond' of np.linalg.pinv is not supported"),
    (r_repeat_method_by_tuple, "np.repeat takes a constant non-negative int count"),
    (r_tile_by_tuple, "np.tile takes a constant non-negative int count"),
    (r_linspace_of_arrays, "np.linspace of array endpoints"),
    (r_pad_edge, "np.pad with mode='edge' is not supported"),
    (r_split_by_a_runtime_count, "'indices_or_sections' of np.split must be a constant"),
    (r_diag_of_3d, "np.diag takes a 1-d or 2-d array"),
    (r_take_float_indices, "the indices of np.take are integers"),
    (r_rot90_one_axis_twice, "np.rot90 takes constant distinct int axes"),
    (r_max_where_without_initial, "np.max with where= needs initial="),
    (r_cross_of_2_vectors, "np.cross takes two arrays of 3-vectors"),
    (r_kron_of_mixed_ranks, "np.kron takes two 1-d or two 2-d arrays"),
    (r_select_uneven_lists, "of as many conditions as choices"),
]


def f_nondifferentiable_only(x):
    y = np.floor(x) + np.ceil(x) * np.sign(x) + x // 0.7 + np.where(x > 0.0, 1.0, 0.0)
    return np.sum(y) + np.argmax(x) * 1.0


case("floor_times_x", f_floor_times_x, [A(3, 4, lo=-2.9, hi=2.9)], "mul")


# ---- non-differentiable ops: gradients(...) gives None, grad(...) zeros -------------------


def nd_floor(x, mode):
    return s2sgrad.gradients(np.sum(np.floor(x)), [x], unconnected_gradients=mode)


def nd_ceil(x, mode):
    return s2sgrad.gradients(np.sum(np.ceil(x)), [x], unconnected_gradients=mode)


def nd_sign(x, mode):
    return s2sgrad.gradients(np.sum(np.sign(x)), [x], unconnected_gradients=mode)


def nd_floordiv(x, mode):
    return s2sgrad.gradients(np.sum(x // 0.7), [x], unconnected_gradients=mode)


def nd_compare(x, mode):
    y = (x == 0.5) + (x != 0.5) + (x < 0.5) + (x <= 0.5) + (x > 0.5) + (x >= 0.5)
    return s2sgrad.gradients(np.sum(np.where(y > 3, 1.0, 2.0)), [x], unconnected_gradients=mode)


def nd_argmax(x, mode):
    return s2sgrad.gradients(
        np.argmax(x) * 1.5 + np.argmin(x, axis=0) * 0.5, [x], unconnected_gradients=mode
    )


def nd_like(x, mode):
    return s2sgrad.gradients(
        np.sum(np.ones_like(x) + np.zeros_like(x)), [x], unconnected_gradients=mode
    )


def nd_shape(x, mode):
    y = np.ones(np.shape(x)) + np.zeros(x.shape) * np.size(x)
    return s2sgrad.gradients(np.sum(y), [x], unconnected_gradients=mode)


def nd_rounding(x, mode):
    y = np.rint(x) + np.trunc(x) * 2.0 + np.fix(x) * 3.0
    return s2sgrad.gradients(np.sum(y), [x], unconnected_gradients=mode)


def nd_predicates(x, mode):
    p = np.logical_or(np.isnan(x), np.logical_and(np.isfinite(x), np.logical_not(np.isinf(x))))
    q = np.logical_xor(x > 0.5, x < 1.0)
    return s2sgrad.gradients(
        np.sum(np.where(p, 1.0, 2.0) + np.where(q, 3.0, 4.0)), [x], unconnected_gradients=mode
    )


def nd_creation(x, mode):
    y = np.arange(np.sum(x), 9.0)[:3] + np.arange(x.shape[1]) * np.eye(x.shape[0])[0][:, None]
    return s2sgrad.gradients(
        np.sum(y * np.identity(2)[0][:, None]), [x], unconnected_gradients=mode
    )


def nd_round_argsort_tri(x, mode):
    y = np.round(x, 1) + np.around(x) + x.round(2) + np.argsort(x, axis=0) * 0.5
    z = np.tri(2, 3) * np.argsort(x) + np.tri(2, 3, k=-1)
    return s2sgrad.gradients(np.sum(y) + np.sum(z), [x], unconnected_gradients=mode)


def nd_stop_gradient(x, mode):
    return s2sgrad.gradients(
        np.sum(s2sgrad.stop_gradient(x) * 2.0), [x], unconnected_gradients=mode
    )


def nd_truth_counts(x, mode):
    y = (
        np.any(x > 0.5, axis=0) * 1.0
        + np.all(x > 0.0, axis=1, keepdims=True)
        + x.any()
        + x.all()
        + np.count_nonzero(x > 1.0, axis=0)
        + np.count_nonzero(x)
    )
    return s2sgrad.gradients(
        np.sum(y) + np.sum(np.flatnonzero(x > 0.5)), [x], unconnected_gradients=mode
    )


def nd_positions(x, mode):
    y = np.searchsorted(np.sort(x[0]), x[1]) + np.digitize(x, [0.0, 1.0], right=True)
    return s2sgrad.gradients(np.sum(y * 1.5), [x], unconnected_gradients=mode)


def nd_empty(x, mode):
    y = np.empty(x.shape)
    z = np.empty_like(x)
    y[...] = x * 0.0 + 1.0
    z[:] = 2.0
    return s2sgrad.gradients(np.sum(s2sgrad.stop_gradient(y) * z), [x], unconnected_gradients=mode)


def nd_draws(x, mode, gen):
    """Draws are constants: of x's shape, they carry no gradient to x."""
    y = gen.standard_normal(x.shape) * gen.random() + gen.integers(0, 3, x.shape)
    return s2sgrad.gradients(np.sum(y), [x], unconnected_gradients=mode)


# ---- lists built with append (rules/lists.py) ------------------------------------------


def f_list_append(x, w):
    out = [x * w[0]]
    for i in range(3):
        out.append(np.sin(out[-1] * w[i]))
    out.append(x)
    return np.sum(np.sin(np.stack(out, axis=1)) * 1.3) + np.sum(np.array(out) ** 2)


def f_list_reads(x, w):
    out = []
    for i in range(2):
        out.append(x * w[i])
    return np.sum(np.sin(sum(out))) + np.sum(np.concatenate(out) ** 3) + np.sum(out[1] * w[2])


def f_list_rows_second_order(x, v):
    out = [x, x * x]
    out.append(np.sin(x))
    (d,) = s2sgrad.gradients(np.sum(np.sin(sum(out))) + np.sum(out[1] * 2.0), [x])
    return np.sum(d * v)


def ref_list_rows_second_order(x, v):
    return np.sum(s2sgrad.grad(_list_rows_inner)(x) * v)


def _list_rows_inner(x):
    out = [x, x * x]
    out.append(np.sin(x))
    return np.sum(np.sin(sum(out))) + np.sum(out[1] * 2.0)


case(
    "list_append",
    f_list_append,
    [A(3), A(3)],
    ("list_new", "append", "list_get", "list_stack", "list_array"),
)
case("list_reads", f_list_reads, [A(2, 3), A(3)], ("list_sum", "list_concat", "list_get"))
case(
    "list_rows_second_order",
    f_list_rows_second_order,
    [A(3), A(3)],
    ("list_rows",),
    ref=ref_list_rows_second_order,
)


def nd_pyint(x, mode):
    return s2sgrad.gradients(int(np.sum(x)) * 1.5, [x], unconnected_gradients=mode)


def nd_pyround(x, mode):
    return s2sgrad.gradients(
        round(np.sum(x), 1) * 1.5 + round(np.sum(x)), [x], unconnected_gradients=mode
    )


def nd_list_len(x, mode):
    out = [x]
    for i in range(2):
        out.append(x * i)
    return s2sgrad.gradients(len(out) * 1.0, [x], unconnected_gradients=mode)


def nd_assert(x, mode):
    assert np.all(x < 10.0), "small"
    return s2sgrad.gradients(np.sum(x > 0.0) * 1.5, [x], unconnected_gradients=mode)


# (opcodes declared non-differentiable that the function sends x through, function)
NONDIFF_CASES = [
    (("check_assert",), nd_assert),
    (("floor",), nd_floor),
    (("ceil",), nd_ceil),
    (("sign",), nd_sign),
    (("floordiv",), nd_floordiv),
    (("eq", "ne", "lt", "le", "gt", "ge"), nd_compare),
    (("argmax", "argmin"), nd_argmax),
    (("ones_like", "zeros_like"), nd_like),
    (("shape", "ones", "zeros", "size"), nd_shape),
    (("stop_gradient",), nd_stop_gradient),
    (("rint", "trunc", "fix"), nd_rounding),
    (("arange", "eye"), nd_creation),
    (("round", "argsort", "tri"), nd_round_argsort_tri),
    (
        ("isnan", "isfinite", "isinf", "logical_or", "logical_and", "logical_not", "logical_xor"),
        nd_predicates,
    ),
    (("any", "all", "count_nonzero", "flatnonzero"), nd_truth_counts),
    (("searchsorted", "digitize"), nd_positions),
    (("empty", "empty_like"), nd_empty),
    (("standard_normal", "random", "integers"), nd_draws),
    (("list_len",), nd_list_len),
    (("pyint",), nd_pyint),
    (("pyround",), nd_pyround),
]

# `not` is lowered only on static values (folded at transform time); on a runtime
# value the frontend refuses it, so no gradient can ever meet it.
NONDIFF_UNREACHABLE = {
    "not": "folded on static values, refused on runtime values",
    "list_zeros": "forward mode's zero tangent of a list, never differentiated",
}


_STEPS = np.array([0.0, 1.5, -0.7, 0.0])  # (a constant: central differences at its zeros
_STEPS_2D = _STEPS.reshape(2, 2)  # would see the step, constant off 0)


def f_heaviside(h):  # (the step is h where x is 0: the gradient to h)
    return np.sum(np.sin(np.heaviside(_STEPS, h) * h))


def f_heaviside_broadcast(h):
    return np.sum(np.sin(np.heaviside(_STEPS_2D, h) * h))


case("heaviside", f_heaviside, [A(4)], ("heaviside", "mul"))
case("heaviside_broadcast", f_heaviside_broadcast, [F()], "heaviside")


def f_seed_shape(x, n):
    y = np.sin(x)
    (d,) = s2sgrad.gradients(y, [x], grad_ys=[x[:n] * x[:n]])  # (checked as it runs)
    return np.sum(d * x)


def ref_seed_shape(x, n):
    return np.sum(np.cos(x) * x**3)


case("seed_shape", f_seed_shape, [A(4), STATIC(np.int64(4))], "seed_shape", ref=ref_seed_shape)
