"""Broadcast elision: `np.broadcast_to(v, s)` whose every use is an elementwise
op that broadcasts to `s` anyway (its other operand has shape `s`) is dropped;
the uses read `v`. Reductions' rules broadcast their cotangent back to the
input's shape; most of the time the next rule multiplies it by an array of
that shape, and the explicit broadcast only costs a view and a line. A user
is any binary op its definition calls elementwise.

A negation of a broadcast is the broadcast of the negation (`-np.broadcast_to(c,
s)` is `np.broadcast_to(-c, s)`, the same numbers): moved first, so the adjoint
of `a - b` reads `-c` where it multiplies, not a negated array of shape s. And an
elementwise op whose other operand has the result's shape reads a broadcast number
itself through the views made of its broadcast (`np.broadcast_to(c, s)[:, None] *
labels` is `c * labels`)."""

from ..ir import types as T
from ..ir.core import Op, Region, Value, def_map, rewrite_ops, substitute, use_counts
from ..ir.opcodes import OPS, infer


def run(fn):
    if not any(op.opcode == "broadcast_to" for op in fn.body.walk()):
        return fn
    fn = fn.with_body(_negations_moved(fn.body, def_map(fn.body)))
    uses = use_counts(fn.body)
    users = {}
    for op in fn.body.walk():
        for v in op.operands:
            users.setdefault(v, []).append(op)
    mapping = {}
    for op in fn.body.walk():
        if op.opcode != "broadcast_to":
            continue
        r, src = op.result, op.operands[0]
        ops = users.get(r, [])
        if not ops or len(ops) != uses.get(r, 0):
            continue
        if all(_absorbs(u, r, src, mapping) for u in ops):
            mapping[r] = src  # (`1.0 * x` then, of the seed: passes/ones.py folds it)
    if mapping:
        fn = fn.with_body(substitute(fn.body, mapping))
    fn = fn.with_body(_scalars_read(fn.body, def_map(fn.body)))
    return fn.with_body(_filled(fn.body, use_counts(fn.body)))


def _filled(region, uses):
    """`np.copy(np.broadcast_to(c, s))` of a number c whose broadcast nothing else reads
    (a gradient handed back: its own array) -> `np.full(s, c)` where the broadcast was:
    one pass writing the array, where the copy reads a view of c. In one region only (a
    copy in a loop makes an array each trip)."""
    found = {
        op.result: op
        for op in region.ops
        if op.opcode == "broadcast_to"
        and uses.get(op.result) == 1
        and op.operands[0].type.shape == ()
        and op.operands[0].type.dtype == op.result.type.dtype
    }
    full, dropped = {}, set()
    for op in region.ops:
        d = found.get(op.operands[0]) if op.opcode == "copy" else None
        if d is not None:
            full[id(d)] = Op("full", (d.operands[1], d.operands[0]), op.results, (), d.loc, d.tag)
            dropped.add(id(op))
    ops, changed = [], bool(full)
    for op in region.ops:
        if id(op) in dropped:
            continue
        if op.regions:
            regions = tuple(_filled(r, uses) for r in op.regions)
            if any(a is not b for a, b in zip(regions, op.regions)):
                op, changed = op.replace(regions=regions), True
        ops.append(full.get(id(op), op))
    return Region(region.args, tuple(ops), region.yields) if changed else region


def _absorbs(user, r, src, elided):
    """`user` broadcasts to r's shape without r: its other operand has that shape,
    and keeps it (it is not a broadcast elided already: `a + b` of two broadcasts
    keeps one); and reading `src` for r leaves the result's dtype as it is (a
    Python number is weak: `1.0 * x32` is float32, `np.broadcast_to(1.0, s) * x32`
    float64)."""
    if not OPS[user.opcode].elementwise or len(user.operands) != 2:
        return False
    a, b = user.operands
    other = b if a is r else a
    if a is r and b is r or other in elided:
        return False
    return T.same_shape(other.type.shape, r.type.shape) and T.result_dtype(
        src.type, other.type
    ) == T.result_dtype(r.type, other.type)


def _negations_moved(region, defs):
    """`u = -r` of `r = np.broadcast_to(c, s)` -> `t = -c; u = np.broadcast_to(t, s)`,
    where that gives u's type exactly."""

    def each(op):
        d = defs.get(op.operands[0]) if op.opcode == "neg" else None
        if d is None or d.opcode != "broadcast_to":
            return None
        src, rest = d.operands[0], d.operands[1:]
        neg_t = infer("neg", (src.type,), {})
        if (
            infer("broadcast_to", (neg_t,) + tuple(v.type for v in rest), d.attr_dict).dtype
            != op.result.type.dtype
            or d.result.type != op.result.type
        ):
            return None
        t = Value(op.result.hint, neg_t)
        return [
            Op("neg", (src,), (t,), (), op.loc, op.tag),
            Op("broadcast_to", (t,) + tuple(rest), op.results, d.attrs, op.loc, op.tag),
        ]

    return rewrite_ops(region, each)


_VIEWS = ("expand_dims", "squeeze", "reshape", "transpose", "T")


def scalar_of(v, defs):
    """c when v is `np.broadcast_to(c, s)` of a number c, or a view of one (new axes,
    reshapes, transposes, full slices): every item of v is c."""
    for _ in range(8):
        d = defs.get(v)
        if d is None:
            return None
        if d.opcode == "broadcast_to":
            c = d.operands[0]
            return c if c.type.kind == "array" and c.type.rank == 0 else None
        if (
            d.opcode == "index"
            and len(d.operands) == 1
            and all(k is None or k == "..." or k == (None, None, None) for k in d.attr("key"))
        ):
            v = d.operands[0]
        elif d.opcode in _VIEWS:
            v = d.operands[0]
        else:
            return None
    return None


def _scalars_read(region, defs):
    """Elementwise binary ops reading the number a broadcast (or its view) repeats."""

    def each(op):
        if not OPS[op.opcode].elementwise or len(op.operands) != 2 or len(op.results) != 1:
            return None
        operands = list(op.operands)
        for k in (0, 1):
            v, other = operands[k], operands[1 - k]
            c = scalar_of(v, defs) if defs.get(v) is not None else None
            if c is None or scalar_of(other, defs) is not None:
                continue
            if (
                T.same_shape(other.type.shape, op.result.type.shape)
                and T.result_dtype(c.type, other.type) == T.result_dtype(v.type, other.type)
                and defs[v].opcode != "broadcast_to"
            ):
                operands[k] = c
        return [op.replace(operands=tuple(operands))] if tuple(operands) != op.operands else None

    return rewrite_ops(region, each)
