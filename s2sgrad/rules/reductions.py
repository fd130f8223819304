"""Rules for reductions: sum, mean, max, min, prod, ptp, var, std, the nan-skipping
reductions (nansum, nanmean, nanmax, nanmin, nanprod, nanvar, nanstd, nancumsum), cumsum,
cumprod, and the order statistics median, quantile and percentile."""

import numpy as np

from ..errors import UnsupportedError
from .registry import defrule
from .scan import scan
from .shape import _scatter_along, _slice_along


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
    n = None  # (the product of the reduced axes' lengths: size(x) // size(ans) divides
    for a in axis:  # by zero when another axis is empty)
        length = b.getitem(b.shape(x), index=a)
        n = length if n is None else b.mul(n, length)
    return b.const(1) if n is None else n


def _nonzero(x, axis):
    """True when the reduced axes of x are known not to be empty: their sizes are ints
    other than 0, or symbols (which stand for sizes other than 0 and 1: api.specialise)."""
    shape = x.type.shape
    if shape is None:
        return False
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return all(shape[a] != 0 and shape[a] is not None for a in axes)


@defrule("sum")
def sum_(b, g, ans, x, axis=None, keepdims=False, dtype=None):
    """d Σx = broadcast(dΣ) over the summed axes"""
    return (b.broadcast_to(_restore(b, g, axis, keepdims), b.shape(x)),)


@defrule("sum_where")
def sum_where(b, g, ans, x, mask, axis=None, dtype=None, keepdims=False):
    """d Σ_mask x = broadcast(dΣ) where the mask is True, 0 elsewhere"""
    spread = b.broadcast_to(_restore(b, g, axis, keepdims), b.shape(x))
    return (b.where(mask, spread, 0.0), None)


@defrule("mean")
def mean(b, g, ans, x, axis=None, keepdims=False, dtype=None):
    """d mean(x) = broadcast(d mean) / n over the averaged axes"""
    n = _count(b, x, ans, axis)
    if g.type.weak is not False and not _nonzero(x, axis):  # (a Python number over n = 0,
        n = b.cast(n, "float64")  # an empty x, would raise where np.mean gives nan)
    return (b.broadcast_to(b.div(_restore(b, g, axis, keepdims), n), b.shape(x)),)


def _extremum(b, g, ans, x, axis, keepdims, initial=None):
    """The gradient goes to the elements equal to the extremum, shared equally among ties
    (none where the initial value is it and no element is)."""
    hit = b.eq(x, _restore(b, ans, axis, keepdims))
    # (counted in x's dtype when it is a narrow float: an int64 count would make
    # float32 / int64 a float64 gradient)
    narrow = {"dtype": x.type.dtype} if x.type.dtype in ("float32", "float16") else {}
    count = b.sum(hit, axis=axis, keepdims=True, **narrow)
    if initial is not None:  # (no hit: 0 / 1, not 0 / 0)
        count = b.maximum(count, 1)
    share = b.div(_restore(b, g, axis, keepdims), count)
    return (b.mul(share, hit),)


@defrule("max")
def max_(b, g, ans, x, axis=None, keepdims=False, initial=None):
    """d max(x) = [x == max] d max / #ties"""
    return _extremum(b, g, ans, x, axis, keepdims, initial)


@defrule("min")
def min_(b, g, ans, x, axis=None, keepdims=False, initial=None):
    """d min(x) = [x == min] d min / #ties"""
    return _extremum(b, g, ans, x, axis, keepdims, initial)


def exclusive_cumprod(b, x, axis, hint=None, cumprod=None):
    """Π_{k<j} x_k along the axis, for each j (1 at the first): the cumprod shifted by
    one, with no division (`cumprod`: x's, when it is at hand)."""
    head = b.ones_like(_slice_along(b, x, axis, 0, 1))
    cumprod = b.cumprod(x, axis=axis) if cumprod is None else cumprod
    return b.concatenate(head, _slice_along(b, cumprod, axis, 0, -1), axis=axis, hint=hint)


def prod_others(b, x, axis):
    """Π_{k≠j} x_k over the reduced axes, for each j (the reduced axes kept): the
    product of the elements before j times the product of those after it. A polynomial
    in x, written with no division and no test for zeros, so that its own derivatives
    are right too: Π/x_j with a case for zeros gives the gradient exactly, but a
    constant 0 in place of a product holding a zero, whose derivative is not 0 (the
    second derivatives at an input with a zero were wrong)."""
    rank = x.type.rank
    if axis is None and rank == 1:
        axis = 0
    if axis is None:  # (of the flattened x, whatever its rank)
        return b.reshape(prod_others(b, b.reshape(x, (-1,)), 0), b.shape(x))
    if isinstance(axis, tuple) and len(axis) != 1:
        if rank is None:
            raise UnsupportedError(
                f"the gradient of a product over the axes {axis} of an array of unknown rank",
                loc=b.loc,
                hint='give the array a rank (annotate it: x: "float64[n, m, k]")',
            )
        axes = tuple(a % rank for a in axis)
        perm = tuple(k for k in range(rank) if k not in axes) + axes
        moved = b.transpose(x, axes=perm) if perm != tuple(range(rank)) else x
        kept = [b.getitem(b.shape(moved), index=k) for k in range(rank - len(axes))]
        flat = b.reshape(moved, b.tuple(*kept, b.const(-1)))
        others = b.reshape(prod_others(b, flat, -1), b.shape(moved))
        if perm == tuple(range(rank)):
            return others
        return b.transpose(others, axes=tuple(int(a) for a in np.argsort(perm)))
    if isinstance(axis, tuple):
        (axis,) = axis
    before = exclusive_cumprod(b, x, axis, "before")
    after = b.flip(exclusive_cumprod(b, b.flip(x, axis=axis), axis), axis=axis, hint="after")
    return b.mul(before, after)


@defrule("prod")
def prod(b, g, ans, x, axis=None, keepdims=False, dtype=None):
    """d Πx = (Π of the other elements) dΠ: the product of those before each element
    times the product of those after it (exact at zeros, to every order)"""
    return (b.mul(_restore(b, g, axis, keepdims), prod_others(b, x, axis)),)


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


@defrule("cumprod")
def cumprod(b, g, ans, x, axis=None, dtype=None):
    """y = cumprod(x): dxⱼ = Σ_{i ≥ j} dyᵢ Π_{k ≤ i, k ≠ j} xₖ = Lⱼ Rⱼ, Lⱼ = Π_{k < j} xₖ (yⱼ₋₁)
    and Rⱼ = dyⱼ + xⱼ₊₁ Rⱼ₊₁ (a reverse linear scan, no division): a polynomial in x, exact
    at zeros to every order. (Of the flattened x when axis is None.)"""
    if axis is None:
        flat = b.reshape(x, (-1,))
        (back,) = cumprod(b, g, ans, flat, axis=0)  # (ans is flat already)
        return (b.reshape(back, b.shape(x)),)
    before = exclusive_cumprod(b, x, axis, "before", cumprod=ans if dtype is None else None)
    rest = scan(b, g, _slice_along(b, x, axis, 1, None), axis, reverse=True)
    return (b.mul(before, rest),)


def _nan_extremum(b, g, ans, x, axis, keepdims):
    """The gradient goes to the elements equal to the extremum, shared equally among ties;
    a nan equals nothing, so it gets none (an all-nan slice gives none to any element)."""
    hit = b.eq(x, _restore(b, ans, axis, keepdims))
    narrow = {"dtype": x.type.dtype} if x.type.dtype in ("float32", "float16") else {}
    ties = b.maximum(b.sum(hit, axis=axis, keepdims=True, **narrow), 1)
    return (b.where(hit, b.div(_restore(b, g, axis, keepdims), ties), 0.0),)


@defrule("nanmax")
def nanmax(b, g, ans, x, axis=None, keepdims=False):
    """d max(x) (nans skipped) = [x == max] d max / #ties, 0 at a nan"""
    return _nan_extremum(b, g, ans, x, axis, keepdims)


@defrule("nanmin")
def nanmin(b, g, ans, x, axis=None, keepdims=False):
    """d min(x) (nans skipped) = [x == min] d min / #ties, 0 at a nan"""
    return _nan_extremum(b, g, ans, x, axis, keepdims)


@defrule("nanprod")
def nanprod(b, g, ans, x, axis=None, keepdims=False, dtype=None):
    """d Πx (nans skipped: taken as 1) = prod's gradient of x with its nans set to 1, 0 at
    a nan (exact at zeros)"""
    nan = b.isnan(x)
    (d,) = prod(b, g, ans, b.where(nan, 1.0, x), axis=axis, keepdims=keepdims)
    return (b.where(nan, 0.0, d),)


def _nan_spread(b, x, ans, axis, ddof):
    """(x - nanmean(x), n - ddof, the non-nan mask): n counts the non-nans of each slice."""
    kept = b.logical_not(b.isnan(x))
    narrow = {"dtype": x.type.dtype} if x.type.dtype in ("float32", "float16") else {}
    n = b.sum(kept, axis=axis, keepdims=True, **narrow)
    centered = b.sub(x, b.nanmean(x, axis=axis, keepdims=True))
    return centered, (b.sub(n, ddof) if ddof else n), kept


@defrule("nanvar")
def nanvar(b, g, ans, x, axis=None, dtype=None, ddof=0, keepdims=False):
    """d var(x) (nans skipped) = 2 (x - mean(x)) / (n - ddof) d var where x is not nan, 0 at
    a nan; mean and n over the non-nans"""
    centered, n, kept = _nan_spread(b, x, ans, axis, ddof)
    d = b.mul(b.div(b.mul(centered, 2.0), n), _restore(b, g, axis, keepdims))
    return (b.where(kept, d, 0.0),)


@defrule("nanstd")
def nanstd(b, g, ans, x, axis=None, dtype=None, ddof=0, keepdims=False):
    """d std(x) (nans skipped) = (x - mean(x)) / ((n - ddof) std) d std where x is not nan,
    0 at a nan; mean and n over the non-nans"""
    centered, n, kept = _nan_spread(b, x, ans, axis, ddof)
    scale = b.mul(_restore(b, ans, axis, keepdims), n)
    return (b.where(kept, b.mul(b.div(centered, scale), _restore(b, g, axis, keepdims)), 0.0),)


@defrule("nancumsum")
def nancumsum(b, g, ans, x, axis=None, dtype=None):
    """d cumsum(x) (nans as 0) = flip(cumsum(flip(d))) along the axis, 0 at a nan"""
    (d,) = cumsum(b, g, ans, x, axis=axis)
    return (b.where(b.isnan(x), 0.0, d),)


def _order_statistic(b, g, x, q, axis, keepdims):
    """The gradient of the linear-interpolation quantile q of x along the axis (of the
    flattened x for None): with s = sort(x) of length n and h = q (n - 1), the quantile is
    Σₖ wₖ sₖ, wₖ = max(0, 1 - |k - h|) (the two neighbours of h, weighted (1 - γ, γ)), so
    sₖ gets wₖ d, sent back where argsort(x) took sₖ from (tied elements as np.sort's
    rule gives them)."""
    flat = axis is None
    xs, axis = (b.reshape(x, (-1,)), 0) if flat else (x, axis % len(x.type.shape))
    n = xs.type.shape[axis]
    if not isinstance(n, int):
        n = b.getitem(b.shape(xs), index=axis)
    narrow = {"dtype": x.type.dtype} if x.type.dtype in ("float32", "float16") else {}
    k = b.arange(n, **narrow)
    rank = len(xs.type.shape)
    if rank > 1:
        k = b.reshape(k, tuple(-1 if i == axis else 1 for i in range(rank)))
    h = b.mul(b.sub(n, 1), q) if not isinstance(n, int) else (n - 1) * q
    weights = b.maximum(b.sub(1.0, b.abs(b.sub(k, h))), 0.0)
    d = b.reshape(g, (-1,)) if flat else _restore(b, g, axis, keepdims)
    order = b.argsort(xs, axis=axis) if axis != rank - 1 else b.argsort(xs)
    back = _scatter_along(b, b.mul(d, weights), xs, order, axis)
    return (b.reshape(back, b.shape(x)) if flat else back,)


@defrule("median")
def median(b, g, ans, a, axis=None, keepdims=False):
    """d median(x) = the middle element of sort(x) gets d, or the two middle ones d / 2
    each (quantile 1/2), sent back where argsort(x) took them from"""
    return _order_statistic(b, g, a, 0.5, axis, keepdims)


@defrule("quantile")
def quantile(b, g, ans, a, q, axis=None, method="linear", keepdims=False):
    """d quantile(x, q) = (1 - γ) d to sort(x)[⌊h⌋], γ d to sort(x)[⌊h⌋ + 1], h = q (n - 1),
    γ = h - ⌊h⌋, sent back where argsort(x) took them from"""
    return _order_statistic(b, g, a, q, axis, keepdims)


@defrule("percentile")
def percentile(b, g, ans, a, q, axis=None, method="linear", keepdims=False):
    """d percentile(x, p) = d quantile(x, p / 100)"""
    return _order_statistic(b, g, a, q / 100, axis, keepdims)
