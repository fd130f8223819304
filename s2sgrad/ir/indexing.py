"""Index keys: the static description of `x[...]` carried by the indexing ops.

`index(x, *dyn) {key}` reads `x[key]`; `setitem(y, v, *dyn) {key}` and
`index_add(y, v, *dyn) {key}` are `y` with `y[key] = v` / `y[key] += v`
(`np.add.at` semantics: repeated positions accumulate). The key is a tuple,
one item per position of the source subscript:

    3                 a constant integer (negative counts from the end)
    None              a new axis (None, np.newaxis)
    '...'             Ellipsis
    (lo, hi, step)    a slice; each bound an int, None, or DYN
    DYN               a value known at run time: the next of the op's `dyn`
                      operands (an int scalar, an integer array or list, a
                      boolean mask)

`x[1:, None, ..., i]` is `key=((1, None, None), None, '...', '%')` with one
dyn operand `i`. DYN operands are consumed in item order, slice bounds in
(lo, hi, step) order. The helpers below answer what the frontend, type
inference, the rules and codegen need to know about a key: the result type,
whether it is basic indexing (a view; no repeated positions), whether
positions may repeat (integer arrays).
"""

from dataclasses import dataclass

import numpy as np

from . import types as T

DYN = "%"
ELLIPSIS = "..."


@dataclass(frozen=True)
class Item:
    """One resolved key item. kind: 'int' (value: the int, or the dyn thing),
    'slice' (value: (lo, hi, step), dyn bounds resolved), 'newaxis', 'ellipsis',
    'array' (an integer array: value is the dyn thing), 'mask' (a boolean array)."""

    kind: str
    value: object = None


def dyn_count(key):
    n = 0
    for item in key:
        if item == DYN:
            n += 1
        elif isinstance(item, tuple):
            n += sum(1 for b in item if b == DYN)
    return n


def resolve(key, dyn, types=None):
    """The key's items with DYN slots replaced, in order, by the elements of
    `dyn` (values, types or expressions). `types` (the dyn operands' Types,
    defaulting to `dyn` itself) classifies a dyn item as int, array or mask."""
    dyn = list(dyn)
    types = list(types) if types is not None else dyn
    pos = 0
    out = []
    for item in key:
        if isinstance(item, tuple):
            bounds = []
            for b in item:
                if b == DYN:
                    bounds.append(dyn[pos])
                    pos += 1
                else:
                    bounds.append(b)
            out.append(Item("slice", tuple(bounds)))
        elif item is None:
            out.append(Item("newaxis"))
        elif item == ELLIPSIS:
            out.append(Item("ellipsis"))
        elif item == DYN:
            out.append(Item(dyn_kind(types[pos]), dyn[pos]))
            pos += 1
        else:
            out.append(Item("int", item))
    return out


def dyn_kind(t):
    """How a dyn index operand of type `t` indexes: 'int', 'array' or 'mask'."""
    if not isinstance(t, T.Type):
        return "array"
    if t.kind in ("tuple", "list"):
        if t.items and all(i.kind == "array" and i.dtype == "bool" for i in t.items):
            return "mask"
        return "array"
    if t.dtype == "bool":
        return "mask"
    if t.shape == () and t.dtype is not None and np.dtype(t.dtype).kind in "iu":
        return "int"
    return "array"


def _dyn_types(operand_types, key):
    return list(operand_types)[: dyn_count(key)]


def is_basic(key, dyn_types):
    """True when the key has no array or mask: NumPy's basic indexing (the result is a
    view, or a scalar when every axis gets an int); no position is written twice."""
    return all(i.kind not in ("array", "mask") for i in resolve(key, dyn_types))


def may_repeat(key, dyn_types):
    """True when the key may select a position more than once (integer arrays)."""
    return any(i.kind == "array" for i in resolve(key, dyn_types))


def is_view(x_type, key, dyn_types):
    """True when `x[key]` may share memory with x: basic indexing that does not
    pick a single element (which NumPy returns as a new scalar)."""
    items = resolve(key, dyn_types)
    if not is_basic(key, dyn_types):
        return False
    return not (
        x_type.rank is not None
        and len(items) == x_type.rank
        and all(i.kind == "int" for i in items)
    )


def mask_rank(t):
    if isinstance(t, T.Type) and t.kind in ("tuple", "list"):
        return 1 if t.items is not None else None
    return t.rank if isinstance(t, T.Type) else None


def check(x_type, key, dyn_types):
    """An error message when `x[key]` is wrong whatever the values (too many indices,
    two ellipses), else None."""
    items = resolve(key, dyn_types)
    if sum(i.kind == "ellipsis" for i in items) > 1:
        return "an index can only have a single ellipsis ('...')"
    if x_type.rank is None:
        return None
    used = 0
    for i in items:
        if i.kind in ("int", "slice", "array"):
            used += 1
        elif i.kind == "mask":
            r = mask_rank(i.value)
            if r is None:
                return None
            used += r
    if used > x_type.rank:
        return f"too many indices: the array has {x_type.rank} dimension(s) but {used} were indexed"
    return None


def slice_length(d, lo, hi, step):
    """The length of a slice of a dimension `d` (int, symbol or None), or None."""
    if lo is None and hi is None and step in (None, 1, -1):
        return d
    if (
        isinstance(d, int)
        and all(b is None or type(b) is int for b in (lo, hi, step))
        and step != 0
    ):
        return len(range(*slice(lo, hi, step).indices(d)))
    return None


def result_shape(x_shape, key, dyn_types):
    """The shape of `x[key]`, dims as in types.Type; None when the rank is unknown."""
    items = resolve(key, dyn_types)
    if x_shape is None or check(T.Type(shape=x_shape), key, dyn_types) is not None:
        return None
    used = 0
    for i in items:
        if i.kind in ("int", "slice", "array"):
            used += 1
        elif i.kind == "mask":
            used += mask_rank(i.value)
    dims = iter(x_shape)
    fill = len(x_shape) - used
    advanced = any(i.kind in ("array", "mask") for i in items)
    out, adv_shapes, adv_at, last_adv, adjacent = [], [], None, None, True
    for n, i in enumerate(items):
        if i.kind == "ellipsis" or (i.kind == "slice") or i.kind == "newaxis":
            if i.kind == "ellipsis":
                out.extend(next(dims) for _ in range(fill))
                fill = 0
            elif i.kind == "newaxis":
                out.append(1)
            else:
                lo, hi, step = (b if type(b) is int or b is None else _UNKNOWN for b in i.value)
                d = next(dims)
                out.append(None if _UNKNOWN in (lo, hi, step) else slice_length(d, lo, hi, step))
            continue
        # int, array, mask: with any array or mask present, ints are advanced indices too
        if i.kind == "mask":
            for _ in range(mask_rank(i.value)):
                next(dims)
            shape = (None,)
        else:
            next(dims)
            shape = () if i.kind == "int" else _index_shape(i.value)
        if not advanced:
            continue
        if adv_at is None:
            adv_at = len(out)
        elif last_adv != n - 1:
            adjacent = False
        last_adv = n
        adv_shapes.append(shape)
    out.extend(dims)  # axes the key does not mention
    if adv_at is None:
        return tuple(out)
    adv = T.broadcast_shapes(*adv_shapes)
    if adv is None:
        return None
    if not adjacent:
        adv_at = 0
    return tuple(out[:adv_at]) + tuple(adv) + tuple(out[adv_at:])


_UNKNOWN = object()


def _index_shape(t):
    if isinstance(t, T.Type) and t.kind in ("tuple", "list"):
        if t.items is None:
            return None
        inner = [_index_shape(x) for x in t.items]
        if any(s is None for s in inner) or len(set(inner)) > 1:
            return None
        return (len(t.items),) + (inner[0] if inner else ())
    return t.shape if isinstance(t, T.Type) else None


def infer_index(ts, attrs):
    """Type of `index(x, *dyn) {key}`."""
    x, dyn = ts[0], ts[1:]
    key = attrs["key"]
    return T.array(x.dtype, result_shape(x.shape, key, _dyn_types(dyn, key)))


def infer_write(ts, attrs):
    """Type of `setitem` / `index_add`: the written array's."""
    return T.array(ts[0].dtype, ts[0].shape)
