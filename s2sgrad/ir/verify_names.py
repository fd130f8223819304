"""The verifier's out-of-SSA invariant: every read finds its value under its name.

Independent of how out_of_ssa decided (it re-derives no liveness): it runs
the function as codegen prints it, on names instead of numbers. The state
maps each variable (a `plan.var` representative, one Python name) to the SSA
value it holds; a read of v must find v under v's variable. Branches join
their states (a name holds v after an `if` only if it does on both paths);
a loop's header joins the state on entry with the state at the back edge,
iterated until it is stable, so a value read in the body must survive a
whole iteration. Copies at a loop's entry and back edge and a branch's end
are parallel: every source is read before any name is written. An in-place
write clobbers every value defined so far that may share its array, and a
clobbered value must not be read again; a closure's captured names must not
be rebound after it is made (Python reads them when it runs).

`check(fn, plan, roots)` raises InternalError with the op and its neighbours.
"""

from ..errors import InternalError
from .core import free_values
from .opcodes import OPS, memory
from .printer import Names, print_op

BOTTOM = object()  # a name whose value depends on the path taken
CLOBBERED = "~clobbered"  # the state's set of values an in-place write changed


class _Fault(Exception):
    pass


def check(fn, plan, shares, web):
    """shares(a, b): a and b may refer to one array; web(v): v's loop variable."""
    try:
        _Checker(fn, plan, shares, web).run()
    except _Fault as e:
        op, message = e.args
        names = Names()
        raise InternalError(
            f"IR verifier after out_of_ssa: {message}\n"
            f"  >> {print_op(op, names) if op is not None else '(return)'}"
        ) from None


class _Checker:
    def __init__(self, fn, plan, shares, web):
        self.fn, self.plan, self.shares, self.web = fn, plan, shares, web
        self.defs = {r: op for op in fn.body.walk() for r in op.results}
        self.defined = set()  # values defined so far
        self.captured = {}  # variable -> the closure op that captured it

    def var(self, v):
        return self.plan.var(v)

    def same(self, held, v):
        """Does a name holding `held` (the set of values it equals) hold v?"""
        return held is not None and held is not BOTTOM and self.web(v) in held

    # -- reads and writes ---------------------------------------------------------------------

    def leaves(self, values, op=None):
        """(named value, read for its shape only) of what an expression for `values`
        reads, `op` the op whose operands they are."""
        meta = op is not None and OPS[op.opcode].metadata
        out, stack = [], [(v, meta) for v in values]
        while stack:
            v, meta = stack.pop()
            if v in self.plan.inlined:
                d = self.defs[v]
                inner = OPS[d.opcode].metadata
                stack.extend((u, inner) for u in d.operands)
                for r in d.regions:
                    stack.extend((u, False) for u in r.yields)
            else:
                out.append((v, meta))
        return out

    def read(self, state, values, op, old=None, res=None):
        """Each named value read finds itself under its name (`old` may be found as
        `res`, the copy of it a write makes before it writes)."""
        for v, shape_only in self.leaves(values, op):
            held = state.get(self.var(v))
            if not self.same(held, v) and not (v is old and self.same(held, res)):
                what = (
                    "nothing"
                    if held is None
                    else "a value that depends on the path"
                    if held is BOTTOM
                    else f"another value ({', '.join(sorted(h.hint for h in held))})"
                )
                raise _Fault(op, f"{v.hint} is read where its name holds {what}")
            if self.web(v) in state.get(CLOBBERED, ()) and not shape_only:
                raise _Fault(op, f"{v.hint} is read after an in-place write changed its array")

    def write(self, state, values, op, equal=None):
        """Bind each of `values` under its name (`equal[k]`: other values the k-th
        is a copy of, which its name then holds too)."""
        for k, v in enumerate(values):
            name = self.var(v)
            if name in self.captured and self.captured[name] is not op:
                raise _Fault(op, f"{v.hint} rebinds a name a closure captured")
            w = self.web(v)
            state[name] = frozenset((w,)) | (equal[k] if equal else frozenset())
            self.defined.add(v)
            if w in state.get(CLOBBERED, ()):
                state[CLOBBERED] = state[CLOBBERED] - {w}

    def copies(self, state, dests, srcs, op):
        """A parallel copy: every source read, then every destination written."""
        pairs = [(d, s) for d, s in zip(dests, srcs)]
        for _d, s in pairs:
            self.read(state, [s], op)
        equal = [
            state[self.var(s)] if s not in self.plan.inlined else frozenset() for d, s in pairs
        ]
        self.write(state, [d for d, _ in pairs], op, equal)

    # -- statements -----------------------------------------------------------------------------

    def block(self, ops, state):
        for op in ops:
            if op.results and all(r in self.plan.inlined for r in op.results):
                continue
            self.op(op, state)
        return state

    def op(self, op, state):
        code = op.opcode
        if code == "if" and op not in self.plan.expr_ifs:
            self.read(state, op.operands, op)
            outs = []
            for r in op.regions:
                s = self.block(r.ops, dict(state))
                self.copies(s, op.results, r.yields, op)
                outs.append(s)
            state.clear()
            state.update(_join(outs))
        elif code == "for":
            self.loop_for(op, state)
        elif code == "while":
            self.loop_while(op, state)
        elif code == "closure":
            self.read(state, free_values(op), op)
            inner = dict(state)
            self.write(inner, op.regions[0].args, op)
            self.block(op.regions[0].ops, inner)
            self.read(inner, op.regions[0].yields, op)
            for v in free_values(op):
                self.captured[self.var(v)] = op
            self.write(state, op.results, op)
        elif memory(op) == "write" or op in self.plan.in_place:  # (in place: `a += b`)
            self.setitem(op, state)
        elif op in self.plan.out_into:  # (`r = np.multiply(a, b, out=v)`: v's array)
            into = self.plan.out_into[op]
            self.read(state, op.operands, op)
            if not self.same(state.get(self.var(into)), into):  # (its name must hold it:
                # a write may have changed the dead array before, which is no read)
                raise _Fault(op, f"out={into.hint} where its name holds another value")
            if any(self.shares(p, into) for p in self.fn.params):  # (the caller's array:
                # it reads it after the call, and another call's array may be a view of it)
                raise _Fault(op, f"out={into.hint} writes into an array of the caller's")
            state[CLOBBERED] = state.get(CLOBBERED, frozenset()) | {
                self.web(v) for v in self.defined if self.shares(v, into)
            }
            self.write(state, op.results, op)
        else:
            reads = op.operands + tuple(y for r in op.regions for y in r.yields)
            self.read(state, reads, op)
            self.write(state, op.results, op)

    def setitem(self, op, state):
        old, res = op.operands[0], op.result
        self.read(state, [old], op)
        if op in self.plan.in_place:
            renamed = op in self.plan.renamed  # (`d_x = d; d_x += v`)
            if (self.var(old) is self.var(res)) == renamed:
                raise _Fault(
                    op,
                    "an in-place write renamed to its own name"
                    if renamed
                    else "an in-place write whose result has another name",
                )
            self.read(state, op.operands[1:], op)
            shares = self.plan.shares_list if op.opcode == "append" else self.shares
            state[CLOBBERED] = state.get(CLOBBERED, frozenset()) | {
                self.web(v) for v in self.defined if shares(v, old)
            }
            self.write(state, [res], op)
        else:
            self.write(state, [res], op)  # y_1 = y.copy(), then y_1[k] = v
            self.read(state, op.operands[1:], op, old=old, res=res)

    def loop_for(self, op, state):
        body = op.regions[0]
        carried = body.args[1:]
        self.copies(state, carried, op.operands[3:], op)
        self.read(state, op.operands[:3], op)
        header = dict(state)
        for _ in range(len(header) + 3):
            s = dict(header)
            self.write(s, [body.args[0]], op)
            self.block(body.ops, s)
            self.copies(s, carried, body.yields, op)
            new = _join([header, s])
            if new == header:
                break
            header = new
        state.clear()
        state.update(header)

    def loop_while(self, op, state):
        cond, body = op.regions
        self.copies(state, cond.args, op.operands, op)
        header = dict(state)
        for _ in range(len(header) + 3):
            s = self.block(cond.ops, dict(header))
            self.read(s, cond.yields, op)
            exit_state = dict(s)
            self.block(body.ops, s)
            self.copies(s, body.args, body.yields, op)
            new = _join([header, s])
            if new == header:
                break
            header = new
        state.clear()
        state.update(exit_state)

    def run(self):
        state = {}
        self.write(state, self.fn.params, None)
        self.block(self.fn.body.ops, state)
        self.read(state, self.fn.body.yields, None)


def _join(states):
    """Names that hold one value on every path keep it; the others depend on the path."""
    out = {CLOBBERED: frozenset().union(*(s.get(CLOBBERED, ()) for s in states))}
    for name in set().union(*states) - {CLOBBERED}:
        held = [s.get(name) for s in states]
        if any(h is None or h is BOTTOM for h in held):
            out[name] = BOTTOM
        else:
            common = frozenset.intersection(*held)
            out[name] = common if common else BOTTOM
    return out
