"""Calls of functions s2sgrad knows by name only (see custom.py): one with a custom
rule (`custom_vjp`, `register_gradient`), or one it has no rule for (`np.unique`,
`scipy.special.erf`), which is a constant off the gradient path. Each is one
`extern` op; the generated module copies in what the call needs."""

from dataclasses import replace

import gast

from .. import custom as C
from ..errors import S2SGradError
from ..ir import types as T
from ..ir.core import Value, free_name

# NumPy functions that write into an argument: a write s2sgrad would not see
_WRITERS = frozenset({"copyto", "put", "put_along_axis", "place", "putmask", "fill_diagonal"})


def named_call(lw, path, node, label=None):
    """A call of the function at dotted `path` ('numpy.unique', 'scipy.special.erf')."""
    custom = lw.p.rules.get(path)
    if custom is not None:
        return custom_call(lw, custom, node)
    return unknown_call(lw, path, node, label or C.spelling(path))


def custom_call(lw, custom, node):
    """`f(x, ...)` of a function with a custom rule."""
    if isinstance(custom, C.CustomVJP):
        try:
            custom = custom.custom()
        except S2SGradError as e:
            lw.unsupported(node, e.message, e.hint)
    elif isinstance(custom, S2SGradError):  # (a custom_vjp function the CLI found
        lw.unsupported(node, custom.message, custom.hint)  # without its rule)
    custom = _use(lw, custom, node)
    operands, keywords = _arguments(lw, node, custom.label)
    n = len(operands) - len(keywords)
    if custom.rule.returns != n:
        lw.unsupported(
            node,
            f"the gradient rule of {custom.label} returns {custom.rule.returns} "
            f"entries, and this call passes {n} positional arguments (defined at "
            f"{custom.rule.loc})",
            "return one entry per positional argument (None for one that gets no gradient)",
        )
    result = _result(lw, custom, operands[:n], keywords, node)
    attrs = dict(fn=custom.call, rule=custom.rule.name, result=result)
    if keywords:
        attrs["keywords"] = keywords
    return lw.b.emit("extern", *operands, **attrs)


def unknown_call(lw, path, node, label):
    """A function s2sgrad has no rule for: called as it is, a constant off the gradient path."""
    parts = path.split(".")
    if "random" in parts:
        lw.unsupported(
            node,
            f"{label} draws from a global random state, which the generated "
            "code would not draw from as Python does (dead code is removed, equal "
            "calls are merged)",
            "pass a np.random.Generator in as an argument, or the random values themselves",
        )
    if parts[0] == "numpy" and parts[-1] in _WRITERS:
        lw.unsupported(
            node,
            f"{label} writes into its argument, which s2sgrad cannot follow",
            "write with indexing (`y[k] = v`), or on a copy",
        )
    module, _, _ = path.rpartition(".")
    needs = () if parts[0] in ("numpy", "math") else (f"import {module}",)
    for line in needs:
        lw.module.prelude[line] = None
    operands, keywords = _arguments(lw, node, label)
    attrs = dict(fn=C.spelling(path))
    if keywords:
        attrs["keywords"] = keywords
    return lw.b.emit("extern", *operands, **attrs)


def _arguments(lw, node, label):
    """(operands, the names of the keyword ones, last): positional arguments are values;
    keyword arguments constants (they get no gradient)."""
    operands = []
    for a in node.args:
        if isinstance(a, gast.Starred):
            lw.unsupported(a, f"*args in a call of {label} is not supported", "list the arguments")
        operands.append(_value(lw, lw.expr(a), a))
    names = []
    for kw in node.keywords:
        if kw.arg is None:
            lw.unsupported(
                node, f"**kwargs in a call of {label} is not supported", "list the arguments"
            )
        if kw.arg == "out":
            lw.unsupported(
                kw.value,
                f"out= makes {label} write into an array, which s2sgrad cannot follow",
                "leave out out= and assign the result",
            )
        v = lw.expr(kw.value)
        s = lw.static_of(v)
        if s is _missing() or not _literal(s):
            lw.unsupported(
                kw.value,
                f"the keyword argument {kw.arg}= of {label} must be a "
                "constant (keyword arguments get no gradient)",
                "pass a literal, or pass the value positionally",
            )
        operands.append(lw.b.const(s))
        names.append(kw.arg)
    return operands, tuple(names)


def _missing():
    from .shared import _MISSING

    return _MISSING


def _literal(v):
    if isinstance(v, (tuple, list)):
        return all(_literal(x) for x in v)
    return v is None or type(v) in (bool, int, float, str)


def _value(lw, v, node):
    s = lw.static_of(v)
    if not isinstance(v, Value) and s is not _missing() and _literal(s):
        return lw.b.const(s)
    return lw.to_value(v, node)


def _result(lw, custom, args, keywords, node):
    """(dtype, shape, weak) of a custom function's result: its shape function's, an
    elementwise function's (NumPy's promotion, a Python number weak: np.hypot(x32, 0.5) is
    float32; a NumPy function's result is a NumPy value), or what the function's own
    source gives (rank unknown where s2sgrad cannot read it; a Python float where it
    computes one: `x * 1.5` of a Python float). The user's own function of a value that
    may be a Python number may give one (weak None) where its source is not read."""
    types_ = [v.type for v in args]
    dtype = (
        T.float_dtype(T.result_dtype(*(T.Type(dtype=t.dtype, weak=t.weak) for t in types_)))
        if types_
        else "float64"
    )
    numbers = None if any(t.weak is not False for t in types_) else False
    if custom.shape is not None:
        return dtype, C.shape_of(custom.shape, [t.shape for t in types_]), numbers
    if not custom.typed_by_source:
        return dtype, T.broadcast_shapes(*(t.shape for t in types_)), False
    t = _source_type(lw, custom, args, keywords)
    if t is None:
        return dtype, None, numbers
    if t.kind != "array":
        lw.unsupported(
            node,
            f"{custom.label} returns a {t.kind}; a custom_vjp function returns one array or number",
            "return one array (stack the parts)",
        )
    return t.dtype, t.shape, t.weak


def _source_type(lw, custom, args, keywords):
    """The type of what a custom_vjp function returns for these arguments, from its own
    source; None where s2sgrad cannot read it (its rule is what matters)."""
    from . import lower as L
    from . import source as S

    try:
        parsed = (
            S.from_function(custom.fn)
            if custom.fn is not None
            else S.from_file(custom.where[0], custom.where[1], custom=True)
        )
        params = [a.id for a in parsed.node.args.args]
        if keywords or len(params) != len(args):
            return None
        fn = L._Lowerer(
            parsed, dict(zip(params, [a.type for a in args])), False, L.Module(), callee=True
        ).run()
    except S2SGradError:
        return None
    return fn.body.yields[0].type


def _use(lw, custom, node):
    """custom, under the names this module gives it (another function's rule may have
    taken its rule's name), with the code it needs in the module's prelude."""
    module = lw.module
    got = module.customs.get(custom.key)
    if got is not None:
        return got
    rule = custom.rule.renamed(free_name(custom.rule.name, module.taken))
    forward, call = custom.forward, custom.call
    if forward is not None:
        forward = forward.renamed(free_name(forward.name, module.taken))
        call = forward.name
    custom = replace(custom, rule=rule, forward=forward, call=call)
    for line in custom.needs + (forward.needs if forward else ()) + rule.needs:
        name = C.bound_name(line)
        held = module.bound.setdefault(name, line)
        if held != line and not line.startswith("import "):
            lw.unsupported(
                node,
                f"the custom rules used here read {name!r} as two different "
                f"things ({held!r} and {line!r}); the generated module holds one",
                "give one of them another name",
            )
        module.prelude[line] = None
    for code in (forward, rule):
        if code is not None:
            module.prelude[code.text] = None
    module.customs[custom.key] = custom
    return custom
