"""Broadcast elision: `np.broadcast_to(v, s)` whose every use is an elementwise
op that broadcasts to `s` anyway (its other operand has shape `s`) is dropped;
the uses read `v`. Reductions' rules broadcast their cotangent back to the
input's shape; most of the time the next rule multiplies it by an array of
that shape, and the explicit broadcast only costs a view and a line. A user
is any binary op its definition calls elementwise."""

from ..ir import types as T
from ..ir.core import substitute, use_counts
from ..ir.opcodes import OPS


def run(fn):
    if not any(op.opcode == "broadcast_to" for op in fn.body.walk()):
        return fn
    uses = use_counts(fn.body)
    users = {}
    for op in fn.body.walk():
        for v in op.operands:
            users.setdefault(v, []).append(op)
    mapping = {}
    for op in fn.body.walk():
        if op.opcode != "broadcast_to":
            continue
        r, src = op.result, op.operands[0]
        ops = users.get(r, [])
        if not ops or len(ops) != uses.get(r, 0):
            continue
        if all(_absorbs(u, r, src, mapping) for u in ops):
            mapping[r] = src
    return fn.with_body(substitute(fn.body, mapping)) if mapping else fn


def _absorbs(user, r, src, elided):
    """`user` broadcasts to r's shape without r: its other operand has that shape,
    and keeps it (it is not a broadcast elided already: `a + b` of two broadcasts
    keeps one); and reading `src` for r leaves the result's dtype as it is (a
    Python number is weak: `1.0 * x32` is float32, `np.broadcast_to(1.0, s) * x32`
    float64)."""
    if not OPS[user.opcode].elementwise or len(user.operands) != 2:
        return False
    a, b = user.operands
    other = b if a is r else a
    if a is r and b is r or other in elided:
        return False
    return T.same_shape(other.type.shape, r.type.shape) \
        and T.result_dtype(src.type, other.type) == T.result_dtype(r.type, other.type)
