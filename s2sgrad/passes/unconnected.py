"""What an x that reaches no y gets: None ('none', the default, as in
tf.gradients) or zeros shaped like x ('zero').

`run(fn)`, before the reverse transform: for each `gradients` op, the xs that
activity finds unconnected (no path to any y, past the call's stops and the
ops declared constant) leave the op. Their gradients are the policy's value,
emitted right after the op under the call's `# gradients of the xs`; the op
keeps the connected xs only (and goes when none is left), so the reverse
transform never sees the others.

A `gradients` op not expanded yet (a later call reading an earlier one's
results) counts as reading every value made before it: its expansion may read
any of them. An x connected only through it is kept, never dropped.

Activity is a static over-approximation: an x can be connected and still get
no contribution (every rule on its path gives None for it). The reverse sweep
finds those, and gives them `gradient(...)` too: TensorFlow's policy applies to
every x whose gradient is None.
"""

import numpy as np

from ..errors import UnsupportedError
from ..ir.builder import rewrite
from ..ir.core import adjoint_hint, loop_carries, may_be, uses
from ..ir.gradients_op import GradientsCall
from . import activity


def run(fn):
    calls = [i for i, op in enumerate(fn.body.ops) if op.opcode == "gradients"]
    if not any(unconnected(fn.body.ops[:i], fn.body.ops[i], fn.params) for i in calls):
        return fn  # every x connected (no call at all): nothing to rebuild

    def split(b, op):
        return _split(b, op, fn.params) if op.opcode == "gradients" else None

    return rewrite(fn, split)


def unconnected(forward, op, before=()):
    """The indices of op's xs that reach none of its ys, `forward` the ops before it
    (program order) and `before` the values it may read besides (parameters)."""
    call = GradientsCall.of(op)
    ys, xs, stops = call.ys, call.xs, set(call.stops)
    made = list(before)
    ops = []
    for o in forward:
        if o.opcode == "gradients":  # its expansion may read anything made before it
            o = o.replace(operands=tuple(made))
        ops.append(o)
        made.extend(o.results)
    named_results_checked(ops, xs, ys, stops, op.loc)
    active = activity.analyze(ops, xs, ys, stops)
    return [k for k, x in enumerate(xs) if x not in active]


def gradient(b, x, mode, hint):
    """The policy's value for x: None, or zeros like x (a Python 0.0 for a float64 scalar,
    an np.float32 zero for a float32 one)."""
    if mode == "zero":
        t = x.type
        if t.shape == () and t.dtype == "float64":
            return b.const(0.0, hint=hint)  # a float64 scalar's gradient is a Python float
        if t.shape == () and t.dtype is not None and t.weak is False:  # a NumPy scalar's
            return b.const(np.dtype(t.dtype).type(0), hint=hint)  # zero: np.float32(0.0)
        if t.shape == () and t.weak is True and t.dtype in ("int64", "bool"):  # (a Python
            return b.const(0 if t.dtype == "int64" else False, hint=hint)  # int's: 0)
        return b.zeros_like(x, hint=hint)
    return b.const(None)


def _split(b, op, params):
    """Emit op with its connected xs only, then the policy's value for each other x;
    the values standing for op's results (None when every x is connected)."""
    drop = unconnected(list(b.ops), op, params)
    if not drop:
        return None
    call = GradientsCall.of(op)
    xs = call.xs
    keep = [k for k in range(len(xs)) if k not in drop]
    if keep:
        kept = call.with_xs(xs[k] for k in keep)
        b.append_op(kept.op(tuple(op.results[k] for k in keep), op.loc, op.tag))
    name, policy = call.options.name, call.options.unconnected
    b.loc, b.tag = op.loc, f"out:{name}"
    out = list(op.results)
    for k in drop:
        out[k] = gradient(b, xs[k], policy, adjoint_hint(xs[k], name))
    return out


def named_results_checked(forward, xs, ys, stops, loc):
    """Refuse an x or a stop_gradients value that an if or a loop leaves in a variable
    (its result) when, on some path, the value the variable holds after it (what the
    branch taken or the loop's last trip assigned, or what it held before) is also read
    on the way to a y other than through the variable after the if or loop. Its
    derivative then depends on what the name means: that value (as eager TensorFlow,
    JAX and autograd see it) or the if's or loop's result, a value of its own
    (tf.gradients in a graph). Where the two agree, the result is taken as a value of
    its own: backprop stops at a stopped one, and the if's or loop's other results
    still pass gradients in."""
    named = [(v, "xs") for v in xs] + [(v, "stop_gradients") for v in stops]
    made = {r: op for op in forward for r in op.results if op.regions}
    if not made:
        return
    defs = {}
    for op in forward:
        for o in (op, *(w for r in op.regions for w in r.walk())):
            for r in o.results:
                defs[r] = o
    args = _loop_args(defs)
    for v, where in named:
        u, shown = v, v.hint  # (a name a loop assigns first, read after it: its checked
        while u in defs and defs[u].opcode == "loop_index":  # read, of the loop's result)
            u, shown = defs[u].operands[0], defs[u].attr("name")
        op = made.get(u)
        if op is None:
            continue
        held = [h for h in _held(u, defs, args) if h[:2] not in ((u, False), (v, False))]
        reached = {}  # (per set of loops taken to run no time)
        for _, _, zero in held:
            if zero not in reached:
                reached[zero] = _ancestors(ys, {v, u}, defs, args, zero)
        d = next((u for u, e, zero in held if (u, e) in reached[zero]), None)
        if d is not None:
            kind = "loop" if op.opcode in ("for", "while") else "branch"
            src = defs.get(d)
            what = f"the value from line {src.loc.line}" if src is not None else "its value"
            raise UnsupportedError(
                f"{shown!r} (in {where}) is a variable the {kind} at line {op.loc.line} "
                f"assigns, and on some path {what}, which {shown!r} holds after the "
                f"{kind}, is also read on the way to a y other than through {shown!r} "
                f"after the {kind}: the derivative would depend on whether {shown!r} "
                "means that value (as eager TensorFlow, JAX or autograd see it) or the "
                f"{kind}'s result, a value of its own (tf.gradients in a graph)",
                loc=loc,
                hint=f"name a copy made after the {kind} (`{shown}_after = {shown} * 1.0`) "
                "and compute from it what should depend on it, or write the stop as "
                "s2sgrad.stop_gradient(...) where the value is made",
            )


def _loop_args(defs):
    """Every loop's carried arguments -> (the value before the loop, what the body
    yields for it): ir.core.loop_carries of each."""
    out = {}
    for op in set(defs.values()):
        if op.opcode in ("for", "while"):
            out.update(loop_carries(op))
    return out


def _carried(op, j, defs, zero=frozenset()):
    """What result j of op (an if or a loop) may be (ir.core.may_be), each with the loops
    it takes to run no time: a loop's value before it adds the loop to `zero`, and a loop
    in `zero` is only that value."""
    if op in zero:
        return [((op.operands[3:] if op.opcode == "for" else op.operands)[j], zero)]
    values = may_be(op, j, lambda v: _constant(v, defs))
    if op.opcode == "if" or len(values) == 1:
        return [(w, zero) for w in values]
    then, first = values
    return [(then, zero), (first, zero | {op})]


def _constant(v, defs):
    d = defs.get(v)
    return d.attr("value") if d is not None and d.opcode == "const" else None


def _held(v, defs, args):
    """What variable v (an if's or a loop's result) may hold: (value, whether it is an
    earlier trip's of the loops it is made in, the loops taken to run no time for it):
    v, what it is on each path, in turn what nested ifs' and loops' results among those
    are, and what a loop's argument passed on unchanged is (its value before the loop,
    or the trip before's)."""
    out, todo = set(), [(v, False, frozenset())]
    while todo:
        item = todo.pop()
        if item in out:
            continue
        out.add(item)
        u, e, zero = item
        op = defs.get(u)
        if op is not None and op.regions and op.opcode in ("if", "for", "while"):
            todo.extend((w, e, z) for w, z in _carried(op, op.results.index(u), defs, zero))
        elif u in args:
            init, before = args[u]
            todo += [(init, e, zero), (before, True, zero)]
    return out


def _ancestors(ys, avoid, defs, args, zero):  # (avoid: a set of values)
    """The values the ys are computed from, along paths gradients may take (not an if's
    test or a loop's bounds), not through `avoid`, with the loops in `zero` running no
    time, each with whether it is an earlier trip's of a loop it is made in (reached
    through the loop's argument) or the last's."""
    seen, todo = set(), [(y, False) for y in ys]
    while todo:
        u, e = todo.pop()
        if (u, e) in seen or u in avoid:
            continue
        seen.add((u, e))
        op = defs.get(u)
        if op is None:
            if u in args:
                init, before = args[u]
                todo += [(init, e), (before, True)]
            continue
        if op.opcode in ("if", "for", "while"):
            todo.extend((w, e) for w, _ in _carried(op, op.results.index(u), defs, zero))
        else:
            todo.extend((w, e) for w in uses(op))
    return seen
