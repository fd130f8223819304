"""Dead code elimination: ops whose results nothing uses are removed. Every op
of the closed set is pure except the tape ops and the draws (their `effect`): an
append (`push`) lives while its tape is read by a pop, and keeps the items of its
tuple that the pop's results still need; a draw from a random generator (or a
call given one) always lives (it advances the generator, whether its result is
used or not), and so does the loop or branch holding one. Nested regions are cleaned too; the values
their ops read keep outer definitions alive."""

from ..ir.core import Region, free_values
from ..ir.opcodes import OPS, draws


def run(fn):
    fn = fn.with_body(_lengths_dropped(fn.body))
    live_stacks = set()
    while True:  # a push is live once its tape is read somewhere; iterate to a fixpoint
        body, used = _region(fn.body, set(), live_stacks, _Slots(fn.body))
        ops = [op for op in body.walk() if op.opcode == "if" or OPS[op.opcode].effect is not None]
        effect = {op: OPS[op.opcode].effect for op in ops}
        stacks = {r for op in ops if effect[op] == "new" for r in op.results}
        read = {op.operands[0] for op in ops if effect[op] == "consume"}
        read |= {
            v
            for op in ops
            if effect[op] == "update"
            for v in op.operands[1:]
            if v in stacks or v.type.kind == "list"
        }
        for op in ops:  # a tape made in a branch leaves it as a result of the if
            if op.opcode == "if":
                read |= {
                    r.yields[k]
                    for k, res in enumerate(op.results)
                    if res in read | live_stacks
                    for r in op.regions
                }
        if read <= live_stacks:  # (a tape pushed onto an outer loop's tape is read too)
            return fn.with_body(body)
        live_stacks |= read


def _region(region, live_out, live_stacks, slots):
    """(cleaned region, values it reads from outside or itself). `slots[tape]`: the
    items of its pushed tuples that its pop keeps (a pop comes after its push, so a
    backward walk meets it first)."""
    live = set(region.yields) | set(live_out)
    kept = []
    for op in reversed(region.ops):
        effect = (
            _lives(op, live_stacks)
            or op.regions
            and any(_lives(o, live_stacks) for r in op.regions for o in r.walk())
        )
        if not effect and not any(r in live for r in op.results):
            continue
        if op.opcode == "for" and not all(r in live for r in op.results):
            op = _carried_trimmed(op, live)
        if op.opcode == "if" and not all(r in live for r in op.results):
            keep = [k for k, r in enumerate(op.results) if r in live]
            op = op.replace(
                results=tuple(op.results[k] for k in keep),
                regions=tuple(
                    Region(r.args, r.ops, tuple(r.yields[k] for k in keep)) for r in op.regions
                ),
            )
        if OPS[op.opcode].effect == "consume" and not all(r in live for r in op.results):
            keep = slots.keep(op.operands[0], [k for k, r in enumerate(op.results) if r in live])
            if keep is not None:
                op = op.replace(results=tuple(op.results[k] for k in keep))
        elif effect and op.opcode == "push":
            keep = slots.kept(op.operands[0], len(op.operands) - 1)
            op = op.replace(operands=op.operands[:1] + tuple(op.operands[1 + k] for k in keep))
        if op.regions:
            regions = []
            for r in op.regions:
                r2, inner = _region(r, set(), live_stacks, slots)
                regions.append(r2)
                live.update(inner)
            op = op.replace(regions=tuple(regions))
        kept.append(op)
        live.update(op.operands)
        if OPS[op.opcode].effect == "consume":  # a pop kept: its tape's pushes, met later in
            live_stacks.add(op.operands[0])  # this backward walk, are kept (one pass, most often)
    return Region(region.args, tuple(reversed(kept)), region.yields), live


def _carried_trimmed(op, live):
    """A `for` without the carried values nothing reads: neither after the loop (its
    result) nor in the body, except to make that value again (`acc = acc + y * y`
    in a loop whose acc is unused). A value an op with an effect reads is read."""
    body = op.regions[0]
    n = len(op.results)
    keep = {k for k, r in enumerate(op.results) if r in live}
    while True:
        read = _needed(body.ops, {body.yields[k] for k in keep})
        more = {k for k in range(n) if k not in keep and body.args[1 + k] in read}
        if not more:
            break
        keep |= more
    if len(keep) == n:
        return op
    ks = sorted(keep)
    new_body = Region(
        (body.args[0],) + tuple(body.args[1 + k] for k in ks),
        body.ops,
        tuple(body.yields[k] for k in ks),
    )
    return op.replace(
        operands=op.operands[:3] + tuple(op.operands[3 + k] for k in ks),
        results=tuple(op.results[k] for k in ks),
        regions=(new_body,),
    )


def _needed(ops, live):
    """The values ops read to make `live`, every op with an effect (a tape's, a draw,
    a check) counted as needed, with all it reads."""
    live = set(live)
    for op in reversed(ops):
        effect = (
            OPS[op.opcode].effect is not None
            or draws(op)
            or any(
                OPS[o.opcode].effect is not None or draws(o) for r in op.regions for o in r.walk()
            )
        )
        if not effect and not any(r in live for r in op.results):
            continue
        live.update(op.operands)
        if op.regions:
            live.update(free_values(op))
            live.update(y for r in op.regions for y in r.yields)
    return live


def _pushes(op, live_stacks):
    """op appends to a tape something reads."""
    return OPS[op.opcode].effect == "update" and op.operands[0] in live_stacks


def _lives(op, live_stacks):
    """op has an effect that must stay: a push to a tape something reads, or a draw (or a
    call passing a generator on)."""
    return draws(op) or _pushes(op, live_stacks)


class _Slots:
    """Which items of its tuples a tape's pop keeps, for its push to keep just those.
    A tape pushed onto an outer loop's tape is popped from what that tape's pop
    returns: the value popped is traced back to the tape made (one push a tape)."""

    def __init__(self, body):
        tape_ops = [op for op in body.walk() if OPS[op.opcode].effect is not None]
        pushes = {op.operands[0]: op for op in tape_ops if op.opcode == "push"}
        pops = [op for op in tape_ops if op.opcode == "pop"]
        self.made = {op.result for op in tape_ops if OPS[op.opcode].effect == "new"}
        self.origin = {}
        for op in pops:
            push = pushes.get(op.operands[0])
            if push is not None and len(push.operands) == len(op.results) + 1:
                self.origin.update(zip(op.results, push.operands[1:]))
        self.slots = {}
        popped = [self._tape(op.operands[0]) for op in pops]
        self.made -= {t for t in popped if popped.count(t) > 1}  # (one pop each, or keep all)

    def _tape(self, v):
        seen = set()
        while v in self.origin and v not in seen:
            seen.add(v)
            v = self.origin[v]
        return v if v in self.made else None

    def keep(self, tape, keep):
        """The pop of tape keeps items `keep` (all, when its tape is not traced)."""
        t = self._tape(tape)
        if t is None:
            return None
        self.slots[t] = keep
        return keep

    def kept(self, tape, n):
        return self.slots.get(tape, range(n))


# list ops whose last operand, len(L), only their adjoint read (ir/opcodes.py): once the
# gradients are expanded it is dropped, and the `len` op with it when nothing else reads it
_LENGTH_READ_BY_ADJOINT = {"list_get": 3, "list_sum": 2, "list_concat": 2}


def _lengths_dropped(region):
    ops, changed = [], False
    for op in region.ops:
        new = op
        if op.regions:
            regions = tuple(_lengths_dropped(r) for r in op.regions)
            if any(a is not b for a, b in zip(regions, op.regions)):
                new = op.replace(regions=regions)
        if _LENGTH_READ_BY_ADJOINT.get(op.opcode) == len(op.operands):
            new = new.replace(operands=op.operands[:-1])
        changed |= new is not op
        ops.append(new)
    return Region(region.args, tuple(ops), region.yields) if changed else region
