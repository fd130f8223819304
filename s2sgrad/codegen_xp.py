"""Array API emission (`s2sgrad emit --xp`, `grad(f, xp=True)`): the same IR printed
for any library that implements the Python array API standard.

A function written this way starts with `xp = array_namespace(<its array
parameters>)` (`from array_api_compat import array_namespace`, the module's one
import) and calls only the standard's functions in `xp`: the gradient runs on the
arrays of NumPy, array_api_strict, CuPy or Dask it is given, and returns arrays of
that library. How each op is spelled there is its definition's `xp`
(ir/opcodes.py): the same as the NumPy module (operators, indexing, Python
structure), the standard's function (`np.arctan` is `xp.atan`, `np.cumsum`
`xp.cumulative_sum`), or a form written here (`a.T` of a rank-3 array is
`xp.permute_dims(a, (2, 1, 0))`); an op the standard lacks is refused at the
user's line. What the NumPy module does that the standard does not allow is
switched off upstream (transform.py): no `out=` or augmented in-place updates
(codegen.py prints `t = xp.tanh(t)`, `a = a * b`), tapes stay Python lists
(no loop_stack / loop_accumulate rows written into preallocated arrays), no
math.* of Python floats (pymath), no `float()` of an array value (a Dask result
stays lazy).

`XP` is set by codegen.module while it prints a module for the array API, so the
small printers (`literal`, dtypes) it shares with the NumPy module ask it.
"""

import ast
import contextvars

from .errors import UnsupportedError
from .ir import opcodes
from .ir.opcodes import OPS

XP = contextvars.ContextVar("s2sgrad_xp", default=False)
IMPORT = "from array_api_compat import array_namespace"
RESERVED = ("xp", "array_namespace")

# the backward pass's unbroadcast (ir/opcodes.py's _UNBROADCAST) in the namespace given
UNBROADCAST = '''\
def _unbroadcast(xp, g, shape):
    """Sum g over the axes broadcasting added to an array of `shape` (`shape`
    may also have leading axes of size 1 that an assignment dropped), in xp."""
    if not hasattr(g, "shape"):
        g = xp.asarray(g)
    while g.ndim > len(shape):
        g = xp.sum(g, axis=0)
    lead = len(shape) - g.ndim
    for axis, size in enumerate(shape[lead:]):
        if size == 1 and g.shape[axis] != 1:
            g = xp.sum(g, axis=axis, keepdims=True)
    return xp.reshape(g, shape) if lead else g
'''
# cumprod's rules' scan (ir/opcodes.py's _LINEAR_SCAN) in the namespace given: the same
# ceil(log2 n) Hillis-Steele steps, each a concatenation rather than a write in place
LINEAR_SCAN = '''\
def _linear_scan(xp, v, a, axis, reverse=False):
    """p_i = v_i + a_i p_{i-1} along the axis, p_0 = v_0 (`a` holds a_1 ... a_{n-1});
    reverse: p_i = v_i + a_{i+1} p_{i+1}, p_{n-1} = v_{n-1}. ceil(log2 n) steps of
    Hillis and Steele's scan, sums and products only, in xp."""
    p = xp.moveaxis(v, axis, -1)
    a = xp.moveaxis(a, axis, -1)
    p = xp.astype(p, xp.result_type(p, a))
    if reverse:
        p, a = xp.flip(p, axis=-1), xp.flip(a, axis=-1)
    s, n = 1, p.shape[-1]
    while s < n:
        p = xp.concat([p[..., :s], p[..., s:] + a * p[..., :-s]], axis=-1)
        if 2 * s < n:  # (the standard has no slice past the end)
            a = a[..., s:] * a[..., :-s]
        s *= 2
    return xp.moveaxis(xp.flip(p, axis=-1) if reverse else p, -1, axis)
'''
HELPERS = {"unbroadcast": UNBROADCAST, "linear_scan": LINEAR_SCAN}

_HINT = (
    "write it with functions the array API standard has (`s2sgrad help xp` lists what "
    "--xp supports), or emit the NumPy module (without --xp / xp=True)"
)


def active():
    return XP.get()


def refuse(op, what, hint=_HINT):
    raise UnsupportedError(
        f"{what}: the array API standard (--xp, xp=True) has no spelling for it",
        loc=op.loc,
        hint=hint,
    )


def refuse_op(op):
    refuse(op, f"{opcodes.spelling(op.opcode)}")


def helper_text(opcode):
    """The source of the helper an xp module defines for `opcode`, or None."""
    return HELPERS.get(opcode)


def array_params(fn):
    """fn's parameters that are arrays (not Python numbers): the namespace's source."""
    return [p for p in fn.params if p.type.kind == "array" and not p.type.weak]


def namespace_line(fn, names):
    """`xp = array_namespace(a, b)` of fn's array parameters."""
    return f"xp = array_namespace({', '.join(names(p) for p in array_params(fn))})"


def check_names(fn):
    """fn can be written as array-API code: it has an array parameter to take the
    namespace from, and no parameter takes the namespace's name."""
    if not array_params(fn):
        loc = next((op.loc for op in fn.body.walk() if op.loc is not None), None)
        raise UnsupportedError(
            f"{fn.name} takes no array argument: array-API code (--xp, xp=True) takes its "
            "namespace from its array arguments",
            loc=loc,
            hint="pass arrays (a 0-d array for a number: xp.asarray(1.0)), or emit the "
            "NumPy module",
        )
    taken = [n for n in fn.param_names if n in RESERVED]
    if taken:
        raise UnsupportedError(
            f"{fn.name} has a parameter named {taken[0]!r}, the name array-API code (--xp) "
            "gives its namespace",
            hint=f"rename the parameter {taken[0]!r}",
        )


def dtype(name):
    from .codegen import _dotted

    return _dotted(f"xp.{name}")


def is_same(op):
    """True when the NumPy module's spelling of op is the standard's too."""
    return OPS[op.opcode].xp == ("same",) and not _bool_arithmetic(op)


# ops on Python numbers and shapes, never on an array operand the standard wants given
_CREATION = frozenset({"empty", "ones", "zeros", "full", "arange", "linspace", "eye"})
# reductions the standard defines for numeric dtypes only (NumPy counts booleans as 0, 1)
_NUMERIC = frozenset({"sum", "prod", "mean", "cumsum", "cumprod", "var", "std"})


def _kind(dt):
    """'b', 'i', 'c' or 'f' of a dtype name (None for None)."""
    if dt is None:
        return None
    if dt == "bool":
        return "b"
    if "int" in dt:
        return "i"
    return "c" if dt.startswith("complex") else "f"


def _result_dtype(op):
    r = op.results[0].type if len(op.results) == 1 else None
    return r.dtype if r is not None and r.kind == "array" else None


def _mixed(op, i):
    """Operand i, an array that op's arithmetic mixes with another kind of number (a
    boolean or an integer array in float arithmetic: `g * (x == m)`, `g / n`,
    `np.sqrt(k)`): the standard defines no promotion between kinds (nor float functions
    of integers), so it is cast to the result's dtype."""
    t, d = op.operands[i].type, OPS[op.opcode]
    want = _result_dtype(op)
    if not (
        t.kind == "array"
        and not t.weak
        and t.dtype is not None
        and (op.opcode in _NUMERIC or d.form[0] in ("binop", "unop") or d.elementwise)
        and not (op.opcode == "where" and i == 0)
    ):
        return False
    if want is None:  # (a type not inferred: a boolean among numbers is cast)
        return (
            t.dtype == "bool"
            and op.opcode in ("mul", "add", "sub", "div")
            and any(v.type.dtype != "bool" for v in op.operands)
        )
    return _kind(t.dtype) != _kind(want) and _kind(want) != "b"


def _bool_arithmetic(op):
    """Arithmetic the standard does not define as NumPy does: mixed kinds, or a + or *
    of booleans (NumPy's `or`, `and`)."""
    if OPS[op.opcode].form[0] not in ("binop", "unop"):
        return False
    return any(_mixed(op, i) for i in range(len(op.operands))) or _bool_op(op) is not None


def _bool_op(op):
    if (
        op.opcode in ("mul", "add")
        and _result_dtype(op) == "bool"
        and all(v.type.kind == "array" and v.type.dtype == "bool" for v in op.operands)
    ):
        return "xp.logical_and" if op.opcode == "mul" else "xp.logical_or"
    return None


# ops whose result may be a Python number at run time though typed as an array: a
# loop's or a branch's value (`acc = 0.0`, then `acc = acc + x`), a tape's or a tuple's
# item, a constant, a call's result
_MAYBE_NUMBER = frozenset(
    {
        "if",
        "for",
        "while",
        "pop",
        "getitem",
        "call",
        "call_vjp",
        "call_back",
        "extern",
        "const",
        "gate",
        "list_get",
        "list_sum",
    }
)


def maybe_number(ex, v, depth=0):
    """v may be a Python number when the code runs (not provably an array): Python
    arithmetic of such values is one too (`0.5 * sum(xs)` of an empty list)."""
    t = v.type
    if t.kind != "array":
        return False
    if t.weak:
        return True
    if v in ex.params:
        return False
    d = ex.defs.get(v)
    if d is None or d.opcode in _MAYBE_NUMBER:  # (None: a region's argument)
        return True
    return (
        OPS[d.opcode].form[0] in ("binop", "unop", "cmp")
        and depth < 8
        and all(maybe_number(ex, u, depth + 1) for u in d.operands)
    )


def _operand(ex, op, i, arg, args):
    """Operand i of op as the standard's function takes it: a Python number where an
    array is wanted (its first operand, but for creation functions; one of where's
    two values when both are numbers) as an array; a number of another kind than the
    result (a boolean mask times floats) cast to the result's dtype."""
    from .codegen import _call

    t = op.operands[i].type
    if _mixed(op, i):
        if _result_dtype(op) is not None:
            if maybe_number(ex, op.operands[i]):  # (a Python bool or int)
                arg = _call("xp.asarray", [arg])
            return _call("xp.astype", [arg, dtype(_result_dtype(op))])
        other = args[1 - i]  # (the other operand's dtype, at run time, when it is a
        return _call(
            "xp.astype",
            [
                arg,
                ast.Attribute(
                    value=other,
                    attr="dtype",  # name)
                    ctx=ast.Load(),
                )
                if isinstance(other, ast.Name) and not op.operands[1 - i].type.weak
                else dtype("float64"),
            ],
        )
    if op.opcode in ("take", "take_along_axis") and i == 1 and t.kind in ("tuple", "list"):
        return _call("xp.asarray", [arg])  # (indices given as a list)
    if (
        i == 0
        and t.kind in ("tuple", "list", "dynlist")
        and OPS[op.opcode].form[0] == "call"
        and not OPS[op.opcode].sequence
        and not op.opcode.startswith("list_")
    ):
        # (np.zeros_like(xs) of a list: the array NumPy makes of it)
        return _call("xp.stack" if _holds_array(t) else "xp.asarray", [arg])
    wrap = (
        i == 0
        and op.opcode not in _CREATION
        or op.opcode == "where"
        and i == 1
        and op.operands[2].type.weak
    )
    if wrap and maybe_number(ex, op.operands[i]) and OPS[op.opcode].form[0] == "call":
        dt, want = t.dtype, _result_dtype(op)  # (np.sqrt(2): a float array of 2)
        if (
            OPS[op.opcode].elementwise
            and want
            and _kind(want) in "fc"
            and _kind(dt) in "bi"
            and op.opcode != "where"
        ):
            dt = want
        return _call("xp.asarray", [arg], [("dtype", dtype(dt))] if dt else [])
    return arg


# ---- ops as the standard writes them ------------------------------------------------


def op_expr(ex, op, args, attrs):
    """The expression of op (not spelled as the NumPy module spells it) in the array API."""
    from .codegen import _known_array

    d = OPS[op.opcode]
    form = d.xp
    if form is None:
        refuse_op(op)
    if d.fast == "newaxis" and d.form[0] == "call" and _known_array(op.operands[0].type):
        return getattr(ex, "_fast_" + d.fast)(op, d, args, attrs)  # a.shape, a[:, None]
    args = [_operand(ex, op, i, a, args) for i, a in enumerate(args)]
    if d.form[0] in ("binop", "unop"):  # (a boolean operand cast: is_same)
        from .codegen import _AST_BINOP, _AST_UNOP, _call

        if _bool_op(op):
            return _call(_bool_op(op), args)
        if d.form[0] == "unop":
            return ast.UnaryOp(op=_AST_UNOP[d.form[1]](), operand=args[0])
        return ast.BinOp(left=args[0], op=_AST_BINOP[d.form[1]](), right=args[1])
    if form[0] == "special":
        return globals()["xp_" + op.opcode](ex, op, args, attrs)
    _check_call(op, attrs)
    _check_take(op, attrs)
    if op.opcode in ("max", "min") and attrs.get("initial") is not None:  # (the standard's
        from .codegen import _call, literal  # max has no initial=: the larger of the two)

        rest = {k: v for k, v in attrs.items() if k != "initial"}
        reduced = _call_form(op, d, args, rest, form[1], dict(form[2]))
        pair = "xp.maximum" if op.opcode == "max" else "xp.minimum"
        kind = op.results[0].type.dtype
        initial = _call(
            "xp.asarray", [literal(attrs["initial"])], [("dtype", dtype(kind))] if kind else []
        )
        return _call(pair, [reduced, initial])
    return _call_form(op, d, args, attrs, form[1], dict(form[2]))


def _check_call(op, attrs):
    """What NumPy's function does that the standard's of that name does not."""
    if (
        op.opcode in ("cumsum", "cumprod")
        and attrs.get("axis") is None
        and op.operands[0].type.rank != 1
    ):
        refuse(
            op,
            f"np.{op.opcode} without an axis (it flattens the array)",
            hint=f"give the axis (np.{op.opcode}(a, axis=0)), or flatten first "
            "(np.reshape(a, (-1,)))",
        )


def _check_take(op, attrs):
    if op.opcode == "take" and attrs.get("axis") is None and op.operands[0].type.rank != 1:
        refuse(
            op,
            "np.take without an axis (it flattens the array)",
            hint="give the axis (np.take(a, idx, axis=0))",
        )


def _call_form(op, d, args, attrs, name, renames):
    from .codegen import _call, literal

    if d.listed:
        args = [ast.List(elts=args, ctx=ast.Load())]
    keywords = [
        (renames.get(k, k), dtype(attrs[k]) if k == "dtype" and attrs[k] else literal(attrs[k]))
        for k in d.kwattrs
        if k in attrs
        if renames.get(k, k) is not None
    ]
    # (an attribute renamed None is positional in the standard: xp.tile(x, reps))
    positional = [
        literal((attrs[k],) if k == "reps" and isinstance(attrs[k], int) else attrs[k])
        for k, _ in op.attrs  # (xp.tile takes a tuple)
        if k not in d.kwattrs or k in renames and renames[k] is None
    ]
    args = positional + args if d.attrs_first else args + positional
    return _call(name, args, keywords)


def _rank(op, what):
    r = op.operands[0].type.rank if op.operands[0].type.kind == "array" else None
    if r is None:
        refuse(
            op,
            f"{what} of an array of unknown rank",
            hint="the array API needs the axes spelled out: give the array a known rank "
            "(a signature like 'x: float64[n, k]')",
        )
    return r


def _permute(a, axes):
    from .codegen import _call, literal

    return _call("xp.permute_dims", [a, literal(tuple(axes))])


def xp_T(ex, op, args, attrs):
    """a.T: the standard's `.T` is for matrices; a vector or a scalar is itself, a
    higher rank its axes reversed."""
    r = _rank(op, ".T")
    if r == 2:
        return ast.Attribute(value=args[0], attr="T", ctx=ast.Load())
    if r < 2:
        return args[0]
    return _permute(args[0], reversed(range(r)))


def xp_transpose(ex, op, args, attrs):
    r = _rank(op, "np.transpose")
    axes = attrs.get("axes")
    axes = reversed(range(r)) if axes is None else (a % r for a in axes)
    return _permute(args[0], axes)


def xp_squeeze(ex, op, args, attrs):
    """np.squeeze without an axis: the axes of size 1, which the standard needs named."""
    from .codegen import _call, literal

    axis = attrs.get("axis")
    if axis is None:
        shape = op.operands[0].type.shape
        if shape is None:
            refuse(
                op,
                "np.squeeze without an axis, of an array of unknown shape",
                hint="give the axis: np.squeeze(a, axis=0)",
            )
        axis = tuple(k for k, n in enumerate(shape) if n == 1)
    return _call("xp.squeeze", [args[0]], [("axis", literal(axis))])


def xp_sum_where(ex, op, args, attrs):
    """np.sum(a, where=mask): the standard's sum has no where=; the sum of the kept
    elements, the others zeros."""
    from .codegen import _call, literal

    a, mask = args
    kept = _call("xp.where", [mask, a, _call("xp.zeros_like", [a])])
    keywords = [(k, literal(attrs[k])) for k in ("axis", "keepdims") if k in attrs]
    if attrs.get("dtype"):
        keywords.append(("dtype", dtype(attrs["dtype"])))
    return _call("xp.sum", [kept], keywords)


def xp_astype(ex, op, args, attrs):
    from .codegen import _call

    return _call("xp.astype", [args[0], dtype(attrs["dtype"])])


def _cast(ex, op, args, name):
    from .codegen import _call

    t = op.operands[0].type
    if t.kind == "array" and not t.weak:
        return _call("xp.astype", [args[0], dtype(name)])
    if t.kind == "array" and name == "float64":
        return _call("float", args)  # (a Python number: nothing is computed)
    refuse(op, f"np.{name} of a {t}", hint="cast an array: xp.astype(a, xp.float64)")


def xp_float64(ex, op, args, attrs):
    return _cast(ex, op, args, "float64")


def xp_float32(ex, op, args, attrs):
    return _cast(ex, op, args, "float32")


def xp_array(ex, op, args, attrs):
    """np.array(a): a new array (xp.asarray copies an array only when asked); of a
    list of arrays, xp.stack of them (the standard's asarray takes no nested arrays)."""
    from .codegen import _call, literal

    keywords = [("dtype", dtype(attrs["dtype"]))] if attrs.get("dtype") else []
    if op.operands[0].type.kind in ("tuple", "list") and _holds_array(op.operands[0].type):
        stacked = _call("xp.stack", args)
        return _call("xp.astype", [stacked, keywords[0][1]]) if keywords else stacked
    if op.operands[0].type.kind == "array" and not op.operands[0].type.weak:
        keywords.append(("copy", literal(True)))
    return _call("xp.asarray", args, keywords)


def xp_copy(ex, op, args, attrs):
    from .codegen import _call, literal

    return _call("xp.asarray", args, [("copy", literal(True))])


def xp_dot(ex, op, args, attrs):
    """np.dot of vectors and matrices is a @ b; the standard has no np.dot."""
    ranks = [
        v.type.rank if v.type.kind == "array" and not v.type.weak else None for v in op.operands
    ]
    if not all(r in (1, 2) for r in ranks):
        refuse(
            op,
            "np.dot of arrays that are not known vectors or matrices",
            hint="write a @ b (or a * b for a scalar)",
        )
    return ast.BinOp(left=args[0], op=ast.MatMult(), right=args[1])


def xp_shape(ex, op, args, attrs):
    """a.shape; of a value that may be a Python number, `getattr(v, 'shape', ())` (what
    np.shape gives for both)."""
    from .codegen import _call, _name, literal

    t = op.operands[0].type
    if t.kind != "array":
        refuse_op(op)
    if t.weak:
        return literal(())
    if maybe_number(ex, op.operands[0]):
        return _call(_name("getattr"), [args[0], literal("shape"), literal(())])
    return ast.Attribute(value=args[0], attr="shape", ctx=ast.Load())


def xp_size(ex, op, args, attrs):
    from .codegen import _call, _name, literal

    t = op.operands[0].type
    if t.kind != "array":
        refuse_op(op)
    if t.weak:
        return literal(1)
    if maybe_number(ex, op.operands[0]):
        return _call(_name("getattr"), [args[0], literal("size"), literal(1)])
    return ast.Attribute(value=args[0], attr="size", ctx=ast.Load())


def xp_pyfloat(ex, op, args, attrs):
    """float(v) of a Python number; of an array it would compute it (a Dask array's
    graph run where the gradient is built), which array-API code never does."""
    from .codegen import _call

    if op.operands[0].type.weak:
        return _call("float", args)
    if (op.tag or "").startswith("out"):  # a gradient handed back for a number: the
        return args[0]  # 0-d array, in its library
    refuse(
        op,
        "float() or .item() of an array value (it computes the array: a Dask "
        "input would be computed, not given back lazily)",
        hint="keep the value an array (a 0-d array works wherever a number does)",
    )


def xp_unbroadcast(ex, op, args, attrs):
    from .codegen import _call, _name

    return _call("_unbroadcast", [_name("xp")] + args)


def xp_linear_scan(ex, op, args, attrs):
    from .codegen import _call, _name, literal

    keywords = [("axis", literal(attrs["axis"]))]
    if attrs.get("reverse"):
        keywords.append(("reverse", literal(True)))
    return _call("_linear_scan", [_name("xp")] + args, keywords)


def _holds_array(t):
    """t is, or is a sequence holding, an array (not only Python numbers)."""
    if t.kind in ("tuple", "list", "dynlist"):
        return any(_holds_array(i) for i in t.items or ())
    return t.kind == "array" and not t.weak


def xp_reshape(ex, op, args, attrs):
    """xp.reshape(a, shape), the shape a tuple (np.reshape(a, -1) is a's items)."""
    from .codegen import _call

    shape = args[1]
    if op.operands[1].type.kind == "array":  # (one int: a tuple of it)
        shape = ast.Tuple(elts=[shape], ctx=ast.Load())
    return _call("xp.reshape", [args[0], shape])


def xp_full(ex, op, args, attrs):
    """np.full(shape, v): xp.full of a Python number; of an array v, its copy broadcast
    to the shape (the standard's full takes a Python number)."""
    from .codegen import _call, literal

    keywords = [("dtype", dtype(attrs["dtype"]))] if attrs.get("dtype") else []
    if op.operands[1].type.weak:
        return _call("xp.full", args, keywords)
    value = _call("xp.broadcast_to", [args[1], args[0]])
    if keywords:
        value = _call("xp.astype", [value, keywords[0][1]])
    return _call("xp.asarray", [value], [("copy", literal(True))])


def xp_full_like(ex, op, args, attrs):
    from .codegen import _call, literal

    keywords = [("dtype", dtype(attrs["dtype"]))] if attrs.get("dtype") else []
    if op.operands[1].type.weak:
        return _call("xp.full_like", args, keywords)
    shape = ast.Attribute(value=args[0], attr="shape", ctx=ast.Load())
    value = _call("xp.broadcast_to", [args[1], shape])
    value = _call(
        "xp.astype",
        [
            value,
            keywords[0][1]
            if keywords
            else ast.Attribute(value=args[0], attr="dtype", ctx=ast.Load()),
        ],
    )
    return _call("xp.asarray", [value], [("copy", literal(True))])


def xp_list_array(ex, op, args, attrs):
    from .codegen import _call

    return _call("xp.stack", args)


def xp_list_concat(ex, op, args, attrs):
    from .codegen import _call

    return _call("xp.concat", args[:1])


def xp_list_rows(ex, op, args, attrs):
    """list_rows(g, n): g as n rows, `xp.broadcast_to(g, (n,) + g.shape)`."""
    from .codegen import _call

    g = args[0]
    if op.operands[0].type.weak:
        g = _call("xp.asarray", [g])
    shape = ast.BinOp(
        left=ast.Tuple(elts=[args[1]], ctx=ast.Load()),
        op=ast.Add(),
        right=ast.Attribute(value=g, attr="shape", ctx=ast.Load()),
    )
    return _call("xp.broadcast_to", [g, shape])


def take(op, args):
    """x[idx] of one integer array or list idx: `xp.take(x, idx, axis=0)` (the standard's
    indexing takes integer arrays only beside integers); None for another key."""
    from .codegen import _call, literal
    from .ir import indexing as I

    key, dyn = op.attr("key"), op.operands[1:]
    items = I.resolve(key, [v.type for v in dyn])
    if len(items) != 1 or items[0].kind != "array" or len(dyn) != 1:
        return None
    idx = args[1]
    if dyn[0].type.kind in ("tuple", "list"):
        idx = _call("xp.asarray", [idx])
    return _call("xp.take", [args[0], idx], [("axis", literal(0))])


def scatter_add(op, y, v, idx):
    """index_add(y, v, idx) where positions may repeat (NumPy's np.add.at(y, idx, v)), for
    one integer array or list idx on the first axis: the standard has no scatter-add, so
    the rows are added by a product with the one-hot matrix of idx,
    `y + xp.reshape(onehot.T @ xp.reshape(v, (m, -1)), y.shape)` (memory m x len(y));
    refused for another key."""
    from .codegen import _call, literal
    from .ir import indexing as I

    key, dyn = op.attr("key"), op.operands[2:]
    items = I.resolve(key, [t.type for t in dyn])
    y_t, v_t = op.operands[0].type, op.operands[1].type
    if (
        idx is None
        or len(items) != 1
        or items[0].kind != "array"
        or y_t.rank is None
        or v_t.kind != "array"
        or v_t.weak
        or v_t.rank != y_t.rank
    ):
        refuse(
            op,
            "a write adding at positions that may repeat (np.add.at) with this key",
            hint="index with one integer array on the first axis (x[idx]), or emit the "
            "NumPy module (without --xp)",
        )
    positions = _call("xp.asarray", [idx])
    n = ast.Subscript(
        value=ast.Attribute(value=y, attr="shape", ctx=ast.Load()), slice=literal(0), ctx=ast.Load()
    )
    wrapped = ast.BinOp(left=positions, op=ast.Mod(), right=n)  # (negative positions)
    onehot = ast.Compare(
        left=ast.Subscript(
            value=wrapped,
            slice=ast.Tuple(elts=[ast.Slice(), literal(None)], ctx=ast.Load()),
            ctx=ast.Load(),
        ),
        ops=[ast.Eq()],
        comparators=[_call("xp.arange", [n])],
    )
    rows = _call(
        "xp.reshape",
        [
            v,
            ast.Tuple(
                elts=[
                    ast.Subscript(
                        value=ast.Attribute(value=v, attr="shape", ctx=ast.Load()),
                        slice=literal(0),
                        ctx=ast.Load(),
                    ),
                    literal(-1),
                ],
                ctx=ast.Load(),
            ),
        ],
    )
    summed = ast.BinOp(
        left=ast.Attribute(
            value=_call(
                "xp.astype", [onehot, ast.Attribute(value=v, attr="dtype", ctx=ast.Load())]
            ),
            attr="T",
            ctx=ast.Load(),
        ),
        op=ast.MatMult(),
        right=rows,
    )
    shaped = _call("xp.reshape", [summed, ast.Attribute(value=y, attr="shape", ctx=ast.Load())])
    return ast.BinOp(left=y, op=ast.Add(), right=shaped)


def copy_expr(value):
    """A copy of an array before a write into it: `xp.asarray(y, copy=True)`."""
    from .codegen import _call, literal

    return _call("xp.asarray", [value], [("copy", literal(True))])
