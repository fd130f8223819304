"""Negations folded into sums: `a + (-b)` is `a - b`, `(-b) + a` is `a - b` and `a -
(-b)` is `a + b`, exactly (IEEE subtraction is the addition of the negation), when
the negation is read nowhere else; and `np.sum(-a, axis)` is `-np.sum(a, axis)` (also
np.mean), exactly too (rounding is symmetric), negating the small result, not a.

A negation inside a product is pulled out into the sum that reads it: `u * (-x)` is
`-(u * x)` (IEEE products round the magnitude; the sign is exact), so `a + u * (-x)` is
`a - u * x` and `a - u * (-x)` is `a + u * x`, the product read there alone and of the
same float dtype. No pass is added (a product and a sum before, a product and a sum
after), so in gradient code the negation may be read elsewhere too: `-x * x` of the
forward stays, and the adjoint's `d_b * x` is often one computed already (the adjoint
of neg makes it), which a CSE of the new products finds, computing it once; `-x` is
then read by the forward alone, printed inside `-x * x`. The product is computed where
the one it replaces was, so nothing is kept alive longer.

And a product or sum whose second operand has the result's type while its first is
smaller (`c * t`, t of the result's shape, c a number or a row) is written `t * c`,
the same number (IEEE + and * commute), so out-of-SSA may write it `t *= c` when t's
array dies there: t first only when t has a name anyway (read more than once, or by
code of another line), never to pull apart an expression. Both of the result's
type, `a * t` is `t * a` when t is a named array read there alone and a is read
elsewhere: t's array is the one that dies. The adjoint of `x - y` or of `-x` is a negated
array; summed into another adjoint, the negation is one pass over memory saved."""

from ..ir.core import TEMP, TEMP_HINTS, Op, Value, def_map, rewrite_ops, use_counts
from ..ir.core import uses as reads_of
from ..ir.opcodes import memory
from . import cse, dce


def run(fn):
    fn = dce.run(fn)  # (a dead read of a negation must not keep it: uses are counted)
    defs = def_map(fn.body)
    uses = use_counts(fn.body)
    users = {}
    for op in fn.body.walk():
        for v in op.operands:
            users.setdefault(v, op)

    # where each value of the body is read last (nested reads count at their op)
    at, last = {}, {}
    for i, top in enumerate(fn.body.ops):
        at[top] = i
        for v in reads_of(top):
            last[v] = i
    for v in fn.body.yields:
        last[v] = len(fn.body.ops)

    # the sums that fold a negation, and the products they read rewritten where they are
    sums, placed, prev = {}, {}, {}
    _previous(fn.body, prev)
    for op in fn.body.walk():
        if op.opcode in ("add", "sub") and len(op.operands) == 2 and op.result.type.is_float:
            _fold(op, defs, uses, prev, sums, placed)

    def each(op):
        ops = []
        i = at.get(op)
        if len(op.results) == 1 and op.result in placed:
            return placed[op.result]  # (`-u * w`, read by a sum alone: `u * w` instead)
        if len(op.results) == 1 and op.result in sums:
            *made, op = sums[op.result]
            ops = made + [op]
        if (
            op.opcode in ("add", "mul")
            and len(op.operands) == 2
            and (_commutes(op, defs, uses, users) or _dies_second(op, i, defs, last))
        ):
            op = op.replace(operands=op.operands[::-1])
            ops = ops[:-1] + [op]
        if op.opcode in ("sum", "mean") and op.attr("dtype") is None and op.result.type.is_float:
            a = _negated(op.operands[0], defs, uses)
            if a is not None and a.type.dtype == op.operands[0].type.dtype:
                s = Value(TEMP, op.result.type)
                ops = [
                    Op(op.opcode, (a,), (s,), op.attrs, op.loc, op.tag),
                    Op("neg", (s,), op.results, (), op.loc, op.tag),
                ]
        return ops or None

    fn = fn.with_body(rewrite_ops(fn.body, each))
    products = {o.result for made in (*placed.values(), *sums.values()) for o in made}
    products -= sums.keys()
    return cse.run(fn, only=products) if products else fn


def _fold(op, defs, uses, prev, sums, placed):
    """Records in `sums` the sum `op` with a negation folded: `a + (-b)` is `a - b`, `(-b)
    + a` is `a - b`, `a - (-b)` is `a + b`; `a - (-u) * w` is `a + u * w` and `a + (-u) *
    w` (or `(-u) * w + a`) is `a - u * w`, the product `u * w` recorded in `placed` under
    the value it replaces: no negation printed, no pass over memory. The product is
    computed where the one it replaces was (no value kept longer), printed in the sum's
    line when it was computed just before the sum (`prev`: each op's previous one)."""
    a, b = op.operands
    nb, na = _negated(b, defs, uses), _negated(a, defs, uses)
    new = None
    if nb is not None and nb.type.dtype == b.type.dtype:
        new = (_FLIP[op.opcode], (a, nb))
    elif op.opcode == "add" and na is not None and na.type.dtype == a.type.dtype:
        new = ("sub", (b, na))
    code, (x, y) = new or (op.opcode, (a, b))
    # (in gradient code the negation may be read elsewhere too, the forward's `-x * x`:
    # the product of u is computed where the product of -u was, no pass added, and it
    # may be one computed already, `d_b * x` (the cse of run))
    shared = op.tag != "fwd"
    p, made = _negated_product(y, defs, uses, shared, _next_to(op, y, defs, prev))
    if p is None and code == "add":
        x, y = y, x
        p, made = _negated_product(y, defs, uses, shared, _next_to(op, y, defs, prev))
    ops = []
    if p is not None and p.type.dtype == y.type.dtype and y not in placed:
        new = (_FLIP[code], (x, p))
        if y in op.operands:
            placed[y] = made
        else:  # (y read by a negation the sum read: made here, the dead negation reads y)
            ops = made
    if new is not None:
        sums[op.result] = ops + [Op(new[0], new[1], op.results, op.attrs, op.loc, op.tag)]


_FLIP = {"add": "sub", "sub": "add"}


def _negated(v, defs, uses, shared=False):
    """u for v = `-u` of a float, read once (or, `shared`, read anywhere); else None."""
    d = defs.get(v)
    if d is None or d.opcode != "neg" or not shared and uses.get(v, 0) != 1:
        return None
    return d.operands[0] if v.type.is_float else None


def _next_to(op, v, defs, prev):
    """op when v is computed by the op just before it or is not its operand, else None."""
    return op if v not in op.operands or prev.get(op.result) is defs.get(v) else None


def _previous(region, prev):
    for k, op in enumerate(region.ops):
        if k and len(op.results) == 1:
            prev[op.result] = region.ops[k - 1]
        for r in op.regions:
            _previous(r, prev)


def _negated_product(v, defs, uses, shared=False, at=None, depth=0):
    """(p, [ops making p]) for v = `(-u) * w` (or `w * (-u)`, or `((-u) * w) * z`...) read
    once, each product read there alone and each negation too (or anywhere, `shared`: it
    stays, and p costs what v did): p = `u * w` (`(u * w) * z`), the same magnitude (IEEE
    products round the magnitude, the sign is exact), so `a - v` is `a + p` and `a + v`
    is `a - p`. (None, []) otherwise."""
    d = defs.get(v)
    if (
        d is None
        or d.opcode != "mul"
        or uses.get(v, 0) != 1
        or len(d.operands) != 2
        or depth > 8
        or not v.type.is_float
    ):
        return None, []
    for k in (0, 1):
        x, w = d.operands[k], d.operands[1 - k]
        if w is x:
            return None, []
        u, made = _negated(x, defs, uses, shared), []
        if u is None:
            u, made = _negated_product(x, defs, uses, shared, at, depth + 1)
        if u is not None and u.type == x.type:
            p = Value(TEMP, v.type)
            pair = (u, w) if k == 0 else (w, u)
            src = at or d  # (loc and tag: where the product is printed)
            return p, made + [Op("mul", pair, (p,), d.attrs, src.loc, src.tag)]
    return None, []


def _commutes(op, defs, uses, users):
    """`c * t` -> `t * c` in gradient code: t has the result's type and c does not, and
    both t and the result have names (neither is printed inside another expression)."""
    a, b = op.operands
    r = op.result.type
    if (
        op.tag == "fwd"
        or b.type != r
        or a.type == r
        or r.kind != "array"
        or not r.is_float
        or r.weak
        or not r.shape
    ):
        return False
    d = defs.get(b)
    if (
        d is None
        or d.opcode in ("const", "getitem")
        or uses.get(b, 0) == 1
        and d.tag == op.tag
        and d.loc == op.loc
    ):
        return False  # (a parameter, a loop's argument, a constant: never written)
    user = users.get(op.result)
    return user is None or uses.get(op.result, 0) != 1 or user.tag != op.tag or user.loc != op.loc


def _dies_second(op, i, defs, last):
    """`a * t` -> `t * a` in gradient code, both of the result's type: t is a forward
    value of the body read there last (`d_b = d_c * a`) while a is read later or is a
    parameter, so out-of-SSA may write t's array in place (`d_b = a; d_b *= d_c`): it
    decides that only for the first operand. `i`: op's place in the body, if there."""
    a, b = op.operands
    r = op.result.type
    d = defs.get(b)
    return (
        i is not None
        and op.tag != "fwd"
        and a.type == r
        and b.type == r
        and r.kind == "array"
        and r.is_float
        and not r.weak
        and bool(r.shape)
        and a is not b
        and b.hint not in TEMP_HINTS
        and op.result.hint not in TEMP_HINTS
        and d is not None
        and d.tag == "fwd"
        and memory(d) in ("new", "write")  # (an array of its own: not a loop's, a view)
        and last.get(b) == i
        and (a not in defs or last.get(a, -1) > i)
    )


__all__ = ["run"]
