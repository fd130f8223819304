"""Scatter accumulation: `a + index_add(zeros_like(x), g, k)` becomes `index_add(a, g, k)`.

The adjoint of a read `x[k]` is g scattered into zeros shaped like x. Summed
with x's other contributions, each read costs a dense array of zeros and a
dense add (in a loop, every iteration). Adding g into the running sum at k is
the same numbers and codegen writes it in place: `d_x[i] += g`. The rewrite
needs a, the scatter and the sum to have one shape and dtype (no
broadcasting, no promotion). When a is read only by the sum, the new op
takes the scatter's place, under its `# grad of:` line; otherwise the sum's.
"""

from ..ir import types as T
from ..ir.core import Op, Region, def_map, use_counts


def run(fn):
    uses = use_counts(fn.body)
    defs = def_map(fn.body)
    return fn.with_body(_region(fn.body, uses, defs))


def _region(region, uses, defs):
    ops = []
    for op in region.ops:
        regions = tuple(_region(r, uses, defs) for r in op.regions)
        changed = any(a is not b for a, b in zip(regions, op.regions))
        ops.append(op.replace(regions=regions) if changed else op)
    pos = {id(op): i for i, op in enumerate(ops)}
    at = {r: i for i, op in enumerate(ops) for r in op.results}    # where each value is made
    replace, drop = {}, set()
    for i, op in enumerate(ops):
        found = _match(op, uses, defs)
        if found is None:
            continue
        acc, scatter = found
        if id(scatter) not in pos or id(scatter) in replace or id(scatter) in drop:
            continue
        new = Op("index_add", (acc,) + scatter.operands[1:], op.results, scatter.attrs,
                 op.loc, op.tag)
        early = uses.get(acc, 0) == 1 and at.get(acc, -1) < pos[id(scatter)]
        if early:
            replace[id(scatter)] = new.replace(loc=scatter.loc, tag=scatter.tag)
            drop.add(id(op))
            at[op.result] = pos[id(scatter)]
        else:
            replace[id(op)] = new
    if not replace:
        changed = any(a is not b for a, b in zip(ops, region.ops))
        return Region(region.args, tuple(ops), region.yields) if changed else region
    out = [replace.get(id(op), op) for op in ops if id(op) not in drop]
    return Region(region.args, tuple(out), region.yields)


def _match(op, uses, defs):
    """(a, the index_add op) when op is `a + index_add(zeros_like(..), g, ..)`."""
    if op.opcode != "add":
        return None
    for acc, s in (op.operands, op.operands[::-1]):
        scatter = defs.get(s)
        if scatter is None or scatter.opcode != "index_add" or uses.get(s, 0) != 1:
            continue
        base = defs.get(scatter.operands[0])
        if base is None or base.opcode != "zeros_like" or uses.get(base.result, 0) != 1:
            continue
        if acc is s or not all(_same(v.type, op.result.type) for v in (acc, s)):
            continue
        return acc, scatter
    return None


def _same(a, b):
    return a.kind == b.kind == "array" and a.dtype is not None and a.dtype == b.dtype \
        and not a.weak and not b.weak and T.same_shape(a.shape, b.shape)
