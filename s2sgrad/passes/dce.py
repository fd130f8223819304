"""Dead code elimination: ops whose results nothing uses are removed. Every op
of the closed set is pure except the tape ops (their `effect`): an append
(`push`) lives while its tape is read by a pop. Nested regions are cleaned too;
the values their ops read keep outer definitions alive."""

from ..ir.core import Region
from ..ir.opcodes import OPS


def run(fn):
    live_stacks = set()
    while True:   # a push is live once its tape is read somewhere; iterate to a fixpoint
        body, used = _region(fn.body, set(), live_stacks)
        ops = list(body.walk())
        effect = {op: OPS[op.opcode].effect for op in ops}
        stacks = {r for op in ops if effect[op] == "new" for r in op.results}
        read = {op.operands[0] for op in ops if effect[op] == "consume"}
        read |= {op.operands[1] for op in ops if effect[op] == "update"
                 and (op.operands[1] in stacks or op.operands[1].type.kind == "list")}
        for op in ops:      # a tape made in a branch leaves it as a result of the if
            if op.opcode == "if":
                read |= {r.yields[k] for k, res in enumerate(op.results)
                         if res in read | live_stacks for r in op.regions}
        if read <= live_stacks:        # (a tape pushed onto an outer loop's tape is read too)
            return fn.with_body(body)
        live_stacks |= read


def _region(region, live_out, live_stacks):
    """(cleaned region, values it reads from outside or itself)."""
    live = set(region.yields) | set(live_out)
    kept = []
    for op in reversed(region.ops):
        effect = _pushes(op, live_stacks) or op.regions and any(
            _pushes(o, live_stacks) for r in op.regions for o in r.walk())
        if not effect and not any(r in live for r in op.results):
            continue
        if op.opcode == "if" and not all(r in live for r in op.results):
            keep = [k for k, r in enumerate(op.results) if r in live]
            op = op.replace(results=tuple(op.results[k] for k in keep), regions=tuple(
                Region(r.args, r.ops, tuple(r.yields[k] for k in keep)) for r in op.regions))
        if op.regions:
            regions = []
            for r in op.regions:
                r2, inner = _region(r, set(), live_stacks)
                regions.append(r2)
                live.update(inner)
            op = op.replace(regions=tuple(regions))
        kept.append(op)
        live.update(op.operands)
        if OPS[op.opcode].effect == "consume":    # a pop kept: its tape's pushes, met later in
            live_stacks.add(op.operands[0])      # this backward walk, are kept (one pass, most often)
    return Region(region.args, tuple(reversed(kept)), region.yields), live


def _pushes(op, live_stacks):
    """op appends to a tape something reads."""
    return OPS[op.opcode].effect == "update" and op.operands[0] in live_stacks
