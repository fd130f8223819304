"""Rewriting `break` and `continue` away, on the syntax tree, before lowering.

A loop with `break` becomes a loop on a flag (`for` over a range becomes a
`while`, so it stops as early as the source does); `continue` sets a flag
that guards the rest of the iteration. The IR then has only structured
loops and branches, whose reverse the transform knows:

    for i in range(n):                 i = 0
        if f(i):                       _break0 = False
            break             ──▶      while not _break0 and i < n:
        s = s + g(i)                       if f(i):
                                               _break0 = True
                                           if not _break0:
                                               s = s + g(i)
                                           i = i + 1
"""

import gast


class Desugar:
    def __init__(self, taken=()):
        self.count = 0
        self.names = set()
        self.taken = set(taken)  # the function's own names: never made up again
        self.display = {}  # a made-up name -> the hint its values print under
        # (a `for` loop's counter reads as the loop's own name)

    def fresh(self, kind):
        name = f"_{kind}{self.count}"
        while name in self.taken:
            self.count += 1
            name = f"_{kind}{self.count}"
        self.count += 1
        self.names.add(name)
        return name

    def made(self, name):
        """True for a name this desugaring made up (never the user's)."""
        return name in self.names

    def loop(self, node, lowerer):
        """Statements equivalent to loop `node` without break/continue, or None
        when it has neither."""
        has_break = _jumps(node.body, gast.Break)
        has_continue = _jumps(node.body, gast.Continue)
        if not has_break and not has_continue:
            return None
        brk = self.fresh("break") if has_break else None
        cnt = self.fresh("continue") if has_continue else None
        body = self.guard(list(node.body), brk, cnt, node)
        pre = []
        if cnt:
            body = [_assign(cnt, _const(False), node)] + body
        if brk:
            pre.append(_assign(brk, _const(False), node))
        if isinstance(node, gast.For):
            if not brk:
                return pre + [
                    _loc(
                        gast.For(
                            target=node.target,
                            iter=node.iter,
                            body=body,
                            orelse=[],
                            type_comment=None,
                        ),
                        node,
                    )
                ]
            # a counter of its own: the loop's name takes its value at the top of each
            # iteration, so after the loop it is the index `break` left at (or the last),
            # and what it was before when the loop runs no time, as in Python
            start, stop, step = _range_args(node, lowerer)
            i = self.fresh("i")
            self.display[i] = node.target.id
            pre.append(_assign(i, start, node))
            if _static_int(stop) is None:  # range() reads its bounds once, before the loop
                bound = self.fresh("stop")
                pre.append(_assign(bound, stop, node))
                stop = _name(bound, node)
            cmp = gast.Gt() if _negative(step) else gast.Lt()
            test = _and(
                _not(_name(brk, node), node),
                _loc(gast.Compare(left=_name(i, node), ops=[cmp], comparators=[stop]), node),
                node,
            )
            inc = _assign(
                i, _loc(gast.BinOp(left=_name(i, node), op=gast.Add(), right=step), node), node
            )
            bind = _assign(node.target.id, _name(i, node), node)
            return pre + [_loc(gast.While(test=test, body=[bind] + body + [inc], orelse=[]), node)]
        test = node.test
        if brk:
            always = isinstance(test, gast.Constant) and test.value is True  # `while True:`
            test = (
                _not(_name(brk, node), node)
                if always
                else _and(_not(_name(brk, node), node), test, node)
            )
        return pre + [_loc(gast.While(test=test, body=body, orelse=[]), node)]

    def iteration(self, node, lowerer):
        """`for v in xs`, `for i, v in enumerate(xs)`, `for a, b in zip(xs, ys)`, `for v
        in reversed(xs)` over arrays, as a loop over an index reading xs[i] (statements to
        lower instead)."""
        it, target, pre = node.iter, node.target, []
        augmented = {id(n.target) for n in gast.walk(node) if isinstance(n, gast.AugAssign)}
        rebound = {
            n.id
            for n in gast.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store) and id(n) not in augmented
        }

        def bound(expr):
            """A name for the sequence, evaluated once before the loop (Python iterates
            over the array the name held then, even if the body rebinds the name);
            `reversed(xs)` inside zip() or enumerate() is the view xs[::-1]."""
            if (
                expr is not it
                and builtin(expr, "reversed")
                and len(expr.args) == 1
                and not builtin(expr.args[0], "range")
            ):
                backwards = _loc(
                    gast.Slice(
                        lower=None, upper=None, step=_loc(gast.Constant(value=-1, kind=None), expr)
                    ),
                    expr,
                )
                expr = _loc(
                    gast.Subscript(value=expr.args[0], slice=backwards, ctx=gast.Load()), expr
                )
                expr.reversed_call = True  # (its errors name reversed(): lists.list_item)
            if isinstance(expr, gast.Name) and expr.id not in rebound:
                return expr.id
            name = self.fresh("seq")
            pre.append(_assign(name, expr, expr))
            return name

        def builtin(expr, name):
            return (
                isinstance(expr, gast.Call)
                and isinstance(expr.func, gast.Name)
                and expr.func.id == name
                and lowerer.p.resolver.lookup(name) is None
                and not expr.keywords
            )

        def call_of(name):
            return builtin(it, name)

        def zipped(call, target):
            """The sequences of zip(xs, ys, ...) and the targets their items bind."""
            if not (isinstance(target, gast.Tuple) and len(target.elts) == len(call.args)):
                lowerer.unsupported(
                    target, "unpack zip() into one name per sequence", "for a, b in zip(xs, ys):"
                )
            return [bound(a) for a in call.args], list(target.elts)

        index = None
        if call_of("enumerate") and len(it.args) == 1:  # (a start: Loops.enumerate_from)
            if not (
                isinstance(target, gast.Tuple)
                and len(target.elts) == 2
                and isinstance(target.elts[0], gast.Name)
            ):
                lowerer.unsupported(
                    target,
                    "unpack enumerate() as `for i, v in enumerate(xs):`",
                    "name the index and the item",
                )
            inner = it.args[0]
            if builtin(inner, "zip") and inner.args:  # for i, (a, b) in enumerate(zip(xs, ys))
                seqs, targets = zipped(inner, target.elts[1])
            else:
                seqs, targets = [bound(inner)], [target.elts[1]]
            index = target.elts[0].id
        elif call_of("zip") and len(it.args) >= 1:
            seqs, targets = zipped(it, target)
        elif call_of("reversed") and len(it.args) == 1:  # (last item first)
            seqs = [bound(it.args[0])]
            targets = [target]
        else:
            seqs = [bound(it)]
            targets = [target]
        index = index or self.fresh("i")
        length = _call("len", [_name(seqs[0], node)], node)
        for seq in seqs[1:]:
            length = _call("min", [length, _call("len", [_name(seq, node)], node)], node)
        reads = [
            _loc(
                gast.Assign(
                    targets=[t],
                    value=_loc(
                        gast.Subscript(
                            value=_name(seq, node), slice=_name(index, node), ctx=gast.Load()
                        ),
                        node,
                    ),
                    type_comment=None,
                ),
                node,
            )
            for t, seq in zip(targets, seqs)
        ]
        indices = _call("range", [length], node)
        if call_of("reversed"):
            indices = _call("reversed", [indices], node)
        loop = _loc(
            gast.For(
                target=_name(index, node, store=True),
                iter=indices,
                body=reads + list(node.body),
                orelse=list(node.orelse),
                type_comment=None,
            ),
            node,
        )
        return pre + [loop]

    def guard(self, stmts, brk, cnt, loop):
        """The statements with break/continue turned into flag assignments and
        what follows a possible jump guarded by the flags."""
        out = []
        for k, stmt in enumerate(stmts):
            if isinstance(stmt, gast.Break):
                out.append(_assign(brk, _const(True), stmt))
                return out
            if isinstance(stmt, gast.Continue):
                out.append(_assign(cnt, _const(True), stmt))
                return out
            if isinstance(stmt, gast.If) and (
                _jumps([stmt], gast.Break) or _jumps([stmt], gast.Continue)
            ):
                new = _loc(
                    gast.If(
                        test=stmt.test,
                        body=self.guard(list(stmt.body), brk, cnt, loop),
                        orelse=self.guard(list(stmt.orelse), brk, cnt, loop),
                    ),
                    stmt,
                )
                out.append(new)
                rest = self.guard(stmts[k + 1 :], brk, cnt, loop)
                if rest:
                    flags = []
                    if _jumps([stmt], gast.Break):
                        flags.append(brk)
                    if _jumps([stmt], gast.Continue):
                        flags.append(cnt)
                    for flag in reversed(flags):
                        rest = [
                            _loc(
                                gast.If(test=_not(_name(flag, stmt), stmt), body=rest, orelse=[]),
                                stmt,
                            )
                        ]
                    out += rest
                return out
            out.append(stmt)
        return out


def _jumps(stmts, kind):
    """True when a `kind` (Break/Continue) in `stmts` belongs to the enclosing loop."""
    for stmt in stmts:
        if isinstance(stmt, kind):
            return True
        if isinstance(stmt, gast.If) and (_jumps(stmt.body, kind) or _jumps(stmt.orelse, kind)):
            return True
        if isinstance(stmt, (gast.With, gast.Try)):
            return True
    return False


def _range_args(node, lowerer):
    args = list(node.iter.args)
    if len(args) == 1:
        args = [_const(0, node)] + args
    if len(args) == 2:
        args = args + [_const(1, node)]
    step = args[2]
    value = _static_int(step)
    if value is None:
        lowerer.unsupported(
            step,
            "`break` in a loop over range() with a runtime step is not supported",
            "use a constant step, or a while loop",
        )
    if value == 0:
        lowerer.unsupported(
            step,
            "range() arg 3 must not be zero (Python raises ValueError)",
            "use a step of 1 or more, or -1 or less",
        )
    return args


def _static_int(node):
    """The value of an integer literal (`3`, `-1`, `-(-1)`, `+2`), else None."""
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        inner = _static_int(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, gast.USub) else inner
    return None


def _negative(step):
    return _static_int(step) < 0


def _loc(new, old):
    return gast.copy_location(new, old)


def _name(id_, at, store=False):
    return _loc(
        gast.Name(
            id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None, type_comment=None
        ),
        at,
    )


def _const(value, at=None):
    node = gast.Constant(value=value, kind=None)
    return _loc(node, at) if at is not None else node


def _assign(name, value, at):
    if not hasattr(value, "lineno"):
        _loc(value, at)
    return _loc(
        gast.Assign(targets=[_name(name, at, store=True)], value=value, type_comment=None), at
    )


def _call(func, args, at):
    return _loc(gast.Call(func=_name(func, at), args=args, keywords=[]), at)


def _not(operand, at):
    return _loc(gast.UnaryOp(op=gast.Not(), operand=operand), at)


def _and(a, b, at):
    return _loc(gast.BoolOp(op=gast.And(), values=[a, b]), at)


class UfuncOut(gast.NodeTransformer):
    """The statement `np.f(t, out=t)` (a float ufunc of one operand writing into it, as
    generated modules write it for a dying temporary) as `t[...] = np.f(t)`, and the
    assignment `r = np.f(a, b, out=v)` as `v[...] = np.f(a, b); r = v`: a write into the
    out array, which every stage already knows. Idempotent (the parsed tree is shared)."""

    changed = False

    def visit_Expr(self, node):
        out = _out_keyword(node.value)
        return node if out is None else self._write(node, node.value, out)

    def visit_Assign(self, node):
        """`r = np.f(a, b, out=v)` (a result written into a dead array, as generated
        modules write it: f a float ufunc of one operand, or np.add, np.subtract,
        np.multiply, np.divide) as `v[...] = np.f(a, b); r = v`."""
        target = node.targets[0] if len(node.targets) == 1 else None
        out = _out_keyword(node.value, assigned=True) if isinstance(target, gast.Name) else None
        if out is None:
            return node
        write = self._write(node, node.value, out)
        write.ufunc_result = target.id  # (named in an error: `r = np.f(a, b)`)
        alias = gast.Assign(
            targets=node.targets,
            value=gast.Name(id=out, ctx=gast.Load(), annotation=None, type_comment=None),
            type_comment=None,
        )
        gast.copy_location(alias, node)
        gast.copy_location(alias.value, node)
        return [write, alias]

    def _write(self, node, call, out):
        """`out[...] = np.f(...)` of the call, at node's place."""
        self.changed = True
        value = gast.Call(func=call.func, args=call.args, keywords=[])
        target = gast.Subscript(
            value=gast.Name(id=out, ctx=gast.Load(), annotation=None, type_comment=None),
            slice=gast.Constant(value=Ellipsis, kind=None),
            ctx=gast.Store(),
        )
        assign = gast.Assign(targets=[target], value=value, type_comment=None)
        assign.ufunc_out = out  # (the lowering checks t is a float array: out= refuses
        for n in (value, target, target.value, target.slice, assign):  # to cast, `=` not)
            gast.copy_location(n, node)
        return assign


def _out_keyword(call, assigned=False):
    """t for a statement `np.f(t, out=t)`, f a float ufunc of one operand (what generated
    modules write for a ufunc into a dying temporary); `assigned`, v for the value of
    `r = np.f(a, out=v)` (f such a ufunc) or `r = np.f(a, b, out=v)` (np.add, np.subtract,
    np.multiply, np.divide), any a and b. None for anything else."""
    from ..out_of_ssa import UFUNCS, UNARY_OUT

    if (
        not isinstance(call, gast.Call)
        or not isinstance(call.func, gast.Attribute)
        or not isinstance(call.func.value, gast.Name)
        or call.func.value.id != "np"
        or len(call.keywords) != 1
        or call.keywords[0].arg != "out"
        or not isinstance(call.keywords[0].value, gast.Name)
    ):
        return None
    name, args, out = call.func.attr, call.args, call.keywords[0].value.id
    if assigned:
        arity = 1 if name in UNARY_OUT else 2 if f"np.{name}" in UFUNCS.values() else -1
        return out if len(args) == arity else None
    same = len(args) == 1 and isinstance(args[0], gast.Name) and args[0].id == out
    return out if name in UNARY_OUT and same else None


_MATH_RAISES = ("OverflowError", "ValueError", "ZeroDivisionError")  # (codegen's
# NumPy twins: math's errors, and a gradient's division of Python floats at 0)


def math_twin_body(node):
    """A generated module's def whose Python floats use math (codegen.function_lines):

        def f(x, y):
            \"\"\"...\"\"\"
            try:
                BODY
            except (OverflowError, ValueError):
                pass
            return _f_numpy(x, y)

    read as its docstring and BODY (the twin computes the same values with NumPy's
    functions, where math or a division of Python floats raises): the function's statements in place, or unchanged
    when the def is not of this shape word for word."""
    body = node.body
    doc = (
        body[:1]
        if body
        and isinstance(body[0], gast.Expr)
        and isinstance(body[0].value, gast.Constant)
        and isinstance(body[0].value.value, str)
        else []
    )
    rest = body[len(doc) :]
    if len(rest) != 2 or not isinstance(rest[0], gast.Try) or not isinstance(rest[1], gast.Return):
        return
    tried, ret = rest
    if tried.orelse or tried.finalbody or len(tried.handlers) != 1:
        return
    handler = tried.handlers[0]
    caught = handler.type.elts if isinstance(handler.type, gast.Tuple) else [handler.type]
    if (
        handler.name is not None
        or len(handler.body) != 1
        or not isinstance(handler.body[0], gast.Pass)
        or not caught
        or not all(isinstance(e, gast.Name) and e.id in _MATH_RAISES for e in caught)
    ):
        return
    call = ret.value
    params = [a.id for a in node.args.args]
    if (
        not isinstance(call, gast.Call)
        or not isinstance(call.func, gast.Name)
        or call.func.id != f"_{node.name}_numpy"
        or call.keywords
        or [getattr(a, "id", None) for a in call.args] != params
        or not all(isinstance(a, gast.Name) for a in call.args)
    ):
        return
    node.body = doc + tried.body
