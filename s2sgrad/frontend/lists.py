"""Lists built with `.append` and comprehensions, for the lowerer (_Lowerer in lower.py).

`out = []` then `out.append(v)` (in a loop, in branches) makes `out` a `dynlist` value:
`list_new(*items)` and the functional `append(L, v)`, which out_of_ssa.py writes as
`out.append(v)` in place when nothing reads the old list afterwards. What reads it:
`np.stack(out)` / `np.array(out)` (`list_stack`, `list_array`), a NumPy function taking
an array (`np.sum(out)` is `np.sum(np.array(out))`), `np.concatenate(out)`, the builtin
`sum(out)` (0 when empty, as Python), `len(out)`, `out[i]` and `for v in out` (a loop
over an index). The items of one list have one shape (NumPy's stack needs it, and the
list's adjoint is the array adjoint of `np.array(out)`: rules/lists.py, which refuses the
gradient of sum(out), out[i] and np.concatenate(out) when s2sgrad cannot know that shape).

A list comprehension or generator expression is lowered as that loop: `[f(v) for v in
xs if c]` is `_l = []; for _v in xs: if c: _l.append(f(_v))`, its variables renamed so
that none leaks, as in Python 3. A generator expression is taken by the builtin `sum`
only (NumPy turns one into an object array, or, for np.sum, deprecates it).

Refused, located: another name for a list that is appended to (`b = out`: Python's `b`
would see the appends), a list passed to a function or returned, items of provably
different shapes, the other list methods, a loop over a list that appends to it, and
(subscript.py) a write into an array a list may hold (`out.append(y); y[0] = v`).
"""

import copy

import gast

from ..ir import types as T
from ..ir.core import TEMP, Value
from .shared import _flatten, _reject_list_method
from .subscript import _holds_any


class _Lists:
    """The lists built with append, and comprehensions, of _Lowerer (lower.py)."""

    # -- append -------------------------------------------------------------------------

    def list_append(self, call):
        """`out.append(v)`: out becomes append(out, v)."""
        name = call.func.value.id
        cur = self.env[name]
        if call.keywords or len(call.args) != 1:
            self.unsupported(call, "list.append() takes one argument", "out.append(v)")
        if not (isinstance(cur, list) or isinstance(cur, Value) and cur.type.kind == "dynlist"):
            _reject_list_method(self, call)
        cur = self.as_dynlist(name, call)
        v = self.to_value(self.expr(call.args[0]), call.args[0])
        if v.type.kind != "array":
            what = "a list" if v.type.kind == "dynlist" else f"a {v.type.kind}"
            self.unsupported(
                call.args[0],
                f"an item appended to a list must be an array or a number here (this is {what})",
                "append arrays or numbers: np.stack an inner list first "
                "(`[np.stack([...]) for ...]`), one list per item of a tuple",
            )
        self.check_item(T.list_item(cur.type) if cur.type.items else None, v, call.args[0])
        self.env[name] = self.b.append(cur, v, hint=name)

    def check_item(self, item, v, node):
        """v may join a list whose items are of type `item` (None: no item yet): not of
        a shape provably different from theirs."""
        if item is not None and (
            item.shape is not None
            and v.type.shape is not None
            and T.shapes_differ(item.shape, v.type.shape)
        ):
            self.unsupported(
                node,
                f"the items of a list built with append have one shape here "
                f"(the list holds {item}; this item is {v.type})",
                "append items of one shape (np.stack needs it; a list of another "
                "shape is another list)",
            )

    def as_dynlist(self, name, node):
        """The list `name` holds as a dynlist value (a list display becomes list_new of its
        items); refused when another name holds the same list."""
        cur = self.env[name]
        for other, val in self.env.items():
            if other != name and (
                _holds_any(val, [cur]) if isinstance(cur, Value) else _same_list(val, cur)
            ):
                self.unsupported(
                    node,
                    f"{other!r} is another name for the list {name!r}, and "
                    f"Python's {other!r} would see this append; s2sgrad's lists are "
                    "values",
                    f"build the list under one name (use {name!r} "
                    f"itself), or take an array after the appends: "
                    f"`{other} = np.stack({name})`",
                )
        if isinstance(cur, list):
            self.env[name] = cur = self.as_dynlist_value(cur, node, name)
        return cur

    def list_alias(self, target, value):
        """`b = out` (or `t = (out, x)`), out a list built with append: refused, as Python's
        `b` would see later appends (and s2sgrad's lists are values)."""
        for v in _flatten(value)[1]:
            if not (isinstance(v, Value) and v.type.kind == "dynlist"):
                continue
            for other, val in self.env.items():
                if other != target.id and _holds_any(val, [v]) and not self.desugar.made(other):
                    self.unsupported(
                        target,
                        f"{target.id!r} would be another name for the list "
                        f"{other!r}, which sees every later append in Python; "
                        "s2sgrad's lists built with append have one name",
                        f"use {other!r} itself, or take an array: "
                        f"`{target.id} = np.stack({other})`",
                    )

    def lists_before_region(self, stmts, iterated=None):
        """Before a loop or a branch: the lists its statements append to become dynlist
        values (the loop carries them, the branches join them). A loop over a list may
        not append to it (Python's loop would go on over the new items)."""
        appended = appended_names(self, stmts)
        for n in gast.walk(iterated) if iterated is not None else ():
            if isinstance(n, gast.Name) and n.id in appended:
                self.unsupported(
                    appended[n.id],
                    f"this loop iterates over the list {n.id!r} "
                    "and appends to it: Python's loop would go on over the items "
                    "appended",
                    f"loop over an index fixed before the loop "
                    f"(`for i in range(len({n.id})):`), or append to another list",
                )
        for name, call in appended.items():
            if name in self.env and (
                isinstance(self.env[name], list)
                or isinstance(self.env[name], Value)
                and self.env[name].type.kind == "dynlist"
            ):
                self.as_dynlist(name, call)

    # -- reading one ---------------------------------------------------------------------

    def list_length(self, seq):
        return self.b.list_len(seq, hint=TEMP)

    def list_item(self, node, seq, idx):
        """`out[i]`, i an int (a constant, or known at run time)."""
        if (
            isinstance(idx, Value)
            and idx.type.kind == "array"
            and idx.type.shape == ()
            and idx.type.is_integer
            and idx.type.dtype != "bool"
        ):
            return self.b.list_get(seq, idx, self.list_length(seq), hint=TEMP)
        if getattr(node, "reversed_call", False):
            self.unsupported(
                node,
                "reversed() of a list built with append is supported alone as a for loop's "
                "iterable (`for v in reversed(out):`), not inside zip() or enumerate()",
                "index it: `for k in range(len(out)): v = out[len(out) - 1 - k]`",
            )
        self.unsupported(
            node,
            "a list built with append is indexed by one int here",
            "out[i] or out[-1]; for slices, np.array(out)[a:b]",
        )

    def list_joined(self, name, seq, axis, node):
        """np.stack(out), np.concatenate(out) (axis 0), np.vstack/np.hstack refused."""
        if name == "stack":
            return self.b.list_stack(seq, **({"axis": axis} if axis else {}))
        if name == "concatenate" and axis == 0:
            if not T.list_item(seq.type).shape:
                self.unsupported(
                    node,
                    "np.concatenate of a list of numbers (0-d items) is an error in NumPy",
                    "np.array(out)",
                )
            return self.b.list_concat(seq, self.list_length(seq))
        self.unsupported(
            node,
            f"np.{name} of a list built with append is supported as "
            "np.stack(out, axis) and np.concatenate(out) (axis 0)",
            "np.stack(out, axis=...) or np.concatenate(out)",
        )

    # -- comprehensions ------------------------------------------------------------------

    def expr_ListComp(self, node):
        return self.comprehension(node)

    def expr_GeneratorExp(self, node):
        self.unsupported(
            node,
            "a generator expression is supported inside sum(...) only "
            "(NumPy makes an object array of one, and np.sum of one is "
            "deprecated)",
            "a list comprehension: np.sum([...]), np.array([...]), or sum(... for ...)",
        )

    def comprehension(self, node):
        """The comprehension's list: its loops and filters lowered as statements here."""
        for gen in node.generators:
            if getattr(gen, "is_async", 0):
                self.unsupported(node, "an async comprehension is not supported", "a for loop")
        renames = {}
        result = self.desugar.fresh("list")
        loops = []
        for gen in node.generators:
            it = _renamed(gen.iter, renames)  # (an iterable sees the earlier targets only)
            target = copy.deepcopy(gen.target)
            for n in gast.walk(target):
                if isinstance(n, gast.Name):
                    renames[n.id] = self.desugar.fresh(n.id)
            target = _renamed(target, renames)
            loops.append((target, it, [_renamed(c, renames) for c in gen.ifs], gen))
        elt = _renamed(node.elt, renames)
        body = [
            _at(
                gast.Expr(
                    value=_at(
                        gast.Call(
                            func=_at(
                                gast.Attribute(
                                    value=_name(result, node), attr="append", ctx=gast.Load()
                                ),
                                node,
                            ),
                            args=[elt],
                            keywords=[],
                        ),
                        node,
                    )
                ),
                node.elt,
            )
        ]
        for target, it, ifs, gen in reversed(loops):
            for c in reversed(ifs):
                body = [_at(gast.If(test=c, body=body, orelse=[]), c)]
            body = [
                _at(
                    gast.For(target=target, iter=it, body=body, orelse=[], type_comment=None),
                    gen.iter,
                )
            ]
        start = _at(
            gast.Assign(
                targets=[_name(result, node, store=True)],
                value=_at(gast.List(elts=[], ctx=gast.Load()), node),
                type_comment=None,
            ),
            node,
        )
        saved = (self.b.loc, self._stmt_start, self._stmt_bound, self._stmt_literals)
        before = set(self.env)
        self.block([start] + body)
        self.b.loc, self._stmt_start, self._stmt_bound, self._stmt_literals = saved
        seq = self.env[result]
        for n in set(self.env) - before:  # the comprehension's own names end here
            del self.env[n]
        if isinstance(seq, list):  # (no run-time loop: a list display)
            seq = self.as_dynlist_value(seq, node)
        return seq

    def as_dynlist_value(self, items, node, hint=TEMP):
        """A list display's items as list_new(*items)."""
        values = [self.to_value(x, node) for x in items]
        for x in values:
            if x.type.kind != "array":
                self.unsupported(
                    node,
                    f"an item of a list that is appended to must be an "
                    f"array or a number here (this is a {x.type.kind})",
                    "append arrays or numbers",
                )
            self.check_item(values[0].type, x, node)
        return self.b.list_new(*values, hint=hint)

    def generator_sum(self, gen, node):
        """`sum(f(v) for v in xs)`: the builtin sum of the comprehension's list."""
        comp = gast.copy_location(gast.ListComp(elt=gen.elt, generators=gen.generators), gen)
        return self.comprehension(comp)


def appended_names(lw, stmts):
    """{name: its first `.append(...)` call} of the statements (nested ones too)."""
    out = {}
    for stmt in stmts:
        for n in lw.marks(stmt):
            if isinstance(n, gast.Expr) and is_append(n.value):
                out.setdefault(n.value.func.value.id, n.value)
    return out


def is_append(call):
    return (
        isinstance(call, gast.Call)
        and isinstance(call.func, gast.Attribute)
        and call.func.attr == "append"
        and isinstance(call.func.value, gast.Name)
        and not call.func.value.id.startswith("_tape")
    )  # (a generated module's tape)


def _same_list(val, cur):
    if val is cur:
        return True
    if type(val) is dict:
        val = list(val.values())
    if isinstance(val, (tuple, list)):
        return any(_same_list(x, cur) for x in val)
    return False


def _name(id_, like, store=False):
    return _at(
        gast.Name(
            id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None, type_comment=None
        ),
        like,
    )


def _at(new, like):
    for n in gast.walk(new):
        if not hasattr(n, "lineno") or getattr(n, "lineno", None) is None:
            gast.copy_location(n, like)
    return new


class _Rename(gast.NodeTransformer):
    def __init__(self, renames):
        self.renames = renames

    def visit_Name(self, node):
        if node.id in self.renames:
            node.id = self.renames[node.id]
        return node


def _renamed(node, renames):
    return _Rename(dict(renames)).visit(copy.deepcopy(node))
