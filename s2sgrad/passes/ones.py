"""Products with one folded: in gradient code, `x * 1.0`, `1.0 * x` and `x / 1.0` are
x itself when they have x's type exactly, and so are products with an array of ones
broadcast from 1.0 (`np.broadcast_to(1.0, s) * t`, of t's shape; where the broadcast
pass elided the broadcast, `1.0 * t` is left for this one). A sweep's seed is 1.0 and
the rules multiply it through (`d_w = t * 1.0`): on an array that is a pass over
memory, and a line, for the same numbers (an IEEE product or quotient by one is exact,
signed zeros, infinities and NaNs included). A product of another type stays: `1.0 *
mask` makes floats of booleans, `1.0 * k` a float of an int.

A result handed back (returned, in the function's tuples and lists, or viewed or held
by one: `d_y = (t * 1.0).T`) that would then be x must not give the caller an array it
shares with something else: it reads x only when x is an array this function made (new,
or written: out-of-SSA copies a caller's array before writing it) that nothing handed
back refers to (`referenced`). Otherwise the product stays, and it is the copy the
result needs (`d_h = 1.0 * x` of a parameter x)."""

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
            handed = referenced(handed_back(fn.body, defs), defs)
        if op.result in handed:  # (handed back, or a view or an item of one handed back)
            d = defs.get(x)
            if d is None or d.regions or memory(d) not in ("new", "write") or x in handed:
                continue
            # (now handed back as the result: no second result may read it)
            referenced((x,), defs, handed)
        mapping[op.result] = x
    if not mapping:
        return fn
    return fn.with_body(substitute(fn.body, mapping))


def handed_back(body, defs):
    """The values the function returns, in its tuples and lists: each a fresh array
    (the reverse transform copies a borrowed one), which a fold must not undo."""
    return _reached(
        body.yields, defs, lambda d: d.operands if d.opcode in ("tuple", "list") else ()
    )


def referenced(values, defs, out=None):
    """The values whose arrays `values` may be, view or hold (through views, lists,
    containers, callees, loops and branches), `values` included, added to `out`: a fold
    that makes one of them read x makes everything reaching it reach x too."""
    return _reached(values, defs, _may_refer_to, out)


def _may_refer_to(d):
    """The values whose arrays d's results may be, view or hold."""
    if d.regions:  # (a loop's or a branch's result: its initial values and yields)
        return d.operands + tuple(y for r in d.regions for y in r.yields)
    if memory(d) != "new" and (memory(d) != "write" or d.opcode == "append"):
        return d.operands  # (a write into an array: a copy of a borrowed one, out-of-SSA's
        # decision; an append: the list holds the item)
    return ()


def _reached(values, defs, follow, out=None):
    """`values` and what `follow(def)` gives from each, transitively, added to `out`."""
    out = set() if out is None else out
    todo = list(values)
    while todo:
        v = todo.pop()
        if v in out:
            continue
        out.add(v)
        d = defs.get(v)
        if d is not None:
            todo.extend(follow(d))
    return out


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
