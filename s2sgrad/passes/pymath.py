"""Python floats for Python floats: `np.sin(x)` of a float64 scalar is written
`math.sin(x)`, and another NumPy function of float64 scalars whose result arithmetic
reads, `float(np.cosh(x))`, where that changes nothing.

On a Python float, `np.sin` costs a ufunc call and returns a NumPy float64, which
makes every operation after it slow too; `math.sin` returns NumPy's value as a
Python float, where it gives one (`OPS[op].math`). Where it raises instead (NumPy
gives inf or nan), the function gives what its NumPy twin gives: codegen writes the
function's body in a `try` and the twin, the same code with NumPy's functions, after
it (so a function with a random generator, whose draws a second run would repeat
differently, gets no math that may raise). `float()` of NumPy's value is that value.
Most math functions may round differently from NumPy's on some machine (`math_rounds`:
NumPy's own SIMD loops, tanh on AVX2, exp, log and others on AVX-512): such a one is
used only where the function's result does not depend on it, which `Function.exact`
says (a gradient's value may round as the chain rule's products do; a returned value
is NumPy's bit for bit, on every machine).

The value is the same; its type is not, and Python floats behave differently from
NumPy's in three ways: `/`, `//`, `%` by zero and `**` overflowing raise (NumPy gives
inf or nan); a float64 scalar promotes a float32 array to float64 (a Python float
does not); and the type is visible where the value leaves (returned, yielded by a
loop or branch, stored, compared). So an op is marked (attribute `python`: 'math' or
'float', which codegen prints) only when every value that may be a Python float
because of it -- its result, and what +, -, * and unary -/+ make of that with other
scalars -- is read only where a Python float and a NumPy float64 give the same result:
+, -, * with a float64 operand; / by a nonzero constant; /, //, %, ** with a float64
array or a value NumPy made (so NumPy's operator runs, whichever side it is on:
np.float64 subclasses float); NumPy's elementwise functions of float64 operands;
float(). Anything else reading one of those values unmarks the ops it comes from
(to a fixpoint). Then `float(v)` of a v that is a Python float for sure (a Python
float parameter, a constant, a marked op, Python arithmetic of those) is marked
'same': v itself. The IR types do not change: the value is the float64 the types say.
"""

from ..ir.core import Region, make_attrs
from ..ir.opcodes import OPS

_PROPAGATE = frozenset({"add", "sub", "mul", "neg", "pos"})  # float op float: a float
_BY_ARRAY = frozenset({"div", "pow", "mod", "floordiv"})  # safe with NumPy's operand


def run(fn):
    ops = list(fn.body.walk())
    users, left = {}, set(fn.body.yields)
    for op in ops:
        for i, v in enumerate(op.operands):
            users.setdefault(v, []).append((op, i))
        for r in op.regions:
            left.update(r.yields)
    defs = {r: op for op in ops for r in op.results}
    rerun = not any(v.type.kind == "rng" for op in ops for v in op.operands + op.results)
    exact = exact_ops(fn, defs)
    spelled = {op: _spelling(op, users, _allowed(op, exact, rerun)) for op in ops}
    chosen = {op for op, how in spelled.items() if how}
    if not chosen:
        return fn
    strong = {p for p in fn.params if _f64_scalar(p.type) and not p.type.weak}
    while chosen:
        floats, numpy_ = _kinds(ops, chosen, strong)
        bad = set()
        for v, sources in floats.items():
            if v in left or not all(_same(op, i, defs, numpy_) for op, i in users.get(v, ())):
                bad |= sources
        if not bad:
            break
        chosen -= bad
    if not chosen:
        return fn
    marks = {op: spelled[op] for op in chosen}
    marks.update(dict.fromkeys(_same_floats(fn, ops, chosen, defs), "same"))
    return fn.with_body(_marked(fn.body, marks))


def _allowed(op, exact, rerun):
    """Whether op may be written with math here (if it has a math twin): math's value
    is NumPy's, or op's value reaches nothing that must be NumPy's; and where math may
    raise, the function may be run again as its NumPy twin."""
    d = OPS[op.opcode]
    return bool(d.math) and (not d.math_rounds or op not in exact) and (rerun or not d.math[1])


def exact_ops(fn, defs):
    """The ops whose values what the function returns of `Function.exact` depends on
    (with every op inside a loop or branch among them): those must compute NumPy's
    value bit for bit (also passes/loop_stack.py's question)."""
    roots = list(fn.body.yields)
    if fn.exact is not None:
        roots = []
        for path in fn.exact:
            v = fn.body.yields[0]
            for k in path:
                op = defs.get(v)
                if op is None or op.opcode != "tuple":
                    return set(defs.values())  # (not the shape expected: all of it)
                v = op.operands[k]
            roots.append(v)
    seen, todo = set(), [defs[v] for v in roots if v in defs]
    while todo:
        op = todo.pop()
        if op in seen:
            continue
        seen.add(op)
        todo.extend(defs[v] for v in op.operands if v in defs)
        for r in op.regions:
            for inner in r.walk():
                todo.append(inner)
            todo.extend(defs[v] for v in r.yields if v in defs)
    return seen


def _same_floats(fn, ops, chosen, defs):
    """The `float(v)` ops whose v is a Python float for sure once `chosen` is marked: a
    Python float parameter, a Python number constant, a marked op's result, and +, -,
    *, /, unary -/+ of those (Python's float arithmetic; at least one operand a float)."""
    sure = {p for p in fn.params if _f64_scalar(p.type) and p.type.weak}
    numbers = set()
    same = []
    for op in ops:
        if len(op.results) != 1 or op.regions:
            continue
        r = op.results[0]
        if op.opcode == "const":
            c = op.attr("value")
            if type(c) is float:
                sure.add(r)
            elif type(c) is int:
                numbers.add(r)
        elif op in chosen:
            sure.add(r)
        elif op.opcode in _PROPAGATE or op.opcode == "div":
            if all(v in sure or v in numbers for v in op.operands) and any(
                v in sure for v in op.operands
            ):
                sure.add(r)
        elif op.opcode == "pyfloat" and op.operands[0] in sure:
            same.append(op)
            sure.add(r)
    return same


def _f64_scalar(t):
    return t.kind == "array" and t.dtype == "float64" and t.shape == ()


def _spelling(op, users, math_allowed):
    """'math' or 'float' for a NumPy function of float64 scalars to be written as one
    of a Python float (if what reads it allows), else None: 'float' only where an
    operator reads the result (a NumPy function reading it would not gain)."""
    d = OPS[op.opcode]
    if (
        len(op.results) != 1
        or not _f64_scalar(op.results[0].type)
        or not all(_f64_scalar(v.type) for v in op.operands)
    ):
        return None
    if math_allowed:
        return "math"
    if (
        d.elementwise
        and d.form[0] == "call"
        and d.form[1].startswith("np.")
        and any(
            u.opcode in _PROPAGATE or u.opcode in _BY_ARRAY for u, _ in users.get(op.results[0], ())
        )
    ):
        return "float"
    return None


def _kinds(ops, chosen, strong):
    """({value that may be a Python float where the source has a NumPy float64: the
    marked ops it comes from}, {scalar that is a NumPy float64 (or 0-d array) for sure:
    made by a NumPy function, a strong parameter, or an operator given one}), in
    program order. (A loop's or a branch's result is neither: its type joins its
    paths', which Python may not.)"""
    floats, numpy_ = {}, set(strong)
    for op in ops:
        if len(op.results) != 1 or op.regions:
            continue
        r = op.results[0]
        if op in chosen:
            floats[r] = {op}
        elif op.opcode in _PROPAGATE or op.opcode in _BY_ARRAY:
            if any(v in numpy_ for v in op.operands):  # NumPy's operator, either side
                numpy_.add(r)
            else:
                sources = set().union(*(floats[v] for v in op.operands if v in floats))
                if sources and r.type.shape in ((), None):  # (not an array)
                    floats[r] = sources
        elif OPS[op.opcode].form[0] == "call" and OPS[op.opcode].form[1].startswith("np."):
            numpy_.add(r)
    return floats, numpy_


def _same(op, i, defs, numpy_):
    """True when op reading a Python float as its operand i gives what it gives
    reading a NumPy float64 of that value (the module docstring's list)."""
    others = [v for k, v in enumerate(op.operands) if k != i]
    d = OPS[op.opcode]
    if op.opcode in _PROPAGATE:
        return all(v.type.dtype == "float64" for v in others)
    if op.opcode == "div" and i == 0 and _nonzero_const(op.operands[1], defs):
        return True
    if op.opcode in _BY_ARRAY:
        return all(v.type.dtype == "float64" and (v in numpy_ or v.type.shape) for v in others)
    if d.elementwise and d.form[0] == "call" and d.helper is None:
        return all(v.type.kind == "array" and v.type.dtype == "float64" for v in op.operands)
    return op.opcode == "pyfloat"


def _nonzero_const(v, defs):
    op = defs.get(v)
    if op is None or op.opcode != "const":
        return False
    c = op.attr("value")
    return type(c) in (int, float) and c != 0


def _marked(region, chosen):
    ops = []
    for op in region.ops:
        if op in chosen:
            op = op.replace(attrs=make_attrs({**op.attr_dict, "python": chosen[op]}))
        elif op.regions:
            op = op.replace(regions=tuple(_marked(r, chosen) for r in op.regions))
        ops.append(op)
    return Region(region.args, tuple(ops), region.yields)
