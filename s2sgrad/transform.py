"""The pipeline, one plain function a stage: lower → shift → attach → unconnected →
reverse → loop accumulation, CSE, broadcast, negation, scatter, loop-invariant hoisting,
DCE, pymath → codegen.

Used by the decorator and the functional API (api.py) and by the CLI (cli.py),
so both write the same code for the same source and signature.
"""

import contextlib
import gc
import os
from dataclasses import dataclass, replace

from . import codegen, forward, reverse
from .errors import InternalError, InvalidArgumentError, S2SGradError, UnsupportedError
from .frontend import pytrees
from .frontend.lower import Static, lower
from .ir.builder import Builder
from .ir.core import Region, Value, def_map, source_params, substitute
from .ir.gradients_op import GradientsCall
from .ir.verifier import verify
from .options import GradientOptions
from .passes import (
    broadcast,
    cse,
    dce,
    hoist_invariant,
    inline,
    loop_accumulate,
    loop_stack,
    negation,
    ones,
    pymath,
    scatter,
    shift,
    unconnected,
)

VERIFY = os.environ.get("S2SGRAD_VERIFY", "") not in ("", "0")


@dataclass(frozen=True)
class Request:
    """What to generate: 'function' (a decorated function, its gradients calls
    expanded), or 'grad' / 'value_and_grad' / 'vjp' of a plain function with
    respect to the parameters `wrt` (names).

    `inner` makes a higher-order request: the derivative of what `inner`
    generates (`grad(grad(f))` is `Request('grad', ('x',), inner=Request('grad',
    ('x',)))`). The inner IR is built first (attach + reverse), then this
    request's `gradients` op is attached to its output and expanded again, so
    the outer sweep differentiates the inner sweep's ops. `wrt` names the
    parameters of the original function at every depth (a derivative has its
    function's parameters)."""

    kind: str = "function"  # | 'grad' | 'value_and_grad' | 'vjp' | 'jvp' (forward mode)
    wrt: tuple = ()
    wrt_is_tuple: bool = True
    inner: "Request | None" = None
    has_aux: bool = False  # f returns (value, aux): value is differentiated, aux handed back
    checkpoint: str | None = (
        None  # None | 'sqrt': the loops' reverse sweeps (options.check_checkpoint)
    )
    xp: bool = False  # array-API code (codegen_xp.py): the outermost request's says

    def chain(self):
        """The requests from the innermost (applied first) to this one."""
        return (self.inner.chain() if self.inner is not None else ()) + (self,)


def build_ir(parsed, arg_types, request, stages=None, numbers=()):
    """The final IR of `parsed` for `arg_types`; `stages`, a list, gets (name, fn) pairs.
    `numbers`: the parameters given NumPy scalars (never 0-d arrays)."""

    def stage(name, fn):
        if VERIFY or stages is not None:
            for f in (fn,) + tuple(fn.callees):
                verify(f, name)
        if stages is not None:
            stages.append((name, fn))
        return fn

    chain = request.chain()
    fn = stage(
        "lower", lower(parsed, arg_types, decorated=chain[0].kind == "function", numbers=numbers)
    )
    # (before dead code goes: a write nothing reads; `p += v` of a parameter too)
    writes = tuple(sorted(set(written_params(fn)) | set(fn.writes)))
    if fn.callees and any(r.kind != "jvp" for r in chain[:-1]):
        # a derivative of a derivative: the helpers' code inlined, so the outer transform
        # goes through it as through the caller's own (passes/inline.py)
        fn = stage("inline", inline.run(fn))
    fn = stage(
        "shift", _each(fn, lambda f: shift.run(f, cse.run))
    )  # a stabilising max gets no gradient
    for depth, r in enumerate(chain):
        suffix = "" if depth == len(chain) - 1 else f".{depth + 1}"  # inner stages: attach.1 ...
        if r.kind == "jvp":
            fn = stage("forward" + suffix, forward_mode(fn, r, parsed))
            continue
        if r.kind != "function":
            fn = stage("attach" + suffix, attach_gradients(fn, r, parsed))
        fn = stage("unconnected" + suffix, unconnected.run(fn))
        fn = stage("reverse" + suffix, reverse.expand(fn))
        if suffix:  # (an inner derivative's dead code, a tape only it read among it,
            fn = stage("dce" + suffix, _each(fn, dce.run))  # is not differentiated again)
    fn = _each(fn, _unstopped)  # (stop_gradient(x) is x once the sweeps are written)
    xp = request.xp
    if not xp:  # (array API code keeps its tapes as lists: no rows written into arrays)
        fn = stage("loop_stack", _each(fn, loop_stack.run))
        fn = stage("loop_accumulate", _each(fn, loop_accumulate.run))
    fn = stage("cse", _each(fn, cse.run))
    fn = stage("broadcast", _each(fn, broadcast.run))
    fn = stage("ones", _each(fn, ones.run))
    fn = stage("negation", _each(fn, negation.run))
    fn = stage("scatter", _each(fn, scatter.run))
    fn = stage("hoist_invariant", _each(fn, hoist_invariant.run))
    fn = stage("dce", _each(fn, dce.run))
    if not xp:  # (math.* of Python floats: a NumPy module's speed-up; xp code is for arrays)
        fn = stage("pymath", _each(fn, pymath.run))
    else:
        fn = _each(fn, lambda f: replace(f, xp=True))
    return replace(fn, writes=writes)


def _unstopped(fn):
    """fn with each stop_gradient(x) read as x: it says nothing once gradients are expanded."""
    mapping = {op.result: op.operands[0] for op in fn.body.walk() if op.opcode == "stop_gradient"}
    return fn.with_body(substitute(fn.body, mapping)) if mapping else fn


def _each(fn, run):
    """A function pass applied to fn and to every function it calls."""
    return replace(run(fn), callees=tuple(run(c) for c in fn.callees))


def header_lines(fn, request):
    parts = [
        f"{r.kind} with respect to {', '.join(r.wrt)}" + (" (has_aux)" if r.has_aux else "")
        for r in reversed(request.chain())
        if r.kind != "function"
    ]
    if parts:
        return [f"{fn.name}: {' of '.join(parts)}"]
    return []


def generate(parsed, arg_types, request, stages=None, numbers=()):
    """(final IR, module text). A failure that is not one of s2sgrad's errors
    about the user's code is a bug in s2sgrad: it becomes an InternalError that
    says so (never a raw RecursionError or KeyError).

    The cyclic garbage collector is paused meanwhile: the IR is many small
    acyclic objects that reference counting frees, and collections triggered by
    allocating them cost a third of the transform's time on large functions."""
    with gc_paused():
        return _generate(parsed, arg_types, request, stages, numbers)


@contextlib.contextmanager
def gc_paused():
    """The cyclic garbage collector off (reference counting still frees) for a
    transform: parsing, the stages, codegen and compiling the module."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _generate(parsed, arg_types, request, stages, numbers=()):
    try:
        fn = build_ir(parsed, arg_types, request, stages, numbers)
        return fn, codegen.generate(
            fn, header_lines(fn, request), verify=VERIFY or stages is not None
        )
    except S2SGradError:
        raise
    except Exception as e:  # (anything else is a bug in s2sgrad, whatever its class)
        name = getattr(parsed.node, "name", "?")
        raise InternalError(
            f"s2sgrad failed on {name} with {type(e).__name__}: {e}. This is a bug in "
            "s2sgrad, not in your code: please report it with the function's source"
        ) from e


def forward_mode(fn, request, parsed):
    """The tangent transform (forward.py) of a plain function, for the parameters `wrt`."""
    loc = parsed.loc(parsed.node)
    what = next(
        (op for f in (fn,) + tuple(fn.callees) for op in f.body.walk() if op.opcode == "gradients"),
        None,
    )
    if what is not None:
        raise UnsupportedError(
            "forward mode of a function that calls s2sgrad.gradients is not supported yet",
            loc=what.loc,
            hint="use reverse mode (s2sgrad.grad, s2sgrad.vjp)",
        )
    for name in request.wrt:
        treedef, (p, *_) = source_params(fn)[name]
        if treedef is None and (p.type.is_integer or p.type.kind == "rng"):
            raise InvalidArgumentError(
                f"cannot take a tangent of {name!r}: it is {p.type}, not a float value",
                loc=loc,
                hint="pass a float (1.0, not 1) or a float array, or None as its tangent",
            )
    return forward.jvp_module(fn, request.wrt)


def attach_gradients(fn, request, parsed):
    """Append a `gradients` op for grad/value_and_grad/vjp of a plain function."""
    body = fn.body
    y = body.yields[0]
    loc = parsed.loc(parsed.node)
    b = Builder(defs=def_map(body), loc=loc, tag="fwd")
    b.ops = list(body.ops)
    aux = None
    if request.has_aux:
        if y.type.kind not in ("tuple", "list") or y.type.items is None or len(y.type.items) != 2:
            raise InvalidArgumentError(
                f"has_aux=True needs {fn.name} to return a pair (value, aux); it returns {y.type}",
                loc=loc,
                hint="return value, aux (aux: what is not differentiated)",
            )
        if fn.out_tree is not None and (fn.out_tree[0] == "dict" or len(fn.out_tree[1]) != 2):
            raise InvalidArgumentError(
                f"has_aux=True needs {fn.name} to return a pair (value, aux); it returns a dict",
                loc=loc,
                hint="return value, aux (aux may be a dict of metrics)",
            )
        made = b.defs.get(y)
        if made is not None and made.opcode in ("tuple", "list"):  # `return value, aux`
            y, aux = made.operands
        else:
            y, aux = b.getitem(y, index=0), b.getitem(y, index=1)
    ys = (y,)
    if (
        request.kind == "vjp"
        and aux is None
        and fn.out_tree is None
        and y.type.kind in ("tuple", "list")
        and y.type.items
        and all(t.kind == "array" for t in y.type.items)
    ):  # a tuple of outputs: vjp_fn takes one cotangent an output (as JAX's)
        made = b.defs.get(y)
        ys = (
            tuple(made.operands)
            if made is not None and made.opcode in ("tuple", "list")
            else tuple(b.getitem(y, index=k) for k in range(len(y.type.items)))
        )
    elif y.type.kind != "array":
        kind = "dict" if fn.out_tree is not None and fn.out_tree[0] == "dict" else y.type.kind
        raise InvalidArgumentError(
            f"{request.kind} needs a function returning one array or scalar; "
            f"{fn.name} returns a {kind}",
            loc=loc,
            hint="differentiate one output at a time: a function returning that output "
            "(lambda-free: def out0(x): return f(x)[0]); jvp takes several outputs"
            if request.inner is None
            else "differentiate a derivative that returns one value: grad(f, wrt=0), not "
            "value_and_grad or a tuple of wrt",
        )
    if request.kind != "vjp" and y.type.rank not in (None, 0):
        hint = (
            "reduce it (np.sum, np.mean), or use s2sgrad.vjp for a vector-Jacobian product"
            if request.inner is None
            else f"{fn.name} is a gradient, an array: for a Hessian-vector product use "
            "s2sgrad.vjp(s2sgrad.grad(f), x) and call its vjp_fn with v, or take grad of a "
            "function returning np.sum(gradient * v)"
        )
        raise InvalidArgumentError(
            f"{request.kind} needs a scalar output; {fn.name} returns an array of rank "
            f"{y.type.rank}",
            loc=loc,
            hint=hint,
        )
    xs, trees = [], []  # trees: per wrt, (treedef, its leaves' positions in xs or None)
    groups = source_params(fn)
    for name in request.wrt:
        if name not in groups:
            raise InvalidArgumentError(
                f"wrt names {name!r}, which is not a parameter of {fn.name}",
                loc=loc,
                hint=f"its parameters: {', '.join(groups)}",
            )
        treedef, leaves = groups[name]
        if treedef is not None:  # a pytree: its float leaves (the others' gradients are None)
            slots = []
            for p in leaves:
                if p.type.kind == "array" and not p.type.is_integer:
                    slots.append(len(xs))
                    xs.append(p)
                else:
                    slots.append(None)
            trees.append((treedef, slots))
            continue
        (p,) = leaves
        if p.type.kind == "rng":
            raise InvalidArgumentError(
                f"cannot differentiate with respect to {name!r}: it is a random generator, "
                "which s2sgrad draws from and never differentiates",
                loc=loc,
                hint="differentiate with respect to the parameters of the draws (mu and sigma of "
                "rng.normal(mu, sigma)); each call draws anew",
            )
        if p.type.is_integer:
            raise InvalidArgumentError(
                f"cannot differentiate with respect to {name!r}: it is {p.type}, an integer, "
                "bool or static value",
                loc=loc,
                hint="pass a float (1.0, not 1) or a float array",
            )
        trees.append((None, [len(xs)]))
        xs.append(p)
    params = fn.params
    names = fn.param_names
    operands = list(ys) + xs
    if request.kind == "vjp":
        cotangent = next(n for n in ("g", "g_", "d_ys", "cotangent") if n not in names)
        if len(ys) == 1 and ys[0] is y:
            gs = [Value(cotangent, y.type)]  # (a parameter may be named g)
            cnames = [cotangent]
        else:
            cnames = [f"{cotangent}{k}" for k in range(len(ys))]
            gs = [Value(n, v.type) for n, v in zip(cnames, ys)]
        params, names = params + tuple(gs), names + tuple(cnames)
        operands += gs
    res = (
        GradientsCall(
            ys,
            tuple(xs),
            tuple(operands[len(ys) + len(xs) :]) or None,
            options=GradientOptions(unconnected="zero", checkpoint=request.checkpoint),
        ).emit(b)
        if xs
        else ()
    )
    res = (res,) if len(xs) == 1 else tuple(res)
    per_wrt = [
        res[slots[0]]
        if treedef is None
        else _tree_value(b, treedef, iter([b.const(None) if k is None else res[k] for k in slots]))
        for treedef, slots in trees
    ]
    grad_trees = [treedef for treedef, _ in trees]
    if request.wrt_is_tuple or request.kind == "vjp":
        grads, grads_tree = b.tuple(*per_wrt), ("tuple", tuple(grad_trees))
    else:
        grads, grads_tree = per_wrt[0], grad_trees[0]
    aux_tree = fn.out_tree[1][1] if aux is not None and fn.out_tree is not None else None
    value = y if aux is None else b.tuple(y, aux)
    value_tree = None if aux is None else ("tuple", (None, aux_tree))
    if request.kind == "value_and_grad":
        out = b.tuple(value, grads)  # ((value, aux), grads) with has_aux
        out_tree, exact = ("tuple", (value_tree, grads_tree)), ((0,),)
    elif aux is not None and request.kind == "grad":
        out = b.tuple(grads, aux)  # (grads, aux), as JAX's
        out_tree, exact = ("tuple", (grads_tree, aux_tree)), ((1,),)
    else:
        out, out_tree, exact = grads, grads_tree, ()
    prefix = {"grad": "grad_", "value_and_grad": "value_and_grad_", "vjp": "vjp_"}[request.kind]
    return replace(
        fn,
        name=prefix + fn.name,
        params=params,
        param_names=names,
        body=Region(body.args, tuple(b.ops), (out,)),
        out_tree=out_tree if pytrees.has_dict(out_tree) else None,
        exact=exact,
    )


def _tree_value(b, treedef, leaves):
    """The IR value of a pytree: tuples (a dict's values in order) and lists of leaves."""
    if treedef is None:
        return next(leaves)
    items = [_tree_value(b, c, leaves) for c in treedef[-1]]
    return b.emit("list", *items) if treedef[0] == "list" else b.tuple(*items)


def written_params(fn):
    """The indices of fn's parameters whose arrays fn writes into (through views,
    branches and loops): the generated code writes on a copy, so the caller's
    array never changes; an argument that shares memory with such a parameter
    would not see the write, as it does in Python (the API refuses that call)."""
    from .ir.opcodes import memory

    index = {p: k for k, p in enumerate(fn.params)}
    defs = def_map(fn.body)
    origin = {}  # a loop's region argument -> its initial value
    for op in fn.body.walk():
        if op.opcode in ("for", "while"):
            inits = op.operands[3:] if op.opcode == "for" else op.operands
            for r in op.regions:
                args = r.args[1:] if op.opcode == "for" else r.args
                origin.update(zip(args, inits))
    out = set()
    for op in fn.body.walk():
        if memory(op) != "write":
            continue
        todo, seen = [op.operands[0]], set()
        while todo:
            v = todo.pop()
            if id(v) in seen:
                continue
            seen.add(id(v))
            if v in index:
                out.add(index[v])
            d = defs.get(v)
            if d is None:
                if v in origin:
                    todo.append(origin[v])
            elif d.opcode == "if":
                k = d.results.index(v)
                todo.extend(r.yields[k] for r in d.regions)
            elif memory(d) in ("view", "maybe", "write"):
                todo.append(d.operands[0])
    return tuple(sorted(out))


__all__ = ["Request", "build_ir", "generate", "Static", "written_params"]
