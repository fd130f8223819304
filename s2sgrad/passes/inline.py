"""Calls of the user's functions inlined, for derivatives of derivatives.

A first derivative keeps each helper a function of its own (`vjp_h` returning
`(value, h_back)`, a closure). A second derivative would have to differentiate
that closure's reverse sweep (reverse over reverse) or carry tangents through
it (forward over reverse); neither is done on calls. Inlined first, the
helper's ops are the caller's, and both go through them as through any other
code: `grad(grad(f))` of loop-free code, and `hessian(f)` / `jvp(grad(f))`
also through the helper's loops.

Each call site gets fresh copies of the callee's values (SSA: a helper called
twice defines its values twice); the ops keep their source locations, so the
generated code's comments still name the helper's lines. Inlining is exact:
the callee's ops run on the call's operands, as the call runs them.
"""

from dataclasses import replace

from ..ir.core import Region, Value, def_map


def run(fn):
    """fn with every `call` of one of its callees replaced by the callee's body
    (callees calling others are inlined into it first); no callees left."""
    if not fn.callees:
        return fn
    functions = {f.name: f for f in fn.callees}
    body = _region(fn.body, functions, {}, {})
    return replace(fn, body=_fold_items(body, def_map(body), {}), callees=())


def _fold_items(region, defs, subst):
    """`t[k]` of a `tuple` op is its k-th operand: an inlined helper returning a tuple
    hands its items to the caller's `a, b = h(x)` directly (the derivatives of a
    tuple's items go through the values, never through the tuple)."""
    ops = []
    for op in region.ops:
        op = op.replace(
            operands=tuple(subst.get(v, v) for v in op.operands),
            regions=tuple(_fold_items(r, defs, subst) for r in op.regions),
        )
        if op.opcode == "getitem":
            made = defs.get(op.operands[0])
            if made is not None and made.opcode == "tuple":
                item = made.operands[op.attr("index")]
                subst[op.result] = subst.get(item, item)
                continue
        ops.append(op)
    return Region(region.args, tuple(ops), tuple(subst.get(v, v) for v in region.yields))


def _region(region, functions, mapping, stack):
    """A copy of `region` with calls inlined; `mapping` renames values defined in
    a callee being copied (fresh ones at each call site)."""
    ops = []
    for op in region.ops:
        operands = tuple(_get(mapping, v) for v in op.operands)
        if op.opcode == "call" and op.attr("callee") in functions:
            ops.extend(_inline(op, operands, functions, mapping, stack))
            continue
        regions = tuple(_copy_region(r, functions, mapping, stack) for r in op.regions)
        results = _fresh(op.results, mapping) if stack else op.results
        ops.append(op.replace(operands=operands, results=results, regions=regions))
    return Region(region.args, tuple(ops), tuple(_get(mapping, v) for v in region.yields))


def _copy_region(r, functions, mapping, stack):
    args = _fresh(r.args, mapping) if stack else r.args
    return replace(_region(r, functions, mapping, stack), args=args)


def _inline(op, operands, functions, mapping, stack):
    name = op.attr("callee")
    callee = functions[name]
    inner = dict(zip(callee.params, operands))  # the callee's own values, fresh here
    body = _region(callee.body, functions, inner, dict(stack, **{name: True}))
    (out,) = body.yields
    ops = list(body.ops)
    mapping[op.result] = out  # the call's result is the callee's
    return ops


def _fresh(values, mapping):
    out = []
    for v in values:
        new = Value(v.hint, v.type)
        mapping[v] = new
        out.append(new)
    return tuple(out)


def _get(mapping, v):
    while v in mapping:
        v = mapping[v]
    return v


__all__ = ["run"]
