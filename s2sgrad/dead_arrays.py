"""Dead arrays reused: out-of-SSA's last decision (s2sgrad/out_of_ssa.py, the `_reuse`
of its driver), after the names: a statement of the gradient code at the function's
top level that makes a new float array writes it into the array of a variable that
died before it (`d_a = np.multiply(d_c, b, out=c)`), a temporary NumPy would not reuse
takes its statement's result (`_t1 = _t0 + 1.0; d_c = np.divide(x, _t1, out=_t1)`), and
a temporary an in-place statement reads goes into a dead array under a name of its own
(`_t2 = np.subtract(1.0, _t0, out=_t0); d_c *= _t2`). Each decision is recorded in
`plan.out_into`, which the names verifier (ir/verify_names.py) checks as an in-place
write into the dead variable's array.

`DeadArrays` is a part of out_of_ssa's `_OutOfSSA`: its methods read the stage's
liveness (`live_at_reuse`), ownership (`not_owned`, `owners`) and sharing (`_shares`).
"""

from .ir.opcodes import memory


class DeadArrays:
    """The dead-array decisions of out_of_ssa._OutOfSSA (module docstring)."""

    def _reuse_candidates(self):
        """Statements of the gradient code at the function's top level making a new float
        array of a known shape by arithmetic or a ufunc (`d_a = d_c * b`): each may write
        into the array of a variable that died before it (`_reuse`). Not the forward
        code's, which reads as the source does. An array expression as an operand is a
        temporary of its own, which NumPy's result reuses by itself (`1.0 - h * h`), but
        only on the left of `-` and `/`: `x / (t + 1.0)` is a candidate too, whose
        temporary may take its result (`right_temp`). And a temporary of such an op
        read by a statement of the next line (`d_c *= 1.0 - t`, `d_a *= np.cos(x)`),
        which NumPy makes and frees there when that statement writes in place: it may
        take a dead array under a name of its own (`temps`: op -> that statement).
        Sets `reusing`, `right_temp` (op -> its temporary), `temps`."""
        from .out_of_ssa import _augmentable  # (out_of_ssa imports this module)

        self.reusing, self.right_temp, self.temps = set(), {}, {}
        self.temp_users = set()
        if self.fn.xp:  # (the array API has no `out=`)
            return
        ops = self.fn.body.ops
        at = {op: k for k, op in enumerate(ops)}
        for op in ops:
            if not self._makes_array(op):
                continue
            inlined = self._temporaries(op)
            right = self._right_temp(op, inlined, at)
            if op.result in self.plan.inlined:
                user = self.user.get(op.result)
                if (
                    (not inlined or right is not None)  # (`d_h *= 1.0 - h * h`: h * h
                    and user in at  # takes the result, `1.0 - h * h` a name of its own)
                    and _augmentable(user)
                    and user.operands[1] is op.result
                    and user.operands[0] is not op.result
                    and self._none_printed(ops[at[op] + 1 : at[user]])  # (what is live
                    # between them is known)
                ):
                    self.temps[op] = user
                    self.temp_users.add(user)
                    if right is not None:
                        self.right_temp[op] = right
                continue
            if not inlined:
                self.reusing.add(op)
            elif right is not None:
                self.reusing.add(op)
                self.right_temp[op] = right

    def _none_printed(self, ops):
        """Every op of `ops` is printed inside another statement (inlined): none between."""
        return all(o.results and all(r in self.plan.inlined for r in o.results) for o in ops)

    def _temporaries(self, op):
        """op's operands that are array expressions printed inside it: NumPy makes each a
        new array (an inlined view, `d_y[:, None]`, or a number is none)."""
        return [
            u
            for u in op.operands
            if u in self.plan.inlined and u.type.shape and memory(self.defs[u]) != "view"
        ]

    def _right_temp(self, op, inlined, at):
        """The temporary op's result may be written into: the right operand of `-` or
        `/`, an array expression of the result's type (NumPy reuses a left one itself)."""
        if op.opcode not in ("sub", "div") or inlined != [op.operands[1]]:
            return None
        t, r = op.operands[1], op.result
        d = self.defs[t]
        ok = t is not op.operands[0] and t.type == r.type and d in at and not d.regions
        ok = ok and r.type.dtype is not None  # (one dtype on every path)
        return t if ok else None

    def _makes_array(self, op):
        """op, of gradient code, makes a new float array of a known shape from arrays
        by arithmetic (np.add ...) or a ufunc of one operand (np.cos ...)."""
        from .out_of_ssa import UFUNCS, UNARY_OUT  # (out_of_ssa imports this module)

        if (
            len(op.results) != 1
            or op.regions
            or op.tag == "fwd"  # (the forward code reads as the source does)
            or op.opcode not in UFUNCS
            and op.opcode not in UNARY_OUT
            or len(op.operands) != (2 if op.opcode in UFUNCS else 1)
            or memory(op) != "new"  # (a write candidate too: `a *= b` may be refused)
        ):
            return False
        t = op.result.type
        return (
            t.kind == "array"
            and not t.weak
            and t.is_float
            and bool(t.shape)
            and None not in t.shape
            and all(u.type.kind == "array" for u in op.operands)
        )

    def _reuse(self, order):
        """Each candidate, in program order, writes its result into the array of a
        value of its type exactly that this function made and whose array nothing reads
        from this statement on (`d_a = np.multiply(d_c, b, out=c)`, c dead): Python keeps
        a named array to the function's end, so this is an array fewer, and no page
        faults of a new one. The name must hold that array there: every value the name
        held up to the statement is that array (an in-place chain), none another. A
        `right_temp` goes first, given a name (`d_c = np.divide(x, _t2, out=_t2)`); a
        temporary of `temps` takes a dead array (then has a name: `_t3 =
        np.subtract(1.0, _t1, out=_t1)`) only when its statement writes in place, and
        what is live after it is what is live after that statement and what that
        statement reads besides it (nothing is printed between them)."""
        pos = {op: k for k, op in enumerate(self.fn.body.ops)}
        top = [op for op in self.fn.body.ops if len(op.results) == 1 and not op.regions]
        members = {}
        for v in order:
            members.setdefault(self.plan.rep[v], []).append(v)
        taken = set()  # (a dead array takes one result: then it is that result's)
        for op in sorted(self.reusing | self.temps.keys(), key=pos.get):
            if op in self.plan.in_place:  # (`a *= b` decided: a's array already)
                continue
            user = self.temps.get(op)
            if user is not None and user not in self.plan.in_place:
                continue  # (NumPy's own temporary, which it reuses or frees at once)
            self._fresh()
            live = self.live_at_reuse.get(user or op)
            if live is None:
                continue
            if user is not None:
                live = live | self.reads([u for u in user.operands if u is not op.result])
            values = self._node_values()
            alive = [u for x in live for u in values.get(x, (x,))]
            t = self.right_temp.get(op)
            if t is not None and self._free(t, (t,), taken, alive, own=True):
                self.plan.inlined.discard(t)  # (its own statement: `_t2 = _t1 + 1.0`)
                if user is not None:
                    self.plan.inlined.discard(op.result)
                self._reused(op, t, (t,), taken)
                # and the temporary itself into an array dead after it (`_t1 = np.multiply(h,
                # h, out=h)` when h dies there), op's other operand alive beside it
                # (what is live after op is what is live where d runs only when nothing is
                # printed between them: `_t8 = _d3 * _d2` long before `(...) - _t8` reads
                # it must not take an array a statement between reads: fuzz seed 175)
                d = self.defs[t]
                ops = self.fn.body.ops
                if (
                    self._makes_array(d)
                    and not self._temporaries(d)
                    and d in pos
                    and op in pos
                    and self._none_printed(ops[pos[d] + 1 : pos[op]])
                ):
                    other = self.reads([u for u in op.operands if u is not t])
                    self._into_dead(
                        d,
                        None,
                        alive + [u for x in other for u in values.get(x, (x,))],
                        taken,
                        top,
                        members,
                        pos,
                    )
                continue
            self._into_dead(op, user, alive, taken, top, members, pos)

    def _into_dead(self, op, user, alive, taken, top, members, pos):
        """op writes its result into the array of a value made before it at the top level
        whose array nothing `alive` refers to (the last such name, nearest first)."""
        tops = set(top)
        for d in reversed(top[: top.index(op)] if op in top else []):
            # the name's values up to op: each made at the top level by an op of one
            # result (no loop's or branch's variable), one array (an in-place chain)
            held = [
                u
                for u in members.get(self.plan.rep.get(d.result, d.result), [d.result])
                if self._before(u, op, pos)
            ]
            if (
                not held
                or any(self.defs.get(u) not in tops for u in held)
                or not self._free(op.result, held, taken, alive)
            ):
                continue
            if user is not None:
                self.plan.inlined.discard(op.result)
            self._reused(op, held[-1], held, taken)  # (what the name holds there)
            return

    def _free(self, r, held, taken, alive, own=False):
        """The values `held` (one name's, up to a statement) are one array of r's type that
        this function made and nothing `alive` may refer to, not taken yet; inlined ones
        only when `own` (a temporary the statement itself reads, given a name)."""
        self._fresh()
        return r.type.dtype is not None and all(  # (one dtype on every path)
            u.type == r.type
            and u not in taken
            and (own or u not in self.plan.inlined)
            and u not in self.plan.unused  # (a statement kept for its effect names nothing)
            and u not in self.params
            and self.not_owned.isdisjoint(self.owners.get(u) or (u,))
            and self._shares(u, held[-1])
            and not any(self._shares(w, u) for w in alive)
            for u in held
        )

    def _reused(self, op, into, held, taken):
        self.plan.out_into[op] = into
        taken.update(held)
        self.grown = True  # (roots and owners: into's array is op's result's too)
