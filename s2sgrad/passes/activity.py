"""Activity analysis: a value is active when it depends on an x and influences
a y, along edges backprop may cross. Only active values get adjoints; an x
that is not active is unconnected. An op with regions (if/for/while) counts as
one op reading its operands and its regions' free values; the reverse sweep
analyses its regions again, inside."""

from ..ir import opcodes
from ..ir.core import uses
from . import integer, stop_gradient


def analyze(ops, xs, ys, stops):
    """The set of active values among `ops` (program order) for one gradients call."""
    return varied(ops, xs, stops) & useful(ops, ys, stops)


def varied(ops, xs, stops):
    """Values that depend on an x (forward), xs included."""
    out = {x for x in xs if not integer.is_constant(x)}
    for op in ops:
        if _blocks(op, stops):
            continue
        if not out.isdisjoint(op.operands if not op.regions else uses(op)):
            # a callee's back closure (call_vjp) carries what it closed over, as a tape does;
            # a tuple or list carries its items when the op's result may hold its operands
            # (`tuple`/`list`: np.array of it has a gradient; a call's result, an item of a
            # tuple, a tape's item) or is yielded by an `if` (the sweep refuses those it cannot
            # differentiate through, never drops them)
            out.update(
                r
                for r in stop_gradient.passes(op, stops)
                if not integer.is_constant(r)
                or r.type.kind == "function"
                or r.type.kind in ("tuple", "list")
                and _holds(op)
            )
            if op.regions or opcodes.OPS[op.opcode].effect == "update":
                out.update(tapes_written(op))
    return out


def _blocks(op, stops):
    """stop_gradient.blocks, asked of every op: the common answers first."""
    if opcodes.OPS[op.opcode].constant:
        return True
    return bool(stops) and stop_gradient.blocks(op, stops)


def _holds(op):
    """True when op's results may hold its operands (or, for an `if`, its regions' values)."""
    return op.opcode == "if" or opcodes.memory(op) in ("holds", "foreign")


def useful(ops, ys, stops):
    """Values that influence a y (backward), ys included."""
    out = set(ys)
    for op in reversed(ops):
        if _blocks(op, stops):
            continue
        if (
            not out.isdisjoint(stop_gradient.passes(op, stops))
            or (op.regions or opcodes.OPS[op.opcode].effect == "update")
            and any(s in out for s in tapes_written(op))
        ):
            out.update(op.operands if not op.regions else uses(op))
    return out


def loop_carried(body_ops, args, yields, inits_varied, results_useful, free, stops, memo=None):
    """Which loop-carried values need adjoints: indices k where the carried value
    depends on an x in some iteration (its initial value does, or what the body
    yields for it does) and influences a y in some iteration (the loop's result
    does, or the body feeds it into a value that does). Fixpoints over iterations.
    `memo`, a dict, gets the last varied and useful sets with their seeds
    (`memo[varied, seeds]`), for the sweep of the body to reuse."""
    n = len(args)
    var = {k for k in range(n) if inits_varied[k] and not integer.is_constant(args[k])}
    while True:
        seeds = [args[k] for k in sorted(var)] + list(free)
        v = varied(body_ops, seeds, stops)
        more = {k for k in range(n) if yields[k] in v and not integer.is_constant(args[k])}
        if more <= var:
            break
        var |= more
    use = {k for k in range(n) if results_useful[k]}
    while True:
        useeds = [yields[k] for k in sorted(use)]
        u = useful(body_ops, useeds, stops)
        more = {k for k in range(n) if args[k] in u}
        if more <= use:
            break
        use |= more
    if memo is not None:
        memo[varied, tuple(seeds)], memo[useful, tuple(useeds)] = v, u
    return sorted(var & use)


def tapes_written(op):
    """The loop tapes an op appends to (itself, or a push anywhere in its regions):
    a value flows from what is pushed to what is later popped."""
    if opcodes.OPS[op.opcode].effect == "update":
        return (op.operands[0],)
    return tuple(
        o.operands[0]
        for r in op.regions
        for o in r.walk()
        if opcodes.OPS[o.opcode].effect == "update"
    )
