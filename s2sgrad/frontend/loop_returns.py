"""`return` inside a loop, for the lowerer (_Lowerer in lower.py), as Python runs it:

    for i in range(n):                      _returned0 = False      (and _result1: the
        if f(i):                            for i in range(n):        value, its first one
            return g(i)          ──▶            if f(i):              made by the loop)
        s = s + h(i)                                _result1 = g(i)
    return s                                        _returned0 = True
                                                    break
                                                s = s + h(i)
                                            if _returned0:
                                                return _result1
                                            return s

A `return` in a nested loop breaks out of each loop (`if _returned0: break` after the
inner one). `break` is then desugar.py's, and the `if` after the loop the early-return
`if` of branches.py. The returned value is carried by the loops with no value before
them: its type is the one the loop gives it (types.BOTTOM until then), and it starts
as a zero of that type (never read: `_returned0` is False until it is set).
"""

import gast
import numpy as np

from ..ir import types as T
from ..ir.core import Value
from .shared import _flatten


class Pending:
    """The value a loop's `return` carries, before the loop gives it one (a leaf of
    the structure `return a, b` writes), or a name the loop assigns first (`name`)."""

    type = T.BOTTOM

    def __init__(self, ret, name=None):
        self.ret = ret  # the first `return` statement, or the loop (for errors)
        self.name = name


def returns_in(node):
    """True when `node` (a loop) holds a `return` of the function."""
    return any(isinstance(n, gast.Return) for n in gast.walk(node))


def lower_returning_loop(lw, loop, rest):
    """Lower `loop` (holding a `return`) and the statements after it, `rest`."""
    rets = [n for n in gast.walk(loop) if isinstance(n, gast.Return)]
    rets.sort(key=lambda n: (n.lineno, n.col_offset))
    flag, result = lw.desugar.fresh("returned"), lw.desugar.fresh("result")
    lw.pending_returns[result] = [rets[0], False]  # (its first return; one lowered?)
    lw.env[flag] = lw.b.const(False)
    lw.env[result] = _structure(rets[0].value, rets[0])
    new = _loc(_with_body(loop, _rewrite(list(loop.body), flag, result)), loop)
    lw.stmt(new)
    if not lw.pending_returns.pop(result)[1]:  # no `return` was lowered (each one under
        lw.env.pop(flag, None)  # a condition false at transform time)
        lw.env.pop(result, None)
        lw.block(rest)
        return
    if (
        isinstance(loop, gast.While)
        and isinstance(loop.test, gast.Constant)
        and loop.test.value is True
        and not _breaks(loop.body)
    ):
        # `while True:` left only by a `return`: nothing after it runs
        lw.block([_loc(gast.Return(value=_name(result, loop)), loop)])
        return
    test = _name(flag, loop)
    after = _loc(
        gast.If(test=test, body=[_loc(gast.Return(value=_name(result, loop)), loop)], orelse=[]),
        loop,
    )
    after.s2s_loop_return = rets[0]
    lw.block([after] + list(rest))


def check_assigned(lw, name, value):
    """The hook of `_resultN = <the returned value>` (assignments.py): the value has the
    structure of the loop's first `return` (`return a, b`: a pair), of array values."""
    ret = lw.pending_returns[name][0]
    lw.pending_returns[name][1] = True
    template, leaves = _flatten(value)
    expected = _flatten(lw.env[name])[0]
    if template != expected and expected is None:
        lw.unsupported(
            ret,
            "this `return` inside a loop returns a tuple or list that is not "
            "written out (a call's result, a name holding one), which s2sgrad "
            "cannot carry out of the loop",
            "write the tuple out: `return a, b`",
        )
    if template != expected:
        lw.unsupported(
            ret,
            "the `return` statements inside this loop return values of "
            "different structures (a tuple of another length, a tuple and a "
            "single value), which s2sgrad carries out of the loop as one",
            "return values of one structure from a loop",
        )
    for leaf in leaves:
        if not isinstance(leaf, Value) and not (hasattr(leaf, "value") and leaf.value is None):
            lw.unsupported(
                ret,
                "this `return` inside a loop returns a value s2sgrad cannot "
                "carry out of the loop (a string, a dtype, a function)",
                "return arrays and numbers from a loop",
            )
        if isinstance(leaf, Value) and leaf.type.kind in ("tuple", "list"):
            lw.unsupported(
                ret,
                "this `return` inside a loop returns a tuple that is not "
                "written out (a helper's result, a name holding one)",
                "write the tuple out: `return a, b`",
            )


def check_agree(lw, node, then_ret, else_ret):
    """The value returned inside the loop and the function's own return (after the
    loop) must agree in kind, structure and rank, as one result of the function."""
    ret = node.s2s_loop_return
    ta, tb = _types(lw, then_ret), _types(lw, else_ret)
    ok = (
        ta[0] == tb[0]
        and len(ta[1]) == len(tb[1])
        and all(
            a.kind == b.kind
            and (
                a.kind != "array"
                or (a.rank == b.rank or None in (a.rank, b.rank))
                and T.join(a, b).dtype is not None
            )
            for a, b in zip(ta[1], tb[1])
        )
    )
    if not ok:
        lw.unsupported(
            ret,
            f"this `return` inside a loop returns {_show(ta)}, and the function "
            f"returns {_show(tb)} when the loop ends without returning: s2sgrad "
            "needs one kind of result (of one structure, rank and dtype)",
            "return values of the same kind and shape from both places",
        )


def materialise(lw, t, node, name=None):
    """A zero of type t (the first value of a loop's `_resultN`, or of a name the loop
    assigns first: `name`), made before the loop."""
    b = lw.b
    if t.kind == "none":
        return b.const(None)
    what, hint = (
        (
            "a `return` inside this loop returns",
            "set a variable and `break`, then return after the loop",
        )
        if name is None
        else (
            f"{name!r}, first assigned in this loop and read after it, is",
            f"assign {name!r} before the loop",
        )
    )
    if t.kind != "array" or t.dtype is None or t.shape is None:
        lw.unsupported(
            node, f"{what} a value of a type s2sgrad cannot make before the loop ({t})", hint
        )
    zero = {"b": False, "i": 0, "u": 0}.get(np.dtype(t.dtype).kind, 0.0)
    if t.shape == ():
        if t.weak is False and t.dtype not in ("float64", "int64", "bool"):
            return b.const(np.dtype(t.dtype).type(zero))  # np.float32(0.0): a float32
        return b.const(zero)
    dims = []
    for d in t.shape:
        if isinstance(d, int):
            dims.append(b.const(d))
            continue
        hit = next(
            (
                (p, k)
                for p in lw.params
                if p.type.kind == "array" and p.type.shape
                for k, e in enumerate(p.type.shape)
                if e == d and d is not None
            ),
            None,
        )
        if hit is None:
            lw.unsupported(
                node, f"{what} an array whose shape s2sgrad cannot make before the loop ({t})", hint
            )
        dims.append(b.getitem(b.shape(hit[0]), index=hit[1]))
    return b.emit("zeros", b.tuple(*dims), dtype=t.dtype)


def _types(lw, v):
    if isinstance(v, (tuple, list)):
        parts = [_types(lw, x) for x in v]
        return (("tuple", tuple(p[0] for p in parts)), tuple(t for p in parts for t in p[1]))
    if isinstance(v, Value):
        return (None, (v.type,))
    return (None, (T.NONE,))


def _show(types_):
    return (
        ", ".join(str(t) for t in types_[1])
        if types_[0] is None
        else f"a tuple ({', '.join(str(t) for t in types_[1])})"
    )


def _structure(value, ret):
    """Pending leaves in the structure of the returned expression `value` (a tuple display
    is a tuple of them; anything else one leaf)."""
    if isinstance(value, gast.Tuple):
        return tuple(_structure(e, ret) for e in value.elts)
    return Pending(ret)


def _rewrite(stmts, flag, result):
    """The statements with each `return v` as `result = v; flag = True; break`, and
    `if flag: break` after each inner loop holding one."""
    out = []
    for st in stmts:
        if isinstance(st, gast.Return):
            value = (
                st.value if st.value is not None else _loc(gast.Constant(value=None, kind=None), st)
            )
            out += [
                _assign(result, value, st),
                _assign(flag, _loc(gast.Constant(value=True, kind=None), st), st),
                _loc(gast.Break(), st),
            ]
            break  # (what follows a return in its block never runs)
        if isinstance(st, gast.If) and returns_in(st):
            out.append(
                _loc(
                    gast.If(
                        test=st.test,
                        body=_rewrite(list(st.body), flag, result),
                        orelse=_rewrite(list(st.orelse), flag, result),
                    ),
                    st,
                )
            )
        elif isinstance(st, (gast.For, gast.While)) and returns_in(st):
            out.append(_loc(_with_body(st, _rewrite(list(st.body), flag, result)), st))
            out.append(
                _loc(gast.If(test=_name(flag, st), body=[_loc(gast.Break(), st)], orelse=[]), st)
            )
        else:
            out.append(st)
    return out


def _breaks(stmts):
    """True when a `break` in stmts belongs to the loop whose body they are."""
    for st in stmts:
        if isinstance(st, gast.Break):
            return True
        if isinstance(st, gast.If) and (_breaks(st.body) or _breaks(st.orelse)):
            return True
    return False


def _with_body(loop, body):
    if isinstance(loop, gast.For):
        return gast.For(
            target=loop.target, iter=loop.iter, body=body, orelse=loop.orelse, type_comment=None
        )
    return gast.While(test=loop.test, body=body, orelse=loop.orelse)


def _loc(new, old):
    return gast.copy_location(new, old)


def _name(id_, at, store=False):
    return _loc(
        gast.Name(
            id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None, type_comment=None
        ),
        at,
    )


def _assign(name, value, at):
    return _loc(
        gast.Assign(targets=[_name(name, at, store=True)], value=value, type_comment=None), at
    )
