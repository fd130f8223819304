"""Where backpropagation stops.

It stops at the result of a `stop_gradient(...)` call, at any value listed in
`stop_gradients`, and at ops declared non-differentiable: whichever is met
first. A stopped value still receives its own adjoint (it may be an x); it
only passes nothing on to its inputs.
"""

from ..rules import NONDIFFERENTIABLE


def blocks(op, stops):
    """True when backprop must not pass through `op` to its operands."""
    if op.opcode in NONDIFFERENTIABLE:
        return True
    return any(r in stops for r in op.results)
