"""Shift invariance: a stabilising shift gets no gradient.

`m = np.max(x, axis=1, keepdims=True)` in `np.exp(x - m) / np.sum(np.exp(x - m),
axis=1, keepdims=True)` (softmax) or in `m + np.log(np.sum(np.exp(x - m)))`
(logsumexp) is there for the floating point only: the result does not depend on
m at all, so its adjoint is exactly zero, but the reverse sweep would still
compute it (the adjoint of the shift, a mask of the maxima, their count: six
passes over x). This pass proves the independence and marks m's uses
`stop_gradient(m)`: the same value, no adjoint.

The proof is a forward walk from m over everything that depends on it, giving
each value a tag that says how it depends on m, with m constant along the
reduced axis (the 'row' of m):

    ('add', c)   v = F + c*m          (x - m: c = -1; log of a 'mul' value)
    ('mul', c)   v = F * exp(c*m)     (exp of an 'add' value; sums along the row)

where F does not depend on m. A value whose c comes out 0 (`m + log(sum(exp(x -
m)))`, `e / sum(e)`, `s - log(sum(exp(s)))`) does not depend on m. Any other use
of a tagged value (an op outside the table, a loop, a branch's yield, the
function's result, an axis other than the row's) and m keeps its gradient. The
layout follows the row through the shapes: 'keep' (the reduced axis is there,
of size 1 in m), 'drop' (it was removed: `m[:, 0]`, keepdims=False) or 'all'
(m is one number: the shift is the same everywhere).

The gradient with respect to x changes by rounding only (the dropped term is a
sum that is zero in exact arithmetic); higher derivatives stay right, as the
function is invariant at every m."""

from ..ir.core import Op, Region, Value, def_map, substitute_op

_CANDIDATES = ("max", "min", "mean")
_FAIL = "fail"


def run(fn, merge=None):
    """`merge`: common subexpressions merged first (passes/cse.py), so the max a user
    writes twice (`np.max(x) + np.log(np.sum(np.exp(x - np.max(x))))`) is one value."""
    if next(_candidates(fn), None) is None:
        return fn
    merged = merge(fn) if merge is not None else fn
    defs = def_map(merged.body)
    marked = [m for m in _candidates(merged) if _invariant(merged, m, defs)]
    if not marked:
        return fn
    return merged.with_body(_stopped(merged.body, set(marked)))


def _candidates(fn):
    for op in fn.body.walk():
        if (
            op.opcode in _CANDIDATES
            and len(op.results) == 1
            and op.result.type.is_float
            and op.operands[0].type.shape is not None
        ):
            yield op.result


def _layout(op):
    """The row layout of a shift made by the reduction `op`, or None."""
    rank = len(op.operands[0].type.shape)
    axis = op.attr("axis")
    if axis is None or rank <= 1:
        return ("all",)
    if isinstance(axis, tuple):
        if len(axis) != 1:
            return None
        (axis,) = axis
    if not isinstance(axis, int) or not -rank <= axis < rank:
        return None
    return ("keep" if op.attr("keepdims") else "drop", axis % rank, rank)


def _invariant(fn, m, defs):
    """True when nothing fn returns, yields or hands on depends on m (see above)."""
    layout = _layout(defs[m])
    if layout is None:
        return False
    tags = {m: ("add", 1, layout)}
    nested = []
    for op in fn.body.walk():
        if op.results and op.results[0] is m:
            continue
        if op.regions:  # a loop or branch given a tagged value, or yielding one
            if any(v in tags for v in op.operands):
                return False
            nested.append(op)
            continue
        if not any(v in tags for v in op.operands):
            continue
        tag = _transfer(op, tags)
        if tag is _FAIL:
            return False
        if tag is not None:
            tags[op.result] = tag
    return not any(v in tags for v in fn.body.yields) and not any(
        v in tags for op in nested for r in op.regions for v in r.yields
    )


def _transfer(op, tags):
    """The tag of op's result from its operands' (None: independent of m)."""
    name = op.opcode
    if len(op.results) != 1:
        return _FAIL
    ts = [tags.get(v) for v in op.operands]
    if name in ("add", "sub", "mul", "div", "neg", "exp", "log"):
        layout = _elementwise_layout(op, ts)
        if layout is None:
            return _FAIL
        kinds = {t[0] for t in ts if t is not None}
        if len(kinds) != 1:
            return _FAIL
        (kind,) = kinds
        c = [t[1] if t is not None else 0 for t in ts]
        if name in ("add", "sub"):
            if kind == "add":
                c = c[0] + c[1] if name == "add" else c[0] - c[1]
            elif all(t is not None for t in ts) and c[0] == c[1]:
                c = c[0]  # E1 e^cm +- E2 e^cm
            else:
                return _FAIL
        elif name in ("mul", "div"):
            if kind != "mul":
                return _FAIL
            c = c[0] + c[1] if name == "mul" else c[0] - c[1]
        elif name == "neg":
            c = -c[0]
            if kind == "mul":
                c = -c  # -(E e^cm): the factor stays
        elif name == "exp":
            if kind != "add":
                return _FAIL
            kind, c = "mul", c[0]
        else:  # log
            if kind != "mul":
                return _FAIL
            kind, c = "add", c[0]
        return (kind, c, layout) if c != 0 else None
    if ts[0] is None or any(t is not None for t in ts[1:]):
        return _FAIL  # (a tagged value used as an index, a shape...)
    t = ts[0]
    kind, c, layout = t
    if name in ("sum", "mean", "max", "min"):
        if name == "sum" and kind != "mul":
            return _FAIL  # sum(F + c m) = sum F + c K m
        if op.attr("dtype") is not None:
            return _FAIL
        if layout[0] == "all":
            return t
        if layout[0] != "keep":
            return _FAIL
        axis = op.attr("axis")
        axis = axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis
        rank = layout[2]
        if not isinstance(axis, int) or axis % rank != layout[1] or len(op.operands) != 1:
            return _FAIL
        return (kind, c, layout if op.attr("keepdims") else ("drop",) + layout[1:])
    if name == "index" and len(op.operands) == 1:
        if layout[0] == "all":
            return t
        key, a = op.attr("key"), layout[1]
        full = (None, None, None)
        if layout[0] == "keep" and key == (full,) * a + (0,):
            return (kind, c, ("drop",) + layout[1:])
        if layout[0] == "drop" and key == (full,) * a + (None,):
            return (kind, c, ("keep",) + layout[1:])
        return _FAIL
    if name in ("squeeze", "expand_dims"):
        if layout[0] == "all":
            return t
        axis = op.attr("axis")
        axis = axis[0] if isinstance(axis, tuple) and len(axis) == 1 else axis
        rank = layout[2]
        if not isinstance(axis, int):
            return _FAIL
        if name == "squeeze" and layout[0] == "keep" and axis % rank == layout[1]:
            return (kind, c, ("drop",) + layout[1:])
        if name == "expand_dims" and layout[0] == "drop" and axis % rank == layout[1]:
            return (kind, c, ("keep",) + layout[1:])
        return _FAIL
    return _FAIL


def _elementwise_layout(op, ts):
    """The row layout of an elementwise op's result: its tagged operands' one layout,
    each of the result's rank (broadcasting never moves the row's axis)."""
    layouts = {t[2] for t in ts if t is not None}
    if len(layouts) != 1:
        return None
    (layout,) = layouts
    if not op.result.type.is_float:
        return None
    if layout[0] == "all":
        return layout
    rank = op.result.type.rank
    want = layout[2] if layout[0] == "keep" else layout[2] - 1
    if rank != want or any(v.type.rank != rank for v, t in zip(op.operands, ts) if t is not None):
        return None
    return layout


def _stopped(region, marked):
    """The region with each marked value's uses reading stop_gradient(value)."""
    ops, mapping = [], {}
    for op in region.ops:
        op = substitute_op(op, mapping)
        if op.regions:
            op = op.replace(regions=tuple(_stopped(r, marked) for r in op.regions))
        ops.append(op)
        for r in op.results:
            if r in marked:
                s = Value(r.hint, r.type)
                ops.append(Op("stop_gradient", (r,), (s,), (), op.loc, op.tag))
                mapping[r] = s
    return Region(region.args, tuple(ops), region.yields)


__all__ = ["run"]
