"""Rules for indexing: reads `x[key]`, and the functional writes `y[key] = v`
(setitem) and `y[key] += v` with np.add.at semantics (index_add).

The three transpose into one another: the adjoint of a read scatters into zeros
(index_add), the adjoint of a scatter is a read, and a write passes the
cotangent through with the written positions zeroed. The key attribute and
the dyn operands (run-time ints, integer arrays, masks: never differentiable)
are passed on unchanged.
"""

from ..ir import indexing as I
from .registry import defrule


def _none(dyn):
    return (None,) * len(dyn)


@defrule("index")
def index(b, g, ans, x, *dyn, key):
    """d x[k] = zeros like x, with d added at k (repeated positions accumulate)"""
    return (b.index_add(b.zeros_like(x), g, *dyn, key=key),) + _none(dyn)


@defrule("index_add", broadcasts=True)
def index_add(b, g, ans, y, v, *dyn, key):
    """d (y with y[k] += v) = d dy + d[k] dv"""
    return (g, b.index(g, *dyn, key=key)) + _none(dyn)


@defrule("setitem", broadcasts=True)
def setitem(b, g, ans, y, v, *dyn, key):
    """d (y with y[k] = v) = (d with d[k] = 0) dy + d[k] dv  (a repeated k: the kept write)"""
    types = [t.type for t in dyn]
    dv = b.index(g, *dyn, key=key)
    if I.may_repeat(key, types):
        dv = b.mul(dv, _kept(b, g, dv, dyn, key))
    elif I.is_view(g.type, key, types):
        dv = b.copy(dv)  # the part, so the rest of d can be zeroed where it is
    return (b.setitem(g, 0.0, *dyn, key=key), dv) + _none(dyn)


def _kept(b, g, part, dyn, key):
    """1 where an element of the written part is the one the array keeps: with repeated
    positions only one write survives. Number the writes and write the numbers the
    same way; those read back are the kept ones."""
    ids = b.reshape(b.arange(b.size(part)), b.shape(part))
    owner = b.setitem(b.sub(b.zeros_like(g, dtype="int64"), 1), ids, *dyn, key=key)
    return b.eq(b.index(owner, *dyn, key=key), ids)
