"""Tangent rules: forward mode's table (s2sgrad/forward.py), one entry per opcode.

A rule `rule(b, dots, ans, *operands, **attrs)` gets the builder `b`, the operands'
tangents `dots` (None for a symbolic zero: an operand with no tangent is never
materialised), the result `ans`, the operands and the op's attributes, and returns
the result's tangent (None for zero). The driver casts it to the result's dtype and
broadcasts it to the result's shape where an operand was broadcast. Written out from
each op's mathematics, never by transposing a reverse rule at run time.
"""

import math

import numpy as np

from . import reductions, scan
from .shape import _slice_along

TANGENTS: dict = {}


def deftangent(*opcodes):
    def register(fn):
        for opcode in opcodes:
            if opcode in TANGENTS:
                raise ValueError(f"a tangent rule for {opcode!r} is already registered")
            TANGENTS[opcode] = fn
        return fn

    return register


def _plus(b, *terms):
    """The sum of the terms that are not None (None when all are)."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else b.add(out, t)
    return out


def _times(b, factor, dot):
    return None if dot is None else b.mul(dot, factor)


# ---- linear in their first operand: the op applied to its tangent --------------------------


@deftangent(
    "neg",
    "pos",
    "copy",
    "reshape",
    "transpose",
    "T",
    "expand_dims",
    "squeeze",
    "broadcast_to",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "tril",
    "triu",
    "cumsum",
    "sum",
    "sum_where",
    "mean",
    "trace",
    "diagonal",
    "index",
    "float64",
    "float32",
    "asarray",
    "array",
    "astype",
    "pyfloat",
    "rot90",
    "real",
    "conj",
    "take",
    "tile",
    "repeat",
    "diag",
    "take_along_axis",
    "unbroadcast",
    "loop_index",
    "three_vector",
    "seed_shape",
)
def linear(b, dots, ans, x, *rest, **attrs):
    """d f(x, ...) = f(dx, ...) for f linear in x (the other operands are indices, shapes)"""
    if dots[0] is None:
        return None
    return b.emit(ans_opcode(b, ans), dots[0], *rest, **attrs)


def ans_opcode(b, ans):
    return b.defs[ans].opcode


# ---- multilinear: one term an operand ---------------------------------------------------


@deftangent("mul", "matmul", "dot", "einsum", "outer", "cross")
def multilinear(b, dots, ans, *xs, **attrs):
    """d f(x, y) = f(dx, y) + f(x, dy) for f linear in each operand"""
    opcode = ans_opcode(b, ans)
    if opcode == "mul" and xs[0] is xs[1]:  # x * x: 2 x dx
        return b.mul(b.mul(dots[0], xs[0]), 2.0)
    terms = []
    for i, d in enumerate(dots):
        if d is not None:
            terms.append(b.emit(opcode, *xs[:i], d, *xs[i + 1 :], **attrs))
    return _plus(b, *terms)


@deftangent("add")
def add(b, dots, ans, x, y):
    """d(x + y) = dx + dy"""
    return _plus(b, *dots)


@deftangent("sub")
def sub(b, dots, ans, x, y):
    """d(x - y) = dx - dy"""
    dx, dy = dots
    if dy is None:
        return dx
    return b.neg(dy) if dx is None else b.sub(dx, dy)


@deftangent("div")
def div(b, dots, ans, x, y):
    """d(x / y) = (dx - (x / y) dy) / y"""
    dx, dy = dots
    if dy is None:
        return b.div(dx, y)
    dq = b.mul(dy, ans)
    return b.div(b.neg(dq) if dx is None else b.sub(dx, dq), y)


@deftangent("pow")
def pow_(b, dots, ans, x, y):
    """d(x ** y) = y x**(y-1) dx + log(x) x**y dy  (0 log 0 = 0; x ** 0 is constant, also
    at x = 0, as in the reverse rule)"""
    dx, dy = dots
    c = b.static_value(y)
    if dx is None or c == 0 and not isinstance(c, bool):
        tx = None
    elif isinstance(c, (int, float)) and not isinstance(c, bool):  # x ** 2: 2 x dx
        tx = (
            dx
            if c == 1
            else b.mul(dx, b.mul(x, float(c)) if c == 2 else b.mul(b.pow(x, c - 1), float(c)))
        )
    else:
        slope = b.where(b.eq(y, 0), 0.0, b.mul(y, b.pow(x, b.sub(y, 1.0))))
        tx = b.mul(dx, slope)
    ty = None
    if dy is not None:
        safe = b.where(b.eq(x, 0.0), 1.0, x)
        ty = b.mul(dy, b.mul(ans, b.log(safe)))
    return _plus(b, tx, ty)


# ---- elementwise functions of one argument: f'(x) dx --------------------------------------


def _unary(opcode, slope):
    @deftangent(opcode)
    def rule(b, dots, ans, x):
        return _times(b, slope(b, ans, x), dots[0])

    rule.__name__ = opcode
    rule.__doc__ = f"d {opcode}(x) = {slope.__doc__} dx"
    return rule


def _s(doc):
    def mark(fn):
        fn.__doc__ = doc
        return fn

    return mark


_unary("exp", _s("exp(x)")(lambda b, ans, x: ans))
_unary("expm1", _s("exp(x)")(lambda b, ans, x: b.add(ans, 1.0)))
_unary("exp2", _s("2ˣ log 2")(lambda b, ans, x: b.mul(ans, math.log(2.0))))
_unary("log", _s("1/x")(lambda b, ans, x: b.div(1.0, x)))
_unary("log2", _s("1/(x log 2)")(lambda b, ans, x: b.div(1.0 / math.log(2.0), x)))
_unary("log10", _s("1/(x log 10)")(lambda b, ans, x: b.div(1.0 / math.log(10.0), x)))
_unary("log1p", _s("1/(1 + x)")(lambda b, ans, x: b.div(1.0, b.add(x, 1.0))))
_unary("sqrt", _s("1/(2 √x)")(lambda b, ans, x: b.div(0.5, ans)))
_unary("cbrt", _s("1/(3 ∛x²)")(lambda b, ans, x: b.div(1.0 / 3.0, b.mul(ans, ans))))
_unary("square", _s("2x")(lambda b, ans, x: b.mul(x, 2.0)))
_unary("reciprocal", _s("-1/x²")(lambda b, ans, x: b.neg(b.mul(ans, ans))))
_unary("abs", _s("sign(x)")(lambda b, ans, x: b.sign(x)))
_unary("fabs", _s("sign(x)")(lambda b, ans, x: b.sign(x)))
_unary("sin", _s("cos(x)")(lambda b, ans, x: b.cos(x)))
_unary("cos", _s("-sin(x)")(lambda b, ans, x: b.neg(b.sin(x))))
_unary("tan", _s("1 + tan²x")(lambda b, ans, x: b.add(b.mul(ans, ans), 1.0)))
_unary("tanh", _s("1 - tanh²x")(lambda b, ans, x: b.sub(1.0, b.mul(ans, ans))))
_unary("sinh", _s("cosh(x)")(lambda b, ans, x: b.cosh(x)))
_unary("cosh", _s("sinh(x)")(lambda b, ans, x: b.sinh(x)))
_unary("arctan", _s("1/(1 + x²)")(lambda b, ans, x: b.div(1.0, b.add(b.mul(x, x), 1.0))))
_unary("arcsin", _s("1/√(1 - x²)")(lambda b, ans, x: b.div(1.0, b.sqrt(b.sub(1.0, b.mul(x, x))))))
_unary("arccos", _s("-1/√(1 - x²)")(lambda b, ans, x: b.div(-1.0, b.sqrt(b.sub(1.0, b.mul(x, x))))))
_unary("arcsinh", _s("1/√(x² + 1)")(lambda b, ans, x: b.div(1.0, b.sqrt(b.add(b.mul(x, x), 1.0)))))
_unary("arccosh", _s("1/√(x² - 1)")(lambda b, ans, x: b.div(1.0, b.sqrt(b.sub(b.mul(x, x), 1.0)))))
_unary("arctanh", _s("1/(1 - x²)")(lambda b, ans, x: b.div(1.0, b.sub(1.0, b.mul(x, x)))))
_unary("deg2rad", _s("π/180")(lambda b, ans, x: math.pi / 180.0))
_unary("rad2deg", _s("180/π")(lambda b, ans, x: 180.0 / math.pi))


# ---- selection ---------------------------------------------------------------------------


@deftangent("where")
def where(b, dots, ans, cond, x, y):
    """d where(c, x, y) = where(c, dx, dy)"""
    _, dx, dy = dots
    if dx is None and dy is None:
        return None
    return b.where(
        cond, b.zeros_like(x) if dx is None else dx, b.zeros_like(y) if dy is None else dy
    )


@deftangent("maximum", "minimum")
def extremum(b, dots, ans, x, y):
    """d max(x, y) = dx where x is taken (ties: x's, as the reverse rule), else dy"""
    take_x = b.ge(x, y) if ans_opcode(b, ans) == "maximum" else b.le(x, y)
    return where(b, (None,) + tuple(dots), ans, take_x, x, y)


@deftangent("clip")
def clip(b, dots, ans, x, lo, hi):
    """clip(x, lo, hi) = minimum(maximum(x, lo), hi) (NumPy's order; lo or hi None: that
    bound absent): m = maximum(x, lo), dm = dx where x >= lo, else dlo; d clip = dm where
    m <= hi, else dhi (ties to the first operand, as maximum/minimum and the reverse rule)"""
    dx, dlo, dhi = dots
    missing = object()
    m, dm = x, dx
    if b.static_value(lo, missing) is not None:
        dm = where(b, (None, dm, dlo), ans, b.ge(x, lo), x, lo)
        m = b.maximum(x, lo)
    if b.static_value(hi, missing) is not None:
        dm = where(b, (None, dm, dhi), ans, b.le(m, hi), m, hi)
    return dm


@deftangent("max", "min")
def reduce_extremum(b, dots, ans, x, axis=None, keepdims=False, initial=None):
    """d max(x) = the mean of dx over the elements equal to the max (ties share equally, as
    the reverse rule; 0 where the initial value is the max and no element is)"""
    if dots[0] is None:
        return None
    full = b.expand_dims(ans, axis=axis) if axis is not None and not keepdims else ans
    hit = b.eq(x, full)
    count = b.sum(hit, axis=axis, keepdims=keepdims)
    if initial is not None:
        count = b.maximum(count, 1)
    return b.div(b.sum(b.mul(hit, dots[0]), axis=axis, keepdims=keepdims), count)


@deftangent("var", "std")
def spread(b, dots, ans, x, axis=None, dtype=None, ddof=0, keepdims=False):
    """d var(x) = 2 mean((x - mean x) dx) n/(n - ddof); d std = d var / (2 std)"""
    if dots[0] is None:
        return None
    centered = b.sub(x, b.mean(x, axis=axis, keepdims=True))
    n = reductions._count(b, x, ans, axis)  # (size(x) / size(mean) divides by zero where
    # another axis is empty)
    dvar = b.mul(
        b.div(b.sum(b.mul(centered, dots[0]), axis=axis, keepdims=keepdims), b.sub(n, float(ddof))),
        2.0,
    )
    if ans_opcode(b, ans) == "var":
        return dvar
    return b.div(dvar, b.mul(ans, 2.0))


@deftangent("concatenate")
def concatenate(b, dots, ans, *xs, axis=0):
    """d concatenate(xs) = concatenate(dxs) (zeros for a part with no tangent)"""
    if all(d is None for d in dots):
        return None
    parts = [b.zeros_like(x) if d is None else d for x, d in zip(xs, dots)]
    return b.concatenate(*parts, axis=axis)


# ---- structure and writes ----------------------------------------------------------------


@deftangent("tuple", "list")
def sequence(b, dots, ans, *items):
    """d (a, b) = (da, db) (zeros for an item with no tangent)"""
    if all(d is None for d in dots):
        return None
    parts = [zeros_like(b, x) if d is None else d for x, d in zip(items, dots)]
    return b.emit(ans_opcode(b, ans), *parts)


@deftangent("getitem")
def getitem(b, dots, ans, t, index=None):
    """d t[k] = dt[k]"""
    return None if dots[0] is None else b.getitem(dots[0], index=index)


@deftangent("setitem", "index_add")
def write(b, dots, ans, y, v, *dyn, key=None):
    """d (y with y[k] = v) = dy with dy[k] = dv (add.at alike)"""
    dy, dv = dots[:2]
    if dy is None and dv is None:
        return None
    return b.emit(
        ans_opcode(b, ans),
        zeros_like(b, y) if dy is None else dy,
        zeros_like(b, v) if dv is None else dv,
        *dyn,
        key=key,
    )


@deftangent("split", "array_split")
def sections(b, dots, ans, x, indices_or_sections, axis=0):
    """d split(x) = split(dx): each section's tangent the same section of dx"""
    if dots[0] is None:
        return None
    n = len(ans) if isinstance(ans, tuple) else 1
    first = ans[0] if isinstance(ans, tuple) else ans
    out = b.emit(
        b.defs[first].opcode,
        dots[0],
        nresults=n,
        indices_or_sections=indices_or_sections,
        axis=axis,
    )
    return tuple(out) if n > 1 else out


def zeros_like(b, x):
    """A zero tangent materialised where a value must exist (a join, a write): None for a
    None placeholder, 0.0 for a Python number, else zeros of x's shape and dtype."""
    made = b.defs.get(x)
    if made is not None and made.opcode == "const" and made.attr("value") is None:
        return b.const(None)  # (a branch's or a loop's None, for a value another path
        # makes: its tangent is None too, never np.zeros_like(None), a 0-d array that
        # would stand in for the value's shape)
    if x.type.weak:
        return b.const(0.0)
    if x.type.kind == "dynlist":  # (a list built with append: a list of zeros; of an
        if made is not None and made.opcode == "list_new" and not made.operands:
            return b.list_new()
        return b.list_zeros(x)
    t = x.type
    if t.kind == "array" and t.shape == () and t.dtype is not None and t.is_float:
        return b.const(np.dtype(t.dtype).type(0.0))  # (a NumPy scalar, as a tangent
        # computed from one is: np.zeros_like of an np.float64 is a 0-d array)
    return b.zeros_like(x)


# ---- elementwise functions of two arguments ----------------------------------------------


@deftangent("arctan2")
def arctan2(b, dots, ans, y, x):
    """d arctan2(y, x) = (x dy - y dx) / (x² + y²)"""
    dy, dx = dots
    r2 = b.add(b.mul(x, x), b.mul(y, y))
    return _plus(b, _times(b, b.div(x, r2), dy), _times(b, b.neg(b.div(y, r2)), dx))


@deftangent("logaddexp")
def logaddexp(b, dots, ans, x, y):
    """d log(eˣ + eʸ) = dx / (1 + e^(y - x)) + dy / (1 + e^(x - y)) (the reverse rule's
    logistic form: exact at an infinite x or y, where e^(x - ans) is NaN)"""
    dx, dy = dots
    return _plus(
        b,
        None if dx is None else b.div(dx, b.add(1.0, b.exp(b.sub(y, x)))),
        None if dy is None else b.div(dy, b.add(1.0, b.exp(b.sub(x, y)))),
    )


@deftangent("logaddexp2")
def logaddexp2(b, dots, ans, x, y):
    """d log2(2ˣ + 2ʸ) = dx / (1 + 2^(y - x)) + dy / (1 + 2^(x - y))"""
    dx, dy = dots
    return _plus(
        b,
        None if dx is None else b.div(dx, b.add(1.0, b.exp2(b.sub(y, x)))),
        None if dy is None else b.div(dy, b.add(1.0, b.exp2(b.sub(x, y)))),
    )


@deftangent("heaviside")
def heaviside(b, dots, ans, x1, x2):
    """d heaviside(x1, x2) = [x1 = 0] dx2"""
    if dots[1] is None:
        return None
    return b.where(b.eq(x1, 0.0), dots[1], 0.0)


@deftangent("nansum")
def nansum(b, dots, ans, x, **attrs):
    """d Σx (nans skipped) = Σ dx where x is not nan"""
    if dots[0] is None:
        return None
    return b.emit("sum", b.where(b.isnan(x), 0.0, dots[0]), **attrs)


@deftangent("mod")
def mod(b, dots, ans, x, y):
    """d (x % y) = dx - floor(x / y) dy  (x % y = x - floor(x / y) y, floor piecewise constant)"""
    dx, dy = dots
    return _plus(b, dx, _times(b, b.neg(b.floor(b.div(x, y))), dy))


@deftangent("float_power")
def float_power(b, dots, ans, x, y):
    """d x^y (in float64) = y x^(y-1) dx + log(x) x^y dy, as **"""
    return pow_(b, dots, ans, x, y)


@deftangent("fmax", "fmin")
def fextremum(b, dots, ans, x, y):
    """d fmax(x, y) = dx where fmax returns x (x >= y, ties to x, or y is nan), else dy;
    fmin alike with x <= y"""
    pick = b.ge(x, y) if ans_opcode(b, ans) == "fmax" else b.le(x, y)
    return where(b, (None,) + tuple(dots), ans, b.logical_or(pick, b.isnan(y)), x, y)


@deftangent("copysign")
def copysign(b, dots, ans, x1, x2):
    """d copysign(x1, x2) = ±dx1: dx1 where x1's sign is kept, -dx1 where it is flipped (x2
    gives only its sign: none)"""
    if dots[0] is None:
        return None
    flipped = b.ne(b.copysign(1.0, x1), b.copysign(1.0, ans))
    return b.where(flipped, b.neg(dots[0]), dots[0])


@deftangent("nan_to_num")
def nan_to_num(b, dots, ans, x, **attrs):
    """d nan_to_num(x) = dx where x is finite, 0 where a nan or an infinity was replaced"""
    return None if dots[0] is None else b.where(b.isfinite(x), dots[0], 0.0)


# ---- constructors -------------------------------------------------------------------------


@deftangent("full")
def full(b, dots, ans, shape, fill_value, dtype=None):
    """d full(shape, v) = dv at every element (broadcast by the driver)"""
    return dots[1]


@deftangent("full_like")
def full_like(b, dots, ans, a, fill_value, dtype=None):
    """d full_like(a, v) = dv at every element (a gives only its shape)"""
    return dots[1]


@deftangent("linspace")
def linspace(b, dots, ans, start, stop, num=50, endpoint=True, dtype=None):
    """d linspace(a, c)[k] = (1 - t_k) da + t_k dc, t_k = k / (num - 1) (k / num without the
    endpoint; t = 0 for one point)"""
    t = b.div(b.arange(num), float((num - 1 if endpoint else num) or 1))
    da, dc = dots
    return _plus(b, _times(b, b.sub(1.0, t), da), _times(b, t, dc))


@deftangent("pad")
def pad(b, dots, ans, x, pad_width, mode="constant", constant_values=0):
    """d pad(x) = pad(dx) with zeros: the padding is constant"""
    if dots[0] is None:
        return None
    return b.emit("pad", dots[0], pad_width=pad_width, mode=mode)


# ---- sorting and order statistics: the gather argsort makes ------------------------------


def _flat_or(b, v, axis):
    return (b.reshape(v, (-1,)), 0) if axis is None else (v, axis)


def _sorted_tangent(b, x, dx, axis):
    """dx in the order sort(x) puts x's elements (np.argsort's order; ties as it gives them)."""
    order = b.argsort(x, axis=axis) if axis != -1 else b.argsort(x)
    return b.take_along_axis(dx, order, axis=axis)


@deftangent("sort")
def sort(b, dots, ans, a, axis=-1):
    """d sort(a) = dx permuted as a is: take_along_axis(da, argsort(a))"""
    if dots[0] is None:
        return None
    (x, k), (dx, _) = _flat_or(b, a, axis), _flat_or(b, dots[0], axis)
    return _sorted_tangent(b, x, dx, k)


def _order_statistic(b, dx, x, q, axis, keepdims):
    """d quantile(x, q) (linear interpolation) = Σₖ wₖ d sort(x)ₖ along the axis, h = q (n - 1),
    wₖ = max(0, 1 - |k - h|) (the two neighbours of h weighted (1 - γ, γ), as the reverse rule)"""
    if dx is None:
        return None
    flat = axis is None
    (xs, k), (ds, _) = _flat_or(b, x, axis), _flat_or(b, dx, axis)
    rank = len(xs.type.shape)
    k %= rank
    n = xs.type.shape[k]
    if not isinstance(n, int):
        n = b.getitem(b.shape(xs), index=k)
    ks = b.arange(n)
    if rank > 1:
        ks = b.reshape(ks, tuple(-1 if i == k else 1 for i in range(rank)))
    h = b.mul(b.sub(n, 1), q) if not isinstance(n, int) else (n - 1) * q
    weights = b.maximum(b.sub(1.0, b.abs(b.sub(ks, h))), 0.0)
    d = b.mul(_sorted_tangent(b, xs, ds, k if k != rank - 1 else -1), weights)
    return b.sum(d) if flat else b.sum(d, axis=k, keepdims=keepdims)


@deftangent("median")
def median(b, dots, ans, a, axis=None, keepdims=False, **attrs):
    """d median(x) = d quantile(x, 1/2)"""
    return _order_statistic(b, dots[0], a, 0.5, axis, keepdims)


@deftangent("quantile")
def quantile(b, dots, ans, a, q, axis=None, method="linear", keepdims=False, **attrs):
    """d quantile(x, q) = (1 - γ) d sort(x)[⌊h⌋] + γ d sort(x)[⌊h⌋ + 1], h = q (n - 1)"""
    return _order_statistic(b, dots[0], a, q, axis, keepdims)


@deftangent("percentile")
def percentile(b, dots, ans, a, q, axis=None, method="linear", keepdims=False, **attrs):
    """d percentile(x, p) = d quantile(x, p / 100)"""
    return _order_statistic(b, dots[0], a, q / 100, axis, keepdims)


# ---- reductions -----------------------------------------------------------------------------


@deftangent("prod")
def prod(b, dots, ans, x, axis=None, keepdims=False, dtype=None):
    """d Πx = Σⱼ (Π_{k≠j} xₖ) dxⱼ, exact at zeros (to every order: reductions.prod_others)"""
    if dots[0] is None:
        return None
    return b.sum(b.mul(reductions.prod_others(b, x, axis), dots[0]), axis=axis, keepdims=keepdims)


@deftangent("nanprod")
def nanprod(b, dots, ans, x, axis=None, keepdims=False, dtype=None):
    """d Πx (nans taken as 1) = prod's tangent of x with its nans set to 1, dx 0 at a nan"""
    if dots[0] is None:
        return None
    nan = b.isnan(x)
    return prod(
        b, (b.where(nan, 0.0, dots[0]),), ans, b.where(nan, 1.0, x), axis=axis, keepdims=keepdims
    )


@deftangent("ptp")
def ptp(b, dots, ans, x, axis=None, keepdims=False):
    """d (max - min) = d max - d min (ties shared equally)"""
    if dots[0] is None:
        return None
    up = _tie_mean(b, dots[0], x, b.max(x, axis=axis, keepdims=True), axis, keepdims)
    down = _tie_mean(b, dots[0], x, b.min(x, axis=axis, keepdims=True), axis, keepdims)
    return b.sub(up, down)


def _tie_mean(b, dx, x, best, axis, keepdims):
    """The mean of dx over the elements equal to best (none: 0, as at an all-nan slice)."""
    hit = b.eq(x, best)
    ties = b.maximum(b.sum(hit, axis=axis, keepdims=keepdims), 1)
    return b.div(b.sum(b.where(hit, dx, 0.0), axis=axis, keepdims=keepdims), ties)


@deftangent("nanmax", "nanmin")
def nan_extremum(b, dots, ans, x, axis=None, keepdims=False):
    """d nanmax(x) = the mean of dx over the elements equal to the max (a nan equals
    nothing: none from it; ties share equally, as the reverse rule)"""
    if dots[0] is None:
        return None
    full = b.expand_dims(ans, axis=axis) if axis is not None and not keepdims else ans
    return _tie_mean(b, dots[0], x, full, axis, keepdims)


@deftangent("nanmean")
def nanmean(b, dots, ans, x, axis=None, dtype=None, keepdims=False):
    """d nanmean(x) = Σ dx over the non-nans / their number"""
    if dots[0] is None:
        return None
    kept = b.logical_not(b.isnan(x))
    return b.div(
        b.sum(b.where(kept, dots[0], 0.0), axis=axis, keepdims=keepdims),
        b.sum(kept, axis=axis, keepdims=keepdims),
    )


@deftangent("nanvar", "nanstd")
def nan_spread(b, dots, ans, x, axis=None, dtype=None, ddof=0, keepdims=False):
    """d nanvar(x) = 2 Σ (x - mean x) dx / (n - ddof) over the non-nans (n of them);
    d nanstd = d nanvar / (2 nanstd)"""
    if dots[0] is None:
        return None
    kept = b.logical_not(b.isnan(x))
    centered = b.sub(x, b.nanmean(x, axis=axis, keepdims=True))
    n = b.sum(kept, axis=axis, keepdims=keepdims)
    total = b.sum(b.where(kept, b.mul(centered, dots[0]), 0.0), axis=axis, keepdims=keepdims)
    dvar = b.mul(b.div(total, b.sub(n, float(ddof)) if ddof else n), 2.0)
    return dvar if ans_opcode(b, ans) == "nanvar" else b.div(dvar, b.mul(ans, 2.0))


@deftangent("nancumsum")
def nancumsum(b, dots, ans, x, axis=None, dtype=None):
    """d nancumsum(x) = cumsum(dx with 0 at the nans)"""
    if dots[0] is None:
        return None
    d = b.where(b.isnan(x), 0.0, dots[0])
    return b.cumsum(d, axis=axis) if axis is not None else b.cumsum(d)


@deftangent("cumprod")
def cumprod(b, dots, ans, x, axis=None, dtype=None):
    """y = cumprod(x): dyᵢ = Σ_{j ≤ i} dxⱼ Π_{k ≤ i, k ≠ j} xₖ = Tᵢ, Tᵢ = dxᵢ Lᵢ + xᵢ Tᵢ₋₁ with
    Lᵢ = Π_{k < i} xₖ (yᵢ₋₁): a linear scan, no division, exact at zeros to every order. (Of
    the flattened x when axis is None.)"""
    if dots[0] is None:
        return None
    dx = dots[0]
    if axis is None:
        x, dx, axis = b.reshape(x, (-1,)), b.reshape(dx, (-1,)), 0
    before = reductions.exclusive_cumprod(
        b, x, axis, "before", cumprod=ans if dtype is None else None
    )
    return scan.scan(b, b.mul(dx, before), _slice_along(b, x, axis, 1, None), axis)


@deftangent("linear_scan")
def linear_scan(b, dots, ans, v, a, axis, reverse=False):
    """p = scan(v, a), pᵢ = vᵢ + aᵢ pᵢ₋₁ (reverse: pᵢ = vᵢ + aᵢ₊₁ pᵢ₊₁): dp = scan(dv + daᵢ pᵢ₋₁,
    a), a scan again"""
    dv, da = dots
    if da is not None:
        edge = b.zeros_like(_slice_along(b, ans, axis, 0, 1))
        term = b.mul(da, scan.previous(b, ans, axis, reverse))
        term = b.concatenate(*((term, edge) if reverse else (edge, term)), axis=axis)
        dv = term if dv is None else b.add(dv, term)
    return None if dv is None else scan.scan(b, dv, a, axis, reverse)


# ---- np.linalg ------------------------------------------------------------------------------


def _mT(b, x):
    """x with its last two axes swapped."""
    rank = len(x.type.shape)
    if rank == 2:
        return b.T(x)
    return b.transpose(x, axes=tuple(range(rank - 2)) + (rank - 1, rank - 2))


def _tr_product(b, p, q):
    """tr(P Q) over the last two axes: Σ_ij P_ij Q_ji."""
    return b.sum(b.mul(_mT(b, p), q), axis=(-2, -1))


@deftangent("inv")
def inv(b, dots, ans, a):
    """d A⁻¹ = -A⁻¹ dA A⁻¹"""
    return None if dots[0] is None else b.neg(b.matmul(b.matmul(ans, dots[0]), ans))


@deftangent("det")
def det(b, dots, ans, a):
    """d det A = det A tr(A⁻¹ dA)  (A singular: inf or nan, as the reverse rule)"""
    return None if dots[0] is None else b.mul(ans, _tr_product(b, b.inv(a), dots[0]))


@deftangent("slogdet")
def slogdet(b, dots, ans, a):
    """d log|det A| = tr(A⁻¹ dA); the sign is piecewise constant: none"""
    return None if dots[0] is None else (None, _tr_product(b, b.inv(a), dots[0]))


@deftangent("solve")
def solve(b, dots, ans, a, rhs):
    """x = A⁻¹B: dx = A⁻¹ (dB - dA x) (a vector B against a stack of As: as columns)"""
    da, drhs = dots
    if rhs.type.rank == 1 and a.type.rank != 2:
        col = b.expand_dims(ans, axis=-1)
        drhs = None if drhs is None else b.expand_dims(drhs, axis=-1)
        t = _plus(b, drhs, None if da is None else b.neg(b.matmul(da, col)))
        return b.squeeze(b.solve(a, t), axis=-1)
    return b.solve(a, _plus(b, drhs, None if da is None else b.neg(b.matmul(da, ans))))


def _matrix_powers(b, m, n):
    """[I (None), m, m², ..., mⁿ⁻¹] for n ≥ 1."""
    out = [None, m]
    for _ in range(2, n):
        out.append(b.matmul(out[-1], m))
    return out[:n]


def _power_tangent(b, m, dm, n):
    """d mⁿ = Σ_{j<n} mʲ dm mⁿ⁻¹⁻ʲ (n ≥ 1)."""
    powers = _matrix_powers(b, m, n)
    terms = []
    for j in range(n):
        t = dm if j == 0 else b.matmul(powers[j], dm)
        terms.append(t if n - 1 - j == 0 else b.matmul(t, powers[n - 1 - j]))
    return _plus(b, *terms)


@deftangent("matrix_power")
def matrix_power(b, dots, ans, a, n):
    """d Aⁿ = Σ_{j<n} Aʲ dA Aⁿ⁻¹⁻ʲ (n ≥ 1); A⁰ = I is constant; n < 0: Aⁿ = (A⁻¹)ᵐ, m = -n,
    the same sum of B = A⁻¹ with dB = -B dA B"""
    if dots[0] is None or n == 0:
        return None
    if n > 0:
        return _power_tangent(b, a, dots[0], n)
    m = b.inv(a)
    return _power_tangent(b, m, b.neg(b.matmul(b.matmul(m, dots[0]), m)), -n)


@deftangent("pinv")
def pinv(b, dots, ans, a):
    """A⁺ of a full-rank A (Golub & Pereyra): dA⁺ = -A⁺ dA A⁺ + A⁺ A⁺ᵀ dAᵀ (I - A A⁺)
    + (I - A⁺ A) dAᵀ A⁺ᵀ A⁺"""
    if dots[0] is None:
        return None
    p, pt, dt = ans, _mT(b, ans), _mT(b, dots[0])
    first = b.neg(b.matmul(b.matmul(p, dots[0]), p))
    x = b.matmul(b.matmul(p, pt), dt)  # A⁺ A⁺ᵀ dAᵀ
    second = b.sub(x, b.matmul(b.matmul(x, a), p))
    z = b.matmul(dt, b.matmul(pt, p))  # dAᵀ A⁺ᵀ A⁺
    third = b.sub(z, b.matmul(p, b.matmul(a, z)))
    return b.add(first, b.add(second, third))


@deftangent("norm")
def norm(b, dots, ans, x, ord=None, axis=None, keepdims=False):
    """d ‖x‖ = Σ ∂‖x‖/∂x ∘ dx over the reduced axes, with ∂‖x‖/∂x the norm's gradient as
    rules/linalg.py writes it out (x / ‖x‖ for 2 and Frobenius, sign(x) (|x| / ‖x‖)^(p-1),
    the extreme entries, rows or columns sharing ties for ±inf and ±1, U diag(c) Vᵀ for the
    nuclear and ±2 norms), taken at cotangent 1"""
    if dots[0] is None:
        return None
    from .linalg import norm as gradient

    (grad,) = gradient(b, b.ones_like(ans), ans, x, ord=ord, axis=axis, keepdims=keepdims)
    return b.sum(b.mul(grad, dots[0]), axis=axis, keepdims=keepdims)


def _symmetric_of_triangle(b, d, lower):
    """The symmetric matrix NumPy's cholesky and eigh see of d: its lower (upper) triangle
    mirrored."""
    if lower:
        return b.add(b.tril(d), _mT(b, b.tril(d, k=-1)))
    return b.add(b.triu(d), _mT(b, b.triu(d, k=1)))


def _half_lower(b, x):
    """Φ(x): the lower triangle of x with its diagonal halved."""
    return b.mul(b.add(b.tril(x), b.tril(x, k=-1)), 0.5)


@deftangent("cholesky")
def cholesky(b, dots, ans, a, upper=False):
    """A = L Lᵀ read from A's lower triangle (as NumPy reads it): dL = L Φ(L⁻¹ dA L⁻ᵀ), dA
    that triangle mirrored, Φ the lower triangle with its diagonal halved. upper=True:
    U = Lᵀ read from the upper triangle, dU = dLᵀ"""
    if dots[0] is None:
        return None
    low = _mT(b, ans) if upper else ans
    da = _symmetric_of_triangle(b, dots[0], not upper)
    inv = b.inv(low)
    d_low = b.matmul(low, _half_lower(b, b.matmul(b.matmul(inv, da), _mT(b, inv))))
    return _mT(b, d_low) if upper else d_low


def _gaps(b, w):
    """F with F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it."""
    from .linalg import _inverse_gaps

    return _inverse_gaps(b, w)


def _diagonal(b, m):
    return b.diagonal(m, axis1=-2, axis2=-1)


@deftangent("eigh")
def eigh(b, dots, ans, a, UPLO="L"):
    """A = V diag(w) Vᵀ read from one triangle of A (UPLO): with M = Vᵀ dA V (dA that triangle
    mirrored), dw = diag(M), dV = V (F ∘ M), F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it
    (repeated eigenvalues: inf or nan in dV, as the reverse rule)"""
    if dots[0] is None:
        return None
    w, v = ans
    m = b.matmul(b.matmul(_mT(b, v), _symmetric_of_triangle(b, dots[0], UPLO == "L")), v)
    return _diagonal(b, m), b.matmul(v, b.mul(_gaps(b, w), m))


@deftangent("eigvalsh")
def eigvalsh(b, dots, ans, a, UPLO="L"):
    """dw = diag(Vᵀ dA V), dA the triangle read mirrored (V from np.linalg.eigh)"""
    if dots[0] is None:
        return None
    _, v = b.emit("eigh", a, nresults=2, **({} if UPLO == "L" else {"UPLO": UPLO}))
    m = b.matmul(b.matmul(_mT(b, v), _symmetric_of_triangle(b, dots[0], UPLO == "L")), v)
    return _diagonal(b, m)


@deftangent("qr")
def qr(b, dots, ans, a, mode="reduced"):
    """A = QR (reduced, m >= n): C = Qᵀ dA R⁻¹, Ω = tril(C, -1) - tril(C, -1)ᵀ (Qᵀ dQ,
    antisymmetric), dR = (C - Ω) R, dQ = dA R⁻¹ - Q (C - Ω)  (R singular: inf or nan)"""
    if dots[0] is None:
        return None
    q, r = ans
    da_rinv = _mT(b, b.solve(_mT(b, r), _mT(b, dots[0])))  # dA R⁻¹
    c = b.matmul(_mT(b, q), da_rinv)
    low = b.tril(c, k=-1)
    upper = b.sub(c, b.sub(low, _mT(b, low)))  # C - Ω
    return b.sub(da_rinv, b.matmul(q, upper)), b.matmul(upper, r)


@deftangent("svd")
def svd(b, dots, ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    """A = U diag(s) Vh (reduced), P = Uᵀ dA V: ds = diag(P); dU = U (F ∘ (P S + S Pᵀ))
    + (I - U Uᵀ) dA V S⁻¹; dV = V (F ∘ (S P + Pᵀ S)) + (I - V Vᵀ) dAᵀ U S⁻¹, dVh = dVᵀ;
    F_ij = 1 / (s_j² - s_i²) off the diagonal, 0 on it (repeated or zero singular values:
    inf or nan). Singular values alone (compute_uv=False): ds = diag(Uᵀ dA V)"""
    if dots[0] is None:
        return None
    da = dots[0]
    if not compute_uv:
        u, _, vh = b.emit("svd", a, nresults=3, full_matrices=False)
        return _diagonal(b, b.matmul(b.matmul(_mT(b, u), da), _mT(b, vh)))
    u, s, vh = ans
    v, ut = _mT(b, vh), _mT(b, u)
    p = b.matmul(b.matmul(ut, da), v)
    f = _gaps(b, b.mul(s, s))
    cols, rows = b.expand_dims(s, axis=-2), b.expand_dims(s, axis=-1)
    ps, sp = b.mul(p, cols), b.mul(rows, p)
    d_u = b.matmul(u, b.mul(f, b.add(ps, _mT(b, ps))))
    d_v = b.matmul(v, b.mul(f, b.add(sp, _mT(b, sp))))
    shape = a.type.shape
    m, n = (shape[-2], shape[-1]) if shape is not None else (None, None)
    if not (isinstance(m, int) and isinstance(n, int) and m <= n):  # U not square
        dav = b.matmul(da, v)
        d_u = b.add(d_u, b.div(b.sub(dav, b.matmul(u, b.matmul(ut, dav))), cols))
    if not (isinstance(m, int) and isinstance(n, int) and n <= m):  # V not square
        dau = b.matmul(_mT(b, da), u)
        d_v = b.add(d_v, b.div(b.sub(dau, b.matmul(v, b.matmul(vh, dau))), cols))
    return d_u, _diagonal(b, p), _mT(b, d_v)
