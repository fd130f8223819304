"""The IR verifier: SSA (one definition a value), dominance (defined before
use, in this region or an enclosing one), known opcodes. On a fault it prints
the ops around it."""

from ..errors import InternalError
from . import opcodes
from .printer import Names, print_op


def verify(fn, stage="?"):
    names = Names()
    for p in fn.params:
        names(p)
    defined = set(fn.params)
    _verify_region(fn.body, defined, set(), names, stage)
    return fn


def _fault(region, i, message, names, stage):
    lo, hi = max(0, i - 3), min(len(region.ops), i + 4)
    window = []
    for j in range(lo, hi):
        mark = ">>" if j == i else "  "
        window.append(f"  {mark} {print_op(region.ops[j], names)}")
    raise InternalError(f"IR verifier after {stage}: {message}\n" + "\n".join(window))


def _verify_region(region, defined, seen, names, stage):
    defined = set(defined) | set(region.args)
    for i, op in enumerate(region.ops):
        if op.opcode not in opcodes.OPS:
            _fault(region, i, f"unknown opcode {op.opcode!r}", names, stage)
        for v in op.operands:
            if v not in defined:
                _fault(region, i, f"operand {names(v)} used before it is defined", names, stage)
        for r in op.regions:
            _verify_region(r, defined, seen, names, stage)
        for r in op.results:
            if r in seen or r in defined:
                _fault(region, i, f"{names(r)} defined twice", names, stage)
            seen.add(r)
            defined.add(r)
        if list(op.attrs) != sorted(op.attrs):
            _fault(region, i, "attributes not sorted", names, stage)
    for v in region.yields:
        if v not in defined:
            raise InternalError(f"IR verifier after {stage}: yielded value {names(v)} is not defined")
