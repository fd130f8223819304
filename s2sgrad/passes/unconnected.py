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

from ..ir.builder import rewrite
from ..ir.core import adjoint_hint
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
    active = activity.analyze(ops, xs, ys, stops)
    return [k for k, x in enumerate(xs) if x not in active]


def gradient(b, x, mode, hint):
    """The policy's value for x: None, or zeros like x (a Python 0.0 for a float64 scalar,
    an np.float32 zero for a float32 one)."""
    if mode == "zero":
        t = x.type
        if t.shape == () and t.dtype == "float64":
            return b.const(0.0, hint=hint)  # a float64 scalar's gradient is a Python float
        if t.shape == () and t.is_float and t.dtype is not None and t.weak is False:
            return b.const(np.dtype(t.dtype).type(0.0), hint=hint)
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
