"""The rule of `linear_scan`, the first-order linear recurrence p_i = v_i + a_i p_{i-1}
along an axis (`_linear_scan(v, a, axis=k)` in generated code; ir/opcodes.py has its
helper, ⌈log2 n⌉ steps of Hillis and Steele's scan), which cumprod's rules are made of
(reductions.cumprod, tangents.cumprod).

Its solution p_i = Σ_{j ≤ i} v_j Π_{j < k ≤ i} a_k is a polynomial in v and a, computed
with products and sums only: no division, no test for zeros. Its derivatives are scans
again (this rule, and tangents.linear_scan), so every derivative of cumprod is exact to
every order wherever the a's are, zeros included, which the closed form (cumprod(a)
times a cumsum of v / cumprod(a)) is not: it divides by a product that a zero makes 0.
It is one op rather than a loop of IR ops because a loop is reversed with a tape, and
a third derivative would have to reverse that reverse sweep again (not supported).
"""

from .registry import defrule
from .shape import _slice_along


def reverse_scan(b, v, a, axis):
    """r_j = v_j + a_{j+1} r_{j+1} along the axis (r_{n-1} = v_{n-1}; `a` holds
    a_1 ... a_{n-1}): the scan of the reversed arrays, reversed (views, no copies)."""
    return b.flip(b.linear_scan(b.flip(v, axis=axis), b.flip(a, axis=axis), axis=axis),
                  axis=axis)


@defrule("linear_scan")
def linear_scan(b, g, ans, v, a, axis):
    """p = scan(v, a), pᵢ = vᵢ + aᵢ pᵢ₋₁: dv = the reverse scan of dp (dvⱼ = dpⱼ + aⱼ₊₁ dvⱼ₊₁),
    daᵢ = dvᵢ pᵢ₋₁ (a polynomial: exact to every order)"""
    dv = reverse_scan(b, g, a, axis)
    return dv, b.mul(_slice_along(b, dv, axis, 1, None), _slice_along(b, ans, axis, 0, -1))
