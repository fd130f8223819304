"""Activity analysis: a value is active when it depends on an x and influences
a y, along edges backprop may cross. Only active values get adjoints; an x
that is not active is unconnected. An op with regions (if/for/while) counts as
one op reading its operands and its regions' free values; the reverse sweep
analyses its regions again, inside."""

from ..ir.core import uses
from . import integer, stop_gradient


def analyze(ops, xs, ys, stops):
    """The set of active values among `ops` (program order) for one gradients call."""
    varied = {x for x in xs if not integer.is_constant(x)}
    for op in ops:
        if stop_gradient.blocks(op, stops):
            continue
        if any(v in varied for v in uses(op)):
            # a callee's back closure (call_vjp) carries what it closed over, as a tape does
            varied.update(r for r in op.results
                          if not integer.is_constant(r) or r.type.kind == "function")
            varied.update(tapes_written(op))
    useful = set(ys)
    for op in reversed(ops):
        if stop_gradient.blocks(op, stops):
            continue
        if any(r in useful for r in op.results) or any(s in useful for s in tapes_written(op)):
            useful.update(uses(op))
    return {v for v in varied if v in useful}


def tapes_written(op):
    """The loop tapes an op appends to (itself, or a push anywhere in its regions):
    a value flows from what is pushed to what is later popped."""
    if op.opcode == "push":
        return (op.operands[0],)
    return tuple(o.operands[0] for r in op.regions for o in r.walk() if o.opcode == "push")
