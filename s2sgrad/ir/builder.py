"""Building IR: the only way ops are made.

`Builder.emit(opcode, *operands, **attrs)` infers the result type from the
opcode table, records the op and returns its result value. Plain Python
numbers, tuples and None given as operands become `const` ops. Every opcode
is also a method (`b.mul(g, ans)`, `b.sum(g, axis=0)`), so rules read like
the mathematics.
"""

import numpy as np

from . import opcodes
from . import types as T
from .core import (
    CONST,
    TEMP,
    ModuleConstant,
    Op,
    Region,
    Value,
    make_attrs,
    substitute,
    substitute_op,
)

_INFERRED: dict = {}  # (opcode, operand types) -> result type, for ops without attributes


class Builder:
    def __init__(self, defs=None, loc=None, tag="fwd", params=()):
        self.ops = []
        self.defs = dict(defs or {})  # Value -> defining Op, for static_value
        self.shape_reps = {}  # static shape -> first value known to have it
        for v in list(params) + list(self.defs):
            self.note_shape(v)
        self.loc = loc
        self.tag = tag
        self.hint = None  # default hint for the next results
        self.origins = {}  # a loop's region argument -> its initial value, while
        # the loop's body is lowered (the frontend's aliasing)
        self.numbers = set()  # parameters known to be numbers, not 0-d arrays
        self.consts = {}  # (type, repr) -> this builder's unnamed constant of a
        # Python number: equal literals share one op

    # -- making ops --------------------------------------------------------------

    def const(self, value, hint=None):
        if hint is None and type(value) in (float, int, bool):
            key = (type(value), repr(value))  # (repr: -0.0 and nan are their own)
            v = self.consts.get(key)
            if v is None:
                v = self.consts[key] = self.emit("const", value=value, hint=CONST)
            return v
        return self.emit("const", value=value, hint=hint or _const_hint(value))

    def as_value(self, x):
        if isinstance(x, Value):
            return x
        return self.const(x)

    def emit(self, opcode, *operands, hint=None, regions=(), nresults=1, **attrs):
        d = _OPS.get(opcode)
        if d is None:
            raise KeyError(f"unknown opcode {opcode!r}")
        for v in operands:
            if type(v) is not Value:
                operands = tuple(
                    [v if isinstance(v, Value) else self.as_value(v) for v in operands]
                )
                break
        simpler = self._simplify(d, opcode, operands, attrs, hint)
        if simpler is not None:
            return simpler
        k = d.shape_operand  # a static shape there sharpens the type
        types_ = tuple([v.type for v in operands])
        if not attrs and k is None:  # (most ops: the type follows from the operand types)
            key = (opcode, types_)
            rtype = _INFERRED.get(key)
            if rtype is None:
                if len(_INFERRED) > 4096:
                    _INFERRED.clear()
                rtype = _INFERRED[key] = d.infer(types_, {})
        else:
            infer_attrs = attrs
            if k is not None and "shape" not in attrs and k < len(operands):
                infer_attrs = dict(attrs, shape=self.static_shape(operands[k]))
            rtype = d.infer(types_, dict(infer_attrs))
        if d.sequence and rtype.shape is None:
            static = self.static_value(operands[0], _MISSING)
            if static is not _MISSING:  # np.array([0.0, -9.81]): a constant of known shape
                arr = np.asarray(static, dtype=attrs.get("dtype"))
                rtype = T.array(arr.dtype.name, arr.shape)
        hint = hint or self.hint or TEMP
        # (an op of several results may infer a type for each: np.linalg.eigh, np.split)
        if isinstance(rtype, tuple):
            results = tuple(Value(hint, t) for t in rtype)
        elif nresults == 1:
            results = (Value(hint, rtype),)
        else:
            results = tuple(Value(hint, rtype) for _ in range(nresults))
        op = Op(
            opcode,
            operands,
            results,
            make_attrs(attrs) if attrs else (),
            self.loc,
            self.tag,
            tuple(regions),
        )
        self.append_op(op)
        return results[0] if nresults == 1 else results

    def append_op(self, op):
        self.ops.append(op)
        maybe_none = _none_yielded(op)
        for k, r in enumerate(op.results):
            self.defs[r] = op
            if k not in maybe_none:
                self.note_shape(r)
        return op

    def child(self):
        """A builder for a nested region: it sees every value defined so far."""
        c = Builder(defs=self.defs, loc=self.loc, tag=self.tag)
        c.shape_reps = dict(self.shape_reps)
        c.origins = dict(self.origins)
        c.numbers = self.numbers
        return c

    def region_op(self, opcode, operands, regions, result_types, hints, **attrs):
        """Append an op with regions (if/for/while); its results have the given types."""
        results = tuple(Value(h, t) for h, t in zip(hints, result_types))
        op = Op(
            opcode,
            tuple(self.as_value(v) for v in operands),
            results,
            make_attrs(attrs),
            self.loc,
            self.tag,
            tuple(regions),
        )
        self.append_op(op)
        return results

    # -- simplification at construction -------------------------------------------

    def note_shape(self, v):
        shape = v.type.shape
        if shape and v.type.kind == "array" and None not in shape:
            self.shape_reps.setdefault(shape, v)
            if v.type.dtype is not None and not v.type.weak:
                self.shape_reps.setdefault((shape, v.type.dtype), v)

    def _simplify(self, d, opcode, operands, attrs, hint):
        """Constant folding of Python-number arithmetic, x ** 1 -> x (but not for an
        array of the user's code), and
        np.shape(v) -> a constant or np.shape(u) of the first u with v's
        static shape. None when nothing simplifies. Never turns a float
        expression into an int or an alias into a new array (x * 1.0 stays)."""
        fold = d.fold
        if (
            fold is not None
            and all(_is_const(self.defs.get(v)) for v in operands)
            and all(_is_number(self.static_value(v, _MISSING)) for v in operands)
        ):
            a, b = (self.static_value(v) for v in operands)
            try:
                value = fold(a, b) if type(a) is type(b) else None
            except (ArithmeticError, ValueError):  # 1.0 / 0.0, 10.0 ** 400.0: raised when the
                value = None  # code runs (as Python does), if it runs
            if value is not None:
                return self.const(value, hint=hint)
        if (
            opcode == "pow"
            and self.static_value(operands[1], None) == 1
            and type(self.static_value(operands[1])) is int
            and (operands[0].type.weak or self.tag != "fwd")
        ):
            return operands[0]  # (in the user's code, an array's `a ** 1` is a new array,
            # which later writes into `a` do not change)
        if opcode in ("mul", "div") and self.tag != "fwd":
            one = _unit(self, operands, opcode)  # a seed 1.0 multiplied through: x * 1.0
            if one is not None:  # is x exactly, NaN, inf and -0.0 too
                return one
        if opcode == "size" and operands[0].type.kind == "array":
            shape = operands[0].type.shape  # (forward work is not kept to count its items)
            if shape is not None and all(isinstance(d, int) for d in shape):
                return self.const(int(np.prod(shape, dtype=np.int64)), hint=hint)
            rep = self.shape_reps.get(shape)
            if rep is not None and rep is not operands[0]:
                return self.emit("size", rep, hint=hint)
            dims = self._dims(shape, operands[0]) if shape is not None and len(shape) == 1 else None
            if dims:  # (x.shape[0] of an x with that size)
                return dims[0]
        if opcode == "shape" and operands[0].type.kind == "array":
            shape = operands[0].type.shape
            if shape is not None and all(isinstance(d, int) for d in shape):
                return self.const(tuple(shape), hint=hint)
            rep = self.shape_reps.get(shape)
            if rep is not None and rep is not operands[0]:
                return self.emit("shape", rep, hint=hint)
            dims = self._dims(shape, operands[0])
            if dims is not None:
                return self.tuple(*dims, hint=hint)
        if (
            opcode in ("ones_like", "zeros_like")
            and not attrs
            and operands[0].type.kind == "array"
            and operands[0] in self.defs
        ):  # a temporary's shape: say it with a name
            t = operands[0].type
            rep = self.shape_reps.get((t.shape, t.dtype))
            if rep is not None and rep is not operands[0] and not t.weak:
                return self.emit(opcode, rep, hint=hint)
        return None

    def _dims(self, shape, v):
        """The sizes of a temporary v's shape, each a constant or `u.shape[k]` of the first
        value u known to have that size at its axis k: the forward work that made v is
        not kept only to be measured. None when a size has no such owner."""
        if shape is None or v not in self.defs:
            return None
        dims = []
        for d in shape:
            if isinstance(d, int):
                dims.append(self.const(d))
                continue
            owner = (
                next(
                    (
                        (rep, key.index(d))
                        for key, rep in self.shape_reps.items()
                        if key and not isinstance(key[0], tuple) and d in key and rep is not v
                    ),
                    None,
                )
                if isinstance(d, str)
                else None
            )
            if owner is None:
                return None
            dims.append(self.getitem(self.emit("shape", owner[0]), index=owner[1]))
        return dims

    def cast(self, v, dtype, hint=None):
        """`v` as `dtype`: `v.astype(dtype)`, or for a Python number, which has no
        `.astype`, the NumPy scalar `np.float32(v)` / `np.float64(v)` (another
        dtype: the astype op, which codegen writes `np.int64(v)` for a number)."""
        if v.type.weak and dtype in ("float32", "float64"):
            return self.emit(dtype, v, hint=hint)
        return self.astype(v, dtype=dtype, hint=hint)

    def rename(self, value, hint):
        """`value` with a new hint, when this builder made it and nothing uses it yet;
        otherwise `value` itself."""
        op = self.defs.get(value)
        if value.hint == hint or op is None or len(op.results) != 1:
            return value
        ops = self.ops
        for i in range(len(ops) - 1, -1, -1):  # from the end: it is usually the last op
            o = ops[i]
            if o is op:
                return self.replace_result(value, hint, i)
            if value in o.operands:
                return value
        return value

    def replace_result(self, value, hint, at=None):
        """A new value named `hint` in place of `value` as the result of its op (one
        of this builder's, `self.ops[at]` when given, and nothing reads `value`
        yet): the op, `defs` and the shape representatives (np.shape(rep)) all
        follow, so no later op reads the old value, which is no longer defined."""
        op = self.defs[value]
        new = Value(hint, value.type)
        newop = Op(
            op.opcode,
            op.operands,
            tuple(new if r is value else r for r in op.results),
            op.attrs,
            op.loc,
            op.tag,
            op.regions,
        )
        ops = self.ops
        if at is None:
            at = len(ops) - 1
            while ops[at] is not op:  # (from the end: it is usually the last op)
                at -= 1
        ops[at] = newop
        del self.defs[value]
        for r in newop.results:
            self.defs[r] = newop
        self._replace_rep(value, new)
        self._forget_const(value)
        return new

    def retitle(self, value, hint):
        """`value` under a new hint, in its defining op and every op after it that
        uses it (Builder.rename, for a value already in use)."""
        op = self.defs.get(value)
        if (
            value.hint == hint
            or op is None
            or len(op.results) != 1
            or not any(o is op for o in self.ops)
        ):
            return value
        new = Value(hint, value.type)
        start = next(i for i, o in enumerate(self.ops) if o is op)
        ops = list(substitute(Region((), tuple(self.ops[start:]), ()), {value: new}).ops)
        ops[0] = ops[0].replace(results=(new,))
        self.ops[start:] = ops
        del self.defs[value]
        for o in ops:
            for r in o.results:
                self.defs[r] = o
        self._replace_rep(value, new)
        self._forget_const(value)
        return new

    def _forget_const(self, value):
        """A shared constant renamed is no longer the literal's op (a new one is made)."""
        if value.hint == CONST:
            for k, v in list(self.consts.items()):
                if v is value:
                    del self.consts[k]

    def _replace_rep(self, value, new):
        """A renamed value stays the representative of its shape (np.shape(rep))."""
        if not value.type.shape:  # (note_shape keeps arrays of a static shape only)
            return
        for key, rep in list(self.shape_reps.items()):
            if rep is value:
                self.shape_reps[key] = new

    def __getattr__(self, name):  # (an opcode defined after this module was loaded)
        if name in opcodes.OPS:
            return lambda *operands, **attrs: self.emit(name, *operands, **attrs)
        raise AttributeError(name)

    # -- static facts ------------------------------------------------------------

    def static_value(self, v, default=None):
        """The Python value of `v` when it is a constant (const, tuple of consts)."""
        op = self.defs.get(v)
        if op is None:
            return default
        if op.opcode == "const":
            value = op.attr("value")  # (a module's array is a value of the run, not of
            return default if isinstance(value, ModuleConstant) else value  # the transform)
        if op.opcode in ("tuple", "list"):
            items = [self.static_value(x, _MISSING) for x in op.operands]
            if any(x is _MISSING for x in items):
                return default
            return tuple(items) if op.opcode == "tuple" else list(items)
        return default

    def is_static(self, v):
        return self.static_value(v, _MISSING) is not _MISSING

    def static_dim(self, v):
        """A dimension: an int constant, or `x.shape[i]` (a symbol or int of x's type)."""
        val = self.static_value(v, _MISSING)
        if isinstance(val, int) and not isinstance(val, bool):
            return val
        op = self.defs.get(v)
        if op is not None and op.opcode == "getitem":
            src = self.defs.get(op.operands[0])
            i = op.attr("index")
            if src is not None and src.opcode == "shape" and isinstance(i, int):
                shape = src.operands[0].type.shape
                if shape is not None and -len(shape) <= i < len(shape):
                    return shape[i]
        return None

    def static_shape(self, v):
        """The shape a shape operand describes, dims as in types.Type; None if unknown."""
        val = self.static_value(v, _MISSING)
        if val is not _MISSING:
            if isinstance(val, (tuple, list)) and all(isinstance(d, int) for d in val):
                return tuple(val)
            if isinstance(val, int) and not isinstance(val, bool):
                return (val,)
            return None
        op = self.defs.get(v)
        if op is None:
            return None
        if op.opcode == "shape":
            return op.operands[0].type.shape
        if op.opcode in ("tuple", "list"):
            return tuple(self.static_dim(x) for x in op.operands)
        if op.opcode == "getitem" and v.type.kind == "array" and v.type.shape == ():
            d = self.static_dim(v)  # (np.zeros(x.shape[1]): one axis, of x's size)
            return None if d is None else (d,)
        return None


_MISSING = object()


def _op_method(opcode):
    def method(self, *operands, **attrs):
        return self.emit(opcode, *operands, **attrs)

    method.__name__ = method.__qualname__ = opcode
    method.__doc__ = f"emit({opcode!r}, ...)"
    return method


for _opcode in opcodes.OPS:  # b.mul(g, y): every opcode is a method
    if not hasattr(Builder, _opcode):
        setattr(Builder, _opcode, _op_method(_opcode))


def rewrite(fn, replace):
    """fn's body, its top-level ops rebuilt in order by a Builder `b`: for each op,
    `replace(b, op)` emits what stands for it into `b` and returns the values standing
    for its results, or returns None to keep the op. A later op reading a replaced
    value reads the new one, and is emitted again when its type follows from its
    operands (`retype`: `tuple(%d_x)` takes the type of the new `%d_x`)."""
    b = Builder(params=fn.params)
    mapping = {}
    for op in fn.body.ops:
        changed = any(v in mapping for v in op.operands)
        op = substitute_op(op, mapping)
        new = replace(b, op)
        if new is not None:
            mapping.update((r, v) for r, v in zip(op.results, new) if v is not r)
        elif changed and len(op.results) == 1 and not op.regions and opcodes.OPS[op.opcode].retype:
            b.loc, b.tag = op.loc, op.tag
            mapping[op.result] = b.emit(
                op.opcode, *op.operands, hint=op.result.hint, **op.attr_dict
            )
        else:
            b.append_op(op)
    yields = substitute(Region((), (), fn.body.yields), mapping).yields
    return fn.with_body(Region(fn.body.args, tuple(b.ops), yields))


_OPS = opcodes.OPS


def _is_const(op):
    return op is not None and op.opcode == "const"


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _const_hint(value):
    return CONST


def _none_yielded(op):
    """The results of an `if` that a branch yields as None (a conditional expression's arm
    that did not run, typed as the other arm's value): no stand-in for a shape, since at
    run time they may hold no array. Their tape slots are None too: a pop's results are
    never stand-ins either."""
    if op.opcode == "pop":
        return range(len(op.results))
    if op.opcode != "if":
        return ()
    out = set()
    for r in op.regions:
        made = {x: o for o in r.ops for x in o.results}
        for k, y in enumerate(r.yields):
            d = made.get(y)
            if (
                d is not None
                and d.opcode == "const"
                and d.attr("value") is None
                and op.results[k].type.kind == "array"
            ):
                out.add(k)
    return out


def _unit(b, operands, opcode):
    """x for `x * 1.0`, `1.0 * x` and `x / 1.0` when the product has x's type exactly
    (dtype, shape, Python or NumPy number): the same value. In gradient code only (a
    new array in the user's code is not an alias of x)."""
    ta, tb = (v.type for v in operands)
    pairs = [(operands[0], operands[1])] + ([(operands[1], operands[0])] if opcode == "mul" else [])
    for x, c in pairs:
        value = b.static_value(c, _MISSING)
        if type(value) not in (float, int) or value != 1 or x.type.kind != "array":
            continue
        if opcodes.OPS[opcode].infer((ta, tb), {}) == x.type:
            return x
    return None
