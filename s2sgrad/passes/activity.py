"""Activity analysis: a value is active when it depends on an x and influences
a y, along edges backprop may cross. Only active values get adjoints; an x
that is not active is unconnected."""

from . import integer, stop_gradient


def analyze(ops, xs, ys, stops):
    """The set of active values among `ops` (program order) for one gradients call."""
    varied = {x for x in xs if not integer.is_constant(x)}
    for op in ops:
        if stop_gradient.blocks(op, stops):
            continue
        if any(v in varied for v in op.operands):
            varied.update(r for r in op.results if not integer.is_constant(r))
    useful = set(ys)
    for op in reversed(ops):
        if stop_gradient.blocks(op, stops):
            continue
        if any(r in useful for r in op.results):
            useful.update(op.operands)
    return {v for v in varied if v in useful}
