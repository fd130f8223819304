"""Products with one folded: in gradient code, `x * 1.0`, `1.0 * x` and `x / 1.0` are
x itself when they have x's type exactly, and so are products with an array of ones
broadcast from 1.0 (`np.broadcast_to(1.0, s) * t`, of t's shape). A sweep's seed is 1.0 and the rules multiply
it through (`d_w = t * 1.0`): on an array that is a pass over memory, and a line, for
the same numbers (an IEEE product or quotient by one is exact, signed zeros, infinities
and NaNs included). A product of another type stays: `1.0 * mask` makes floats of
booleans, `1.0 * k` a float of an int.

A result handed back (returned, in the function's tuples and lists, or viewed or held
by one: `d_y = (t * 1.0).T`) that would then be x must not give the caller an array it shares with something else: it reads x only when
x is an array this function made (new, or written: out-of-SSA copies a caller's array
before writing it) and nothing else hands x back. Otherwise the product stays, and it
is the copy the result needs (`d_h = 1.0 * x` of a parameter x)."""

from ..ir import types as T
from ..ir.core import def_map, substitute
from ..ir.opcodes import memory
from . import broadcast


def run(fn):
    defs = def_map(fn.body)
    handed = None
    mapping = {}
    for op in fn.body.walk():
        x = _times_one(op, defs)
        if x is None:
            continue
        x = mapping.get(x, x)
        if handed is None:
            handed = broadcast.referenced(broadcast.handed_back(fn.body, defs), defs)
        if op.result in handed:  # (handed back, or a view or an item of one handed back)
            d = defs.get(x)
            if d is None or d.regions or memory(d) not in ("new", "write") or x in handed:
                continue
            # (now handed back as the result: no second result may read it)
            broadcast.referenced((x,), defs, handed)
        mapping[op.result] = x
    if not mapping:
        return fn
    return fn.with_body(substitute(fn.body, mapping))


def _is_one(v, defs):
    """v is the number 1, or an array of ones broadcast from it (a view of one too:
    `np.broadcast_to(1.0, s)[:, None]`)."""
    c = broadcast.scalar_of(v, defs)
    d = defs.get(v if c is None else c)
    if d is None or d.opcode != "const":
        return False
    value = d.attr("value")
    return type(value) in (int, float) and value == 1


def _times_one(op, defs):
    """x for `x * 1`, `1 * x` or `x / 1` of gradient code with x's type, else None."""
    if op.tag == "fwd" or op.opcode not in ("mul", "div") or len(op.operands) != 2:
        return None
    a, b = op.operands
    if _is_one(b, defs):
        x, one = a, b
    elif op.opcode == "mul" and _is_one(a, defs):
        x, one = b, a
    else:
        return None
    if x.type != op.result.type:
        return None
    # (ones of a shape: the product has x's shape only when it provably is the ones'
    # shape too; an unknown size may be 1 in x and broadcast to the ones' size)
    if one.type.rank != 0 and not T.same_shape(x.type.shape, one.type.shape):
        return None
    return x


__all__ = ["run"]
