"""Rules of the lists built with append (frontend/lists.py), reverse and forward.

The adjoint of such a list `L` is the array adjoint of `np.array(L)`: len(L) rows, row k
the adjoint of item k (the items have one shape). So `append(L, v)` hands `d[:-1]` back
to `L` and `d[-1]` to `v` (the reverse of an append pops the last row), and each reader
of the list gives rows: np.array/np.stack their cotangent, `sum(L)` it on every row,
`L[i]` it on row i. `n`, the last operand of list_get, list_sum and list_concat, is
len(L), computed before later appends change the list. The tangent of a list is the
list of its items' tangents (forward mode appends them beside the items).
"""

from ..errors import UnsupportedError
from ..ir import indexing as I
from ..ir import types as T
from .registry import defrule
from .shape import _cast_back
from .tangents import deftangent, zeros_like

_ALL_BUT_LAST = ((None, -1, None),)


@defrule("list_new")
def list_new(b, g, ans, *items):
    """d [x₀, x₁, ...] = (d[0], d[1], ...)"""
    return tuple(_cast_back(b, b.index(g, key=(k,)), x) for k, x in enumerate(items))


@defrule("append")
def append(b, g, ans, seq, v):
    """d (L + [v]) = (d[:-1], d[-1])"""
    return b.index(g, key=_ALL_BUT_LAST), _cast_back(b, b.index(g, key=(-1,)), v)


@defrule("list_get")
def list_get(b, g, ans, seq, i, *n):
    """d L[i] = (rows of zeros, d on row i)"""
    _one_shape(b, seq, "out[i] (or a loop over it)")
    rows = b.zeros_like(b.list_rows(g, _length(b, seq, n)))
    return (b.index_add(rows, g, i, key=(I.DYN,)), None) + (None,) * len(n)


@defrule("list_array")
def list_array(b, g, ans, seq):
    """d np.array(L) = d"""
    return (g,)


@defrule("list_stack")
def list_stack(b, g, ans, seq, axis=0):
    """d np.stack(L, axis) = d, its axis moved first"""
    if axis == 0:
        return (g,)
    rank = g.type.rank if g.type.rank is not None else ans.type.rank
    if rank is None:
        raise UnsupportedError(
            f"the gradient through np.stack(out, axis={axis}) of a list built with append "
            f"needs its items' rank, which s2sgrad does not know here (they are "
            f"{T.list_item(seq.type)}: a value that is a number on one path and an array "
            "on another, such as an accumulator started at 0.0)",
            loc=b.loc,
            hint="give the items one rank on every path (start an accumulator as "
            "np.zeros(shape)), or stack along axis 0 and transpose",
        )
    axis = axis % rank
    return (b.transpose(g, axes=(axis,) + tuple(k for k in range(rank) if k != axis)),)


@defrule("list_sum")
def list_sum(b, g, ans, seq, *n):
    """d sum(L) = d on every row"""
    _one_shape(b, seq, "sum(out)")
    return (b.list_rows(g, _length(b, seq, n)),) + (None,) * len(n)


@defrule("list_concat")
def list_concat(b, g, ans, seq, *n):
    """d np.concatenate(L) = d cut into len(L) rows of equal length"""
    _one_shape(b, seq, "np.concatenate(out)")
    rest = [b.getitem(b.shape(g), index=k) for k in range(1, g.type.rank)]
    shape = b.tuple(_length(b, seq, n), b.const(-1), *rest)
    return (b.reshape(g, shape),) + (None,) * len(n)


def _one_shape(b, seq, what):
    """The rows of a list's adjoint need its items to have one shape: np.array/np.stack
    check it (NumPy raises otherwise); sum(out), out[i] and np.concatenate(out) do not,
    so their gradients need a shape s2sgrad knows (sizes, or symbols of the arguments')."""
    shape = T.list_item(seq.type).shape
    if shape is None or None in shape:
        raise UnsupportedError(
            f"the gradient through {what} of a list built with append needs its items to have "
            f"one shape s2sgrad knows (they are {T.list_item(seq.type)})",
            loc=b.loc,
            hint="read the list through np.stack(out) (NumPy checks the shapes), or give "
            "the items a shape of known sizes",
        )


def _length(b, seq, n):
    """len(L): the operand the frontend gave (taken before later appends), else read now."""
    return n[0] if n else b.list_len(seq)


@defrule("list_rows")
def list_rows(b, g, ans, x, n):
    """d broadcast_to(x, (n,) + shape(x)) = Σ over the rows"""
    return b.sum(g, axis=0), None


# ---- forward mode -----------------------------------------------------------------------


@deftangent("list_new")
def t_list_new(b, dots, ans, *items):
    """d [x₀, x₁] = [dx₀, dx₁]"""
    if all(d is None for d in dots):
        return None
    return b.list_new(*[d if d is not None else zeros_like(b, x) for d, x in zip(dots, items)])


@deftangent("append")
def t_append(b, dots, ans, seq, v):
    """d (L + [v]) = dL + [dv]"""
    dseq, dv = dots
    return b.append(
        dseq if dseq is not None else b.list_zeros(seq), dv if dv is not None else zeros_like(b, v)
    )


@deftangent("list_get")
def t_list_get(b, dots, ans, seq, i, *n):
    """d L[i] = dL[i]"""
    return None if dots[0] is None else b.list_get(dots[0], i, *n)


@deftangent("list_array")
def t_list_array(b, dots, ans, seq):
    """d np.array(L) = np.array(dL)"""
    return None if dots[0] is None else b.list_array(dots[0])


@deftangent("list_stack")
def t_list_stack(b, dots, ans, seq, axis=0):
    """d np.stack(L) = np.stack(dL)"""
    return None if dots[0] is None else b.list_stack(dots[0], **({"axis": axis} if axis else {}))


@deftangent("list_sum")
def t_list_sum(b, dots, ans, seq, *n):
    """d sum(L) = sum(dL)"""
    return None if dots[0] is None else b.list_sum(dots[0], *n)


@deftangent("list_rows")
def t_list_rows(b, dots, ans, x, n):
    """d broadcast_to(x, (n,) + shape(x)) = broadcast_to(dx, ...)"""
    return None if dots[0] is None else b.list_rows(dots[0], n)


@deftangent("list_concat")
def t_list_concat(b, dots, ans, seq, *n):
    """d np.concatenate(L) = np.concatenate(dL)"""
    return None if dots[0] is None else b.list_concat(dots[0], *n)
