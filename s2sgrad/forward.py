"""Forward mode: the tangent transform of a lowered function (issue 8).

`jvp_function(fn, wrt)` is `jvp_<f>(<f's parameters>, d_<x> for x in wrt)` returning
`(out, d_out)`: each op of `fn` in order, followed by the op(s) computing its result's
tangent from its operands' tangents by the op's tangent rule (rules/tangents.py).
A value whose tangent is zero has none (None): nothing is computed for it, and zeros
are materialised only where a value must exist, at a join (the branches of an `if`,
the carried values of a loop) or in a write. Loops carry their values' tangents
beside them (the carried set grows to a fixed point), branches yield them; forward
mode needs no tape. Ops with no tangent rule yet are a located error.
"""

from dataclasses import replace

from .errors import UnsupportedError
from .ir import types as T
from .ir.builder import Builder
from .ir.core import (
    ADJOINT_TEMP,
    TEMP,
    TEMP_HINTS,
    Op,
    Region,
    Value,
    free_name,
    make_attrs,
    source_params,
)
from .ir.opcodes import OPS, aliases, spelling
from .rules.tangents import TANGENTS, zeros_like


def jvp_module(fn, wrt):
    """fn's forward-mode function, with the forward-mode functions of the functions it
    calls (each once per set of parameters with a tangent) as its callees."""
    module = _Module(fn.callees, fn.name)
    module.rules_reversed = any(op.opcode == "extern_vjp" for op in fn.body.walk())
    out = jvp_function(fn, wrt, module)
    return replace(out, callees=tuple(module.functions.values()) + tuple(module.jvps.values()))


class _Module:
    """The callees of a function and the forward-mode version of each one called with
    tangents, named `jvp_<callee>` (or another free name)."""

    def __init__(self, callees, top):
        self.functions = {f.name: f for f in callees}
        self.jvps = {}  # (callee, its parameters with a tangent) -> Function
        self.taken = set(self.functions) | {top, "jvp_" + top}
        self.rules_reversed = False  # over a gradient module through a custom rule (hessian)

    def jvp(self, name, wrt):
        key = (name, wrt)
        if key not in self.jvps:
            callee = self.functions[name]
            fn = jvp_function(callee, wrt, self)
            self.jvps[key] = replace(fn, name=free_name(fn.name, self.taken))
        return self.jvps[key]


def jvp_function(fn, wrt, module=None):
    """The forward-mode function of `fn` (lowered, no `gradients` op) for the parameters
    named `wrt`: its extra parameters are their tangents, and it returns (out, d_out)."""
    module = module or _Module(fn.callees, fn.name)
    b = Builder(params=fn.params)  # (the ops' results are noted as they are appended: a value
    # of a nested region is no stand-in for a shape out here)
    dots, extra, entry = {}, [], []
    taken = set(fn.param_names) | {e[0] for e in fn.entry}
    for name, (treedef, leaves) in ((n, source_params(fn)[n]) for n in wrt):
        if treedef is not None:  # a pytree's tangent: a tree of its leaves' tangents
            for p in leaves:
                t = Value(_param_tangent_hint(p, taken), p.type)
                extra.append(t)
                if p.type.kind == "array" and not p.type.is_integer:
                    dots[p] = t
            entry.append((free_name("d_" + name, taken), treedef, len(leaves)))
            continue
        (p,) = leaves
        dots[p] = Value(_param_tangent_hint(p, taken), p.type)
        extra.append(dots[p])
        entry.append((dots[p].hint, None, 1))
    sweep = _Tangents(b, dots, module=module)
    sweep.block(fn.body.ops)
    out = fn.body.yields[0]
    b.loc = fn.body.ops[-1].loc if fn.body.ops else b.loc
    d_out = sweep.dots.get(out)
    if d_out is None:
        d_out = zeros_like(b, out) if out.type.kind == "array" else sweep.zero_tree(out)
    d_out = _own(b, d_out, set(extra))
    result = b.tuple(out, d_out)
    names = fn.param_names + tuple(d.hint for d in extra)
    return replace(
        fn,
        name="jvp_" + fn.name,
        params=fn.params + tuple(extra),
        exact=((0,),),
        param_names=names,
        body=Region((), tuple(b.ops), (result,)),
        entry=fn.entry + tuple(entry) if fn.entry else (),
        out_tree=("tuple", (fn.out_tree, fn.out_tree)) if fn.out_tree else None,
    )


def _own(b, t, given):
    """The output's tangent t, copied where it is a tangent the caller gave or a view of
    one (`f(x) = x[1:]`): the caller's arrays are not handed back to be written into."""
    made = b.defs.get(t)
    if made is not None and made.opcode in ("tuple", "list") and t.type.kind == made.opcode:
        items = [_own(b, v, given) for v in made.operands]
        return (
            t if all(a is c for a, c in zip(items, made.operands)) else b.emit(made.opcode, *items)
        )
    v, seen = t, set()
    while v not in seen and v not in given:
        seen.add(v)
        d = b.defs.get(v)
        if d is None or not d.operands or not aliases(d):
            return t
        v = d.operands[0]
    if v in given and t.type.kind == "array" and t.type.weak is False and t.type.shape != ():
        return b.copy(t, hint=t.hint)  # (a number, a NumPy scalar, is handed back as it is)
    return t


def _param_tangent_hint(p, taken):
    """The name of parameter p's tangent parameter: `d_x`, or `d_x_1` where a parameter
    (`def f(x, d_x)`) or another tangent has that name (a parameter list cannot repeat
    one)."""
    hint = tangent_hint(p)
    return hint if hint == ADJOINT_TEMP else free_name(hint, taken)


def tangent_hint(v):
    return ADJOINT_TEMP if v.hint in TEMP_HINTS or v.hint == ADJOINT_TEMP else f"d_{v.hint}"


def _has_tangent(v):
    t = v.type
    return t.kind in ("tuple", "list") or t.kind in ("array", "dynlist") and not t.is_integer


def _tangent_divisions(b, start):
    """Mark the divisions (and powers) a tangent rule wrote (b.ops[start:]) `tangent`: of Python
    floats, Python raises ZeroDivisionError at 0 where the function itself, on NumPy's
    values, gave inf or nan (the tangent `d / a` of np.log(a) at 0), and codegen's NumPy
    twin runs instead, as for a gradient's divisions (codegen._python_division)."""
    for k in range(start, len(b.ops)):
        o = b.ops[k]
        if o.opcode in ("div", "pow") and not o.attr("tangent", False):
            new = o.replace(attrs=tuple(sorted(o.attrs + (("tangent", True),))))
            b.ops[k] = new
            for r in new.results:
                b.defs[r] = new


class _Tangents:
    def __init__(self, b, dots, tapes=None, module=None):
        self.b = b
        self.dots = dots  # value -> its tangent (absent: zero)
        self.tapes = {} if tapes is None else tapes  # a loop tape -> (its twin, the items
        # of its pushes that have a tangent)
        self.module = module

    def child(self, dots):
        return _Tangents(self.b.child(), dots, self.tapes, self.module)

    def block(self, ops):
        for op in ops:
            self.b.loc, self.b.tag = op.loc, op.tag
            if op.opcode == "if":
                self.branch(op)
            elif op.opcode in ("for", "while"):
                self.loop(op)
            else:
                self.b.append_op(op)
                if op.opcode in ("stack", "push", "pop", "gate"):
                    self.tape(op)
                elif op.opcode == "call":
                    self.call(op)
                elif op.opcode in ("call_vjp", "call_back", "closure", "extern", "extern_vjp"):
                    self.refuse(op)
                else:
                    self.tangent(op)

    def tape(self, op):
        """Forward over reverse: a loop's tape has a twin holding the tangents of the items
        pushed with one (its pushes come before its pop, in program order). An inner loop's
        tape, pushed on its outer loop's tape (nested loops), has its twin pushed on the
        outer twin: `self.tapes[tape]` is (twin, what its pushes hold: None before the
        first, else (the slots with a tangent, ((slot, the inner tape pushed there), ...))).
        (The outer push comes right after the inner tape is made, before the inner loop's
        pushes: what the inner tape holds is looked up at the pop, after them.)"""
        b = self.b
        if op.opcode == "stack":
            self.tapes[op.result] = (b.emit("stack", hint=op.result.hint), None)
        elif op.opcode == "push":
            tape, items = op.operands[0], op.operands[1:]
            twin, _ = self.tapes[tape]
            slots = tuple(k for k, v in enumerate(items) if self.dots.get(v) is not None)
            nested = tuple((k, v) for k, v in enumerate(items) if v in self.tapes)
            self.tapes[tape] = (twin, (slots, nested))
            if slots or nested:
                b.emit(
                    "push",
                    twin,
                    *[self.dots[items[k]] for k in slots],
                    *[self.tapes[items[k]][0] for k, _ in nested],
                    nresults=0,
                )
        elif op.opcode == "pop":
            twin, held = self.tapes[op.operands[0]]
            slots, nested = held or ((), ())
            if slots or nested:  # (typed as the values popped beside them)
                got = tuple(Value(tangent_hint(op.results[k]), op.results[k].type) for k in slots)
                twins = tuple(Value(op.results[k].hint, op.results[k].type) for k, _ in nested)
                b.append_op(Op("pop", (twin,), got + twins, (), op.loc, op.tag))
                self.dots.update((op.results[k], t) for k, t in zip(slots, got))
                self.tapes.update(
                    (op.results[k], (t, self.tapes[inner][1]))
                    for (k, inner), t in zip(nested, twins)
                )
        else:  # gate: n values through unchanged
            self.dots.update(
                (r, self.dots[x])
                for x, r in zip(op.operands, op.results)
                if self.dots.get(x) is not None
            )

    def call(self, op):
        """`y = h(a, b)` with tangents: `y, d_y = jvp_h(a, b, d_a)` (the callee's forward
        mode for the parameters that have one), in place of the call."""
        callee = self.module.functions[op.attr("callee")]
        wrt = tuple(
            callee.param_names[k]
            for k, v in enumerate(op.operands)
            if self.dots.get(v) is not None and _has_tangent(v)
        )
        if not wrt or not _has_tangent(op.result):
            return
        jvp = self.module.jvp(callee.name, wrt)
        b = self.b
        b.ops.pop()  # (the plain call, appended before this)
        dots = [self.dots[op.operands[callee.param_names.index(n)]] for n in wrt]
        pair = Value(TEMP, T.Type(kind="tuple", items=(op.result.type, op.result.type)))
        attrs = dict(op.attr_dict, callee=jvp.name)
        b.append_op(
            Op("call", op.operands + tuple(dots), (pair,), make_attrs(attrs), op.loc, op.tag)
        )
        b.append_op(Op("getitem", (pair,), (op.result,), (("index", 0),), op.loc, op.tag))
        self.dots[op.result] = b.getitem(pair, index=1, hint=tangent_hint(op.result))

    def refuse(self, op):
        """Tangents reaching a call forward mode cannot go through: a custom rule (it gives
        a vector-Jacobian product, not a tangent: JAX refuses jvp of a custom_vjp function
        alike), the reverse sweep of a call of a user's function, a function with no rule."""
        if not any(self.dots.get(v) is not None for v in op.operands):
            return
        fn = op.attr("fn")
        if (
            op.opcode == "extern_vjp"
            or op.opcode == "extern"
            and op.attr("rule") is not None
            and self.module is not None
            and self.module.rules_reversed
        ):
            # forward over reverse (hessian, jvp(grad(f))): the rule's call is differentiated
            raise UnsupportedError(
                f"a second derivative through the custom rule of {fn} is not supported (the "
                "rule gives first derivatives only: forward mode cannot go through it)",
                loc=op.loc,
                hint="take second derivatives of code without custom rules; "
                "first derivatives in reverse mode (s2sgrad.grad, s2sgrad.vjp, "
                's2sgrad.jacobian(f, mode="rev")) use the rule',
            )
        if op.opcode == "extern" and op.attr("rule") is not None:
            raise UnsupportedError(
                f'forward mode (jvp, jacobian mode="fwd", hessian, --mode fwd) through {fn}, '
                "which has a custom rule, is not supported: the rule is a vector-Jacobian "
                "product, which only reverse mode uses",
                loc=op.loc,
                hint="use reverse mode: s2sgrad.grad, s2sgrad.vjp, or s2sgrad.jacobian(f, "
                'mode="rev") (mode="auto" picks it for functions with custom rules)',
            )
        if op.opcode == "extern":
            raise UnsupportedError(
                f"forward mode through {fn} is not supported: s2sgrad has no rule for it",
                loc=op.loc,
                hint=f"register a rule with @s2sgrad.register_gradient({fn}) and "
                "use reverse mode (s2sgrad.grad, s2sgrad.vjp), or wrap the value in "
                "s2sgrad.stop_gradient(...) if no derivative should flow",
            )
        raise UnsupportedError(
            "forward mode through a call of a function of yours is not supported yet",
            loc=op.loc,
            hint="use reverse mode (s2sgrad.grad, s2sgrad.vjp), or inline the function",
        )

    def tangent(self, op):
        dots = [self.dots.get(v) for v in op.operands]
        if all(d is None for d in dots) or not any(_has_tangent(r) for r in op.results):
            return
        d = OPS[op.opcode]
        if d.constant:
            return
        rule = TANGENTS.get(op.opcode)
        if rule is None:
            raise UnsupportedError(
                f"forward mode has no tangent rule for {spelling(op.opcode)} yet",
                loc=op.loc,
                hint="use reverse mode (s2sgrad.grad, s2sgrad.vjp) for this function",
            )
        ans = op.results[0] if len(op.results) == 1 else op.results
        start = len(self.b.ops)
        t = rule(self.b, tuple(dots), ans, *op.operands, **op.attr_dict)
        _tangent_divisions(self.b, start)
        made = {r for o in self.b.ops[start:] for r in o.results}
        if isinstance(t, tuple) and len(op.results) > 1:  # one tangent per result
            for r, tr in zip(op.results, t):
                if tr is not None:
                    self.dots[r] = self.fit(tr, r, tr in made)
        elif t is not None:
            self.dots[op.results[0]] = self.fit(t, op.results[0], t in made)

    def fit(self, t, v, fresh=True):
        """t as v's tangent: v's dtype, and v's shape where an operand was broadcast; named
        after v where the rule made it (not where it is an operand's tangent: `x ** 1`)."""
        b = self.b
        if v.type.kind == "array" and not v.type.weak:
            if not T.same_shape(t.type.shape, v.type.shape) or v.type.shape is None:
                t, fresh = b.broadcast_to(t, b.shape(v)), True
            if (
                v.type.dtype is not None
                and v.type.dtype.startswith("float")
                and t.type.dtype not in (None, v.type.dtype)
            ):
                t, fresh = b.cast(t, v.type.dtype), True
        return b.rename(t, tangent_hint(v)) if fresh else t

    def zero_tree(self, v):
        """Zeros for a value with no tangent where one must exist (a tuple or list: item
        by item, as the tangent of a `tuple` op is; np.zeros_like of a tuple of an array
        and a number fails)."""
        t = v.type
        if t.kind in ("tuple", "list") and t.items is not None:
            made = self.b.defs.get(v)
            items = (
                made.operands
                if made is not None and made.opcode == t.kind
                else [self.b.getitem(v, index=k) for k in range(len(t.items))]
            )
            return self.b.emit(t.kind, *[self.zero_tree(x) for x in items])
        return zeros_like(self.b, v)

    # -- joins -----------------------------------------------------------------------------

    def branch(self, op):
        """`if`: each branch yields its results' tangents too (zeros where a branch has none)."""
        subs = []
        for r in op.regions:
            sub = self.child(dict(self.dots))
            sub.block(r.ops)
            subs.append(sub)
        need = [
            k
            for k, y in enumerate(op.results)
            if _has_tangent(y)
            and any(sub.dots.get(r.yields[k]) is not None for sub, r in zip(subs, op.regions))
        ]
        # forward over reverse: a loop's tape made in a branch and yielded out of it (its
        # reverse loop is after the branch) takes its twin along (None from the other branch)
        tapes = [
            k
            for k, y in enumerate(op.results)
            if any(r.yields[k] in self.tapes for r in op.regions)
        ]
        regions = []
        for sub, r in zip(subs, op.regions):
            extra = tuple(sub.tangent_or_zeros(r.yields[k]) for k in need)
            twins = tuple(
                self.tapes[r.yields[k]][0] if r.yields[k] in self.tapes else sub.b.const(None)
                for k in tapes
            )
            regions.append(Region(r.args, tuple(sub.b.ops), r.yields + extra + twins))
        new = tuple(Value(tangent_hint(op.results[k]), op.results[k].type) for k in need)
        twins = tuple(Value(op.results[k].hint, op.results[k].type) for k in tapes)
        self.b.append_op(
            Op(
                "if",
                op.operands,
                op.results + new + twins,
                op.attrs,
                op.loc,
                op.tag,
                tuple(regions),
            )
        )
        self.dots.update((op.results[k], t) for k, t in zip(need, new))
        for k, twin in zip(tapes, twins):
            held = next(self.tapes[r.yields[k]][1] for r in op.regions if r.yields[k] in self.tapes)
            self.tapes[op.results[k]] = (twin, held)

    def tangent_or_zeros(self, v):
        t = self.dots.get(v)
        if t is None:
            t = zeros_like(self.b, v)
        return t

    def loop(self, op):
        """`for`/`while`: the carried values with a tangent carry it beside them, found to a
        fixed point (a value gets one from its initial value or from the body)."""
        is_for = op.opcode == "for"
        init = op.operands[3:] if is_for else op.operands
        body = op.regions[-1]
        carried = body.args[1:] if is_for else body.args
        active = {k for k, v in enumerate(init) if self.dots.get(v) is not None}
        while True:
            args = {k: Value(tangent_hint(carried[k]), carried[k].type) for k in sorted(active)}
            sub = self.child(dict(self.dots))
            sub.dots.update((carried[k], a) for k, a in args.items())
            sub.block(body.ops)
            grown = {
                k
                for k, y in enumerate(body.yields)
                if k not in active and _has_tangent(carried[k]) and sub.dots.get(y) is not None
            }
            if not grown:
                break
            active |= grown
        order = sorted(active)
        new_init = tuple(self.tangent_or_zeros(init[k]) for k in order)
        yields = body.yields + tuple(sub.tangent_or_zeros(body.yields[k]) for k in order)
        new_body = Region(body.args + tuple(args[k] for k in order), tuple(sub.b.ops), yields)
        regions = (new_body,)
        if not is_for:  # the condition takes the tangents too, and ignores them
            cond = op.regions[0]
            extra = tuple(Value(tangent_hint(cond.args[k]), cond.args[k].type) for k in order)
            regions = (Region(cond.args + extra, cond.ops, cond.yields), new_body)
        new = tuple(Value(tangent_hint(op.results[k]), op.results[k].type) for k in order)
        self.b.loc, self.b.tag = op.loc, op.tag
        self.b.append_op(
            Op(
                op.opcode,
                op.operands + new_init,
                op.results + new,
                op.attrs,
                op.loc,
                op.tag,
                regions,
            )
        )
        self.dots.update((op.results[k], t) for k, t in zip(order, new))
