"""Rules for reductions: sum, mean, max, min, prod, ptp, var, std, nansum, nanmean, cumsum,
cumprod."""

from .registry import defrule


def _restore(b, v, axis, keepdims):
    """A reduced value with its reduced axes put back as size 1 (ready to broadcast)."""
    if keepdims or axis is None:
        return v
    return b.expand_dims(v, axis=axis)


def _count(b, x, ans, axis):
    """How many elements of x went into each element of the reduction."""
    if axis is None:
        return b.size(x)
    if isinstance(axis, int):
        return b.getitem(b.shape(x), index=axis)
    return b.floordiv(b.size(x), b.size(ans))


@defrule("sum")
def sum_(b, g, ans, x, axis=None, keepdims=False, dtype=None):
    """d Σx = broadcast(dΣ) over the summed axes"""
    return (b.broadcast_to(_restore(b, g, axis, keepdims), b.shape(x)),)


@defrule("mean")
def mean(b, g, ans, x, axis=None, keepdims=False, dtype=None):
    """d mean(x) = broadcast(d mean) / n over the averaged axes"""
    return (b.broadcast_to(b.div(_restore(b, g, axis, keepdims), _count(b, x, ans, axis)),
                           b.shape(x)),)


def _extremum(b, g, ans, x, axis, keepdims):
    """The gradient goes to the elements equal to the extremum, shared equally among ties."""
    hit = b.eq(x, _restore(b, ans, axis, keepdims))
    # (counted in x's dtype when it is a narrow float: an int64 count would make
    # float32 / int64 a float64 gradient)
    narrow = {"dtype": x.type.dtype} if x.type.dtype in ("float32", "float16") else {}
    share = b.div(_restore(b, g, axis, keepdims), b.sum(hit, axis=axis, keepdims=True, **narrow))
    return (b.mul(share, hit),)


@defrule("max")
def max_(b, g, ans, x, axis=None, keepdims=False):
    """d max(x) = [x == max] d max / #ties"""
    return _extremum(b, g, ans, x, axis, keepdims)


@defrule("min")
def min_(b, g, ans, x, axis=None, keepdims=False):
    """d min(x) = [x == min] d min / #ties"""
    return _extremum(b, g, ans, x, axis, keepdims)


@defrule("prod")
def prod(b, g, ans, x, axis=None, keepdims=False, dtype=None):
    """d Πx = (product of the other elements) dΠ, exact when x has zeros"""
    zero = b.eq(x, 0.0)
    safe = b.where(zero, 1.0, x)
    rest = b.prod(safe, axis=axis, keepdims=True)           # product of the non-zeros
    nzero = b.sum(zero, axis=axis, keepdims=True)
    others = b.where(zero, b.where(b.eq(nzero, 1), rest, 0.0),
                     b.where(b.eq(nzero, 0), b.div(rest, safe), 0.0))
    return (b.mul(_restore(b, g, axis, keepdims), others),)


@defrule("ptp")
def ptp(b, g, ans, x, axis=None, keepdims=False):
    """d (max - min) = [x == max] d / #ties - [x == min] d / #ties"""
    (up,) = _extremum(b, g, b.max(x, axis=axis, keepdims=keepdims), x, axis, keepdims)
    (down,) = _extremum(b, g, b.min(x, axis=axis, keepdims=keepdims), x, axis, keepdims)
    return (b.sub(up, down),)


@defrule("var")
def var(b, g, ans, x, axis=None, dtype=None, ddof=0, keepdims=False):
    """d var(x) = 2 (x - mean(x)) / (n - ddof) d var, over the reduced axes"""
    centered = b.sub(x, b.mean(x, axis=axis, keepdims=True))
    n = _count(b, x, ans, axis) if not ddof else b.sub(_count(b, x, ans, axis), ddof)
    return (b.mul(b.div(b.mul(centered, 2.0), n), _restore(b, g, axis, keepdims)),)


@defrule("std")
def std(b, g, ans, x, axis=None, dtype=None, ddof=0, keepdims=False):
    """d std(x) = (x - mean(x)) / ((n - ddof) std) d std  (inf or nan where std = 0, as JAX)"""
    centered = b.sub(x, b.mean(x, axis=axis, keepdims=True))
    n = _count(b, x, ans, axis) if not ddof else b.sub(_count(b, x, ans, axis), ddof)
    scale = b.mul(_restore(b, ans, axis, keepdims), n)
    return (b.mul(b.div(centered, scale), _restore(b, g, axis, keepdims)),)


@defrule("nansum")
def nansum(b, g, ans, x, axis=None, dtype=None, keepdims=False):
    """d Σx (nans skipped) = broadcast(dΣ) where x is not nan, 0 at a nan"""
    return (b.where(b.isnan(x), 0.0, _restore(b, g, axis, keepdims)),)


@defrule("nanmean")
def nanmean(b, g, ans, x, axis=None, dtype=None, keepdims=False):
    """d mean(x) (nans skipped) = d mean / (number of non-nans) where x is not nan, 0 at a nan"""
    kept = b.logical_not(b.isnan(x))
    n = b.sum(kept, axis=axis, keepdims=True)
    return (b.where(kept, b.div(_restore(b, g, axis, keepdims), n), 0.0),)


@defrule("cumsum")
def cumsum(b, g, ans, x, axis=None, dtype=None):
    """d cumsum(x) = flip(cumsum(flip(d))) along the axis (of the flattened x if axis is None)"""
    if axis is None:
        back = b.flip(b.cumsum(b.flip(g, axis=0), axis=0), axis=0)
        return (b.reshape(back, b.shape(x)),)
    return (b.flip(b.cumsum(b.flip(g, axis=axis), axis=axis), axis=axis),)


def _reverse_cumsum(b, v, axis):
    """Σ_{i ≥ j} v_i along the axis."""
    return b.flip(b.cumsum(b.flip(v, axis=axis), axis=axis), axis=axis)


@defrule("cumprod")
def cumprod(b, g, ans, x, axis=None, dtype=None):
    """y = cumprod(x): dxⱼ = Σ_{i ≥ j} dyᵢ Π_{k ≤ i, k ≠ j} xₖ, exact at zeros. With z the
    first zero along the axis: before z, dxⱼ = Σ_{i ≥ j} dyᵢ yᵢ / xⱼ (xⱼ ≠ 0, and yᵢ = 0
    from z on); at z, Σ_{i ≥ z} dyᵢ y'ᵢ with y' the cumprod of x with x_z set to 1; after
    z, 0 (every product holds x_z). (Of the flattened x when axis is None.)"""
    if axis is None:
        flat = b.reshape(x, (-1,))
        (back,) = cumprod(b, g, ans, flat, axis=0)
        return (b.reshape(back, b.shape(x)),)
    zero = b.eq(x, 0.0)
    zeros_so_far = b.cumsum(zero, axis=axis)
    first = b.logical_and(zero, b.eq(zeros_so_far, 1))
    before = b.div(_reverse_cumsum(b, b.mul(g, ans), axis), b.where(zero, 1.0, x))
    at = _reverse_cumsum(b, b.mul(g, b.cumprod(b.where(first, 1.0, x), axis=axis)), axis)
    return (b.where(b.eq(zeros_so_far, 0), before, b.where(first, at, 0.0)),)
