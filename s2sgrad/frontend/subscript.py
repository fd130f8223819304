"""Lowering subscripts: reads `x[key]` and writes `y[key] = v`, `y[key] += v`.

A read is one `index` op (ir/indexing.py describes its key). A write is
functional in the IR: `y[i] = v` makes `y_1 = setitem(y, v, i)` and rebinds
`y`; codegen writes it back in place when nothing can tell the difference.

Python names are references, SSA values are not, so a write must also reach
every other name that sees the same memory, as it does in Python: `b = a`
(the same array) and views (`r = a[1:]`, `a.T`, `a[None]`). Those names are
rebound to the same view of the written array. A write through a view
(`r = a[1:]; r[0] = v`) writes `a` and re-derives `r`. What cannot be followed
is refused, never approximated: writing through a reshape, cast or transpose,
or an alias whose sharing depends on memory layout (`np.reshape` copies when
it must). A parameter is written on a copy: the caller's array never changes
(docs/contract.md).
"""

import gast
import numpy as np

from ..errors import InvalidArgumentError
from ..ir import indexing as I
from ..ir import opcodes
from ..ir.core import TEMP_HINTS, Region, Value, def_map
from .shared import MaybeUnbound, _scan, add_at_target

# ---- keys ---------------------------------------------------------------------------


def parse_key(lw, node, base):
    """(key, dyn operands) of the subscript `node` of the array value `base`."""
    sl = node.slice
    if isinstance(sl, gast.Tuple):
        parts = [(e, _SYNTAX) for e in sl.elts]
    elif isinstance(sl, gast.Slice) or _is_ellipsis(sl):
        parts = [(sl, _SYNTAX)]
    else:
        val = lw.expr(sl)
        if isinstance(val, tuple):  # a tuple held in a variable: one item per axis
            parts = [(sl, v) for v in val]
        else:
            parts = [(sl, val)]
    key, dyn = [], []
    for e, val in parts:
        key.append(_item(lw, e, val, dyn))
    key = tuple(key)
    problem = I.check(base.type, key, [d.type for d in dyn])
    if problem:
        raise InvalidArgumentError(
            problem, loc=lw.p.loc(node), hint="index at most one position per axis of the array"
        )
    return key, dyn


_SYNTAX = object()


def _is_ellipsis(node):
    return isinstance(node, gast.Constant) and node.value is Ellipsis


def _item(lw, node, val, dyn):
    if val is _SYNTAX:
        if _is_ellipsis(node):
            return I.ELLIPSIS
        if isinstance(node, gast.Slice):
            return tuple(_bound(lw, b, dyn) for b in (node.lower, node.upper, node.step))
        val = lw.expr(node)
    from .shared import _MISSING, Static

    if isinstance(val, Static):
        if val.value is None:
            return None
        _bad_index(lw, node, "this is not an index")
    s = lw.static_of(val)
    if s is None:
        return None
    if isinstance(s, bool):
        _bad_index(
            lw,
            node,
            "a bool is not an index here",
            "index with ints, slices, integer arrays or a boolean mask array",
        )
    if isinstance(s, int):
        return s
    if s is not _MISSING and not isinstance(s, (list, tuple)):
        _bad_index(
            lw,
            node,
            f"an index must be an integer, not {type(s).__name__}",
            "convert it: int(i), or i.astype(int) for an array",
        )
    if s is not _MISSING and not _int_sequence(s):
        _bad_index(
            lw,
            node,
            "an index list must hold ints (or bools, a mask)",
            "index with ints, slices, integer arrays or a boolean mask array",
        )
    v = lw.to_value(val, node)
    t = v.type
    if t.kind == "array":
        if t.dtype is not None and t.dtype != "bool" and not t.is_integer:
            _bad_index(
                lw,
                node,
                f"an index must be an integer or boolean array, not {t}",
                "convert it: i.astype(int), or compare to make a mask (x > 0)",
            )
        if t.dtype == "bool" and t.shape == ():
            _bad_index(
                lw,
                node,
                "a scalar bool is not an index here",
                "index with a boolean mask array, or branch on the bool",
            )
    elif t.kind not in ("tuple", "list"):
        _bad_index(lw, node, f"a {t.kind} is not an index", "index with ints, slices or arrays")
    dyn.append(v)
    return I.DYN


def _int_sequence(s):
    return all(_int_sequence(x) if isinstance(x, (list, tuple)) else isinstance(x, int) for x in s)


def _bound(lw, node, dyn):
    if node is None:
        return None
    from .shared import _MISSING

    val = lw.expr(node)
    s = lw.static_of(val)
    if s is None or (isinstance(s, int) and not isinstance(s, bool)):
        return s
    if s is _MISSING:
        v = lw.to_value(val, node)
        if (
            v.type.kind == "array"
            and v.type.shape in ((), None)
            and (v.type.dtype is None or v.type.is_integer and v.type.dtype != "bool")
        ):
            dyn.append(v)
            return I.DYN
    _bad_index(lw, node, "a slice bound must be an integer", "write int(...) or an int expression")


def _bad_index(lw, node, what, hint="index with ints, slices, None, ..., integer arrays or masks"):
    raise InvalidArgumentError(what, loc=lw.p.loc(node), hint=hint)


# ---- reads ---------------------------------------------------------------------------


def read(lw, node, base):
    """`base[key]` as an index op."""
    if base.type.weak:
        lw.unsupported(node, "a Python number cannot be indexed", "index arrays only")
    key, dyn = parse_key(lw, node, base)
    for d in dyn:
        t = d.type
        if (
            t.kind == "array"
            and not t.weak
            and t.shape == ()
            and t.dtype is not None
            and np.dtype(t.dtype).kind in "iu"
            and may_be_ndarray(lw.b, d)
        ):
            lw.unsupported(
                node,
                "this index may be a 0-d integer array (np.where, np.array of "
                "a number, a 0-d argument): NumPy indexes with it as with an array of "
                "indices (the result is a copy), not as with a number (a view of "
                "the array), and s2sgrad cannot tell which it is here",
                "index with a Python int (`k = 1 if c else 2`), an integer "
                "argument, or np.argmax/np.argmin of an array",
            )
    return lw.b.index(base, *dyn, key=key)


# ---- writes --------------------------------------------------------------------------


def write(lw, target, value, opname=None, node=None, accumulate=False):
    """Lower `target = value` for a subscript target (`opname`: the binop of
    `target op= value`, whose value may be a function lowering it, called after the key
    and the element are read, in Python's order; `accumulate`: np.add.at's write, value
    added at each index as often as it is named). Returns the value assigned."""
    node = node or target
    if not isinstance(target.value, gast.Name):
        lw.unsupported(
            target,
            "only a named array can be written into",
            "write `y[i, j] = v` rather than `y[i][j] = v`, or name the part first",
        )
    name = target.value.id
    cur = lw.env.get(name)
    if isinstance(cur, MaybeUnbound):  # (a name a loop bound, read after it: checked)
        cur = lw.name(target.value)
    if cur is None:
        lw.unsupported(
            target.value,
            f"{name!r} is not an array of the function",
            "write into arrays made in the function or passed to it",
        )
    if type(cur) is dict:
        lw.unsupported(
            target,
            f"{name!r} is a dict (a pytree): writing into it is not "
            "supported (in Python it would change the caller's dict too)",
            f"build a new dict: {name}2 = {{**{name}, 'key': value}}",
        )
    if not isinstance(cur, Value) or cur.type.kind != "array":
        lw.unsupported(
            target,
            f"{name!r} is not an array: writing into tuples, lists and other "
            "values is not supported",
            "build a new one, or use an array",
        )
    if cur.type.kind == "array" and not cur.type.weak and cur.type.shape is None:
        lw.unsupported(
            target,
            f"{name!r} has a rank s2sgrad cannot know here (np.squeeze, a "
            "reshape to a computed shape), and a write into it differs between a "
            "0-d array and a number",
            f"give {name!r} a known rank first "
            f"(`{name} = np.reshape({name}, (k,))` with literal sizes)",
        )
    if cur.type.weak:
        lw.unsupported(
            target,
            f"{name!r} is a scalar: writing into it is not supported",
            f"assign the new value: {name} = ...",
        )
    if cur.type.shape == ():
        lw.unsupported(
            target,
            f"{name!r} has no axes (a 0-d array, maybe a view of another "
            "array, or a NumPy scalar): writing into it is not supported",
            f"assign the new value ({name} = ...), or write into the array it "
            "came from (a[1, 2] = ...)",
        )
    key, dyn = parse_key(lw, target, cur)
    old = lw.b.index(cur, *dyn, key=key) if opname is not None else None
    if callable(value):  # (`y[k] op= v`: Python reads k and y[k] before v)
        value = value()
    if isinstance(value, (tuple, list)):
        lw.unsupported(
            node,
            "writing a tuple or list into an array is not supported",
            "write an array or a number (np.array([a, b]) builds one)",
        )
    v = lw.to_value(value, node)
    if v.type.kind != "array":
        lw.unsupported(
            node,
            f"writing a {v.type.kind} into an array is not supported",
            "write an array or a number",
        )
    if opname is not None:
        v = lw.binop(opname, old, v, node)
    _store(lw, target, name, cur, v, key, dyn, "index_add" if accumulate else "setitem")
    return value if opname is None else v


def check_caller_array(lw, node, name, cur):
    """Refuse a write, in a helper, into an array its caller owns: a parameter, or a
    view of one. Python would change the caller's array (its `y` after `h(y)`);
    the helper's IR is a function of its arguments, so the caller would not see it."""
    root = _chain(lw.b, cur)[0]
    if not lw.callee or root not in lw.params:
        return
    param = root.hint
    via = "" if name == param else f" (through {name!r}, which shares its memory)"
    lw.unsupported(
        node,
        f"{lw.p.node.name} writes into its parameter {param!r}{via}, an "
        "array that belongs to its caller; s2sgrad cannot make the caller see "
        "this write",
        f"copy it first (`{param} = {param}.copy()` at the top of "
        f"{lw.p.node.name}), or return the new array and assign it in the caller",
    )


def check_module_array(lw, node, name, cur):
    """Refuse a write into an array of the module (or of a bound method's object), or
    a view of one: Python would change the module's array for every later call; the
    generated module's copy of it is frozen."""
    if not lw.module_arrays:
        return
    hit = [lw.module_arrays[i] for i in _bases(lw.b, cur) if i in lw.module_arrays]
    if hit:
        const, what, _ = hit[0]
        via = "" if name == const else f" (through {name!r}, which shares its memory)"
        lw.unsupported(
            node,
            f"this writes into {what}{via}, which Python would change for "
            "every later call; s2sgrad freezes it when the function is transformed",
            f"write into a copy (`{name} = {const}.copy()`), or pass the array as an argument",
        )


def _store(lw, target, name, cur, v, key, dyn, how="setitem"):
    b = lw.b
    check_caller_array(lw, target, name, cur)
    check_module_array(lw, target, name, cur)
    bound = _bound_values(lw.env)
    root = _chain(b, cur)[0]
    members = [m for m in bound if _chain(b, m)[0] is root]
    chains = {m: _chain(b, m) for m in members}
    if cur not in chains and isinstance(lw.env.get(name), MaybeUnbound):
        _refuse_unbound_write(lw, target, name)
    _refuse_joined_aliases(lw, target, name, root, bound, members)
    # the deepest value every name that sees this memory derives from
    top = root
    for c in chains[cur]:
        if all(c in chains[m] for m in members):
            top = c
    path = chains[cur][chains[cur].index(top) :]
    for _, child in zip(path, path[1:]):
        op = b.defs[child]
        if op.opcode == "loop_index":  # (a flagged name read in another loop or branch)
            lw.unsupported(
                target,
                f"{name!r} holds the array of {op.attr('name')!r}, which a loop or only one "
                "branch of an `if` above may have left unbound, read inside another loop or "
                "branch: writing into it there is not supported",
                f"make {name!r} a copy (`{name} = {op.attr('name')}.copy()`), or assign "
                f"{op.attr('name')!r} before that loop or `if`",
            )
        if op.opcode != "index":
            lw.unsupported(
                target,
                f"{name!r} is a view made by {_what(op)}: writing through it is not supported",
                f"write into the array it comes from, or make "
                f"{name!r} a copy where it is made (`{name} = ....copy()`)",
            )
    for m in members:
        for _, child in zip(chains[m], chains[m][1:]):
            if chains[m].index(child) > chains[m].index(top) and _link(b, b.defs[child]) == "maybe":
                lw.unsupported(
                    target,
                    f"{_who(lw.env, m)} may or may not share memory with "
                    f"{name!r} ({_what(b.defs[child])} copies only when it must), so "
                    f"whether it sees this write depends on memory layout",
                    "make it a copy where it is made (`... .copy()`), or take it after the write",
                )
    # the write (np.add.at's: index_add), then back up through the views to `top`
    new = b.emit(how, cur, v, *dyn, key=key, hint=_hint(cur))
    for parent, child in reversed(list(zip(path, path[1:]))):
        op = b.defs[child]
        new = b.setitem(parent, new, *op.operands[1:], key=op.attr("key"), hint=_hint(parent))
    derived = {top: new}
    below = {c for m in members for c in chains[m][chains[m].index(top) + 1 :]}

    def derive(m):
        """m, taken again from the written array (m and the views between it and top)."""
        if m not in derived and m not in below:
            return m
        if m not in derived:  # (np.split: every section of the op at once)
            op = b.defs[m]
            n = len(op.results)
            out = b.emit(
                op.opcode,
                derive(op.operands[0]),
                *op.operands[1:],
                hint=m.hint,
                nresults=n,
                **op.attr_dict,
            )
            derived.update(zip(op.results, out if n > 1 else (out,)))
        return derived[m]

    here = {id(o) for o in b.ops}
    for n, val in list(lw.env.items()):
        if not _holds_any(val, members):
            continue
        if isinstance(val, MaybeUnbound):  # (its value and flag: not re-derived here)
            if n == name:
                _refuse_unbound_write(lw, target, name)
            lw.unsupported(
                target,
                f"{n!r} shares memory with {name!r} where it is bound (a loop or only one "
                f"branch of an `if` binds it), and s2sgrad cannot make {n!r} see this write",
                f"make {n!r} a copy where it is bound (`{n} = ....copy()`), or assign it "
                "before that loop or `if`",
            )
        if n != name:
            for m in members:
                op = b.defs.get(m)
                if _holds_any(val, [m]) and (op is None or id(op) not in here):
                    lw.unsupported(
                        target,
                        f"{n!r} shares memory with {name!r}, and s2sgrad "
                        f"cannot make {n!r} see this write here (it was bound "
                        "outside this loop or branch, or is another name for an "
                        "argument)",
                        f"make {n!r} a copy where it is made "
                        f"(`{n} = ....copy()`), or write into {name!r} before "
                        f"taking {n!r}",
                    )
        lw.env[n] = _replace(val, derive)


def _refuse_unbound_write(lw, target, name):
    """A write into a name a loop or one branch of an `if` may have left unbound (its
    value and a flag), inside another loop or branch: the written array would have to
    go back into the flagged value, which s2sgrad does not do."""
    lw.unsupported(
        target,
        f"{name!r} may be unbound here (a loop or only one branch of an `if` above binds "
        f"it, and nothing before), and this write into it is inside another loop or "
        "branch, which s2sgrad cannot carry back to it",
        f"assign {name!r} before that loop or `if` (`{name} = np.zeros_like(...)`), or "
        f"read it into a new name first (`{name}2 = {name}.copy()`)",
    )


def _refuse_joined_aliases(lw, target, name, root, bound, members):
    """Refuse the write when another name may share the written memory through a
    branch or a loop (`b = a` on one path of an `if`, or in an earlier
    iteration): its value is a join of several arrays, which a write cannot
    re-derive, and Python's answer depends on the path taken."""
    mine = _bases(lw.b, root)
    for u in bound:
        if any(u is m for m in members) or not (_bases(lw.b, u) & mine):
            continue
        n = _who(lw.env, u)
        if u.type.kind == "dynlist":
            lw.unsupported(
                target,
                f"the list {n} may hold {name!r} (it was appended to it, or "
                "read out of it), and Python's list would see this write into it; "
                "s2sgrad's lists hold their items' values",
                f"append a copy (`.append({name}.copy())`), or make {name!r} a new "
                f"array before writing (`{name} = {name} * 2.0`, not `{name} *= 2.0`)",
            )
        lw.unsupported(
            target,
            f"{n} may share memory with {name!r} (it was bound to it, or to "
            "a view of it, on one path of a branch or in an earlier iteration of a "
            "loop), and whether it sees this write depends on the path taken",
            f"make {n} a copy where it is bound (`... .copy()`)",
        )


def _bases(b, v, seen=None, defs=None):
    """The arrays v may be (or view): followed back through views, writes (the
    array written), branches' results and loops' results to what has no such link."""
    seen = set() if seen is None else seen
    defs = b.defs if defs is None else defs
    if id(v) in seen:
        return set()
    seen.add(id(v))
    op = defs.get(v)
    if op is None:
        init = b.origins.get(v)  # a loop's argument, while its body is lowered: the
        if init is not None:  # array it starts as (what comes back is checked after)
            return {id(v)} | _bases(b, init, seen, defs)
        return {id(v)}
    if isinstance(op, _Carried):
        loop, j = op.loop, op.k
        init = loop.operands[3 + j] if loop.opcode == "for" else loop.operands[j]
        return _bases(b, init, seen, defs) | _bases(b, loop.regions[-1].yields[j], seen, defs)
    if op.opcode == "call":  # what a helper returns may be an argument's array
        out = {id(v)}
        for k in op.attr("aliases", ()):
            out |= _bases(b, op.operands[k], seen, defs)
        return out
    kind = opcodes.memory(op)
    if kind == "holds" or op.opcode in ("getitem", "append", "list_get"):
        # a container holds its items' arrays (a list built with append, the item appended)
        out = {id(v)}
        for x in op.operands:
            out |= _bases(b, x, seen, defs)
        return out
    if opcodes.memory(op) == "write" or _link(b, op) != "copy":
        return _bases(b, op.operands[0], seen, defs)
    if op.opcode in ("if", "for", "while"):
        srcs, inner = _joined(op, v, defs)
        out = set()
        for x in srcs:
            out |= _bases(b, x, seen, inner)
        return out
    return {id(v)}


def _joined(op, v, defs):
    """(the values v, a result of `if`/`for`/`while` op, may be; defs with the
    regions' ops): a branch's yields, or a loop's initial value and what its
    body hands back (its region arguments as `_Carried`)."""
    k = next(i for i, r in enumerate(op.results) if r is v)
    if op.opcode == "if":
        srcs = [r.yields[k] for r in op.regions]
    else:
        srcs = [r.yields[k] for r in op.regions[-1:] if len(r.yields) > k]
        srcs.append(op.operands[3 + k] if op.opcode == "for" else op.operands[k])
    inner = dict(defs)  # the regions' ops (built by child builders) too
    for r in op.regions:
        inner.update(def_map(r))
        if op.opcode != "if":
            for j, a in enumerate(r.args[1:] if op.opcode == "for" else r.args):
                inner.setdefault(a, _Carried(op, j))
    return srcs, inner


_SCALAR_RESULT = frozenset(
    {
        "sum",
        "prod",
        "mean",
        "max",
        "min",
        "argmax",
        "argmin",
        "dot",
        "matmul",
        "float64",
        "float32",
        "pyfloat",
        "std",
        "var",
        "len",
    }
)


def may_be_ndarray(b, v, defs=None, seen=None):
    """True when v, a value of rank 0 (or of unknown rank), may be an ndarray rather
    than an immutable number: `v += 1` then writes into it, and `min(v, c)` hands it
    back itself. A Python number is not; nor is what a ufunc, an operator or a
    reduction returns (NumPy gives a new scalar), nor `x[i, j]` of every axis.
    A 0-d array view (`x[0, ...]`), a 0-d array made by np.zeros(()) or
    np.asarray, an argument, a loop's variable (followed to its first value) and
    anything else may be."""
    t = v.type
    if t.kind != "array" or t.weak:
        return False
    if t.shape is not None and t.shape != ():
        return True
    seen = set() if seen is None else seen
    met = _meet(b, v, defs, seen)
    if met is None:
        return False
    op, defs = met
    if op is None:
        if v in b.numbers:
            return False
        init = b.origins.get(v)
        return init is None or may_be_ndarray(b, init, defs, seen)
    if isinstance(op, _Carried):
        return True
    d = opcodes.OPS[op.opcode]
    if op.opcode == "where":  # np.where of numbers: a 0-d array, not a scalar
        return True
    if d.elementwise or d.form[0] in ("binop", "unop", "cmp") or op.opcode in _SCALAR_RESULT:
        return False
    if op.opcode == "index":
        return opcodes.memory(op) != "new"
    if op.opcode in opcodes.RNG_METHODS:  # a draw without a size: NumPy's number
        k = d.shape_operand
        size = defs.get(op.operands[k]) if k < len(op.operands) else None
        return k < len(op.operands) and not (
            size is not None and size.opcode == "const" and size.attr("value") is None
        )
    if op.opcode in ("if", "for", "while"):
        srcs, inner = _joined(op, v, defs)
        return any(may_be_ndarray(b, x, inner, seen) for x in srcs)
    if op.opcode == "const":
        return isinstance(op.attr("value"), np.ndarray)
    return True


def _meet(b, v, defs, seen):
    """A step of a walk back through what v may be: None when the walk met v
    already (a loop), else (the op defining v or None, the definitions to use)."""
    if id(v) in seen:
        return None
    seen.add(id(v))
    defs = b.defs if defs is None else defs
    return defs.get(v), defs


def maybe_number(b, v, defs=None, seen=None):
    """True when v may be a Python number on some path (`s = 1.0`, then `s = x * 2`
    in one branch): `s += a` rebinds it there and writes in place elsewhere."""
    if not isinstance(v, Value):
        return True
    if v.type.weak:
        return True
    seen = set() if seen is None else seen
    met = _meet(b, v, defs, seen)
    if met is None:
        return False
    op, defs = met
    if op is None:
        init = b.origins.get(v)
        return init is not None and maybe_number(b, init, defs, seen)
    if op.opcode in ("if", "for", "while"):
        srcs, inner = _joined(op, v, defs)
        return any(maybe_number(b, x, inner, seen) for x in srcs)
    return False


class _Carried:
    """A loop's region argument, as `_bases` follows it: the loop and which value."""

    def __init__(self, loop, k):
        self.loop, self.k, self.opcode = loop, k, None


def carried_aliases(lw, node, hints, args, ops, ys, written):
    """Refuse a loop whose carried variable may share memory, at the back edge, with
    another array (`b = a`, `x1 = x0`, a view of one) while the body writes in place
    into one of the names (`a[k] = v`, `a += v`): in the next iteration that write
    would have to reach the other name too, as it does in Python."""
    if not written and not lw.augmented:
        return
    defs = dict(lw.b.defs)
    defs.update(def_map(Region((), tuple(ops), ())))
    body_ops = _walk_set(ops)
    inside = {id(r) for o in body_ops for r in o.results} | {
        id(a) for o in body_ops for r in o.regions for a in r.args
    }
    bases = [_bases(lw.b, y, defs=defs) - inside - {id(a)} for a, y in zip(args, ys)]
    mine = [_bases(lw.b, a, defs=defs) | {id(a)} for a in args]
    by_name = set(written)
    through = _written_through(lw, body_ops, defs, hints, mine)
    written = by_name | through
    # `b = x; ...; b += v` (lowered as a new value when nothing else held b's array
    # then): in a later iteration x's array may be another name's (`x = y`)
    written |= {h for h, m in zip(hints, mine) if m & lw.augmented}

    def via(*names):  # a write under one other name: the message names it
        if any(n in by_name for n in names) or not any(n in through for n in names):
            return ""
        others = sorted(by_name - set(hints))
        return f" (through {others[0]!r})" if len(others) == 1 else ""

    for k in range(len(args)):  # two names carried as one array (`x1 = x0`)
        for j in range(k + 1, len(args)):
            if (hints[k] in written or hints[j] in written) and _one_array(
                lw.b, ys[k], ys[j], defs
            ):
                lw.unsupported(
                    node,
                    f"{hints[j]!r} and {hints[k]!r} may be one array when the "
                    "next iteration of this loop begins, and the loop writes into "
                    f"one of them in place{via(hints[j], hints[k])}, which would have "
                    "to reach the other too",
                    f"make one a copy where it is bound (`{hints[j]} = ....copy()`), "
                    f"or write `{hints[k]} = {hints[k]} + v` instead of `+=`",
                )
    for k, other in enumerate(bases):
        if not other:
            continue
        partners = [hints[j] for j in range(len(args)) if j != k and mine[j] & other]
        outer = [
            n
            for n, v in lw.env.items()
            if n not in hints
            and any(_bases(lw.b, m, defs=defs) & other for m in _bound_values({n: v}))
        ]
        if hints[k] in written or any(p in written for p in partners):
            partners += outer
            with_ = f" with {partners[0]!r}" if partners else ""
            lw.unsupported(
                node,
                f"{hints[k]!r} may share memory{with_} when the next iteration "
                "of this loop begins (it was bound to another array or a view of one), "
                f"and the loop writes into it in place{via(hints[k], *partners)}, which "
                "would have to reach the other name too",
                f"make it a copy where it is bound "
                f"(`{hints[k]} = ....copy()`), or write `{hints[k]} = {hints[k]} + v` "
                "instead of `+=`",
            )


def _written_through(lw, body_ops, defs, hints, mine):
    """The carried names whose array a write in the body reaches, under their own
    name or another
    (`b = x; x = g(x); b[k] = v` writes into the array x carried in), nested loops'
    carried values followed back to what they started from."""
    full = dict(defs)
    for o in body_ops:
        for r in o.regions:
            full.update(def_map(r))
            if o.opcode in ("for", "while"):
                for j, a in enumerate(r.args[1:] if o.opcode == "for" else r.args):
                    full.setdefault(a, _Carried(o, j))
    out = set()
    for o in body_ops:
        if opcodes.memory(o) == "write" and o.opcode != "append":
            # (an append changes a list, not the arrays it holds)
            reached = _bases(lw.b, o.operands[0], defs=full) | {id(o.operands[0])}
            out.update(h for h, m in zip(hints, mine) if m & reached)
    return out


def _one_array(b, u, v, defs):
    """May u and v be (views of) one array? Two results of one `if` are asked
    branch by branch: `a, b = b, a` on one path and nothing on the other never
    makes a and b one array."""
    op = defs.get(u)
    if op is not None and op is defs.get(v) and op.opcode == "if":
        ku = next(i for i, r in enumerate(op.results) if r is u)
        kv = next(i for i, r in enumerate(op.results) if r is v)
        return any(_one_array(b, r.yields[ku], r.yields[kv], defs) for r in op.regions)
    return bool(_bases(b, u, defs=defs) & _bases(b, v, defs=defs))


def _walk_set(ops):
    out = set()
    for o in ops:
        out.add(o)
        for r in o.regions:
            out |= set(r.walk())
    return out


def _hint(v):
    return v.hint if v.hint not in TEMP_HINTS else None


def _link(b, op):
    """'view' when op's result always shares memory with its first operand,
    'maybe' when that depends on layout, shape or dtype at run time, 'copy' when
    never: the op's `memory` (ir/opcodes.py)."""
    kind = opcodes.memory(op)
    return kind if kind in ("view", "maybe") else "copy"


def _chain(b, v):
    """[root, ..., v]: v and the values it is a view of, outermost first."""
    out = [v]
    while True:
        op = b.defs.get(out[-1])
        if op is None or _link(b, op) == "copy":
            break
        out.append(op.operands[0])
    return out[::-1]


def _what(op):
    return opcodes.spelling(op.opcode)


def _who(env, m):
    names = [n for n, v in env.items() if _holds_any(v, [m])]
    return repr(names[0]) if names else "a value"


def _bound_values(env):
    out = []

    def visit(v):
        if isinstance(v, (tuple, list, dict)):
            for x in v.values() if type(v) is dict else v:
                visit(x)
        elif isinstance(v, MaybeUnbound):  # (the array it holds where it is bound)
            visit(v.value)
        elif isinstance(v, Value) and v not in out:
            out.append(v)

    for v in env.values():
        visit(v)
    return out


def _holds_any(v, values):
    if isinstance(v, MaybeUnbound):
        return _holds_any(v.value, values)
    if type(v) is dict:  # (a pytree's dict holds its leaves, as a tuple does)
        return any(_holds_any(x, values) for x in v.values())
    if isinstance(v, (tuple, list)):
        return any(_holds_any(x, values) for x in v)
    return any(v is m for m in values)


def _replace(v, derive):
    if type(v) is dict:
        return {k: _replace(x, derive) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return type(v)(_replace(x, derive) for x in v)
    return derive(v) if isinstance(v, Value) else v


def written_names(stmts, marks=None):
    """{name: its first write `name[...] = v`} of the statements (nested ones too).
    `marks(stmt)`, when given, lists the stmt's nodes that may matter (Lowerer.marks)."""
    written = {}
    for stmt in stmts:
        for n in marks(stmt) if marks else gast.walk(stmt):
            if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
                base = n.value
                while isinstance(base, gast.Subscript):
                    base = base.value
                if isinstance(base, gast.Name):
                    written.setdefault(base.id, n)
            elif add_at_target(n) is not None:  # (np.add.at(y, idx, v))
                written.setdefault(add_at_target(n).id, n)
    return written


def check_region_writes(lw, stmts):
    """Refuse, before lowering a loop body or branches, a write into an array that
    another name bound before them also sees (`z = y[1:]`, `a = y`, `y = x` of an
    argument): a region hands back only the names it assigns, so that other name
    would not see the write after it. Returns the names written into."""
    written = written_names(stmts, lw.marks)
    for name, node in written.items():
        v = lw.env.get(name)
        if not isinstance(v, Value):
            continue
        if _scan(stmts, name, writes_only=True) == "rebind":  # (the region binds the name
            continue  # before it writes into it, on every path: what it held before is not
            # written through it; a write into a view of it is subscript.write's to check)
        root = _chain(lw.b, v)[0]
        mine = _bases(lw.b, root)
        for other, val in lw.env.items():
            if other != name and any(
                _chain(lw.b, m)[0] is root or _bases(lw.b, m) & mine
                for m in _bound_values({0: val})
            ):
                if lw.desugar.made(other):  # `for e in a`: the loop reads a as it began
                    lw.unsupported(
                        node,
                        f"the loop over {name!r} writes into {name!r}; s2sgrad "
                        "reads the rows of the array the loop began with, which "
                        "would not see this write",
                        f"loop over an index (`for i in "
                        f"range(len({name}))`) and read {name}[i], or iterate over "
                        f"a copy (`for e in {name}.copy()`)",
                    )
                lw.unsupported(
                    node,
                    f"{other!r} shares memory with {name!r}, and s2sgrad "
                    f"cannot make {other!r} see writes into {name!r} inside a loop or "
                    "branch",
                    "make one of them a copy where it is made "
                    f"(`... .copy()`), or take {other!r} after the loop or branch",
                )
