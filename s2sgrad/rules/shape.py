"""Rules for ops that move elements (reshape, transpose, broadcast), casts, and
the declarations for ops that create constants."""

import numpy as np

from ..ir import indexing as I
from ..ir import opcodes
from .registry import defrule


@defrule("reshape")
def reshape(b, g, ans, x, shape):
    """d reshape(x) = reshape(d, shape(x))"""
    return b.reshape(g, b.shape(x)), None


@defrule("transpose")
def transpose(b, g, ans, x, axes=None):
    """d transpose(x, p) = transpose(d, p⁻¹)"""
    if axes is None:
        return (b.transpose(g),)
    inverse = np.argsort([a % len(axes) for a in axes])
    return (b.transpose(g, axes=tuple(int(i) for i in inverse)),)


@defrule("T")
def T(b, g, ans, x):
    """d xᵀ = dᵀ"""
    return (b.T(g),)


@defrule("expand_dims")
def expand_dims(b, g, ans, x, axis):
    """d expand_dims(x) = reshape(d, shape(x))"""
    return (b.reshape(g, b.shape(x)),)


@defrule("squeeze")
def squeeze(b, g, ans, x, axis=None):
    """d squeeze(x) = reshape(d, shape(x))"""
    return (b.reshape(g, b.shape(x)),)


@defrule("broadcast_to", broadcasts=True)
def broadcast_to(b, g, ans, x, shape):
    """d broadcast_to(x) = d summed over the broadcast axes (the driver's unbroadcast)"""
    return g, None


@defrule("unbroadcast")
def unbroadcast(b, g, ans, x, shape):
    """d unbroadcast(x) = broadcast_to(d, shape(x)), less the leading 1s x lacks"""
    # (`shape` may have leading axes of size 1 that a write dropped: `a[0] = m`, m (1, n))
    lead = g.type.rank - x.type.rank if None not in (g.type.rank, x.type.rank) else 0
    if lead > 0:
        g = b.squeeze(g, axis=tuple(range(lead)) if lead > 1 else 0)
    return b.broadcast_to(g, b.shape(x)), None


def _cast_back(b, g, x):
    """A cast's gradient is the cotangent cast back to the input's float dtype."""
    if (
        x.type.dtype is not None
        and x.type.is_float
        and not x.type.weak
        and g.type.dtype != x.type.dtype
    ):
        return b.cast(g, x.type.dtype)
    return g


@defrule("float64")
def float64(b, g, ans, x):
    """d float64(x) = d (cast back to x's dtype)"""
    return (_cast_back(b, g, x),)


@defrule("float32")
def float32(b, g, ans, x):
    """d float32(x) = d (cast back to x's dtype)"""
    return (_cast_back(b, g, x),)


@defrule("asarray")
def asarray(b, g, ans, x, dtype=None):
    """d asarray(x) = d (cast back to x's dtype)"""
    return (_cast_back(b, g, x),)


@defrule("array")
def array(b, g, ans, x, dtype=None):
    """d array(x) = d (cast back to x's dtype)"""
    return (_cast_back(b, g, x),)


@defrule("astype")
def astype(b, g, ans, x, dtype=None):
    """d x.astype(t) = d (cast back to x's dtype)"""
    return (_cast_back(b, g, x),)


def _split(b, g, items):
    """The stack's cotangent split along its first axis, one slice an item (cast
    back to the item's dtype)."""
    return tuple(_cast_back(b, b.index(g, key=(i,)), x) for i, x in enumerate(items))


@defrule("list")
def list_(b, g, ans, *items):
    """d np.array([x₀, x₁, ...]) = (d[0], d[1], ...): item i gets slice i of the stack's d"""
    return _split(b, g, items)


@defrule("tuple")
def tuple_(b, g, ans, *items):
    """d np.array((x₀, x₁, ...)) = (d[0], d[1], ...): item i gets slice i of the stack's d"""
    return _split(b, g, items)


@defrule("copy")
def copy(b, g, ans, x, order="K"):
    """d copy(x) = d"""
    return (g,)


@defrule("loop_index")
def loop_index(b, g, ans, value, ran, name=None):
    """d (a name a loop bound, read after it, checked bound) = d"""
    return (g, None)


@defrule("three_vector")
def three_vector(b, g, ans, a):
    """d (np.cross's operand, checked of 3-vectors) = d"""
    return (g,)


@defrule("seed_shape")
def seed_shape(b, g, ans, seed, y, i=None):
    """d (a grad_ys entry, checked of its y's shape) = d"""
    return (g, None)


@defrule("pyfloat")
def pyfloat(b, g, ans, x):
    """d float(x) = d"""
    return (g,)


@defrule("full", broadcasts=True)
def full(b, g, ans, shape, fill_value, dtype=None):
    """d full(shape, v) = Σ d  (every element is v)"""
    return None, g


@defrule("flip")
def flip(b, g, ans, m, axis=None):
    """d flip(m) = flip(d flip), along the same axes"""
    return (b.flip(g, axis=axis) if axis is not None else b.flip(g),)


@defrule("fliplr")
def fliplr(b, g, ans, m):
    """d fliplr(m) = fliplr(d fliplr)"""
    return (b.fliplr(g),)


@defrule("flipud")
def flipud(b, g, ans, m):
    """d flipud(m) = flipud(d flipud)"""
    return (b.flipud(g),)


@defrule("linspace")
def linspace(b, g, ans, start, stop, num=50, endpoint=True, dtype=None):
    """d linspace(a, b)[k] = (1 - t_k) da + t_k db, t_k = k / (num - 1) (k / num without the
    endpoint)"""
    t = b.div(b.arange(num), float((num - 1 if endpoint else num) or 1))
    d_stop = b.sum(b.mul(g, t))
    return b.sub(b.sum(g), d_stop), d_stop


@defrule("tril")
def tril(b, g, ans, m, k=0):
    """d tril(m, k) = tril(d, k): the entries kept get the gradient (of a vector, which
    NumPy makes the rows of a square matrix: their sum)"""
    d = b.tril(g, k=k) if k else b.tril(g)
    return (b.sum(d, axis=0) if m.type.rank == 1 else d,)


@defrule("triu")
def triu(b, g, ans, m, k=0):
    """d triu(m, k) = triu(d, k) (of a vector: the sum of its rows, as tril's)"""
    d = b.triu(g, k=k) if k else b.triu(g)
    return (b.sum(d, axis=0) if m.type.rank == 1 else d,)


@defrule("roll")
def roll(b, g, ans, a, shift, axis=None):
    """d roll(a, s) = roll(d, -s), along the same axes"""
    back = tuple(-s for s in shift) if isinstance(shift, tuple) else -shift
    return (b.roll(g, shift=back, axis=axis) if axis is not None else b.roll(g, shift=back),)


@defrule("trace")
def trace(b, g, ans, a, offset=0):
    """d trace(a) = d eye(n, m, k=offset): the diagonal gets the gradient"""
    shape = b.shape(a)
    attrs = {"k": offset} if offset else {}
    if a.type.dtype in ("float32", "float16"):
        attrs["dtype"] = a.type.dtype
    diagonal = b.eye(b.getitem(shape, index=0), b.getitem(shape, index=1), **attrs)
    rank = a.type.rank
    if rank is not None and rank > 2:  # (a stack along the axes after the first two: the
        # trace has those axes, and each matrix a[:, :, k...] gets its entry of d)
        more = tuple(range(2, rank))
        diagonal = b.expand_dims(diagonal, axis=more if len(more) > 1 else more[0])
        g = b.expand_dims(g, axis=(0, 1))
    return (b.mul(g, diagonal),)


@defrule("outer")
def outer(b, g, ans, x, y):
    """d outer(x, y) = (d @ y) dx + (x @ d) dy, over the flattened x and y"""
    flat_x, flat_y = b.reshape(x, (-1,)), b.reshape(y, (-1,))
    return (b.reshape(b.matmul(g, flat_y), b.shape(x)), b.reshape(b.matmul(flat_x, g), b.shape(y)))


@defrule("concatenate")
def concatenate(b, g, ans, *xs, axis=0):
    """d concatenate(xs) = the slices of d: xᵢ gets the part of d it filled along the axis"""
    out, start = [], 0
    for k, x in enumerate(xs):
        if k == len(xs) - 1:
            stop = None  # (the last part runs to the end)
        else:
            n = _size_along(b, x, axis)
            if isinstance(start, int) and start == 0:
                stop = n
            elif isinstance(start, int) and isinstance(n, int):
                stop = start + n
            else:
                stop = b.add(start, n)
        piece = _slice_along(b, g, axis, start, stop)
        if axis is None:
            piece = b.reshape(piece, b.shape(x))
        out.append(_cast_back(b, piece, x))
        start = stop
    return tuple(out)


def _size_along(b, x, axis):
    """x's size along the axis (all of it for None): an int when the type knows it."""
    shape = x.type.shape
    if axis is None:
        if shape is not None and all(isinstance(d, int) for d in shape):
            return int(np.prod(shape, dtype=np.int64))
        return b.size(x)
    if shape is not None and isinstance(shape[axis], int):
        return shape[axis]
    return b.getitem(b.shape(x), index=axis)


def _slice_along(b, g, axis, start, stop):
    """g[..., start:stop, ...] along the axis (of a 1-d g for None)."""
    dyn = []

    def bound(v):
        if v is not None and not isinstance(v, int):
            static = b.static_value(v, None)
            if isinstance(static, int):
                return static
            dyn.append(v)
            return I.DYN
        return v

    lo = bound(start)
    part = (None if lo == 0 else lo, bound(stop), None)
    if axis is None or axis >= 0:
        key = ((None, None, None),) * (axis or 0) + (part,)
    else:
        key = (I.ELLIPSIS, part) + ((None, None, None),) * (-axis - 1)
    return b.index(g, *dyn, key=key)


@defrule("full_like", broadcasts=True)
def full_like(b, g, ans, a, fill_value, dtype=None):
    """d full_like(a, v) = Σ d for v (every element is v; a gives only its shape)"""
    return None, g


def _split_axis(b, g, x, axis, k, outer):
    """g reshaped so that the axis of x it grew along becomes two: (k, n) when `outer`
    (np.tile: k copies of the axis), else (n, k) (np.repeat: each element k times)."""
    rank = len(x.type.shape)
    shape = b.shape(x)
    dims = [b.getitem(shape, index=i) for i in range(rank)]
    pair = [b.const(k), dims[axis]] if outer else [dims[axis], b.const(k)]
    return b.reshape(g, b.tuple(*(dims[:axis] + pair + dims[axis + 1 :])))


@defrule("tile")
def tile(b, g, ans, x, reps):
    """d tile(x, k) = the sum of d's k copies of x's last axis"""
    axis = len(x.type.shape) - 1
    return (b.sum(_split_axis(b, g, x, axis, reps, outer=True), axis=axis),)


@defrule("repeat")
def repeat(b, g, ans, x, repeats, axis=None):
    """d repeat(x, k) = the sum of each element's k copies (along the axis; of the flattened
    x, reshaped back, when axis is None)"""
    if axis is None:
        flat = b.reshape(g, b.tuple(b.size(x), b.const(repeats)))
        return (b.reshape(b.sum(flat, axis=1), b.shape(x)),)
    axis %= len(x.type.shape)
    return (b.sum(_split_axis(b, g, x, axis, repeats, outer=False), axis=axis + 1),)


@defrule("rot90")
def rot90(b, g, ans, m, k=1, axes=(0, 1)):
    """d rot90(m, k) = rot90(d, -k), in the same plane"""
    back = -k % 4
    attrs = {"axes": axes} if axes != (0, 1) else {}
    return (b.rot90(g, k=back, **attrs) if back != 1 else b.rot90(g, **attrs),)


@defrule("pad")
def pad(b, g, ans, x, pad_width, mode="constant", constant_values=0):
    """d pad(x, ((lo, hi), ...)) = d[lo:-hi, ...]: the part of d where x was (the padding
    is constant)"""
    pairs = opcodes.pad_pairs(pad_width, len(x.type.shape))
    key = tuple((lo or None, -hi if hi else None, None) for lo, hi in pairs)
    return (b.index(g, key=key),)


def _diagonal_back(b, g, ans, x, offset, axis1, axis2):
    """zeros like x with d on the diagonal diagonal(x, offset, axis1, axis2) reads: x's two
    axes moved last, d added at (rows, rows + offset) (or (cols - offset, cols)), moved back."""
    rank = len(x.type.shape)
    i, j = axis1 % rank, axis2 % rank
    perm = tuple(a for a in range(rank) if a not in (i, j)) + (i, j)
    length = ans.type.shape[-1]
    if not isinstance(length, int):
        length = b.getitem(b.shape(ans), index=-1)
    steps = b.arange(length)
    rows = b.add(steps, -offset) if offset < 0 else steps
    cols = b.add(steps, offset) if offset > 0 else steps
    key = ((None, None, None),) * (rank - 2) + (I.DYN, I.DYN)
    if perm == tuple(range(rank)):
        return b.index_add(b.zeros_like(x), g, rows, cols, key=key)
    moved = b.index_add(b.transpose(b.zeros_like(x), axes=perm), g, rows, cols, key=key)
    return b.transpose(moved, axes=tuple(int(a) for a in np.argsort(perm)))


@defrule("diagonal")
def diagonal(b, g, ans, a, offset=0, axis1=0, axis2=1):
    """d diagonal(a, k) = zeros like a with d on that diagonal"""
    return (_diagonal_back(b, g, ans, a, offset, axis1, axis2),)


@defrule("diag")
def diag(b, g, ans, v, k=0):
    """d diag(v, k) = diag(d, k) for a vector v (the diagonal it was put on); for a
    matrix, zeros like v with d on its k-th diagonal"""
    if len(v.type.shape) == 1:
        return (b.diag(g, k=k) if k else b.diag(g),)
    return (_diagonal_back(b, g, ans, v, k, 0, 1),)


def _flat_scatter(b, g, x, indices):
    """zeros like x with d added at these positions of the flattened x (repeats add up)."""
    flat = b.index_add(b.reshape(b.zeros_like(x), (-1,)), g, indices, key=(I.DYN,))
    return b.reshape(flat, b.shape(x))


@defrule("take")
def take(b, g, ans, a, indices, axis=None):
    """d take(a, i, axis) = zeros like a with d added at a[..., i, ...] (np.add.at: a
    repeated index gets each of its d)"""
    if axis is None:
        return _flat_scatter(b, g, a, indices), None
    key = ((None, None, None),) * (axis % len(a.type.shape)) + (I.DYN,)
    return b.index_add(b.zeros_like(a), g, indices, key=key), None


def _scatter_along(b, g, x, indices, axis):
    """zeros like x with d added where take_along_axis(x, indices, axis) read: indices
    along the axis, the other axes' own positions (np.add.at: repeats add up)."""
    if axis is None:
        return _flat_scatter(b, g, x, indices)
    rank = len(x.type.shape)
    k = axis % rank
    shape = b.shape(x)
    dyn = [
        indices
        if j == k
        else b.reshape(
            b.arange(b.getitem(shape, index=j)), tuple(-1 if i == j else 1 for i in range(rank))
        )
        for j in range(rank)
    ]
    return b.index_add(b.zeros_like(x), g, *dyn, key=(I.DYN,) * rank)


@defrule("take_along_axis")
def take_along_axis(b, g, ans, arr, indices, axis=-1):
    """d take_along_axis(a, i, axis) = zeros like a with d added at the positions read"""
    return _scatter_along(b, g, arr, indices, axis), None


@defrule("sort")
def sort(b, g, ans, a, axis=-1):
    """d sort(a) = d put back where argsort(a) took each element from (a permutation);
    tied elements get the cotangents of the sorted positions argsort gives them"""
    order = b.argsort(a, axis=axis) if axis != -1 else b.argsort(a)
    return (_scatter_along(b, g, a, order, axis),)


def _split_back(b, g, ans, x, axis):
    """The sections' cotangents joined along the axis (zeros for a section without one)."""
    gs, parts = (g, ans) if isinstance(g, tuple) else ((g,), (ans,))
    pieces = [d if d is not None else b.zeros_like(p) for d, p in zip(gs, parts)]
    attrs = {"axis": axis} if axis else {}
    return (b.concatenate(*pieces, **attrs) if len(pieces) > 1 else pieces[0],)


@defrule("split")
def split(b, g, ans, ary, indices_or_sections, axis=0):
    """d split(x) = concatenate(d₀, d₁, ...) along the axis (0 for a section unused)"""
    return _split_back(b, g, ans, ary, axis)


@defrule("array_split")
def array_split(b, g, ans, ary, indices_or_sections, axis=0):
    """d array_split(x) = concatenate(d₀, d₁, ...) along the axis (0 for a section unused)"""
    return _split_back(b, g, ans, ary, axis)
