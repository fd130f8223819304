"""The rules table: one entry per opcode.

A rule is a short function registered by `defrule(opcode)`. It receives the
builder `b`, the cotangent `g` of the op's result, the result `ans`, the
operands, and the op's attributes as keywords, and returns one entry per
operand: the contribution to that operand's adjoint, or None where the op has
no gradient in that input. Rules never handle zeros, accumulation,
unconnected inputs or broadcasting: the driver (`reverse.py`) does. A rule
marked `broadcasts=True` may return contributions shaped like the result; the
driver sums them down to each operand's shape (one shared unbroadcast step).

Ops with no gradient (comparisons, argmax, floor) are declared so in their
definition (`constant=True` in ir/opcodes.py): their results are constant.
Ops that move structure, not numbers (`structural`: constants, tuple items,
calls, control flow, loop tapes) never have a rule of their own; the driver
(`reverse.py`) handles them. An active op with neither a rule nor one of these
declarations is a `LookupError` naming the op, the source line and
`s2sgrad.register_gradient`.
"""

from dataclasses import dataclass

from ..ir import opcodes


@dataclass(frozen=True)
class Rule:
    opcode: str
    fn: object
    broadcasts: bool


RULES: dict = {}


def defrule(opcode, broadcasts=False):
    """Register the adjoint rule of `opcode` (an opcode name or `np.<name>`)."""
    opcode = canonical(opcode)

    def register(fn):
        if opcode in RULES:
            raise ValueError(f"a gradient for {opcode!r} is already registered")
        if opcodes.OPS[opcode].constant:
            raise ValueError(
                f"a gradient for {opcode!r} is already registered: its definition "
                "declares it constant (not differentiable)"
            )
        RULES[opcode] = Rule(opcode, fn, broadcasts)
        return fn

    return register


def canonical(name):
    """'np.exp', 'numpy.exp', 'exp' -> the opcode 'exp'."""
    short = name.split(".", 1)[1] if name.startswith(("np.", "numpy.")) else name
    if short in opcodes.OPS:
        return short
    if short in opcodes.NUMPY:
        return opcodes.NUMPY[short]
    raise ValueError(
        f"{name!r} is not an op s2sgrad knows; known ops: {', '.join(sorted(opcodes.OPS))}"
    )
