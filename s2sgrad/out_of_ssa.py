"""Out of SSA: every decision codegen used to make while printing, made on the IR.

The IR defines each value once; Python has variables that are rebound. This
stage decides, for one function:

- **inlining**: which single-use temporaries are printed as part of the
  expression that uses them (`h = np.tanh(x @ W + b)`). An inlined value's
  operands are read where its user is printed, and every later decision counts
  them there. A temporary is inlined within its source line's group; a float
  number in a reverse sweep (an expression of numbers and 0-d values only: it
  keeps no array alive longer) also across groups, and also when it is an
  adjoint or the seed (`1.0 / (1.0 + y * y) * y`, not `_d0 = d_ys / _t3`): on
  Python floats a name costs about what the arithmetic does;
- **variables**: which SSA values share one Python name. A loop's carried value
  (its region argument and the loop's result; for `while`, the condition's
  argument too) is one variable by construction. Everything else is joined
  by *coalescing*: the value yielded at a loop's back edge or a branch's end,
  a loop's initial value, and the array of an in-place write try to take the
  variable they are copied into, and do so only when their live ranges do not
  interfere (Sreedhar et al. 1999; Boissinot et al. 2009). Liveness is a
  backward data-flow over the structured IR, iterated to a fixpoint around
  each loop, in the order codegen prints it;
- **copies**: where coalescing did not join a value with its variable, codegen
  prints a copy: before the loop (initial values), at the end of the body
  (the back edge) and at the end of each branch of an `if`. The copies of one
  point form a *parallel copy*; `sequential_copies` orders them so that no
  copy overwrites a name another still reads, and writes a cycle (`a, b = b,
  a + b`) as one tuple assignment, Python's own parallel copy;
- **in-place writes**: `y_1 = setitem(y, v, k)` is printed `y[k] = v` (y_1
  taking y's variable) only when y's array is owned by the function (made by
  an op that allocates, never a parameter, a constant or a callee's result)
  and no value that may share its memory (views, tuples, tapes, closures,
  values linked through loops and branches) is live after the write. Otherwise
  `y_1 = y.copy(); y_1[k] = v`. The same for `r = a * b` (`a *= b`, or `d_x = d;
  d_x += ...` when a is a forward value and r a gradient with a name of its own);
- **dead arrays reused**: a statement of the gradient code at the top level that
  makes a new float array by arithmetic or a ufunc writes it into the array of a
  variable that died before it, of its type exactly (`d_a = np.multiply(d_c, b,
  out=c)`): Python keeps a named array until the function returns, so that is an
  array fewer at the peak, and no page faults of a new one (`_reuse`, decided last,
  with the same liveness of contents as the writes: s2sgrad/dead_arrays.py). NumPy reuses a temporary of an
  expression by itself only on the left of `-` and `/`: a temporary on the right
  takes the result (`_t1 = _t0 + 1.0; d_c = np.divide(x, _t1, out=_t1)`), and one an
  in-place statement reads (`d_c *= 1.0 - _t0`, which NumPy makes and frees) goes
  into a dead array under a name of its own (`_t2 = np.subtract(1.0, _t0, out=_t0)`,
  `_t3 = np.cos(x, out=c)`).

Values are the unit of liveness; a closure (the `back` function of a vjp) is
its own scope: what it captures stays live to the end of the function that
makes it (Python closures read variables when they run), and nothing inside a
closure shares a name with anything outside it.

`run(fn) -> Plan`. The verifier checks the plan independently
(ir/verify_names.py): it runs the function as printed, on names, and fails
when a read does not find its value under its name.
"""

import numpy as np

from .dead_arrays import DeadArrays
from .ir.core import ADJOINT_TEMP, TEMP_HINTS, free_values, use_counts
from .ir.opcodes import OPS, draws, memory

MAX_DEPTH = 24  # deepest expression inlining may build (Python's parser and
# astunparse recurse on it)


class Plan:
    """What out-of-SSA decided: `inlined` values, `rep` (value -> the value
    naming its variable), `in_place` write ops, `expr_ifs` (ifs printed as
    expressions), `twice_ok` (conditions printed twice in `c and x`), `unused`
    (results of a several-result op that nothing reads: printed as `_`), `renamed`
    (in-place writes whose result takes a name of its own: `d_x = d; d_x += d_c`),
    `out_into` (op -> a value whose array died: `d_a = np.multiply(d_c, b, out=c)`)."""

    def __init__(self):
        self.inlined = set()
        self.renamed = set()
        self.out_into = {}  # op -> a dead value whose array its result is written into
        self.unused = set()
        self.expr_ifs = set()
        self.twice_ok = set()
        self.rep = {}
        self.in_place = set()
        self.shares = self.web = None  # for the verifier: may two values share an
        # array; the loop variable of a value

    def var(self, v):
        return self.rep.get(v, v)


def run(fn):
    return _OutOfSSA(fn).run()


# ---- union-find ------------------------------------------


class _UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, v):
        p = self.parent.get(v, v)
        if p is v:
            return v
        root = p
        while self.parent.get(root, root) is not root:
            root = self.parent[root]
        while self.parent.get(v, v) is not root:  # path compression
            self.parent[v], v = root, self.parent[v]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.parent[rb] = ra
        return ra


AUGMENTED = {"add": "+=", "sub": "-=", "mul": "*=", "div": "/="}


# elementwise NumPy ufuncs of one float operand, written np.<f>(a, out=a) in place (not in
# array-API code, which has no `out=`: there the expression stays one line)
UNARY_OUT = frozenset(name for name, d in OPS.items() if d.out)


def _unary_out(op, uses, defs):
    """`r = np.tanh(t)` of a temporary t made for it alone (`np.tanh(x @ W + b)`), of r's
    type exactly: t gets a name and the ufunc writes into its array (`np.tanh(t,
    out=t)`) when out-of-SSA finds nothing else refers to it; no new array."""
    if op.opcode not in UNARY_OUT or len(op.operands) != 1 or len(op.results) != 1:
        return False
    t, r = op.operands[0], op.result
    d = defs.get(t)
    tt = t.type
    return (
        d is not None
        and uses.get(t, 0) == 1
        and t.hint in TEMP_HINTS
        and memory(d) == "new"
        and not d.regions
        and d.tag == op.tag
        and tt.kind == "array"
        and not tt.weak
        and tt.is_float
        and tt.shape is not None
        and len(tt.shape) > 0
        and None not in tt.shape
        and tt.dtype is not None
        and r.type == tt
        and len(d.results) == 1
        and not OPS[d.opcode].structural
    )


# NumPy writes `t + b` into a dying temporary t itself only when b is a number or has t's
# shape, and from this many bytes (numpy/_core/src/multiarray/temp_elide.c)
ELIDE_BYTES = 256 * 1024


def _broadcast_temp(op, uses, defs):
    """`r = t + b` of a temporary t made for it alone (`x @ W + b`), which b broadcasts
    into (an array of another shape): t gets a name and the op writes into its array
    (`h = x @ W; h += b`) when out-of-SSA finds nothing else refers to it. NumPy
    reuses a dying temporary by itself (`x @ W + y`, `2.0 * x + 1.0`), never one that
    the other operand broadcasts into: there it makes a new array, which costs its
    page faults on every call (the MLP's first layer). The same values: the same
    ufunc on the same operands, into another array."""
    if not _augmentable(op):
        return False
    t, b = op.operands
    d = defs.get(t)
    tt, bt = t.type, b.type
    if (
        d is None
        or uses.get(t, 0) != 1
        or t.hint not in TEMP_HINTS
        or memory(d) != "new"
        or d.regions
        or d.tag != op.tag
        or len(d.results) != 1
        or OPS[d.opcode].structural
        or bt.shape is None
        or len(bt.shape) == 0
        or bt.shape == tt.shape
    ):
        return False
    if all(type(n) is int for n in tt.shape):  # (below NumPy's own bound: not worth a name)
        size = 1
        for n in tt.shape:
            size *= n
        return size * np.dtype(tt.dtype).itemsize >= ELIDE_BYTES
    return True


# the ufuncs of the arithmetic ops, for a result written into a dead array (`out=`)
UFUNCS = {"add": "np.add", "sub": "np.subtract", "mul": "np.multiply", "div": "np.divide"}


def _augmentable(op):
    """`r = a <op> b` that may be written `a <op>= b` (a's array updated in place):
    r has a's type exactly (a float array of a known shape: no broadcasting grows
    it, no promotion changes its dtype, never a Python or NumPy scalar). Out-of-SSA
    decides it as a write: only when a's array is the function's own and nothing
    that may refer to it is read later."""
    if op.opcode not in AUGMENTED or len(op.operands) != 2:
        return False
    a, r = op.operands[0], op.result
    t = a.type
    return (
        t.kind == "array"
        and not t.weak
        and t.is_float
        and t.shape is not None
        and len(t.shape) > 0
        and None not in t.shape
        and t.dtype is not None  # (of a dtype that depends on the path: `h = h + w`
        and r.type == t  # may be a new float64 h where h is a float32 array)
        and op.operands[1].type.kind == "array"
    )


def _adjoint(hint):
    return hint.startswith("d_") or hint == ADJOINT_TEMP


def _named_apart(a, b):
    """One of a and b is a source variable's value and the other an adjoint's."""
    return any(
        _adjoint(u.hint) and not _adjoint(w.hint) and w.hint not in TEMP_HINTS
        for u, w in ((a, b), (b, a))
    )


def _float_scalar(v):
    """v is a 0-d float: a Python float or a NumPy scalar."""
    t = v.type
    return _scalar(v) and (t.dtype or "").startswith("float")


def _scalar(v):
    """v is a number or a 0-d value: printing an expression of such values later keeps
    no array alive longer (which could cost an in-place update its place)."""
    t = v.type
    return t.kind == "array" and t.shape == ()


def _role(op):
    return (op.tag or "").partition(":")[0]


def _is_loop(op):
    return op.opcode in ("for", "while")  # structure: their regions carry values


# ---- the stage -------------------------------------------------------------------------------


class _OutOfSSA(DeadArrays):
    def __init__(self, fn):
        self.fn = fn
        self.plan = Plan()
        self.defs, self.pos, self.region_of, self.user = {}, {}, {}, {}
        self.yielded_in, self.owner, self.scope = {}, {}, {}
        self.uses = use_counts(fn.body)
        self.expr_cache = {}
        self.depth = {}  # value -> nesting of its inlined expression
        self.params = set(fn.params)
        self.closure_args = set()
        self.write_arrays = set()
        self.write_ops = set()  # the functional writes (setitem, index_add)
        self.tracked = None  # the variables liveness tracks (None: all)
        self.mem = {}  # op -> memory(op)
        self._reads = {}  # (op, pass) -> what printing its operands reads
        self._idle_ops = {}  # op -> no part in the names pass (_idle)
        self._index(fn.body, 0, 0)
        for p in fn.params:
            self.scope[p] = 0
        for op in fn.body.walk():
            if (
                op.opcode == "if"
                and len(op.results) == 1
                and op.operands[0] in (op.regions[0].yields[0], op.regions[1].yields[0])
            ):
                self.plan.twice_ok.add(op.operands[0])
        self.web = _UnionFind()  # the variables a loop's structure fixes
        self._structure(fn.body)
        self.copied = set()  # writes decided to copy their array
        self.reusing, self.temp_users = set(), set()  # (_reuse_candidates)
        self.chained = {}  # a sum's temporaries kept out of its expression -> its end
        self.roots = None  # what refers to what (_memory), when first asked
        self.grown = False  # (a result written into a dead array since: _fresh)

    def _index(self, region, rid, scope):
        for a in region.args:
            self.region_of[a] = rid
            self.scope[a] = scope
        for v in region.yields:
            self.yielded_in.setdefault(v, rid)
        for i, op in enumerate(region.ops):
            self.region_of[op] = rid
            self.pos[op] = i
            for r in op.results:
                self.defs[r] = op
                self.region_of[r] = rid
                self.scope[r] = scope
            for v in op.operands:
                self.user.setdefault(v, op)
            kind = self.mem[op] = memory(op)
            if (
                kind == "new"
                and op.results[0] not in self.yielded_in
                and not self.fn.xp
                and (
                    _unary_out(op, self.uses, self.defs)
                    or _broadcast_temp(op, self.uses, self.defs)
                )
            ):  # (a yielded value's variable is
                # a loop's or a branch's, whose old value is often live: no name for nothing)
                kind = self.mem[op] = "write"  # (np.tanh(t, out=t), `h = x @ W; h += b`:
                # decided as a write)
            if kind == "write":
                self.write_ops.add(op)
                self.write_arrays.add(op.operands[0])
            for r in op.regions:
                self.owner[id(r)] = op
                inner = id(r) if op.opcode == "closure" else scope
                if op.opcode == "closure":
                    self.closure_args.update(r.args)
                self._index(r, id(r), inner)

    # -- structure: the webs ---------------------------------------------------

    def _structure(self, region):
        """The variables a loop fixes: its carried region arguments and its result."""
        for op in region.ops:
            for r in op.regions:
                self._structure(r)
            if _is_loop(op):
                for k, res in enumerate(op.results):
                    for v in self._carried(op, k):
                        self.web.union(res, v)

    # -- memory: which arrays a value may refer to --------------------------------------------

    def _fresh(self):
        """roots and owners up to date (see _memory)."""
        if self.roots is None:
            self._memory()
        elif self.grown:
            self._memory(grow=True)

    def _memory(self, grow=False):
        """`roots[v]`: the values whose arrays v may be, view or hold (in a tuple, a
        tape, a closure); `owners[v]`: the same, except that a write's result is an
        array of its own (a copy, or an owned array written in place). A value not
        listed is its own root. Iterated to a fixpoint through loops and tapes.

        `grow`: the tables are kept and iterated on, when the only change since they
        were made is results written into dead arrays (`out=`, dead_arrays._reused: a
        new array's result, its own root, now the dead array's too). Each flow then
        has the sources it had and more, so the old tables are below the new fixpoint
        and iterating from them reaches it (the whole computation, again after each
        such decision, was most of the stage's time)."""
        self.grown = False
        if not grow:
            self.roots, self.owners = {}, {}
            ops = list(self.fn.body.walk())
            self.pushes = {op.operands[0]: op for op in ops if op.opcode == "push"}
            self.op_flows = [
                {op: self._flows(op, t) for op in ops} for t in (self.roots, self.owners)
            ]
        else:  # (only the results written into dead arrays flow anew)
            for t, made in zip((self.roots, self.owners), self.op_flows):
                made.update((op, self._flows(op, t)) for op in self.plan.out_into)
        for table, made in zip((self.roots, self.owners), self.op_flows):  # (each its own
            flows = [  # fixpoint: an op's flows into one table read that table)
                (target, sources, frozenset(own))
                for op_flows in made.values()
                for target, sources, own in op_flows
            ]
            changed = True
            while changed:
                changed = False
                for target, sources, own in flows:
                    new = own.union(*(_ItemsOf.roots(table, v) for v in sources))
                    old = table.get(target)
                    if old is not None:  # (a tape grows with each push)
                        new |= old
                    if old != new:
                        table[target] = new
                        changed = True

    def _flows(self, op, table):
        """(target, sources, own roots) of one op: target refers to what sources refer to.
        The op's `memory` says which: a new value is its own root, a view is its first
        operand's, anything else (containers, calls, items) may be any operand's."""
        code = op.opcode
        if _is_loop(op):
            out = []
            for k, res in enumerate(op.results):
                srcs = (self._inits(op)[k], op.regions[-1].yields[k])
                out += [(v, srcs, ()) for v in (res,) + self._carried(op, k)]
            return out
        if code == "if":
            return [
                (res, tuple(r.yields[k] for r in op.regions), ())
                for k, res in enumerate(op.results)
            ]
        if code == "push":
            return [(op.operands[0], op.operands[1:], ())]
        if code == "pop":  # item k of the tuple pushed (a tape has one push)
            push = self.pushes.get(op.operands[0])
            if push is None or len(push.operands) != len(op.results) + 1:
                return [(r, (op.operands[0],), ()) for r in op.results]
            return [(r, (v,), ()) for r, v in zip(op.results, push.operands[1:])]
        if code == "closure":
            return [(op.result, tuple(free_values(op)), (op.result,))]
        kind = self.mem[op]
        into = self.plan.out_into.get(op)
        if into is not None:  # (the result is the dead array's: `out=`)
            return [(op.result, (into,), (op.result,))]
        if code == "append":  # the list (in place: the same list) holds its items and v
            keeps = op not in self.copied
            return [
                (
                    op.result,
                    (op.operands[0], op.operands[1])
                    if keeps
                    else (_ItemsOf(op.operands[0]), op.operands[1]),
                    (op.result,),
                )
            ]
        if code == "list_get":  # an item: one of the arrays the list holds, never the list
            return [(op.result, (_ItemsOf(op.operands[0]),), (op.result,))]
        if kind == "write":  # in place, or a copy (decided in program order)
            keeps = table is self.roots and op not in self.copied
            return [(op.result, (op.operands[0],) if keeps else (), (op.result,))]
        if kind == "new":
            return [(r, (), (r,)) for r in op.results]
        if kind in ("view", "maybe"):
            return [(r, (op.operands[0],), (r,)) for r in op.results]
        return [(r, op.operands, (r,)) for r in op.results]

    def _owned_roots(self):
        """The roots that are not arrays this function made and may write: a
        parameter, a closure's argument, a constant, a callee's result, an item
        taken out of a tuple (`memory` 'foreign'), a read-only view (np.broadcast_to)."""
        bad = set(self.params) | self.closure_args
        for op in self.fn.body.walk():
            kind = self.mem[op]
            if OPS[op.opcode].read_only or kind == "foreign" or kind is None and not op.regions:
                bad.update(op.results)
        return bad

    def shares_list(self, a, b):
        """a may be the list b is (a list built with append), or hold it."""
        self._fresh()
        lists = {r for r in self.roots.get(b) or (b,) if r.type.kind == "dynlist"}
        return not lists.isdisjoint(self.roots.get(a) or (a,))

    def _shares(self, a, b):
        self._fresh()
        ra = self.roots.get(a) or frozenset((a,))
        return not ra.isdisjoint(self.roots.get(b) or (b,))

    @staticmethod
    def _carried(op, k):
        """The region arguments of a loop's k-th carried value."""
        if op.opcode == "for":
            return (op.regions[0].args[1 + k],)
        return (op.regions[0].args[k], op.regions[1].args[k])

    @staticmethod
    def _inits(op):
        return op.operands[3:] if op.opcode == "for" else op.operands

    def node(self, v):
        return self.web.find(v)

    # -- inlining ------------------------------------------------------------------------------

    def inlined(self, v):
        op = self.defs.get(v)
        if op is None or len(op.results) != 1:
            return False
        scalar = _float_scalar(v) and self._scalar_expr(op)
        if v.hint not in TEMP_HINTS and not (scalar and _role(op) in ("grad", "seed")):
            return False  # (a source variable's value keeps its name; in a reverse sweep, a
            # scalar adjoint's or the seed's need not: the gradients handed back keep theirs)
        if op in self.write_ops or not OPS[op.opcode].inline and not self.is_expression(op):
            return False
        if self._written_array(v) or v in self.chained:
            return False
        if op.opcode == "const":
            return True
        if self._depth(op) > MAX_DEPTH:
            return False  # a long chain (a sum of many adjoints) gets names on the way
        if self.uses.get(v, 0) != (2 if v in self.plan.twice_ok else 1):
            return False
        user = self.user.get(v)
        if user is None:  # used once, by a yield: printed in the copy, return or test
            rid = self.region_of.get(v)
            if self.yielded_in.get(v) != rid:
                return False
            owner = self.owner.get(rid)
            if rid == 0 or owner.opcode in ("for", "while", "closure"):
                return True
            return owner.opcode == "if" and (
                self.is_expression(owner)
                or sum(y is v for y in _region_by_id(owner, rid).yields) == 1
            )
        if self.region_of.get(user) != self.region_of.get(v):
            return False
        if not scalar and _group_key(user) != _group_key(op):
            return False  # (a scalar crosses to another comment's group: a name costs
            # more than the arithmetic on a float)
        return not self._write_between(op, user)

    def _scalar_expr(self, op):
        """op reads only numbers and 0-d values, through the expressions inlined into it
        too (decided before it: program order); no region (an expression-if's branches)."""
        return not op.regions and all(
            _scalar(u) and (u not in self.plan.inlined or self._scalar_expr(self.defs[u]))
            for u in op.operands
        )

    def _depth(self, op):
        """How deep the expression printed for op's result would nest (operands
        inlined so far counted: values are decided in program order)."""
        d = 1 + max((self.depth.get(v, 0) for v in op.operands), default=0)
        self.depth[op.results[0]] = d
        return d

    def _written_array(self, v):
        """The array of a write needs a name (the statement writes into it)."""
        return v in self.write_arrays

    def _write_between(self, op, user):
        """True when a write between op and its user may change what op reads:
        inlining would move the read past it (and cost the write its place)."""
        rid = self.region_of[op]
        region = _region_by_id(self.owner[rid], rid) if rid else self.fn.body
        for o in region.ops[self.pos[op] + 1 : self.pos[user]]:
            for w in (o,) + tuple(o2 for r in o.regions for o2 in r.walk()):
                if w in self.write_ops and any(self._shares(w.operands[0], v) for v in op.operands):
                    return True
        return False

    def is_expression(self, op):
        """An `if` with one result whose branches are expressions: written as
        `a if c else b` (or `c and b`, `c or b`), which Python evaluates lazily too."""
        if op.opcode != "if" or len(op.results) != 1:
            return False
        if op not in self.expr_cache:
            self.expr_cache[op] = False  # (while deciding: its yields are not expressions)
            self.expr_cache[op] = all(
                o.results
                and all(r in region.yields or self.inlined(r) for r in o.results)
                and all(self._yield_ok(r) for r in o.results if r in region.yields)
                for region in op.regions
                for o in region.ops
            )
        return self.expr_cache[op]

    def _yield_ok(self, v):
        """A branch's yielded temporary that an expression-if may inline."""
        op = self.defs.get(v)
        if op is None or v.hint not in TEMP_HINTS:
            return op is None
        if not OPS[op.opcode].inline and not self.is_expression(op) or op in self.write_ops:
            return False
        return op.opcode == "const" or self.uses.get(v, 0) == 1

    # -- what a printed statement reads ---------------------------------------------------------

    def reads(self, values, op=None):
        """The variables (nodes) read when `values` are printed as expressions (the
        operands of `op`). In the contents pass, reading only a shape is no read."""
        if op is not None:  # (an op's operands: asked again by each pass over a loop)
            key = (op, self.contents, self.tracked is None)
            hit = self._reads.get(key)
            if hit is None:
                hit = self._reads[key] = frozenset(self._read(values, op))
            return hit
        return self._read(values, op)

    def _read(self, values, op):
        if self.contents and op is not None and OPS[op.opcode].metadata:
            return set()
        out = set()
        stack = list(values)
        while stack:
            v = stack.pop()
            if v in self.plan.inlined:
                op = self.defs[v]
                if self.contents and OPS[op.opcode].metadata:
                    continue
                stack.extend(op.operands)
                for r in op.regions:  # an expression-if's branches
                    stack.extend(r.yields)
            else:
                n = self.node(v)
                if self.tracked is None or n in self.tracked:
                    out.add(n)
        return out

    # -- liveness ---------------------------------------------------------------------------------

    def _record(self, defs, live_out, copies=None):
        """defs are (re)defined at one point where live_out is live after it."""
        copies = copies or {}
        for d in defs:
            if d not in self.interesting:
                continue
            for x in live_out:
                if x is not d and x in self.interesting and copies.get(d) is not x:
                    self.edges.setdefault(d, set()).add(x)
                    self.edges.setdefault(x, set()).add(d)
            for x in defs:
                if x is not d and x in self.interesting:
                    self.edges.setdefault(d, set()).add(x)
                    self.edges.setdefault(x, set()).add(d)

    def _block(self, ops, live):
        live = set(live)
        names_pass = self.tracked is not None
        for op in reversed(ops):
            if op.results and all(r in self.plan.inlined for r in op.results):
                continue
            if names_pass and not op.regions and op not in self.write_ops and self._idle(op):
                continue
            live = self._op(op, live)
        return live

    def _idle(self, op):
        """In the names pass: op defines no variable coalescing asks about and reads
        none, so it changes no live set and records no interference (skipped)."""
        idle = self._idle_ops.get(op)
        if idle is None:
            idle = self._idle_ops[op] = not self.reads(op.operands, op) and not any(
                self.node(r) in self.interesting for r in op.results
            )
        return idle

    def _op(self, op, live):
        if op.opcode == "if" and op not in self.plan.expr_ifs:
            outs = [self._copies(r.ops, op.results, r.yields, live) for r in op.regions]
            return set().union(*outs) | self.reads(op.operands)
        if op.opcode == "for":
            return self._for(op, live)
        if op.opcode == "while":
            return self._while(op, live)
        defs = [self.node(r) for r in op.results]
        if op in self.reusing or op in self.temp_users:
            self.live_at_reuse[op] = frozenset(live)
        if op in self.write_ops:
            self.live_at_write[op] = frozenset(live)
            # `y_1 = y.copy(); y_1[k] = v`: y_1 is written before v and k are read (a read
            # of y there reads the copy, which holds y's values until the write is done)
            later = self.reads(op.operands[1:]) - {self.node(op.operands[0])}
            self._record(defs, live | later)
        else:
            self._record(defs, live)
        live.difference_update(defs)
        if op.opcode == "closure":
            self._closure(op)
            live |= self.reads(free_values(op))
        elif op.regions:  # an `if` printed as an expression
            live |= self.reads(op.operands + tuple(y for r in op.regions for y in r.yields))
        else:
            live |= self.reads(op.operands, op)
        return live

    def _copies(self, ops, dests, srcs, live_out):
        """A region ending with the parallel copy dests <- srcs, then live_out."""
        dnodes = [self.node(d) for d in dests]
        copies = {dn: self.node(s) for dn, s in zip(dnodes, srcs) if s not in self.plan.inlined}
        self._record(dnodes, live_out, copies)
        live = (set(live_out) - set(dnodes)) | self.reads(srcs)
        return self._block(ops, live)

    def _for(self, op, live_after):
        body = op.regions[0]
        webs = [self.node(a) for a in body.args[1:]]
        index = self.node(body.args[0])
        header = set(live_after)
        while True:
            body_in = self._copies(body.ops, body.args[1:], body.yields, header)
            self._record([index], body_in)
            new = set(live_after) | (body_in - {index})
            if new == header:
                break
            header = new
        live = header | self.reads(op.operands[:3])
        inits = op.operands[3:]
        self._record(
            webs, live, {w: self.node(i) for w, i in zip(webs, inits) if i not in self.plan.inlined}
        )
        return (live - set(webs)) | self.reads(inits)

    def _while(self, op, live_after):
        cond, body = op.regions
        webs = [self.node(a) for a in cond.args]
        header = set(live_after)
        while True:
            body_in = self._copies(body.ops, body.args, body.yields, header)
            after_test = set(live_after) | body_in | self.reads(cond.yields)
            new = self._block(cond.ops, after_test)
            if new == header:
                break
            header = new | header
        inits = op.operands
        self._record(
            webs,
            header,
            {w: self.node(i) for w, i in zip(webs, inits) if i not in self.plan.inlined},
        )
        return (header - set(webs)) | self.reads(inits)

    def _closure(self, op):
        (region,) = op.regions
        live = self.reads(region.yields)
        live = self._block(region.ops, live)
        self._record([self.node(a) for a in region.args], live)

    def _function(self):
        body = self.fn.body
        end = self.reads(body.yields)
        for op in body.walk():  # a closure reads what it captures whenever it is called
            if op.opcode == "closure" and self.scope.get(op.result) == 0:
                end |= self.reads(free_values(op))
        live = self._block(body.ops, end)
        self._record([self.node(p) for p in self.fn.params], live)

    # -- coalescing ----------------------------------------------------------------------------------

    def _augmented(self):
        """`r = a + b` of an `a` that has a name (not inlined) and an r that has one: a
        write candidate, `a += b` when a's array may change (`_in_place`). Decided after
        inlining, so an expression (`np.tanh(x @ W + b)`) stays one line: NumPy reuses
        a dying temporary of an expression by itself."""
        found = False
        for op in self.fn.body.walk():
            if not _augmentable(op):
                continue
            a, r = op.operands[0], op.results[0]
            if op.tag == "fwd" and a.hint != r.hint and r.hint not in TEMP_HINTS:
                continue  # (`err = out - y` stays: err is not read as `out`)
            if (
                _augmentable(op)
                and op.result not in self.plan.inlined
                and op.operands[0] not in self.plan.inlined
                and self.scope.get(op.operands[0]) == self.scope.get(op.result)
            ):
                self.mem[op] = "write"
                self.write_ops.add(op)
                self.write_arrays.add(op.operands[0])
                found = True
        if found:
            self.roots = None  # (what refers to what, asked again with these writes)

    def _chains(self):
        """A sum of the gradient whose first term is a named array read nowhere else
        (`d_x = d + d_c + d_b`, d a forward value that dies there): its temporaries
        get names, so that out-of-SSA may decide each `+` as a write (`_augmented`),
        the first into d's array (`d_x = d; d_x += d_c; d_x += d_b`) instead of
        NumPy allocating a new array for `d + d_c` (it reuses only a temporary)."""
        for op in self.fn.body.walk():
            head = op.operands[0] if op.operands else None
            if (
                op.tag == "fwd"
                or not _augmentable(op)
                or head.hint in TEMP_HINTS
                or head not in self.defs
                or self.uses.get(head, 0) != op.operands.count(head)
                or op.result.hint not in TEMP_HINTS
            ):
                continue
            chain, v = [], op.result
            while v.hint in TEMP_HINTS and self.uses.get(v, 0) == 1:
                user = self.user.get(v)
                if (
                    user is None
                    or not _augmentable(user)
                    or user.operands[0] is not v
                    or v in user.operands[1:]
                    or self.region_of.get(user) != self.region_of.get(op)
                ):
                    break
                chain.append(v)
                v = user.result
            if chain:
                for t in chain:
                    self.chained[t] = v

    def _renames(self, write):
        """A write of gradient code into a forward value's array (a sum's first `+`,
        `_chains`; `d_b = a * d_c`) whose result, or its sum's end, has a name of its
        own: the result takes that name (`d_x = d; d_x += d_c`), not the array's."""
        end = self.chained.get(write.result, write.result)
        old = write.operands[0]
        d = self.defs.get(old)
        return (
            write.opcode in AUGMENTED  # (codegen writes `d_b = a` before `d_b *= d_c`)
            and write.tag != "fwd"
            and d is not None
            and d.tag == "fwd"
            and old not in self.chained
            and old.hint not in TEMP_HINTS
            and old.hint != ADJOINT_TEMP
            and end.hint not in TEMP_HINTS
            and end.hint != old.hint
        )

    def _candidates(self):
        """(a, b, write) pairs that would save a copy if they shared a variable, most
        valuable first: back edges and branch ends, writes (`write` the op; None for
        the others), initial values, indices."""
        edges, ifs, writes, inits, indices = [], [], [], [], []
        seen_index = {}
        for op in self.fn.body.walk():
            if _is_loop(op):
                body = op.regions[-1]
                for k, res in enumerate(op.results):
                    edges.append((res, body.yields[k], None))
                    inits.append((res, self._inits(op)[k], None))
                if op.opcode == "for":
                    idx = op.regions[0].args[0]
                    prev = seen_index.get(idx.hint)
                    if prev is not None:
                        indices.append((prev, idx, None))
                    else:
                        seen_index[idx.hint] = idx
            elif op.opcode == "if" and op not in self.plan.expr_ifs:
                for k, res in enumerate(op.results):
                    for r in op.regions:
                        ifs.append((res, r.yields[k], None))
            elif op in self.write_ops:
                writes.append((op.operands[0], op.result, op))
        # a loop's adjoint started from a source variable's value (`d_a` carried from `c`:
        # d(sum(a * c))/da) keeps its own name: `d_a = c` before the loop, not `c` for both
        inits = [(a, b, w) for a, b, w in inits if not _named_apart(a, b)]
        # and so does a branch's adjoint that one branch takes from a source variable's
        # value (`d_y` of min(m, y) is `spread` where y won): `d_y_1 = spread`, not
        # `spread = np.zeros_like(y)` in the other branch
        ifs = [(a, b, w) for a, b, w in ifs if not _named_apart(a, b)]
        out = []
        for a, b, write in edges + ifs + writes + inits + indices:
            if a in self.plan.inlined or b in self.plan.inlined:
                continue
            if a in self.params or b in self.params:
                # a parameter keeps its own name unless the value is the same variable
                # under the same source name (`x = x * 2` in a loop)
                if a.hint != b.hint:
                    continue
            if self.scope.get(a) != self.scope.get(b):
                continue
            out.append((a, b, write))
        return out

    def _interfere(self, ca, cb):
        for x in self.members[ca]:
            ex = self.edges.get(x, ())
            for y in self.members[cb]:
                if y in ex:
                    return True
        return False

    def _merge(self, a, b):
        ca, cb = self.cls.find(self.node(a)), self.cls.find(self.node(b))
        if ca is cb:
            return True
        if self._interfere(ca, cb):
            return False
        if sum(1 for c in (ca, cb) if self.members[c] & self.param_nodes) > 1:
            return False
        root = self.cls.union(ca, cb)
        other = cb if root is ca else ca
        self.members[root] = self.members[ca] | self.members[cb]
        del self.members[other]
        return True

    def _in_place(self, op):
        """May `op` (setitem / index_add) write its array in place? Its array is
        one this function made, and nothing that may refer to it is read later.
        (An append changes the list, not the arrays it holds: only what may be the
        list itself counts there, never an item read out of it.)"""
        old, res = op.operands[0], self.node(op.result)
        self._fresh()
        if op.opcode == "append":
            values = self._node_values()
            return not any(
                self.shares_list(v, old)
                for x in self.live_at_write.get(op, ())
                if x is not res
                for v in values.get(x, (x,))
            )
        if not self.not_owned.isdisjoint(self.owners.get(old) or (old,)):
            return False
        # (`a += a`: a ufunc reads each element before it writes it; another view of a's
        # array, even one equal to it, is refused)
        same_ok = op.opcode in AUGMENTED
        if any(self._shares(v, old) for v in op.operands[1:] if not (same_ok and v is old)):
            return False
        values = self._node_values()
        for x in self.live_at_write.get(op, ()):
            if x is not res and any(self._shares(v, old) for v in values.get(x, (x,))):
                return False
        return True

    # -- driver ----------------------------------------------------------------------------------------

    def run(self):
        plan = self.plan
        for op in self.fn.body.walk():
            if op.opcode == "if" and self.is_expression(op):
                plan.expr_ifs.add(op)
            elif len(op.results) > 1 and not op.regions or draws(op):
                # (`_, f_back = vjp_f(x)`; a draw or a check kept for its effect: `_ = ...`)
                plan.unused.update(r for r in op.results if not self.uses.get(r))
        self._chains()
        for v in list(self.defs):
            if self.inlined(v):
                plan.inlined.add(v)
            else:
                self.depth[v] = 0
        self._augmented()
        cands = self._candidates()
        # a write no candidate decides (`x / (...)` of a parameter x, whose name is kept)
        # is a copy: its result is an array of its own, never x's
        decided = {w for _, _, w in cands if w is not None}
        self.copied.update(w for w in self.write_ops if w not in decided)
        self.interesting = {self.node(x) for a, b, _ in cands for x in (a, b)}
        # liveness of names (interference), then of contents (what a write may change)
        # (each pass only when something asks for it: coalescing candidates, writes)
        # The names pass tracks only the variables coalescing asks about; the contents
        # pass, every variable (what is live at a write)
        self.edges, self.live_at_write, self.contents = {}, {}, False
        self.live_at_reuse = {}
        self._reuse_candidates()
        self.tracked = self.interesting
        if self.interesting:
            self._function()
        names_edges = self.edges
        self.contents, self.edges, self.tracked = True, {}, None
        if self.write_arrays or self.reusing or self.temps:
            self._function()
        self.edges = names_edges
        self.not_owned = self._owned_roots()
        order = self._values_in_order()
        self.order, self.node_values = order, None  # (node_values: made when a write asks)
        self.cls = _UnionFind()
        self.members = {n: {n} for n in self.interesting}
        self.param_nodes = {self.node(p) for p in self.params}
        for a, b, write in cands:
            if write is None:
                self._merge(a, b)
            elif self._renames(write) and self._in_place(write):
                plan.in_place.add(write)
                plan.renamed.add(write)
            elif self._in_place(write) and self._merge(a, b):
                plan.in_place.add(write)
            else:
                self.copied.add(write)  # its result is a new array: what refers to what
                self.roots = None  # is recomputed when next asked

        # a variable is named after its parameter, else the variable a loop carries,
        # else its first source name
        def rank(v):
            return (
                0
                if v in self.params
                else 1
                if self.node(v) is not v
                else 2
                if v.hint not in TEMP_HINTS and v.hint != ADJOINT_TEMP
                else 3
            )

        best = {}
        roots = [self.cls.find(self.node(v)) for v in order]
        for v, root in zip(order, roots):
            cur = best.get(root)
            if cur is None or rank(v) < rank(cur):
                best[root] = v
        for v, root in zip(order, roots):
            plan.rep[v] = best[root]
        if self.reusing or self.temps:
            self._reuse(order)
        plan.shares, plan.web = self._shares, self.node
        plan.shares_list = self.shares_list
        return plan

    def _before(self, v, op, pos):
        """v is defined before op, at the top level (or in a region of an op before it)."""
        d = self.defs.get(v)
        while d is not None and d not in pos:
            rid = self.region_of.get(d)
            d = self.owner.get(rid) if rid else None
        return d is not None and pos[d] < pos[op]

    def _node_values(self):
        """node -> the values in it, in program order."""
        if self.node_values is None:
            self.node_values = {}
            for v in self.order:
                self.node_values.setdefault(self.node(v), []).append(v)
        return self.node_values

    def _values_in_order(self):
        """Every value of the function: parameters, then in program order."""
        out = list(self.fn.params)

        def visit(region):
            for op in region.ops:
                out.extend(op.results)
                for r in op.regions:
                    out.extend(r.args)
                    visit(r)

        visit(self.fn.body)
        return out


class _ItemsOf:
    """A source standing for the arrays a list holds, without the list itself."""

    __slots__ = ("seq",)

    def __init__(self, seq):
        self.seq = seq

    @staticmethod
    def roots(table, v):
        if type(v) is _ItemsOf:
            return frozenset(r for r in table.get(v.seq, (v.seq,)) if r.type.kind != "dynlist")
        return table.get(v, (v,))


def _region_by_id(op, rid):
    return next(r for r in op.regions if id(r) == rid)


def _group_key(op):
    loc = op.loc
    return (op.tag, loc.file if loc else None, loc.line if loc else None)


# ---- printing parallel copies -------------------------------------------------------------------


def sequential_copies(copies):
    """[(dest name, source expression, names the source reads)] of one parallel copy,
    in an order that reads every source before its name is written: a list of
    groups, each one assignment (a group of several is a tuple assignment, the
    cycles a parallel copy cannot order)."""
    pending = list(copies)
    out = []
    while pending:
        ready = next(
            (c for c in pending if not any(c[0] in o[2] for o in pending if o is not c)), None
        )
        if ready is None:
            out.append(pending)
            break
        out.append([ready])
        pending = [c for c in pending if c is not ready]
    return out
