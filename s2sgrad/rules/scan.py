"""The first-order linear recurrence p_i = v_i + a_i p_{i-1} along an axis, as a
log-depth scan of IR ops: what cumprod's rules are made of (reductions.cumprod,
tangents.cumprod).

Its solution p_i = Σ_{j ≤ i} v_j Π_{j < k ≤ i} a_k is a polynomial in v and a, and
the scan computes it with products and sums only: no division, no test for zeros.
So its derivatives are exact to every order wherever the a's are, zeros included,
which the closed form (cumprod(a) times a cumsum of v / cumprod(a)) is not: it
divides by a product that a zero makes 0.
"""

from ..ir import types as T
from ..ir.core import Region, Value
from .shape import _slice_along


def linear_scan(b, v, a, axis):
    """p_i = v_i + a_i p_{i-1} along the axis (p_0 = v_0), for every i: `a` holds
    a_1 ... a_{n-1} (it is one shorter than v along the axis). A loop of ⌈log2 n⌉
    steps (Hillis and Steele's scan), the length along the axis needing to be known
    only when it runs: step s adds a_{(i-s, i]} p_{i-s} to each p_i with i ≥ s (p then
    sums the terms of its last 2s indices) and pairs the coefficients' products
    likewise, a_{(i-2s, i]} = a_{(i-s, i]} a_{(i-2s, i-s]} (one shorter by s each
    step). n log2 n products: about 3x the closed form's time for 10^6 elements."""
    n = b.getitem(b.shape(v), index=axis, hint="n")
    carried = [v, a, b.const(1)]
    types = [v.type, _along_unknown(a.type, axis), T.PY_INT]
    for _ in range(3):          # (the carried types, widened until the body keeps them)
        cond, body = _scan_regions(b, types, n, axis)
        widened = [T.join(t, y.type) for t, y in zip(types, body.yields)]
        if widened == types:
            break
        types = widened
    p, _, _ = b.region_op("while", carried, [cond, body], types, ["p", "a", "s"])
    return p


def _along_unknown(t, axis):
    """t with its length along the axis unknown (it changes from one step to the next)."""
    if t.shape is None:
        return t
    shape = list(t.shape)
    shape[axis] = None
    return T.Type(dtype=t.dtype, shape=tuple(shape), weak=t.weak)


def _scan_regions(b, types, n, axis):
    """The while loop's condition (s < n) and body (one step of shift s)."""
    cb = b.child()
    cargs = [Value(h, t) for h, t in zip(("p", "a", "s"), types)]
    more = cb.lt(cargs[2], n)
    cond = Region(tuple(cargs), tuple(cb.ops), (more,))
    bb = b.child()
    p, a, s = args = [Value(h, t) for h, t in zip(("p", "a", "s"), types)]
    earlier = _slice_along(bb, p, axis, 0, bb.neg(s))
    later = _slice_along(bb, p, axis, s, None)
    p_next = bb.concatenate(_slice_along(bb, p, axis, 0, s),
                            bb.add(later, bb.mul(a, earlier)), axis=axis, hint="p")
    a_next = bb.mul(_slice_along(bb, a, axis, s, None), _slice_along(bb, a, axis, 0, bb.neg(s)),
                    hint="a")
    s_next = bb.mul(s, 2, hint="s")
    return cond, Region(tuple(args), tuple(bb.ops), (p_next, a_next, s_next))
