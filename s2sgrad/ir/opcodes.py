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
  (its result is taped in a loop), or moved (it is never inlined).
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
- `helper`: the source of the function a generated module defines to print the
  op as a call (`_unbroadcast`); a generated module read back maps it to the op.
"""

import math
import operator
from dataclasses import dataclass

import numpy as np

from . import indexing as I, types as T

# How a call binds: (name, role, default); role is 'operand', 'attr' or 'forbid'.
OPERAND, ATTR, FORBID = "operand", "attr", "forbid"

MEMORY = ("new", "view", "maybe", "holds", "foreign", "write", None)
EFFECTS = ("new", "update", "consume", "draw", None)


@dataclass(frozen=True)
class OpDef:
    name: str
    form: tuple                 # ('binop', '+') | ('unop', '-') | ('cmp', '<') | ('call', 'np.exp')
                                # | ('attr', 'T') | ('method', 'random'): a call of a method
                                # of the first operand | ('special',)
    infer: object               # (operand types, attrs) -> result Type
    params: tuple = ()          # call binding: ((name, role, default), ...)
    kwattrs: tuple = ()         # attrs written as keywords, in this order
    required: tuple = ()        # attributes every op of this kind has
    structure: object = None    # op -> what is wrong with its operands, results and
                                # regions (None when well formed); the verifier's check
    # ---- traits (the module docstring says what each means) ----
    memory: object = None       # one of MEMORY, or op -> one of MEMORY
    read_only: bool = False
    metadata: bool = False
    effect: str = None          # one of EFFECTS
    elementwise: bool = False
    cheap: bool = False
    literal: bool = False
    statement: bool = False
    inline: bool = True
    retype: bool = False
    structural: bool = False
    constant: bool = False
    augmented: bool = False
    shape_operand: int = None
    sequence: bool = False
    check: object = None        # (operand types, attrs) -> (what is refused, the fix), or
                                # None: a call the frontend refuses at its line
    nresults: object = 1        # results of a call (np.linalg.slogdet: sign, logabsdet), or
                                # attrs -> that count (np.linalg.svd: 1 without compute_uv,
                                # np.split: one a section); with several, `infer` may give a
                                # tuple, one type a result
    sections: bool = False      # its results are one list in source: parts = np.split(x, 3)
    listed: bool = False        # its operands are written as one list: np.concatenate([a, b])
    attrs_first: bool = False   # its positional attributes come first: np.einsum("ij->j", a)
    fold: object = None
    syntax: tuple = ()
    helper: str = None

    def __post_init__(self):
        if not callable(self.memory) and self.memory not in MEMORY:
            raise ValueError(f"{self.name}: memory {self.memory!r} is not one of {MEMORY}")
        if self.effect not in EFFECTS:
            raise ValueError(f"{self.name}: effect {self.effect!r} is not one of {EFFECTS}")


OPS = {}


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
    OPS[name] = OpDef(name, form, infer, tuple(params), tuple(kwattrs), **traits)


# ---- traits that depend on the op's operands ------------------------------------------

def memory(op):
    """What op's result is, as memory (one of MEMORY): the definition's answer for this op."""
    m = OPS[op.opcode].memory
    return m(op) if callable(m) else m


def draws(op):
    """True when op may advance a random generator: a draw, or an op given one (a call of
    a function of the user's that draws from it). Such an op runs where and as often as
    the source runs it (`effect`)."""
    return OPS[op.opcode].effect == "draw" or any(v.type.kind == "rng" for v in op.operands)


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
    if op.opcode != "asarray" and src.shape != () and src.shape is not None and \
            want == src.dtype:
        return "view"          # np.float64 of a float64 array of rank > 0: the array
    if op.opcode != "asarray" and src.shape is None:
        return "maybe"         # (of a 0-d array: a new NumPy scalar)
    if op.opcode != "asarray":
        return "new" if src.shape == () or src.dtype is not None else "maybe"
    if want is None or src.dtype == want:
        return "view"
    return "new" if src.dtype is not None else "maybe"


# ---- type inference helpers -------------------------------------------------

def _elementwise(ts, attrs):
    return T.array(T.result_dtype(*ts), T.broadcast_shapes(*(t.shape for t in ts)),
                   weak=all(t.weak for t in ts))


def _true_div(ts, attrs):
    t = _elementwise(ts, attrs)
    return T.Type(dtype=T.float_dtype(t.dtype), shape=t.shape, weak=t.weak)


def _compare(ts, attrs):
    return T.array("bool", T.broadcast_shapes(*(t.shape for t in ts)),
                   weak=all(t.weak for t in ts))


def _float_unary(ts, attrs):
    (t,) = ts[:1]
    return T.array(T.float_dtype(t.dtype), t.shape)


def _same(ts, attrs):
    return ts[0]


def _predicate(ts, attrs):
    (t,) = ts[:1]
    return T.array("bool", t.shape, weak=t.weak)


def _float_binary(ts, attrs):
    """A float function of two arrays (np.arctan2(1, 2) is a float64)."""
    t = _elementwise(ts, attrs)
    return T.array(T.float_dtype(t.dtype), t.shape)


def _float_power(ts, attrs):
    """np.float_power computes in float64 (or complex128), whatever its inputs."""
    t = _elementwise(ts, attrs)
    return T.array(None if t.dtype is None else "float64", t.shape)


def _where(ts, attrs):
    c, x, y = ts
    return T.array(T.result_dtype(x, y), T.broadcast_shapes(c.shape, x.shape, y.shape))


def _clip(ts, attrs):
    """np.clip makes an array of a Python number it clips (np.clip(0.3, lo32, hi32) is
    float64); its bounds stay weak (np.clip(x32, 0.1, 0.5) is float32)."""
    a = T.Type(dtype=ts[0].dtype, shape=ts[0].shape)
    return T.array(T.result_dtype(a, *ts[1:]), T.broadcast_shapes(*(t.shape for t in ts)))


def _matmul(ts, attrs):
    a, b = ts
    dtype = T.result_dtype(T.Type(dtype=a.dtype), T.Type(dtype=b.dtype))
    if a.shape is None or b.shape is None:
        return T.array(dtype, None)
    sa, sb = a.shape, b.shape
    if len(sa) == 0 or len(sb) == 0:           # np.dot with a scalar multiplies
        return T.array(dtype, sa or sb)
    if len(sa) == 1 and len(sb) == 1:
        return T.array(dtype, ())
    if len(sa) == 1:
        return T.array(dtype, sb[:-2] + sb[-1:])
    if len(sb) == 1:
        return T.array(dtype, sa[:-1])
    batch = T.broadcast_shapes(sa[:-2], sb[:-2])
    return T.array(dtype, batch + (sa[-2], sb[-1]))


def _dot(ts, attrs):
    a, b = ts
    if a.shape is not None and b.shape is not None and len(a.shape) >= 2 and len(b.shape) >= 3:
        dtype = T.result_dtype(T.Type(dtype=a.dtype), T.Type(dtype=b.dtype))
        return T.array(dtype, a.shape[:-1] + b.shape[:-2] + b.shape[-1:])
    return _matmul(ts, attrs)      # np.dot(a, b) == a @ b for these ranks


def _axes(axis, rank):
    if axis is None:
        return tuple(range(rank))
    axis = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % rank for a in axis))


def _reduce(ts, attrs, dtype=None):
    (t,) = ts
    dtype = dtype or attrs.get("dtype") or t.dtype
    if attrs.get("axis") is None and not attrs.get("keepdims"):
        return T.array(dtype, ())
    if t.shape is None:
        return T.array(dtype, None)
    axes = _axes(attrs.get("axis"), len(t.shape))
    if attrs.get("keepdims"):
        shape = tuple(1 if i in axes else d for i, d in enumerate(t.shape))
    else:
        shape = tuple(d for i, d in enumerate(t.shape) if i not in axes)
    return T.array(dtype, shape)


def _sum(ts, attrs):
    t = ts[0]
    dtype = attrs.get("dtype") or ("int64" if t.dtype == "bool" else t.dtype)
    return _reduce(ts, attrs, dtype)


def _mean(ts, attrs):
    return _reduce(ts, attrs, attrs.get("dtype") or T.float_dtype(ts[0].dtype))


def _cumulative(ts, attrs):
    """np.cumsum: x's shape along an axis; flattened (1-d) when axis is None."""
    t = ts[0]
    dtype = attrs.get("dtype") or ("int64" if t.dtype == "bool" else t.dtype)
    if attrs.get("axis") is not None or t.shape is None:
        return T.array(dtype, t.shape if attrs.get("axis") is not None else None)
    if all(isinstance(d, int) for d in t.shape):
        return T.array(dtype, (math.prod(t.shape),))
    return T.array(dtype, (None,))


def _arg_reduce(ts, attrs):
    return _reduce(ts, attrs, "int64")


def _shape_operand(ts, attrs, i):
    """Shape for ops taking a shape operand; attrs['shape'] holds it when static."""
    if "shape" in attrs and attrs["shape"] is not None:
        s = attrs["shape"]
        return tuple(s) if isinstance(s, (tuple, list)) else (s,)
    t = ts[i]
    if t.kind in ("tuple", "list") and t.items is not None:
        return tuple(None for _ in t.items)
    if t.kind == "array" and t.shape == ():
        return (None,)
    return None


def _reshape(ts, attrs):
    shape = _shape_operand(ts, attrs, 1)
    if shape is not None and -1 in shape:
        shape = tuple(None if d == -1 else d for d in shape)
    return T.array(ts[0].dtype, shape)


def _broadcast_to(ts, attrs):
    return T.array(ts[0].dtype, _shape_operand(ts, attrs, 1))


def _transpose(ts, attrs):
    (t,) = ts
    if t.shape is None:
        return t
    axes = attrs.get("axes")
    if axes is None:
        return T.array(t.dtype, t.shape[::-1])
    return T.array(t.dtype, tuple(t.shape[a] for a in axes))


def _expand_dims(ts, attrs):
    (t,) = ts
    if t.shape is None:
        return t
    axis = attrs["axis"]
    axis = axis if isinstance(axis, tuple) else (axis,)
    rank = len(t.shape) + len(axis)
    axis = {a % rank for a in axis}
    it = iter(t.shape)
    return T.array(t.dtype, tuple(1 if i in axis else next(it) for i in range(rank)))


def _squeeze(ts, attrs):
    (t,) = ts
    if t.shape is None:
        return t
    axis = attrs.get("axis")
    if axis is None:
        if any(d is None or isinstance(d, str) for d in t.shape):
            return T.array(t.dtype, None)
        return T.array(t.dtype, tuple(d for d in t.shape if d != 1))
    axes = _axes(axis, len(t.shape))
    return T.array(t.dtype, tuple(d for i, d in enumerate(t.shape) if i not in axes))


def _cast(ts, attrs):
    t = T.stacked(ts[0]) or T.UNKNOWN        # np.array([a, b]): the items, stacked
    return T.array(attrs.get("dtype") or t.dtype, t.shape)


def _creation(ts, attrs):
    return T.array(attrs.get("dtype") or "float64", _shape_operand(ts, attrs, 0))


def _full(ts, attrs):
    fill = ts[1]
    dtype = attrs.get("dtype") or (fill.dtype if not fill.weak else
                                   {"bool": "bool", "int64": "int64"}.get(fill.dtype, "float64"))
    return T.array(dtype, _shape_operand(ts, attrs, 0))


def _concatenate(ts, attrs):
    """np.concatenate: the sizes along the axis add up (axis None: of the flattened arrays)."""
    dtype = T.result_dtype(*(T.Type(dtype=t.dtype) for t in ts))
    axis = attrs.get("axis", 0)
    shapes = [t.shape for t in ts]
    if axis is None:
        sizes = [math.prod(s) if s is not None and all(isinstance(d, int) for d in s) else None
                 for s in shapes]
        return T.array(dtype, (None if None in sizes else sum(sizes),))
    if any(s is None for s in shapes) or len({len(s) for s in shapes}) != 1 or not shapes[0]:
        return T.array(dtype, None)
    k = axis % len(shapes[0])
    along = [s[k] for s in shapes]
    total = sum(along) if all(isinstance(d, int) for d in along) else None
    return T.array(dtype, shapes[0][:k] + (total,) + shapes[0][k + 1:])


def einsum_parts(subscripts):
    """(the operands' subscripts, the output's) of an explicit einsum spec 'ij,jk->ik'."""
    ins, out = subscripts.split("->")
    return ins.split(","), out


def _einsum(ts, attrs):
    dtype = T.result_dtype(*(T.Type(dtype=t.dtype) for t in ts))
    ins, out = einsum_parts(attrs["subscripts"])
    dims = {}
    for s, t in zip(ins, ts):
        if t.shape is None or len(t.shape) != len(s):
            return T.array(dtype, None)
        for c, d in zip(s, t.shape):
            if dims.get(c) in (None, 1) or isinstance(dims.get(c), str) and isinstance(d, int):
                dims[c] = d
    return T.array(dtype, tuple(dims.get(c) for c in out))


def _det(ts, attrs):
    """np.linalg.det of a stack of square matrices: one number a matrix."""
    t = ts[0]
    return T.array(T.float_dtype(t.dtype), None if t.shape is None else t.shape[:-2])


def _solve(ts, attrs):
    """np.linalg.solve(a, b): x with a @ x = b, shaped like b (b a vector when 1-d)."""
    a, b = ts
    return T.array(T.float_dtype(T.result_dtype(T.Type(dtype=a.dtype), T.Type(dtype=b.dtype))),
                   b.shape)


def _matrices(t, shape_of):
    """A float array shaped by `shape_of(stack, m, n)` from a stack of m x n matrices."""
    dtype = T.float_dtype(t.dtype)
    if t.shape is None or len(t.shape) < 2:
        return T.array(dtype, None)
    return T.array(dtype, shape_of(t.shape[:-2], *t.shape[-2:]))


def _min_dim(m, n):
    """min(m, n) of two sizes; None when the types cannot tell (two size names)."""
    if m == n or isinstance(m, int) and isinstance(n, int):
        return m if m == n else min(m, n)
    return None


def _eigh(ts, attrs):
    """np.linalg.eigh of a stack of n x n matrices: eigenvalues (..., n), eigenvectors
    (..., n, n)."""
    return (_matrices(ts[0], lambda s, m, n: s + (n,)), _matrices(ts[0], lambda s, m, n: s + (m, n)))


def _eigvalsh(ts, attrs):
    return _eigh(ts, attrs)[0]


def _qr(ts, attrs):
    """np.linalg.qr (reduced) of m x n matrices, k = min(m, n): Q (..., m, k), R (..., k, n)."""
    return (_matrices(ts[0], lambda s, m, n: s + (m, _min_dim(m, n))),
            _matrices(ts[0], lambda s, m, n: s + (_min_dim(m, n), n)))


def _svd(ts, attrs):
    """np.linalg.svd of m x n matrices, k = min(m, n): the singular values (..., k), and
    with compute_uv (full_matrices=False) U (..., m, k), s, Vh (..., k, n)."""
    s = _matrices(ts[0], lambda s, m, n: s + (_min_dim(m, n),))
    if not attrs.get("compute_uv", True):
        return s
    return (_matrices(ts[0], lambda s, m, n: s + (m, _min_dim(m, n))), s,
            _matrices(ts[0], lambda s, m, n: s + (_min_dim(m, n), n)))


def _svd_results(attrs):
    return 3 if attrs.get("compute_uv", True) else 1


def _pinv(ts, attrs):
    """np.linalg.pinv of m x n matrices: n x m."""
    return _matrices(ts[0], lambda s, m, n: s + (n, m))


def _times(d, k):
    return d * k if isinstance(d, int) else None


def _tile(ts, attrs):
    """np.tile(a, k) of an array of rank 1 or more: its last axis k times as long."""
    t = ts[0]
    if t.shape is None or not t.shape:
        return T.array(t.dtype, None)
    return T.array(t.dtype, t.shape[:-1] + (_times(t.shape[-1], attrs["reps"]),))


def _repeat(ts, attrs):
    """np.repeat(a, k, axis): each element k times along the axis (of the flattened a if None)."""
    t, k, axis = ts[0], attrs["repeats"], attrs.get("axis")
    if t.shape is None:
        return T.array(t.dtype, None)
    if axis is None:
        size = math.prod(t.shape) if all(isinstance(d, int) for d in t.shape) else None
        return T.array(t.dtype, (_times(size, k),))
    axis %= len(t.shape)
    return T.array(t.dtype, t.shape[:axis] + (_times(t.shape[axis], k),) + t.shape[axis + 1:])


# ---- what the frontend refuses at a call (OpDef.check) --------------------------------

def _known_ranks(spelling):
    def check(ts, attrs):
        if any(t.shape is None for t in ts):
            return (f"{spelling} of an array whose rank s2sgrad cannot know here is not "
                    "supported", "give the matrix a known rank (no reshape to a computed shape "
                    "before it)")
        return None
    return check


MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _check_norm(ts, attrs):
    """Vector norms (of a 1-d x, or along one axis) of any real order but 0; matrix norms
    (of a 2-d x, or over a pair of axes) of the orders NumPy has: None or 'fro', 'nuc',
    1, -1, 2, -2, inf, -inf; ord None of any x (the flattened 2-norm)."""
    known = _known_ranks("np.linalg.norm")(ts, attrs)
    if known:
        return known
    order, axis, rank = attrs.get("ord"), attrs.get("axis"), len(ts[0].shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    if axis is not None and (len(axes) not in (1, 2) or
                             len({a % rank for a in axes if -rank <= a < rank}) != len(axes)):
        return (f"np.linalg.norm over axis={axis!r} is not supported",
                "one axis (a vector norm) or two distinct axes (a matrix norm) of x")
    if axis is None and rank > 2 and order is not None:
        return (f"np.linalg.norm with ord={order!r} of an array of rank {rank} needs an axis",
                "np.linalg.norm(x, ord, axis=(1, 2)) (a matrix norm) or axis=-1 (a vector norm)")
    if len(axes) == 2 or axis is None and rank == 2:
        if order in MATRIX_ORDS and not isinstance(order, bool):
            return None
        return (f"np.linalg.norm of a matrix with ord={order!r} is not a matrix norm",
                "ord None or 'fro', 'nuc', 1, -1, 2, -2, np.inf or -np.inf; or a vector norm "
                "along one axis: np.linalg.norm(x, ord, axis=1)")
    if order == 0 or not (order is None or isinstance(order, (int, float))
                          and not isinstance(order, bool)):
        return (f"np.linalg.norm with ord={order!r} is not supported here",
                "a real order other than 0 (2, 1, 3, np.inf, ...); 'fro' and 'nuc' of a matrix")
    return None


def _matrix_check(spelling, attr=None, allowed=()):
    """Stacks of matrices of known rank; `attr`, when given, one of `allowed`."""
    def check(ts, attrs):
        known = _known_ranks(spelling)(ts, attrs)
        if known or len(ts[0].shape) < 2:
            return known or (f"{spelling} takes a matrix or a stack of them, not an array of "
                             f"rank {len(ts[0].shape)}", "give it an array of rank 2 or more")
        if attr is not None and attrs.get(attr, allowed[0]) not in allowed:
            return (f"{spelling} with {attr}={attrs[attr]!r} is not supported",
                    f"{attr}={' or '.join(map(repr, allowed))}")
        return None
    return check


def _check_qr(ts, attrs):
    """Reduced QR of m x n matrices with m >= n (where the types can tell; a wide matrix
    whose sizes are two size names makes the gradient raise NumPy's LinAlgError)."""
    problem = _matrix_check("np.linalg.qr", "mode", ("reduced",))(ts, attrs)
    if problem:
        return problem
    m, n = ts[0].shape[-2:]
    if isinstance(m, int) and isinstance(n, int) and m < n:
        return (f"np.linalg.qr of a wide matrix ({m} x {n}) is not supported: its gradient "
                "is implemented for m >= n", "take the QR of the transpose (an LQ)")
    return None


def _check_svd(ts, attrs):
    """Singular values (compute_uv=False), or U, s, Vh of the reduced SVD
    (full_matrices=False; a square matrix may leave it out); not hermitian=True."""
    problem = _matrix_check("np.linalg.svd", "hermitian", (False,))(ts, attrs)
    if problem:
        return problem
    m, n = ts[0].shape[-2:]
    if attrs.get("compute_uv", True) and attrs.get("full_matrices", True) and m != n:
        return ("np.linalg.svd with full_matrices=True (the default) of a matrix that may not "
                "be square is not supported", "np.linalg.svd(a, full_matrices=False), or "
                "compute_uv=False for the singular values")
    return None


def _int_count(spelling, attr):
    def check(ts, attrs):
        k = attrs.get(attr)
        if not isinstance(k, int) or isinstance(k, bool) or k < 0 or ts[0].shape is None \
                or spelling == "np.tile" and not ts[0].shape:
            return (f"{spelling} takes a constant non-negative int count here, of an array of "
                    "known rank (1 or more for np.tile)", f"{spelling}(x, 3)")
        return None
    return check


def _check_linspace(ts, attrs):
    if any(t.shape != () for t in ts):
        return ("np.linspace of array endpoints is not supported",
                "give it scalar start and stop (a loop or broadcasting "
                "`a[None] + (b - a)[None] * t[:, None]` for arrays)")
    return None


def _outer(ts, attrs):
    """np.outer: the flattened a against the flattened b."""
    def size(t):
        if t.shape is None:
            return None
        if all(isinstance(d, int) for d in t.shape):
            return math.prod(t.shape)
        return t.shape[0] if len(t.shape) == 1 else None
    a, b = ts
    return T.array(T.result_dtype(T.Type(dtype=a.dtype), T.Type(dtype=b.dtype)),
                   (size(a), size(b)))


def _arange(ts, attrs):
    """np.arange: a 1-d array, of a length the types do not give; float when a bound is."""
    dtype = attrs.get("dtype") or ("float64" if any(t.is_float for t in ts) else "int64")
    return T.array(dtype, (None,))


def _eye(ts, attrs):
    """np.eye(N) is N x N; np.eye(N, M), N x M (M's size is not in the types)."""
    shape = attrs.get("shape")
    n = shape[0] if shape and len(shape) == 1 else None
    return T.array(attrs.get("dtype") or "float64", (n, n) if len(ts) == 1 else (n, None))


def _linspace(ts, attrs):
    """np.linspace of scalar endpoints: num evenly spaced values."""
    dtype = attrs.get("dtype") or T.float_dtype(T.result_dtype(*ts))
    return T.array(dtype, (attrs.get("num", 50),))


def _full_like(ts, attrs):
    """np.full_like(a, v): a's shape, a's dtype (or dtype=)."""
    t = ts[0]
    return T.array(attrs.get("dtype") or t.dtype, t.shape)


def _tri(ts, attrs):
    n, m = attrs["N"], attrs.get("M")
    return T.array(attrs.get("dtype") or "float64", (n, n if m is None else m))


def _like(ts, attrs):
    t = ts[0]
    return T.array(attrs.get("dtype") or t.dtype, t.shape)


def _shape_of(ts, attrs):
    t = ts[0]
    if t.shape is None:
        return T.Type(kind="tuple")
    return T.Type(kind="tuple", items=tuple(T.PY_INT for _ in t.shape))


def _const(ts, attrs):
    return T.of_python(attrs["value"])


def _make_seq(kind):
    return lambda ts, attrs: T.Type(kind=kind, items=tuple(ts))


def _getitem(ts, attrs):
    t = ts[0]
    if t.kind in ("tuple", "list") and t.items is not None and isinstance(attrs.get("index"), int):
        return t.items[attrs["index"]]
    return T.UNKNOWN


def _unbroadcast(ts, attrs):
    return T.array(ts[0].dtype, _shape_operand(ts, attrs, 1))


def _extern(ts, attrs):
    """A call of a function known by name only: the type its rule's declaration or its
    own source gives (attr `result`), else unknown."""
    dtype, shape = attrs.get("result", (None, None))
    return T.array(dtype, shape)


def _extern_vjp(ts, attrs):
    """A rule's tuple of adjoints, one per positional argument: shaped like the argument
    where the result is (else the driver sums it down to the argument at run time)."""
    ans, args = ts[1], ts[2:]
    n = len(args) - len(attrs.get("keywords", ()))
    return T.Type(kind="tuple", items=tuple(
        T.array(T.float_dtype(t.dtype), t.shape if t.shape is not None
                and T.same_shape(t.shape, ans.shape) else None) for t in args[:n]))


def _unknown(ts, attrs):
    return T.UNKNOWN


def _dim_sum(*ds):
    return sum(ds) if all(isinstance(d, int) for d in ds) else None


def _rot90(ts, attrs):
    """np.rot90(m, k, axes): the two axes' sizes swap when k is odd."""
    t = ts[0]
    if t.shape is None or attrs.get("k", 1) % 2 == 0:
        return t
    i, j = (a % len(t.shape) for a in attrs.get("axes", (0, 1)))
    shape = list(t.shape)
    shape[i], shape[j] = shape[j], shape[i]
    return T.array(t.dtype, shape)


def pad_pairs(pad_width, rank):
    """np.pad's widths as one (before, after) pair an axis (an int, one pair, or a pair
    an axis); None when they are not that."""
    try:
        pairs = np.broadcast_to(np.asarray(pad_width), (rank, 2))
    except ValueError:
        return None
    if pairs.dtype.kind not in "iu" or (pairs < 0).any():
        return None
    return tuple((int(lo), int(hi)) for lo, hi in pairs)


def _pad(ts, attrs):
    """np.pad: each axis longer by its two widths."""
    t = ts[0]
    if t.shape is None:
        return t
    pairs = pad_pairs(attrs["pad_width"], len(t.shape))
    return T.array(t.dtype, tuple(_dim_sum(d, lo, hi) for d, (lo, hi) in zip(t.shape, pairs)))


def _check_pad(ts, attrs):
    if attrs.get("mode", "constant") != "constant":
        return (f"np.pad with mode={attrs['mode']!r} is not supported (constant mode only)",
                "pad with a constant (mode='constant', the default), or build the border "
                "with slices and np.concatenate (mode='edge': x[:1] repeated, 'reflect': "
                "x[1:k + 1][::-1])")
    value = attrs.get("constant_values", 0)
    if ts[0].shape is None or pad_pairs(attrs.get("pad_width"), len(ts[0].shape)) is None \
            or not isinstance(value, (int, float)) or isinstance(value, bool):
        return ("np.pad takes constant non-negative int widths (an int, a pair, or a pair "
                "an axis) of an array of known rank, and one constant number to pad with",
                "np.pad(x, ((1, 2), (0, 0)), constant_values=0.0)")
    return None


def _diag_length(m, n, k):
    """The length of the k-th diagonal of an m x n matrix (None when not known)."""
    if not isinstance(m, int) or not isinstance(n, int):
        return None
    return max(0, min(m, n - k) if k >= 0 else min(m + k, n))


def _diagonal(ts, attrs):
    """np.diagonal(a, offset, axis1, axis2): the other axes, then the diagonal's."""
    t = ts[0]
    if t.shape is None:
        return t
    rank = len(t.shape)
    i, j = attrs.get("axis1", 0) % rank, attrs.get("axis2", 1) % rank
    rest = tuple(d for a, d in enumerate(t.shape) if a not in (i, j))
    return T.array(t.dtype, rest + (_diag_length(t.shape[i], t.shape[j],
                                                 attrs.get("offset", 0)),))


def _diag(ts, attrs):
    """np.diag(v, k): a 1-d v on the k-th diagonal of a square matrix; of a matrix, its
    k-th diagonal."""
    t, k = ts[0], attrs.get("k", 0)
    if t.shape is None:
        return t
    if len(t.shape) == 2:
        return _diagonal(ts, {"offset": k})
    n = _dim_sum(t.shape[0], abs(k))
    return T.array(t.dtype, (n, n))


def _diag_memory(op):
    """np.diag of a matrix is a (read-only) view of its diagonal; of a vector, a new matrix."""
    return "view" if op.operands[0].type.rank == 2 else "new"


def _check_axes(spelling, names, pairwise=False):
    """A check that the array's rank is known and the named axis attributes are ints
    in range (distinct, when `pairwise`)."""
    def check(ts, attrs):
        t = ts[0]
        defaults = {"axis1": 0, "axis2": 1, "axis": -1}
        axes = [attrs.get(n, defaults.get(n)) for n in names]
        axes = [(0, 1) if a is None and n == "axes" else a for a, n in zip(axes, names)]
        flat = [x for a in axes if a is not None        # (np.sort(x, axis=None): flattened)
                for x in (a if isinstance(a, tuple) else (a,))]
        if t.shape is None or not all(isinstance(a, int) and not isinstance(a, bool)
                                      and -len(t.shape) <= a < len(t.shape) for a in flat) \
                or pairwise and len({a % len(t.shape) for a in flat}) != len(flat):
            return (f"{spelling} takes constant{' distinct' if pairwise else ''} int axes of "
                    "an array of known rank here", f"{spelling}(x, ...) with literal axes")
        return None
    return check


def _check_diag(ts, attrs):
    if ts[0].shape is None or len(ts[0].shape) not in (1, 2):
        return ("np.diag takes a 1-d or 2-d array of known rank",
                "np.diagonal(x, offset, axis1, axis2) for other ranks")
    return None


def _check_rot90(ts, attrs):
    if not isinstance(attrs.get("k", 1), int) or ts[0].shape is None or len(ts[0].shape) < 2:
        return ("np.rot90 takes a constant int k and two distinct axes of an array of rank 2 "
                "or more", "np.rot90(x, 2, axes=(0, 1))")
    axes = attrs.get("axes", (0, 1))
    if not (isinstance(axes, tuple) and len(axes) == 2):
        return ("np.rot90's axes are a pair of ints", "np.rot90(x, 1, axes=(1, 2))")
    return _check_axes("np.rot90", ("axes",), pairwise=True)(ts, attrs)


def _take(ts, attrs):
    """np.take(a, indices, axis): the indices' shape in place of the axis (of the
    flattened a, when axis is None)."""
    a, idx = ts[0], T.stacked(ts[1]) or T.UNKNOWN      # (indices may be a list of ints)
    axis = attrs.get("axis")
    if axis is None:
        return T.array(a.dtype, idx.shape)
    if a.shape is None or idx.shape is None:
        return T.array(a.dtype, None)
    k = axis % len(a.shape)
    return T.array(a.dtype, a.shape[:k] + idx.shape + a.shape[k + 1:])


def _integer_indices(spelling, axis_default):
    def check(ts, attrs):
        idx = T.stacked(ts[1]) or T.UNKNOWN
        if idx.dtype is None or not T.Type(dtype=idx.dtype).is_integer or idx.dtype == "bool":
            return (f"the indices of {spelling} are integers here", f"{spelling}(x, i, ...) "
                    "with an int array or a list of ints i")
        if attrs.get("axis", axis_default) is None:
            return None
        return _check_axes(spelling, ("axis",))(ts, dict(attrs, axis=attrs.get("axis",
                                                                          axis_default)))
    return check


def _take_along_axis(ts, attrs):
    """np.take_along_axis(a, indices, axis): a's shape broadcast with the indices',
    the axis as long as the indices'."""
    a, idx = ts
    axis = attrs.get("axis", -1)
    if axis is None or a.shape is None or idx.shape is None or len(a.shape) != len(idx.shape):
        return T.array(a.dtype, idx.shape)
    k = axis % len(a.shape)
    outer = a.shape[:k] + (idx.shape[k],) + a.shape[k + 1:]
    return T.array(a.dtype, T.broadcast_shapes(outer, idx.shape))


def _check_take_along_axis(ts, attrs):
    a, idx = ts
    if a.shape is not None and idx.shape is not None and attrs.get("axis", -1) is not None \
            and len(a.shape) != len(idx.shape):
        return ("np.take_along_axis needs indices of the array's rank",
                "np.take_along_axis(x, np.argsort(x, axis=1), axis=1)")
    return _integer_indices("np.take_along_axis", -1)(ts, attrs)


def _check_cross(ts, attrs):
    if any(t.shape is None or not t.shape or isinstance(t.shape[-1], int) and t.shape[-1] != 3
           for t in ts):
        return ("np.cross takes two arrays of 3-vectors along their last axis here",
                "np.cross(a, b) with a.shape[-1] == b.shape[-1] == 3; for 2-vectors, "
                "a[0] * b[1] - a[1] * b[0]")
    return None


def _sorted(ts, attrs):
    """np.sort: the array's shape (flattened, 1-d, when axis is None)."""
    if "axis" in attrs and attrs["axis"] is None:
        return _cumulative(ts, {})
    return ts[0]


def _sections(attrs):
    """The number of arrays np.split / np.array_split make."""
    s = attrs["indices_or_sections"]
    return s if isinstance(s, int) else len(s) + 1


def _split_bounds(s, n):
    """(start, stop) of each section of a length n (None when not known)."""
    if isinstance(s, int):
        if not isinstance(n, int):
            return [(None, None)] * s
        each, extra = divmod(n, s)
        stops = [each * i + min(i, extra) for i in range(s + 1)]
        return list(zip(stops, stops[1:]))
    stops = [0] + list(s) + [n]
    return list(zip(stops, stops[1:]))


def _split(ts, attrs):
    """np.split / np.array_split: one type a section (one section: that type)."""
    t, axis = ts[0], attrs.get("axis", 0)
    if t.shape is None:
        types_ = (t,) * _sections(attrs)
    else:
        k = axis % len(t.shape)
        types_ = tuple(
            T.array(t.dtype, t.shape[:k] + (_section_length(lo, hi, t.shape[k]),)
                    + t.shape[k + 1:])
            for lo, hi in _split_bounds(attrs["indices_or_sections"], t.shape[k]))
    return types_ if len(types_) > 1 else types_[0]


def _section_length(lo, hi, n):
    """The length of the slice lo:hi of an axis of length n (None when n is not known)."""
    if lo is None or not isinstance(n, int):
        return None
    return len(range(*slice(lo, hi).indices(n)))


def _check_split(spelling):
    def check(ts, attrs):
        s, t = attrs.get("indices_or_sections"), ts[0]
        ok_int = isinstance(s, int) and not isinstance(s, bool) and s > 0
        ok_list = isinstance(s, (tuple, list)) and all(isinstance(i, int) and not isinstance(i, bool)
                                               for i in s)
        if not (ok_int or ok_list) or t.shape is None or not t.shape:
            return (f"{spelling} takes a constant int number of sections or a constant list "
                    "of indices, of an array of known rank 1 or more (the number of arrays "
                    "it makes must be known)", f"{spelling}(x, 2) or {spelling}(x, [1, 3], "
                    "axis=1) with literal numbers")
        problem = _check_axes(spelling, ("axis",))(ts, dict(attrs, axis=attrs.get("axis", 0)))
        if problem:
            return problem
        n = t.shape[attrs.get("axis", 0) % len(t.shape)]
        if spelling == "np.split" and ok_int and isinstance(n, int) and n % s:
            return (f"np.split of an axis of length {n} into {s} sections: array split does "
                    "not result in an equal division (NumPy raises)",
                    "np.array_split for unequal sections")
        return None
    return check


def _check_quantile(spelling, top):
    """A constant number q in [0, top] (np.median: none), axis None or one constant int,
    the 'linear' method, the input left as it is."""
    def check(ts, attrs):
        q = attrs.get("q")
        if top is not None and (not isinstance(q, (int, float)) or isinstance(q, bool)
                                or not 0 <= q <= top):
            return (f"{spelling} takes one constant number q from 0 to {top} here",
                    f"{spelling}(x, {top / 4!r}); for several, one call a q")
        if attrs.get("method", "linear") != "linear" or attrs.get("overwrite_input"):
            return (f"{spelling} with method={attrs.get('method')!r} or overwrite_input=True "
                    "is not supported (the default linear method, input unchanged)",
                    f"leave out method= and overwrite_input=")
        axis = attrs.get("axis")
        if axis is not None and not isinstance(axis, int) or isinstance(axis, bool):
            return (f"{spelling} takes axis None or one constant int here",
                    f"{spelling}(x, ..., axis=0), or reshape the axes into one first")
        return _check_axes(spelling, ("axis",))(ts, attrs) if axis is not None else None
    return check


def _matrix_power(ts, attrs):
    """np.linalg.matrix_power(a, n): a's type (a float inverse's for n < 0)."""
    t = ts[0]
    return T.array(T.float_dtype(t.dtype), t.shape) if attrs["n"] < 0 else t


def _check_matrix_power(ts, attrs):
    n = attrs.get("n")
    if not isinstance(n, int) or isinstance(n, bool):
        return ("np.linalg.matrix_power takes a constant int power here",
                "np.linalg.matrix_power(a, 3)")
    return _matrix_check("np.linalg.matrix_power")(ts, attrs)


def _real_only(spelling):
    def check(ts, attrs):
        if ts[0].dtype is not None and np.dtype(ts[0].dtype).kind == "c":
            return (f"{spelling} of a complex array is not supported: s2sgrad differentiates "
                    "real arrays", "keep complex numbers out of the function")
        return None
    return check


def _check_nan_to_num(ts, attrs):
    if not attrs.get("copy", True) or any(
            not isinstance(attrs.get(k, 0.0), (int, float)) or isinstance(attrs.get(k), bool)
            for k in ("nan", "posinf", "neginf") if attrs.get(k) is not None):
        return ("np.nan_to_num takes constant numbers for nan, posinf and neginf, and "
                "copy=True, here", "np.nan_to_num(x, nan=0.0, posinf=1e6); assign the result")
    return _real_only("np.nan_to_num")(ts, attrs)


def _draw_float(ts, attrs):
    """rng.standard_normal(size) / rng.random(size): float64 (or the dtype given) of that
    size; without one, one number (a Python float, whatever the dtype)."""
    if len(ts) < 2:
        return T.PY_FLOAT
    return T.array(attrs.get("dtype") or "float64", _shape_operand(ts, attrs, 1))


def _draw_int(ts, attrs):
    """rng.integers(low, high, size): int64 (or the dtype given) of that size; without one,
    a NumPy integer."""
    dtype = attrs.get("dtype") or "int64"
    return T.array(dtype, _shape_operand(ts, attrs, 3) if len(ts) > 3 else ())


# ---- the opcodes --------------------------------------------------------------

# constant folding on Python numbers of one type; None where folding would change the type
_FOLD = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
         "div": lambda a, b: a / b if isinstance(a, float) else None,     # int / int: a float
         "pow": lambda a, b: a ** b if isinstance(a, float) else None}    # int ** -1 too
for _name, _sym, _traits in [("add", "+", dict(augmented=True)), ("sub", "-", dict(augmented=True)),
                             ("mul", "*", dict(augmented=True)), ("pow", "**", {}),
                             ("floordiv", "//", dict(constant=True)), ("mod", "%", {})]:
    _def(_name, ("binop", _sym), _elementwise, elementwise=True, fold=_FOLD.get(_name), **_traits)
_def("div", ("binop", "/"), _true_div, elementwise=True, fold=_FOLD["div"], augmented=True)
_def("matmul", ("binop", "@"), _matmul)
for _name, _sym, _fold in [("eq", "==", operator.eq), ("ne", "!=", operator.ne),
                           ("lt", "<", operator.lt), ("le", "<=", operator.le),
                           ("gt", ">", operator.gt), ("ge", ">=", operator.ge)]:
    _def(_name, ("cmp", _sym), _compare, elementwise=True, constant=True, fold=_fold)
_def("neg", ("unop", "-"), _same, elementwise=True)
_def("pos", ("unop", "+"), _same, elementwise=True)      # +a: a new array (np.positive)
_def("not", ("unop", "not "), lambda ts, a: T.PY_BOOL, constant=True)

for _name in ["exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "tanh", "arctan",
              "sinh", "cosh", "arcsin", "arccos", "arcsinh", "arccosh", "arctanh", "log2", "log10",
              "exp2", "cbrt", "deg2rad", "rad2deg", "fabs"]:
    _def(_name, ("call", f"np.{_name}"), _float_unary, [("x", OPERAND, None)], elementwise=True)
for _name in ["abs", "square", "sign", "floor", "ceil", "rint", "trunc", "fix", "reciprocal"]:
    _def(_name, ("call", f"np.{_name}"), _same, [("x", OPERAND, None)], elementwise=True,
         constant=_name in ("sign", "floor", "ceil", "rint", "trunc", "fix"))
for _name in ["isnan", "isinf", "isfinite", "logical_not"]:
    _def(_name, ("call", f"np.{_name}"), _predicate, [("x", OPERAND, None)], elementwise=True,
         constant=True)
for _name in ["logical_and", "logical_or", "logical_xor"]:
    _def(_name, ("call", f"np.{_name}"), _compare, [("x1", OPERAND, None), ("x2", OPERAND, None)],
         elementwise=True, constant=True)
for _name in ["maximum", "minimum", "fmax", "fmin"]:
    _def(_name, ("call", f"np.{_name}"), _elementwise, [("x1", OPERAND, None), ("x2", OPERAND, None)],
         elementwise=True)
for _name in ["arctan2", "logaddexp", "logaddexp2"]:
    _def(_name, ("call", f"np.{_name}"), _float_binary,
         [("x1", OPERAND, None), ("x2", OPERAND, None)], elementwise=True)
_def("float_power", ("call", "np.float_power"), _float_power,
     [("x1", OPERAND, None), ("x2", OPERAND, None)], elementwise=True)
_def("where", ("call", "np.where"), _where,
     [("condition", OPERAND, None), ("x", OPERAND, None), ("y", OPERAND, None)], elementwise=True)
_def("clip", ("call", "np.clip"), _clip,
     [("a", OPERAND, None), ("a_min", OPERAND, None), ("a_max", OPERAND, None)], elementwise=True)
_def("dot", ("call", "np.dot"), _dot, [("a", OPERAND, None), ("b", OPERAND, None)])

_CREATE_PARAMS = [("shape", OPERAND, None), ("dtype", ATTR, None)]
_REDUCE = [("a", OPERAND, None), ("axis", ATTR, None), ("dtype", ATTR, None),
           ("out", FORBID, None), ("keepdims", ATTR, False)]
_def("sum", ("call", "np.sum"), _sum, _REDUCE)
_def("prod", ("call", "np.prod"), _sum, _REDUCE)
_def("mean", ("call", "np.mean"), _mean, _REDUCE)
_MINMAX = [("a", OPERAND, None), ("axis", ATTR, None), ("out", FORBID, None), ("keepdims", ATTR, False)]
_def("max", ("call", "np.max"), _reduce, _MINMAX)
_def("min", ("call", "np.min"), _reduce, _MINMAX)
_def("ptp", ("call", "np.ptp"), _reduce, _MINMAX)
_VAR = [("a", OPERAND, None), ("axis", ATTR, None), ("dtype", ATTR, None), ("out", FORBID, None),
        ("ddof", ATTR, 0), ("keepdims", ATTR, False)]
_def("var", ("call", "np.var"), _mean, _VAR)
_def("std", ("call", "np.std"), _mean, _VAR)
_def("nansum", ("call", "np.nansum"), _sum, _REDUCE)
_def("nanmean", ("call", "np.nanmean"), _mean, _REDUCE)
_def("cumsum", ("call", "np.cumsum"), _cumulative,
     [("a", OPERAND, None), ("axis", ATTR, None), ("dtype", ATTR, None), ("out", FORBID, None)])
_def("flip", ("call", "np.flip"), _same, [("m", OPERAND, None), ("axis", ATTR, None)],
     memory="view")
_def("fliplr", ("call", "np.fliplr"), _same, [("m", OPERAND, None)], memory="view")
_def("concatenate", ("call", "np.concatenate"), _concatenate, [("axis", ATTR, 0)], listed=True)
_def("einsum", ("call", "np.einsum"), _einsum, [("subscripts", ATTR, None)], kwattrs=(),
     attrs_first=True)
_def("norm", ("call", "np.linalg.norm"), _mean,
     [("x", OPERAND, None), ("ord", ATTR, None), ("axis", ATTR, None), ("keepdims", ATTR, False)],
     check=_check_norm)
_def("inv", ("call", "np.linalg.inv"), _float_unary, [("a", OPERAND, None)],
     check=_known_ranks("np.linalg.inv"))
_def("slogdet", ("call", "np.linalg.slogdet"), _det, [("a", OPERAND, None)], nresults=2,
     check=_known_ranks("np.linalg.slogdet"))    # sign, logabsdet: both typed as the det
_def("det", ("call", "np.linalg.det"), _det, [("a", OPERAND, None)],
     check=_known_ranks("np.linalg.det"))
_def("solve", ("call", "np.linalg.solve"), _solve, [("a", OPERAND, None), ("b", OPERAND, None)],
     check=_known_ranks("np.linalg.solve"))
_def("cholesky", ("call", "np.linalg.cholesky"), _float_unary,
     [("a", OPERAND, None), ("upper", ATTR, False)], check=_matrix_check("np.linalg.cholesky"))
_def("eigh", ("call", "np.linalg.eigh"), _eigh, [("a", OPERAND, None), ("UPLO", ATTR, "L")],
     nresults=2, check=_matrix_check("np.linalg.eigh", "UPLO", ("L", "U")))
_def("eigvalsh", ("call", "np.linalg.eigvalsh"), _eigvalsh,
     [("a", OPERAND, None), ("UPLO", ATTR, "L")],
     check=_matrix_check("np.linalg.eigvalsh", "UPLO", ("L", "U")))
_def("qr", ("call", "np.linalg.qr"), _qr, [("a", OPERAND, None), ("mode", ATTR, "reduced")],
     nresults=2, check=_check_qr)
_def("svd", ("call", "np.linalg.svd"), _svd,
     [("a", OPERAND, None), ("full_matrices", ATTR, True), ("compute_uv", ATTR, True),
      ("hermitian", ATTR, False)], nresults=_svd_results, check=_check_svd)
_def("pinv", ("call", "np.linalg.pinv"), _pinv,
     [("a", OPERAND, None), ("rcond", FORBID, None), ("hermitian", FORBID, None),
      ("rtol", FORBID, None)], check=_matrix_check("np.linalg.pinv"))
_def("tile", ("call", "np.tile"), _tile, [("A", OPERAND, None), ("reps", ATTR, None)],
     check=_int_count("np.tile", "reps"))
_def("repeat", ("call", "np.repeat"), _repeat,
     [("a", OPERAND, None), ("repeats", ATTR, None), ("axis", ATTR, None)],
     check=_int_count("np.repeat", "repeats"))
_def("tril", ("call", "np.tril"), _same, [("m", OPERAND, None), ("k", ATTR, 0)])
_def("triu", ("call", "np.triu"), _same, [("m", OPERAND, None), ("k", ATTR, 0)])
_def("roll", ("call", "np.roll"), _same,
     [("a", OPERAND, None), ("shift", ATTR, None), ("axis", ATTR, None)], kwattrs=("axis",))
_def("trace", ("call", "np.trace"), lambda ts, a: T.array(ts[0].dtype, ()),
     [("a", OPERAND, None), ("offset", ATTR, 0)])
_def("outer", ("call", "np.outer"), _outer, [("a", OPERAND, None), ("b", OPERAND, None)])
_def("flipud", ("call", "np.flipud"), _same, [("m", OPERAND, None)], memory="view")
_def("argmax", ("call", "np.argmax"), _arg_reduce, _MINMAX, constant=True)
_def("argmin", ("call", "np.argmin"), _arg_reduce, _MINMAX, constant=True)
_def("cumprod", ("call", "np.cumprod"), _cumulative,
     [("a", OPERAND, None), ("axis", ATTR, None), ("dtype", ATTR, None), ("out", FORBID, None)])
_def("sort", ("call", "np.sort"), _sorted, [("a", OPERAND, None), ("axis", ATTR, -1)],
     check=_check_axes("np.sort", ("axis",)))
_def("cross", ("call", "np.cross"), _elementwise, [("a", OPERAND, None), ("b", OPERAND, None)],
     check=_check_cross)      # (3-vectors along the last axis, broadcast together)
_def("rot90", ("call", "np.rot90"), _rot90,
     [("m", OPERAND, None), ("k", ATTR, 1), ("axes", ATTR, (0, 1))], memory="view",
     check=_check_rot90)
_def("pad", ("call", "np.pad"), _pad,
     [("array", OPERAND, None), ("pad_width", ATTR, None), ("mode", ATTR, "constant"),
      ("constant_values", ATTR, 0)], kwattrs=("mode", "constant_values"), check=_check_pad)
_def("diag", ("call", "np.diag"), _diag, [("v", OPERAND, None), ("k", ATTR, 0)],
     memory=_diag_memory, read_only=True, check=_check_diag)   # (a vector's: a new matrix)
_def("diagonal", ("call", "np.diagonal"), _diagonal,
     [("a", OPERAND, None), ("offset", ATTR, 0), ("axis1", ATTR, 0), ("axis2", ATTR, 1)],
     memory="view", read_only=True, check=_check_axes("np.diagonal", ("axis1", "axis2"),
                                                      pairwise=True))
_def("take", ("call", "np.take"), _take,
     [("a", OPERAND, None), ("indices", OPERAND, None), ("axis", ATTR, None),
      ("out", FORBID, None)], check=_integer_indices("np.take", None))
_def("take_along_axis", ("call", "np.take_along_axis"), _take_along_axis,
     [("arr", OPERAND, None), ("indices", OPERAND, None), ("axis", ATTR, -1)],
     check=_check_take_along_axis)
for _name in ("split", "array_split"):
    _def(_name, ("call", f"np.{_name}"), _split,
         [("ary", OPERAND, None), ("indices_or_sections", ATTR, None), ("axis", ATTR, 0)],
         kwattrs=("axis",), memory="view", nresults=_sections, sections=True,
         check=_check_split(f"np.{_name}"))

# nan-reductions (nans skipped), order statistics, more np.linalg, real-array helpers
_def("nanmax", ("call", "np.nanmax"), _reduce, _MINMAX)
_def("nanmin", ("call", "np.nanmin"), _reduce, _MINMAX)
_def("nanprod", ("call", "np.nanprod"), _sum, _REDUCE)
_def("nanvar", ("call", "np.nanvar"), _mean, _VAR)
_def("nanstd", ("call", "np.nanstd"), _mean, _VAR)
_def("nancumsum", ("call", "np.nancumsum"), _cumulative,
     [("a", OPERAND, None), ("axis", ATTR, None), ("dtype", ATTR, None), ("out", FORBID, None)])
_ORDER = [("a", OPERAND, None), ("axis", ATTR, None), ("out", FORBID, None),
          ("overwrite_input", ATTR, False)]
_def("median", ("call", "np.median"), _mean, _ORDER + [("keepdims", ATTR, False)],
     check=_check_quantile("np.median", None))
for _name, _top in (("quantile", 1), ("percentile", 100)):
    _def(_name, ("call", f"np.{_name}"), _mean,
         _ORDER[:1] + [("q", ATTR, None)] + _ORDER[1:]
         + [("method", ATTR, "linear"), ("keepdims", ATTR, False)],
         kwattrs=("axis", "method", "keepdims"), check=_check_quantile(f"np.{_name}", _top))
_def("matrix_power", ("call", "np.linalg.matrix_power"), _matrix_power,
     [("a", OPERAND, None), ("n", ATTR, None)], kwattrs=(), check=_check_matrix_power)
_def("real", ("call", "np.real"), _same, [("val", OPERAND, None)], memory="view",
     check=_real_only("np.real"))
_def("conj", ("call", "np.conj"), _same, [("x", OPERAND, None)], elementwise=True,
     check=_real_only("np.conj"))
_def("nan_to_num", ("call", "np.nan_to_num"), _same,
     [("x", OPERAND, None), ("copy", ATTR, True), ("nan", ATTR, 0.0), ("posinf", ATTR, None),
      ("neginf", ATTR, None)], elementwise=True, check=_check_nan_to_num)
_def("copysign", ("call", "np.copysign"), _float_binary,
     [("x1", OPERAND, None), ("x2", OPERAND, None)], elementwise=True)
_def("heaviside", ("call", "np.heaviside"), _float_binary,
     [("x1", OPERAND, None), ("x2", OPERAND, None)], elementwise=True, constant=True)

# constants: uninitialised arrays, truth tests, counts, positions
_def("empty", ("call", "np.empty"), _creation, _CREATE_PARAMS, constant=True, shape_operand=0)
_def("empty_like", ("call", "np.empty_like"), _like,
     [("prototype", OPERAND, None), ("dtype", ATTR, None)], constant=True, metadata=True)
_TRUTH = [("a", OPERAND, None), ("axis", ATTR, None), ("out", FORBID, None),
          ("keepdims", ATTR, False)]
_def("any", ("call", "np.any"), lambda ts, a: _reduce(ts, a, "bool"), _TRUTH, constant=True)
_def("all", ("call", "np.all"), lambda ts, a: _reduce(ts, a, "bool"), _TRUTH, constant=True)
_def("count_nonzero", ("call", "np.count_nonzero"), _arg_reduce,
     [("a", OPERAND, None), ("axis", ATTR, None), ("keepdims", ATTR, False)],
     kwattrs=("axis", "keepdims"), constant=True)
_def("flatnonzero", ("call", "np.flatnonzero"), lambda ts, a: T.array("int64", (None,)),
     [("a", OPERAND, None)], constant=True)
_def("searchsorted", ("call", "np.searchsorted"), lambda ts, a: T.array("int64", ts[1].shape),
     [("a", OPERAND, None), ("v", OPERAND, None), ("side", ATTR, "left"),
      ("sorter", FORBID, None)], kwattrs=("side",), constant=True)
_def("digitize", ("call", "np.digitize"), lambda ts, a: T.array("int64", ts[0].shape),
     [("x", OPERAND, None), ("bins", OPERAND, None), ("right", ATTR, False)],
     kwattrs=("right",), constant=True)

# draws from a np.random.Generator passed in (its first operand): constant values, an effect
_DRAW = dict(effect="draw", inline=False, constant=True)
for _name in ("standard_normal", "random"):
    _def(_name, ("method", _name), _draw_float,
         [("rng", OPERAND, None), ("size", OPERAND, None), ("dtype", ATTR, None),
          ("out", FORBID, None)], shape_operand=1, **_DRAW)
_def("integers", ("method", "integers"), _draw_int,
     [("rng", OPERAND, None), ("low", OPERAND, None), ("high", OPERAND, None),
      ("size", OPERAND, None), ("dtype", ATTR, None), ("endpoint", ATTR, False)],
     shape_operand=3, **_DRAW)

# views: np.reshape copies when the layout needs it; the others always share memory
_def("reshape", ("call", "np.reshape"), _reshape, [("a", OPERAND, None), ("shape", OPERAND, None)],
     kwattrs=(), memory="maybe", shape_operand=1)
_def("transpose", ("call", "np.transpose"), _transpose, [("a", OPERAND, None), ("axes", ATTR, None)],
     kwattrs=(), memory="view")
_def("T", ("attr", "T"), _transpose, memory="view")
_def("expand_dims", ("call", "np.expand_dims"), _expand_dims,
     [("a", OPERAND, None), ("axis", ATTR, None)], kwattrs=("axis",), memory="view")
_def("squeeze", ("call", "np.squeeze"), _squeeze, [("a", OPERAND, None), ("axis", ATTR, None)],
     memory="view")
_def("broadcast_to", ("call", "np.broadcast_to"), _broadcast_to,
     [("array", OPERAND, None), ("shape", OPERAND, None)], kwattrs=(), memory="view",
     read_only=True, shape_operand=1)

_def("float64", ("call", "np.float64"), lambda ts, a: T.array("float64", ts[0].shape),
     [("x", OPERAND, None)], memory=_cast_memory)
_def("float32", ("call", "np.float32"), lambda ts, a: T.array("float32", ts[0].shape),
     [("x", OPERAND, None)], memory=_cast_memory)
_def("asarray", ("call", "np.asarray"), _cast, [("a", OPERAND, None), ("dtype", ATTR, None)],
     memory=_cast_memory, sequence=True)
_def("array", ("call", "np.array"), _cast, [("object", OPERAND, None), ("dtype", ATTR, None)],
     sequence=True)
_def("astype", ("special",), _cast, [("dtype", ATTR, None)], memory="new", retype=True)

_def("ones", ("call", "np.ones"), _creation, _CREATE_PARAMS, constant=True, shape_operand=0)
_def("zeros", ("call", "np.zeros"), _creation, _CREATE_PARAMS, constant=True, shape_operand=0)
_def("full", ("call", "np.full"), _full,
     [("shape", OPERAND, None), ("fill_value", OPERAND, None), ("dtype", ATTR, None)],
     shape_operand=0)
_def("full_like", ("call", "np.full_like"), _full_like,
     [("a", OPERAND, None), ("fill_value", OPERAND, None), ("dtype", ATTR, None)])
_def("round", ("call", "np.round"), _same, [("a", OPERAND, None), ("decimals", ATTR, 0)],
     elementwise=True, constant=True)
_def("argsort", ("call", "np.argsort"), lambda ts, a: T.array("int64", ts[0].shape),
     [("a", OPERAND, None), ("axis", ATTR, -1)], constant=True)
_def("tri", ("call", "np.tri"), _tri, [("N", ATTR, None), ("M", ATTR, None), ("k", ATTR, 0),
                                       ("dtype", ATTR, None)],
     kwattrs=("M", "k", "dtype"), constant=True)
_def("ones_like", ("call", "np.ones_like"), _like, [("a", OPERAND, None), ("dtype", ATTR, None)],
     constant=True, metadata=True)
_def("zeros_like", ("call", "np.zeros_like"), _like, [("a", OPERAND, None), ("dtype", ATTR, None)],
     constant=True, metadata=True)
_def("shape", ("call", "np.shape"), _shape_of, [("a", OPERAND, None)], constant=True,
     metadata=True, cheap=True)

_def("const", ("special",), _const, memory="foreign", literal=True, cheap=True, retype=True,
     structural=True)
_def("tuple", ("special",), _make_seq("tuple"), memory="holds", literal=True, retype=True)
_def("list", ("special",), _make_seq("list"), memory="holds", literal=True, retype=True)
_def("getitem", ("special",), _getitem, memory="foreign", cheap=True, retype=True,
     structural=True)                               # an item of a tuple or list
_def("stop_gradient", ("special",), _same, memory="view", retype=True, constant=True,
     syntax=("s2sgrad.stop_gradient(x)",))       # x itself, once gradients are expanded
_def("gradients", ("special",), _unknown, inline=False, structural=True,
     syntax=("s2sgrad.gradients(ys, xs, ...)",))
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
_def("unbroadcast", ("call", "_unbroadcast"), _unbroadcast,
     [("g", OPERAND, None), ("shape", OPERAND, None)], kwattrs=(),
     memory="maybe", shape_operand=1, helper=_UNBROADCAST)    # g itself when nothing is summed
_def("copy", ("call", "np.copy"), _same, [("a", OPERAND, None)])

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
_def("stack", ("special",), lambda ts, a: T.Type(kind="list"), memory="new", effect="new",
     inline=False, structural=True)
_def("push", ("special",), _unknown, effect="update", statement=True, inline=False,
     structural=True)                 # no results: tape.append(v), or of a tuple (v, w, ...)
_def("pop", ("special",), _unknown, memory="holds", effect="consume", inline=False,
     statement=True, structural=True)  # v = tape.pop(), or v, w, ... = tape.pop(): as pushed
# Calls of functions s2sgrad knows by name only (custom.py): a function with a custom
# rule, or one with none (a constant off the gradient path, a LookupError on it).
#   extern(*args) {fn: how it is called, keywords: the names of the last args,
#                  rule: the rule's name in the module, result: (dtype, shape) when known}
#   extern_vjp(g, ans, *args) {fn: the rule, keywords}: the tuple of the args' adjoints
_def("extern", ("special",), _extern, memory="holds", structural=True,
     syntax=("f(...)",))
_def("extern_vjp", ("special",), _extern_vjp, memory="holds", structural=True)
_def("pyfloat", ("call", "float"), lambda ts, a: T.PY_FLOAT)
_def("size", ("call", "np.size"), lambda ts, a: T.PY_INT, [("a", OPERAND, None)], constant=True,
     metadata=True)
_def("gate", ("special",), _unknown, memory="holds", inline=False,
     structural=True)   # n values in, the same n out: one tuple assignment

# Indexing (the key attribute is described in indexing.py); the writes are functional:
# `setitem(y, v, *dyn)` is y with y[key] = v, `index_add(y, v, *dyn)` is y with
# np.add.at(y, key, v). out_of_ssa.py decides which are written in place.
_def("index", ("special",), I.infer_index, memory=_index_memory, cheap=True,
     syntax=("x[key]",))                             # index(x, *dyn) {key}
_def("setitem", ("special",), I.infer_write, memory="write", statement=True, inline=False,
     syntax=("y[key] = v", "y[key] op= v"))          # setitem(y, v, *dyn) {key}
_def("index_add", ("special",), I.infer_write, memory="write", statement=True,
     inline=False)                                   # index_add(y, v, *dyn) {key}
_def("arange", ("call", "np.arange"), _arange,
     [("start", OPERAND, None), ("stop", OPERAND, None), ("step", OPERAND, None),
      ("dtype", ATTR, None)], constant=True)        # (also setitem's rule numbers writes with it)
_def("eye", ("call", "np.eye"), _eye,
     [("N", OPERAND, None), ("M", OPERAND, None), ("k", ATTR, 0), ("dtype", ATTR, None)],
     constant=True, shape_operand=0)
_def("linspace", ("call", "np.linspace"), _linspace,
     [("start", OPERAND, None), ("stop", OPERAND, None), ("num", ATTR, 50),
      ("endpoint", ATTR, True), ("dtype", ATTR, None)], kwattrs=("num", "endpoint", "dtype"),
     check=_check_linspace)

# Opcodes of the backward pass whose primal forms take a static shape
# (reshape/broadcast_to to a known shape) keep it in attrs['shape'] and no operand.


# ---- structure the verifier checks --------------------------------------------------

def _shape_rule(name, check, required=()):
    from dataclasses import replace
    OPS[name] = replace(OPS[name], structure=check, required=tuple(required))


def _counts(n_operands, n_results):
    """Exactly (or at least, for a `+` count such as '2+') so many operands and results."""
    def check(op):
        for what, have, want in (("operands", len(op.operands), n_operands),
                                 ("results", len(op.results), n_results)):
            if want is None:
                continue
            at_least = isinstance(want, str)
            n = int(want.rstrip("+")) if at_least else want
            if have < n or not at_least and have != n:
                return f"{op.opcode} has {have} {what}, expected {want}"
        if op.regions:
            return f"{op.opcode} has regions"
        return None
    return check


def _call_counts(n):
    """A NumPy call: one result, at most its n operand parameters (any when it has none)."""
    def check(op):
        if len(op.results) != 1 or op.regions:
            return f"{op.opcode} has {len(op.results)} results, expected 1"
        if n and len(op.operands) > n:
            return f"{op.opcode} has {len(op.operands)} operands, expected at most {n}"
        return None
    return check


def _check_if(op):
    if len(op.operands) != 1 or len(op.regions) != 2:
        return "if needs one condition and two regions"
    for r in op.regions:
        if r.args or len(r.yields) != len(op.results):
            return "each region of an if takes no arguments and yields one value a result"
    return None


def _check_for(op):
    if len(op.regions) != 1 or len(op.operands) < 3:
        return "for needs start, stop, step and one region"
    body = op.regions[0]
    n = len(op.operands) - 3
    if len(body.args) != n + 1 or len(body.yields) != n or len(op.results) != n:
        return (f"for carries {n} values: its body takes {len(body.args)} arguments (index "
                f"first), yields {len(body.yields)}, and it has {len(op.results)} results")
    return None


def _check_while(op):
    if len(op.regions) != 2:
        return "while needs a condition region and a body region"
    cond, body = op.regions
    n = len(op.operands)
    if len(cond.args) != n or len(body.args) != n or len(body.yields) != n \
            or len(op.results) != n or len(cond.yields) != 1:
        return f"while carries {n} values: its regions and results disagree"
    return None


def _check_closure(op):
    if len(op.regions) != 1 or len(op.results) != 1 or op.operands:
        return "closure has one region, no operands and one result"
    return None


def _check_svd_results(op):
    """np.linalg.svd: one operand; U, s, Vh, or s alone when compute_uv=False."""
    return _counts(1, _svd_results(op.attr_dict))(op)


for _name, _d in list(OPS.items()):
    if _d.form[0] in ("binop", "cmp"):
        _shape_rule(_name, _counts(2, 1))
    elif _d.form[0] in ("unop", "attr"):
        _shape_rule(_name, _counts(1, 1))
    elif _d.form[0] in ("call", "method"):
        _shape_rule(_name, _call_counts(sum(1 for p in _d.params if p[1] == OPERAND)))
for _name, _check, _req in [
        ("const", _counts(0, 1), ("value",)), ("tuple", _counts(None, 1), ()),
        ("list", _counts(None, 1), ()), ("getitem", _counts(1, 1), ("index",)),
        ("stop_gradient", _counts(1, 1), ()), ("astype", _counts(1, 1), ("dtype",)),
        ("if", _check_if, ()), ("for", _check_for, ()), ("while", _check_while, ()),
        ("call", _counts(None, "1+"), ("callee",)), ("call_vjp", _counts(None, 2), ("callee",)),
        ("call_back", _counts("1+", None), ()), ("closure", _check_closure, ()),
        ("stack", _counts(0, 1), ()), ("push", _counts("2+", 0), ()), ("pop", _counts(1, "1+"), ()),
        ("slogdet", _counts(1, 2), ()), ("eigh", _counts(1, 2), ()), ("qr", _counts(1, 2), ()),
        ("svd", _check_svd_results, ()), ("split", _counts(1, "1+"), ()),
        ("array_split", _counts(1, "1+"), ()),
        ("extern", _counts(None, 1), ("fn",)), ("extern_vjp", _counts("2+", 1), ("fn",)),
        ("index", _counts("1+", 1), ("key",)), ("setitem", _counts("2+", 1), ("key",)),
        ("index_add", _counts("2+", 1), ("key",))]:
    _shape_rule(_name, _check, _req)


# ---- the one table from source to opcodes ------------------------------------

BINOPS = {"Add": "add", "Sub": "sub", "Mult": "mul", "Div": "div", "Pow": "pow",
          "MatMult": "matmul", "FloorDiv": "floordiv", "Mod": "mod"}
UNARYOPS = {"USub": "neg", "UAdd": "pos", "Not": "not"}
CMPOPS = {"Eq": "eq", "NotEq": "ne", "Lt": "lt", "LtE": "le", "Gt": "gt", "GtE": "ge"}

# np.<name> -> opcode
NUMPY = {name: name for name in OPS if OPS[name].form[0] == "call" and OPS[name].form[1] == f"np.{name}"}
NUMPY.update({
    "add": "add", "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
    "power": "pow", "negative": "neg", "positive": "pos", "matmul": "matmul", "absolute": "abs",
    "amax": "max", "amin": "min", "equal": "eq", "not_equal": "ne", "less": "lt",
    "less_equal": "le", "greater": "gt", "greater_equal": "ge", "floor_divide": "floordiv",
    "mod": "mod", "remainder": "mod", "radians": "deg2rad", "degrees": "rad2deg",
    "around": "round",
})
NUMPY.pop("unbroadcast", None)
NUMPY["identity"] = "eye"
NUMPY.update({f"linalg.{n}": n for n in ("inv", "det", "slogdet", "solve", "norm", "cholesky",
                                         "eigh", "eigvalsh", "qr", "svd", "pinv",
                                         "matrix_power")})
NUMPY.update({"conjugate": "conj"})

# Helper functions s2sgrad writes into generated modules -> opcode: a generated module
# reads back as the ops it was written from (frontend/source.py checks the helper's body)
HELPERS = {d.form[1]: name for name, d in OPS.items() if d.helper}

# x.<name>(...) -> opcode; the array is the first operand
METHODS = {"sum": "sum", "mean": "mean", "max": "max", "min": "min", "prod": "prod",
           "var": "var", "std": "std", "cumsum": "cumsum", "round": "round",
           "argsort": "argsort", "repeat": "repeat", "cumprod": "cumprod",
           "diagonal": "diagonal", "trace": "trace", "take": "take",
           "argmax": "argmax", "argmin": "argmin", "reshape": "reshape", "transpose": "transpose",
           "squeeze": "squeeze", "astype": "astype", "dot": "dot", "clip": "clip", "copy": "copy",
           "any": "any", "all": "all", "conj": "conj", "conjugate": "conj", "item": "pyfloat"}
# rng.<name>(...) of a np.random.Generator argument -> opcode; the generator is the first
# operand. RNG_COMPOSED: written with the draw given (rng.normal(mu, sigma, size) is
# mu + sigma * rng.standard_normal(size), bit for bit as NumPy computes it)
RNG_METHODS = {"standard_normal": "standard_normal", "random": "random", "integers": "integers"}
RNG_COMPOSED = {"normal": "standard_normal", "uniform": "random"}
# x.<name> -> opcode
ATTRIBUTES = {"T": "T", "shape": "shape", "size": "size", "real": "real"}
# np.<name> and x.<name>(...) the frontend writes with the opcode given (np.ravel(a) is
# np.reshape(a, (-1,)); np.swapaxes and np.moveaxis, a transpose by the axes they move)
NUMPY_COMPOSED = {"ravel": "reshape", "swapaxes": "transpose", "moveaxis": "transpose",
                  "diff": "sub", "inner": "einsum", "vdot": "einsum", "tensordot": "einsum",
                  "atleast_1d": "reshape", "atleast_2d": "reshape", "atleast_3d": "reshape",
                  "column_stack": "concatenate", "dstack": "concatenate", "average": "mean",
                  "stack": "array", "hstack": "concatenate", "vstack": "concatenate",
                  "select": "where", "kron": "einsum", "linalg.multi_dot": "matmul"}
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
