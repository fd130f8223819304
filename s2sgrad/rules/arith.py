"""Rules for arithmetic: + - * / ** @, negation, maximum/minimum, fmax/fmin,
float_power, where, clip, dot."""

from ..ir.opcodes import einsum_parts
from .registry import defrule


@defrule("add", broadcasts=True)
def add(b, g, ans, x, y):
    """d(x + y) = dx + dy"""
    return g, g


@defrule("sub", broadcasts=True)
def sub(b, g, ans, x, y):
    """d(x - y) = dx - dy"""
    return g, b.neg(g)


@defrule("mul", broadcasts=True)
def mul(b, g, ans, x, y):
    """d(x * y) = y dx + x dy"""
    return b.mul(g, y), b.mul(g, x)


@defrule("div", broadcasts=True)
def div(b, g, ans, x, y):
    """d(x / y) = dx / y - x / y**2 dy"""
    by = y
    if g.type.weak is not False and y.type.weak is not False and ans.type.weak is False:
        if _may_be_zero(b, y):  # (Python numbers where x / y was NumPy's: 1.0 / 0 would
            by = b.cast(y, "float64")  # raise ZeroDivisionError where x / y gave inf)
    return b.div(g, by), b.neg(b.div(b.mul(g, ans), y))


def _may_be_zero(b, v):
    """False when the number v is known not to be 0: a constant, an array's size along
    an axis or in all (a symbol stands for a size of 2 or more: api.specialise)."""
    static = b.static_value(v, None)
    if isinstance(static, (int, float)) and not isinstance(static, bool):
        return static == 0
    dim = b.static_dim(v)
    if isinstance(dim, str) or isinstance(dim, int) and dim != 0:
        return False
    op = b.defs.get(v)
    if op is not None and op.opcode == "size":
        shape = op.operands[0].type.shape
        return shape is None or any(d is None or d == 0 for d in shape)
    return True


@defrule("pow", broadcasts=True)
def pow_(b, g, ans, x, y):
    """d(x ** y) = y x**(y-1) dx + log(x) x**y dy  (0 log 0 = 0; x ** 0 is constant:
    its dx is 0 at x = 0 too, where y x**(y-1) would be 0 * inf, as in JAX)"""
    static = b.static_value(y, None)
    if isinstance(static, (int, float)) and not isinstance(static, bool):
        dx = None if static == 0 else b.mul(g, b.mul(y, b.pow(x, b.sub(y, 1))))
    else:
        one = 1.0 if y.type.is_float else 1  # (of y's kind: array-API code mixes none)
        dx = b.mul(g, b.mul(y, b.pow(x, b.where(b.eq(y, 0), one, b.sub(y, 1)))))
    return (dx, b.mul(g, b.mul(ans, b.log(b.where(b.eq(x, 0.0), 1.0, x)))))


@defrule("neg")
def neg(b, g, ans, x):
    """d(-x) = -dx"""
    return (b.neg(g),)


@defrule("pos")
def pos(b, g, ans, x):
    """d(+x) = dx"""
    return (g,)


@defrule("maximum", broadcasts=True)
def maximum(b, g, ans, x, y):
    """d max(x, y) = [x >= y] dx + [x < y] dy  (ties go to x, as in TensorFlow)"""
    return b.mul(g, b.ge(x, y)), b.mul(g, b.lt(x, y))


@defrule("minimum", broadcasts=True)
def minimum(b, g, ans, x, y):
    """d min(x, y) = [x <= y] dx + [x > y] dy  (ties go to x, as in TensorFlow)"""
    return b.mul(g, b.le(x, y)), b.mul(g, b.gt(x, y))


@defrule("where", broadcasts=True)
def where(b, g, ans, c, x, y):
    """d where(c, x, y) = where(c, dx, 0) + where(c, 0, dy)"""
    return None, b.where(c, g, 0.0), b.where(c, 0.0, g)


@defrule("clip", broadcasts=True)
def clip(b, g, ans, x, lo, hi):
    """d clip(x, lo, hi) = [lo <= x <= hi] dx + [x < lo] dlo + [x > hi] dhi when
    lo <= hi. NumPy's clip is min(max(x, lo), hi), so where lo > hi it is hi:
    dlo = [x < lo][lo <= hi], dhi = [max(x, lo) > hi] (ties as in maximum/minimum)."""
    missing = object()
    lo_v, hi_v = b.static_value(lo, missing), b.static_value(hi, missing)
    lo_none, hi_none = lo_v is None, hi_v is None
    ordered = (
        lo_none
        or hi_none
        or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo_v, hi_v))
        and lo_v <= hi_v
    )
    inside = g
    if not lo_none:
        inside = b.mul(inside, b.ge(x, lo))
    if not hi_none:
        inside = b.mul(inside, b.le(x, hi))
    if ordered:
        dlo = None if lo_none else b.mul(g, b.lt(x, lo))
        dhi = None if hi_none else b.mul(g, b.gt(x, hi))
    else:
        dlo = b.mul(b.mul(g, b.lt(x, lo)), b.le(lo, hi))
        dhi = b.mul(g, b.gt(b.maximum(x, lo), hi))
    return inside, dlo, dhi


def _matrix_transpose(b, v):
    """Swap the last two axes (v.T for a matrix)."""
    rank = v.type.rank
    if rank == 2 or rank is None:
        return b.T(v)
    axes = tuple(range(rank - 2)) + (rank - 1, rank - 2)
    return b.transpose(v, axes=axes)


def _matmul_rule(b, g, x, y):
    rx, ry = x.type.rank, y.type.rank
    if rx is None or ry is None:  # (the adjoint's form depends on both ranks)
        from ..errors import UnsupportedError

        raise UnsupportedError(
            "the gradient of a matrix product of a value whose rank s2sgrad cannot know here "
            "(a Python number on one path and an array on another, np.squeeze, a reshape to a "
            "computed shape) is not supported",
            loc=b.loc,
            hint="give the operand one rank on every path (`acc = np.zeros_like(x)`, not "
            "`acc = 0.0`, before a loop that adds arrays to it)",
        )
    if rx == 0 or ry == 0:
        return b.mul(g, y), b.mul(g, x)
    if rx == 1 and ry == 1:
        return b.mul(g, y), b.mul(g, x)
    if rx == 1:  # (k,) @ (..., k, n) -> (..., n)
        return (
            b.matmul(y, g) if ry == 2 else _matvec(b, y, g),
            b.mul(b.expand_dims(x, axis=-1), b.expand_dims(g, axis=-2)),
        )
    if ry == 1:  # (..., m, k) @ (k,) -> (..., m)
        return (
            b.mul(b.expand_dims(g, axis=-1), y),
            b.matmul(_matrix_transpose(b, x), g)
            if rx == 2
            else _matvec(b, _matrix_transpose(b, x), g),
        )
    return b.matmul(g, _matrix_transpose(b, y)), b.matmul(_matrix_transpose(b, x), g)


def _matvec(b, a, v):
    """Batched matrix-vector product: (..., k, n), (..., n) -> (..., k)."""
    return b.squeeze(b.matmul(a, b.expand_dims(v, axis=-1)), axis=-1)


@defrule("matmul", broadcasts=True)
def matmul(b, g, ans, x, y):
    """d(x @ y) = dx @ y + x @ dy:  x̄ = ḡ @ yᵀ,  ȳ = xᵀ @ ḡ"""
    return _matmul_rule(b, g, x, y)


@defrule("dot", broadcasts=True)
def dot(b, g, ans, x, y):
    """np.dot: as matmul for vectors and matrices, as * for scalars"""
    if (x.type.rank or 0) >= 2 and (y.type.rank or 0) >= 3:
        return _dot_nd(b, g, x, y)
    return _matmul_rule(b, g, x, y)  # where np.dot(x, y) == x @ y


def _dot_nd(b, g, x, y):
    """dot(x, y)[I, J, n] = Σₖ x[I, k] y[J, k, n]:  x̄ = Σ_J,n ḡ y,  ȳ = Σ_I x ḡ."""
    i, j = x.type.rank - 1, y.type.rank - 2
    g = b.expand_dims(g, axis=-2)  # [I, J, 1, n]
    dx = b.sum(b.mul(g, y), axis=tuple(range(i, i + j)) + (-1,))  # [I, J, k, n] -> [I, k]
    xe = b.expand_dims(x, axis=tuple(range(i, i + j)) + (-1,))  # [I, 1.., k, 1]
    return dx, b.sum(b.mul(xe, g), axis=tuple(range(i)))  # [I, J, k, n] -> [J, k, n]


@defrule("mod", broadcasts=True)
def mod(b, g, ans, x, y):
    """d(x % y) = dx - floor(x / y) dy"""
    return g, b.neg(b.mul(g, b.floor(b.div(x, y))))


@defrule("float_power", broadcasts=True)
def float_power(b, g, ans, x, y):
    """d x^y computed in float64: the rule of ** (y x^(y-1) dx + log(x) x^y dy)"""
    return pow_(b, g, ans, x, y)


@defrule("fmax", broadcasts=True)
def fmax(b, g, ans, x, y):
    """d fmax(x, y) = [x >= y or y is nan] dx + [otherwise] dy: the operand fmax returns
    gets g (ties go to x, as in maximum; a nan is passed over, as fmax does)"""
    to_x = b.logical_or(b.ge(x, y), b.isnan(y))
    return b.mul(g, to_x), b.mul(g, b.logical_not(to_x))


@defrule("fmin", broadcasts=True)
def fmin(b, g, ans, x, y):
    """d fmin(x, y) = [x <= y or y is nan] dx + [otherwise] dy (as fmax)"""
    to_x = b.logical_or(b.le(x, y), b.isnan(y))
    return b.mul(g, to_x), b.mul(g, b.logical_not(to_x))


@defrule("einsum", broadcasts=True)
def einsum(b, g, ans, *xs, subscripts, python=None, axes=None):
    """d einsum(s₀,s₁,...->o) = for each xᵢ, einsum(o,s_j≠i->sᵢ) of d and the others
    (broadcast over the letters only xᵢ has)"""
    ins, out = einsum_parts(subscripts)
    grads = []
    for i, x in enumerate(xs):
        others = [(s, v) for j, (s, v) in enumerate(zip(ins, xs)) if j != i]
        known = set(out).union(*(s for s, _ in others))
        keep = "".join(c for c in ins[i] if c in known)
        d = b.einsum(
            g,
            *(v for _, v in others),
            subscripts=",".join([out] + [s for s, _ in others]) + "->" + keep,
        )
        if keep != ins[i]:  # summed over letters only xᵢ has: every element gets d
            missing = tuple(k for k, c in enumerate(ins[i]) if c not in known)
            d = b.broadcast_to(
                b.expand_dims(d, axis=missing if len(missing) > 1 else missing[0]), b.shape(x)
            )
        grads.append(_einsum_spread(b, d, x))
    return tuple(grads)


def _einsum_spread(b, d, x):
    """d with x's axes of a letter einsum broadcast (of size 1 in every other operand it
    appears in, and in the result, but not in x) spread to x's size; the driver sums the
    axes x has of size 1 back down (`broadcasts`)."""
    ds, xs = d.type.shape, x.type.shape
    if ds is None or xs is None or len(ds) != len(xs):
        return b.add(d, b.zeros_like(x))  # (shapes unknown here: both ways, at run time)
    up = [k for k, (m, n) in enumerate(zip(ds, xs)) if m == 1 and n != 1]
    if not up:
        return d
    down = [k for k, (m, n) in enumerate(zip(ds, xs)) if n == 1 and m != 1]
    if down:
        d = b.sum(d, axis=tuple(down), keepdims=True)
    return b.broadcast_to(d, b.shape(x))


@defrule("cross", broadcasts=True)
def cross(b, g, ans, x, y):
    """d (x × y) = (y × d) dx + (d × x) dy, of 3-vectors along the last axis"""
    return b.cross(y, g), b.cross(g, x)
