"""Negations folded into sums: `a + (-b)` is `a - b`, `(-b) + a` is `a - b` and `a -
(-b)` is `a + b`, exactly (IEEE subtraction is the addition of the negation), when
the negation is read nowhere else; and `np.sum(-a, axis)` is `-np.sum(a, axis)` (also
np.mean), exactly too (rounding is symmetric), negating the small result, not a. The adjoint of `x - y` or of `-x` is a negated
array; summed into another adjoint, the negation is one pass over memory saved."""

from ..ir.core import TEMP, Op, Region, Value, def_map, use_counts


def run(fn):
    defs = def_map(fn.body)
    uses = use_counts(fn.body)
    return fn.with_body(_region(fn.body, defs, uses))


def _negated(v, defs, uses):
    d = defs.get(v)
    if d is None or d.opcode != "neg" or uses.get(v, 0) != 1 or not v.type.is_float:
        return None
    return d.operands[0]


def _region(region, defs, uses):
    ops, changed = [], False
    for op in region.ops:
        if op.regions:
            regions = tuple(_region(r, defs, uses) for r in op.regions)
            if any(a is not b for a, b in zip(regions, op.regions)):
                op, changed = op.replace(regions=regions), True
        if op.opcode in ("add", "sub") and len(op.operands) == 2 and op.result.type.is_float:
            a, b = op.operands
            nb, na = _negated(b, defs, uses), _negated(a, defs, uses)
            new = None
            if nb is not None and nb.type.dtype == b.type.dtype:
                new = ("sub" if op.opcode == "add" else "add", (a, nb))
            elif op.opcode == "add" and na is not None and na.type.dtype == a.type.dtype:
                new = ("sub", (b, na))
            if new is not None:
                op, changed = Op(new[0], new[1], op.results, op.attrs, op.loc, op.tag), True
        if op.opcode in ("sum", "mean") and op.attr("dtype") is None and op.result.type.is_float:
            a = _negated(op.operands[0], defs, uses)
            if a is not None and a.type.dtype == op.operands[0].type.dtype:
                s = Value(TEMP, op.result.type)
                ops.append(Op(op.opcode, (a,), (s,), op.attrs, op.loc, op.tag))
                op, changed = Op("neg", (s,), op.results, (), op.loc, op.tag), True
        ops.append(op)
    return Region(region.args, tuple(ops), region.yields) if changed else region


__all__ = ["run"]
