"""How an op's result type follows from its operand types: the `infer` functions
of the opcode table (`OpDef.infer` in opcodes.py), each `(operand types, attrs) ->
result Type` (a tuple of types for an op with several results), the helpers they
share, and the result counts that depend on attributes (`OpDef.nresults`:
np.linalg.svd, np.split).
"""

import functools
import itertools
import math

import numpy as np

from . import types as T


def exactly(infer):
    """`infer` (of the opcode table) for operands that may be a Python number on some
    paths and a NumPy value on others (weak None: T.readings): the union of its answers
    for each reading, so that `np.sin(s)` of a Python float or a float32 is typed as
    either float64 or float32, not as one of them."""

    @functools.wraps(infer)
    def run(ts, attrs):
        if not any(t.kind == "array" and t.weak is None for t in ts):
            return infer(ts, attrs)
        answers = []
        for k, c in enumerate(itertools.product(*map(T.readings, ts))):
            try:
                answers.append(infer(tuple(c), attrs))
            except Exception:  # (a reading the op refuses, `np.sum(0.0, axis=1)`, raises
                if k == 0:  # in Python too: it is no type of the result's)
                    raise
        first = answers[0]
        if isinstance(first, tuple):
            return tuple(functools.reduce(T.join, col) for col in zip(*answers))
        return functools.reduce(T.join, answers)

    return run


def _elementwise(ts, attrs):
    return T.array(
        T.result_dtype(*ts),
        T.broadcast_shapes(*(t.shape for t in ts)),
        weak=all(t.weak for t in ts),
    )


def _true_div(ts, attrs):
    t = _elementwise(ts, attrs)
    return T.Type(dtype=T.float_dtype(t.dtype), shape=t.shape, weak=t.weak)


def _compare(ts, attrs):
    return T.array("bool", T.broadcast_shapes(*(t.shape for t in ts)), weak=all(t.weak for t in ts))


def _float_unary(ts, attrs):
    (t,) = ts[:1]
    return T.array(T.float_dtype(t.dtype), t.shape)


def _same(ts, attrs):
    return ts[0]


def _numpy_same(ts, attrs):
    """A NumPy function keeping its operand's dtype and shape: of a Python number, a
    NumPy scalar (np.sign(0.7) is an np.float64, which promotes a float32 it meets)."""
    t = ts[0]
    return t if t.kind != "array" or t.weak is False else T.Type(dtype=t.dtype, shape=t.shape)


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
    if len(sa) == 0 or len(sb) == 0:  # np.dot with a scalar multiplies
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
    return _matmul(ts, attrs)  # np.dot(a, b) == a @ b for these ranks


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


def _scanned(ts, attrs):
    """_linear_scan(v, a): v's shape, in the dtype of v and a together."""
    return T.array(T.result_dtype(ts[0], ts[1]), ts[0].shape)


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
    t = T.stacked(ts[0]) or T.UNKNOWN  # np.array([a, b]): the items, stacked
    return T.array(attrs.get("dtype") or t.dtype, t.shape)


def _creation(ts, attrs):
    return T.array(attrs.get("dtype") or "float64", _shape_operand(ts, attrs, 0))


def _full(ts, attrs):
    fill = ts[1]
    dtype = attrs.get("dtype") or (
        fill.dtype
        if not fill.weak
        else {"bool": "bool", "int64": "int64"}.get(fill.dtype, "float64")
    )
    return T.array(dtype, _shape_operand(ts, attrs, 0))


def _concatenate(ts, attrs):
    """np.concatenate: the sizes along the axis add up (axis None: of the flattened arrays)."""
    dtype = T.result_dtype(*(T.Type(dtype=t.dtype) for t in ts))
    axis = attrs.get("axis", 0)
    shapes = [t.shape for t in ts]
    if axis is None:
        sizes = [
            math.prod(s) if s is not None and all(isinstance(d, int) for d in s) else None
            for s in shapes
        ]
        return T.array(dtype, (None if None in sizes else sum(sizes),))
    if any(s is None for s in shapes) or len({len(s) for s in shapes}) != 1 or not shapes[0]:
        return T.array(dtype, None)
    k = axis % len(shapes[0])
    along = [s[k] for s in shapes]
    total = sum(along) if all(isinstance(d, int) for d in along) else None
    return T.array(dtype, shapes[0][:k] + (total,) + shapes[0][k + 1 :])


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
    """np.linalg.solve(a, b): x with a @ x = b, shaped like b (b a vector when 1-d, of
    each matrix of a stack a), its stack broadcast with a's."""
    a, b = ts
    dtype = T.float_dtype(T.result_dtype(T.Type(dtype=a.dtype), T.Type(dtype=b.dtype)))
    if a.shape is None or b.shape is None:
        return T.array(dtype, None)
    if len(b.shape) == 1:
        shape = a.shape[:-1]
    else:
        stack = T.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        shape = None if stack is None else stack + b.shape[-2:]
    return T.array(dtype, shape)


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
    return (
        _matrices(ts[0], lambda s, m, n: s + (n,)),
        _matrices(ts[0], lambda s, m, n: s + (m, n)),
    )


def _eigvalsh(ts, attrs):
    return _eigh(ts, attrs)[0]


def _qr(ts, attrs):
    """np.linalg.qr (reduced) of m x n matrices, k = min(m, n): Q (..., m, k), R (..., k, n)."""
    return (
        _matrices(ts[0], lambda s, m, n: s + (m, _min_dim(m, n))),
        _matrices(ts[0], lambda s, m, n: s + (_min_dim(m, n), n)),
    )


def _svd(ts, attrs):
    """np.linalg.svd of m x n matrices, k = min(m, n): the singular values (..., k), and
    with compute_uv (full_matrices=False) U (..., m, k), s, Vh (..., k, n)."""
    s = _matrices(ts[0], lambda s, m, n: s + (_min_dim(m, n),))
    if not attrs.get("compute_uv", True):
        return s
    return (
        _matrices(ts[0], lambda s, m, n: s + (m, _min_dim(m, n))),
        s,
        _matrices(ts[0], lambda s, m, n: s + (_min_dim(m, n), n)),
    )


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
    return T.array(t.dtype, t.shape[:axis] + (_times(t.shape[axis], k),) + t.shape[axis + 1 :])


def _outer(ts, attrs):
    """np.outer: the flattened a against the flattened b."""

    def size(t):
        if t.shape is None:
            return None
        if all(isinstance(d, int) for d in t.shape):
            return math.prod(t.shape)
        return t.shape[0] if len(t.shape) == 1 else None

    a, b = ts
    return T.array(T.result_dtype(T.Type(dtype=a.dtype), T.Type(dtype=b.dtype)), (size(a), size(b)))


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
    if t.kind == "dynlist":  # np.zeros_like(out): NumPy stacks the list first
        t = T.list_stacked(t)
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
    dtype, shape, weak = attrs.get("result", (None, None, False))
    return T.Type(dtype=dtype, shape=shape, weak=weak)


def _extern_vjp(ts, attrs):
    """A rule's tuple of entries, one per positional argument: what the user's rule
    computes, of a type s2sgrad does not know (None, a number, the result's shape, another
    dtype); reverse.py's `rule_adjoint` makes each its argument's adjoint at run time."""
    n = len(ts) - 2 - len(attrs.get("keywords", ()))
    return T.Type(kind="tuple", items=tuple(T.UNKNOWN for _ in range(n)))


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
    return T.array(t.dtype, rest + (_diag_length(t.shape[i], t.shape[j], attrs.get("offset", 0)),))


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


def _take(ts, attrs):
    """np.take(a, indices, axis): the indices' shape in place of the axis (of the
    flattened a, when axis is None)."""
    a, idx = ts[0], T.stacked(ts[1]) or T.UNKNOWN  # (indices may be a list of ints)
    axis = attrs.get("axis")
    if axis is None:
        return T.array(a.dtype, idx.shape)
    if a.shape is None or idx.shape is None:
        return T.array(a.dtype, None)
    k = axis % len(a.shape)
    return T.array(a.dtype, a.shape[:k] + idx.shape + a.shape[k + 1 :])


def _take_along_axis(ts, attrs):
    """np.take_along_axis(a, indices, axis): a's shape broadcast with the indices',
    the axis as long as the indices'."""
    a, idx = ts
    axis = attrs.get("axis", -1)
    if axis is None or a.shape is None or idx.shape is None or len(a.shape) != len(idx.shape):
        return T.array(a.dtype, idx.shape)
    k = axis % len(a.shape)
    outer = a.shape[:k] + (idx.shape[k],) + a.shape[k + 1 :]
    return T.array(a.dtype, T.broadcast_shapes(outer, idx.shape))


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
            T.array(
                t.dtype, t.shape[:k] + (_section_length(lo, hi, t.shape[k]),) + t.shape[k + 1 :]
            )
            for lo, hi in _split_bounds(attrs["indices_or_sections"], t.shape[k])
        )
    return types_ if len(types_) > 1 else types_[0]


def _section_length(lo, hi, n):
    """The length of the slice lo:hi of an axis of length n (None when n is not known)."""
    if lo is None or not isinstance(n, int):
        return None
    return len(range(*slice(lo, hi).indices(n)))


def _matrix_power(ts, attrs):
    """np.linalg.matrix_power(a, n): a's type (a float inverse's for n < 0)."""
    t = ts[0]
    return T.array(T.float_dtype(t.dtype), t.shape) if attrs["n"] < 0 else t


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
