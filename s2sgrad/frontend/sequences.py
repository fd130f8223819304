"""Tuples and lists where NumPy takes an array: `np.sum([a, 3.0 * a])`,
`np.array([a * b, a, 1.0])`, `np.dot((a, 3.0 * a), w)`.

NumPy turns such a sequence into an array with `np.array`: its items stacked
along a new first axis (nested sequences first). s2sgrad does the same, so the
values in it keep their gradients: the sequence is a `list` or `tuple` op of
its items, and a NumPy function other than np.array/np.asarray reads
`np.array(sequence)`. The gradient of the stack hands each item its slice of
the cotangent (rules/shape.py). A sequence NumPy cannot stack (items of
different shapes, an item that is not a number or an array) is refused here,
at the call, never taken as a constant.
"""

from ..ir import types as T
from ..ir.core import Value


def array_operand(lw, value, node, what, convert=True):
    """`value`, a lowered argument of the NumPy function `what`, as its array
    operand: a sequence holding float values becomes `np.array(sequence)` (when
    `convert`; np.array and np.asarray take the sequence itself). Sequences of
    integers (sizes, indices) are constants and stay as they are."""
    if isinstance(value, Value) and value.type.kind == "dynlist":
        return lw.b.list_array(value)  # a list built with append: np.array(out)
    if not is_sequence(value):
        return value
    seq = lw.to_value(value, node)
    if seq.type.items is None or _constant(seq.type):
        return seq
    _check_items(lw, seq.type, node, what)
    return lw.b.array(seq) if convert else seq


def is_sequence(value):
    """A tuple or list display (a Python tuple/list while lowering), or a value
    of tuple or list type."""
    return (
        isinstance(value, (tuple, list))
        or isinstance(value, Value)
        and value.type.kind in ("tuple", "list")
    )


def _constant(t):
    """True for a sequence of integers and bools only: no gradient can flow through it."""
    if t.kind in ("tuple", "list"):
        return t.items is not None and all(_constant(i) for i in t.items)
    return t.kind == "array" and t.is_integer


def _check_items(lw, t, node, what):
    for k, item in enumerate(t.items):
        if item.kind in ("tuple", "list"):
            if item.items is not None:
                _check_items(lw, item, node, what)
        elif item.kind != "array":
            lw.unsupported(
                node,
                f"item {k} of the {t.kind} given to {what} is {_a(item.kind)}, "
                "not a number or an array",
                "pass numbers and arrays only",
            )
    shapes = [(k, T.stacked(item)) for k, item in enumerate(t.items)]
    for (i, a), (j, b) in zip(shapes, shapes[1:]):
        if a is not None and b is not None and T.shapes_differ(a.shape, b.shape):
            lw.unsupported(
                node,
                f"the {t.kind} given to {what} holds items of different shapes "
                f"(item {i} is {a}, item {j} is {b}), which NumPy cannot stack",
                "give every item the same shape (np.full_like(v, s) for a number s "
                "beside an array v), or combine the items with arithmetic",
            )


def _a(kind):
    return {"none": "None", "str": "a string", "function": "a function"}.get(kind, f"a {kind}")
