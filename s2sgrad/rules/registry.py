"""The rules table: one entry per opcode.

A rule is a short function registered by `defrule(opcode)`. It receives the
builder `b`, the cotangent `g` of the op's result, the result `ans`, the
operands, and the op's attributes as keywords, and returns one entry per
operand: the contribution to that operand's adjoint, or None where the op has
no gradient in that input. Rules never handle zeros, accumulation,
unconnected inputs or broadcasting: the driver (`reverse.py`) does. A rule
marked `broadcasts=True` may return contributions shaped like the result; the
driver sums them down to each operand's shape (one shared unbroadcast step).

`nondifferentiable(*opcodes)` declares ops with no gradient (comparisons,
argmax, floor): their results are constant. An active op with neither is a
`LookupError` naming the op, the source line and `s2sgrad.register_gradient`.
"""

from dataclasses import dataclass

from ..ir import opcodes

# Ops that move structure, not numbers: they never carry a gradient themselves.
# Control flow (if/for/while) and loop tapes (stack/push/pop) are the driver's: reverse.py.
# (`tuple` and `list` have rules: np.array of one is the stack of its items.)
STRUCTURAL = frozenset({"getitem", "gradients", "const", "gate",
                        "if", "for", "while", "stack", "push", "pop",
                        "call", "call_vjp", "call_back", "closure"})


@dataclass(frozen=True)
class Rule:
    opcode: str
    fn: object
    broadcasts: bool


RULES = {}
NONDIFFERENTIABLE = set()


def defrule(opcode, broadcasts=False):
    """Register the adjoint rule of `opcode` (an opcode name or `np.<name>`)."""
    opcode = canonical(opcode)

    def register(fn):
        if opcode in RULES or opcode in NONDIFFERENTIABLE:
            raise ValueError(f"a gradient for {opcode!r} is already registered")
        RULES[opcode] = Rule(opcode, fn, broadcasts)
        return fn
    return register


def nondifferentiable(*names):
    for name in names:
        name = canonical(name)
        if name in RULES or name in NONDIFFERENTIABLE:
            raise ValueError(f"a gradient for {name!r} is already registered")
        NONDIFFERENTIABLE.add(name)


def canonical(name):
    """'np.exp', 'numpy.exp', 'exp' -> the opcode 'exp'."""
    short = name.split(".", 1)[1] if name.startswith(("np.", "numpy.")) else name
    if short in opcodes.OPS:
        return short
    if short in opcodes.NUMPY:
        return opcodes.NUMPY[short]
    raise ValueError(f"{name!r} is not an op s2sgrad knows; known ops: "
                     f"{', '.join(sorted(opcodes.OPS))}")
