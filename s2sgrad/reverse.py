"""The reverse-mode transform.

Every `gradients` op of a function is replaced, in program order, by plain ops
computing its results: the adjoints of its xs, built by walking the ops before
it backwards and asking the rules table for each active op's contributions.
Later `gradients` ops see earlier expansions as ordinary ops, so gradients of
gradients need nothing special.

The driver owns what rules never see: which values are active (passes/
activity), symbolic zeros (a value with no contribution has no adjoint and its
op is skipped), summing contributions (the three aggregation methods),
unbroadcasting, `gate_gradients`, unconnected xs, and handing back
gradients that own their memory and have their x's dtype.
"""

from . import rules as R
from .errors import NoGradientError
from .ir import types as T
from .ir.builder import Builder
from .ir.core import ADJOINT_TEMP, TEMP, TEMP_HINTS, Region, Value, def_map, substitute
from .passes import activity, unconnected

# Ops whose result may share memory with their first operand (or be read-only).
VIEWS = frozenset({"reshape", "transpose", "T", "expand_dims", "squeeze", "broadcast_to",
                   "asarray", "stop_gradient", "getitem"})


def expand(fn):
    """`fn` with every `gradients` op expanded into adjoint code."""
    if not any(op.opcode == "gradients" for op in fn.body.walk()):
        return fn
    b = Builder(params=fn.params)
    params = set(fn.params)
    mapping = {}
    for op in fn.body.ops:
        changed = any(v in mapping for v in op.operands)
        op = substitute(Region((), (op,), ()), mapping).ops[0]
        if op.opcode == "gradients":
            forward = list(b.ops)
            results = _Expansion(b, forward, op, params).run()
            mapping.update(zip(op.results, results))
        elif changed and len(op.results) == 1 and not op.regions:
            # an op reading gradients: emit it again so its type follows the real adjoints
            b.loc, b.tag = op.loc, op.tag
            mapping[op.result] = b.emit(op.opcode, *op.operands, hint=op.result.hint,
                                         **op.attr_dict)
        else:
            b.append_op(op)
    yields = substitute(Region((), (), fn.body.yields), mapping).yields
    return fn.with_body(Region(fn.body.args, tuple(b.ops), yields))


class _Expansion:
    def __init__(self, b, forward, op, params):
        self.b = b
        self.forward = forward
        self.op = op
        self.params = params
        a = op.attr_dict
        n_ys, n_xs, n_g, n_stop = a["n_ys"], a["n_xs"], a["n_grad_ys"], a["n_stop"]
        ops = list(op.operands)
        self.ys = ops[:n_ys]
        self.xs = ops[n_ys:n_ys + n_xs]
        self.grad_ys = ops[n_ys + n_xs:n_ys + n_xs + n_g] or None
        self.stops = set(ops[n_ys + n_xs + n_g:n_ys + n_xs + n_g + n_stop])
        self.name = a["name"]
        self.gate = a["gate"]
        self.aggregation = a["aggregation"]
        self.unconnected = a["unconnected"]
        self.prefix = "" if self.name == "gradients" else self.name + "_"
        self.parts = {}        # value -> contributions not yet summed
        self.done = {}         # value -> its adjoint, once summed

    # -- names ------------------------------------------------------------------

    def dname(self, v):
        """`d_h` for a source variable h; a temporary's adjoint is a temporary too
        (never `d_t`, which reads as the gradient of a user's `t`)."""
        return ADJOINT_TEMP if v.hint in TEMP_HINTS else f"{self.prefix}d_{v.hint}"

    def seed_name(self, y):
        return self.dname(y) if y.hint not in TEMP_HINTS else f"{self.prefix}d_ys"

    # -- adjoints ---------------------------------------------------------------

    def contribute(self, v, c, fresh=False):
        if fresh:
            c = self.b.rename(c, self.dname(v))
        parts = self.parts.setdefault(v, [])
        if self.aggregation == "accumulate_n" and parts:
            parts[0] = self.b.add(parts[0], c, hint=self.dname(v))
        else:
            parts.append(c)

    def adjoint(self, v):
        """The summed adjoint of v, or None (symbolic zero)."""
        if v in self.done:
            return self.done[v]
        parts = self.parts.pop(v, [])
        if not parts:
            res = None
        elif len(parts) == 1:
            res = parts[0]
        elif self.aggregation == "tree":
            res = self._tree(parts, self.dname(v))
        else:  # add_n: one sum of all contributions, once all are ready
            res = parts[0]
            for p in parts[1:]:
                res = self.b.add(res, p, hint=TEMP)
            res = self.b.rename(res, self.dname(v))
        self.done[v] = res
        return res

    def _tree(self, parts, hint):
        while len(parts) > 1:
            pairs = [self.b.add(parts[i], parts[i + 1], hint=TEMP)
                     for i in range(0, len(parts) - 1, 2)]
            parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
        return self.b.rename(parts[0], hint)

    # -- the sweep --------------------------------------------------------------

    def run(self):
        b = self.b
        active = activity.analyze(self.forward, self.xs, self.ys, self.stops)
        b.loc, b.tag = self.op.loc, f"seed:{self.name}"
        for i, y in enumerate(self.ys):
            if y not in active:
                continue
            if self.grad_ys is not None:
                seed = self.grad_ys[i]
            elif y.type.shape == () and y.type.dtype == "float64":
                seed = b.const(1.0, hint=self.seed_name(y))
            else:
                seed = b.ones_like(y, hint=self.seed_name(y))
            self.parts.setdefault(y, []).append(seed)

        for op in reversed(self.forward):
            if not any(r in active for r in op.results) or any(r in self.stops for r in op.results):
                continue
            b.loc, b.tag = op.loc, f"grad:{self.name}"
            if op.opcode == "gate":      # n values through unchanged: adjoints pass straight back
                for x, r in zip(op.operands, op.results):
                    d = self.adjoint(r)
                    if d is not None and x in active:
                        self.contribute(x, d)
                continue
            g = self.adjoint(op.results[0])
            if g is None or op.opcode == "stop_gradient":
                continue
            self.backprop(op, g, active)

        b.loc, b.tag = self.op.loc, f"out:{self.name}"
        results, returned = [], set()
        for x in self.xs:
            results.append(self.finish(x, returned))
        # a temporary's adjoint handed back unchanged (x - y: d_x is d(x - y)) reads d_x
        named = {}
        for x, d in zip(self.xs, results):
            if d is not None and d.hint == ADJOINT_TEMP and d not in named:
                named[d] = b.retitle(d, self.dname(x))
        return [named.get(d, d) for d in results]

    def backprop(self, op, g, active):
        b = self.b
        rule = R.RULES.get(op.opcode)
        if rule is None:
            if op.opcode in R.NONDIFFERENTIABLE:
                return
            raise NoGradientError(
                f"no gradient registered for op {op.opcode!r}"
                f"{' (' + op.loc.text.strip() + ')' if op.loc and op.loc.text else ''}",
                loc=op.loc,
                hint=f"register one with @s2sgrad.register_gradient({op.opcode!r}), or wrap "
                     "the value in s2sgrad.stop_gradient(...) if no gradient should flow")
        start = len(b.ops)
        contribs = rule.fn(b, g, op.result, *op.operands, **op.attr_dict)
        if len(contribs) != len(op.operands):
            raise TypeError(f"the rule of {op.opcode!r} returned {len(contribs)} entries "
                            f"for {len(op.operands)} operands")
        todo = []
        for x, c in zip(op.operands, contribs):
            if c is None or x not in active:
                continue
            if rule.broadcasts:
                c = self.unbroadcast(c, x)
            todo.append((x, c))
        if self.gate and len(todo) > 1:
            b.emit("gate", *[c for _, c in todo], nresults=len(todo), hint=TEMP)
            todo = self._name_gate(todo)
        made = {r for o in b.ops[start:] for r in o.results}
        for x, c in todo:
            fresh = c in made and sum(c is c2 for _, c2 in todo) == 1
            self.contribute(x, c, fresh)

    def _name_gate(self, todo):
        """Give the gate op's results the adjoint names of their operands."""
        op = self.b.ops[-1]
        new = tuple(Value(self.dname(x), c.type) for x, c in todo)
        newop = op.replace(results=new)
        self.b.ops[-1] = newop
        for old, n in zip(op.results, new):
            del self.b.defs[old]
            self.b.defs[n] = newop
        return [(x, n) for (x, _), n in zip(todo, new)]

    def unbroadcast(self, c, x):
        """Sum a contribution shaped like an op's result down to operand x's shape."""
        b = self.b
        cs, xs = c.type.shape, x.type.shape
        if T.same_shape(cs, xs):
            return c
        if xs == ():
            return b.sum(c)
        if cs is None or xs is None or len(cs) < len(xs):
            return b.unbroadcast(c, b.shape(x))
        lead = len(cs) - len(xs)
        keep = []
        for i, (dx, dc) in enumerate(zip(xs, cs[lead:])):
            if dx == dc and dx is not None:
                continue
            if dx == 1:
                keep.append(i)
                continue
            return b.unbroadcast(c, b.shape(x))
        if lead:
            c = b.sum(c, axis=tuple(range(lead)) if lead > 1 else 0)
        if keep:
            c = b.sum(c, axis=tuple(keep) if len(keep) > 1 else keep[0], keepdims=True)
        return c

    def finish(self, x, returned):
        """The gradient handed back for x: dtype of x, owning its memory."""
        b = self.b
        d = self.adjoint(x) if x in self.done or x in self.parts else None
        if d is None:
            return unconnected.gradient(b, x, self.unconnected, self.dname(x))
        xt = x.type
        if xt.dtype is not None and d.type.dtype is not None and d.type.dtype != xt.dtype \
                and not xt.weak and xt.is_float:
            d = b.astype(d, dtype=xt.dtype, hint=self.dname(x))
        if xt.shape == () and xt.dtype == "float64":
            d = b.pyfloat(d, hint=self.dname(x))
        elif d in returned or self.borrowed(d):
            d = b.copy(d, hint=self.dname(x))
        returned.add(d)
        return d

    def borrowed(self, v):
        """True when v may share memory with an array the caller or the forward
        code owns, or is a read-only broadcast view."""
        defs = self.b.defs
        forward = {r for op in self.forward for r in op.results}
        seen = set()
        while v not in seen:
            seen.add(v)
            if v in self.params or v in forward:
                return True
            op = defs.get(v)
            if op is None:
                return True
            if op.opcode == "broadcast_to":
                return True
            if op.opcode not in VIEWS:
                return False
            v = op.operands[0]
        return True


__all__ = ["expand", "def_map"]
