"""Loop checkpointing: the reverse sweep of a long `for` loop without its whole tape.

A loop over a range() of T steps whose reverse sweep reads values of each step
tapes them all: memory in proportion to T. Checkpointed (`checkpoint="sqrt"`, or
the loop written `for t in s2sgrad.checkpointed(range(T)):`), the forward sweep
keeps only the loop's carried values at the start of every k-th step, k ~ sqrt(T)
(a snapshot; about sqrt(T) of them), and the reverse sweep takes the segments
from the last: it pops the segment's snapshot, runs the segment's steps again
from it, taping them as the plain loop does, and runs the backward body over
that tape. Memory is the snapshots and one segment's tape, O(sqrt(T)); time is
about one more forward sweep. The generated code reads as that:

    k = np.int64(np.sqrt(abs(n))) + 1        # checkpoints: every k steps
    _tape0 = []
    for seg in range(0, n, k):
        _tape0.append(h)
        end = np.minimum(seg + k, n)
        for t in range(seg, end):
            h = np.tanh(W @ h + b)
    ...
    for seg in reversed(range(0, n, k)):
        h_1 = _tape0.pop()                      # this segment's checkpoint
        end_1 = np.minimum(seg + k, n)
        steps = end_1 - seg
        for i in range(steps):                  (the segment again, taped)
        for i in reversed(range(steps)):        (its backward body)

The two loops over a segment count its steps from 0 (the index the body read is
`t = seg + i`), and carry the attribute `trips`: a symbol of the function's own for
their count as a dimension. So the loop passes rewrite them as they rewrite the
plain loop (passes/loop_stack.py, passes/loop_accumulate.py): the segment's tape
becomes rows of an array, and the outer products of a weight's gradient one matrix
product a segment (`d_W += _d0.T @ h_in`), not one a step.

Both loops are the plain loop's own (reverse.py's backprop_loop builds them and
hands them here): the forward body as the source wrote it, the forward body with
its push (a copy, its values made anew: SSA), and the backward body. Only `for`
loops over a range() with a step known at transform time are checkpointed; a
`while` loop, a loop with `break` or `return` (a `while` once lowered), a loop
drawing random numbers (a segment run again would draw others), a loop whose
steps read a list built with append that it carries (the checkpoints would hold
the list, and every append would copy it), and a loop differentiated again keep
their tape. A binomial (Revolve) schedule is not implemented.
"""

from .errors import UnsupportedError
from .ir import opcodes
from .ir import types as T
from .ir.builder import Builder
from .ir.core import TAPE_HINT, Op, Region, Value, make_attrs, substitute

CKPT = "ckpt"  # the tag of the checkpoint ops: codegen comments them
SHORT = 16  # under checkpoint="sqrt", a loop of fewer steps known at transform
# time keeps its tape (k ~ sqrt(T) would save little)


def step_of(b, op, marked, pushed, roots):
    """The static step of checkpointed loop `op`, or None when it keeps its tape (a
    loop marked in the source with a run-time step, drawing, or whose steps run again
    need a list built with append, is refused). `pushed`, `roots`: as `expand` takes
    them (the body with its push; the indices of the values carried back)."""
    if op.opcode != "for" or op.attr("reverse", False):
        return None
    if any(
        opcodes.draws(o) and opcodes.OPS[o.opcode].effect != "check" for o in op.regions[0].walk()
    ):  # (a check, run again on the values it passed, passes)
        if marked:  # (a segment run again would draw other numbers)
            raise UnsupportedError(
                "a checkpointed loop cannot draw random numbers: its reverse sweep runs its "
                "steps again, and the generator would give other numbers",
                loc=op.loc,
                hint="drop s2sgrad.checkpointed(...) for this loop (its reverse sweep then "
                "tapes every step), or draw the numbers before the loop",
            )
        return None
    step = b.static_value(op.operands[2], None)
    if isinstance(step, bool) or not isinstance(step, int) or step == 0:
        if marked:
            raise UnsupportedError(
                "a checkpointed loop needs a range() step known at transform time",
                loc=op.loc,
                hint="write the step as a literal (range(a, b, 2)), or drop "
                "s2sgrad.checkpointed(...) for this loop",
            )
        return None
    keep, _ = _carried(pushed, roots)
    if any(op.regions[0].args[1 + j].type.kind == "dynlist" for j in keep):
        if marked:  # (a list in the checkpoints: each append after one would copy it)
            raise UnsupportedError(
                "a checkpointed loop cannot carry a list built with append that its steps "
                "read, or append to under a branch or in a nested loop (its checkpoints "
                "would hold the list, and every append then copies it)",
                loc=op.loc,
                hint="drop s2sgrad.checkpointed(...) for this loop, or "
                "carry the value read (out[-1]) in a variable of its own",
            )
        return None
    lo, hi = (b.static_value(v, None) for v in op.operands[:2])
    if (
        not marked
        and all(isinstance(v, int) for v in (lo, hi))
        and len(range(lo, hi, step)) < SHORT
    ):
        return None
    return step


def expand(b, op, step, pushed, tape_stack, bwd_region, inits, types, hints, nexts, trips):
    """The checkpointed form of `for` loop `op`: (forward ops replacing it, the results
    of the backward loop appended to `b`). The forward sweep runs op's own body (its
    inner loops tape nothing, its calls make no back functions: nothing reads them).
    `pushed`: the body region as the reverse sweep rewrote it, with its push;
    `tape_stack`: the op making the tape (None when nothing is taped); `bwd_region`: the
    backward body, whose arguments are the index, `inits`' values, then one per `nexts`
    entry (the yielded values it carries back, which the segment's recomputation gives
    for its last step); `types`, `hints`: of `inits`; `trips`: a symbol no other
    dimension of the function has, the segment's number of steps as a dimension."""
    start, stop, _ = op.operands[:3]
    body = op.regions[0]
    cargs = body.args[1:]
    keep, pushed = _carried(pushed, [j for j, _, _ in nexts])  # (as step_of found)
    fb = Builder(defs=b.defs, loc=op.loc, tag=CKPT)
    k, stride = _every(fb, start, stop, step)
    snaps = Value(TAPE_HINT, T.Type(kind="list"))
    if keep:  # (none when the taped values need no carried value)
        fb.append_op(Op("stack", (), (snaps,), (), op.loc, CKPT))

    # the forward sweep: a snapshot at each segment's start, then the segment's steps
    seg, c = Value("seg", T.PY_INT), tuple(Value(a.hint, a.type) for a in cargs)
    sb = Builder(loc=op.loc, tag=CKPT)
    if keep:
        sb.append_op(Op("push", (snaps,) + tuple(c[j] for j in keep), (), (), op.loc, CKPT))
    inner = _segment(sb, op, seg, stride, stop, step, c, body, op.results)
    outer = op.replace(
        operands=(start, stop, stride) + op.operands[3:],
        attrs=(),
        regions=(Region((seg,) + c, tuple(sb.ops), inner),),
    )

    # the reverse sweep, a segment at a time from the last
    seg_b = Value("seg", T.PY_INT)
    dc = tuple(Value(h, t) for h, t in zip(hints, types))
    rb = Builder(loc=op.loc, tag=CKPT)
    restored = tuple(Value(cargs[j].hint, cargs[j].type) for j in keep)
    if keep:
        rb.append_op(Op("pop", (snaps,), restored, (), b.loc, CKPT))
    if tape_stack is not None:
        rb.append_op(tape_stack)
    # (both loops of the segment count its steps from 0, and say how many: a trip count
    # the loop passes stack rows by, as they do for the plain loop's tape)
    count = _count(rb, op, seg_b, stride, stop, step)
    again = _segment(
        rb,
        op,
        seg_b,
        stride,
        stop,
        step,
        restored,
        _fresh(pushed, {}),
        [op.results[j] for j in keep],
        counted=(count, trips),
    )
    carried_back = [again[keep.index(j)] for j, _, _ in nexts]
    rb.tag = b.tag
    outs = rb.region_op(
        "for",
        [rb.const(0), count, rb.const(1), *dc, *carried_back],
        [_from_zero(rb, bwd_region, seg_b, step)],
        list(types) + [n.type for _, _, n in nexts],
        list(hints) + [n.hint for _, _, n in nexts],
        reverse=True,
        trips=trips,
    )
    region = Region((seg_b,) + dc, tuple(rb.ops), tuple(outs[: len(dc)]))
    results = b.region_op(
        "for", [start, stop, stride, *inits], [region], types, hints, reverse=True
    )
    return fb.ops + [outer], results


def _every(fb, start, stop, step):
    """(k, the outer loops' step k * step): k = isqrt(steps) + 1, from |stop - start|."""
    span = (
        stop
        if fb.static_value(start, None) == 0 and step > 0
        else fb.emit("sub", *((stop, start) if step > 0 else (start, stop)))
    )
    if abs(step) != 1:
        span = fb.emit("floordiv", span, fb.const(abs(step)))
    root = fb.emit("sqrt", fb.emit("abs", span))
    k = fb.emit("add", fb.emit("astype", root, dtype="int64"), fb.const(1), hint="k")
    return k, k if step == 1 else fb.emit("mul", k, fb.const(step))


def _carried(pushed, roots):
    """(indices, region): the carried values a segment's steps run again need (those the
    backward body carries back, and those the tape's values are made from), and the body
    `pushed` (ops) carrying only those, what nothing needs dropped (a running sum the
    gradient does not read is not recomputed, nor kept in the checkpoints)."""
    from .reverse import _live  # (reverse imports this module)

    region = pushed
    cargs, ys = region.args[1:], region.yields
    keep = set(roots)
    while True:
        ops, live = _live(list(region.ops), [ys[k] for k in keep])
        more = keep | {k for k, a in enumerate(cargs) if a in live}
        if more == keep:
            break
        keep = more
    keep = sorted(keep)
    return keep, Region(
        (region.args[0],) + tuple(cargs[k] for k in keep), tuple(ops), tuple(ys[k] for k in keep)
    )


def _segment(sb, op, seg, stride, stop, step, inits, region, like, counted=None):
    """The loop over one segment's steps, `range(seg, min(seg + stride, stop), step)`
    (max for a negative step), appended to `sb`: its results (typed as `like`). `counted`:
    (count, trips), to run it as `range(count)` instead, `trips` its count as a dimension."""
    sb.tag = op.tag
    if counted is None:
        bounds, attrs = (seg, _end(sb, seg, stride, stop, step), op.operands[2]), ()
    else:
        count, trips = counted
        bounds, attrs = (sb.const(0), count, sb.const(1)), make_attrs({"trips": trips})
        region = _from_zero(sb, region, seg, step)
    results = tuple(Value(r.hint, r.type) for r in like)
    sb.append_op(Op("for", bounds + tuple(inits), results, attrs, op.loc, op.tag, (region,)))
    return results


def _end(sb, seg, stride, stop, step):
    end = sb.emit("add", seg, stride)
    return sb.emit("minimum" if step > 0 else "maximum", end, stop, hint="end")


def _count(sb, op, seg, stride, stop, step):
    """The number of steps of the segment from seg. A segment is never empty (seg is
    short of stop), so len(range(seg, end, step)) is (|end - seg| - 1) // |step| + 1."""
    sb.tag = op.tag
    end = _end(sb, seg, stride, stop, step)
    if step == 1:
        count = sb.emit("sub", end, seg, hint="steps")
    else:
        span = sb.emit("sub", *((end, seg) if step > 0 else (seg, end)))
        less = sb.emit("floordiv", sb.emit("sub", span, sb.const(1)), sb.const(abs(step)))
        count = sb.emit("add", less, sb.const(1), hint="steps")
    return count


def _from_zero(sb, region, seg, step):
    """The body `region` of a loop over range(seg, end, step) as the body of a loop over
    range(count): its index i, and its first op t = seg + i * step, the index it read."""
    i = Value("i", T.PY_INT)
    b = Builder(loc=sb.loc, tag=sb.tag)
    at = i if step == 1 else b.emit("mul", i, b.const(step))
    t = b.emit("add", seg, at, hint=region.args[0].hint)
    body = Region((i,) + region.args[1:], tuple(b.ops) + region.ops, region.yields)
    return substitute(body, {region.args[0]: t})


def _fresh(region, mapping):
    """A copy of `region` whose values (results and region arguments, nested ones too)
    are new: the same code run a second time in SSA."""
    args = tuple(Value(a.hint, a.type) for a in region.args)
    mapping.update(zip(region.args, args))
    ops = []
    for op in region.ops:
        regions = tuple(_fresh(r, mapping) for r in op.regions)
        results = tuple(Value(r.hint, r.type) for r in op.results)
        operands = tuple(mapping.get(v, v) for v in op.operands)
        mapping.update(zip(op.results, results))
        ops.append(op.replace(operands=operands, results=results, regions=regions))
    return Region(args, tuple(ops), tuple(mapping.get(v, v) for v in region.yields))


__all__ = ["CKPT", "expand", "step_of"]
