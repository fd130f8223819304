"""Assignments, for the lowerer (_Lowerer in lower.py): `x = ...`, `x: T = ...`,
`a op= v` (in place into an array's memory where Python writes in place),
unpacking, the writes a region makes, and giving a fresh value its variable's
name.
"""

import gast
import numpy as np

from ..ir import opcodes
from ..ir.core import CONST, Value
from . import loop_returns, subscript
from .shared import _describe, _expr_text, _op_symbol, _shape_text
from .source import walk


class _Assignments:
    """The assignment statements of _Lowerer (lower.py)."""

    def stmt_Assign(self, node, first):
        out = getattr(node, "ufunc_out", None)  # np.f(t, out=t), read as t[...] = np.f(t)
        if out is not None:
            held = self.env.get(out)
            t = getattr(held, "type", None)
            if t is None or t.kind != "array" or not t.is_float or t.weak or not t.shape:
                # (the statement np.f(t, out=t), or the assignment r = np.f(a, b, out=v))
                call = gast.unparse(node.value)
                made = getattr(node, "ufunc_result", out)
                zero_d = t is not None and t.kind == "array" and t.is_float and not t.weak
                self.unsupported(
                    node,
                    f"{call[:-1]}, out={out}) needs {out} to be a float array of at least "
                    f"one axis (it is {t}): "
                    + (
                        "s2sgrad may hold a 0-d array as a number, which has no memory "
                        "to write into"
                        if zero_d
                        else "NumPy refuses to cast the result into another dtype"
                    ),
                    f"{made} = {call}",
                )
        value = self.expr(node.value)
        for target in node.targets:
            value = self.assign(target, value)

    def stmt_AnnAssign(self, node, first):
        if node.value is None:
            return
        self.assign(node.target, self.expr(node.value))

    def stmt_AugAssign(self, node, first):
        if isinstance(node.target, gast.Subscript) and type(node.op).__name__ in opcodes.BINOPS:
            subscript.write(
                self,
                node.target,
                lambda: self.expr(node.value),  # (after the key: Python's order)
                opcodes.BINOPS[type(node.op).__name__],
                node,
            )
            return
        if not isinstance(node.target, gast.Name):
            self.unsupported(
                node,
                "augmented assignment to an element or attribute is not supported",
                "write `x = x + v` on a whole variable",
            )
        opname = type(node.op).__name__
        if opname not in opcodes.BINOPS:
            self.unsupported(
                node,
                f"the operator {_op_symbol(node.op)}= is not supported",
                "use + - * / ** @ // %",
            )
        current = self.name(node.target)
        rhs = self.expr(node.value)
        name = node.target.id
        array = _in_place(current)  # an array of rank > 0: written in place
        if array or isinstance(current, Value) and subscript.may_be_ndarray(self.b, current):
            # `a += v` may write into a's memory (a 0-d array's too), as `a[...] += v` does
            subscript.check_caller_array(self, node, name, current)
            subscript.check_module_array(self, node, name, current)
            self.augmented.update(subscript._bases(self.b, current))
            other = self._shared(name, current)
            if other is not None and (not array or subscript.maybe_number(self.b, current)):
                self.unsupported(
                    node,
                    f"{name!r} may be an array or a number here (a 0-d array, or a value "
                    f"that is a Python number on some path), and another name ({other!r}) holds "
                    f"it: `{name} {_op_symbol(node.op)}= ...` would change that name too only "
                    "when it is an array",
                    f"write `{name} = {name} {_op_symbol(node.op)} ...` "
                    f"(a new value), or make {other!r} a copy where it is bound",
                )
            if other is not None:
                # another name sees a's memory (`b = a`, a view): lowered as `a[...] += v`,
                # so that name sees the write as in Python
                subscript.write(self, _whole(node), rhs, opcodes.BINOPS[opname], node)
                return
        result = self.binop(opcodes.BINOPS[opname], current, rhs, node, node.target.id)
        if array and isinstance(result, Value):
            result = self._in_place_result(node, name, current, result)
        self.assign(node.target, result)

    def _in_place_result(self, node, name, current, result):
        """`a op= v` of an array writes into a: the result keeps a's shape and dtype
        (cast with NumPy's same_kind rule: float32 `a += x64` stays float32); a result
        that would not fit (a bigger broadcast shape, float into an int array) is the
        error NumPy raises, here at its line."""
        ct, rt = current.type, result.type
        if (
            ct.shape is not None
            and rt.shape is not None
            and (
                len(rt.shape) > len(ct.shape)
                or any(
                    c == 1 and r is not None and r != 1
                    for c, r in zip(ct.shape, rt.shape[len(rt.shape) - len(ct.shape) :])
                )
            )
        ):
            self.unsupported(
                node,
                f"{name!r} has shape {_shape_text(ct.shape)}, and "
                f"`{name} {_op_symbol(node.op)}= ...` makes one of shape "
                f"{_shape_text(rt.shape)}, which does not fit in it (NumPy raises: "
                "non-broadcastable output operand)",
                f"write `{name} = {name} {_op_symbol(node.op)} ...` (a new array)",
            )
        if ct.dtype is None and ct.weak is False and ct.shape:
            self.unsupported(
                node,
                f"{name!r} is an array whose dtype depends on the path taken to here (a "
                f"float32 on one path and a float64 on another), and `{name} "
                f"{_op_symbol(node.op)}= ...` keeps that dtype, which s2sgrad cannot tell",
                f"give {name!r} one dtype on every path (`.astype(np.float64)` where it "
                f"is made), or write `{name} = {name} {_op_symbol(node.op)} ...`",
            )
        if ct.dtype is not None and rt.dtype != ct.dtype and (rt.dtype is not None or ct.is_float):
            if rt.dtype is not None and not np.can_cast(rt.dtype, ct.dtype, casting="same_kind"):
                self.unsupported(
                    node,
                    f"`{name} {_op_symbol(node.op)}= ...` writes {rt.dtype} "
                    f"values into {name!r}, a {ct.dtype} array (NumPy raises: cannot "
                    "cast the ufunc's output with casting rule 'same_kind')",
                    f"write `{name} = {name} {_op_symbol(node.op)} ...`, or make "
                    f"{name!r} a float array first",
                )
            result = self.b.cast(result, ct.dtype, hint=name)
        return result

    def _shared(self, name, value):
        """Another name whose value may share memory with `value` (which `name`
        holds), or None; numbers and arrays alike."""
        root = subscript._chain(self.b, value)[0]
        mine = subscript._bases(self.b, root)
        for n, v in self.env.items():
            if n != name and any(
                subscript._chain(self.b, m)[0] is root or subscript._bases(self.b, m) & mine
                for m in subscript._bound_values({n: v})
            ):
                return n
        return None

    def check_region_writes(self, stmts):
        """subscript.check_region_writes, `a += v` of an array counted as the write
        into `a[...]` it is, unless the region assigns `a` a new value first."""
        whole, rebound = [], set()
        for stmt in stmts:
            whole += [
                _whole(n)
                for n in self.marks(stmt)
                if isinstance(n, gast.AugAssign)
                and isinstance(n.target, gast.Name)
                and n.target.id not in rebound
                and _in_place(self.env.get(n.target.id))
            ]
            if isinstance(stmt, (gast.Assign, gast.AnnAssign)):
                for t in stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]:
                    rebound.update(
                        n.id
                        for n in gast.walk(t)
                        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
                    )
        subscript.check_region_writes(self, list(stmts) + whole)
        return set(subscript.written_names(list(stmts) + whole, self.marks))

    def assign(self, target, value):
        if isinstance(target, gast.Name):
            if target.id in self.pending_returns:  # `_resultN = v` of a loop's `return`
                loop_returns.check_assigned(self, target.id, value)
            self.list_alias(target, value)
            if isinstance(value, Value):
                value = self.rename(value, self.desugar.display.get(target.id, target.id))
                self._stmt_bound.add(value)
            self.env[target.id] = value
            return value
        elif isinstance(target, (gast.Tuple, gast.List)):
            if (
                isinstance(value, Value)
                and value.type.kind in ("tuple", "list")
                and value.type.items is not None
            ):
                value = [self.b.getitem(value, index=i) for i in range(len(value.type.items))]
            if not isinstance(value, (tuple, list)):
                self.unsupported(
                    target,
                    "cannot unpack this value into several names",
                    "unpack only tuples, lists and the list `s2sgrad.gradients` returns",
                )
            if len(value) != len(target.elts):
                self.unsupported(
                    target,
                    f"cannot unpack {len(value)} values into {len(target.elts)} names",
                    "match the number of names",
                )
            self._check_unpacked_writes(target, value)
            value = type(value)(self.assign(t, v) for t, v in zip(target.elts, value))
            return value
        elif isinstance(target, gast.Subscript):
            return subscript.write(self, target, value)
        else:
            self.unsupported(
                target,
                f"assignment to {_describe(target)} is not supported yet",
                "assign to plain names; build arrays with np functions instead of "
                "writing into them",
            )

    def _check_unpacked_writes(self, target, values):
        """`a[0], a[1] = a[1], a[0]`: Python evaluates the right side first and then
        writes left to right, so a value that is a view of an array written by an
        earlier target (a row of a 2-D `a`) is read after that write. s2sgrad's
        values are taken before it: refused when a later value may share memory with
        an array an earlier target writes into."""
        pairs = []  # (target, value) leaves, in the order Python assigns them

        def flatten(t, v):
            if (
                isinstance(t, (gast.Tuple, gast.List))
                and isinstance(v, (tuple, list))
                and len(t.elts) == len(v)
            ):
                for t2, v2 in zip(t.elts, v):
                    flatten(t2, v2)
            else:
                pairs.append((t, v))

        flatten(target, values)
        for k, (leaf, _) in enumerate(pairs):
            writes = [
                n
                for n in walk(leaf)
                if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store)
            ]  # (a tuple target: each inside)
            for t in writes:
                base = t
                while isinstance(base, gast.Subscript):
                    base = base.value
                if isinstance(base, gast.Name) and base.id in self.env:
                    self._check_later_values(t, base.id, pairs[k + 1 :], k)

    def _check_later_values(self, t, name, later, k):
        """Refuse when a value of `later` ((target, value) pairs assigned after the
        write `t` into `name`) may share memory with name's array."""
        written = subscript._bases(self.b, subscript._chain(self.b, self.env[name])[0])
        for j, (target, value) in enumerate(later, start=k + 2):
            if any(
                isinstance(m, Value) and subscript._bases(self.b, m) & written
                for m in subscript._bound_values({0: value})
            ):
                self.unsupported(
                    t,
                    f"this assignment writes into {name!r} here, and a value it "
                    f"assigns after that ({_expr_text(self.p, target)} = item {j}) "
                    f"may be a view of {name!r}: Python reads that value after the "
                    "write, s2sgrad before it",
                    "copy the views on the right (`a[0], a[1] = a[1].copy(), "
                    "a[0].copy()`), or write one statement per target",
                )

    def rename(self, value, name):
        """Give a fresh op result the source variable's name as its hint (so the
        generated code says `h = ...`, not `_t3 = ...`). Values already bound
        or used elsewhere keep their hint."""
        op = self.b.defs.get(value)
        if op is None or value.hint == name or id(value) in self.module_arrays:
            return value  # (a module's array: read by its own name)
        builder, start = getattr(self, "_stmt_start", (None, 0))
        if builder is self.b:
            # made by this statement: nothing bound earlier holds it, and only this
            # statement's later ops may read it (a value made earlier keeps its hint);
            # only this statement's assignments can have bound it to a name
            ops = self.b.ops[start:]
            if (
                not any(o is op for o in ops)
                or any(value in o.operands for o in ops)
                or value in self._stmt_bound
            ):
                if value in self._stmt_literals and value.hint == CONST:  # a literal's op is
                    return self.b.emit("const", value=op.attr("value"), hint=name)  # shared
                return value
            return self.b.replace_result(value, name)
        if not any(o is op for o in self.b.ops) or self._referenced(value):
            return value
        return self.b.replace_result(value, name)

    def _referenced(self, value):
        def holds(x):
            if isinstance(x, (tuple, list)):
                return any(holds(y) for y in x)
            return x is value

        return any(holds(v) for v in self.env.values()) or any(
            value in o.operands for o in self.b.ops
        )


def _in_place(value):
    """`value += v` writes into value's memory: an array of rank > 0 (a np.float64 or
    a Python number is rebound)."""
    return (
        isinstance(value, Value)
        and value.type.kind == "array"
        and not value.type.weak
        and value.type.shape != ()
    )


def _whole(node):
    """The target `a[...]` of the AugAssign `a op= v`, placed where `a` is."""
    target = gast.Subscript(
        value=gast.Name(id=node.target.id, ctx=gast.Load(), annotation=None, type_comment=None),
        slice=gast.Constant(value=Ellipsis, kind=None),
        ctx=gast.Store(),
    )
    for n in gast.walk(target):
        gast.copy_location(n, node.target)
    return target
