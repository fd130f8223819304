"""Rules for np.linalg: inv, det, solve (of square matrices, stacked or not)."""

from .registry import defrule


def _mT(b, x):
    """x with its last two axes swapped (a matrix transposed, in a stack of them)."""
    rank = len(x.type.shape)
    if rank == 2:
        return b.T(x)
    axes = tuple(range(rank - 2)) + (rank - 1, rank - 2)
    return b.transpose(x, axes=axes)


@defrule("inv")
def inv(b, g, ans, a):
    """d A⁻¹ = -A⁻ᵀ d A⁻ᵀ"""
    t = _mT(b, ans)
    return (b.neg(b.matmul(b.matmul(t, g), t)),)


@defrule("det")
def det(b, g, ans, a):
    """d det(A) = d det(A) A⁻ᵀ  (A singular: inf or nan, as in JAX)"""
    scale = b.expand_dims(b.mul(g, ans), axis=(-1, -2))
    return (b.mul(scale, _mT(b, b.inv(a))),)


@defrule("solve")
def solve(b, g, ans, a, rhs):
    """x = A⁻¹B: dB = A⁻ᵀ d, dA = -dB xᵀ (outer products for a vector B)"""
    d_rhs = b.solve(_mT(b, a), g)
    if len(rhs.type.shape) == 1:
        d_a = b.mul(b.expand_dims(d_rhs, axis=-1), b.expand_dims(ans, axis=-2))
    else:
        d_a = b.matmul(d_rhs, _mT(b, ans))
    return b.neg(d_a), d_rhs


@defrule("norm")
def norm(b, g, ans, x, ord=None, axis=None, keepdims=False):
    """d ‖x‖ₚ = sign(x) (|x| / ‖x‖)^(p-1) d: x / ‖x‖ d for p = 2 and Frobenius; for p = ±inf,
    the largest (smallest) |xᵢ| gets sign(xᵢ) d, ties sharing (‖x‖ = 0: nan, as x / 0)"""
    if axis is None or keepdims:
        d, n = g, ans
    else:
        d, n = b.expand_dims(g, axis=axis), b.expand_dims(ans, axis=axis)
    if ord is None or ord == 2 or ord == "fro":
        return (b.mul(b.div(x, n), d),)
    if ord in (float("inf"), float("-inf")):
        hit = b.eq(b.abs(x), n)
        share = b.div(hit, b.sum(hit, axis=axis, keepdims=True))
        return (b.mul(b.mul(b.sign(x), share), d),)
    scaled = b.mul(b.sign(x), b.pow(b.div(b.abs(x), n), float(ord) - 1.0))
    return (b.mul(scaled, d),)


@defrule("slogdet")
def slogdet(b, g, ans, a):
    """d log|det A| = d A⁻ᵀ (the sign is piecewise constant: no gradient)"""
    _, d_log = g
    if d_log is None:
        return (None,)
    return (b.mul(b.expand_dims(d_log, axis=(-1, -2)), _mT(b, b.inv(a))),)
