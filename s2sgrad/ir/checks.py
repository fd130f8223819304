"""What the frontend refuses at a call: the `check` functions of the opcode table
(`OpDef.check` in opcodes.py), each `(operand types, attrs) -> (what is refused,
the fix)`, or None for a call s2sgrad takes. The frontend raises the refusal at
the call's line.
"""

import math

import numpy as np

from . import types as T
from .infer import pad_pairs


def _known_ranks(spelling):
    def check(ts, attrs):
        if any(t.shape is None for t in ts):
            return (
                f"{spelling} of an array whose rank s2sgrad cannot know here is not supported",
                "give the matrix a known rank (no reshape to a computed shape before it)",
            )
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
    if axis is not None and (
        len(axes) not in (1, 2) or len({a % rank for a in axes if -rank <= a < rank}) != len(axes)
    ):
        return (
            f"np.linalg.norm over axis={axis!r} is not supported",
            "one axis (a vector norm) or two distinct axes (a matrix norm) of x",
        )
    if axis is None and rank > 2 and order is not None:
        return (
            f"np.linalg.norm with ord={order!r} of an array of rank {rank} needs an axis",
            "np.linalg.norm(x, ord, axis=(1, 2)) (a matrix norm) or axis=-1 (a vector norm)",
        )
    if len(axes) == 2 or axis is None and rank == 2:
        if order in MATRIX_ORDS and not isinstance(order, bool):
            return None
        return (
            f"np.linalg.norm of a matrix with ord={order!r} is not a matrix norm",
            "ord None or 'fro', 'nuc', 1, -1, 2, -2, np.inf or -np.inf; or a vector norm "
            "along one axis: np.linalg.norm(x, ord, axis=1)",
        )
    if order == 0 or not (
        order is None or isinstance(order, (int, float)) and not isinstance(order, bool)
    ):
        return (
            f"np.linalg.norm with ord={order!r} is not supported here",
            "a real order other than 0 (2, 1, 3, np.inf, ...); 'fro' and 'nuc' of a matrix",
        )
    return None


def _matrix_check(spelling, attr=None, allowed=()):
    """Stacks of matrices of known rank; `attr`, when given, one of `allowed`."""

    def check(ts, attrs):
        known = _known_ranks(spelling)(ts, attrs)
        if known or len(ts[0].shape) < 2:
            return known or (
                f"{spelling} takes a matrix or a stack of them, not an array of "
                f"rank {len(ts[0].shape)}",
                "give it an array of rank 2 or more",
            )
        if attr is not None and attrs.get(attr, allowed[0]) not in allowed:
            return (
                f"{spelling} with {attr}={attrs[attr]!r} is not supported",
                f"{attr}={' or '.join(map(repr, allowed))}",
            )
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
        return (
            f"np.linalg.qr of a wide matrix ({m} x {n}) is not supported: its gradient "
            "is implemented for m >= n",
            "take the QR of the transpose (an LQ)",
        )
    return None


def _check_svd(ts, attrs):
    """Singular values (compute_uv=False), or U, s, Vh of the reduced SVD
    (full_matrices=False; a square matrix may leave it out); not hermitian=True."""
    problem = _matrix_check("np.linalg.svd", "hermitian", (False,))(ts, attrs)
    if problem:
        return problem
    m, n = ts[0].shape[-2:]
    if attrs.get("compute_uv", True) and attrs.get("full_matrices", True) and m != n:
        return (
            "np.linalg.svd with full_matrices=True (the default) of a matrix that may not "
            "be square is not supported",
            "np.linalg.svd(a, full_matrices=False), or compute_uv=False for the singular values",
        )
    return None


def _int_count(spelling, attr):
    def check(ts, attrs):
        k = attrs.get(attr)
        if (
            not isinstance(k, int)
            or isinstance(k, bool)
            or k < 0
            or ts[0].shape is None
            or spelling == "np.tile"
            and not ts[0].shape
        ):
            return (
                f"{spelling} takes a constant non-negative int count here, of an array of "
                "known rank (1 or more for np.tile)",
                f"{spelling}(x, 3)",
            )
        return None

    return check


def _check_linspace(ts, attrs):
    if any(t.shape != () for t in ts):
        return (
            "np.linspace of array endpoints is not supported",
            "give it scalar start and stop (a loop or broadcasting "
            "`a[None] + (b - a)[None] * t[:, None]` for arrays)",
        )
    return None


def _check_pad(ts, attrs):
    if attrs.get("mode", "constant") != "constant":
        return (
            f"np.pad with mode={attrs['mode']!r} is not supported (constant mode only)",
            "pad with a constant (mode='constant', the default), or build the border "
            "with slices and np.concatenate (mode='edge': x[:1] repeated, 'reflect': "
            "x[1:k + 1][::-1])",
        )
    value = attrs.get("constant_values", 0)
    if (
        ts[0].shape is None
        or pad_pairs(attrs.get("pad_width"), len(ts[0].shape)) is None
        or not isinstance(value, (int, float))
        or isinstance(value, bool)
    ):
        return (
            "np.pad takes constant non-negative int widths (an int, a pair, or a pair "
            "an axis) of an array of known rank, and one constant number to pad with",
            "np.pad(x, ((1, 2), (0, 0)), constant_values=0.0)",
        )
    return None


def _check_axes(spelling, names, pairwise=False):
    """A check that the array's rank is known and the named axis attributes are ints
    in range (distinct, when `pairwise`)."""

    def check(ts, attrs):
        t = ts[0]
        defaults = {"axis1": 0, "axis2": 1, "axis": -1}
        axes = [attrs.get(n, defaults.get(n)) for n in names]
        axes = [(0, 1) if a is None and n == "axes" else a for a, n in zip(axes, names)]
        flat = [
            x
            for a in axes
            if a is not None  # (np.sort(x, axis=None): flattened)
            for x in (a if isinstance(a, tuple) else (a,))
        ]
        if (
            t.shape is None
            or not all(
                isinstance(a, int) and not isinstance(a, bool) and -len(t.shape) <= a < len(t.shape)
                for a in flat
            )
            or pairwise
            and len({a % len(t.shape) for a in flat}) != len(flat)
        ):
            return (
                f"{spelling} takes constant{' distinct' if pairwise else ''} int axes of "
                "an array of known rank here",
                f"{spelling}(x, ...) with literal axes",
            )
        return None

    return check


def _check_diag(ts, attrs):
    if ts[0].shape is None or len(ts[0].shape) not in (1, 2):
        return (
            "np.diag takes a 1-d or 2-d array of known rank",
            "np.diagonal(x, offset, axis1, axis2) for other ranks",
        )
    return None


def _check_rot90(ts, attrs):
    if not isinstance(attrs.get("k", 1), int) or ts[0].shape is None or len(ts[0].shape) < 2:
        return (
            "np.rot90 takes a constant int k and two distinct axes of an array of rank 2 or more",
            "np.rot90(x, 2, axes=(0, 1))",
        )
    axes = attrs.get("axes", (0, 1))
    if not (isinstance(axes, tuple) and len(axes) == 2):
        return ("np.rot90's axes are a pair of ints", "np.rot90(x, 1, axes=(1, 2))")
    return _check_axes("np.rot90", ("axes",), pairwise=True)(ts, attrs)


def _integer_indices(spelling, axis_default):
    def check(ts, attrs):
        idx = T.stacked(ts[1]) or T.UNKNOWN
        if idx.dtype is None or not T.Type(dtype=idx.dtype).is_integer or idx.dtype == "bool":
            return (
                f"the indices of {spelling} are integers here",
                f"{spelling}(x, i, ...) with an int array or a list of ints i",
            )
        if attrs.get("axis", axis_default) is None:
            return None
        return _check_axes(spelling, ("axis",))(
            ts, dict(attrs, axis=attrs.get("axis", axis_default))
        )

    return check


def _check_take_along_axis(ts, attrs):
    a, idx = ts
    if (
        a.shape is not None
        and idx.shape is not None
        and attrs.get("axis", -1) is not None
        and len(a.shape) != len(idx.shape)
    ):
        return (
            "np.take_along_axis needs indices of the array's rank",
            "np.take_along_axis(x, np.argsort(x, axis=1), axis=1)",
        )
    return _integer_indices("np.take_along_axis", -1)(ts, attrs)


def _check_cross(ts, attrs):
    if any(
        t.shape is None or not t.shape or isinstance(t.shape[-1], int) and t.shape[-1] != 3
        for t in ts
    ):
        return (
            "np.cross takes two arrays of 3-vectors along their last axis here",
            "np.cross(a, b) with a.shape[-1] == b.shape[-1] == 3; for 2-vectors, "
            "a[0] * b[1] - a[1] * b[0]",
        )
    return None


def _check_split(spelling):
    def check(ts, attrs):
        s, t = attrs.get("indices_or_sections"), ts[0]
        ok_int = isinstance(s, int) and not isinstance(s, bool) and s > 0
        ok_list = isinstance(s, (tuple, list)) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in s
        )
        if not (ok_int or ok_list) or t.shape is None or not t.shape:
            return (
                f"{spelling} takes a constant int number of sections or a constant list "
                "of indices, of an array of known rank 1 or more (the number of arrays "
                "it makes must be known)",
                f"{spelling}(x, 2) or {spelling}(x, [1, 3], axis=1) with literal numbers",
            )
        problem = _check_axes(spelling, ("axis",))(ts, dict(attrs, axis=attrs.get("axis", 0)))
        if problem:
            return problem
        n = t.shape[attrs.get("axis", 0) % len(t.shape)]
        if spelling == "np.split" and ok_int and isinstance(n, int) and n % s:
            return (
                f"np.split of an axis of length {n} into {s} sections: array split does "
                "not result in an equal division (NumPy raises)",
                "np.array_split for unequal sections",
            )
        return None

    return check


def _check_quantile(spelling, top):
    """A constant number q in [0, top] (np.median: none), axis None or one constant int,
    the 'linear' method, the input left as it is."""

    def check(ts, attrs):
        q = attrs.get("q")
        if top is not None and (
            not isinstance(q, (int, float)) or isinstance(q, bool) or not 0 <= q <= top
        ):
            return (
                f"{spelling} takes one constant number q from 0 to {top} here",
                f"{spelling}(x, {top / 4!r}); for several, one call a q",
            )
        if attrs.get("method", "linear") != "linear" or attrs.get("overwrite_input"):
            return (
                f"{spelling} with method={attrs.get('method')!r} or overwrite_input=True "
                "is not supported (the default linear method, input unchanged)",
                "leave out method= and overwrite_input=",
            )
        axis = attrs.get("axis")
        if axis is not None and not isinstance(axis, int) or isinstance(axis, bool):
            return (
                f"{spelling} takes axis None or one constant int here",
                f"{spelling}(x, ..., axis=0), or reshape the axes into one first",
            )
        return _check_axes(spelling, ("axis",))(ts, attrs) if axis is not None else None

    return check


def _check_matrix_power(ts, attrs):
    n = attrs.get("n")
    if not isinstance(n, int) or isinstance(n, bool):
        return (
            "np.linalg.matrix_power takes a constant int power here",
            "np.linalg.matrix_power(a, 3)",
        )
    return _matrix_check("np.linalg.matrix_power")(ts, attrs)


def _real_only(spelling):
    def check(ts, attrs):
        if ts[0].dtype is not None and np.dtype(ts[0].dtype).kind == "c":
            return (
                f"{spelling} of a complex array is not supported: s2sgrad differentiates "
                "real arrays",
                "keep complex numbers out of the function",
            )
        return None

    return check


def _check_nan_to_num(ts, attrs):
    if not attrs.get("copy", True) or any(
        not isinstance(attrs.get(k, 0.0), (int, float)) or isinstance(attrs.get(k), bool)
        for k in ("nan", "posinf", "neginf")
        if attrs.get(k) is not None
    ):
        return (
            "np.nan_to_num takes constant numbers for nan, posinf and neginf, and copy=True, here",
            "np.nan_to_num(x, nan=0.0, posinf=1e6); assign the result",
        )
    return _real_only("np.nan_to_num")(ts, attrs)
