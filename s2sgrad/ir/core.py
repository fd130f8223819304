"""The IR: four frozen classes.

A `Value` is defined exactly once (SSA) and compared by identity. An `Op` has
an opcode from the closed table in `opcodes.py`, operand values, result
values, static attributes (sorted `(name, value)` pairs), the source location
it came from, and nested regions for structured control flow (`if`, `for`,
`while` carry their bodies as regions, as in MLIR's `scf`). A `Region` is a
list of ops with arguments and yielded values. A `Function` is a region with
named parameters.

Passes never mutate: they build new ops and functions (`Op.replace`,
`Function.with_body`).
"""

from dataclasses import FrozenInstanceError, dataclass, replace

from .types import Type

# Hints of values with no source name. Not identifiers, so never a user's
# variable (a user's `t` or `c` keeps its name); printed without the `~`.
TEMP, CONST, ADJOINT_TEMP = "~t", "~c", "~dt"  # ADJOINT_TEMP: a temporary's adjoint
TAPE_HINT = "~tape"  # a loop's tape
TEMP_HINTS = frozenset({TEMP, CONST})


def adjoint_hint(v, name="gradients"):
    """The hint of v's adjoint in the gradients call `name`: `d_h` for a source
    variable h (`<name>_d_h` for a named call); a temporary's adjoint is a temporary
    too (never `d_t`, which reads as the gradient of a user's `t`), and so is the
    adjoint of a temporary's adjoint (second order)."""
    if v.hint in TEMP_HINTS or v.hint == ADJOINT_TEMP:
        return ADJOINT_TEMP
    return f"{'' if name == 'gradients' else name + '_'}d_{v.hint}"


class _Frozen:
    """Immutable after construction, compared by identity. Value and Op are the
    IR's most numerous objects: slotted classes, which a large function makes
    several times faster than frozen dataclasses, guarded the same way."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")


_set = object.__setattr__
_DEFAULT_TYPE = Type()


class Value(_Frozen):
    """hint: the source variable it came from, or a role ('t', 'd_x'); type: its Type."""

    __slots__ = ("hint", "type")

    def __init__(self, hint, type=_DEFAULT_TYPE):
        _set(self, "hint", hint)
        _set(self, "type", type)

    def __repr__(self):
        return f"<Value {self.hint}: {self.type}>"


class Op(_Frozen):
    """opcode; operands and results (tuples of Values); attrs, sorted ((name,
    value), ...) of plain Python data; loc, the errors.Loc of the source
    statement; tag, the code section ('fwd', or 'bwd:<gradients name>'); regions."""

    __slots__ = ("opcode", "operands", "results", "attrs", "loc", "tag", "regions")
    FIELDS = __slots__

    def __init__(self, opcode, operands, results, attrs=(), loc=None, tag="", regions=()):
        _set(self, "opcode", opcode)
        _set(self, "operands", operands)
        _set(self, "results", results)
        _set(self, "attrs", attrs)
        _set(self, "loc", loc)
        _set(self, "tag", tag)
        _set(self, "regions", regions)

    def __repr__(self):
        return f"Op({self.opcode!r}, operands={self.operands!r}, results={self.results!r})"

    def attr(self, name, default=None):
        for k, v in self.attrs:
            if k == name:
                return v
        return default

    @property
    def attr_dict(self):
        return dict(self.attrs)

    @property
    def result(self):
        (res,) = self.results
        return res

    def replace(self, **changes):
        """A new op with some fields changed."""
        for k in changes:
            if k not in Op.FIELDS:
                raise TypeError(f"Op has no field {k!r}")
        return Op(*(changes[k] if k in changes else getattr(self, k) for k in Op.FIELDS))


@dataclass(frozen=True, eq=False)
class Region:
    args: tuple
    ops: tuple
    yields: tuple

    def walk(self):
        """Every op of the region, nested regions included, in program order
        (an op, then its regions' ops, then the next op): one generator however
        deep the nesting."""
        stack = [iter(self.ops)]
        while stack:
            for op in stack[-1]:
                yield op
                if op.regions:
                    stack.extend(iter(r.ops) for r in reversed(op.regions))
                    break
            else:
                stack.pop()


@dataclass(frozen=True, eq=False)
class Function:
    name: str
    params: tuple  # Values, one per parameter of the source function
    param_names: tuple  # the source names
    body: Region  # yields exactly one value: what the function returns
    source_file: str = "<unknown>"
    signature: tuple = ()  # ((param name, description), ...) for the module header
    callees: tuple = ()  # the Functions it calls (and their vjps), each once
    writes: tuple = ()  # the parameters (indices) whose arrays the source writes
    # into: the API refuses arguments sharing memory with them
    prelude: tuple = ()  # module-level statements its calls need (custom rules' defs,
    # their imports, module-level arrays): each a statement's text
    defaults: tuple = ()  # ((param name, literal value), ...): the source's default
    # values the generated def keeps (codegen: a trailing run)
    entry: tuple = ()  # pytree parameters (frontend/pytrees.py): ((source name,
    # treedef, number of leaves), ...) for the leading params,
    # a treedef None for a plain one; () when none is a tree
    out_tree: object = None  # the treedef of what it returns when a dict is in it (the
    # IR returns tuples; codegen rebuilds the dicts)
    exact: object = None  # what of the yielded value must be NumPy's bit for bit
    # (passes/pymath.py): None, all of it; else paths (tuples
    # of indices into the yielded tuple), () for none of it
    # (a gradient alone may round as math does)
    xp: bool = False  # written for the array API standard (codegen_xp.py): its
    # namespace taken from its array arguments, not NumPy

    def with_body(self, body):
        return replace(self, body=body)


@dataclass(frozen=True, eq=True)
class ModuleConstant:
    """The value of a `const` op that is an array of the user's module (`K = np.array(...)`
    at module level, or an attribute of a bound method's object), frozen when the function
    is transformed: written into the generated module as `name = np.array([...], dtype=...)`
    (its `statement`) and read there by name. `data` is the flat tuple of its items."""

    name: str
    dtype: str
    shape: tuple
    data: tuple

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        a = np.array(self.data, dtype=self.dtype).reshape(self.shape)
        return a if dtype is None else a.astype(dtype)

    def __repr__(self):
        return self.name

    @property
    def statement(self):
        import numpy as np

        a = np.array(self.data, dtype=self.dtype).reshape(self.shape)
        return f"{self.name} = np.array({_exact(a.tolist())}, dtype=np.{self.dtype})"


def _exact(items):
    """A nested list of Python numbers as text, floats by their exact repr."""
    if isinstance(items, list):
        return "[" + ", ".join(_exact(x) for x in items) + "]"
    if isinstance(items, float) and items != items:
        return "np.nan"
    if isinstance(items, float) and items in (float("inf"), float("-inf")):
        return "np.inf" if items > 0 else "-np.inf"
    return repr(items)


def source_params(fn):
    """{source parameter name: (treedef or None, its IR parameters)}: a pytree
    parameter's leaves are parameters of their own (frontend/pytrees.py)."""
    if not fn.entry:
        return {n: (None, (p,)) for n, p in zip(fn.param_names, fn.params)}
    out, k = {}, 0
    for name, treedef, n in fn.entry:
        out[name] = (treedef, tuple(fn.params[k : k + n]))
        k += n
    return out


def free_name(base, taken):
    """`base`, or `base_1`, `base_2`, ...: the first not in the set `taken`, added to it
    (a module-level name of a generated module no other function or statement has)."""
    name, k = base, 0
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


def make_attrs(attrs):
    """Attributes as a sorted tuple; lists become tuples so ops stay hashable data."""

    def freeze(v):
        if isinstance(v, list):
            return tuple(freeze(x) for x in v)
        return v

    return tuple(sorted((k, freeze(v)) for k, v in attrs.items()))


def def_map(region):
    """Value -> the op defining it, for a region and everything nested in it."""
    defs = {}
    for op in region.walk():
        for r in op.results:
            defs[r] = op
    return defs


def use_counts(region):
    counts = {}
    for op in region.walk():
        for v in op.operands:
            counts[v] = counts.get(v, 0) + 1
        for r in op.regions:
            for v in r.yields:
                counts[v] = counts.get(v, 0) + 1
    for v in region.yields:
        counts[v] = counts.get(v, 0) + 1
    return counts


def substitute(region, mapping):
    """A copy of `region` with operand values replaced through `mapping`."""
    if not mapping:
        return region

    def sub(v):
        while v in mapping:
            v = mapping[v]
        return v

    ops = []
    keys = mapping.keys()
    for op in region.ops:
        if not op.regions and keys.isdisjoint(op.operands):
            ops.append(op)
            continue
        new_operands = tuple(sub(v) for v in op.operands)
        new_regions = tuple(substitute(r, mapping) for r in op.regions)
        if new_operands != op.operands or any(a is not b for a, b in zip(new_regions, op.regions)):
            op = op.replace(operands=new_operands, regions=new_regions)
        ops.append(op)
    return Region(region.args, tuple(ops), tuple(sub(v) for v in region.yields))


def rewrite_ops(region, each):
    """A copy of `region` with each op (its regions rewritten first) replaced by the
    list of ops `each(op)` returns (None: the op as it is); `region` itself when
    nothing changes. The peephole passes' walk."""
    ops, changed = [], False
    for op in region.ops:
        if op.regions:
            regions = tuple(rewrite_ops(r, each) for r in op.regions)
            if any(a is not b for a, b in zip(regions, op.regions)):
                op, changed = op.replace(regions=regions), True
        new = each(op)
        if new is None:
            ops.append(op)
        else:
            ops.extend(new)
            changed = True
    return Region(region.args, tuple(ops), region.yields) if changed else region


def substitute_op(op, mapping):
    """op with operand values (its regions' too) replaced through `mapping`; op
    itself when nothing changes."""
    if not mapping or not op.regions and mapping.keys().isdisjoint(op.operands):
        return op
    return substitute(Region((), (op,), ()), mapping).ops[0]


def free_values(op):
    """Values an op's regions read that are defined outside them (in program order)."""
    out, seen = [], set()

    def visit(region, defined):
        defined = set(defined) | set(region.args)
        for o in region.ops:
            for v in o.operands:
                if v not in defined and v not in seen:
                    seen.add(v)
                    out.append(v)
            for r in o.regions:
                visit(r, defined)
            defined.update(o.results)
        for v in region.yields:
            if v not in defined and v not in seen:
                seen.add(v)
                out.append(v)

    for r in op.regions:
        visit(r, ())
    return out


def loop_carries(loop):
    """{a carried argument of `loop`'s body (or of a while's test): (its value before the
    loop, what the body yields for it)}: what it holds on a trip, the first or a later one."""
    body = loop.regions[-1]
    inits = loop.operands[3:] if loop.opcode == "for" else loop.operands
    out = {}
    for region in loop.regions:
        args = region.args[1:] if loop.opcode == "for" else region.args
        out.update((a, (i, y)) for a, i, y in zip(args, inits, body.yields))
    return out


def may_be(op, k, static):
    """What result k of op (an if or a loop) may be: each branch's yield; a loop's last
    trip's yield, then its value before the loop, unless a for loop's range runs (its
    bounds constants `static`, a function of a value, knows: their value, else None)."""
    if op.opcode == "if":
        return [r.yields[k] for r in op.regions]
    body = op.regions[-1]
    inits = op.operands[3:] if op.opcode == "for" else op.operands
    bounds = [static(x) for x in op.operands[:3]] if op.opcode == "for" else []
    if bounds and all(type(x) is int for x in bounds) and bounds[2] and len(range(*bounds)):
        return [body.yields[k]]
    return [body.yields[k], inits[k]]


def uses(op):
    """Everything an op reads: its operands, then the free values of its regions."""
    if not op.regions:
        return op.operands
    return tuple(op.operands) + tuple(v for v in free_values(op) if v not in op.operands)
