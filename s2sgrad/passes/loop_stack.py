"""A loop's carried array kept as one stacked array, and the work on its rows done once
for all the trips, as a hand-written RNN gradient does.

The reverse sweep of `for t in range(T): h = f(h, xs[t])` tapes the h each trip
starts from and pops it trip by trip, and what the sweep computes from those rows
alone (`1.0 - h * h`, the tanh derivative; `h @ Wy - ys[t]`, the error a step read
out) costs a NumPy call a trip, on vectors, where one call on the (T, h) matrix
of all the rows costs little more than one. This pass rewrites, for a `for` loop F
of the forward code (start 0, step 1) whose tape the matching reverse loop R pops:

1. **Stacked carry.** A carried float array h of F that F pushes (the value each trip
   starts from) is written into `H = np.empty((T + 1,) + h.shape)`: `H[0] = h0` before
   F, `H[t + 1] = h_next` at the end of each trip. After F, `H[:-1]` holds the rows
   each trip starts from, `H[1:]` the rows each trip ends with. R reads the popped h
   as `H[:-1][t]` and the h it carries down (the trip's output, which R carried from
   the trip after it) as `H[1:][t]`; the tape no longer holds h.
2. **Work on rows, batched.** A value of R (or a value of F that only the tape reads)
   made from rows at t of arrays with T rows (those two, an `xs[t]` of an array made
   before the loop, a value the tape held, now batched) and values the loop does not
   change, by elementwise arithmetic or functions whose operands have the row's shape
   or fewer dimensions, or by a product with a matrix the loop does not change
   (`h @ W`, `W @ h`, `h @ w`), is computed once for all the rows: before R, or
   after F; the loop reads its row at t where something else reads it (printed in
   its reader's expression: `d_h += d_h_1[t]`). A value F computed only for the tape
   goes off the tape: R reads its row of the batch. One row may have fewer axes than
   the result when every other operand is a value the loop does not change (`d_y[t] *
   Wy`, a number a trip times a vector): its batch gets new axes after the trips'
   (`d_y[:, None] * Wy`). Two rows of different shapes (`d_y[t] * h[t]`) stay in the
   loop: an outer product, which loop_accumulate contracts after it (`d_y @ H`).

loop_accumulate then finds the rows it stacks already stacked (`H[:-1].T @ dZ` is
the weight gradient), and dead code goes.

Exactness. The stacked rows are copies, bit for bit; elementwise arithmetic on a
(T, h) array gives each element what it gives on a row, but a matrix product and
NumPy's SIMD functions (tanh, exp) may round the last bit differently on a matrix
than on a vector. So no op is batched whose value what the function returns bit for
bit depends on (`Function.exact`, passes/pymath.py's `exact_ops`: the value of
`value_and_grad`, the aux of `has_aux`); gradients round as the chain rule's products
fall anyway (as in passes/hoist_invariant.py). A decorated function's result is all
exact (`exact` None): the pass leaves it alone.

Preconditions, each checked (the loops are left alone otherwise): F and R in one
region (the function's body, or a loop's: a checkpoint segment's pair is in the body
of the loop over the segments), the tape made in it, R the `reverse` for loop of F's
bounds (the same values), F's one push and R's one pop of a tape nothing else
touches, each at the top level of its body; the trip count a dimension (a shape's
symbol, an int >= 0, or a checkpoint segment's `trips` symbol); the
carried h a float array of one known shape and dtype (initial value, argument, next
value and result); what is batched of float dtype and of the shapes said above (the
type the builder infers for the batch is checked: T rows of the row's type).
"""

from ..ir import types as T
from ..ir.builder import Builder
from ..ir.core import TEMP, Op, Region, Value, def_map, substitute
from ..ir.opcodes import OPS
from . import dce
from .loop_accumulate import counts_from_zero, float_array, trip_dim
from .pymath import exact_ops

# elementwise ops a batch computes on (T, ...) arrays as on rows
_ELEMENTWISE = frozenset(
    {
        "add",
        "sub",
        "mul",
        "div",
        "neg",
        "pos",
        "square",
        "exp",
        "log",
        "tanh",
        "sin",
        "cos",
        "sqrt",
        "log1p",
        "expm1",
        "abs",
        "reciprocal",
        "maximum",
        "minimum",
        "where",
        "sinh",
        "cosh",
        "arctan",
    }
)


def run(fn):
    if fn.exact is None or not any(op.opcode == "for" for op in fn.body.walk()):
        return fn
    fn = dce.run(fn)  # (the forward values a gradient does not read go first: what
    # the tape alone reads is then batched)
    defs = def_map(fn.body)
    exact = {r for op in exact_ops(fn, defs) for r in op.results}
    body = _region(fn, fn.body, exact, defs)
    return fn if body is fn.body else fn.with_body(body)


def _region(fn, region, exact, defs):
    """region with its F/R pairs rewritten, those in its ops' regions first (a checkpoint
    segment's pair is in the body of the reverse sweep's loop over the segments)."""
    ops = []
    for op in region.ops:
        regions = tuple(_region(fn, r, exact, defs) for r in op.regions)
        changed = any(x is not y for x, y in zip(regions, op.regions))
        ops.append(op.replace(regions=regions) if changed else op)
    if not any(op.opcode == "for" for op in ops) and ops == list(region.ops):
        return region
    for _ in range(8):  # (one pair a round; a function has few)
        done = _one_pair(fn, ops, exact, defs)
        if done is None:
            break
        ops = done
    if ops == list(region.ops):
        return region
    return Region(region.args, tuple(ops), region.yields)


def _one_pair(fn, ops, exact, defs):
    """The region's ops with one more F/R pair rewritten, or None when none is left."""
    tapes = {op.results[0]: op for op in ops if op.opcode == "stack" and not op.operands}
    for fi, f in enumerate(ops):
        if f.opcode != "for" or f.attr_dict.get("reverse"):
            continue
        push = [o for o in f.regions[0].ops if o.opcode == "push"]
        if len(push) != 1 or push[0].operands[0] not in tapes:
            continue
        tape = push[0].operands[0]
        found = _reverse_of(ops, fi, f, tape)
        if found is None:
            continue
        ri, r, pop = found
        if _touches_elsewhere(ops, tape, push[0], pop):
            continue
        b = Builder(defs={**defs, **def_map(Region((), tuple(ops), ()))}, params=fn.params)
        out = _rewrite(b, ops, fi, f, push[0], ri, r, pop, tapes[tape], exact)
        if out is not None:
            return out
    return None


def _reverse_of(ops, fi, f, tape):
    for ri in range(fi + 1, len(ops)):
        r = ops[ri]
        if r.opcode == "for" and r.attr_dict.get("reverse") and r.operands[:3] == f.operands[:3]:
            pops = [o for o in r.regions[0].ops if o.opcode == "pop" and o.operands[0] is tape]
            if len(pops) == 1:
                return ri, r, pops[0]
    return None


def _touches_elsewhere(ops, tape, push, pop):
    for op in Region((), tuple(ops), ()).walk():
        if tape in op.operands and op is not push and op is not pop:
            return True
    return False


def _rewrite(b, ops, fi, f, push, ri, r, pop, tape_op, exact):
    stop = f.operands[1]
    if not counts_from_zero(b, f):
        return None
    trips = trip_dim(b, f)
    if not (isinstance(trips, str) or isinstance(trips, int) and trips >= 0):
        return None
    fbody, rbody = f.regions[0], r.regions[0]
    fargs = fbody.args[1:]
    carried = [
        k
        for k, a in enumerate(fargs)
        if a in push.operands[1:]
        and _stackable(a.type, (f.operands[3 + k].type, fbody.yields[k].type, f.results[k].type))
    ]
    if not carried:
        return None
    b.loc, b.tag = f.loc, f.tag
    b.ops, b.consts = [], {}  # (constants too: each block emits its own, so none
    # is read where it is not defined: fuzzer, seed 110 program 828)
    # 1. the stacked carries: H[0] = h0 before F, H[t + 1] = h_next in F
    stacks = {}
    for k in carried:
        h0 = f.operands[3 + k]
        dims = [
            d if isinstance(d, int) else b.getitem(b.shape(h0), index=a)
            for a, d in enumerate(h0.type.shape)
        ]
        rows = b.add(stop, 1) if not isinstance(trips, int) else trips + 1
        empty = b.empty(b.tuple(rows, *dims), dtype=h0.type.dtype, hint=_hint(fargs[k]))
        stacks[k] = b.setitem(empty, h0, key=(0,), hint=empty.hint)
    pre = b.ops
    b.ops, b.consts = [], {}
    made = {x: o for o in fbody.ops for x in o.results}
    b.loc = next((made[fbody.yields[k]].loc for k in carried if fbody.yields[k] in made), f.loc)
    index = fbody.args[0]
    new_args = {k: Value(stacks[k].hint, stacks[k].type) for k in carried}
    following = b.add(index, 1)
    written = {
        k: b.setitem(new_args[k], fbody.yields[k], following, key=("%",), hint=stacks[k].hint)
        for k in carried
    }
    fills = b.ops
    f_results = {k: Value(stacks[k].hint, stacks[k].type) for k in carried}
    b.ops, b.consts = [], {}
    b.loc = f.loc
    starts, ends = {}, {}
    for k in carried:
        t = T.array(fargs[k].type.dtype, (trips,) + tuple(fargs[k].type.shape))
        starts[k] = _typed(
            b, "index", (f_results[k],), t, fargs[k].hint + "_in", key=((None, -1, None),)
        )
        ends[k] = _typed(
            b, "index", (f_results[k],), t, fargs[k].hint + "_out", key=((1, None, None),)
        )
    between = b.ops  # (after F: the views; then the batches of F's tape values)
    # 2a. F's values only the tape reads, batched after F
    frows = {fargs[k]: starts[k] for k in carried}
    frows.update({fbody.yields[k]: ends[k] for k in carried})
    finner = {x for o in fbody.walk() for x in o.results} | set(fbody.args)
    fbatch = _batchable(b, fbody, index, frows, finner, trips, set(fbody.yields) | exact)
    taped_only = _only_for(fbody, fbatch, push)
    b.ops, b.consts = [], {}
    b.loc = f.loc
    fbatched = _emit_batches(b, fbody, taped_only, frows, trips)
    between = between + b.ops
    pushed = push.operands[1:]
    keep = [
        i
        for i, v in enumerate(pushed)
        if not (v in fargs and fargs.index(v) in carried or v in fbatched)
    ]
    # the new F
    kept_body = tuple(o for o in fbody.ops if o is not push)
    new_push = (
        ()
        if not keep
        else (push.replace(operands=(push.operands[0],) + tuple(pushed[i] for i in keep)),)
    )
    at = fbody.ops.index(push)
    body_ops = list(kept_body[:at]) + list(new_push) + list(kept_body[at:]) + list(fills)
    new_fbody = Region(
        fbody.args + tuple(new_args[k] for k in carried),
        tuple(body_ops),
        fbody.yields + tuple(written[k] for k in carried),
    )
    new_f = Op(
        "for",
        f.operands + tuple(stacks[k] for k in carried),
        f.results + tuple(f_results[k] for k in carried),
        f.attrs,
        f.loc,
        f.tag,
        (new_fbody,),
    )
    # 1b and 2b. R: the popped rows, the carried-down rows and the rows of F's batches
    rindex, rargs = rbody.args[0], rbody.args[1:]
    b.ops, b.consts = [], {}
    b.loc, b.tag = r.loc, r.tag
    reads, rrows = {}, {}
    popped = pop.results
    for i, v in enumerate(pushed):
        u = popped[i]
        if v in fargs and fargs.index(v) in carried:
            k = fargs.index(v)
            reads[u] = _row(b, starts[k], rindex, u)
            rrows[reads[u]] = starts[k]
            # R's carry whose first value is F's result and next value this pop: the
            # trip's output, row t of H[1:]
            for j, a in enumerate(rargs):
                if r.operands[3 + j] is f.results[k] and rbody.yields[j] is u:
                    reads[a] = _row(b, ends[k], rindex, a)
                    rrows[reads[a]] = ends[k]
        elif v in fbatched:
            reads[u] = _row(b, fbatched[v], rindex, u)
            rrows[reads[u]] = fbatched[v]
    heads = b.ops
    if not keep:
        rops = [o for o in rbody.ops if o is not pop]
    else:
        new_pop = pop.replace(results=tuple(popped[i] for i in keep))
        rops = [new_pop if o is pop else o for o in rbody.ops]
    rbody2 = substitute(Region(rbody.args, tuple(heads) + tuple(rops), rbody.yields), reads)
    # R's carries that never change (`d_total`) read as their first value
    same = {a: r.operands[3 + j] for j, a in enumerate(rargs) if rbody2.yields[j] is a}
    rinner = {x for o in rbody2.walk() for x in o.results} | set(rbody2.args)
    rinner -= set(same)
    b.ops, b.consts = [], {}
    b.loc = r.loc
    found = dict(rrows)
    rbatch = _batchable(b, rbody2, rindex, found, rinner, trips, exact, same)
    # (the rows R reads of an array the loop does not change, `ys[t]`, are batched
    # as that array: a batch reading one reads `ys`, never the loop's `ys[t]`)
    rrows.update({v: x for v, x in found.items() if x is not None and v not in rrows})
    batched = _emit_batches(b, rbody2, rbatch, rrows, trips, same)
    before_r = b.ops
    # the loop reads a batch's row where an op it does not batch reads the value
    b.ops, b.consts = [], {}
    b.loc, b.tag = r.loc, r.tag
    needed = _read_outside(rbody2, set(rbatch))
    first = {}  # (a row read is commented with the line of its first reader: printed
    for o in rbody2.walk():  # in that line's expression)
        for v in o.operands:
            first.setdefault(v, o.loc)
    row_reads = {}
    for v in batched:
        if v in needed:
            b.loc = first.get(v, r.loc)
            row_reads[v] = _typed(b, "index", (batched[v], rindex), v.type, TEMP, key=("%",))
    rbody3 = substitute(
        Region(rbody2.args, tuple(b.ops) + tuple(o for o in rbody2.ops), rbody2.yields), row_reads
    )
    new_r = r.replace(regions=(rbody3,))
    if not keep:  # (the tape is empty: it goes)
        ops = [o for o in ops if o is not tape_op]
        fi, ri = ops.index(f), ops.index(r)
    return (
        ops[:fi] + pre + [new_f] + between + ops[fi + 1 : ri] + before_r + [new_r] + ops[ri + 1 :]
    )


def _stackable(t, others):
    return float_array(t) and all(o == t for o in others)


def _hint(v):
    return "~steps" if v.hint.startswith("~") else f"{v.hint}_steps"


def _typed(b, opcode, operands, t, hint, **attrs):
    """An op whose result has type t (the verifier's inference must agree)."""
    v = b.emit(opcode, *operands, hint=hint, **attrs)
    op = b.ops[-1]
    typed = Value(v.hint, t)
    b.ops[-1] = op.replace(results=(typed,))
    b.defs[typed] = b.ops[-1]
    return typed


def _row(b, stacked, index, like):
    """`stacked[t]`, of the type of `like` (a row at t)."""
    return _typed(b, "index", (stacked, index), like.type, like.hint, key=("%",))


def _batchable(b, body, index, rows, inner, trips, keep_out, same=None):
    """{op: True} of the body's top-level ops that a batch computes (module docstring),
    in order, none whose result is in `keep_out`; `rows` gets their results (value ->
    None until emitted)."""
    same = same or {}
    out = {}
    for op in body.ops:
        if (
            op.opcode == "index"
            and op.attr_dict.get("key") == ("%",)
            and len(op.operands) == 2
            and op.operands[1] is index
            and op.results[0] not in rows
        ):
            x = op.operands[0]
            if (
                x not in inner
                and float_array(x.type)
                and x.type.rank == op.results[0].type.rank + 1
                and x.type.shape[0] == trips
                and T.same_shape(x.type.shape[1:], op.results[0].type.shape)
            ):
                rows[op.results[0]] = x
            continue
        if op.regions or len(op.results) != 1 or op.results[0] in keep_out:
            continue
        r = op.results[0]
        if not float_array(r.type) or not any(v in rows for v in op.operands):
            continue
        if not all(
            v in rows or v not in inner or v in same or _const(body, v) for v in op.operands
        ):
            continue
        if op.opcode in _ELEMENTWISE and OPS[op.opcode].elementwise:
            # (a row smaller than the result's only with values the loop does not change:
            # `d_y[t] * h[t]`, two rows, is an outer product loop_accumulate contracts)
            lone = sum(v in rows for v in op.operands) == 1
            ok = all(
                T.same_shape(v.type.shape, r.type.shape)
                or lone
                and _row_broadcasts(v.type.shape, r.type.shape)
                if v in rows
                else v.type.kind != "array"
                or v.type.shape is not None
                and len(v.type.shape) <= len(r.type.shape)
                for v in op.operands
            )
        elif op.opcode == "matmul":
            a, c = op.operands
            ok = (
                (a in rows) != (c in rows)
                and a.type.rank in (1, 2)
                and c.type.rank in (1, 2)
                and (a.type.rank == 1 if a in rows else c.type.rank == 1 and a.type.rank == 2)
            )
        else:
            ok = False
        if ok:
            out[op] = True
            rows[r] = None
    return out


def _row_broadcasts(row, result):
    """A row of this shape broadcasts to the result's row from the right, axis for axis
    (`d_y[t] * Wy`: a number times a row); its batch gets the missing axes after the
    trips' (`d_y[:, None] * Wy`), so each element is what the trip computes."""
    return (
        row is not None
        and result is not None
        and len(row) <= len(result)
        and T.same_shape(row, result[len(result) - len(row) :])
    )


def _const(body, v):
    return any(o.opcode == "const" and o.results[0] is v for o in body.ops)


def _only_for(body, batch, push):
    """The ops of batch whose values only other ops of batch and the push read."""
    keep = dict(batch)
    while True:
        vals = {o.results[0] for o in keep}
        bad = []
        for o in body.walk():
            if o is push or o in keep:
                continue
            if any(v in vals for v in o.operands):
                bad.extend(k for k in keep if k.results[0] in o.operands)
        bad.extend(k for k in keep if k.results[0] in body.yields)
        if not bad:
            return keep
        for k in bad:
            keep.pop(k, None)


def _emit_batches(b, body, batch, rows, trips, same=None):
    """Emit each op of batch on stacked operands, in order; {row value: its batch}. An
    op whose batch would not be T rows of its row's type (or that reads a value left in
    the loop) stays in the loop."""
    same = same or {}
    out = {}
    consts = {o.results[0]: o for o in body.ops if o.opcode == "const"}
    pending = {o.results[0] for o in batch}

    def outer(v):
        if v in out:
            return out[v]
        if v in pending or v in rows and rows[v] is None:
            return None  # (a batch that was not emitted)
        if v in rows:
            return rows[v]
        if v in same:
            return same[v]
        if v in consts:
            return b.emit("const", hint=v.hint, **consts[v].attr_dict)
        return v

    for op in body.ops:
        if op not in batch:
            continue
        r = op.results[0]
        operands = [outer(v) for v in op.operands]
        if any(v is None for v in operands):
            continue
        mark = len(b.ops)
        b.loc = op.loc  # (the batch is commented with the line of its rows' op)
        if op.opcode == "matmul" and op.operands[1] in rows:  # W @ h: H @ W.T
            v = b.matmul(operands[1], b.T(operands[0]), hint=r.hint)
        elif op.opcode == "matmul":
            v = b.matmul(*operands, hint=r.hint)
        else:
            rank = len(r.type.shape)
            operands = [
                b.emit("expand_dims", u, axis=tuple(range(1, 1 + rank - v.type.rank)))
                if (v in rows or v in out) and v.type.rank < rank
                else u
                for u, v in zip(operands, op.operands)
            ]
            v = b.emit(op.opcode, *operands, hint=r.hint, **op.attr_dict)
        want = (trips,) + tuple(r.type.shape)
        if (
            v.type.kind != "array"
            or v.type.dtype != r.type.dtype
            or v.type.shape is None
            or not T.same_shape(v.type.shape, want)
        ):
            del b.ops[mark:]
            continue
        out[r] = v
    return out


def _read_outside(body, batch):
    """The results of batch that ops outside batch (or the yields) read."""
    vals = {o.results[0] for o in batch}
    read = set()
    for o in body.walk():
        if o in batch:
            continue
        read.update(v for v in o.operands if v in vals)
    for o in body.walk():
        for reg in o.regions:
            read.update(v for v in reg.yields if v in vals)
    read.update(v for v in body.yields if v in vals)
    return read
