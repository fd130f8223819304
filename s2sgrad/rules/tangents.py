"""Tangent rules: forward mode's table (s2sgrad/forward.py), one entry per opcode.

A rule `rule(b, dots, ans, *operands, **attrs)` gets the builder `b`, the operands'
tangents `dots` (None for a symbolic zero: an operand with no tangent is never
materialised), the result `ans`, the operands and the op's attributes, and returns
the result's tangent (None for zero). The driver casts it to the result's dtype and
broadcasts it to the result's shape where an operand was broadcast. Written out from
each op's mathematics, never by transposing a reverse rule at run time.
"""

import math

TANGENTS = {}


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

@deftangent("neg", "pos", "copy", "reshape", "transpose", "T", "expand_dims", "squeeze",
            "broadcast_to", "flip", "fliplr", "flipud", "roll", "tril", "triu", "cumsum",
            "sum", "mean", "nansum", "trace", "diagonal", "index", "float64", "float32",
            "asarray", "array", "astype", "pyfloat", "rot90", "real", "conj", "take", "tile",
            "repeat", "diag")
def linear(b, dots, ans, x, *rest, **attrs):
    """d f(x, ...) = f(dx, ...) for f linear in x (the other operands are indices, shapes)"""
    if dots[0] is None:
        return None
    return b.emit(ans_opcode(b, ans), dots[0], *rest, **attrs)


def ans_opcode(b, ans):
    return b.defs[ans].opcode


# ---- multilinear: one term an operand ---------------------------------------------------

@deftangent("mul", "matmul", "dot", "einsum", "outer", "cross", "kron")
def multilinear(b, dots, ans, *xs, **attrs):
    """d f(x, y) = f(dx, y) + f(x, dy) for f linear in each operand"""
    opcode = ans_opcode(b, ans)
    if opcode == "mul" and xs[0] is xs[1]:              # x * x: 2 x dx
        return b.mul(b.mul(dots[0], xs[0]), 2.0)
    terms = []
    for i, d in enumerate(dots):
        if d is not None:
            terms.append(b.emit(opcode, *xs[:i], d, *xs[i + 1:], **attrs))
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
    """d(x ** y) = y x**(y-1) dx + log(x) x**y dy  (0 log 0 = 0)"""
    dx, dy = dots
    c = b.static_value(y)
    if dx is None:
        tx = None
    elif isinstance(c, (int, float)) and not isinstance(c, bool):     # x ** 2: 2 x dx
        tx = b.mul(dx, b.mul(x, float(c)) if c == 2 else b.mul(b.pow(x, c - 1), float(c)))
    else:
        tx = b.mul(dx, b.mul(y, b.pow(x, b.sub(y, 1.0))))
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
_unary("arccos", _s("-1/√(1 - x²)")(
    lambda b, ans, x: b.div(-1.0, b.sqrt(b.sub(1.0, b.mul(x, x))))))
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
    return b.where(cond, b.zeros_like(x) if dx is None else dx,
                   b.zeros_like(y) if dy is None else dy)


@deftangent("maximum", "minimum")
def extremum(b, dots, ans, x, y):
    """d max(x, y) = dx where x is taken (ties: x's, as the reverse rule), else dy"""
    take_x = b.ge(x, y) if ans_opcode(b, ans) == "maximum" else b.le(x, y)
    return where(b, (None,) + tuple(dots), ans, take_x, x, y)


@deftangent("clip")
def clip(b, dots, ans, x, lo, hi):
    """d clip(x, lo, hi) = dx inside [lo, hi], dlo below, dhi above"""
    dx, dlo, dhi = dots
    inner = None if dx is None else b.where(b.logical_and(b.ge(x, lo), b.le(x, hi)), dx, 0.0)
    low = None if dlo is None else b.where(b.lt(x, lo), dlo, 0.0)
    high = None if dhi is None else b.where(b.gt(x, hi), dhi, 0.0)
    return _plus(b, inner, low, high)


@deftangent("max", "min")
def reduce_extremum(b, dots, ans, x, axis=None, keepdims=False):
    """d max(x) = the mean of dx over the elements equal to the max (ties share equally, as
    the reverse rule)"""
    if dots[0] is None:
        return None
    full = b.expand_dims(ans, axis=axis) if axis is not None and not keepdims else ans
    hit = b.eq(x, full)
    return b.div(b.sum(b.mul(hit, dots[0]), axis=axis, keepdims=keepdims),
                 b.sum(hit, axis=axis, keepdims=keepdims))


@deftangent("var", "std")
def spread(b, dots, ans, x, axis=None, dtype=None, ddof=0, keepdims=False):
    """d var(x) = 2 mean((x - mean x) dx) n/(n - ddof); d std = d var / (2 std)"""
    if dots[0] is None:
        return None
    centered = b.sub(x, b.mean(x, axis=axis, keepdims=True))
    n = b.div(b.size(x), b.size(b.mean(x, axis=axis, keepdims=True)))
    dvar = b.mul(b.div(b.sum(b.mul(centered, dots[0]), axis=axis, keepdims=keepdims),
                       b.sub(n, float(ddof))), 2.0)
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
    return b.emit(ans_opcode(b, ans), zeros_like(b, y) if dy is None else dy,
                  zeros_like(b, v) if dv is None else dv, *dyn, key=key)


def zeros_like(b, x):
    """A zero tangent materialised where a value must exist (a join, a write): 0.0 for a
    Python number, else zeros of x's shape and dtype."""
    if x.type.weak:
        return b.const(0.0)
    return b.zeros_like(x)
