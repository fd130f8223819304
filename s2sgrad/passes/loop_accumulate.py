"""Loop accumulation to one contraction after the loop.

The reverse sweep of `z = x @ W` in a loop adds the outer product of x and the
adjoint of z into `d_W` at every step:

    for t in reversed(range(T)):
        ...
        d_W = d_W + np.expand_dims(x_t, -1) * np.expand_dims(dz_t, -2)

which builds and adds a (d, h) matrix per step. The sum over t is one matrix
product: with the rows x_t stacked into X and dz_t into DZ, `d_W = d_W0 + X.T @ DZ`.
This pass makes that rewrite for a `for` loop of the backward sweep (start 0,
step 1; either direction; at any depth: a checkpoint segment's is in the loop over
the segments) and an accumulator it carries, `acc` (region argument)
whose only use in the body is `acc_next = acc + P`, `acc_next` yielded as its
next value and read nowhere else, where P is one of

- `expand_dims(a, -1) * expand_dims(b, -2)` (the adjoint of `a @ W`),
  `expand_dims(a, -1) * b` (of `W @ b`) or `np.outer(a, b)`, a, b vectors: after the
  loop `acc0 + A.T @ B`;
- `s * v`, s a 0-d array and v a vector: `acc0 + S @ V`;
- a vector or array the pass stacks anyway for another accumulator (the bias's
  `d_b = d_b + dz`): `acc0 + B.sum(axis=0)`.

The loop collects each factor into an array preallocated before the loop,
`B = np.empty((T, h))`, written by the loop index (`B[t] = b_t`), so the rows are
in the order of t whichever way the loop runs. A factor that is already a row of
an array indexed by the loop index in order (`xs[t]`, xs defined before the loop
with exactly as many rows as the loop has trips) is read as that array, not
copied. When acc0 is `np.zeros_like(...)` the sum is the contraction alone. A
loop that runs no time gives empty stacks, whose contraction is zeros of the
accumulator's shape: acc0, as the loop gave.

Preconditions, each checked (the loop is left alone otherwise): start a constant
0, step a constant 1; the accumulator, its initial value, the loop's result and
P of one float dtype and one known shape (no broadcasting, no promotion), the
factors of that dtype and of the shapes the contraction needs; the add at the
top level of the body (it runs once per trip: a `break` makes a `while` loop,
which is not rewritten) and of the backward sweep (tag `grad:`): the user's own
loops compute exactly Python's values, where a contraction rounds differently
(the gradients differ from the loop's by rounding only: the sum's order).
Dead-code elimination then removes the products nothing reads.
"""

from ..ir import types as T
from ..ir.builder import Builder
from ..ir.core import TEMP, Op, Region, Value, def_map, substitute_op, use_counts


def run(fn):
    if not any(op.opcode == "for" for op in fn.body.walk()):
        return fn
    b = Builder(defs=def_map(fn.body), params=fn.params)
    body = _region(fn.body, b)
    return fn if body is fn.body else fn.with_body(body)


def _region(region, b):
    ops, mapping, changed = [], {}, False
    for op in region.ops:
        new = substitute_op(op, mapping)
        regions = tuple(_region(r, b) for r in new.regions)
        if any(x is not y for x, y in zip(regions, new.regions)):
            new = new.replace(regions=regions)
        if new is not op:
            changed = True
        done = _rewrite(new, b) if new.opcode == "for" else None
        if done is None:
            ops.append(new)
            continue
        pre, loop, post, results = done
        ops.extend(pre)
        ops.append(loop)
        ops.extend(post)
        mapping.update(results)
        changed = True
    if not changed:
        return region
    yields = tuple(mapping.get(v, v) for v in region.yields)
    return Region(region.args, tuple(ops), yields)


# ---- one loop --------------------------------------------------------------------------


def _rewrite(op, b):
    """(ops before the loop, the new loop, ops after it, {old result: new value}), or None."""
    start, stop, step = op.operands[:3]
    inits = op.operands[3:]
    body = op.regions[0]
    index, args = body.args[0], body.args[1:]
    if not counts_from_zero(b, op):
        return None
    counts = use_counts(body)
    made = {r: o for o in body.ops for r in o.results}  # the body's top-level values
    inner = {r for o in body.walk() for r in o.results} | set(body.args)
    trips = trip_dim(b, op)
    plans = []  # (k, [(kind, factors) a term of P])
    for k, (arg, y) in enumerate(zip(args, body.yields)):
        found = _accumulation(k, arg, y, inits[k], op.results[k], made, counts)
        if found is not None:
            plans.append(found)
    if not plans:
        return None
    # the factors: a row of an array read in order (used as it is), or stacked; a sum
    # term needs its value among them (a plan dropped may drop another's: to a fixpoint)
    while True:
        rows = {}  # factor -> the array of its rows (known before the loop), or None
        for _, terms in plans:
            for kind, factors in terms:
                if kind != "sum":
                    for v in factors:
                        rows.setdefault(v, _rows_of(v, index, made, inner, trips))
        kept = [
            (k, terms)
            for k, terms in plans
            if all(kind != "sum" or factors[0] in rows for kind, factors in terms)
        ]
        if len(kept) == len(plans):
            break
        plans = kept
    if not plans:
        return None
    stacked = [v for v, arr in rows.items() if arr is None]
    b.ops, b.consts = [], {}  # (constants too: each block emits its own, so none
    # is read where it is not defined: fuzzer, seed 110 program 828)
    b.loc, b.tag = op.loc, op.tag
    pre, stacks = _allocate(b, stacked, plans, inits, stop, trips)
    if pre is None:
        return None
    # the loop: the accumulators go, the stacks come, filled by index at the end of the body
    gone = {k for k, _ in plans}
    keep = [k for k in range(len(args)) if k not in gone]
    new_args = tuple(Value(v.hint, v.type) for v in stacks.values())
    b.ops, b.consts = [], {}
    b.loc = body.ops[-1].loc if body.ops else op.loc
    written = tuple(
        b.setitem(arg, v, index, key=("%",), hint=arg.hint) for v, arg in zip(stacks, new_args)
    )
    fills = b.ops
    adds = {id(made[body.yields[k]]) for k in gone}
    new_body = Region(
        (index,) + tuple(args[k] for k in keep) + new_args,
        tuple(o for o in body.ops if id(o) not in adds) + tuple(fills),
        tuple(body.yields[k] for k in keep) + written,
    )
    results = tuple(Value(v.hint, v.type) for v in stacks.values())
    loop = Op(
        "for",
        (start, stop, step) + tuple(inits[k] for k in keep) + tuple(stacks.values()),
        tuple(op.results[k] for k in keep) + results,
        op.attrs,
        op.loc,
        op.tag,
        (new_body,),
    )
    full = dict(rows)
    full.update(zip(stacks, results))
    b.ops, b.consts = [], {}
    b.loc = op.loc
    mapping = {}
    for k, terms in plans:
        old = op.results[k]
        value = _contract(b, terms, full, inits[k], old.hint)
        if value.type.dtype != old.type.dtype or not T.same_shape(value.type.shape, old.type.shape):
            return None
        mapping[old] = value
    return pre, loop, b.ops, mapping


def _accumulation(k, arg, y, init, result, made, counts):
    """(k, the terms of P) when the carried value k is `acc_next = acc + P`, P a sum of
    terms each as the module docstring says; else None."""
    add = made.get(y)
    if (
        add is None
        or add.opcode != "add"
        or not add.tag.startswith("grad:")
        or counts.get(arg, 0) != 1
        or counts.get(y, 0) != 1
    ):
        return None
    if add.operands[0] is arg:
        p = add.operands[1]
    elif add.operands[1] is arg:
        p = add.operands[0]
    else:
        return None
    t = arg.type
    if (
        not float_array(t)
        or t.rank == 0
        or any(not _same(u, t) for u in (y.type, init.type, result.type))
    ):
        return None
    terms = _terms(p, t, made, arg)
    return None if terms is None else (k, terms)


def _terms(p, t, made, arg, depth=0):
    """The terms (kind, factors) whose sum is p, each of acc's type t; None if one is not
    a term. A sum (`d_W_1 + d_W_2`: W read twice a step) is split into its terms."""
    d = made.get(p)
    if d is None or p is arg or not _same(p.type, t) or depth > 16:
        return None
    if d.opcode == "add":
        left = _terms(d.operands[0], t, made, arg, depth + 1)
        right = _terms(d.operands[1], t, made, arg, depth + 1) if left is not None else None
        if left is not None and right is not None:
            return left + right
    if t.rank == 2:
        pair = _outer_factors(d, made)
        if pair is not None and all(
            float_array(v.type) and v.type.dtype == t.dtype and T.same_shape(v.type.shape, (dim,))
            for v, dim in zip(pair, t.shape)
        ):
            return [("outer", pair)]
    if t.rank == 1 and d.opcode == "mul":
        for s, v in (d.operands, d.operands[::-1]):
            if (
                float_array(s.type)
                and s.type.shape == ()
                and s.type.dtype == t.dtype
                and v.type == t
            ):
                return [("scaled", (s, v))]
    return [("sum", (p,))]


def _same(u, t):
    """u is a float array of t's dtype and (known) shape."""
    return float_array(u) and u.dtype == t.dtype and T.same_shape(u.shape, t.shape)


def _outer_factors(d, made):
    """(a, b) when d is `np.outer(a, b)`, `expand_dims(a, -1) * expand_dims(b, -2)` or
    `expand_dims(a, -1) * b` (the adjoints of `a @ W` and `W @ b`), a and b vectors."""
    if d.opcode == "outer":
        return tuple(d.operands)
    if d.opcode != "mul":
        return None
    for e1, e2 in (d.operands, d.operands[::-1]):
        x, y = made.get(e1), made.get(e2)
        if (
            x is None
            or x.opcode != "expand_dims"
            or x.attr("axis") not in (-1, 1)
            or x.operands[0].type.rank != 1
        ):
            continue
        if (
            y is not None
            and y.opcode == "expand_dims"
            and y.attr("axis") in (-2, 0)
            and y.operands[0].type.rank == 1
        ):
            return x.operands[0], y.operands[0]
        if e2.type.rank == 1:
            return x.operands[0], e2
    return None


def _rows_of(v, index, made, inner, trips):
    """The array X when v is `X[t]` (t the loop index, X made before the loop, of v's
    dtype and exactly `trips` rows of v's shape): its rows are the stack already."""
    d = made.get(v)
    if (
        d is None
        or d.opcode != "index"
        or d.attr("key") != ("%",)
        or tuple(d.operands[1:]) != (index,)
    ):
        return None
    x = d.operands[0]
    if (
        x in inner
        or trips is None
        or not float_array(x.type)
        or x.type.weak
        or x.type.dtype != v.type.dtype
        or x.type.rank != v.type.rank + 1
        or x.type.shape[0] != trips
        or not T.same_shape(x.type.shape[1:], v.type.shape)
    ):
        return None
    return x


def _allocate(b, stacked, plans, inits, stop, trips):
    """(ops, {factor: its stack}): `np.empty((trips,) + shape, dtype)` for each stacked
    factor, its dims read off the accumulator's initial value; (None, None) when a
    factor's shape is not one of them."""
    if isinstance(trips, str) or isinstance(trips, int) and trips >= 0:
        n = stop  # (a dimension, never negative)
    elif isinstance(trips, int):
        n = 0  # range(-3) runs no time
    else:
        n = b.maximum(stop, 0)  # range(n) with n < 0 runs no time
    dims = {}  # factor -> the (init, axis) pairs of its shape
    for k, terms in plans:
        init = inits[k]
        for kind, factors in terms:
            if kind == "outer":
                shapes = (((init, 0),), ((init, 1),))
            elif kind == "scaled":
                shapes = ((), ((init, 0),))
            else:
                shapes = (tuple((init, a) for a in range(init.type.rank)),)
            for v, s in zip(factors, shapes):
                dims.setdefault(v, s)
    stacks = {}
    for v in stacked:
        if v not in dims:
            return None, None
        items = [n] + [
            x.type.shape[a]
            if isinstance(x.type.shape[a], int)
            else b.getitem(b.shape(_like(b, x)), index=a)
            for x, a in dims[v]
        ]
        shape = b.tuple(*items)
        stacks[v] = b.empty(shape, dtype=v.type.dtype, hint=_hint(v))
    return b.ops, stacks


def _like(b, init):
    """x when init is `np.zeros_like(x)` (its shape said without the zeros, which then go)."""
    d = b.defs.get(init)
    if (
        d is not None
        and d.opcode == "zeros_like"
        and not d.attrs
        and d.operands[0].type.kind == "array"
        and T.same_shape(d.operands[0].type.shape, init.type.shape)
    ):
        return d.operands[0]
    return init


def _contract(b, terms, full, init, hint):
    """acc0 + the sum over the loop's trips, from the stacked factors: a term a product."""
    total = None
    for kind, factors in terms:
        a = [full[v] for v in factors]
        if kind == "outer":
            m = b.matmul(b.T(a[0]), a[1], hint=hint)
        elif kind == "scaled":
            m = b.matmul(a[0], a[1], hint=hint)
        else:
            m = b.sum(a[0], axis=0, hint=hint)
        total = m if total is None else b.add(total, m, hint=hint)
    d = b.defs.get(init)
    if d is not None and d.opcode == "zeros_like" and init.type == total.type:
        return total
    return b.add(init, total, hint=hint)


def _hint(v):
    """The name of the stack of v's rows: `h_rows` for a source variable h."""
    if v.hint.startswith("~"):
        return TEMP if not v.hint.startswith("~d") else "~dt"
    return f"{v.hint}_rows"


def float_array(t):
    """A float array (float64 or float32, not a Python number) of a known shape."""
    return (
        t.kind == "array"
        and t.dtype in ("float64", "float32")
        and not t.weak
        and t.shape is not None
        and None not in t.shape
    )


def counts_from_zero(b, loop):
    """`for` loop `loop` runs over range(stop): start the constant 0, step the constant 1."""
    start, _, step = loop.operands[:3]
    return all(
        b.static_value(v) == k and type(b.static_value(v)) is int
        for v, k in ((start, 0), (step, 1))
    )


def trip_dim(b, loop):
    """The trip count of `for` loop `loop` over range(stop), as a dimension: the symbol
    its `trips` attribute gives (a checkpoint segment's loops: checkpoint.py), or its
    stop's (an int, or a shape's symbol); None when it is neither."""
    return loop.attr("trips", None) or b.static_dim(loop.operands[1])
