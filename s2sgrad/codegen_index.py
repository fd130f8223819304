"""Codegen of the indexing ops: keys written as in the source, and the writes.

`index(x, *dyn) {key}` is the expression `x[1:, None, ..., i]`. A write is a
statement: `setitem` is `y[key] = v` (or `y[key] += v` when it is the
lowering of that augmented assignment), `index_add` is `y[key] += v`, or
`np.add.at(y, key, v)` when positions may repeat (integer arrays), which `+=`
would not accumulate. out_of_ssa.py decides which writes may update their
array in place; the others copy first: `y_1 = y.copy()` then the write into
`y_1`. An in-place write's result shares its array's Python name.
"""

import ast

from . import codegen_xp
from .ir import indexing as I
from .ir.opcodes import OPS


def key_expr(key, dyn, x=None, dyn_values=()):
    """The subscript of `x[key]`, the dyn operands given as expressions; in array-API
    code (x, the indexed value, and dyn_values given) with a trailing `...` where the
    key leaves axes of x out (the standard asks every axis to be indexed or an
    ellipsis to stand for the rest)."""
    from .codegen import literal

    def bound(b):
        return None if b is None else literal(b) if isinstance(b, int) else b

    xp = x is not None and codegen_xp.active()
    typed = I.resolve(key, [v.type for v in dyn_values]) if xp else None
    items = []
    for k, item in enumerate(I.resolve(key, dyn)):
        if item.kind == "slice":
            lo, hi, step = (bound(b) for b in item.value)
            items.append(ast.Slice(lower=lo, upper=hi, step=step))
        elif item.kind == "newaxis":
            items.append(ast.Constant(value=None, kind=None))
        elif item.kind == "ellipsis":
            items.append(ast.Constant(value=Ellipsis, kind=None))
        elif item.kind == "int" and isinstance(item.value, int):
            items.append(literal(item.value))
        elif xp and typed[k].kind == "array" and typed[k].value.kind in ("tuple", "list"):
            from .codegen import _call  # (the standard indexes with arrays, not lists)

            items.append(_call("xp.asarray", [item.value]))
        else:
            items.append(item.value)
    if xp and _leaves_axes(key, x, dyn_values):
        items.append(ast.Constant(value=Ellipsis, kind=None))
    if len(items) == 1 and not isinstance(items[0], ast.Tuple):
        return items[0]
    return ast.Tuple(elts=items, ctx=ast.Load())


def _leaves_axes(key, x, dyn_values):
    """True when `x[key]` (no ellipsis, no boolean mask) indexes fewer axes than x has."""
    rank = x.type.rank if x.type.kind == "array" else None
    if rank is None or I.ELLIPSIS in key:
        return False
    items = I.resolve(key, [v.type for v in dyn_values])
    if any(item.kind in ("mask", "array") for item in items):
        return False  # (the standard mixes integer arrays with integers alone)
    return sum(1 for item in items if item.kind != "newaxis") < rank


def write_lines(op, ex, names):
    """The statements of a setitem or index_add."""
    from .codegen import _attr, _call, _name, render

    old, value, dyn = op.operands[0], op.operands[1], op.operands[2:]
    target = names(op.result)
    if codegen_xp.active() and None in op.attr("key"):
        codegen_xp.refuse(
            op,
            "a write through a new axis (y[None, ...] = v, the adjoint of reading x[None])",
            hint="write np.expand_dims(x, 0) (or "
            "np.reshape) instead of x[None], or emit the NumPy module",
        )
    if codegen_xp.active() and uses_add_at(op):
        added = codegen_xp.scatter_add(
            op, ex.value(old), ex.value(value), ex.value(dyn[0]) if len(dyn) == 1 else None
        )
        return [
            render(ast.Assign(targets=[_name(target, store=True)], value=added, type_comment=None))
        ]
    lines = copy_unless_in_place(op, ex, old, target)
    key = key_expr(op.attr("key"), [ex.value(d) for d in dyn], old, dyn)
    sub = ast.Subscript(value=_name(target), slice=key, ctx=ast.Store())
    if op.opcode == "setitem":
        aug = _augmented(op, ex)
        if aug is not None:
            stmt = ast.AugAssign(target=sub, op=aug[0](), value=aug[1])
        else:
            stmt = ast.Assign(targets=[sub], value=ex.value(value), type_comment=None)
    elif uses_add_at(op):
        if codegen_xp.active():
            codegen_xp.refuse(
                op,
                "a write adding at positions that may repeat (np.add.at)",
                hint="add at distinct positions (slices, an arange), or emit "
                "the NumPy module (without --xp)",
            )
        at = (
            key
            if len(op.attr("key")) == 1
            else ast.Subscript(value=_attr(_name("np"), "s_"), slice=key, ctx=ast.Load())
        )
        stmt = ast.Expr(value=_call("np.add.at", [_name(target), at, ex.value(value)]))
    else:
        stmt = ast.AugAssign(target=sub, op=ast.Add(), value=ex.value(value))
    lines.append(render(stmt))
    return lines


def uses_add_at(op):
    """True when an index_add must be written as np.add.at (positions may repeat)."""
    return op.opcode == "index_add" and I.may_repeat(
        op.attr("key"), [v.type for v in op.operands[2:]]
    )


def _augmented(op, ex):
    """(operator, operand) when `setitem(y, y[k] <op> v, k)` is `y[k] <op>= v`."""
    old, value, dyn = op.operands[0], op.operands[1], op.operands[2:]
    d = ex.defs.get(value)
    if d is None or not OPS[d.opcode].augmented or not ex.inlined(value):
        return None
    read = ex.defs.get(d.operands[0])
    if read is None or read.opcode != "index" or not ex.inlined(d.operands[0]):
        return None
    if (
        read.operands[0] is not old
        or read.attr("key") != op.attr("key")
        or len(read.operands) - 1 != len(dyn)
        or any(a is not b for a, b in zip(read.operands[1:], dyn))
    ):
        return None
    if old.type.dtype is None or value.type.dtype != old.type.dtype:
        return None  # y[k] += v casts by NumPy's same-kind rule, y[k] = y[k] + v does not
    from .codegen import _AST_BINOP

    return _AST_BINOP[OPS[d.opcode].form[1]], ex.value(d.operands[1])


def copy_unless_in_place(op, ex, old, target):
    """[] when out-of-SSA lets op update `old` in place; else the line `target =
    old.copy()` (an op changing its operand then changes the copy)."""
    from .codegen import _attr, _name, render

    if op in getattr(ex, "in_place", ()):
        return []
    made = ex.defs.get(old)
    foreign = old.type.kind == "array" and (
        old in ex.params or made is not None and OPS[made.opcode].memory != "new"
    )
    copy = (
        codegen_xp.copy_expr(ex.value(old))
        if codegen_xp.active() and old.type.kind == "array"
        else ast.Call(
            func=_attr(ex.value(old), "copy"),
            args=[],
            # (an argument's or a view's layout kept: a transposed one's sums and products
            # then round as the caller's array's do)
            keywords=[ast.keyword(arg="order", value=ast.Constant("K"))] if foreign else [],
        )
    )
    return [render(ast.Assign(targets=[_name(target, store=True)], value=copy, type_comment=None))]
