"""Scatter accumulation: `a + index_add(zeros_like(x), g, k)` becomes `index_add(a, g, k)`.

The adjoint of a read `x[k]` is g scattered into zeros shaped like x. Summed
with x's other contributions, each read costs a dense array of zeros and a
dense add (in a loop, every iteration). Adding g into the sum at k is the
same numbers, and codegen writes it in place: `d_x[i] += g`. A chain of
scatters into one array of zeros (two reads of x in one statement) is
re-based onto a the same way. The rewrite needs a, the scatters and the sum
to have one shape and dtype (no broadcasting, no promotion), and each link of
the chain to be read only by the next. When a is read only by the sum and is
made before the chain, the chain's first scatter adds into a where it stands,
under its `# grad of:` line; otherwise (one scatter only) the sum becomes the
scatter into a.
"""

from ..ir import types as T
from ..ir.core import Op, Region, def_map, substitute, use_counts


def run(fn):
    if not any(op.opcode == "index_add" for op in fn.body.walk()):
        return fn  # no scatter to accumulate
    for _ in range(8):  # each round may expose sums of chains rewritten in the last
        uses = use_counts(fn.body)
        defs = def_map(fn.body)
        body = _region(fn.body, uses, defs)
        if body is fn.body:
            return fn
        fn = fn.with_body(body)
    return fn


def _region(region, uses, defs):
    ops = []
    for op in region.ops:
        regions = tuple(_region(r, uses, defs) for r in op.regions)
        changed = any(a is not b for a, b in zip(regions, op.regions))
        ops.append(op.replace(regions=regions) if changed else op)
    pos = {id(op): i for i, op in enumerate(ops)}
    at = {r: i for i, op in enumerate(ops) for r in op.results}  # where each value is made
    replace, drop, mapping, taken = {}, set(), {}, set()
    for op in ops:
        found = _match(op, uses, defs)
        if found is None:
            continue
        acc, chain = found
        root = chain[-1]
        if any(id(o) not in pos or id(o) in taken for o in chain):
            continue
        new = Op(
            "index_add", (acc,) + root.operands[1:], root.results, root.attrs, root.loc, root.tag
        )
        if uses.get(acc, 0) == 1 and at.get(acc, -1) < pos[id(root)]:
            replace[id(root)] = new  # add into a where the first scatter is
            drop.add(id(op))
            mapping[op.result] = chain[0].result  # the sum is the chain's last scatter
            at[op.result] = pos[id(chain[0])]
        elif len(chain) == 1:
            replace[id(op)] = new.replace(results=op.results, loc=op.loc, tag=op.tag)
        else:
            continue
        taken.update(id(o) for o in chain)
    if not replace:
        changed = any(a is not b for a, b in zip(ops, region.ops))
        return Region(region.args, tuple(ops), region.yields) if changed else region
    out = [replace.get(id(op), op) for op in ops if id(op) not in drop]
    return substitute(Region(region.args, tuple(out), region.yields), mapping)


def _match(op, uses, defs):
    """(a, [the index_add ops from the sum's operand back to the one into zeros])
    when op is `a + index_add(...index_add(zeros_like(..), g1, k1)..., gn, kn)`."""
    if op.opcode != "add" or not _same(op.result.type, op.result.type):
        return None
    for acc, s in (op.operands, op.operands[::-1]):
        if acc is s or not _same(acc.type, op.result.type):
            continue
        chain, v = [], s
        while True:
            link = defs.get(v)
            if (
                link is None
                or link.opcode != "index_add"
                or uses.get(v, 0) != 1
                or not _same(v.type, op.result.type)
            ):
                break
            chain.append(link)
            base = defs.get(link.operands[0])
            if base is not None and base.opcode == "zeros_like" and uses.get(base.result, 0) == 1:
                return acc, chain
            v = link.operands[0]
    return None


def _same(a, b):
    return (
        a.kind == b.kind == "array"
        and a.dtype is not None
        and a.dtype == b.dtype
        and not a.weak
        and not b.weak
        and T.same_shape(a.shape, b.shape)
    )
