"""Loop-invariant hoisting of a product over the loop index.

In `for t in range(xs.shape[0]): h = np.tanh(xs[t] @ Wx + ...)`, Wx does not change
in the loop and t reads the rows of xs in order, one a trip: the loop computes the
rows of `xs @ Wx` one vector-matrix product at a time. This pass computes the matrix
product once before the loop and reads its row in the loop:

    _t0 = xs @ Wx
    for t in range(xs.shape[0]):
        h = np.tanh(_t0[t] + h @ Wh + b)

(`W @ xs[t]` likewise, as the rows of `xs @ W.T`). Every row is read, so nothing is
computed that the loop does not need; a loop that runs no time gets an empty product.

Exactness. The rows of a matrix product are the same sums as the vector-matrix products,
but BLAS orders them differently: NumPy's results differ in the last bits (OpenBLAS:
up to about 1e-14 relative on the RNN workload), never bitwise equal. The values the
user's function returns must be exactly Python's, so the pass hoists only where the
product reaches none of them: what it feeds (followed through the forward code, loops,
branches and tapes) must reach the function's results only through the gradients, and
no comparison, branch or loop condition, integer or float32 cast, `%`, `//`, or call
of a function may read it on the way, where a last-bit difference could be a different
branch or a different rounding. So `grad` gets it, `value_and_grad` (the value is
returned) and a plain function do not; the gradients differ from the loop's by rounding
(the fuzzer's gradient oracle, rtol 1e-5 against central differences, and its value
oracle, rtol 1e-9, accept that).

Preconditions, each checked: a `for` loop with start 0, step 1 and exactly
`xs.shape[0]` trips (a static dimension, the same symbol or int as xs's rows); the
product at the top level of the body (it runs once a trip) and of the forward code
(tag `fwd`); xs[t] the whole row at the loop index, xs and W made before the loop,
float arrays of one dtype, of known shapes that fit (so the product before the loop
cannot raise where a loop that runs no time would not); the row of the product of the
type the vector-matrix product had.
"""

from ..ir import types as T
from ..ir.builder import Builder
from ..ir.core import Op, Region, def_map
from ..ir.opcodes import OPS, infer
from . import dce

# ops whose result a last-bit difference of an operand may change by more than rounding
_DISCRETE = frozenset(
    {
        "mod",
        "floordiv",
        "astype",
        "float32",
        "asarray",
        "array",
        "call",
        "call_vjp",
        "call_back",
        "closure",
        "extern",
        "extern_vjp",
        "loop_index",
        "three_vector",
        "seed_shape",
        "check_assert",
        "gradients",
    }
)


def run(fn):
    loops = [op for op in fn.body.walk() if op.opcode == "for"]
    if not loops or not any(_candidates(op) for op in loops):
        return fn
    fn = dce.run(fn)  # (what reads the product is what is live: the dead adjoint of a
    graph = _Graph(fn)  # constant exponent, with its `x == 0`, goes first)
    b = Builder(defs=def_map(fn.body), params=fn.params)
    body = _region(fn.body, b, graph)
    return fn if body is fn.body else fn.with_body(body)


def _region(region, b, graph):
    ops, changed = [], False
    for op in region.ops:
        regions = tuple(_region(r, b, graph) for r in op.regions)
        if any(x is not y for x, y in zip(regions, op.regions)):
            op = op.replace(regions=regions)
            changed = True
        if op.opcode == "for":
            done = _hoist(op, b, graph)
            if done is not None:
                pre, op = done
                ops.extend(pre)
                changed = True
        ops.append(op)
    return Region(region.args, tuple(ops), region.yields) if changed else region


def _candidates(loop):
    """The body's top-level `xs[t] @ W` / `W @ xs[t]` ops: (op, xs, W, transposed)."""
    body = loop.regions[0]
    index = body.args[0]
    made = {r: o for o in body.ops for r in o.results}
    out = []
    for op in body.ops:
        if op.opcode != "matmul" or op.tag != "fwd":
            continue
        for k in (0, 1):
            row, w = op.operands[k], op.operands[1 - k]
            d = made.get(row)
            if (
                d is not None
                and d.opcode == "index"
                and d.attr("key") == ("%",)
                and tuple(d.operands[1:]) == (index,)
                and w not in made
            ):
                out.append((op, d.operands[0], w, k == 1))
                break
    return out


def _hoist(loop, b, graph):
    """(ops before the loop, the loop with those products read by row), or None."""
    start, stop, step = loop.operands[:3]
    for v in (start, step):
        if type(b.static_value(v)) is not int:
            return None
    if b.static_value(start) != 0 or b.static_value(step) != 1:
        return None
    body = loop.regions[0]
    inner = {r for o in body.walk() for r in o.results} | set(body.args)
    trips = b.static_dim(stop)
    b.ops, b.consts = [], {}  # (constants too: each block emits its own, so none
    # is read where it is not defined: fuzzer, seed 110 program 828)
    replace = {}
    for op, x, w, transposed in _candidates(loop):
        if (
            x in inner
            or w in inner
            or not _fits(x, w, transposed, trips, op)
            or not graph.only_gradients(op.result)
        ):
            continue
        b.loc, b.tag = op.loc, op.tag
        mark = len(b.ops)
        product = b.matmul(x, b.T(w)) if transposed else b.matmul(x, w)
        key = (("key", ("%",)),)
        if infer("index", (product.type, body.args[0].type), dict(key)) != op.result.type:
            del b.ops[mark:]
            continue
        replace[id(op)] = Op("index", (product, body.args[0]), op.results, key, op.loc, op.tag)
    if not replace:
        return None
    new_body = Region(body.args, tuple(replace.get(id(o), o) for o in body.ops), body.yields)
    return list(b.ops), loop.replace(regions=(new_body,))


def _fits(x, w, transposed, trips, op):
    """x (rows, k) and w (k, m), or (m, k) when transposed, or a vector: float arrays of one
    dtype and known shapes that fit; x with exactly `trips` rows."""
    tx, tw = x.type, w.type
    if not all(
        t.kind == "array"
        and t.dtype in ("float32", "float64")
        and not t.weak
        and t.shape is not None
        and None not in t.shape
        for t in (tx, tw)
    ):
        return False
    if (
        tx.dtype != tw.dtype
        or tx.rank != 2
        or tw.rank not in (1, 2)
        or trips is None
        or tx.shape[0] != trips
        or op.result.type.dtype != tx.dtype
    ):
        return False
    if transposed and tw.rank != 2:
        return False
    inner = tw.shape[-1] if transposed else tw.shape[0]
    return T.same_shape((tx.shape[1],), (inner,))


class _Graph:
    """Who reads each value, for following a value forward through the function."""

    def __init__(self, fn):
        self.users = {}
        self.yielded = {}  # value -> [(op with regions or None, region index, position)]
        self.pops = []
        self.fn = fn
        for k, v in enumerate(fn.body.yields):
            self.yielded.setdefault(v, []).append((None, 0, k))
        for op in fn.body.walk():
            for v in op.operands:
                self.users.setdefault(v, []).append(op)
            for i, r in enumerate(op.regions):
                for k, v in enumerate(r.yields):
                    self.yielded.setdefault(v, []).append((op, i, k))
            if op.opcode == "pop":
                self.pops.append(op)

    def only_gradients(self, seed):
        """True when the values computed from `seed` in the forward code reach the
        function's results only through gradient code, and nothing discrete reads them."""
        todo, seen = [seed], {seed}

        def reach(vs):
            for v in vs:
                if v not in seen:
                    seen.add(v)
                    todo.append(v)

        while todo:
            v = todo.pop()
            for parent, i, k in self.yielded.get(v, ()):
                if parent is None:
                    return False  # a result of the function
                if parent.opcode == "for":
                    reach((parent.regions[0].args[k + 1], parent.results[k]))
                elif parent.opcode == "while":
                    if i == 0:
                        return False  # a loop condition
                    reach((parent.regions[0].args[k], parent.regions[1].args[k], parent.results[k]))
                elif parent.opcode == "if":
                    reach((parent.results[k],))
                else:
                    return False
            for op in self.users.get(v, ()):
                if (
                    op.opcode in _DISCRETE
                    or OPS[op.opcode].constant
                    and not OPS[op.opcode].metadata
                    and op.opcode != "stop_gradient"
                ):
                    return False
                if op.opcode == "if":
                    return False  # (its operand is the condition)
                at = [k for k, u in enumerate(op.operands) if u is v]
                if op.opcode == "for":
                    if min(at) < 3:
                        return False  # a bound of the range
                    for k in at:
                        reach((op.regions[0].args[k - 2], op.results[k - 3]))
                elif op.opcode == "while":
                    for k in at:
                        reach((op.regions[0].args[k], op.regions[1].args[k], op.results[k]))
                elif (
                    op.opcode == "index"
                    and v in op.operands[1:]
                    or op.opcode in ("setitem", "index_add")
                    and v in op.operands[2:]
                ):
                    return False  # a position
                elif op.opcode == "push":
                    for p in self.pops:  # (any tape's pops: a superset)
                        reach(p.results)
                elif op.tag == "fwd" or op.tag == "tape" or OPS[op.opcode].structural:
                    reach(op.results)
                # else: gradient code, computed to rounding; it was checked for
                # discrete reads above and is not followed further
        return True
