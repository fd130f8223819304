"""Loops, for the lowerer (_Lowerer in lower.py): `for` over range() (a `for`
op), over a tuple of values (unrolled) or over sequences (desugared into a loop
over an index), `while` (a `while` op), the fixpoint of the carried values'
types, and lowering a body into a fresh region (loops and branches alike).
"""

import gast

from ..errors import S2SGradError
from ..ir import types as T
from ..ir.core import Region, Value
from . import subscript
from .assignments import _in_place
from .desugar import _assign as desugar_assign
from .desugar import _jumps as desugar_jumps
from .desugar import _name as desugar_name
from .desugar import _static_int as desugar_static_int
from .loop_returns import Pending, materialise
from .shared import (
    MaybeUnbound,
    Static,
    _assigned_names,
    _flatten,
    _names,
    _rebuild,
    _Return,
    _scan,
)


class _Loops:
    """The loops of _Lowerer (lower.py), and lower_region, which branches use too."""

    def lower_region(self, body, args=(), origins=()):
        """Lower `body()` into a fresh region: (ops, env after, returned value or None).
        `args` are (name, Value) pairs bound at the region's start; `origins`, (region
        argument, its initial value) pairs of a loop (the array an argument may be)."""
        saved_b, saved_env, saved_undef = self.b, self.env, self.maybe_undefined
        self.b = saved_b.child()
        self.b.origins.update(origins)
        self.region_depth += 1
        self.env = dict(saved_env)
        self.maybe_undefined = dict(saved_undef)
        for name, v in args:
            self.env[name] = v
            for leaf in _flatten(v.value if isinstance(v, MaybeUnbound) else v)[1]:
                self.b.note_shape(leaf)
        returned = None
        try:
            body()
        except _Return as r:
            returned = r.value if r.value is not None else Static(None)
        finally:
            ops, env = self.b.ops, self.env
            self.b, self.env, self.maybe_undefined = saved_b, saved_env, saved_undef
            self.region_depth -= 1
        return ops, env, returned

    def stmt_For(self, node, first):
        if node.orelse:  # (before any desugaring, which would drop it)
            self.block(self.without_else(node))
            return
        node = self.checkpointed_loop(node)
        node = self.enumerate_from(node)
        self.lists_before_region(node.body, iterated=node.iter)
        it = _reversed_range(self, node.iter)
        if it is not node.iter:  # (a new For: the parsed tree is shared by every signature)
            node = _with_iter(node, it)
        is_range = (
            isinstance(it, gast.Call)
            and isinstance(it.func, gast.Name)
            and it.func.id == "range"
            and self.p.resolver.lookup("range") is None
            and not it.keywords
            and 1 <= len(it.args) <= 3
        )
        index = self.index_after_loop(node, it) if is_range else None
        firsts = self.assigned_in_loop(node, it) if is_range else ()
        # (whether this loop runs: its bounds as they are before it, as Python reads them
        # once; the body may rebind the names they were read from. Not the index's `ran`,
        # which an earlier loop binding the same index joins)
        runs = self.range_runs(it) if firsts else None
        for name in firsts:  # (carried from a value never read: the loop gives its type)
            self.env[name] = Pending(node, name)
        if is_range:
            self.unbound_in_loop(node, firsts)
        self.range_loop(node, it, is_range)
        if index is not None and self.static_of(index[1]) is not True:
            name, ran = index
            self.env[name] = MaybeUnbound(self.env[name], ran, name, node, depth=self.region_depth)
        self.bind_firsts(firsts, runs, node)

    def unbound_in_loop(self, node, firsts):
        """The other names with no value before loop `node` that its body assigns (in a
        nested loop or a branch, or not first in a trip) and that the function may read
        after the loop, or the body before it binds them in a trip (_may_read_after,
        _scan): each may be unbound there, so the loop carries it with a flag, whether it
        is bound (`_Carried`), and each read checks that flag at run time, as Python
        raises UnboundLocalError there."""
        target = node.target if isinstance(node, gast.For) else None
        for name in _assigned_names(self, node.body):
            if (
                name not in firsts
                and name not in self.env
                and name not in self.maybe_undefined
                and (  # (read where the trip that bound it may be an earlier one, or none;
                    # the index a trip binds is no earlier trip's)
                    _may_read_after(self, name, node)
                    or not (target is not None and _names(target, name))
                    and _scan(node.body, name) == "read"
                )
            ):
                self.env[name] = MaybeUnbound(
                    Pending(node, name),
                    self.b.const(False),
                    name,
                    node,
                    "assigned",
                    self.region_depth,
                )

    def bind_firsts(self, firsts, runs, node):
        """After loop `node`: each name it assigns first (`assigned_in_loop`) is bound if
        the loop ran (`runs`; None: it always runs)."""
        for name in firsts:
            if isinstance(self.env.get(name), Pending):  # (unrolled, and ran no time)
                del self.env[name]
                continue
            if runs is not None and self.static_of(runs) is not True:  # (a loop that
                # runs, by its constant bounds, binds the name: no check)
                self.env[name] = MaybeUnbound(
                    self.env[name], runs, name, node, "assigned", self.region_depth
                )

    def checkpointed_loop(self, node):
        """`for t in s2sgrad.checkpointed(range(...)):` is the loop over the range, marked
        (`self.checkpointed`, the range() call's node, which a desugaring of `continue`
        keeps) for its `for` op to carry `checkpoint='sqrt'` (reverse.py)."""
        it = node.iter
        if not (isinstance(it, gast.Call) and _is_checkpointed(self, it.func)):
            return node
        inner = it.args[0] if len(it.args) == 1 and not it.keywords else None
        if not (
            isinstance(inner, gast.Call)
            and isinstance(inner.func, gast.Name)
            and inner.func.id == "range"
            and self.p.resolver.lookup("range") is None
            and not inner.keywords
            and 1 <= len(inner.args) <= 3
        ):
            self.unsupported(
                it,
                "s2sgrad.checkpointed takes one range(...) (the steps of a "
                "loop whose reverse sweep recomputes them from checkpoints)",
                "for t in s2sgrad.checkpointed(range(T)):",
            )
        if desugar_jumps(node.body, gast.Break) or any(
            isinstance(n, gast.Return) for st in node.body for n in gast.walk(st)
        ):
            self.unsupported(
                node,
                "a checkpointed loop cannot `break` or `return` (its "
                "checkpoints are taken every so many steps of a range() it runs "
                "to the end)",
                "drop s2sgrad.checkpointed(...) for this loop "
                "(its reverse sweep then tapes every step), or run the loop to "
                "its end and keep the result wanted in a variable",
            )
        self.checkpointed.add(inner)
        return _with_iter(node, inner)

    def without_else(self, node):
        """`for ...: body else: rest` (or `while`) as Python runs it: `_else0 = True`, the
        loop with `_else0 = False` before each of its own `break`s, then `if _else0:
        rest`. (A `return` inside is a flag and a `break` by then, loop_returns.py's, so
        the clause does not run after it either.)"""
        flag = self.desugar.fresh("else")

        def at(n, like):
            return gast.copy_location(n, like)

        def setting(value, like):
            return desugar_assign(flag, at(gast.Constant(value=value, kind=None), like), like)

        def marked(stmts):  # (the loop's own breaks: not those of loops inside it)
            out = []
            for st in stmts:
                if isinstance(st, gast.Break):
                    out += [setting(False, st), st]
                elif isinstance(st, (gast.For, gast.While)):
                    out.append(st)
                elif isinstance(st, gast.If):
                    out.append(
                        at(
                            gast.If(test=st.test, body=marked(st.body), orelse=marked(st.orelse)),
                            st,
                        )
                    )
                else:
                    out.append(st)
            return out

        fields = {f: getattr(node, f) for f in node._fields}
        fields.update(body=marked(node.body), orelse=[])
        loop = at(type(node)(**fields), node)
        after = at(
            gast.If(test=desugar_name(flag, node), body=list(node.orelse), orelse=[]),
            node.orelse[0],
        )
        return [setting(True, node), loop, after]

    def enumerate_from(self, node):
        """`for i, v in enumerate(xs, s)` (or `start=s`) as `for k, v in enumerate(xs):`
        whose body starts with `i = k + s` (s evaluated once, before the loop, as Python
        does); other loops as they are."""
        it = node.iter
        if not (
            isinstance(it, gast.Call)
            and isinstance(it.func, gast.Name)
            and it.func.id == "enumerate"
            and self.p.resolver.lookup("enumerate") is None
            and (
                len(it.args) == 2
                and not it.keywords
                or len(it.args) == 1
                and [k.arg for k in it.keywords] == ["start"]
            )
            and isinstance(node.target, gast.Tuple)
            and len(node.target.elts) == 2
            and isinstance(node.target.elts[0], gast.Name)
        ):
            return node
        start = it.args[1] if len(it.args) == 2 else it.keywords[0].value
        if not isinstance(start, gast.Constant):
            name = self.desugar.fresh("start")
            self.stmt(desugar_assign(name, start, start))
            start = desugar_name(name, start)
        k = self.desugar.fresh("k")
        first = desugar_assign(
            node.target.elts[0].id,
            gast.copy_location(
                gast.BinOp(left=desugar_name(k, node), op=gast.Add(), right=start), node
            ),
            node,
        )
        target = gast.copy_location(
            gast.Tuple(
                elts=[desugar_name(k, node, store=True), node.target.elts[1]], ctx=gast.Store()
            ),
            node.target,
        )
        plain = gast.copy_location(gast.Call(func=it.func, args=[it.args[0]], keywords=[]), it)
        return gast.copy_location(
            gast.For(
                target=target,
                iter=plain,
                body=[first] + list(node.body),
                orelse=node.orelse,
                type_comment=None,
            ),
            node,
        )

    def index_after_loop(self, node, it):
        """(name, whether the loop runs) for the index of a range() loop that has no value
        before the loop and is read after it (or already may be unbound), or None. The
        index is then carried by the loop from a placeholder, and a read after the loop
        checks at run time that the loop ran (Python's UnboundLocalError otherwise)."""
        if not isinstance(node.target, gast.Name):
            return None
        name = node.target.id
        if name in _assigned_names(self, node.body):  # (the body rebinds it: not an index
            return None  # after the loop; a read there is refused if it may be unbound)
        old = self.env.get(name)
        if isinstance(old, MaybeUnbound):  # (a loop before bound it, or not)
            self.env[name] = old.value
        elif old is not None or not _read_after(self, name, node):
            return None
        else:
            self.env[name] = self.b.const(0)
        args = list(it.args)
        start, stop = (args[0], args[1]) if len(args) > 1 else (None, args[0])
        step = desugar_static_int(args[2]) if len(args) == 3 else 1
        if step is None:
            self.unsupported(
                node.target,
                f"the index {name!r} of a loop over range() with a "
                "run-time step is read after the loop, where it may be unbound",
                f"assign {name!r} before the loop (`{name} = 0`)",
            )
        ran = self.range_runs(it)
        if isinstance(old, MaybeUnbound):
            ran = self.b.emit("logical_or", old.ran, ran)
        return name, ran

    def range_runs(self, it):
        """Whether the loop over range() call `it` (of a step known at transform time)
        runs at least once: start < stop (start > stop for a negative step)."""
        args = list(it.args)
        start, stop = (args[0], args[1]) if len(args) > 1 else (None, args[0])
        step = desugar_static_int(args[2]) if len(args) == 3 else 1
        lo = self.to_value(self.expr(start), start) if start is not None else self.b.const(0)
        hi = self.to_value(self.expr(stop), stop)
        return self.b.emit("lt" if step > 0 else "gt", lo, hi)

    def assigned_in_loop(self, node, it):
        """The names with no value before loop `node` (over range() call `it`) that it
        assigns and that are read after it, where each trip assigns the name before
        anything reads it: a statement `name = ...` at the top level of the body (or a
        tuple target naming it) whose value does not read it, with nothing before it
        that names it or leaves the trip (break, continue, return). Such a name is carried
        by the loop from a value never read, and a read after the loop checks that the
        loop ran (Python's UnboundLocalError otherwise), as for the loop's index."""
        if it is not None and len(it.args) == 3 and desugar_static_int(it.args[2]) is None:
            return ()  # (a run-time step: whether it runs is not start < stop)
        # (a while loop's test reads its names before any trip: they are not the body's)
        head = node.target if it is not None else node.test
        target = {n.id for n in gast.walk(head) if isinstance(n, gast.Name)}
        found, named, left = [], set(), False
        for stmt in node.body:
            if isinstance(stmt, gast.Assign) and not left:
                reads = {n.id for n in gast.walk(stmt.value) if isinstance(n, gast.Name)}
                display = isinstance(
                    stmt.value, (gast.Tuple, gast.List, gast.Dict, gast.ListComp, gast.DictComp)
                )  # (a tuple or list held in one name is carried item by item, from values
                # before the loop: `y = (a, b)` first in the body is refused as before)
                for t in stmt.targets:
                    if display and not isinstance(t, (gast.Tuple, gast.List)):
                        continue
                    leaves = t.elts if isinstance(t, (gast.Tuple, gast.List)) else [t]
                    found += [
                        e.id
                        for e in leaves
                        if isinstance(e, gast.Name) and e.id not in named | reads | target
                    ]
            for n in gast.walk(stmt):
                if isinstance(n, gast.Name):
                    named.add(n.id)
                left = left or isinstance(n, (gast.Break, gast.Continue, gast.Return))
        return tuple(
            dict.fromkeys(
                n
                for n in found
                if n not in self.env
                and n not in self.maybe_undefined
                and _may_read_after(self, n, node)
            )
        )

    def read_index(self, v, node):
        """A read of a loop's index that may be unbound (MaybeUnbound): its value, checked."""
        if self.static_of(v.ran) is True:
            return v.value
        return self.b.emit("loop_index", v.value, v.ran, name=v.name)

    def range_loop(self, node, it, is_range):
        if not is_range:  # first a loop over an index (break/continue are its own then)
            backwards = _builtin_call(self, it, "reversed") and len(it.args) == 1
            if not (
                isinstance(it, gast.Call)
                and isinstance(it.func, gast.Name)
                and it.func.id in ("zip", "enumerate")
            ):
                seq = self.expr(it.args[0] if backwards else it)
                if type(seq) is dict:  # a dict's keys (a pytree): unrolled
                    seq = [Static(k) for k in seq]
                if (
                    isinstance(seq, Value)
                    and seq.type.kind in ("tuple", "list")
                    and seq.type.items is not None
                ):  # (a helper's tuple argument)
                    seq = [self.b.getitem(seq, index=i) for i in range(len(seq.type.items))]
                if isinstance(seq, (tuple, list)):  # a tuple of values: unrolled
                    return self.unrolled(node, seq[::-1] if backwards else seq)
            else:
                items = self.static_zip(it)
                if items is not None:  # zip/enumerate of pytree lists: unrolled
                    return self.unrolled(node, items)
            before = set(self.env)
            self.block(self.desugar.iteration(node, self))
            for n in set(self.env) - before:  # the desugaring's own names
                if self.desugar.made(n):  # (`_seq0 = xs`, `_i0`) end here
                    del self.env[n]
            return
        plain = self.desugar.loop(node, self)
        if plain is not None:
            self.block(plain)
            return
        if not isinstance(node.target, gast.Name):
            self.unsupported(node.target, "a range() loop binds one name", "for i in range(n):")
        bounds = [self.to_value(self.expr(a), a) for a in it.args]
        if self.indexes_pytree(node):  # `layers[i]` of a list of layers: unrolled
            static = [self.static_of(bnd) for bnd in bounds]
            if any(not isinstance(x, int) or isinstance(x, bool) for x in static):
                self.unsupported(
                    node,
                    "a loop indexing a list of values (a pytree) with its "
                    "index needs bounds known at transform time",
                    "loop over the list itself (for layer in layers:) or over range(len(layers))",
                )
            return self.unrolled(node, [self.b.const(i) for i in range(*static)])
        for bnd, a in zip(bounds, it.args):
            if bnd.type.kind != "array" or not bnd.type.is_integer:
                self.unsupported(
                    a,
                    f"range() bounds must be integers; this one is {bnd.type} "
                    "(a loop over a value that may be a number or an array, such "
                    "as an accumulator started at 0.0 that became an array, has "
                    "no length s2sgrad knows)",
                    "use int values (x.shape[0], len(x), a Python int argument); "
                    "start an array accumulator as an array (np.zeros_like(x))",
                )
            if bnd.type.dtype not in (None, "int64", "int32", "bool") and not bnd.type.weak:
                self.unsupported(
                    a,
                    f"range() bounds of dtype {bnd.type.dtype} are not supported: the "
                    "arithmetic s2sgrad does on a loop's bounds (reversed(range(n)) is "
                    "range(n - 1, -1, -1), checkpoints every sqrt(n - a) steps) would wrap "
                    "around in a NumPy integer this narrow or unsigned, where Python's ints "
                    "do not",
                    "pass an int (int(n)) or an np.int64",
                )
        if len(bounds) == 1:
            bounds = [self.b.const(0)] + bounds
        if len(bounds) == 2:
            bounds = bounds + [self.b.const(1)]
        _check_loop_body(self, node.body)
        written = self.check_region_writes(node.body)
        # the index is carried too when a name holds it before the loop: after the loop it
        # is the last iteration's (Python's), and that name's value when the loop runs no time
        index_name = node.target.id
        names = [n for n in _assigned_names(self, node.body) if n in self.env and n != index_name]
        if index_name in self.env:
            names.append(index_name)
        carried = _Carried(self, names, node)
        i_val = Value(node.target.id, T.PY_INT)

        args, ops, env, ys = self.loop_fixpoint(
            carried, lambda ts: self.loop_body(node, carried, ts, [(node.target.id, i_val)]), node
        )
        subscript.carried_aliases(
            self,
            node,
            carried.hints,
            args,
            ops,
            ys,
            written | _augmented_arrays(self, node.body, carried, args),
        )
        self.b.loc = self.p.loc(node)
        body = Region((i_val,) + tuple(args), tuple(ops), tuple(ys))
        marked = {"checkpoint": "sqrt"} if it in self.checkpointed else {}
        results = self.b.region_op(
            "for", bounds + carried.inits, [body], [a.type for a in args], carried.hints, **marked
        )
        self.env.update(carried.rebuild(results))

    def loop_body(self, node, carried, arg_types, extra=()):
        """(the body's arguments, its ops, the environment after it) of a loop carrying
        `carried` with the given types (`extra`: the index of a `for`, bound too)."""
        args = [Value(h, t) for h, t in zip(carried.hints, arg_types)]
        ops, env, ret = self.lower_region(
            lambda: self.block(node.body),
            carried.bind(args) + list(extra),
            zip(args, carried.inits),
        )
        if ret is not None:
            self.unsupported(
                node,
                "`return` inside a loop is not supported",
                "set a variable and `break`, then return after the loop",
            )
        return args, ops, env

    def unrolled(self, node, items):
        """`for w in (W1, W2):` over a tuple of values: the body once per item."""
        if node.orelse or any(
            isinstance(n, (gast.Break, gast.Continue)) for st in node.body for n in gast.walk(st)
        ):
            self.unsupported(
                node,
                "break, continue, return or else in a loop over a tuple of values",
                "loop over range(len(...)) instead",
            )
        for item in items:
            self.b.loc = self.p.loc(node)
            self.assign(node.target, item)
            self.block(node.body)

    def stmt_While(self, node, first):
        if node.orelse:
            self.block(self.without_else(node))
            return
        firsts = self.assigned_in_loop(node, None)
        runs = self.while_runs(node) if firsts else None
        if runs is False:
            firsts = ()
        for name in firsts:  # (as in stmt_For)
            self.env[name] = Pending(node, name)
        self.unbound_in_loop(node, firsts)
        self.while_loop(node)
        self.bind_firsts(firsts, runs, node)

    def while_runs(self, node):
        """Whether while loop `node` runs at least once: its test, read once more before
        the loop (None for `while True:`, which always runs), when reading it has no
        effect; else False (unknown)."""
        test = node.test
        if isinstance(test, gast.Constant) and test.value is True:
            return None
        if not _pure(self, test):
            return False
        return self.condition(self.expr(test), test)

    def while_loop(self, node):
        self.lists_before_region(node.body)
        plain = self.desugar.loop(node, self)
        if plain is not None:
            self.block(plain)
            return
        _check_loop_body(self, node.body)
        written = self.check_region_writes(node.body)
        carried = _Carried(
            self, [n for n in _assigned_names(self, node.body) if n in self.env], node
        )

        args, ops, env, ys = self.loop_fixpoint(
            carried, lambda ts: self.loop_body(node, carried, ts), node
        )
        subscript.carried_aliases(
            self,
            node,
            carried.hints,
            args,
            ops,
            ys,
            written | _augmented_arrays(self, node.body, carried, args),
        )
        cond_args = [Value(h, a.type) for h, a in zip(carried.hints, args)]
        holder = {}

        def lower_cond():
            holder["c"] = self.condition(self.expr(node.test), node.test)

        cond_ops, _, _ = self.lower_region(
            lower_cond, carried.bind(cond_args), zip(cond_args, carried.inits)
        )
        self.b.loc = self.p.loc(node)
        cond = Region(tuple(cond_args), tuple(cond_ops), (holder["c"],))
        body = Region(tuple(args), tuple(ops), tuple(ys))
        results = self.b.region_op(
            "while", carried.inits, [cond, body], [a.type for a in args], carried.hints
        )
        self.env.update(carried.rebuild(results))

    def loop_fixpoint(self, carried, lower_body, node):
        """Lower a loop body until the carried values' types are stable."""
        types_ = [v.type for v in carried.inits]
        for _ in range(4):
            try:
                args, ops, env = lower_body(types_)
            except S2SGradError:
                untyped = [
                    h
                    for h, t in zip(carried.hints, types_)
                    if t == T.BOTTOM and h in carried.unbound
                ]
                if not untyped:
                    raise
                name = untyped[0]  # (read before the binding that gives its type: as an
                self.unsupported(  # index, a bound, a test, which need it)
                    node,
                    f"{name!r} is read in this loop before its body binds it (the value of an "
                    "earlier trip), where s2sgrad needs a type only that later binding gives",
                    f"bind {name!r} before the loop (`{name} = 0`, or a value of its kind)",
                )
            saved, self.b = self.b, self.b.child()
            self.b.ops = list(ops)
            try:
                ys = carried.leaves(env)
                ops = self.b.ops
            finally:
                self.b = saved
            for t, y, hint in zip(types_, ys, carried.hints):
                if (t.kind == "none") != (y.type.kind == "none") and "bottom" not in (
                    t.kind,
                    y.type.kind,
                ):  # (their join would be a type s2sgrad knows nothing of)
                    self.unsupported(
                        node,
                        f"{hint!r} is None on some trips of this loop and a value on others: "
                        "s2sgrad needs a loop variable to hold one kind of value",
                        f"give {hint!r} its first value before the loop "
                        f"(`{hint} = np.zeros_like(x)`), or leave out `{hint} = None` when "
                        "the loop's body assigns it first on every trip",
                    )
            new = [T.join(t, y.type) for t, y in zip(types_, ys)]
            if new == types_ and T.BOTTOM in new:  # (a `return` not lowered: never set)
                new = [T.NONE if t == T.BOTTOM else t for t in new]
            if new == types_:
                carried.inits = [
                    materialise(self, t, node, v.name) if isinstance(v, Pending) else v
                    for v, t in zip(carried.inits, types_)
                ]
                return args, ops, env, ys
            types_ = new
        self.unsupported(
            node,
            "the types of the loop's variables do not settle",
            "give loop variables one dtype and rank before the loop",
        )


_PURE_BUILTINS = frozenset({"len", "abs", "float", "int", "min", "max", "round"})


def _pure(lw, test):
    """True when reading expression `test` has no effect (no draw, no call of a function
    of the user's), so it may be read once more: names, constants, operators, attributes,
    subscripts, and calls of the builtins above or of NumPy's functions (not np.random)."""
    for n in gast.walk(test):
        if isinstance(n, gast.Call):
            f = n.func
            m = lw.p.resolver.lookup(f.id) if isinstance(f, gast.Name) else None
            if isinstance(f, gast.Name):
                if not (
                    (m is None and f.id in _PURE_BUILTINS)
                    or (m is not None and m.kind == "member" and m.module in ("numpy", "math"))
                ):
                    return False
            elif not (
                isinstance(f, gast.Attribute)
                and isinstance(f.value, gast.Name)
                and f.attr != "random"
                and getattr(lw.p.resolver.lookup(f.value.id), "module", None) in ("numpy", "math")
                and lw.p.resolver.lookup(f.value.id).kind == "module"
            ):
                return False
        elif isinstance(n, (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await)):
            return False
    return True


def _may_read_after(lw, name, loop):
    """Whether the function may read `name` after `loop` ends before it surely binds it
    again: the statements after the loop, in its block and the blocks around it (and, in
    an enclosing loop, the statements before it, which its next trip runs), up to one that
    binds it on every path (_scan)."""
    chain = _blocks_around(lw, loop)
    if chain is None:
        return _first_use_after(lw, name, loop) == "load"
    for stmts, k, repeats in chain:
        after = _scan(stmts[k + 1 :], name)
        if after == "read":
            return True
        if after == "rebind":
            return False
        if repeats and _scan(stmts[:k], name) == "read":
            return True
    return False


def _blocks_around(lw, loop):
    """[(statements, index of the one holding `loop`, whether the block repeats)] from the
    block of `loop` (found by its position: a desugared loop keeps its source's) out to
    the function's body; None when no statement of the function is at that position."""
    at = (loop.lineno, loop.col_offset)

    def find(stmts, repeats):
        for k, st in enumerate(stmts):
            if (st.lineno, st.col_offset) == at and isinstance(st, (gast.For, gast.While)):
                return [(stmts, k, repeats)]
            for field, again in (("body", True), ("orelse", False), ("finalbody", False)):
                inner = getattr(st, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], gast.stmt):
                    found = find(inner, again and isinstance(st, (gast.For, gast.While)))
                    if found is not None:
                        return found + [(stmts, k, repeats)]
        return None

    return find(lw.p.node.body, False)


def _first_use_after(lw, name, loop):
    """What the function does first with `name` after `loop` ends, in its text: "load"
    (a read), "store" (a plain `name = ...`, which binds it after its value is computed,
    so it counts at the statement's end; a later `for name in ...`), or None."""
    uses = lw.__dict__.get("_uses")
    if uses is None:
        uses = lw._uses = {}
        for n in gast.walk(lw.p.node):
            if isinstance(n, gast.Assign):
                for t in n.targets:
                    for e in t.elts if isinstance(t, (gast.Tuple, gast.List)) else [t]:
                        if isinstance(e, gast.Name):
                            end = (n.end_lineno or n.lineno, n.end_col_offset or 0)
                            uses.setdefault(e.id, []).append((end, "store"))
            elif isinstance(n, gast.For):  # (a later loop over values binds its target)
                for e in gast.walk(n.target):
                    if isinstance(e, gast.Name):
                        uses.setdefault(e.id, []).append(((e.lineno, e.col_offset), "store"))
            elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                t = n.target  # (`y += v` reads y first)
                uses.setdefault(t.id, []).append(((t.lineno, t.col_offset), "load"))
            elif isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Store):
                uses.setdefault(n.id, []).append(((n.lineno, n.col_offset), "load"))
        for v in uses.values():
            v.sort()
    end = (getattr(loop, "end_lineno", None) or loop.lineno, getattr(loop, "end_col_offset", 0))
    return next((kind for pos, kind in uses.get(name, ()) if pos > end), None)


def _read_after(lw, name, loop):
    """True when the function reads `name` after `loop` ends (in its text; a read in the
    body of a later `for name in ...`, which binds it first, does not count)."""
    reads = lw.__dict__.get("_reads_after")
    if reads is None:
        reads = lw._reads_after = _last_reads(lw.p.node)
    end = (getattr(loop, "end_lineno", None) or loop.lineno, getattr(loop, "end_col_offset", 0))
    return reads.get(name, (0, 0)) > end


def _last_reads(fn_node):
    """{name: the position of its last read} in the function (reads in the body of a
    `for` binding that name left out)."""
    out = {}
    todo = [(fn_node, frozenset())]
    while todo:
        n, bound = todo.pop()
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id not in bound:
            pos = (n.lineno, n.col_offset)
            if pos > out.get(n.id, (0, 0)):
                out[n.id] = pos
        if isinstance(n, gast.For):
            inner = bound | {t.id for t in gast.walk(n.target) if isinstance(t, gast.Name)}
            todo.append((n.iter, bound))
            todo += [(x, inner) for x in n.body + n.orelse]
            continue
        todo += [(c, bound) for c in gast.iter_child_nodes(n)]
    return out


def _augmented_arrays(lw, stmts, carried=None, args=()):
    """Names `n` of arrays a region updates with `n op= v` (a write into n's memory):
    arrays as the region begins, and a loop's variables that may be arrays in a later
    iteration (`s = 0.0` before the loop, `s += x` in it: in place from the second)."""
    later = (
        {h for h, a in zip(carried.hints, args) if a.type.kind == "array" and not a.type.weak}
        if carried is not None
        else set()
    )
    return {
        n.target.id
        for stmt in stmts
        for n in lw.marks(stmt)
        if isinstance(n, gast.AugAssign)
        and isinstance(n.target, gast.Name)
        and (_in_place(lw.env.get(n.target.id)) or n.target.id in later)
    }


def _check_loop_body(lowerer, body):
    for stmt in body:
        for n in lowerer.marks(stmt):
            if isinstance(n, gast.Return):
                lowerer.unsupported(
                    n,
                    "`return` inside a loop is not supported",
                    "set a variable and `break`, then return after the loop",
                )


class _Carried:
    """The variables a loop carries, each as its leaf values: a variable holding
    a tuple (`state = (x, v)`) is carried element by element, so no adjoint
    ever has to be a tuple."""

    def __init__(self, lowerer, names, node):
        self.lowerer, self.node = lowerer, node
        self.names = names
        self.shapes = {}  # name -> structure template (None for a leaf)
        self.inits, self.hints = [], []
        self.unbound = {}  # name -> its MaybeUnbound as the loop begins (carried flagged)
        for n in names:
            v = lowerer.env[n]
            if isinstance(v, MaybeUnbound) and not isinstance(v.value, (tuple, list, dict)):
                # a name that may be unbound (assigned first in this loop, or a loop
                # before): carried as its value and whether it is bound (`n_bound`)
                self.unbound[n] = v
                self.shapes[n] = None
                value = v.value if isinstance(v.value, Pending) else lowerer.to_value(v.value, node)
                self.inits += [value, lowerer.to_value(v.ran, node)]
                self.hints += [n, f"{n}_bound"]
                continue
            template, leaves = _flatten(v)
            self.shapes[n] = template
            for k, leaf in enumerate(leaves):
                if isinstance(leaf, MaybeUnbound):
                    lowerer.unbound_refusal(leaf, node)
                if isinstance(leaf, Pending):  # (a `return` in the loop: made after)
                    self.inits.append(leaf)
                    self.hints.append(n if len(leaves) == 1 else f"{n}_{k}")
                    continue
                if isinstance(leaf, Static):
                    lowerer.unsupported(
                        node,
                        f"{n!r} holds a static value and changes in the loop",
                        "keep static values (dtypes, strings) out of loops",
                    )
                self.inits.append(lowerer.to_value(leaf, node))
                shown = lowerer.desugar.display.get(n, n)
                self.hints.append(shown if len(leaves) == 1 else f"{shown}_{k}")

    def bind(self, values, depth=None):
        """(name, value or structure) pairs for the loop's region arguments (`depth`: the
        region depth where a name that may be unbound is read, the body's by default)."""
        out, it = [], iter(values)
        depth = self.lowerer.region_depth + 1 if depth is None else depth
        for n in self.names:
            if n in self.unbound:
                u = self.unbound[n]
                value, ran = next(it), next(it)
                out.append((n, MaybeUnbound(value, ran, n, u.loop, u.kind, depth)))
                continue
            out.append((n, _rebuild(self.shapes[n], it)))
        return out

    def rebuild(self, values):
        return dict(self.bind(values, self.lowerer.region_depth))

    def leaves(self, env):
        out = []
        for n in self.names:
            if n in self.unbound:  # (bound by this trip, or as the trip began)
                v = env[n]
                if isinstance(v, MaybeUnbound):
                    out += [self.lowerer.to_value(v.value, self.node), v.ran]
                else:
                    out += [self.lowerer.to_value(v, self.node), self.lowerer.b.const(True)]
                continue
            template, leaves = _flatten(env[n])
            if template != self.shapes[n]:
                self.lowerer.unsupported(
                    self.node,
                    f"the loop changes what {n!r} holds (a tuple "
                    "of another length, or a tuple instead of an array)",
                    "keep each loop variable's structure the same",
                )
            out += [self.lowerer.to_value(leaf, self.node) for leaf in leaves]
        return out


def _builtin_call(lw, node, name):
    return (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Name)
        and node.func.id == name
        and lw.p.resolver.lookup(name) is None
        and name not in lw.env
        and not node.keywords
    )


def _reversed_range(lw, it):
    """`reversed(range(a, b))` as `range(b - 1, a - 1, -1)` (the same indices, last first;
    empty alike); with a step it is refused, with the range to write."""
    if not (
        _builtin_call(lw, it, "reversed")
        and len(it.args) == 1
        and _builtin_call(lw, it.args[0], "range")
        and 1 <= len(it.args[0].args) <= 3
    ):
        return it
    bounds = it.args[0].args
    if len(bounds) == 3:
        lw.unsupported(
            it,
            "reversed(range(a, b, step)) is not supported",
            "write the reversed range itself: range(b - 1, a - 1, -1) for step 1, "
            "or the last index, the one before the first and -step",
        )
    start = bounds[0] if len(bounds) == 2 else gast.Constant(value=0, kind=None)
    stop = bounds[-1]

    def minus_one(e):
        return gast.copy_location(
            gast.BinOp(left=e, op=gast.Sub(), right=gast.Constant(value=1, kind=None)), e
        )

    minus = gast.copy_location(
        gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=1, kind=None)), it
    )
    call = gast.Call(
        func=gast.Name(id="range", ctx=gast.Load(), annotation=None, type_comment=None),
        args=[minus_one(stop), minus_one(start), minus],
        keywords=[],
    )
    for n in gast.walk(call):
        if not hasattr(n, "lineno"):
            gast.copy_location(n, it)
    return gast.copy_location(call, it)


def _is_checkpointed(lowerer, func):
    """`func` names s2sgrad.checkpointed (`s2sgrad.checkpointed`, or the name imported)."""
    resolve = lowerer.p.resolver.lookup
    if (
        isinstance(func, gast.Attribute)
        and func.attr == "checkpointed"
        and isinstance(func.value, gast.Name)
        and func.value.id not in lowerer.env
    ):
        m = resolve(func.value.id)
        return m is not None and m.kind == "module" and m.module == "s2sgrad"
    if isinstance(func, gast.Name) and func.id not in lowerer.env:
        m = resolve(func.id)
        return (
            m is not None
            and m.kind == "member"
            and m.module == "s2sgrad"
            and m.name == "checkpointed"
        )
    return False


def _with_iter(node, it):
    """A copy of the For `node` iterating over `it` (the parsed tree is shared)."""
    return gast.copy_location(
        gast.For(
            target=node.target, iter=it, body=node.body, orelse=node.orelse, type_comment=None
        ),
        node,
    )
