"""The closed set of opcodes, and the one table from Python/NumPy to them.

Each `OpDef` is everything s2sgrad knows about one op: how it is written back
as Python (`form`), how its result type follows from its operand types
(`infer`), how a call in user source binds to operands and static attributes
(`params`), the structure the verifier checks, and its traits: what passes
ask instead of keeping opcode lists of their own (`OPS[op.opcode].cheap`,
`memory(op)`). The frontend's mapping from `np.<name>`, array methods and AST
operators to opcodes is the `NUMPY`, `METHODS`, `BINOPS`, `UNARYOPS` and
`CMPOPS` dictionaries below; nothing else maps source to opcodes.

The traits:

- `memory`: what the result is, as memory, for aliasing and in-place writes
  (the frontend's writes through views, out-of-SSA, the gradients handed back):
  'new' (an array or number nothing else refers to), 'view' (its first operand,
  or a view of it), 'maybe' (either, decided at run time by layout or shape),
  'holds' (may be, or hold, any operand: a container, a tape item),
  'foreign' (a value the function did not make, which may be any operand: a
  constant, a callee's result, a tuple's item; never written in place),
  'write' (the first operand with items written: in place or a copy), None for
  ops whose regions say (if/for/while/closure). A function of the op where the
  answer depends on its operands (`x[key]`: basic indexing is a view, advanced
  indexing copies). Ask `memory(op)`.
- `read_only`: a view NumPy makes read-only (np.broadcast_to).
- `metadata`: reads only its operands' shape and dtype, which no write changes.
- `effect`: None (pure), or what the op does to a tape: 'new' (makes one: two
  are never one), 'update' (appends to its first operand), 'consume' (pops it);
  or 'draw': it advances its first operand, a `np.random.Generator`, so it runs
  exactly where and as often as the source runs it: never removed (even when
  its result is unused), merged with another, recomputed in a backward region
  (its result is taped in a loop), or moved (it is never inlined); or 'check':
  it raises Python's error where Python raises one (a loop's index read after
  the loop, unbound), so it runs where the source reads, as a draw does.
- `elementwise`: result[i] = f(operand[i], ...), the operands broadcast together.
- `cheap`: recomputed where a backward region needs it, never saved on a tape.
- `literal`: a constant or a tuple/list display: read best where it is used.
- `statement`: written as a statement of its own (codegen's `_stmt_<name>`).
- `inline`: may be printed inside the expression that uses it.
- `retype`: its result type follows from operand types and attributes alone, so
  the builder can emit it again when an operand changes type.
- `structural`: moves Python structure (tuples, calls, regions, tapes), never
  numbers: no gradient rule of its own.
- `constant`: declared non-differentiable; its result carries no gradient
  (backprop stops there).
- `augmented`: `y[k] = y[k] <op> v` may be written `y[k] <op>= v`.
- `shape_operand`: which operand is a shape (a static one sharpens the type).
- `sequence`: takes a Python sequence as its first operand as it is
  (`np.array([a, b])`); other ops are given np.array of one.
- `fold`: the op on Python numbers, for constant folding.
- `syntax`: how source writes the op when it is not a name (`x[key]`), each way.
- `fast`: a cheaper way to write the op when its first operand is an array of
  known rank (`a.sum(axis=1)` for `np.sum(a, axis=1)`, `a.shape`, `a[:, None]` for
  `np.expand_dims(a, 1)`): the same value without NumPy's function dispatch,
  which costs microseconds a call (codegen's `_fast_<form>`).
- `helper`: the source of the function a generated module defines to print the
  op as a call (`_unbroadcast`); a generated module read back maps it to the op.
- `math`: (name, what it raises): `math.<name>` gives the op's value on a Python
  float, bit for bit, wherever it gives one, and raises those exceptions where NumPy
  gives inf or nan (passes/pymath.py; codegen writes the NumPy twin of a function
  whose math may raise, for the arguments where it does).
- `math_rounds`: `math.<name>` may differ from NumPy's value in the last bits on some
  machine (the C library's function against NumPy's own SIMD loop: tanh on AVX2, exp,
  log and most others on AVX-512): used only for values the gradient alone reads.
- `out`: an elementwise ufunc of one float operand that out-of-SSA may have write
  into that operand when it dies there (`np.tanh(t, out=t)`; never in array-API code).
"""

import operator
from dataclasses import dataclass, replace

from . import indexing as I
from . import types as T

# einsum_parts, pad_pairs and MATRIX_ORDS (public names of this module) stay importable here.
from .checks import MATRIX_ORDS as MATRIX_ORDS
from .checks import (
    _check_axes,
    _check_cross,
    _check_diag,
    _check_linspace,
    _check_matrix_power,
    _check_nan_to_num,
    _check_norm,
    _check_pad,
    _check_qr,
    _check_quantile,
    _check_rot90,
    _check_split,
    _check_svd,
    _check_take_along_axis,
    _int_count,
    _integer_indices,
    _known_ranks,
    _matrix_check,
    _real_only,
)
from .infer import (
    _arange,
    _arg_reduce,
    _broadcast_to,
    _cast,
    _clip,
    _compare,
    _concatenate,
    _const,
    _creation,
    _cumulative,
    _det,
    _diag,
    _diagonal,
    _dot,
    _draw_float,
    _draw_int,
    _eigh,
    _eigvalsh,
    _einsum,
    _elementwise,
    _expand_dims,
    _extern,
    _extern_vjp,
    _eye,
    _float_binary,
    _float_power,
    _float_unary,
    _full,
    _full_like,
    _getitem,
    _like,
    _linspace,
    _make_seq,
    _matmul,
    _matrix_power,
    _mean,
    _numpy_same,
    _outer,
    _pad,
    _pinv,
    _predicate,
    _qr,
    _reduce,
    _repeat,
    _reshape,
    _rot90,
    _same,
    _scanned,
    _sections,
    _shape_of,
    _solve,
    _sorted,
    _split,
    _squeeze,
    _sum,
    _svd,
    _svd_results,
    _take,
    _take_along_axis,
    _tile,
    _transpose,
    _tri,
    _true_div,
    _unbroadcast,
    _unknown,
    _where,
)
from .infer import einsum_parts as einsum_parts
from .infer import exactly as exactly
from .infer import pad_pairs as pad_pairs
from .structure import (
    _call_counts,
    _check_closure,
    _check_for,
    _check_if,
    _check_svd_results,
    _check_while,
    _counts,
)

# How a call binds: (name, role, default); role is 'operand', 'attr' or 'forbid'.
OPERAND, ATTR, FORBID = "operand", "attr", "forbid"

MEMORY = ("new", "view", "maybe", "holds", "foreign", "write", None)
EFFECTS = ("new", "update", "consume", "draw", "check", None)


@dataclass(frozen=True)
class OpDef:
    name: str
    form: tuple  # ('binop', '+') | ('unop', '-') | ('cmp', '<') | ('call', 'np.exp')
    # | ('attr', 'T') | ('method', 'random'): a call of a method
    # of the first operand | ('special',)
    infer: object  # (operand types, attrs) -> result Type
    params: tuple = ()  # call binding: ((name, role, default), ...)
    kwattrs: tuple = ()  # attrs written as keywords, in this order
    required: tuple = ()  # attributes every op of this kind has
    structure: object = None  # op -> what is wrong with its operands, results and
    # regions (None when well formed); the verifier's check
    # ---- traits (the module docstring says what each means) ----
    memory: object = None  # one of MEMORY, or op -> one of MEMORY
    read_only: bool = False
    metadata: bool = False
    effect: str | None = None  # one of EFFECTS
    elementwise: bool = False
    cheap: bool = False
    literal: bool = False
    statement: bool = False
    inline: bool = True
    retype: bool = False
    structural: bool = False
    constant: bool = False
    augmented: bool = False
    shape_operand: int | None = None
    sequence: bool = False
    check: object = None  # (operand types, attrs) -> (what is refused, the fix), or
    # None: a call the frontend refuses at its line
    nresults: object = 1  # results of a call (np.linalg.slogdet: sign, logabsdet), or
    # attrs -> that count (np.linalg.svd: 1 without compute_uv,
    # np.split: one a section); with several, `infer` may give a
    # tuple, one type a result
    sections: bool = False  # its results are one list in source: parts = np.split(x, 3)
    listed: bool = False  # its operands are written as one list: np.concatenate([a, b])
    attrs_first: bool = False  # its positional attributes come first: np.einsum("ij->j", a)
    fold: object = None
    syntax: tuple = ()
    helper: str | None = None
    fast: str | None = None  # a cheaper spelling for an array operand of known rank > 0:
    # 'method' (np.sum(a, axis=1) as a.sum(axis=1)), 'attr'
    # (np.shape(a) as a.shape), 'newaxis' (np.expand_dims(a, -1)
    # as a[:, None]); the same value, without NumPy's dispatch
    math: tuple | None = None
    math_rounds: bool = False
    out: bool = False  # an elementwise ufunc of one float operand that can write into it
    # (np.tanh(t, out=t): out_of_ssa.UNARY_OUT; not in array-API code)
    kwoperands: tuple = ()  # operands written as keywords, after the attrs: np.sum(a,
    # where=mask)
    xp: tuple | None = None  # how the array API standard spells it (codegen_xp.py, `--xp`):
    # ('same',) as `form` writes it (operators, Python structure)
    # | ('call', 'xp.exp', renames): the call in the namespace `xp`,
    # attrs renamed by `renames` ((NumPy's, the standard's), ...)
    # | ('special',): codegen_xp.py's `xp_<name>` writes it
    # | None: the standard has no such function (refused)

    def __post_init__(self):
        if not callable(self.memory) and self.memory not in MEMORY:
            raise ValueError(f"{self.name}: memory {self.memory!r} is not one of {MEMORY}")
        if self.effect not in EFFECTS:
            raise ValueError(f"{self.name}: effect {self.effect!r} is not one of {EFFECTS}")


OPS: dict = {}


def _def(name, form, infer, params=(), kwattrs=None, **traits):
    """Define an op. Operators and NumPy calls make new values (`memory='new'`)
    and are typed by inference alone (`retype`) unless their traits say otherwise."""
    if name in OPS:
        raise ValueError(f"opcode {name!r} defined twice")
    if kwattrs is None:
        kwattrs = tuple(p[0] for p in params if p[1] == ATTR)
    if form[0] != "special":
        traits.setdefault("memory", "new")
        traits.setdefault("retype", True)
    infer = None if infer is None else exactly(infer)
    OPS[name] = OpDef(name, form, infer, tuple(params), tuple(kwattrs), **traits)


# ---- traits that depend on the op's operands ------------------------------------------


def memory(op):
    """What op's result is, as memory (one of MEMORY): the definition's answer for this op."""
    m = OPS[op.opcode].memory
    return m(op) if callable(m) else m


def draws(op):
    """True when op may advance a random generator: a draw, or an op given one (a call of
    a function of the user's that draws from it). Such an op runs where and as often as
    the source runs it (`effect`); so does a `check` (it raises where Python raises), and
    a call of a function with either inside (`effects`)."""
    return (
        OPS[op.opcode].effect in ("draw", "check")
        or op.attr("effects", False)
        or any(v.type.kind == "rng" for v in op.operands)
    )


def aliases(op):
    """True when op's result may be its first operand or a view of it."""
    return memory(op) in ("view", "maybe")


def _index_memory(op):
    """Basic indexing (ints, slices, None, ...) is a view; advanced indexing copies."""
    x, key, dyn = op.operands[0], op.attr("key"), op.operands[1:]
    return "view" if I.is_view(x.type, key, [v.type for v in dyn]) else "new"


def _cast_memory(op):
    """np.asarray(x, dtype) and np.float64(x) return x itself when it is an array of
    that dtype already (np.float64 of a 0-d array: a new NumPy scalar), a new array
    for another dtype, a Python number or a sequence."""
    src = op.operands[0].type
    want = op.attr("dtype") if op.opcode == "asarray" else op.opcode
    if src.weak or src.kind in ("tuple", "list"):
        return "new"
    if op.opcode != "asarray" and src.shape != () and src.shape is not None and want == src.dtype:
        return "view"  # np.float64 of a float64 array of rank > 0: the array
    if op.opcode != "asarray" and src.shape is None:
        return "maybe"  # (of a 0-d array: a new NumPy scalar)
    if op.opcode != "asarray":
        return "new" if src.shape == () or src.dtype is not None else "maybe"
    if want is None or src.dtype == want:
        return "view"
    return "new" if src.dtype is not None else "maybe"


def _einsum_memory(op):
    """np.einsum of one operand that sums no letter away ('ij->ji', 'ij->ij', 'ji'
    implicit) is a writeable view of it (NumPy's single-operand view); any other, a new
    array."""
    ins, out = einsum_parts(op.attr("subscripts"))
    return "view" if len(ins) == 1 and set(ins[0]) <= set(out) else "new"


def _matrix_power_memory(op):
    """np.linalg.matrix_power(a, 1) is a itself; any other power, a new array."""
    return "view" if op.attr("n") == 1 else "new"


def _diag_memory(op):
    """np.diag of a matrix is a (read-only) view of its diagonal; of a vector, a new matrix."""
    return "view" if op.operands[0].type.rank == 2 else "new"


# ---- the opcodes --------------------------------------------------------------

# constant folding on Python numbers of one type; None where folding would change the type
_FOLD = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b if isinstance(a, float) else None,  # int / int: a float
    "pow": lambda a, b: a**b if isinstance(a, float) else None,
}  # int ** -1 too
for _name, _sym, _traits in [
    ("add", "+", dict(augmented=True)),
    ("sub", "-", dict(augmented=True)),
    ("mul", "*", dict(augmented=True)),
    ("pow", "**", {}),
    ("floordiv", "//", dict(constant=True)),
    ("mod", "%", {}),
]:
    _def(_name, ("binop", _sym), _elementwise, elementwise=True, fold=_FOLD.get(_name), **_traits)
_def("div", ("binop", "/"), _true_div, elementwise=True, fold=_FOLD["div"], augmented=True)
_def("matmul", ("binop", "@"), _matmul)
for _name, _sym, _fold in [
    ("eq", "==", operator.eq),
    ("ne", "!=", operator.ne),
    ("lt", "<", operator.lt),
    ("le", "<=", operator.le),
    ("gt", ">", operator.gt),
    ("ge", ">=", operator.ge),
]:
    _def(_name, ("cmp", _sym), _compare, elementwise=True, constant=True, fold=_fold)
_def("neg", ("unop", "-"), _same, elementwise=True)
_def("pos", ("unop", "+"), _same, elementwise=True)  # +a: a new array (np.positive)
_def("not", ("unop", "not "), lambda ts, a: T.PY_BOOL, constant=True)

# math.<name> of a Python float: NumPy's float64 value wherever math gives one (the C
# library's function, which NumPy's float64 loop calls too: checked on each in
# tests/test_pymath.py), and these exceptions where NumPy gives inf or nan. Not
# deg2rad, rad2deg. `_ROUNDS` may round differently, by the machine NumPy runs on:
# NumPy's own SIMD tanh (AVX2 machines), and on AVX-512 machines its own loops
# (SVML's and others) for these other functions, each a few ulps from the C library's
# at most (tests/test_pymath.py); only sqrt, sin, cos and fabs gave the C library's
# value on both kinds of machine.
_VALUE, _OVERFLOW = ("ValueError",), ("OverflowError",)
_MATH = {
    "exp": ("exp", _OVERFLOW),
    "log": ("log", _VALUE),
    "log1p": ("log1p", _VALUE),
    "expm1": ("expm1", _OVERFLOW),
    "sqrt": ("sqrt", _VALUE),
    "sin": ("sin", _VALUE),
    "cos": ("cos", _VALUE),
    "tan": ("tan", _VALUE),
    "arctan": ("atan", ()),
    "sinh": ("sinh", _OVERFLOW),
    "cosh": ("cosh", _OVERFLOW),
    "arcsin": ("asin", _VALUE),
    "arccos": ("acos", _VALUE),
    "arcsinh": ("asinh", ()),
    "arccosh": ("acosh", _VALUE),
    "arctanh": ("atanh", _VALUE),
    "log2": ("log2", _VALUE),
    "log10": ("log10", _VALUE),
    "exp2": ("exp2", _OVERFLOW),
    "cbrt": ("cbrt", ()),
    "fabs": ("fabs", ()),
    "tanh": ("tanh", ()),
}
_ROUNDS = frozenset(
    {
        "tanh",
        "exp",
        "exp2",
        "expm1",
        "log",
        "log2",
        "log10",
        "log1p",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "arcsinh",
        "arccosh",
        "arctanh",
        "cbrt",
    }
)
for _name in [
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "tanh",
    "arctan",
    "sinh",
    "cosh",
    "arcsin",
    "arccos",
    "arcsinh",
    "arccosh",
    "arctanh",
    "log2",
    "log10",
    "exp2",
    "cbrt",
    "deg2rad",
    "rad2deg",
    "fabs",
]:
    _def(
        _name,
        ("call", f"np.{_name}"),
        _float_unary,
        [("x", OPERAND, None)],
        elementwise=True,
        math=_MATH.get(_name),
        math_rounds=_name in _ROUNDS,
    )
for _name in ["abs", "square", "sign", "floor", "ceil", "rint", "trunc", "fix", "reciprocal"]:
    _def(
        _name,
        ("call", f"np.{_name}"),
        _same if _name == "abs" else _numpy_same,  # (abs of a Python number: builtin abs)
        [("x", OPERAND, None)],
        elementwise=True,
        constant=_name in ("sign", "floor", "ceil", "rint", "trunc", "fix"),
    )
for _name in ["isnan", "isinf", "isfinite", "logical_not"]:
    _def(
        _name,
        ("call", f"np.{_name}"),
        _predicate,
        [("x", OPERAND, None)],
        elementwise=True,
        constant=True,
    )
for _name in ["logical_and", "logical_or", "logical_xor"]:
    _def(
        _name,
        ("call", f"np.{_name}"),
        _compare,
        [("x1", OPERAND, None), ("x2", OPERAND, None)],
        elementwise=True,
        constant=True,
    )
for _name in ["maximum", "minimum", "fmax", "fmin"]:
    _def(
        _name,
        ("call", f"np.{_name}"),
        _elementwise,
        [("x1", OPERAND, None), ("x2", OPERAND, None)],
        elementwise=True,
    )
for _name in ["arctan2", "logaddexp", "logaddexp2"]:
    _def(
        _name,
        ("call", f"np.{_name}"),
        _float_binary,
        [("x1", OPERAND, None), ("x2", OPERAND, None)],
        elementwise=True,
    )
_def(
    "float_power",
    ("call", "np.float_power"),
    _float_power,
    [("x1", OPERAND, None), ("x2", OPERAND, None)],
    elementwise=True,
)
_def(
    "where",
    ("call", "np.where"),
    _where,
    [("condition", OPERAND, None), ("x", OPERAND, None), ("y", OPERAND, None)],
    elementwise=True,
)
_def(
    "clip",
    ("call", "np.clip"),
    _clip,
    [("a", OPERAND, None), ("a_min", OPERAND, None), ("a_max", OPERAND, None)],
    elementwise=True,
)
_def("dot", ("call", "np.dot"), _dot, [("a", OPERAND, None), ("b", OPERAND, None)])
# the ufuncs out-of-SSA may write into their dying operand (out_of_ssa.UNARY_OUT)
for _name in [
    "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "tanh", "arctan", "sinh",
    "cosh", "arcsin", "arccos", "arcsinh", "arctanh", "log2", "log10", "exp2", "cbrt",
    "square", "reciprocal",
]:  # fmt: skip
    OPS[_name] = replace(OPS[_name], out=True)

_CREATE_PARAMS = [("shape", OPERAND, None), ("dtype", ATTR, None)]
_REDUCE = [
    ("a", OPERAND, None),
    ("axis", ATTR, None),
    ("dtype", ATTR, None),
    ("out", FORBID, None),
    ("keepdims", ATTR, False),
]
_def("sum", ("call", "np.sum"), _sum, _REDUCE, fast="method")
# np.sum(a, where=mask): NumPy adds the kept elements one after another (not pairwise, as
# the sum of np.where(mask, a, 0) does), so the op is the call itself, for Python's value
_def(
    "sum_where",
    ("call", "np.sum"),
    lambda ts, attrs: _sum(ts[:1], attrs),
    [("a", OPERAND, None), ("where", OPERAND, None)] + _REDUCE[1:],
    kwoperands=("where",),
)
_def("prod", ("call", "np.prod"), _sum, _REDUCE, fast="method")
_def("mean", ("call", "np.mean"), _mean, _REDUCE, fast="method")
_MINMAX = [
    ("a", OPERAND, None),
    ("axis", ATTR, None),
    ("out", FORBID, None),
    ("keepdims", ATTR, False),
]
# (initial=: a constant number, set by frontend numpy_spellings.masked_reduction)
_def("max", ("call", "np.max"), _reduce, _MINMAX + [("initial", ATTR, None)], fast="method")
_def("min", ("call", "np.min"), _reduce, _MINMAX + [("initial", ATTR, None)], fast="method")
_def("ptp", ("call", "np.ptp"), _reduce, _MINMAX)
_VAR = [
    ("a", OPERAND, None),
    ("axis", ATTR, None),
    ("dtype", ATTR, None),
    ("out", FORBID, None),
    ("ddof", ATTR, 0),
    ("keepdims", ATTR, False),
]
_def("var", ("call", "np.var"), _mean, _VAR)
_def("std", ("call", "np.std"), _mean, _VAR)
_def("nansum", ("call", "np.nansum"), _sum, _REDUCE)
_def("nanmean", ("call", "np.nanmean"), _mean, _REDUCE)
_def(
    "cumsum",
    ("call", "np.cumsum"),
    _cumulative,
    [("a", OPERAND, None), ("axis", ATTR, None), ("dtype", ATTR, None), ("out", FORBID, None)],
)
_def(
    "flip", ("call", "np.flip"), _same, [("m", OPERAND, None), ("axis", ATTR, None)], memory="view"
)
_def("fliplr", ("call", "np.fliplr"), _same, [("m", OPERAND, None)], memory="view")
_def("concatenate", ("call", "np.concatenate"), _concatenate, [("axis", ATTR, 0)], listed=True)
_def(
    "einsum",
    ("call", "np.einsum"),
    _einsum,
    [("subscripts", ATTR, None)],
    kwattrs=(),
    attrs_first=True,
    memory=_einsum_memory,
)
_def(
    "norm",
    ("call", "np.linalg.norm"),
    _mean,
    [("x", OPERAND, None), ("ord", ATTR, None), ("axis", ATTR, None), ("keepdims", ATTR, False)],
    check=_check_norm,
)
_def(
    "inv",
    ("call", "np.linalg.inv"),
    _float_unary,
    [("a", OPERAND, None)],
    check=_known_ranks("np.linalg.inv"),
)
_def(
    "slogdet",
    ("call", "np.linalg.slogdet"),
    _det,
    [("a", OPERAND, None)],
    nresults=2,
    check=_known_ranks("np.linalg.slogdet"),
)  # sign, logabsdet: both typed as the det
_def(
    "det",
    ("call", "np.linalg.det"),
    _det,
    [("a", OPERAND, None)],
    check=_known_ranks("np.linalg.det"),
)
_def(
    "solve",
    ("call", "np.linalg.solve"),
    _solve,
    [("a", OPERAND, None), ("b", OPERAND, None)],
    check=_known_ranks("np.linalg.solve"),
)
_def(
    "cholesky",
    ("call", "np.linalg.cholesky"),
    _float_unary,
    [("a", OPERAND, None), ("upper", ATTR, False)],
    check=_matrix_check("np.linalg.cholesky"),
)
_def(
    "eigh",
    ("call", "np.linalg.eigh"),
    _eigh,
    [("a", OPERAND, None), ("UPLO", ATTR, "L")],
    nresults=2,
    check=_matrix_check("np.linalg.eigh", "UPLO", ("L", "U")),
)
_def(
    "eigvalsh",
    ("call", "np.linalg.eigvalsh"),
    _eigvalsh,
    [("a", OPERAND, None), ("UPLO", ATTR, "L")],
    check=_matrix_check("np.linalg.eigvalsh", "UPLO", ("L", "U")),
)
_def(
    "qr",
    ("call", "np.linalg.qr"),
    _qr,
    [("a", OPERAND, None), ("mode", ATTR, "reduced")],
    nresults=2,
    check=_check_qr,
)
_def(
    "svd",
    ("call", "np.linalg.svd"),
    _svd,
    [
        ("a", OPERAND, None),
        ("full_matrices", ATTR, True),
        ("compute_uv", ATTR, True),
        ("hermitian", ATTR, False),
    ],
    nresults=_svd_results,
    check=_check_svd,
)
_def(
    "pinv",
    ("call", "np.linalg.pinv"),
    _pinv,
    [
        ("a", OPERAND, None),
        ("rcond", FORBID, None),
        ("hermitian", FORBID, None),
        ("rtol", FORBID, None),
    ],
    check=_matrix_check("np.linalg.pinv"),
)
_def(
    "tile",
    ("call", "np.tile"),
    _tile,
    [("A", OPERAND, None), ("reps", ATTR, None)],
    check=_int_count("np.tile", "reps"),
)
_def(
    "repeat",
    ("call", "np.repeat"),
    _repeat,
    [("a", OPERAND, None), ("repeats", ATTR, None), ("axis", ATTR, None)],
    check=_int_count("np.repeat", "repeats"),
)


def _triangle(ts, attrs):
    """np.tril/np.triu: m's type; of a vector (n,), the (n, n) matrix of its rows."""
    m = ts[0]
    return T.array(m.dtype, m.shape * 2) if m.shape is not None and len(m.shape) == 1 else m


_def("tril", ("call", "np.tril"), _triangle, [("m", OPERAND, None), ("k", ATTR, 0)])
_def("triu", ("call", "np.triu"), _triangle, [("m", OPERAND, None), ("k", ATTR, 0)])
_def(
    "roll",
    ("call", "np.roll"),
    _same,
    [("a", OPERAND, None), ("shift", ATTR, None), ("axis", ATTR, None)],
    kwattrs=("axis",),
)
_def(
    "trace",
    ("call", "np.trace"),
    lambda ts, a: T.array(ts[0].dtype, None if ts[0].shape is None else ts[0].shape[2:]),
    [("a", OPERAND, None), ("offset", ATTR, 0)],
)
_def("outer", ("call", "np.outer"), _outer, [("a", OPERAND, None), ("b", OPERAND, None)])
_def("flipud", ("call", "np.flipud"), _same, [("m", OPERAND, None)], memory="view")
_def("argmax", ("call", "np.argmax"), _arg_reduce, _MINMAX, constant=True)
_def("argmin", ("call", "np.argmin"), _arg_reduce, _MINMAX, constant=True)
_def(
    "cumprod",
    ("call", "np.cumprod"),
    _cumulative,
    [("a", OPERAND, None), ("axis", ATTR, None), ("dtype", ATTR, None), ("out", FORBID, None)],
)
_def(
    "sort",
    ("call", "np.sort"),
    _sorted,
    [("a", OPERAND, None), ("axis", ATTR, -1)],
    check=_check_axes("np.sort", ("axis",)),
)
_def(
    "cross",
    ("call", "np.cross"),
    _elementwise,
    [("a", OPERAND, None), ("b", OPERAND, None)],
    check=_check_cross,
)  # (3-vectors along the last axis, broadcast together)
_def(
    "rot90",
    ("call", "np.rot90"),
    _rot90,
    [("m", OPERAND, None), ("k", ATTR, 1), ("axes", ATTR, (0, 1))],
    memory="view",
    check=_check_rot90,
)
_def(
    "pad",
    ("call", "np.pad"),
    _pad,
    [
        ("array", OPERAND, None),
        ("pad_width", ATTR, None),
        ("mode", ATTR, "constant"),
        ("constant_values", ATTR, 0),
    ],
    kwattrs=("mode", "constant_values"),
    check=_check_pad,
)
_def(
    "diag",
    ("call", "np.diag"),
    _diag,
    [("v", OPERAND, None), ("k", ATTR, 0)],
    memory=_diag_memory,
    read_only=True,
    check=_check_diag,
)  # (a vector's: a new matrix)
_def(
    "diagonal",
    ("call", "np.diagonal"),
    _diagonal,
    [("a", OPERAND, None), ("offset", ATTR, 0), ("axis1", ATTR, 0), ("axis2", ATTR, 1)],
    memory="view",
    read_only=True,
    check=_check_axes("np.diagonal", ("axis1", "axis2"), pairwise=True),
)
_def(
    "take",
    ("call", "np.take"),
    _take,
    [("a", OPERAND, None), ("indices", OPERAND, None), ("axis", ATTR, None), ("out", FORBID, None)],
    check=_integer_indices("np.take", None),
)
_def(
    "take_along_axis",
    ("call", "np.take_along_axis"),
    _take_along_axis,
    [("arr", OPERAND, None), ("indices", OPERAND, None), ("axis", ATTR, -1)],
    check=_check_take_along_axis,
)
for _name in ("split", "array_split"):
    _def(
        _name,
        ("call", f"np.{_name}"),
        _split,
        [("ary", OPERAND, None), ("indices_or_sections", ATTR, None), ("axis", ATTR, 0)],
        kwattrs=("axis",),
        memory="view",
        nresults=_sections,
        sections=True,
        check=_check_split(f"np.{_name}"),
    )

# nan-reductions (nans skipped), order statistics, more np.linalg, real-array helpers
_def("nanmax", ("call", "np.nanmax"), _reduce, _MINMAX)
_def("nanmin", ("call", "np.nanmin"), _reduce, _MINMAX)
_def("nanprod", ("call", "np.nanprod"), _sum, _REDUCE)
_def("nanvar", ("call", "np.nanvar"), _mean, _VAR)
_def("nanstd", ("call", "np.nanstd"), _mean, _VAR)
_def(
    "nancumsum",
    ("call", "np.nancumsum"),
    _cumulative,
    [("a", OPERAND, None), ("axis", ATTR, None), ("dtype", ATTR, None), ("out", FORBID, None)],
)
_ORDER = [
    ("a", OPERAND, None),
    ("axis", ATTR, None),
    ("out", FORBID, None),
    ("overwrite_input", ATTR, False),
]
_def(
    "median",
    ("call", "np.median"),
    _mean,
    _ORDER + [("keepdims", ATTR, False)],
    check=_check_quantile("np.median", None),
)
for _name, _top in (("quantile", 1), ("percentile", 100)):
    _def(
        _name,
        ("call", f"np.{_name}"),
        _mean,
        _ORDER[:1]
        + [("q", ATTR, None)]
        + _ORDER[1:]
        + [("method", ATTR, "linear"), ("keepdims", ATTR, False)],
        kwattrs=("axis", "method", "keepdims"),
        check=_check_quantile(f"np.{_name}", _top),
    )
_def(
    "matrix_power",
    ("call", "np.linalg.matrix_power"),
    _matrix_power,
    [("a", OPERAND, None), ("n", ATTR, None)],
    kwattrs=(),
    check=_check_matrix_power,
    memory=_matrix_power_memory,
)
_def(
    "real",
    ("call", "np.real"),
    _same,
    [("val", OPERAND, None)],
    memory="view",
    check=_real_only("np.real"),
)
_def(
    "conj",
    ("call", "np.conj"),
    _same,
    [("x", OPERAND, None)],
    elementwise=True,
    check=_real_only("np.conj"),
)
_def(
    "nan_to_num",
    ("call", "np.nan_to_num"),
    _same,
    [
        ("x", OPERAND, None),
        ("copy", ATTR, True),
        ("nan", ATTR, 0.0),
        ("posinf", ATTR, None),
        ("neginf", ATTR, None),
    ],
    elementwise=True,
    check=_check_nan_to_num,
)
_def(
    "copysign",
    ("call", "np.copysign"),
    _float_binary,
    [("x1", OPERAND, None), ("x2", OPERAND, None)],
    elementwise=True,
)
_def(
    "heaviside",
    ("call", "np.heaviside"),
    _float_binary,
    [("x1", OPERAND, None), ("x2", OPERAND, None)],
    elementwise=True,
)

# constants: uninitialised arrays, truth tests, counts, positions
_def("empty", ("call", "np.empty"), _creation, _CREATE_PARAMS, constant=True, shape_operand=0)
_def(
    "empty_like",
    ("call", "np.empty_like"),
    _like,
    [("prototype", OPERAND, None), ("dtype", ATTR, None)],
    constant=True,
    metadata=True,
)
_TRUTH = [
    ("a", OPERAND, None),
    ("axis", ATTR, None),
    ("out", FORBID, None),
    ("keepdims", ATTR, False),
]
_def("any", ("call", "np.any"), lambda ts, a: _reduce(ts, a, "bool"), _TRUTH, constant=True)
_def("all", ("call", "np.all"), lambda ts, a: _reduce(ts, a, "bool"), _TRUTH, constant=True)
_def(
    "count_nonzero",
    ("call", "np.count_nonzero"),
    _arg_reduce,
    [("a", OPERAND, None), ("axis", ATTR, None), ("keepdims", ATTR, False)],
    kwattrs=("axis", "keepdims"),
    constant=True,
)
_def(
    "flatnonzero",
    ("call", "np.flatnonzero"),
    lambda ts, a: T.array("int64", (None,)),
    [("a", OPERAND, None)],
    constant=True,
)
_def(
    "searchsorted",
    ("call", "np.searchsorted"),
    lambda ts, a: T.array("int64", ts[1].shape),
    [("a", OPERAND, None), ("v", OPERAND, None), ("side", ATTR, "left"), ("sorter", FORBID, None)],
    kwattrs=("side",),
    constant=True,
)
_def(
    "digitize",
    ("call", "np.digitize"),
    lambda ts, a: T.array("int64", ts[0].shape),
    [("x", OPERAND, None), ("bins", OPERAND, None), ("right", ATTR, False)],
    kwattrs=("right",),
    constant=True,
)

# draws from a np.random.Generator passed in (its first operand): constant values, an effect
_DRAW = dict(effect="draw", inline=False, constant=True)
for _name in ("standard_normal", "random"):
    _def(
        _name,
        ("method", _name),
        _draw_float,
        [
            ("rng", OPERAND, None),
            ("size", OPERAND, None),
            ("dtype", ATTR, None),
            ("out", FORBID, None),
        ],
        shape_operand=1,
        **_DRAW,
    )
_def(
    "integers",
    ("method", "integers"),
    _draw_int,
    [
        ("rng", OPERAND, None),
        ("low", OPERAND, None),
        ("high", OPERAND, None),
        ("size", OPERAND, None),
        ("dtype", ATTR, None),
        ("endpoint", ATTR, False),
    ],
    shape_operand=3,
    **_DRAW,
)

# views: np.reshape copies when the layout needs it; the others always share memory
_def(
    "reshape",
    ("call", "np.reshape"),
    _reshape,
    [("a", OPERAND, None), ("shape", OPERAND, None)],
    kwattrs=(),
    memory="maybe",
    shape_operand=1,
)
_def(
    "transpose",
    ("call", "np.transpose"),
    _transpose,
    [("a", OPERAND, None), ("axes", ATTR, None)],
    kwattrs=(),
    memory="view",
)
_def("T", ("attr", "T"), _transpose, memory="view")
_def(
    "expand_dims",
    ("call", "np.expand_dims"),
    _expand_dims,
    [("a", OPERAND, None), ("axis", ATTR, None)],
    kwattrs=("axis",),
    memory="view",
    fast="newaxis",
)
_def(
    "squeeze",
    ("call", "np.squeeze"),
    _squeeze,
    [("a", OPERAND, None), ("axis", ATTR, None)],
    memory="view",
)
_def(
    "broadcast_to",
    ("call", "np.broadcast_to"),
    _broadcast_to,
    [("array", OPERAND, None), ("shape", OPERAND, None)],
    kwattrs=(),
    memory="view",
    read_only=True,
    shape_operand=1,
)

_def(
    "float64",
    ("call", "np.float64"),
    lambda ts, a: T.array("float64", ts[0].shape),
    [("x", OPERAND, None)],
    memory=_cast_memory,
)
_def(
    "float32",
    ("call", "np.float32"),
    lambda ts, a: T.array("float32", ts[0].shape),
    [("x", OPERAND, None)],
    memory=_cast_memory,
)
_def(
    "asarray",
    ("call", "np.asarray"),
    _cast,
    [("a", OPERAND, None), ("dtype", ATTR, None)],
    memory=_cast_memory,
    sequence=True,
)
_def(
    "array",
    ("call", "np.array"),
    _cast,
    [("object", OPERAND, None), ("dtype", ATTR, None)],
    sequence=True,
)
_def("astype", ("special",), _cast, [("dtype", ATTR, None)], memory="new", retype=True)

_def("ones", ("call", "np.ones"), _creation, _CREATE_PARAMS, constant=True, shape_operand=0)
_def("zeros", ("call", "np.zeros"), _creation, _CREATE_PARAMS, constant=True, shape_operand=0)
_def(
    "full",
    ("call", "np.full"),
    _full,
    [("shape", OPERAND, None), ("fill_value", OPERAND, None), ("dtype", ATTR, None)],
    shape_operand=0,
)
_def(
    "full_like",
    ("call", "np.full_like"),
    _full_like,
    [("a", OPERAND, None), ("fill_value", OPERAND, None), ("dtype", ATTR, None)],
)
_def(
    "round",
    ("call", "np.round"),
    _same,
    [("a", OPERAND, None), ("decimals", ATTR, 0)],
    elementwise=True,
    constant=True,
)
_def(
    "argsort",
    ("call", "np.argsort"),
    lambda ts, a: T.array("int64", ts[0].shape),
    [("a", OPERAND, None), ("axis", ATTR, -1)],
    constant=True,
)
_def(
    "tri",
    ("call", "np.tri"),
    _tri,
    [("N", ATTR, None), ("M", ATTR, None), ("k", ATTR, 0), ("dtype", ATTR, None)],
    kwattrs=("M", "k", "dtype"),
    constant=True,
)
_def(
    "ones_like",
    ("call", "np.ones_like"),
    _like,
    [("a", OPERAND, None), ("dtype", ATTR, None)],
    constant=True,
    metadata=True,
)
_def(
    "zeros_like",
    ("call", "np.zeros_like"),
    _like,
    [("a", OPERAND, None), ("dtype", ATTR, None)],
    constant=True,
    metadata=True,
)
_def(
    "shape",
    ("call", "np.shape"),
    _shape_of,
    [("a", OPERAND, None)],
    constant=True,
    metadata=True,
    cheap=True,
    fast="attr",
)

_def(
    "const",
    ("special",),
    _const,
    memory="foreign",
    literal=True,
    cheap=True,
    retype=True,
    structural=True,
)
_def("tuple", ("special",), _make_seq("tuple"), memory="holds", literal=True, retype=True)
_def("list", ("special",), _make_seq("list"), memory="holds", literal=True, retype=True)
_def(
    "getitem", ("special",), _getitem, memory="foreign", cheap=True, retype=True, structural=True
)  # an item of a tuple or list
_def(
    "stop_gradient",
    ("special",),
    _same,
    memory="view",
    retype=True,
    constant=True,
    syntax=("s2sgrad.stop_gradient(x)",),
)  # x itself, once gradients are expanded
_def(
    "gradients",
    ("special",),
    _unknown,
    inline=False,
    structural=True,
    syntax=("s2sgrad.gradients(ys, xs, ...)",),
)
# the backward pass's unbroadcast, printed as a call to a helper the module defines
_UNBROADCAST = '''\
def _unbroadcast(g, shape):
    """Sum g over the axes NumPy broadcasting added to an array of `shape`
    (`shape` may also have leading axes of size 1 that an assignment dropped)."""
    while np.ndim(g) > len(shape):
        g = np.sum(g, axis=0)
    lead = len(shape) - np.ndim(g)
    for axis, size in enumerate(shape[lead:]):
        if size == 1 and np.shape(g)[axis] != 1:
            g = np.sum(g, axis=axis, keepdims=True)
    return np.reshape(g, shape) if lead else g
'''
_def(
    "unbroadcast",
    ("call", "_unbroadcast"),
    _unbroadcast,
    [("g", OPERAND, None), ("shape", OPERAND, None)],
    kwattrs=(),
    memory="maybe",
    shape_operand=1,
    helper=_UNBROADCAST,
)  # g itself when nothing is summed
# a custom rule's entry for an argument made its adjoint (reverse.py's backprop_extern)
_RULE_ADJOINT = '''\
def _rule_adjoint(g, x, ans, rule):
    """What custom rule `rule` gave for argument x, as x's adjoint: zeros for None; of the
    result's shape where x was broadcast into it, summed to x's shape; a number broadcast
    to x's shape; of x's dtype (a Python float's: a float). Any other shape is an error."""
    numpy = isinstance(x, (np.ndarray, np.generic))
    if g is None:
        return np.zeros_like(x) if numpy else 0.0
    shape, given = np.shape(x), np.shape(g)
    if given != shape:
        if given == np.shape(ans) and np.broadcast_shapes(shape, given) == given:
            lead = len(given) - len(shape)
            ones = [lead + a for a, n in enumerate(shape) if n == 1 and given[lead + a] != 1]
            g = np.reshape(np.sum(g, axis=tuple(range(lead)) + tuple(ones)), shape)
        elif np.ndim(g) == 0:
            g = np.broadcast_to(g, shape)
        else:
            raise ValueError(f"the custom rule of {rule} gave an adjoint of shape {given} for "
                             f"an argument of shape {shape} (its result's is {np.shape(ans)}): "
                             "give one of the argument's shape")
    if not numpy:
        return float(g)
    if np.result_type(g) != x.dtype:
        g = np.asarray(g).astype(x.dtype) if np.ndim(g) else x.dtype.type(g)
    return g
'''
_def(
    "rule_adjoint",
    ("call", "_rule_adjoint"),
    lambda ts, a: T.adjoint_type(ts[1]),
    [("g", OPERAND, None), ("x", OPERAND, None), ("ans", OPERAND, None), ("rule", ATTR, None)],
    kwattrs=(),
    memory="maybe",
    read_only=True,
    helper=_RULE_ADJOINT,
    structural=True,
)  # g itself when it is x's adjoint as it is (structural: the plumbing of a custom
# rule, whose reverse sweep reverse.py refuses as extern_vjp's)
_def("copy", ("call", "np.copy"), _same, [("a", OPERAND, None), ("order", ATTR, "K")])
# (x.copy() is np.copy(x, order='C'): the method's default order is C, np.copy's K)
# the index of a for loop read after the loop, where it may be unbound (frontend/loops.py),
# or a name one branch of an `if` binds (frontend/branches.py)
_LOOP_INDEX = '''\
def _loop_index(value, ran, name):
    """A for loop's index, or a name a loop or one branch assigns first, read after it:
    Python raises UnboundLocalError when the loop ran no time (the branch did not run)
    and nothing bound the name before."""
    if not ran:
        raise UnboundLocalError(f"cannot access local variable {name!r} where it is not "
                                "associated with a value")
    return value
'''
_def(
    "loop_index",
    ("call", "_loop_index"),
    _same,
    [("value", OPERAND, None), ("ran", OPERAND, None), ("name", ATTR, None)],
    kwattrs=(),
    memory="maybe",  # (the value itself)
    effect="check",
    inline=False,
    helper=_LOOP_INDEX,
)
# an operand of np.cross whose last axis is not known to be of size 3 here (frontend/calls.py)
_THREE_VECTOR = '''\
def _three_vector(a):
    """An operand of np.cross, checked to hold 3-vectors along its last axis: the cross of
    2-vectors (which NumPy 2 deprecates) is a number, which s2sgrad does not differentiate."""
    if np.shape(a)[-1] != 3:
        raise ValueError("s2sgrad supports np.cross of 3-vectors only: give each 2-vector a "
                         "third component of 0, or write a[0] * b[1] - a[1] * b[0]")
    return a
'''
_def(
    "three_vector",
    ("call", "_three_vector"),
    _same,
    [("a", OPERAND, None)],
    kwattrs=(),
    memory="maybe",  # (the operand itself)
    effect="check",
    inline=False,
    helper=_THREE_VECTOR,
)

# a grad_ys entry of s2sgrad.gradients whose shape is not known to be its y's (gradients_call)
_SEED_SHAPE = '''\
def _seed_shape(g, y, i):
    """grad_ys[i] of s2sgrad.gradients, checked to have the shape of ys[i] (tf.gradients
    raises too: NumPy would broadcast it, and the gradients would have other shapes)."""
    if np.shape(g) != np.shape(y):
        raise ValueError(f"grad_ys[{i}] has shape {np.shape(g)}, but ys[{i}] has shape "
                         f"{np.shape(y)}: each grad_ys entry must have the shape of its y")
    return g
'''
_def(
    "seed_shape",
    ("call", "_seed_shape"),
    lambda ts, attrs: T.Type(ts[0].kind, ts[0].dtype, ts[1].shape, ts[0].weak, ts[0].items),
    [("g", OPERAND, None), ("y", OPERAND, None), ("i", ATTR, None)],
    kwattrs=(),
    memory="maybe",  # (g itself)
    effect="check",
    inline=False,
    helper=_SEED_SHAPE,
)

# an `assert test, message` of the source (frontend/lower.py stmt_Assert)
_ASSERT = '''\
def _assert(test, *message):
    """An `assert` of the source: Python's AssertionError where its test is false."""
    if not test:
        raise AssertionError(*message)
    return test
'''
_def(
    "check_assert",
    ("call", "_assert"),
    lambda ts, attrs: ts[0],
    [("test", OPERAND, None), ("message", ATTR, None)],
    kwattrs=(),
    memory="maybe",  # (the test itself)
    effect="check",
    inline=False,
    constant=True,
    helper=_ASSERT,
)

# the linear recurrence p_i = v_i + a_i p_{i-1} along an axis, cumprod's rules (rules/scan.py):
# one op, so that every derivative of it is a rule of sums and products of scans (a loop in
# the IR would be reversed with a tape, which a third derivative cannot reverse again)
_LINEAR_SCAN = '''\
def _linear_scan(v, a, axis, reverse=False):
    """p_i = v_i + a_i p_{i-1} along the axis, p_0 = v_0 (`a` holds a_1 ... a_{n-1});
    reverse: p_i = v_i + a_{i+1} p_{i+1}, p_{n-1} = v_{n-1}. ceil(log2 n) steps of
    Hillis and Steele's scan, sums and products only."""
    p = np.moveaxis(v, axis, -1).astype(np.result_type(v, a))      # (a copy: written)
    a = np.moveaxis(a, axis, -1)
    if reverse:
        p, a = p[..., ::-1], a[..., ::-1]
    s, n = 1, p.shape[-1]
    while s < n:
        p[..., s:] += a * p[..., :-s]
        a = a[..., s:] * a[..., :-s]
        s *= 2
    return np.moveaxis(p[..., ::-1] if reverse else p, -1, axis)
'''
_def(
    "linear_scan",
    ("call", "_linear_scan"),
    _scanned,
    [("v", OPERAND, None), ("a", OPERAND, None), ("axis", ATTR, None), ("reverse", ATTR, False)],
    kwattrs=("axis", "reverse"),
    helper=_LINEAR_SCAN,
)

# Structured control flow (regions; see core.py). Results are typed by their builder.
#   if(cond) [then, else]              each region yields the results
#   for(start, stop, step, *init) [body(i, *carried) -> *next]   attr reverse=True runs backwards
#   while(*init) [cond(*carried) -> flag, body(*carried) -> *next]
_REGIONS = dict(statement=True, inline=False, structural=True)
_def("if", ("special",), _unknown, **_REGIONS)
_def("for", ("special",), _unknown, **_REGIONS)
_def("while", ("special",), _unknown, **_REGIONS)
# Loop tapes: a list made before a loop, appended to in the forward loop, popped backwards.
# Calls to the user's functions, by name (attr callee). call_vjp returns (result, back), where
# back is the closure computing the callee's input adjoints; closure defines such a function.
# A callee's result may be any of its arguments (`def f(a): return a`).
_def("call", ("special",), _unknown, memory="foreign", structural=True)
_def("call_vjp", ("special",), _unknown, memory="foreign", inline=False, structural=True)
_def("call_back", ("special",), _unknown, memory="foreign", inline=False, structural=True)
_def("closure", ("special",), _unknown, **_REGIONS)
_def(
    "stack",
    ("special",),
    lambda ts, a: T.Type(kind="list"),
    memory="new",
    effect="new",
    inline=False,
    structural=True,
)
_def(
    "push", ("special",), _unknown, effect="update", statement=True, inline=False, structural=True
)  # no results: tape.append(v), or of a tuple (v, w, ...)
_def(
    "pop",
    ("special",),
    _unknown,
    memory="holds",
    effect="consume",
    inline=False,
    statement=True,
    structural=True,
)  # v = tape.pop(), or v, w, ... = tape.pop(): as pushed
# Lists built with append (frontend/lists.py): a `dynlist` value, functional in the IR.
# `append(L, v)` is L with v appended, written `L.append(v)` in place when nothing reads
# L afterwards (out_of_ssa.py), else on a copy. The ops reading a list's items as a whole
# take `n = len(L)` as an extra operand that only their adjoint reads (the list's adjoint
# is the array adjoint of np.array(L), of len(L) rows; the reverse sweep keeps that int,
# never the list, which later appends change); dead-code elimination drops it once the
# gradients are expanded. They print as the source wrote them.
_LIST = lambda t: T.Type(kind="dynlist", items=(t,) if t is not None else ())  # noqa: E731


def _list_new(ts, attrs):
    item = None
    for t in ts:
        item = t if item is None else T.join(item, t)
    return _LIST(item)


def _append(ts, attrs):
    item = T.list_item(ts[0]) if ts[0].items else None
    return _LIST(ts[1] if item is None else T.join(item, ts[1]))


def _list_sum(ts, attrs):
    """sum(L): the items' type, or for numbers the int 0 too (Python's sum of nothing):
    sum of float32 numbers that may be none is a float32 or a Python int."""
    item = T.list_item(ts[0])
    if item.kind != "array":
        return item
    t = T.array(item.dtype, item.shape, weak=item.weak)
    return T.join(t, T.PY_INT) if item.shape == () else t


def _list_concat(ts, attrs):
    item = T.list_item(ts[0])
    return T.array(item.dtype, None if not item.shape else (None,) + tuple(item.shape[1:]))


def _list_rows(ts, attrs):
    g = ts[0]
    return T.array(
        g.dtype if not g.weak else "float64", None if g.shape is None else (None,) + tuple(g.shape)
    )


_def(
    "list_new", ("special",), _list_new, memory="holds", retype=True, syntax=("[]",)
)  # list_new(*items): [a, b]
_def(
    "append",
    ("special",),
    _append,
    memory="write",
    statement=True,
    inline=False,
    retype=True,
    syntax=("xs.append(v)",),
)  # append(L, v): L with v appended
_def(
    "list_len",
    ("call", "len"),
    lambda ts, a: T.PY_INT,
    [("obj", OPERAND, None)],
    constant=True,
    memory="new",
)
_def(
    "list_get",
    ("special",),
    lambda ts, a: T.list_item(ts[0]),
    memory="foreign",
    retype=True,
    syntax=("xs[i]",),
)  # list_get(L, i, n): L[i]
_def(
    "list_array",
    ("call", "np.array"),
    lambda ts, a: T.list_stacked(ts[0]),
    [("object", OPERAND, None)],
)
_def(
    "list_stack",
    ("call", "np.stack"),
    lambda ts, a: T.list_stacked(ts[0], a.get("axis", 0)),
    [("arrays", OPERAND, None), ("axis", ATTR, 0)],
)
_def(
    "list_sum", ("special",), _list_sum, memory="new", retype=True, syntax=("sum(xs)",)
)  # list_sum(L, n): sum(L), 0 when empty
_def(
    "list_concat",
    ("special",),
    _list_concat,
    memory="new",
    retype=True,
    syntax=("np.concatenate(xs)",),
)  # list_concat(L, n)
_def(
    "list_zeros",
    ("special",),
    lambda ts, a: _LIST(T.list_item(ts[0])),
    memory="new",
    retype=True,
    constant=True,
    syntax=("list(np.zeros_like(xs))",),
)  # a zero tangent of a list
_def(
    "list_rows",
    ("special",),
    _list_rows,
    memory="view",
    read_only=True,
    retype=True,
    syntax=("np.broadcast_to(g, (n,) + np.shape(g))",),
)  # list_rows(g, n)
# Calls of functions s2sgrad knows by name only (custom.py): a function with a custom
# rule, or one with none (a constant off the gradient path, a LookupError on it).
#   extern(*args) {fn: how it is called, keywords: the names of the last args,
#                  rule: the rule's name in the module, result: (dtype, shape) when known}
#   extern_vjp(g, ans, *args) {fn: the rule, keywords}: the tuple of the args' adjoints
_def("extern", ("special",), _extern, memory="holds", structural=True, syntax=("f(...)",))
_def("extern_vjp", ("special",), _extern_vjp, memory="holds", structural=True)
_def("pyfloat", ("call", "float"), lambda ts, a: T.PY_FLOAT)
_def("pyint", ("call", "int"), lambda ts, a: T.PY_INT, [("x", OPERAND, None)], constant=True)
# Python's round(): of a number, an int; with ndigits, a number of the operand's type
# (a Python float rounds by its decimal value, a NumPy scalar as np.round does)
_def(
    "pyround",
    ("call", "round"),
    lambda ts, a: ts[0] if "ndigits" in a else T.PY_INT,
    [("number", OPERAND, None), ("ndigits", ATTR, None)],
    kwattrs=(),
    constant=True,
)
_def(
    "size",
    ("call", "np.size"),
    lambda ts, a: T.PY_INT,
    [("a", OPERAND, None)],
    constant=True,
    metadata=True,
    fast="attr",
)
_def(
    "gate", ("special",), _unknown, memory="holds", inline=False, structural=True
)  # n values in, the same n out: one tuple assignment

# Indexing (the key attribute is described in indexing.py); the writes are functional:
# `setitem(y, v, *dyn)` is y with y[key] = v, `index_add(y, v, *dyn)` is y with
# np.add.at(y, key, v). out_of_ssa.py decides which are written in place.
_def(
    "index", ("special",), I.infer_index, memory=_index_memory, cheap=True, syntax=("x[key]",)
)  # index(x, *dyn) {key}
_def(
    "setitem",
    ("special",),
    I.infer_write,
    memory="write",
    statement=True,
    inline=False,
    syntax=("y[key] = v", "y[key] op= v"),
)  # setitem(y, v, *dyn) {key}
_def(
    "index_add", ("special",), I.infer_write, memory="write", statement=True, inline=False
)  # index_add(y, v, *dyn) {key}
_def(
    "arange",
    ("call", "np.arange"),
    _arange,
    [
        ("start", OPERAND, None),
        ("stop", OPERAND, None),
        ("step", OPERAND, None),
        ("dtype", ATTR, None),
    ],
    constant=True,
)  # (also setitem's rule numbers writes with it)
_def(
    "eye",
    ("call", "np.eye"),
    _eye,
    [("N", OPERAND, None), ("M", OPERAND, None), ("k", ATTR, 0), ("dtype", ATTR, None)],
    constant=True,
    shape_operand=0,
)
_def(
    "linspace",
    ("call", "np.linspace"),
    _linspace,
    [
        ("start", OPERAND, None),
        ("stop", OPERAND, None),
        ("num", ATTR, 50),
        ("endpoint", ATTR, True),
        ("dtype", ATTR, None),
    ],
    kwattrs=("num", "endpoint", "dtype"),
    check=_check_linspace,
)

# Opcodes of the backward pass whose primal forms take a static shape
# (reshape/broadcast_to to a known shape) keep it in attrs['shape'] and no operand.


# ---- structure the verifier checks --------------------------------------------------


def _shape_rule(name, check, required=()):
    from dataclasses import replace

    OPS[name] = replace(OPS[name], structure=check, required=tuple(required))


for _name, _d in list(OPS.items()):
    if _d.form[0] in ("binop", "cmp"):
        _shape_rule(_name, _counts(2, 1))
    elif _d.form[0] in ("unop", "attr"):
        _shape_rule(_name, _counts(1, 1))
    elif _d.form[0] in ("call", "method"):
        _shape_rule(_name, _call_counts(sum(1 for p in _d.params if p[1] == OPERAND)))
for _name, _check, _req in [
    ("const", _counts(0, 1), ("value",)),
    ("tuple", _counts(None, 1), ()),
    ("list", _counts(None, 1), ()),
    ("getitem", _counts(1, 1), ("index",)),
    ("stop_gradient", _counts(1, 1), ()),
    ("astype", _counts(1, 1), ("dtype",)),
    ("if", _check_if, ()),
    ("for", _check_for, ()),
    ("while", _check_while, ()),
    ("call", _counts(None, "1+"), ("callee",)),
    ("call_vjp", _counts(None, 2), ("callee",)),
    ("call_back", _counts("1+", None), ()),
    ("closure", _check_closure, ()),
    ("stack", _counts(0, 1), ()),
    ("push", _counts("2+", 0), ()),
    ("pop", _counts(1, "1+"), ()),
    ("slogdet", _counts(1, 2), ()),
    ("eigh", _counts(1, 2), ()),
    ("qr", _counts(1, 2), ()),
    ("svd", _check_svd_results, ()),
    ("split", _counts(1, "1+"), ()),
    ("array_split", _counts(1, "1+"), ()),
    ("extern", _counts(None, 1), ("fn",)),
    ("extern_vjp", _counts("2+", 1), ("fn",)),
    ("index", _counts("1+", 1), ("key",)),
    ("setitem", _counts("2+", 1), ("key",)),
    ("index_add", _counts("2+", 1), ("key",)),
    ("list_new", _counts(None, 1), ()),
    ("append", _counts(2, 1), ()),
    ("list_get", _counts("2+", 1), ()),
    ("list_sum", _counts("1+", 1), ()),
    ("list_concat", _counts("1+", 1), ()),
    ("list_rows", _counts(2, 1), ()),
    ("list_zeros", _counts(1, 1), ()),
]:
    _shape_rule(_name, _check, _req)


# ---- how the array API standard spells each op (codegen_xp.py) -----------------------
# ('same',): operators, Python structure (tuples, loops, tapes, indexing) as NumPy's
# module writes them; a name: the standard's function `xp.<name>` of the same operands
# and attributes (renamed where the standard names one otherwise); 'special': written by
# codegen_xp.py (a permutation the standard needs spelled out, a copy, a cast); an op
# missing here has no spelling in the standard, and `--xp` refuses it at its line.
_XP_SAME = frozenset(
    {
        "add",
        "sub",
        "mul",
        "pow",
        "floordiv",
        "mod",
        "div",
        "matmul",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "neg",
        "pos",
        "not",
        "const",
        "tuple",
        "list",
        "getitem",
        "stop_gradient",
        "loop_index",
        "three_vector",
        "seed_shape",
        "check_assert",
        "if",
        "for",
        "while",
        "call",
        "call_vjp",
        "call_back",
        "closure",
        "stack",
        "push",
        "pop",
        "list_new",
        "append",
        "list_len",
        "list_get",
        "list_sum",
        "gate",
        "index",
        "setitem",
        "extern",
        "extern_vjp",
    }
)
_XP_NAMES = {
    "exp": "exp",
    "log": "log",
    "log1p": "log1p",
    "expm1": "expm1",
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "arctan": "atan",
    "sinh": "sinh",
    "cosh": "cosh",
    "arcsin": "asin",
    "arccos": "acos",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "log2": "log2",
    "log10": "log10",
    "fabs": "abs",
    "abs": "abs",
    "square": "square",
    "sign": "sign",
    "floor": "floor",
    "ceil": "ceil",
    "rint": "round",
    "trunc": "trunc",
    "fix": "trunc",
    "isnan": "isnan",
    "isinf": "isinf",
    "isfinite": "isfinite",
    "logical_not": "logical_not",
    "logical_and": "logical_and",
    "logical_or": "logical_or",
    "logical_xor": "logical_xor",
    "maximum": "maximum",
    "minimum": "minimum",
    "arctan2": "atan2",
    "logaddexp": "logaddexp",
    "copysign": "copysign",
    "where": "where",
    "clip": "clip",
    "sum": "sum",
    "prod": "prod",
    "mean": "mean",
    "max": "max",
    "min": "min",
    "var": "var",
    "std": "std",
    "cumsum": "cumulative_sum",
    "cumprod": "cumulative_prod",
    "flip": "flip",
    "concatenate": "concat",
    "any": "any",
    "all": "all",
    "argmax": "argmax",
    "argmin": "argmin",
    "sort": "sort",
    "argsort": "argsort",
    "tile": "tile",
    "repeat": "repeat",
    "roll": "roll",
    "take": "take",
    "take_along_axis": "take_along_axis",
    "count_nonzero": "count_nonzero",
    "searchsorted": "searchsorted",
    "real": "real",
    "conj": "conj",
    "reshape": "reshape",
    "expand_dims": "expand_dims",
    "broadcast_to": "broadcast_to",
    "asarray": "asarray",
    "empty": "empty",
    "empty_like": "empty_like",
    "ones": "ones",
    "zeros": "zeros",
    "full": "full",
    "full_like": "full_like",
    "ones_like": "ones_like",
    "zeros_like": "zeros_like",
    "arange": "arange",
    "linspace": "linspace",
    "eye": "eye",
    "inv": "linalg.inv",
    "det": "linalg.det",
    "slogdet": "linalg.slogdet",
    "solve": "linalg.solve",
    "cholesky": "linalg.cholesky",
    "list_stack": "stack",
}
_XP_RENAMES = {
    "var": (("ddof", "correction"),),
    "std": (("ddof", "correction"),),
    "tile": (("reps", None),),
    "repeat": (("repeats", None),),
}  # None: positional
_XP_SPECIAL = frozenset(
    {
        "T",
        "transpose",
        "squeeze",
        "astype",
        "float64",
        "float32",
        "array",
        "copy",
        "dot",
        "shape",
        "size",
        "unbroadcast",
        "linear_scan",
        "list_array",
        "list_concat",
        "list_rows",
        "index_add",
        "reshape",
        "full",
        "full_like",
        "pyfloat",
        "sum_where",
    }
)


def _xp_rule(name):
    if name in _XP_SAME:
        return ("same",)
    if name in _XP_SPECIAL:
        return ("special",)
    if name in _XP_NAMES:
        return ("call", "xp." + _XP_NAMES[name], _XP_RENAMES.get(name, ()))
    return None


for _name in list(OPS):
    OPS[_name] = replace(OPS[_name], xp=_xp_rule(_name))


def xp_form(opcode):
    """How the array API standard spells the op (OpDef.xp); None when it has no such
    function."""
    return OPS[opcode].xp


# ---- the one table from source to opcodes ------------------------------------

BINOPS = {
    "Add": "add",
    "Sub": "sub",
    "Mult": "mul",
    "Div": "div",
    "Pow": "pow",
    "MatMult": "matmul",
    "FloorDiv": "floordiv",
    "Mod": "mod",
}
UNARYOPS = {"USub": "neg", "UAdd": "pos", "Not": "not"}
CMPOPS = {"Eq": "eq", "NotEq": "ne", "Lt": "lt", "LtE": "le", "Gt": "gt", "GtE": "ge"}

# np.<name> -> opcode
NUMPY = {
    name: name for name in OPS if OPS[name].form[0] == "call" and OPS[name].form[1] == f"np.{name}"
}
NUMPY.update(
    {
        "add": "add",
        "subtract": "sub",
        "multiply": "mul",
        "divide": "div",
        "true_divide": "div",
        "power": "pow",
        "negative": "neg",
        "positive": "pos",
        "matmul": "matmul",
        "absolute": "abs",
        "amax": "max",
        "amin": "min",
        "equal": "eq",
        "not_equal": "ne",
        "less": "lt",
        "less_equal": "le",
        "greater": "gt",
        "greater_equal": "ge",
        "floor_divide": "floordiv",
        "mod": "mod",
        "remainder": "mod",
        "radians": "deg2rad",
        "degrees": "rad2deg",
        "around": "round",
    }
)
NUMPY.pop("unbroadcast", None)
NUMPY["identity"] = "eye"
NUMPY.update(
    {
        f"linalg.{n}": n
        for n in (
            "inv",
            "det",
            "slogdet",
            "solve",
            "norm",
            "cholesky",
            "eigh",
            "eigvalsh",
            "qr",
            "svd",
            "pinv",
            "matrix_power",
        )
    }
)
NUMPY.update({"conjugate": "conj"})

# Helper functions s2sgrad writes into generated modules -> opcode: a generated module
# reads back as the ops it was written from (frontend/source.py checks the helper's body)
HELPERS = {d.form[1]: name for name, d in OPS.items() if d.helper}


def math_name(opcode):
    """`math.<name>`: how a generated module writes an op spelled with `math`
    (passes/pymath.py)."""
    return f"math.{OPS[opcode].math[0]}"


def math_raises(opcode):
    """The exceptions (names) math.<name> of the op raises where NumPy gives inf or nan."""
    return OPS[opcode].math[1]


def helper_source(name):
    """The source of the helper function `name` (a key of HELPERS)."""
    opcode = HELPERS[name]
    return OPS[opcode].helper


# x.<name>(...) -> opcode; the array is the first operand
METHODS = {
    "sum": "sum",
    "mean": "mean",
    "max": "max",
    "min": "min",
    "prod": "prod",
    "var": "var",
    "std": "std",
    "cumsum": "cumsum",
    "round": "round",
    "argsort": "argsort",
    "repeat": "repeat",
    "cumprod": "cumprod",
    "diagonal": "diagonal",
    "trace": "trace",
    "take": "take",
    "argmax": "argmax",
    "argmin": "argmin",
    "reshape": "reshape",
    "transpose": "transpose",
    "squeeze": "squeeze",
    "astype": "astype",
    "dot": "dot",
    "clip": "clip",
    "copy": "copy",
    "any": "any",
    "all": "all",
    # (x.conj() of a real array is x itself, as x.real is; np.conj(x), a ufunc, copies)
    "conj": "real",
    "conjugate": "real",
    "item": "pyfloat",
}
# rng.<name>(...) of a np.random.Generator argument -> opcode; the generator is the first
# operand. RNG_COMPOSED: written with the draw given (rng.normal(mu, sigma, size) is
# mu + sigma * rng.standard_normal(size), bit for bit as NumPy computes it)
RNG_METHODS = {"standard_normal": "standard_normal", "random": "random", "integers": "integers"}
RNG_COMPOSED = {"normal": "standard_normal", "uniform": "random"}
# x.<name> -> opcode
ATTRIBUTES = {"T": "T", "shape": "shape", "size": "size", "real": "real"}
# np.<name> and x.<name>(...) the frontend writes with the opcode given (np.ravel(a) is
# np.reshape(a, (-1,)); np.swapaxes and np.moveaxis, a transpose by the axes they move)
NUMPY_COMPOSED = {
    "ravel": "reshape",
    "swapaxes": "transpose",
    "moveaxis": "transpose",
    "diff": "sub",
    "inner": "einsum",
    "vdot": "einsum",
    "tensordot": "einsum",
    "atleast_1d": "reshape",
    "atleast_2d": "reshape",
    "atleast_3d": "reshape",
    "column_stack": "concatenate",
    "dstack": "concatenate",
    "average": "mean",
    "stack": "array",
    "hstack": "concatenate",
    "vstack": "concatenate",
    "select": "where",
    "kron": "einsum",
    "linalg.multi_dot": "matmul",
}
METHODS_COMPOSED = {"ravel": "reshape", "flatten": "reshape", "swapaxes": "transpose"}


def result_count(opcode, attrs):
    """How many results a call of `opcode` with these attributes has."""
    n = OPS[opcode].nresults
    return n(attrs) if callable(n) else n


def infer(opcode, operand_types, attrs):
    return OPS[opcode].infer(tuple(operand_types), dict(attrs))


def spelling(opcode):
    """How source writes the op, for messages: `np.reshape`, `.T`, `+`, `x[key]`."""
    d = OPS[opcode]
    if d.form[0] == "attr":
        return "." + d.form[1]
    if d.form[0] == "method":
        return f"rng.{d.form[1]}"
    if d.form[0] != "special":
        return d.form[1].strip()
    return d.syntax[0] if d.syntax else opcode
