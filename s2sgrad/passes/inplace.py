"""Which functional writes may update their array in place (an analysis for codegen).

`y_1 = setitem(y, v, ...)` and `index_add` are pure in the IR. Codegen writes
one as `y[key] = v`, y_1 keeping y's Python name, when nothing can tell, and
as `y_1 = y.copy(); y_1[key] = v` otherwise. A write goes in place when:

- y is *owned*: a new array made by an op that allocates one (arithmetic,
  ufuncs, reductions, np.zeros/ones/full/..., copies, advanced indexing, an
  earlier write), or a loop's carried array whose initial value is owned and
  handed to the loop alone, and whose next value is owned too and kept by
  nothing else in the body (a tape push keeps it: the next iteration would
  write into the saved array). Never a
  parameter (the caller's array), a view or alias of another value (np.reshape,
  x.T, basic indexing, np.asarray, stop_gradient), a constant, or a value of
  an `if`;
- y is defined in the region of the write: a loop body may write the array it
  carries, never a value from outside the loop, which the next iteration reads;
- nothing reads y after the write. Every other use comes earlier and either
  makes a new value (a number, a new array) or is a view whose own readers
  all come no later than the write, a single-use temporary counting where
  its user is (codegen may inline it there). A new value read from y that
  would be inlined past the write is *pinned* instead: written as its own
  statement before the write (`y[1:3] = y[1:3] + v`
  reads y in the statement that writes it: fine). A loop-tape push, a tuple,
  or a nested region that uses y keeps it: a later read. Reading only y's
  shape or dtype (np.shape, np.zeros_like) is never in the way.
"""

from ..ir import indexing as I
from ..ir import opcodes
from ..ir.core import TEMP_HINTS, def_map, use_counts

WRITES = frozenset({"setitem", "index_add"})
LOOPS = frozenset({"for", "while"})
# np.* calls whose result may be (or share memory with) their first operand
_ALIASING_CALLS = frozenset({"reshape", "transpose", "expand_dims", "squeeze", "broadcast_to",
                             "asarray", "float64", "float32"})
# ops whose result is a view of, or the same object as, their first operand
_VIEWS = frozenset({"reshape", "transpose", "T", "expand_dims", "squeeze", "broadcast_to",
                    "asarray", "float64", "float32", "stop_gradient", "index"})
# ops that read their operand and keep nothing of it (Python numbers, shapes)
_READS = frozenset({"shape", "size", "pyfloat"})
# ops that read only the shape and dtype, which no write changes: they may come anywhere
_METADATA = frozenset({"shape", "size", "zeros_like", "ones_like"})


def fresh(op):
    """True when op's result is a new array (or number) that nothing else refers to."""
    if op.opcode in WRITES or op.opcode == "astype":
        return True
    if op.opcode == "index":
        return not I.is_view(op.operands[0].type, op.attr("key"),
                             [v.type for v in op.operands[1:]])
    d = opcodes.OPS.get(op.opcode)
    if d is None:
        return False
    if d.form[0] in ("binop", "unop", "cmp"):
        return True
    return d.form[0] == "call" and d.form[1].startswith("np.") \
        and op.opcode not in _ALIASING_CALLS


def uses_add_at(op):
    """True when an index_add must be written as np.add.at (positions may repeat)."""
    return op.opcode == "index_add" and I.may_repeat(op.attr("key"),
                                                     [v.type for v in op.operands[2:]])


def analyze(fn):
    """(writes, pins): the write ops of `fn` (any region) that may update their array
    in place, and for each the values codegen must not inline past it."""
    return _Analysis(fn).run()


class _Analysis:
    def __init__(self, fn):
        self.fn = fn
        self.defs = def_map(fn.body)
        self.params = set(fn.params)
        self.uses = use_counts(fn.body)
        self.carried = {}      # loop body arg -> (loop op, its init, its next value)
        self.loop_of = {}      # loop result -> its body arg
        self.memo = {}
        for op in fn.body.walk():
            if op.opcode in LOOPS:
                body = op.regions[-1]
                args = body.args[1:] if op.opcode == "for" else body.args
                inits = op.operands[3:] if op.opcode == "for" else op.operands
                for k, (a, init, res) in enumerate(zip(args, inits, op.results)):
                    self.carried[a] = (op, init, body.yields[k] if k < len(body.yields) else None)
                    self.loop_of[res] = a

    def run(self):
        out, pins = set(), {}
        self._region(self.fn.body, out, pins)
        return out, pins

    def _region(self, region, out, pins):
        for p, op in enumerate(region.ops):
            for r in op.regions:
                self._region(r, out, pins)
            pinned = []
            if op.opcode in WRITES and self._legal(region, p, op, pinned):
                out.add(op)
                pins[op] = pinned

    # -- ownership -------------------------------------------------------------------

    def owned(self, v):
        if v in self.memo:
            return self.memo[v]
        self.memo[v] = True          # a loop's array may be owned because it stays owned
        self.memo[v] = res = self._owned(v)
        return res

    def _owned(self, v):
        if v in self.params:
            return False
        if v in self.loop_of:
            return self.owned(self.loop_of[v])
        if v in self.carried:
            loop, init, nxt = self.carried[v]
            return nxt is not None and self.uses.get(init, 0) == 1 and self.owned(init) \
                and (nxt is v or self.owned(nxt)) and not _kept(loop.regions[-1], nxt)
        op = self.defs.get(v)
        return op is not None and not op.regions and fresh(op)

    # -- the write ---------------------------------------------------------------------

    def _legal(self, region, p, w, pinned):
        old = w.operands[0]
        if not self.owned(old):
            return False
        if old not in region.args and not any(old in o.results for o in region.ops[:p]):
            return False
        if w.opcode == "index_add" and any(v is old for v in w.operands[1:]):
            return False
        return self._reads_end_by(region, p, w, old, pinned, skip=w)

    def _reads_end_by(self, region, p, w, v, pinned, skip=None):
        """True when every read of v (and of views of v) in `region` happens by ops[p]."""
        if v in region.yields:
            return False
        for q, op in enumerate(region.ops):
            if op is skip or not _reads(op, v) or op.opcode in _METADATA:
                continue
            if op is w:
                if uses_add_at(w):
                    return False
                continue
            if q > p or op.regions:
                return False
            if fresh(op) or op.opcode in _READS:
                if self._effective(region, q) > p:
                    pinned.extend(op.results)
                continue
            if op.opcode in _VIEWS and op.operands[0] is v:    # where its readers are
                if not self._reads_end_by(region, p, w, op.result, pinned):
                    return False
                continue
            return False
        return True

    def _effective(self, region, q):
        """Where ops[q] is evaluated: at the user of its result when that is a
        single-use temporary (codegen may inline it into that statement)."""
        n = len(region.ops)
        while True:
            op = region.ops[q]
            if len(op.results) != 1 or op.regions:
                return q
            r = op.result
            if r.hint not in TEMP_HINTS or self.uses.get(r, 0) != 1:
                return q
            if r in region.yields:
                return n
            nxt = next((j for j in range(q + 1, n) if _reads(region.ops[j], r)), None)
            if nxt is None:
                return n           # read in a nested region or not at all: assume the worst
            q = nxt


def _kept(region, v):
    """True when an op of `region` keeps a reference to v beyond its own statement:
    a tape push, a tuple, a nested region, a view of v that is yielded or kept."""
    for op in region.ops:
        if not _reads(op, v):
            continue
        if op.regions:
            return True
        if fresh(op) or op.opcode in _READS or op.opcode in _METADATA:
            continue
        if op.opcode in _VIEWS and op.operands[0] is v:
            if op.result in region.yields or _kept(region, op.result):
                return True
            continue
        return True
    return False


def _reads(op, v):
    if any(x is v for x in op.operands):
        return True
    for r in op.regions:
        for o in r.walk():
            if any(x is v for x in o.operands):
                return True
        if any(x is v for x in r.yields):
            return True
    return False
