"""The reverse-mode transform.

Every `gradients` op of a function is replaced, in program order, by plain ops
computing its results: the adjoints of its xs, built by walking the ops before
it backwards and asking the rules table for each active op's contributions.
Later `gradients` ops see earlier expansions as ordinary ops, so gradients of
gradients need nothing special.

The driver owns what rules never see: which values are active (passes/
activity), symbolic zeros (a value with no contribution has no adjoint and its
op is skipped), summing contributions (the three aggregation methods),
unbroadcasting, `gate_gradients`, and handing back gradients that own their
memory and have their x's dtype. The xs with no path to a y left the
`gradients` op before (passes/unconnected.py); an x whose every contribution
turns out a symbolic zero gets the same policy here.

Control flow is structured (regions), and so is its reverse:
- `if`: the backward code is an `if` on the same condition, each branch the
  reverse of its forward branch. Values a backward branch needs from its
  forward branch are yielded out of the forward `if` (None from the other).
- `for`/`while`: the forward loop pushes, on plain Python lists made before
  it, each value the backward body reads (only those); the backward loop runs
  the iterations in reverse order, popping them. Adjoints of loop-carried
  values are carried backwards; adjoints of values read from outside the loop
  are accumulated from zeros. A `while` also counts its iterations.
"""

import functools
import itertools
from dataclasses import replace

import numpy as np

from . import checkpoint
from . import rules as R
from .errors import NoGradientError, UnsupportedError
from .ir import opcodes
from .ir import types as T
from .ir.builder import Builder, rewrite
from .ir.core import (
    ADJOINT_TEMP,
    CONST,
    TAPE_HINT,
    TEMP,
    TEMP_HINTS,
    Op,
    Region,
    Value,
    adjoint_hint,
    def_map,
    free_name,
    free_values,
    loop_carries,
    make_attrs,
    may_be,
    substitute,
    substitute_op,
)
from .ir.gradients_op import GradientsCall
from .ir.opcodes import OPS
from .options import GradientOptions
from .passes import activity, integer, stop_gradient, unconnected

TAPE = "tape"  # the tag of loop-tape ops: written without a source comment


def expand(fn):
    """`fn` with every `gradients` op expanded into adjoint code; the vjp
    functions of the functions it calls join `fn.callees`."""
    if not any(op.opcode == "gradients" for op in fn.body.walk()):
        return fn
    module = _Module(fn.callees, taken={fn.name})
    params = set(fn.params)

    def expand_one(b, op):  # an op reading gradients is emitted again, typed anew
        if op.opcode != "gradients":
            return None
        return _Expansion(b, list(b.ops), op, params, module).run()

    return replace(rewrite(fn, expand_one), callees=module.all())


def _loop_again(loc):
    """The refusal of reverse over reverse through a loop's tape (at the loop). Marked
    `loop_again`: the API computes a second derivative of a gradient it refuses forward
    over reverse instead (api._Derivative.forward_over_reverse)."""
    e = UnsupportedError(
        "differentiating a loop's reverse sweep again (a second derivative of code with a "
        "loop, reverse over reverse: grad(grad(f)), vjp(grad(f)), nested gradients) is not "
        "supported",
        loc=loc,
        hint="take it forward over reverse, which goes through loops: "
        "s2sgrad.hessian(f)(x) for the Hessian, or s2sgrad.jvp(s2sgrad.grad(f), (x,), (v,))[1] "
        "for the Hessian-vector product H v",
    )
    e.loop_again = True
    return e


def _no_rule(op):
    """(message, loc, hint) of the LookupError for a call with no rule on the gradient path."""
    fn = op.attr("fn")
    text = op.loc.text.strip() if op.loc and op.loc.text else ""
    if op.opcode == "extern_vjp":
        return (
            f"no gradient of the custom rule {fn} (a second derivative through a custom "
            "rule is not supported)",
            op.loc,
            "take second derivatives of code without custom rules",
        )
    n = len(op.operands) - len(op.attr("keywords", ()))
    args = ", ".join(["x", "y", "z", "w"][:n] if n <= 4 else [f"x{k}" for k in range(n)])
    return (
        f"no gradient for {fn}{' (' + text + ')' if text else ''}: s2sgrad has no rule for it",
        op.loc,
        f"register one before the first call (or wrap the value in "
        f"s2sgrad.stop_gradient(...) if no gradient should flow):\n"
        f"    @s2sgrad.register_gradient({fn})\n"
        f"    def _(g, ans, {args}):\n"
        f"        return ({', '.join('g * ...' for _ in range(n))},)   "
        f"# one entry per argument",
    )


def _zeros(b, v, hint):
    """A zero adjoint of v's type: np.zeros_like(v), but for a number that is a Python
    float on some paths and a NumPy scalar on others (weak None), whose zeros_like would
    be float64 where the number is a Python float: a zero of its dtype."""
    t = v.type
    if t.kind == "array" and t.weak is None and t.shape == () and t.dtype is not None:
        if t.is_float:
            return b.rename(b.const(np.dtype(t.dtype).type(0.0)), hint)
    if t.kind == "array" and t.is_float and t.dtype is not None and _placeholder(b, v):
        # (None on the paths that did not make it: np.zeros_like(None) would be an
        # object array, which would make the gradients it meets object arrays too)
        return b.zeros_like(v, dtype=t.dtype, hint=hint)
    return b.zeros_like(v, hint=hint)


def _union_adjoint(v, types):
    """The type of v's adjoint where it may be of any of `types` (what a backward
    branch's regions yield, what enters a backward loop): the union of their dtypes (a
    Python float's adjoint may be an np.float64 on one path), v's adjoint shape (a zero
    made for a value a path did not make may be 0-d)."""
    t = T.adjoint_type(v.type)
    u = functools.reduce(T.join, types)
    if u.kind != "array" or t.kind != "array":
        return t
    return T.Type(dtype=u.dtype, shape=t.shape, weak=u.weak)


def _numpy_number(op):
    """op makes a NumPy scalar for certain: a constant np.float32(1.0), a cast of one."""
    if op is None:
        return False
    if op.opcode == "const":
        return isinstance(op.attr("value"), np.generic)
    return op.opcode in ("float32", "float64") and op.operands[0].type.shape == ()


def _placeholder(b, v):
    """True when v may be None at run time: a result of a branch (or loop) one of whose
    regions yields a None placeholder for it (a value the other path made)."""
    made = b.defs.get(v)
    if made is None or not made.regions or v not in made.results:
        return False
    k = made.results.index(v)
    for region in made.regions:
        if k < len(region.yields):
            y = region.yields[k]
            for o in region.ops:
                if y in o.results and o.opcode == "const" and o.attr("value") is None:
                    return True
    return False


class _Module:
    """The functions of the generated module, and the vjp of each one called
    on a gradient's path (built once: `vjp_f(args) -> (f(args), back)`)."""

    def __init__(self, callees, taken=()):
        self.functions = {f.name: f for f in callees}
        self.vjps = {}  # callee name -> (vjp Function, connected-parameter mask)
        self.slots = {}  # vjp name -> the items of the tuple it returns with an
        # adjoint (None: it returns an array)
        self.taken = (
            set(taken)
            | set(self.functions)
            | {f.name for f in callees if f.name.startswith("vjp_")}
        )
        self.checkpoint = None  # the option of the gradients call that builds a vjp first
        self.segments = itertools.count()  # (each checkpointed loop's trip symbol its own)

    def vjp(self, name):
        if name not in self.vjps:
            self.vjps[name] = _build_vjp(self.functions[name], self)
        return self.vjps[name]

    def unique(self, base):
        """A module-level name no function has (a user's helper may be called `vjp_g`)."""
        return free_name(base, self.taken)

    def all(self):
        return tuple(self.functions.values()) + tuple(f for f, _ in self.vjps.values())


def _build_vjp(fn, module):
    """`vjp_<fn>`: fn's forward code, then `def <fn>_back(d_out)` computing the
    adjoints of its float parameters (a closure over the forward values). A function
    returning a tuple (`return a, n, b`) takes one adjoint per float item:
    `<fn>_back(d_a, d_b)` (its `slots`: the indices of those items)."""
    body = fn.body
    y = body.yields[0]
    loc = body.ops[-1].loc if body.ops else None
    items = y.type.items if y.type.kind == "tuple" else None
    if y.type.kind != "array" and (items is None or any(t.kind != "array" for t in items)):
        what = "a tuple holding a tuple or list" if items is not None else f"a {y.type.kind}"
        raise UnsupportedError(
            f"differentiating through a call to {fn.name}, which returns {what}, is not supported",
            loc=loc,
            hint="return arrays and numbers (a flat tuple of them)",
        )
    b = Builder(params=fn.params)
    for op in body.ops:
        b.append_op(op)
    if items is None:
        slots, ys = None, [y]
    else:
        slots = tuple(k for k, t in enumerate(items) if t.is_float)
        b.loc, b.tag = loc, "fwd"
        made = b.defs.get(y)
        ys = [
            made.operands[k]
            if made is not None and made.opcode == "tuple"
            else b.getitem(y, index=k, hint=TEMP)
            for k in slots
        ]
    xs = [p for p in fn.params if not integer.is_constant(p)]
    d_outs = tuple(
        Value(
            "d_" + v.hint
            if v.hint not in TEMP_HINTS
            else "d_out"
            if slots is None
            else f"d_out{k}",
            v.type,
        )
        for v, k in zip(ys, slots or (0,))
    )
    gop = GradientsCall(
        tuple(ys), tuple(xs), d_outs, options=GradientOptions(checkpoint=module.checkpoint)
    ).op(tuple(Value(TEMP) for _ in xs), loc, "fwd")
    exp = _Expansion(b, list(b.ops), gop, set(fn.params), module, seed_tag="grad")
    grads = exp.run()
    forward, backward = b.ops[: exp.split], b.ops[exp.split :]
    mask = tuple(not (b.defs.get(g) is not None and b.defs[g].opcode == "const") for g in grads)
    back = Value(f"{fn.name}_back", T.Type(kind="function"))
    closure = Op(
        "closure",
        (),
        (back,),
        (),
        gop.loc,
        "fwd",
        (Region(d_outs, tuple(backward), tuple(g for g, m in zip(grads, mask) if m)),),
    )
    pair = Op(
        "tuple",
        (y, back),
        (Value(TEMP, T.Type(kind="tuple", items=(y.type, back.type))),),
        (),
        gop.loc,
        "fwd",
    )
    vjp = replace(
        fn,
        name=module.unique("vjp_" + fn.name),
        body=Region(body.args, tuple(forward) + (closure, pair), (pair.result,)),
        callees=(),
    )
    full = []
    it = iter(mask)
    for p in fn.params:
        full.append(False if integer.is_constant(p) else next(it))
    module.slots[vjp.name] = slots
    return vjp, tuple(full)


class _Expansion:
    """One `gradients` call: its options, seeds, and the gradients it hands back."""

    def __init__(self, b, forward, op, params, module, seed_tag="seed"):
        self.b = b
        self.forward = forward
        self.op = op
        self.params = params
        self.module = module
        self.seed_tag = seed_tag
        self.split = None  # after run(): where the forward ops end in b.ops
        call = GradientsCall.of(op)
        self.ys = list(call.ys)
        self.xs = list(call.xs)
        self.grad_ys = list(call.grad_ys) if call.grad_ys is not None else None
        self.stops = set(call.stops)
        self.name = call.options.name
        self.gate = call.options.gate_gradients
        self.aggregation = call.options.aggregation
        self.unconnected = call.options.unconnected
        self.checkpoint = call.options.checkpoint
        self.prefix = "" if self.name == "gradients" else self.name + "_"
        self.rewrites = {}  # forward op -> the ops replacing it (loop tapes, residuals)

    def dname(self, v):
        return adjoint_hint(v, self.name)

    def seed_name(self, y):
        return f"{self.prefix}d_ys" if self.dname(y) == ADJOINT_TEMP else self.dname(y)

    def rewritten(self, ops):
        out = []
        for op in ops:
            out.extend(self.rewrites.get(op, (op,)))
        return out

    def run(self):
        b = self.b
        nf = len(self.forward)
        self.module.checkpoint = self.checkpoint  # (for the vjps of the functions it calls)
        varied = activity.varied(self.forward, self.xs, self.stops)
        active = varied & activity.useful(self.forward, self.ys, self.stops)  # (analyze)
        sweep = _Sweep(self, b, active, varied)
        b.loc, b.tag = self.op.loc, f"{self.seed_tag}:{self.name}"
        for i, y in enumerate(self.ys):
            if y not in active:
                continue
            if self.grad_ys is not None:
                seed = self.grad_ys[i]
            elif y.type.shape == () and y.type.dtype == "float64":
                seed = b.const(1.0, hint=self.seed_name(y))
            else:
                seed = b.ones_like(y, hint=self.seed_name(y))
            sweep.parts.setdefault(y, []).append(seed)
        sweep.sweep(self.forward)
        if self.rewrites:
            b.ops[:nf] = self.rewritten(b.ops[:nf])
            for op in b.ops:
                for r in op.results:
                    b.defs[r] = op
        self.split = len(self.rewritten(list(self.forward)))

        b.loc, b.tag = self.op.loc, f"out:{self.name}"
        results, returned = [], set()
        for x in self.xs:
            results.append(sweep.finish(x, returned))
        # a temporary's adjoint handed back unchanged (x - y: d_x is d(x - y)) reads d_x
        named = {}
        for x, d in zip(self.xs, results):
            if d is not None and d.hint == ADJOINT_TEMP and d not in named:
                named[d] = b.retitle(d, self.dname(x))
        return [named.get(d, d) for d in results]


def _rows_of(b, f, c):
    """The `index_add` ops that make c, innermost first, when c, an adjoint of a list built
    with append `f`, is rows of it only: each a d added at a row i of zeros of len(f) rows
    (the rule of list_get; `hs[t]` and `hs[-1]` in one trip make two). An accumulator of
    f's adjoint has those rows too (f is one value, its length fixed), so the rows are added
    into it where it stands, not into a dense array of zeros (the scatter pass cannot
    prove the two shapes one: a list's length has no symbol)."""
    if f.type.kind != "dynlist":
        return None
    chain = []
    op = b.defs.get(c)
    while op is not None and op.opcode == "index_add":
        chain.append(op)
        base = b.defs.get(op.operands[0])
        if base is not None and base.opcode == "zeros_like":
            rows = b.defs.get(base.operands[0])
            if rows is None or rows.opcode != "list_rows":
                return None
            n = b.defs.get(rows.operands[1])
            if n is None or n.opcode != "list_len" or n.operands[0] is not f:
                return None  # (a length taken before later appends: not f's own)
            return chain[::-1]
        op = base
    return None


def _add_rows(b, acc, chain):
    """acc with the rows of `chain` (_rows_of) added into it."""
    for op in chain:
        acc = b.emit("index_add", acc, *op.operands[1:], **op.attr_dict)
    return acc


class _Sweep:
    """The reverse sweep over the ops of one region: adjoints, contributions, rules."""

    def __init__(self, exp, b, active, varied):
        self.exp = exp
        self.b = b
        self.active = active
        self.varied = varied  # values depending on an x (active ones also reach a y)
        self.parts = {}  # value -> contributions not yet summed
        self.done = {}  # value -> its adjoint, once summed
        self.items = {}  # a tuple a call returned -> {item index: its adjoint's parts}

    def dname(self, v):
        return self.exp.dname(v)

    # -- adjoints ---------------------------------------------------------------

    def contribute(self, v, c, fresh=False):
        if fresh:
            c = self.b.rename(c, self.dname(v))
        parts = self.parts.setdefault(v, [])
        if self.exp.aggregation == "accumulate_n" and parts:
            parts[0] = self.b.add(parts[0], c, hint=self.dname(v))
        else:
            parts.append(c)

    def adjoint(self, v):
        """The summed adjoint of v, or None (symbolic zero)."""
        if v in self.done:
            return self.done[v]
        parts = self.parts.pop(v, [])
        rows = []  # rows of a list's adjoint (_rows_of), added in place into the others' sum
        if len(parts) > 1 and v.type.kind == "dynlist":
            rows = [r for p in parts for r in (_rows_of(self.b, v, p) or ())]
            parts = [p for p in parts if _rows_of(self.b, v, p) is None]
            if not parts:  # (rows only: the first read's zeros take the others)
                parts, rows = [rows[0].results[0]], rows[1:]
        if not parts:
            res = None
        elif len(parts) == 1:
            res = parts[0]
        elif self.exp.aggregation == "tree":
            res = self._tree(parts, self.dname(v))
        else:  # add_n: one sum of all contributions, once all are ready
            res = parts[0]
            for p in parts[1:]:
                res = self.b.add(res, p, hint=TEMP)
            res = self.b.rename(res, self.dname(v))
        if rows:  # (into the sum of the others: one shape, len(v) rows)
            res = _add_rows(self.b, res, rows)
        vt = v.type
        if (
            res is not None
            and vt.is_float
            and vt.dtype is not None
            and res.type.dtype != vt.dtype
            and (res.type.dtype is None or res.type.dtype.startswith("float"))
        ):
            # an adjoint has its value's dtype (as in JAX): a float32 value's adjoint
            # made float64 by a rule's arithmetic is cast back, so a loop carrying it and
            # the gradient returned keep float32; so is one whose dtype depends on the
            # path taken (dtype None: a float64 on one path, a float32 on another). A
            # Python float's adjoint is a Python float, even where float32 values made it
            if vt.weak and vt.shape == () and vt.dtype == "float64":
                res = self.b.pyfloat(res, hint=self.dname(v))
            else:
                res = self.b.cast(res, vt.dtype, hint=self.dname(v))
        self.done[v] = res
        return res

    def _tree(self, parts, hint):
        while len(parts) > 1:
            pairs = [
                self.b.add(parts[i], parts[i + 1], hint=TEMP) for i in range(0, len(parts) - 1, 2)
            ]
            parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
        return self.b.rename(parts[0], hint)

    # -- the sweep --------------------------------------------------------------

    def sweep(self, ops):
        b = self.b
        for op in reversed(ops):
            if not any(r in self.active for r in op.results) or stop_gradient.stopped(
                op, self.exp.stops
            ):  # (a stopped result of an if or a loop passes nothing in: results_adjoints)
                continue
            b.loc, b.tag = op.loc, f"grad:{self.exp.name}"
            if op.opcode == "gate":  # n values through unchanged: adjoints pass straight back
                for x, r in zip(op.operands, op.results):
                    d = self.adjoint(r)
                    if d is not None and x in self.active:
                        self.contribute(x, d)
            elif op.opcode == "if":
                self.backprop_if(op)
            elif op.opcode in ("for", "while"):
                self.backprop_loop(op)
            elif op.opcode == "call":
                self.backprop_call(op)
            elif op.opcode in ("extern", "extern_vjp"):
                self.backprop_extern(op)
            elif op.opcode == "rule_adjoint" and self.adjoint(op.result) is not None:
                # (a custom rule's entry: its rule has no gradient, extern_vjp's error)
                entry = self.b.defs.get(op.operands[0])
                made = entry and self.b.defs.get(entry.operands[0])
                raise NoGradientError(*_no_rule(made or op))
            elif op.opcode == "getitem" and op.operands[0].type.kind in ("tuple", "list"):
                self.backprop_item(op)
            elif op.opcode in ("call_vjp", "call_back", "closure"):
                raise UnsupportedError(
                    "differentiating through the reverse sweep of a function call (a second "
                    "derivative, in one decorated function, of code that calls a helper) is "
                    "not supported",
                    loc=op.loc,
                    hint="inline the helper's code here, or take the second derivative with "
                    "the functional API, which inlines helpers: s2sgrad.grad("
                    "s2sgrad.grad(f)), s2sgrad.hessian(f), s2sgrad.jvp(s2sgrad.grad(f), "
                    "(x,), (v,))",
                )
            elif op.opcode in ("pop", "stack"):
                raise _loop_again(op.loc)
            elif len(op.results) > 1:  # (np.linalg.slogdet): the rule gets each adjoint
                g = tuple(self.adjoint(r) for r in op.results)
                if any(d is not None for d in g):
                    self.backprop(op, g)
            else:
                g = self.adjoint(op.results[0])
                if g is None:
                    continue
                self.backprop(op, g)

    def backprop(self, op, g):
        b = self.b
        rule = R.RULES.get(op.opcode)
        if rule is None:
            if OPS[op.opcode].constant:
                return
            raise NoGradientError(
                f"no gradient registered for op {op.opcode!r}"
                f"{' (' + op.loc.text.strip() + ')' if op.loc and op.loc.text else ''}",
                loc=op.loc,
                hint=f"register one with @s2sgrad.register_gradient"
                f"({opcodes.spelling(op.opcode)!r}, override=True), or wrap the value in "
                "s2sgrad.stop_gradient(...) if no gradient should flow",
            )
        start = len(b.ops)
        ans = op.results[0] if len(op.results) == 1 else op.results
        contribs = rule.fn(b, g, ans, *op.operands, **op.attr_dict)
        if len(contribs) != len(op.operands):
            raise TypeError(
                f"the rule of {op.opcode!r} returned {len(contribs)} entries "
                f"for {len(op.operands)} operands"
            )
        todo = []
        for x, c in zip(op.operands, contribs):
            if c is None or x not in self.active:
                continue
            if rule.broadcasts:
                c = self.unbroadcast(c, x)
            todo.append((x, c))
        if self.exp.gate and len(todo) > 1:
            b.emit("gate", *[c for _, c in todo], nresults=len(todo), hint=TEMP)
            todo = self._name_gate(todo)
        made = {r for o in b.ops[start:] for r in o.results}
        for x, c in todo:
            fresh = c in made and sum(c is c2 for _, c2 in todo) == 1
            self.contribute(x, c, fresh)

    def _name_gate(self, todo):
        """Give the gate op's results the adjoint names of their operands."""
        op = self.b.ops[-1]
        new = tuple(Value(self.dname(x), c.type) for x, c in todo)
        newop = op.replace(results=new)
        self.b.ops[-1] = newop
        for old, n in zip(op.results, new):
            del self.b.defs[old]
            self.b.defs[n] = newop
        return [(x, n) for (x, _), n in zip(todo, new)]

    def unbroadcast(self, c, x):
        """Sum a contribution shaped like an op's result down to operand x's shape."""
        b = self.b
        cs, xs = c.type.shape, x.type.shape
        if T.same_shape(cs, xs):
            return c
        if xs == ():
            return b.sum(c)
        if cs is None or xs is None or len(cs) < len(xs):
            return b.unbroadcast(c, b.shape(x))
        lead = len(cs) - len(xs)
        keep = []
        for i, (dx, dc) in enumerate(zip(xs, cs[lead:])):
            if dx == dc and dx is not None:
                continue
            if dx == 1:
                keep.append(i)
                continue
            return b.unbroadcast(c, b.shape(x))
        if lead:
            c = b.sum(c, axis=tuple(range(lead)) if lead > 1 else 0)
        if keep:
            c = b.sum(c, axis=tuple(keep) if len(keep) > 1 else keep[0], keepdims=True)
        return c

    # -- calls ------------------------------------------------------------------------

    def backprop_extern(self, op):
        """`y = f(x, w)` of a function known by name: `d_x, d_w = _vjp_f(d_y, y, x, w)`
        with its custom rule (custom.py); without one, a LookupError saying how to add it."""
        g = self.adjoint(op.result)
        if g is None:
            return
        if op.opcode == "extern_vjp" or op.attr("rule") is None:
            raise NoGradientError(*_no_rule(op))
        b = self.b
        keywords = op.attr("keywords", ())
        attrs = {"fn": op.attr("rule")}
        if keywords:
            attrs["keywords"] = keywords
        back = b.emit("extern_vjp", g, op.result, *op.operands, hint=TEMP, **attrs)
        for k, x in enumerate(op.operands[: len(op.operands) - len(keywords)]):
            if x in self.active:  # (what the rule gives is the user's: made x's adjoint
                # at run time, None a zero, as a rule may give it: contract.md)
                entry = b.getitem(back, index=k, hint=TEMP)
                made = b.emit("rule_adjoint", entry, x, op.result, rule=op.attr("fn"), hint=TEMP)
                self.contribute(x, made, False)

    def backprop_call(self, op):
        """`y = f(a, b)` becomes `y, f_back = vjp_f(a, b)` in the forward code, and
        `d_a, d_b = f_back(d_y)` here. Of a function returning a tuple `t` (its items
        read by `t[k]` after the call, in the same region), `f_back` takes one adjoint
        per float item: the sum of the items' reads' adjoints, zeros for an unread one."""
        callee = op.attr("callee")
        if op.result.type.kind == "tuple":
            parts = self.items.pop(op.result, None)
            if not parts:
                return
        else:
            g = self.adjoint(op.result)
            if g is None:
                return
        for x in op.operands:
            if x in self.active and x.type.kind in ("tuple", "list"):
                raise UnsupportedError(
                    f"differentiating through a call to {callee} that is passed a "
                    f"{x.type.kind} of values is not supported",
                    loc=op.loc,
                    hint="pass the items as separate arguments",
                )
        vjp, mask = self.exp.module.vjp(callee)
        targets = [x for x, m in zip(op.operands, mask) if m]
        if not targets:
            return
        b = self.b
        slots = self.exp.module.slots[vjp.name]
        if slots is None:
            gs = [g]
        else:
            gs = []
            for k in slots:
                got = parts.get(k)
                if not got:
                    gs.append(b.zeros_like(b.getitem(op.result, index=k, hint=TEMP), hint=TEMP))
                    continue
                d = got[0]
                for more in got[1:]:
                    d = b.add(d, more, hint=TEMP)
                gs.append(d)
        back = Value(f"{callee}_back", T.Type(kind="function"))
        fwd = op.replace(
            opcode="call_vjp", results=(op.result, back), attrs=make_attrs({"callee": vjp.name})
        )
        self.exp.rewrites[op] = [fwd]
        outs = b.region_op(
            "call_back",
            [back, *gs],
            (),
            [_handed_back(x.type) for x in targets],
            [self.dname(x) for x in targets],
        )
        for x, d in zip(targets, outs):
            if x in self.active:
                self.contribute(x, d)

    def backprop_item(self, op):
        """`p = t[k]` of a tuple a call returned, on the gradient's path: p's adjoint is
        item k's (backprop_call hands them to the call's back function); of other tuples,
        refused."""
        g = self.adjoint(op.result)
        if g is None:
            return
        t = op.operands[0]
        made = self.b.defs.get(t)
        if made is not None and made.opcode == "call" and t.type.kind == "tuple":
            self.items.setdefault(t, {}).setdefault(op.attr("index"), []).append(g)
            return
        while made is not None and made.opcode == "getitem":  # an item of an item of what
            made = self.b.defs.get(made.operands[0])  # a call returned
        if made is not None and made.opcode == "call":
            self.exp.module.vjp(made.attr("callee"))  # raises, naming the callee
        for o in self.exp.forward:
            for w in (o, *(x for r in o.regions for x in r.walk())):
                if t in w.results and w.opcode == "call":
                    self.exp.module.vjp(w.attr("callee"))  # raises, naming the callee
                if t in w.results and w.opcode == "extern_vjp":
                    raise NoGradientError(*_no_rule(w))  # (a custom rule's adjoints)
        raise UnsupportedError(
            "differentiating through an item of a tuple is not supported",
            loc=op.loc,
            hint="compute the value as an array of its own",
        )

    # -- control flow -------------------------------------------------------------

    def _inner(self, region_ops, xs, ys, memo=None):
        """A sweep for a nested region, in a child builder. `memo`: sets activity
        found for these ops (activity.loop_carried's), reused when seeded alike."""
        memo = memo or {}
        varied = memo.get((activity.varied, tuple(xs)))
        if varied is None:
            varied = activity.varied(region_ops, xs, self.exp.stops)  # (once: analyze's half)
        useful = memo.get((activity.useful, tuple(ys)))
        if useful is None:
            useful = activity.useful(region_ops, ys, self.exp.stops)
        active = varied & useful
        sub = _Sweep(self.exp, self.b.child(), active | set(xs), varied)
        for o in region_ops:  # for static facts only (a rule's constant exponent folds)
            for r in o.results:
                sub.b.defs.setdefault(r, o)
        return sub

    def _free(self, op):
        """The active values op's regions read from outside: their adjoints leave it."""
        free = [v for v in free_values(op) if v in self.active]
        for v in free:  # a tuple's adjoint would be a tuple (a tape: see `pop`)
            made = self.b.defs.get(v)
            if v.type.kind in ("tuple", "list") and (made is None or made.opcode != "stack"):
                if v.hint == TAPE_HINT:  # a loop's tape yielded out of a branch: second order
                    made = (
                        next(
                            (o for r in made.regions for o in r.walk() if o.opcode == "stack"), made
                        )
                        if made is not None
                        else op
                    )
                    raise _loop_again(made.loc)
                raise UnsupportedError(
                    f"a {v.type.kind} of values made before this {op.opcode} is read inside "
                    "it, on the gradient's path",
                    loc=op.loc,
                    hint="read its items into names before, and use those inside",
                )
        return [v for v in free if not integer.is_constant(v)]

    def results_adjoints(self, op):
        """The adjoints of the results of op (an if or a loop) passed into it: None for
        one in stop_gradients (it keeps its own adjoint, for an x)."""
        return [None if r in self.exp.stops else self.adjoint(r) for r in op.results]

    def backprop_if(self, op):
        b = self.b
        d_res = self.results_adjoints(op)
        if all(d is None for d in d_res):
            return
        free = self._free(op)
        branches = []
        for region in op.regions:
            seeded = [(y, d) for y, d in zip(region.yields, d_res) if d is not None]
            sub = self._inner(region.ops, free, [y for y, _ in seeded])
            sub.b.loc, sub.b.tag = b.loc, b.tag
            for y, d in seeded:
                sub.parts.setdefault(y, []).append(d)
            sub.sweep(region.ops)
            branches.append((region, sub, [sub.adjoint(f) for f in free]))
        keep = [j for j in range(len(free)) if any(outs[j] is not None for _, _, outs in branches)]
        if not keep:
            return
        new_regions = []
        for region, sub, outs in branches:
            ys = []
            for j in keep:
                d = outs[j]
                if d is None:
                    d = _zeros(sub.b, free[j], self.dname(free[j]))
                ys.append(d)
            new_regions.append((region, sub, ys))
        # what the backward branches read from their forward branch leaves it as extra results
        extra = []  # (branch index, forward value)
        fwd_ops = [self.exp.rewritten(list(r.ops)) for r in op.regions]
        for k, (_, sub, ys) in enumerate(new_regions):
            inside = {r for o in fwd_ops[k] for r in o.results}
            needed = _reads(sub.b.ops, ys) & inside
            prepend, remat, needed = _rematerialize(sub.b.ops, needed, fwd_ops[k])
            sub.b.ops[:0] = prepend
            sub.b.ops = list(substitute(Region((), tuple(sub.b.ops), ()), remat).ops)
            ys[:] = [remat.get(y, y) for y in ys]
            extra += [(k, v) for v in _in_order(fwd_ops[k], needed)]
        res_vals = [Value(v.hint, v.type) for _, v in extra]
        fwd_regions = []
        for k, region in enumerate(op.regions):
            rb = Builder(loc=op.loc, tag=op.tag)
            rb.ops = list(fwd_ops[k])
            more = [v if kk == k else rb.const(None) for kk, v in extra]
            fwd_regions.append(Region(region.args, tuple(rb.ops), region.yields + tuple(more)))
        self.exp.rewrites[op] = [
            op.replace(results=op.results + tuple(res_vals), regions=tuple(fwd_regions))
        ]
        mapping = {v: r for (_, v), r in zip(extra, res_vals)}
        bwd = []
        for _, sub, ys in new_regions:
            r = substitute(Region((), tuple(sub.b.ops), tuple(ys)), mapping)
            bwd.append(r)
        outs = b.region_op(
            "if",
            [op.operands[0]],
            bwd,
            [_union_adjoint(free[j], [r.yields[k].type for r in bwd]) for k, j in enumerate(keep)],
            [self.dname(free[j]) for j in keep],
        )
        for j, d in zip(keep, outs):
            self.contribute(free[j], d)

    def backprop_loop(self, op):
        b = self.b
        is_for = op.opcode == "for"
        if is_for:
            bounds, inits = list(op.operands[:3]), list(op.operands[3:])
            (body,) = op.regions
            i_arg, cargs = body.args[0], list(body.args[1:])
        else:
            inits = list(op.operands)
            cond, body = op.regions
            cargs = list(body.args)
        d_res = self.results_adjoints(op)
        if all(d is None for d in d_res):
            return
        free = self._free(op)
        memo = {}
        ks = activity.loop_carried(
            list(body.ops),
            cargs,
            list(body.yields),
            [v in self.varied for v in inits],
            [
                d is not None or r in self.active and r not in self.exp.stops
                for r, d in zip(op.results, d_res)
            ],
            free,
            self.exp.stops,
            memo,
        )
        body_ops = self.exp.rewritten(list(body.ops))
        if len(body_ops) != len(body.ops) or any(a is not b for a, b in zip(body_ops, body.ops)):
            memo = None  # (the sets were found for the ops as they were)

        # -- the backward body: one iteration, in reverse
        i_b = Value(i_arg.hint if is_for else "_", T.PY_INT)
        dc = [
            Value(
                self.dname(cargs[k]),
                _union_adjoint(
                    op.results[k],
                    [T.adjoint_type(op.results[k].type)]
                    + ([d_res[k].type] if d_res[k] is not None else []),
                ),
            )
            for k in ks
        ]  # (a Python float's adjoint may enter as one: `d_pos = 0.7`, typed so)
        acc = [Value(self.dname(f), T.adjoint_type(f.type)) for f in free]
        sub = self._inner(
            body_ops, [cargs[k] for k in ks] + free, [body.yields[k] for k in ks], memo
        )
        sub.b.loc, sub.b.tag = b.loc, b.tag
        for k, d in zip(ks, dc):
            sub.parts.setdefault(body.yields[k], []).append(d)
        sub.sweep(body_ops)
        body_ops = self.exp.rewritten(body_ops)  # loops inside now push onto their tapes
        cb = sub.b
        new_dc = []
        for k, d in zip(ks, dc):
            a = sub.adjoint(cargs[k])
            if a is None:  # zeros shaped like this iteration's value (its shape may change)
                like = d if T.same_shape(cargs[k].type.shape, d.type.shape) else cargs[k]
                a = _zeros(cb, like, self.dname(cargs[k]))
            new_dc.append(a)
        new_acc = []
        for f, a in zip(free, acc):
            c = sub.adjoint(f)
            chain = _rows_of(cb, f, c) if c is not None else None
            if chain is not None:  # (a list read at an index: into its rows, in place)
                new_acc.append(_add_rows(cb, a, chain))
                continue
            new_acc.append(cb.add(a, c, hint=self.dname(f)) if c is not None else a)
        bwd_ops = self.exp.rewritten(cb.ops)

        # -- the tape: forward-body values the backward body reads
        args = set(body.args)
        inside = args | {r for o in body_ops for r in o.results}
        bwd_ops, needed = _live(bwd_ops, new_dc + new_acc)
        needed &= inside
        prepend, remat, needed = _rematerialize(
            bwd_ops, needed, body_ops, (i_arg,) if is_for else (), body.args
        )
        mapping = dict(remat)
        if is_for:
            mapping[i_arg] = i_b
        results = op.results[: len(cargs)]
        nexts = _carry_yields(cargs, body, body_ops, needed, mapping, results)
        bwd_ops = prepend + _recompute(body_ops, inside, needed, mapping) + list(bwd_ops)
        taped = [
            v
            for v in (list(body.args) + [r for o in body_ops for r in o.results])
            if v in needed and v not in mapping
        ]
        prelude, pops = [], []
        fb = Builder(loc=op.loc, tag=op.tag)
        if taped:  # one tape: each iteration appends the tuple of its values, once
            tape = Value(TAPE_HINT, T.Type(kind="list"))
            prelude.append(fb.append_op(_op("stack", (), (tape,), op, tag=TAPE)))
            popped = tuple(Value(v.hint, v.type) for v in taped)
            pops.append(_op("pop", (tape,), popped, op, tag=TAPE, loc=b.loc))
            mapping.update(zip(taped, popped))
        bwd_region = substitute(
            Region(
                (i_b,) + tuple(dc) + tuple(acc) + tuple(n for _, _, n in nexts),
                tuple(pops) + tuple(bwd_ops),
                tuple(new_dc) + tuple(new_acc) + tuple(a for _, a, _ in nexts),
            ),
            mapping,
        )

        # -- the forward loop, now pushing onto its tape (and counting, for a while):
        # the push comes right after the last op making a taped value
        pushed = list(body_ops)
        if taped:
            made = {r for r in taped if r not in args}
            at = max(
                (k + 1 for k, o in enumerate(body_ops) if any(r in made for r in o.results)),
                default=0,
            )
            pushed.insert(at, _op("push", (tape,) + tuple(taped), (), op, tag=TAPE))
        if is_for:
            fwd = op.replace(regions=(Region(body.args, tuple(pushed), body.yields),))
            count = None
            step = (
                checkpoint.step_of(
                    b, op, op.attr("checkpoint"), fwd.regions[0], [k for k, _, _ in nexts]
                )
                if taped and (op.attr("checkpoint") or self.exp.checkpoint)
                else None
            )
        else:
            zero = fb.const(0, hint="n_iter")
            prelude.append(fb.ops[-1])
            n_c, n_b = Value("n_iter", T.PY_INT), Value("n_iter", T.PY_INT)
            one = _op("const", (), (Value(CONST, T.PY_INT),), op, value=1)
            step = _op("add", (n_b, one.result), (Value("n_iter", T.PY_INT),), op)
            new_cond = Region(cond.args + (n_c,), cond.ops, cond.yields)
            new_body = Region(
                body.args + (n_b,), tuple(pushed) + (one, step), body.yields + (step.result,)
            )
            count = Value("n_iter", T.PY_INT)
            fwd = op.replace(
                operands=op.operands + (zero,),
                results=op.results + (count,),
                regions=(new_cond, new_body),
            )

        # -- the backward loop
        d_init = []
        for k, d in zip(ks, [d_res[k] for k in ks]):
            d_init.append(d if d is not None else _zeros(b, op.results[k], self.dname(cargs[k])))
        zeros = [_zeros(b, f, self.dname(f)) for f in free]
        if is_for:
            loop_bounds = bounds
        else:
            loop_bounds = [b.const(0), count, b.const(1)]
        types = [d.type for d in dc] + [T.adjoint_type(f.type) for f in free]
        hints = [self.dname(cargs[k]) for k in ks] + [self.dname(f) for f in free]
        if is_for and step is not None:  # checkpoints, and each segment again (checkpoint.py)
            self.exp.rewrites[op], outs = checkpoint.expand(
                b,
                op,
                step,
                fwd.regions[0],
                prelude[0],
                bwd_region,
                d_init + zeros,
                types,
                hints,
                nexts,
                f"~seg{next(self.exp.module.segments)}",
            )
        else:
            self.exp.rewrites[op] = prelude + [fwd]
            # (the reverse of a reversed loop, an adjoint loop at second order, runs forwards)
            outs = b.region_op(
                "for",
                loop_bounds + d_init + zeros + [results[k] for k, _, _ in nexts],
                [bwd_region],
                types + [n.type for _, _, n in nexts],
                hints + [n.hint for _, _, n in nexts],
                reverse=is_for and not op.attr("reverse", False),
            )
        for k, d in zip(ks, outs[: len(ks)]):
            if inits[k] in self.active:
                self.contribute(inits[k], d)
        for f, d in zip(free, outs[len(ks) :]):
            self.contribute(f, d)

    # -- the end --------------------------------------------------------------------

    def finish(self, x, returned):
        """The gradient handed back for x: dtype of x, owning its memory."""
        b = self.b
        exp = self.exp
        d = self.adjoint(x) if x in self.done or x in self.parts else None
        xt = x.type
        if d is None:  # connected, but every contribution was a symbolic zero
            return unconnected.gradient(b, x, exp.unconnected, self.dname(x))
        # (a float32 number's gradient is an np.float32 even where a seed or a zero passed
        # on, np.ones_like(x) of a NumPy scalar, is a 0-d array: cast it too)
        made = b.defs.get(d)
        number32 = xt.shape == () and xt.dtype not in (None, "float64") and not _numpy_number(made)
        if (
            xt.dtype is not None
            and (d.type.dtype != xt.dtype or number32)
            and xt.weak is False
            and xt.is_float
        ):
            d = b.cast(d, xt.dtype, hint=self.dname(x))
        made = b.defs.get(d)
        python = made is not None and (
            made.opcode == "pyfloat" or made.opcode == "const" and type(made.attr("value")) is float
        )
        if xt.shape == () and xt.dtype == "float64":  # (a Python float, shared freely)
            d = d if python else b.pyfloat(d, hint=self.dname(x))
        elif d in returned or self.borrowed(d):
            d = b.copy(d, hint=self.dname(x))
        returned.add(d)
        return d

    def borrowed(self, v):
        """True when v may share memory with an array the caller or the forward
        code owns, or is a read-only broadcast view."""
        defs = dict(self.b.defs)
        forward = {r for op in self.exp.forward for r in op.results}
        seen, todo, carries = set(), [v], {}
        while todo:  # (a loop's or a branch's result: each value it may be)
            v = todo.pop()
            if v in seen:
                continue
            seen.add(v)
            if v in self.exp.params or v in forward:
                return True
            if v in carries:  # (a loop's carried value: its first value, or a next one)
                todo += carries[v]
                continue
            op = defs.get(v)
            if op is None or OPS[op.opcode].read_only:
                return True
            if op.opcode in ("for", "while", "if"):
                todo += may_be(op, op.results.index(v), lambda x: self.b.static_value(x, None))
                for r in op.regions:  # (the values made in its regions, and its carries)
                    defs.update(def_map(r))
                    for o in [op] + list(r.walk()):
                        if o.opcode in ("for", "while"):
                            carries.update(loop_carries(o))
            elif opcodes.aliases(op):
                todo.append(op.operands[0])
        return False


def _handed_back(t):
    """The type of the gradient a function's back function hands back for an argument of
    type t (finish): a float64 number's is a Python float, where t may be an np.float64
    (which a float32 it meets does not turn float64)."""
    if t.kind == "array" and t.shape == () and t.dtype == "float64" and t.weak is False:
        return T.Type(dtype="float64", shape=(), weak=None)
    return T.adjoint_type(t)


def _op(opcode, operands, results, like, tag=None, loc=None, **attrs):
    return Op(
        opcode,
        tuple(operands),
        tuple(results),
        make_attrs(attrs),
        loc if loc is not None else like.loc,
        tag if tag is not None else like.tag,
    )


def _rematerialize(ops, needed, inside_ops, also_available=(), args=()):
    """Values a backward region reads from its forward region that are cheap to
    compute again there (constants, `xs[t]` reads of outer arrays, shapes) are
    recomputed, never saved. Returns (ops to prepend, mapping, values still needed)."""
    inside = {r for o in inside_ops for r in o.results} | set(args)
    defs = {r: o for o in inside_ops for r in o.results}
    mapping, prepend = {}, []
    ok = set(also_available)
    for o in inside_ops:  # program order: operands before their users
        if not OPS[o.opcode].cheap or o.regions or len(o.results) != 1:
            continue
        if all(v not in inside or v in ok or v in mapping for v in o.operands):
            ok.add(o.result)
    wanted, stack = set(), [v for v in needed if v in ok and v in defs]
    while stack:  # what the needed ones are made from, too
        v = stack.pop()
        if v in wanted:
            continue
        wanted.add(v)
        stack += [u for u in defs[v].operands if u in defs and u in ok]
    for o in inside_ops:
        if len(o.results) == 1 and o.result in wanted:
            new = Value(o.result.hint, o.result.type)
            redo = o.replace(results=(new,), tag=TAPE)
            prepend.append(substitute_op(redo, mapping))
            mapping[o.result] = new
    return prepend, mapping, {v for v in needed if v not in mapping}


def _carry_yields(cargs, body, body_ops, needed, mapping, results):
    """A tape holds each value once. The value a loop carries into iteration i + 1 is
    the one iteration i yields: when the backward body reads both a carried value at
    an iteration's start and the value yielded for it, only the first is taped, and the
    backward loop carries the second backwards (the one popped the iteration before, in
    reverse order; the forward loop's result for the last iteration). Returns (index,
    region argument, the backward loop's argument holding the yielded value) per such
    value, which `mapping` now maps the yielded value to."""
    made = {r for o in body_ops for r in o.results}
    nexts = []
    for k, (a, y, res) in enumerate(zip(cargs, body.yields[: len(cargs)], results)):
        if (
            y in needed
            and a in needed
            and y in made
            and y not in mapping
            and y.type.kind == "array"
            and y.type == a.type == res.type
        ):
            nx = Value(y.hint, y.type)
            mapping[y] = nx
            nexts.append((k, a, nx))
    needed.difference_update(mapping)
    return nexts


def _recompute(body_ops, inside, needed, mapping):
    """The ops, for the backward body, computing again the needed values that an
    elementwise op makes from values the tape holds anyway, from the loop's carried
    values or from values made outside the loop (`np.sin(x)` beside `x`): one elementwise
    pass a step buys a tape entry's memory. Never from a value recomputed itself (a chain
    `v1 = sin(v0) * w; v2 = sin(v1) * w ...` tapes the v's and recomputes the sines: at
    most one op again per value not taped). Each is then in `mapping` (its recomputed
    value) and out of `needed`."""
    redo, redone = [], set()
    for o in body_ops:  # program order: an operand's own decision comes first
        if (
            len(o.results) != 1
            or o.regions
            or not OPS[o.opcode].elementwise
            or OPS[o.opcode].effect
            or opcodes.draws(o)
        ):
            continue
        r = o.result
        if r not in needed or r in mapping or r.type.kind != "array":
            continue
        if all(
            v not in inside or v not in redone and (v in mapping or v in needed) for v in o.operands
        ):
            new = Value(r.hint, r.type)
            redo.append(o.replace(results=(new,), tag=TAPE))
            mapping[r] = new
            redone.add(r)
    needed.difference_update(mapping)
    return redo


def _reads(ops, extra=()):
    """Every value read by `ops` (nested regions included, their yields at every depth:
    a loop a checkpointed loop's reverse sweep runs again may yield a value made before
    it) and `extra`."""
    out = set(extra)
    for op in ops:
        out.update(op.operands)
        for r in op.regions:
            out.update(r.yields)
            for o in r.walk():
                out.update(o.operands)
                for rr in o.regions:
                    out.update(rr.yields)
    return out


def _live(ops, outs):
    """(the ops that `outs` need, every value they read). A rule's contribution to an
    operand with no adjoint (a constant's) is made and dropped here, and what only it
    reads is never taped."""
    live, kept = set(outs), []
    for op in reversed(ops):
        if (
            op.results
            and not op.regions
            and not any(r in live for r in op.results)
            and not OPS[op.opcode].effect
            and not opcodes.draws(op)
        ):
            continue
        kept.append(op)
        live.update(op.operands)
        for r in op.regions:
            live.update(r.yields)
            for o in r.walk():
                live.update(o.operands)
                for rr in o.regions:
                    live.update(rr.yields)
    return kept[::-1], live


def _in_order(ops, values):
    return [r for o in ops for r in o.results if r in values]


__all__ = ["expand", "def_map"]
