"""Where backpropagation stops.

It stops at the result of a `stop_gradient(...)` call, at any value listed in
`stop_gradients`, and at ops declared non-differentiable: whichever is met
first. A stopped value still receives its own adjoint (it may be an x); it
only passes nothing on to its inputs.

Both facts are in the IR from the frontend on, so this is the predicate
activity asks, not a stage of its own: `stop_gradient(x)` is an op whose
definition declares it constant (as `floor` is), which stops every call
alike; the `stop_gradients` values of a call are operands of its `gradients`
op (`n_stop`). A pass could not list the stop_gradient results on the
`gradients` op either: a value made inside a loop body or a branch
(`h = np.tanh(s2sgrad.stop_gradient(h) @ W)`, truncated backpropagation) is
not visible where the op is, and an operand must be.
"""

from ..ir.opcodes import OPS


def blocks(op, stops):
    """True when backprop must not pass through `op` to its operands."""
    return OPS[op.opcode].constant or stopped(op, stops)


def stopped(op, stops):
    """True when `stops` stop op as a whole: one of its results, or, of an if or a loop,
    which is stopped result by result (`passes`), all of them."""
    if not stops:
        return False
    if op.regions:
        return all(r in stops for r in op.results)
    return any(r in stops for r in op.results)


def passes(op, stops):
    """The results of op that pass gradients back into it (all but the stopped ones of
    an if or a loop, whose own variables are values of their own)."""
    return [r for r in op.results if r not in stops] if stops and op.regions else op.results
