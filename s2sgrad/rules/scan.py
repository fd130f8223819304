"""The rule of `linear_scan`, the first-order linear recurrence p_i = v_i + a_i p_{i-1}
along an axis (reverse=True: p_i = v_i + a_{i+1} p_{i+1}, from the end), written
`_linear_scan(v, a, axis=k)` in generated code (ir/opcodes.py has the helper, ⌈log2 n⌉
steps of Hillis and Steele's scan), which cumprod's rules are made of
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


def scan(b, v, a, axis, reverse=False):
    """The linear_scan op (`reverse` written only when it is True)."""
    return b.linear_scan(v, a, axis=axis, **({"reverse": True} if reverse else {}))


def previous(b, p, axis, reverse):
    """p_{i-1} for i = 1 ... n-1 (p_{i+1} for i = 0 ... n-2 when reverse): what a_i multiplies."""
    return _slice_along(b, p, axis, 1, None) if reverse else _slice_along(b, p, axis, 0, -1)


@defrule("linear_scan")
def linear_scan(b, g, ans, v, a, axis, reverse=False):
    """p = scan(v, a), pᵢ = vᵢ + aᵢ pᵢ₋₁ (reverse: pᵢ = vᵢ + aᵢ₊₁ pᵢ₊₁): dv = the scan of dp the
    other way (dvⱼ = dpⱼ + aⱼ₊₁ dvⱼ₊₁), daᵢ = dvᵢ pᵢ₋₁ (a polynomial: exact to every order)"""
    dv = scan(b, g, a, axis, not reverse)
    return dv, b.mul(previous(b, dv, axis, not reverse), previous(b, ans, axis, reverse))
