"""Branches, for the lowerer (_Lowerer in lower.py): `if` statements (resolved
when the condition is static, an `if` op on a runtime one; with a `return` in
them, the rest of the block in the branch that does not return), `a if c else b`,
and the `if` op a choice between two lazily lowered expressions makes.
"""

from ..ir import types as T
from ..ir.core import TEMP, Region, Value
from . import loop_returns
from .loop_returns import Pending
from .shared import _MISSING, MaybeUnbound, Static, _assigned_names, _flatten, _rebuild


class _Branches:
    """The branches of _Lowerer (lower.py): `if` and `a if c else b`."""

    def stmt_If(self, node, first):
        test = self.expr(node.test)
        static = self.static_of(test)
        if static is not _MISSING:  # resolved at transform time (a specialisation constant)
            taken, other = (node.body, node.orelse) if static else (node.orelse, node.body)
            self.block(taken)
            for n in _assigned_names(self, other):  # (a read of one: in words, name())
                if n not in self.env:
                    self.static_unbound.setdefault(n, self.p.loc(node))
            return
        cond = self.condition(test, node.test)
        self.lists_before_region(node.body + node.orelse)
        self.check_region_writes(node.body)
        self.check_region_writes(node.orelse)
        before = dict(self.env)
        then_ops, then_env, _ = self.lower_region(lambda: self.block(node.body))
        else_ops, else_env, _ = self.lower_region(lambda: self.block(node.orelse))
        names = [
            n
            for n in _assigned_names(self, node.body + node.orelse)
            if n in then_env
            and n in else_env
            and (then_env[n] is not before.get(n) or else_env[n] is not before.get(n))
        ]
        one_sided = []  # (names one branch binds, nothing before: flagged, as after a loop)
        for n in _assigned_names(self, node.body + node.orelse):
            if n not in names and (n not in then_env or n not in else_env):
                side = then_env[n] if n in then_env else else_env.get(n)
                if isinstance(side, MaybeUnbound):  # (an inner `if`'s, a loop's: flagged)
                    side = side.value
                if n not in before and isinstance(side, Value) and _placeable(self, side.type):
                    one_sided.append(n)
                    continue
                self.env.pop(n, None)
                if n in then_env or n in else_env or n not in self.static_unbound:
                    self.maybe_undefined[n] = self.p.loc(node)  # (else unbound on every
                    # path, which a read says in words: name())
        self.b.loc = self.p.loc(node)
        then_vals, else_vals, hints, templates = [], [], [], []
        for n in one_sided:  # its value, a zero of its type where it is unbound, and a flag
            side = then_env[n] if n in then_env else else_env[n]
            if isinstance(side, MaybeUnbound):  # (bound there only if its flag says so)
                tpl, bound = side, [side.value, side.ran]
            else:
                tpl, bound = MaybeUnbound(None, None, n, node, "branch"), [side, self.b.const(True)]
            if n in then_env:
                else_ops, zero = self._placeholder(else_ops, bound[0].type, node, n)
                then_vals += bound
                else_vals += [zero, self.b.const(False)]
            else:
                then_ops, zero = self._placeholder(then_ops, bound[0].type, node, n)
                then_vals += [zero, self.b.const(False)]
                else_vals += bound
            hints += [n, f"{n}_bound"]
            templates.append(tpl)
        names = one_sided + names
        for n in names[len(one_sided) :]:  # a tuple in a variable is merged element by element
            unbound = [v for v in (then_env[n], else_env[n]) if isinstance(v, MaybeUnbound)]
            if unbound:  # (a name that may be unbound: its value and whether it is bound)
                u = unbound[0]
                for v in unbound:
                    if isinstance(v.value, (Pending, tuple, list, dict)):
                        self.unbound_refusal(v, node)
                templates.append(u)
                for side, leaves in ((then_env[n], then_vals), (else_env[n], else_vals)):
                    bound = isinstance(side, MaybeUnbound)
                    leaves += [side.value, side.ran] if bound else [side, self.b.const(True)]
                hints += [n, f"{n}_bound"]
                continue
            t_tpl, t_leaves = _flatten(then_env[n])
            e_tpl, e_leaves = _flatten(else_env[n])
            if t_tpl != e_tpl:
                t_tpl, t_leaves, e_leaves = None, [then_env[n]], [else_env[n]]
            templates.append(t_tpl)
            then_vals += t_leaves
            else_vals += e_leaves
            hints += [n] if len(t_leaves) == 1 else [f"{n}_{k}" for k in range(len(t_leaves))]
        results = iter(self.emit_if(cond, node, then_ops, then_vals, else_ops, else_vals, hints))
        for n, tpl in zip(names, templates):
            if isinstance(tpl, MaybeUnbound):
                value, ran = next(results), next(results)
                self.env[n] = MaybeUnbound(value, ran, n, tpl.loop, tpl.kind, self.region_depth)
            else:
                self.env[n] = _rebuild(tpl, results)
            self.maybe_undefined.pop(n, None)

    def _placeholder(self, ops, t, node, name):
        """(ops, a zero of type t appended to them): the value of a name in the branch
        that does not bind it, never read (its flag is False there: a read raises)."""
        saved, self.b = self.b, self.b.child()
        self.b.ops = list(ops)
        try:
            zero = loop_returns.materialise(self, t, node, name)
            return self.b.ops, zero
        finally:
            self.b = saved

    def if_returning(self, node, rest):
        """`if` on a runtime value with a `return` in it: the statements after it
        run in the branch that does not return, and the op yields the result."""
        cond = self.condition(self.expr(node.test), node.test)
        then_ops, _, then_ret = self.lower_region(lambda: self.block(list(node.body) + list(rest)))
        else_ops, _, else_ret = self.lower_region(
            lambda: self.block(list(node.orelse) + list(rest))
        )
        if hasattr(node, "s2s_loop_return"):  # `if _returnedN: return _resultN`
            loop_returns.check_agree(self, node, then_ret, else_ret)
        self.b.loc = self.p.loc(node)
        template, then_vals = _flatten(then_ret)  # tuples of one structure: item by item
        else_template, else_vals = _flatten(else_ret)  # (`return value, aux` in both)
        if template != else_template or not then_vals:
            template, then_vals, else_vals = None, [then_ret], [else_ret]
        outs = self.emit_if(
            cond, node, then_ops, then_vals, else_ops, else_vals, [TEMP] * len(then_vals)
        )
        return _rebuild(template, iter(outs))

    def emit_if(self, cond, node, then_ops, then_vals, else_ops, else_vals, names):
        then_b, else_b = self.b.child(), self.b.child()
        then_b.ops, else_b.ops = list(then_ops), list(else_ops)
        ty, ey = [], []
        for n, tv, ev in zip(names, then_vals, else_vals):
            tv = self._region_value(then_b, tv, node, n)
            ev = self._region_value(else_b, ev, node, n)
            ty.append(tv)
            ey.append(ev)
        types_ = [T.join(a.type, b.type) for a, b in zip(ty, ey)]
        regions = (
            Region((), tuple(then_b.ops), tuple(ty)),
            Region((), tuple(else_b.ops), tuple(ey)),
        )
        return self.b.region_op("if", [cond], regions, types_, names)

    def _region_value(self, b, v, node, name):
        if v is None:
            v = Static(None)
        if isinstance(v, Value):
            return v
        saved, self.b = self.b, b
        try:
            return self.to_value(v, node)
        finally:
            self.b = saved

    def condition(self, test, node):
        if isinstance(test, Value) and test.type.kind == "array" and test.type.rank in (0, None):
            return test
        self.unsupported(
            node,
            "this condition is not a scalar value",
            "branch on a scalar (e.g. `np.sum(x) > 0`); for elementwise choices use "
            "np.where(cond, a, b)",
        )

    def expr_IfExp(self, node):
        test = self.expr(node.test)
        s = self.static_of(test)
        if s is not _MISSING:
            return self.expr(node.body if s else node.orelse)
        cond = self.condition(test, node.test)
        return self.choice(cond, node, lambda: self.expr(node.body), lambda: self.expr(node.orelse))

    def choice(self, cond, node, then_fn, else_fn):
        """An `if` op choosing between two lazily lowered expressions."""
        box = {}

        def run(key, fn):
            def body():
                box[key] = fn()

            return body

        then_ops, _, _ = self.lower_region(run("then", then_fn))
        else_ops, _, _ = self.lower_region(run("else", else_fn))
        self.b.loc = self.p.loc(node)
        template, then_vals = _flatten(box["then"])  # tuples of one structure: item by item,
        else_template, else_vals = _flatten(box["else"])  # as an `if` statement merges them
        if template != else_template or not then_vals:
            template, then_vals, else_vals = None, [box["then"]], [box["else"]]
        outs = self.emit_if(
            cond, node, then_ops, then_vals, else_ops, else_vals, [TEMP] * len(then_vals)
        )
        return _rebuild(template, iter(outs))


def _placeable(lw, t):
    """A zero of type t can be made (loop_returns.materialise): an array of a known
    dtype and rank whose every axis is a number or one of a parameter's."""
    if t.kind != "array" or t.dtype is None or t.shape is None:
        return False
    dims = {d for p in lw.params if p.type.kind == "array" and p.type.shape for d in p.type.shape}
    return all(isinstance(d, int) or (d is not None and d in dims) for d in t.shape)
