"""Lowering a parsed function to SSA IR.

The environment maps each source variable to its current SSA value, or to a
Python tuple/list of values (a tuple literal, the list `gradients` returns),
which is only turned into a `tuple`/`list` op where a value is needed.
Conditions on static values (constants, Python bool/int/str arguments) are
resolved here, so an `if` on them costs nothing at run time. Whatever is not
accepted raises `UnsupportedError` at its `file:line:col` with what to write
instead.
"""

import math
import types

import gast
import numpy as np

from .. import options as O
from ..errors import InvalidArgumentError, UnsupportedError
from ..ir import opcodes, types as T
from ..ir.builder import Builder
from ..ir.core import CONST, TEMP, Function, Region, Value, def_map
from .desugar import Desugar
from . import source as S
from .source import walk
from . import externs, sequences, subscript

_MISSING = object()


class Static:
    """A static, non-value Python object met during lowering: a dtype, an enum
    member, a module or module member, a string."""

    def __init__(self, value):
        self.value = value


def lower(parsed, arg_types, decorated=False, module=None, numbers=()):
    """IR Function for `parsed`, specialised for `arg_types`.

    arg_types: {param name: Type | Static} — a Static parameter (Python
    bool/int/str argument) is a constant of this specialisation. The
    functions it calls are lowered too, each specialised for its call's
    argument types, and returned in `Function.callees`.
    """
    top = module is None
    if top:
        module = Module()
        name = parsed.node.name      # (the names the function itself may take in the module)
        module.taken.update({name} | {f"{p}_{name}" for p in ("grad", "value_and_grad", "vjp")})
    fn = _Lowerer(parsed, arg_types, decorated, module, callee=not top, numbers=numbers).run()
    if top:
        from dataclasses import replace
        fn = replace(fn, callees=tuple(module.functions.values()), prelude=tuple(module.prelude))
    return fn


class Module:
    """The functions of one generated module: each user function called, per
    specialisation, under a unique name."""

    def __init__(self):
        self.functions = {}      # key -> Function
        self.names = {}          # key -> its name in the module
        self.active = []         # keys being lowered (a call to one of them is recursion)
        self.taken = set()
        self.customs = {}        # key -> the Custom (custom.py) called, under its names here
        self.prelude = {}        # module-level statements (imports, defs) the calls need, in order
        self.bound = {"np": "import numpy as np"}   # name -> the statement binding it

    def name_for(self, key, base):
        if key not in self.names:
            name, k = base, 0
            while name in self.taken:
                k += 1
                name = f"{base}_{k}"
            self.taken.add(name)
            self.names[key] = name
        return self.names[key]


class _Return(Exception):
    def __init__(self, value):
        self.value = value


class _Lowerer:
    def __init__(self, parsed, arg_types, decorated, module, callee=False, numbers=()):
        self.p = parsed
        self.arg_types = arg_types
        self.decorated = decorated
        self.module = module
        self.callee = callee          # a helper called by the function being differentiated
        self.params = set()           # its parameters' values
        self.b = Builder()
        self.env = {}
        self._stmt_bound = set()
        self._stmt_literals = set()   # the constants this statement's literals gave
        self.maybe_undefined = {}     # name -> the `if` after which it may be unbound
        self.desugar = Desugar(taken=set(parsed.names))
        self._marks = dict(parsed.statement_marks)  # id(stmt) -> (stmt, its marked nodes)
        self.local_names = parsed.local_names   # name -> where the function first binds it
        self.region_depth = 0         # regions (loop bodies, run-time branches) being lowered
        self.numbers = set(numbers)   # parameters the caller passes numbers to (not arrays)
        self.augmented = set()          # ids of the arrays (parameters, a loop's variables)
                                        # an `a += v` may write into in place, in Python

    def marks(self, stmt):
        """The nodes of stmt (nested ones too, in gast.walk's order) that the checks
        before a loop or branch look at: returns, assignments, loops, subscripts.
        Walked once per statement, however many checks ask."""
        hit = self._marks.get(id(stmt))
        if hit is None:
            hit = self._marks[id(stmt)] = (stmt, [n for n in walk(stmt) if isinstance(n, _MARKED)])
        return hit[1]

    # -- errors -----------------------------------------------------------------

    def unsupported(self, node, what, hint):
        raise UnsupportedError(what, loc=self.p.loc(node), hint=hint)

    # -- driver -----------------------------------------------------------------

    def run(self):
        node = self.p.node
        a = node.args
        if a.posonlyargs:
            self.unsupported(node, "positional-only parameters (a `/` in the parameter list) "
                             "are not supported", "remove the `/`")
        if a.vararg or a.kwarg or a.kwonlyargs:
            self.unsupported(node, "*args, **kwargs and keyword-only parameters are not supported",
                             "list every parameter by name")
        for arg in a.args:
            if arg.id in opcodes.HELPERS:
                self.unsupported(arg, f"the parameter name {arg.id!r} is the name of a function "
                                 "s2sgrad writes into generated modules, which it would hide",
                                 "rename the parameter")
        params, names = [], []
        self.b.loc = self.p.loc(node)
        for arg in a.args:
            name = arg.id
            t = self.arg_types.get(name, T.UNKNOWN)
            if isinstance(t, Static):
                v = Value(name, T.of_python(t.value))
                self.env[name] = self.b.const(t.value)   # written as its literal
            else:
                if _is_complex(t.dtype):
                    _refuse_complex(self, arg, f"the argument {name!r} is {t}")
                v = Value(name, t)
                self.b.note_shape(v)
                self.env[name] = v
                if name in self.numbers:        # the caller passes a number, never a 0-d array
                    self.b.numbers.add(v)
            params.append(v)
            self.params.add(v)
            names.append(name)
        result = None
        try:
            self.block(node.body)
        except _Return as r:
            result = r.value
        self.b.loc = self.p.loc(node.body[-1]) if node.body else self.b.loc
        out = self.to_value(result, node) if result is not None else self.b.const(None)
        body = Region((), tuple(self.b.ops), (out,))
        signature = tuple(f"{n}={self.arg_types[n].value!r}" if isinstance(self.arg_types.get(n), Static)
                          else f"{n}: {self.arg_types.get(n, T.UNKNOWN)}" for n in names)
        writes = tuple(k for k, v in enumerate(params) if id(v) in self.augmented)
        return Function(node.name, tuple(params), tuple(names), body, self.p.file, signature,
                        writes=writes)

    # -- statements ---------------------------------------------------------------

    def block(self, stmts):
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, gast.If) and _returns_somewhere(stmt):
                self.b.loc = self.p.loc(stmt)
                test = self.static_of(self.expr(stmt.test))
                if test is _MISSING:
                    self.b.loc = self.p.loc(stmt)
                    raise _Return(self.if_returning(stmt, stmts[i + 1:]))
                # resolved at transform time: the branch taken, then what follows the `if`,
                # as one block (a `return` in a runtime `if` inside it must see the rest)
                self.block(list(stmt.body if test else stmt.orelse) + list(stmts[i + 1:]))
                return
            self.stmt(stmt, first=(i == 0))

    def stmt(self, node, first=False):
        self.b.loc = self.p.loc(node)
        self._stmt_start = (self.b, len(self.b.ops))    # ops made by this statement follow
        self._stmt_bound = set()                        # values it bound to names (rename)
        self._stmt_literals = set()
        meth = getattr(self, "stmt_" + type(node).__name__, None)
        if meth is None:
            self.unsupported(node, f"the {_describe(node)} statement is not supported",
                             _STMT_HINTS.get(type(node).__name__,
                                             "docs/limitations.md lists what s2sgrad accepts"))
        meth(node, first)

    def stmt_Pass(self, node, first):
        pass

    def stmt_Expr(self, node, first):
        if first and isinstance(node.value, gast.Constant) and isinstance(node.value.value, str):
            return  # docstring
        call = node.value
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) \
                and call.func.attr in _LIST_METHODS:
            _reject_list_method(self, call)
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) \
                and isinstance(call.func.value, gast.Name) and call.func.value.id in self.env:
            base = self.expr(call.func.value)
            if isinstance(base, Value) and base.type.kind == "rng":
                self.draw(base, call.func.attr, call)     # (a draw advances the generator)
                return
        self.unsupported(node, "an expression statement has no effect s2sgrad can differentiate",
                         "assign its value to a variable, or remove it (print and other side "
                         "effects are not supported)")

    def stmt_Assign(self, node, first):
        value = self.expr(node.value)
        for target in node.targets:
            value = self.assign(target, value)

    def stmt_AnnAssign(self, node, first):
        if node.value is None:
            return
        self.assign(node.target, self.expr(node.value))

    def stmt_AugAssign(self, node, first):
        if isinstance(node.target, gast.Subscript) and type(node.op).__name__ in opcodes.BINOPS:
            subscript.write(self, node.target, self.expr(node.value),
                            opcodes.BINOPS[type(node.op).__name__], node)
            return
        if not isinstance(node.target, gast.Name):
            self.unsupported(node, "augmented assignment to an element or attribute is not supported",
                             "write `x = x + v` on a whole variable")
        opname = type(node.op).__name__
        if opname not in opcodes.BINOPS:
            self.unsupported(node, f"the operator {_op_symbol(node.op)}= is not supported",
                             "use + - * / ** @ // %")
        current = self.name(node.target)
        rhs = self.expr(node.value)
        name = node.target.id
        array = _in_place(current)              # an array of rank > 0: written in place
        if array or isinstance(current, Value) and subscript.may_be_ndarray(self.b, current):
            # `a += v` may write into a's memory (a 0-d array's too), as `a[...] += v` does
            subscript.check_caller_array(self, node, name, current)
            self.augmented.update(subscript._bases(self.b, current))
            other = self._shared(name, current)
            if other is not None and (not array or subscript.maybe_number(self.b, current)):
                self.unsupported(
                    node, f"{name!r} may be an array or a number here (a 0-d array, or a value "
                    f"that is a Python number on some path), and another name ({other!r}) holds "
                    f"it: `{name} {_op_symbol(node.op)}= ...` would change that name too only "
                    "when it is an array", f"write `{name} = {name} {_op_symbol(node.op)} ...` "
                    f"(a new value), or make {other!r} a copy where it is bound")
            if other is not None:
                # another name sees a's memory (`b = a`, a view): lowered as `a[...] += v`,
                # so that name sees the write as in Python
                subscript.write(self, _whole(node), rhs, opcodes.BINOPS[opname], node)
                return
        result = self.binop(opcodes.BINOPS[opname], current, rhs, node, node.target.id)
        if array and isinstance(result, Value):
            result = self._in_place_result(node, name, current, result)
        self.assign(node.target, result)

    def _in_place_result(self, node, name, current, result):
        """`a op= v` of an array writes into a: the result keeps a's shape and dtype
        (cast with NumPy's same_kind rule: float32 `a += x64` stays float32); a result
        that would not fit (a bigger broadcast shape, float into an int array) is the
        error NumPy raises, here at its line."""
        ct, rt = current.type, result.type
        if ct.shape is not None and rt.shape is not None and (
                len(rt.shape) > len(ct.shape) or any(
                    c == 1 and r is not None and r != 1
                    for c, r in zip(ct.shape, rt.shape[len(rt.shape) - len(ct.shape):]))):
            self.unsupported(node, f"{name!r} has shape {_shape_text(ct.shape)}, and "
                             f"`{name} {_op_symbol(node.op)}= ...` makes one of shape "
                             f"{_shape_text(rt.shape)}, which does not fit in it (NumPy raises: "
                             "non-broadcastable output operand)",
                             f"write `{name} = {name} {_op_symbol(node.op)} ...` (a new array)")
        if ct.dtype is not None and rt.dtype is not None and ct.dtype != rt.dtype:
            if not np.can_cast(rt.dtype, ct.dtype, casting="same_kind"):
                self.unsupported(node, f"`{name} {_op_symbol(node.op)}= ...` writes {rt.dtype} "
                                 f"values into {name!r}, a {ct.dtype} array (NumPy raises: cannot "
                                 "cast the ufunc's output with casting rule 'same_kind')",
                                 f"write `{name} = {name} {_op_symbol(node.op)} ...`, or make "
                                 f"{name!r} a float array first")
            result = self.b.cast(result, ct.dtype, hint=name)
        return result

    def _shared(self, name, value):
        """Another name whose value may share memory with `value` (which `name`
        holds), or None; numbers and arrays alike."""
        root = subscript._chain(self.b, value)[0]
        mine = subscript._bases(self.b, root)
        for n, v in self.env.items():
            if n != name and any(subscript._chain(self.b, m)[0] is root
                                 or subscript._bases(self.b, m) & mine
                                 for m in subscript._bound_values({n: v})):
                return n
        return None

    def check_region_writes(self, stmts):
        """subscript.check_region_writes, `a += v` of an array counted as the write
        into `a[...]` it is, unless the region assigns `a` a new value first."""
        whole, rebound = [], set()
        for stmt in stmts:
            whole += [_whole(n) for n in self.marks(stmt)
                      if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name)
                      and n.target.id not in rebound and _in_place(self.env.get(n.target.id))]
            if isinstance(stmt, (gast.Assign, gast.AnnAssign)):
                for t in stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target]:
                    rebound.update(n.id for n in gast.walk(t) if isinstance(n, gast.Name)
                                   and isinstance(n.ctx, gast.Store))
        subscript.check_region_writes(self, list(stmts) + whole)
        return set(subscript.written_names(list(stmts) + whole, self.marks))

    def stmt_Return(self, node, first):
        raise _Return(self.expr(node.value) if node.value is not None else None)

    def stmt_If(self, node, first):
        test = self.expr(node.test)
        static = self.static_of(test)
        if static is not _MISSING:       # resolved at transform time (a specialisation constant)
            self.block(node.body if static else node.orelse)
            return
        cond = self.condition(test, node.test)
        self.check_region_writes(node.body)
        self.check_region_writes(node.orelse)
        before = dict(self.env)
        then_ops, then_env, _ = self.lower_region(lambda: self.block(node.body))
        else_ops, else_env, _ = self.lower_region(lambda: self.block(node.orelse))
        names = [n for n in _assigned_names(self, node.body + node.orelse)
                 if n in then_env and n in else_env
                 and (then_env[n] is not before.get(n) or else_env[n] is not before.get(n))]
        for n in _assigned_names(self, node.body + node.orelse):
            if n not in names and (n not in then_env or n not in else_env):
                self.env.pop(n, None)
                self.maybe_undefined[n] = self.p.loc(node)
        self.b.loc = self.p.loc(node)
        then_vals, else_vals, hints, templates = [], [], [], []
        for n in names:                 # a tuple in a variable is merged element by element
            t_tpl, t_leaves = _flatten(then_env[n])
            e_tpl, e_leaves = _flatten(else_env[n])
            if t_tpl != e_tpl:
                t_tpl, t_leaves, e_leaves = None, [then_env[n]], [else_env[n]]
            templates.append(t_tpl)
            then_vals += t_leaves
            else_vals += e_leaves
            hints += [n] if len(t_leaves) == 1 else [f"{n}_{k}" for k in range(len(t_leaves))]
        results = iter(self.emit_if(cond, node, then_ops, then_vals, else_ops, else_vals, hints))
        for n, tpl in zip(names, templates):
            self.env[n] = _rebuild(tpl, results)
            self.maybe_undefined.pop(n, None)

    def if_returning(self, node, rest):
        """`if` on a runtime value with a `return` in it: the statements after it
        run in the branch that does not return, and the op yields the result."""
        cond = self.condition(self.expr(node.test), node.test)
        then_ops, _, then_ret = self.lower_region(lambda: self.block(list(node.body) + list(rest)))
        else_ops, _, else_ret = self.lower_region(lambda: self.block(list(node.orelse) + list(rest)))
        self.b.loc = self.p.loc(node)
        (out,) = self.emit_if(cond, node, then_ops, [then_ret], else_ops, [else_ret], [TEMP])
        return out

    def emit_if(self, cond, node, then_ops, then_vals, else_ops, else_vals, names):
        then_b, else_b = self.b.child(), self.b.child()
        then_b.ops, else_b.ops = list(then_ops), list(else_ops)
        ty, ey = [], []
        for n, tv, ev in zip(names, then_vals, else_vals):
            tv = self._region_value(then_b, tv, node, n)
            ev = self._region_value(else_b, ev, node, n)
            ty.append(tv)
            ey.append(ev)
        types_ = [T.join(a.type, b.type) for a, b in zip(ty, ey)]
        regions = (Region((), tuple(then_b.ops), tuple(ty)), Region((), tuple(else_b.ops), tuple(ey)))
        return self.b.region_op("if", [cond], regions, types_, names)

    def _region_value(self, b, v, node, name):
        if v is None:
            v = Static(None)
        if isinstance(v, Value):
            return v
        saved, self.b = self.b, b
        try:
            return self.to_value(v, node)
        finally:
            self.b = saved

    def condition(self, test, node):
        if isinstance(test, Value) and test.type.kind == "array" and test.type.rank in (0, None):
            return test
        self.unsupported(node, "this condition is not a scalar value",
                         "branch on a scalar (e.g. `np.sum(x) > 0`); for elementwise choices use "
                         "np.where(cond, a, b)")

    def lower_region(self, body, args=(), origins=()):
        """Lower `body()` into a fresh region: (ops, env after, returned value or None).
        `args` are (name, Value) pairs bound at the region's start; `origins`, (region
        argument, its initial value) pairs of a loop (the array an argument may be)."""
        saved_b, saved_env, saved_undef = self.b, self.env, self.maybe_undefined
        self.b = saved_b.child()
        self.b.origins.update(origins)
        self.region_depth += 1
        self.env = dict(saved_env)
        self.maybe_undefined = dict(saved_undef)
        for name, v in args:
            self.env[name] = v
            for leaf in _flatten(v)[1]:
                self.b.note_shape(leaf)
        returned = None
        try:
            body()
        except _Return as r:
            returned = r.value if r.value is not None else Static(None)
        finally:
            ops, env = self.b.ops, self.env
            self.b, self.env, self.maybe_undefined = saved_b, saved_env, saved_undef
            self.region_depth -= 1
        return ops, env, returned

    # -- loops ------------------------------------------------------------------

    def stmt_For(self, node, first):
        if node.orelse:         # (before any desugaring, which would drop it)
            self.unsupported(node, "a for loop with an else clause is not supported",
                             "set a flag in the loop and test it after")
        it = node.iter
        is_range = isinstance(it, gast.Call) and isinstance(it.func, gast.Name) \
            and it.func.id == "range" and self.p.resolver.lookup("range") is None \
            and not it.keywords and 1 <= len(it.args) <= 3
        if not is_range:       # first a loop over an index (break/continue are its own then)
            if not (isinstance(it, gast.Call) and isinstance(it.func, gast.Name)
                    and it.func.id in ("zip", "enumerate")):
                seq = self.expr(it)
                if isinstance(seq, (tuple, list)):      # a tuple of values: unrolled
                    return self.unrolled(node, seq)
            before = set(self.env)
            self.block(self.desugar.iteration(node, self))
            for n in set(self.env) - before:       # the desugaring's own names
                if self.desugar.made(n):             # (`_seq0 = xs`, `_i0`) end here
                    del self.env[n]
            return
        plain = self.desugar.loop(node, self)
        if plain is not None:
            self.block(plain)
            return
        if not isinstance(node.target, gast.Name):
            self.unsupported(node.target, "a range() loop binds one name", "for i in range(n):")
        bounds = [self.to_value(self.expr(a), a) for a in it.args]
        for bnd, a in zip(bounds, it.args):
            if bnd.type.kind != "array" or not bnd.type.is_integer:
                self.unsupported(a, "range() bounds must be integers",
                                 "use int values (x.shape[0], len(x), a Python int argument)")
        if len(bounds) == 1:
            bounds = [self.b.const(0)] + bounds
        if len(bounds) == 2:
            bounds = bounds + [self.b.const(1)]
        _check_loop_body(self, node.body)
        written = self.check_region_writes(node.body)
        # the index is carried too when a name holds it before the loop: after the loop it
        # is the last iteration's (Python's), and that name's value when the loop runs no time
        index_name = node.target.id
        names = [n for n in _assigned_names(self, node.body) if n in self.env and n != index_name]
        if index_name in self.env:
            names.append(index_name)
        carried = _Carried(self, names, node)
        i_val = Value(node.target.id, T.PY_INT)

        def lower_body(arg_types):
            args = [Value(h, t) for h, t in zip(carried.hints, arg_types)]
            ops, env, ret = self.lower_region(lambda: self.block(node.body),
                                              carried.bind(args) + [(node.target.id, i_val)],
                                              zip(args, carried.inits))
            if ret is not None:
                self.unsupported(node, "`return` inside a loop is not supported",
                                 "set a variable and `break`, then return after the loop")
            return args, ops, env

        args, ops, env, ys = self.loop_fixpoint(carried, lower_body, node)
        subscript.carried_aliases(self, node, carried.hints, args, ops, ys,
                                  written | _augmented_arrays(self, node.body, carried, args))
        self.b.loc = self.p.loc(node)
        body = Region((i_val,) + tuple(args), tuple(ops), tuple(ys))
        results = self.b.region_op("for", bounds + carried.inits, [body], [a.type for a in args],
                                   carried.hints)
        self.env.update(carried.rebuild(results))

    def unrolled(self, node, items):
        """`for w in (W1, W2):` over a tuple of values: the body once per item."""
        if node.orelse or any(isinstance(n, (gast.Break, gast.Continue))
                              for st in node.body for n in gast.walk(st)):
            self.unsupported(node, "break, continue or else in a loop over a tuple of values",
                             "loop over range(len(...)) instead")
        for item in items:
            self.b.loc = self.p.loc(node)
            self.assign(node.target, item)
            self.block(node.body)

    def stmt_While(self, node, first):
        if node.orelse:
            self.unsupported(node, "a while loop with an else clause is not supported",
                             "set a flag in the loop and test it after")
        plain = self.desugar.loop(node, self)
        if plain is not None:
            self.block(plain)
            return
        _check_loop_body(self, node.body)
        written = self.check_region_writes(node.body)
        carried = _Carried(self, [n for n in _assigned_names(self, node.body) if n in self.env], node)

        def lower_body(arg_types):
            args = [Value(h, t) for h, t in zip(carried.hints, arg_types)]
            ops, env, ret = self.lower_region(lambda: self.block(node.body), carried.bind(args),
                                              zip(args, carried.inits))
            if ret is not None:
                self.unsupported(node, "`return` inside a loop is not supported",
                                 "set a variable and `break`, then return after the loop")
            return args, ops, env

        args, ops, env, ys = self.loop_fixpoint(carried, lower_body, node)
        subscript.carried_aliases(self, node, carried.hints, args, ops, ys,
                                  written | _augmented_arrays(self, node.body, carried, args))
        cond_args = [Value(h, a.type) for h, a in zip(carried.hints, args)]
        holder = {}

        def lower_cond():
            holder["c"] = self.condition(self.expr(node.test), node.test)
        cond_ops, _, _ = self.lower_region(lower_cond, carried.bind(cond_args),
                                           zip(cond_args, carried.inits))
        self.b.loc = self.p.loc(node)
        cond = Region(tuple(cond_args), tuple(cond_ops), (holder["c"],))
        body = Region(tuple(args), tuple(ops), tuple(ys))
        results = self.b.region_op("while", carried.inits, [cond, body], [a.type for a in args],
                                   carried.hints)
        self.env.update(carried.rebuild(results))

    def loop_fixpoint(self, carried, lower_body, node):
        """Lower a loop body until the carried values' types are stable."""
        types_ = [v.type for v in carried.inits]
        for _ in range(4):
            args, ops, env = lower_body(types_)
            saved, self.b = self.b, self.b.child()
            self.b.ops = list(ops)
            try:
                ys = carried.leaves(env)
                ops = self.b.ops
            finally:
                self.b = saved
            new = [T.join(t, y.type) for t, y in zip(types_, ys)]
            if new == types_:
                return args, ops, env, ys
            types_ = new
        self.unsupported(node, "the types of the loop's variables do not settle",
                         "give loop variables one dtype and rank before the loop")

    def assign(self, target, value):
        if isinstance(target, gast.Name):
            if isinstance(value, Value):
                value = self.rename(value, self.desugar.display.get(target.id, target.id))
                self._stmt_bound.add(value)
            self.env[target.id] = value
            return value
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value, Value) and value.type.kind in ("tuple", "list") \
                    and value.type.items is not None:
                value = [self.b.getitem(value, index=i) for i in range(len(value.type.items))]
            if not isinstance(value, (tuple, list)):
                self.unsupported(target, "cannot unpack this value into several names",
                                 "unpack only tuples, lists and the list `s2sgrad.gradients` returns")
            if len(value) != len(target.elts):
                self.unsupported(target, f"cannot unpack {len(value)} values into "
                                 f"{len(target.elts)} names", "match the number of names")
            self._check_unpacked_writes(target, value)
            value = type(value)(self.assign(t, v) for t, v in zip(target.elts, value))
            return value
        elif isinstance(target, gast.Subscript):
            return subscript.write(self, target, value)
        else:
            self.unsupported(target, f"assignment to {_describe(target)} is not supported yet",
                             "assign to plain names; build arrays with np functions instead of "
                             "writing into them")

    def _check_unpacked_writes(self, target, values):
        """`a[0], a[1] = a[1], a[0]`: Python evaluates the right side first and then
        writes left to right, so a value that is a view of an array written by an
        earlier target (a row of a 2-D `a`) is read after that write. s2sgrad's
        values are taken before it: refused when a later value may share memory with
        an array an earlier target writes into."""
        pairs = []          # (target, value) leaves, in the order Python assigns them

        def flatten(t, v):
            if isinstance(t, (gast.Tuple, gast.List)) and isinstance(v, (tuple, list)) \
                    and len(t.elts) == len(v):
                for t2, v2 in zip(t.elts, v):
                    flatten(t2, v2)
            else:
                pairs.append((t, v))
        flatten(target, values)
        for k, (leaf, _) in enumerate(pairs):
            writes = [n for n in walk(leaf) if isinstance(n, gast.Subscript)
                      and isinstance(n.ctx, gast.Store)]     # (a tuple target: each inside)
            for t in writes:
                base = t
                while isinstance(base, gast.Subscript):
                    base = base.value
                if isinstance(base, gast.Name) and base.id in self.env:
                    self._check_later_values(t, base.id, pairs[k + 1:], k)

    def _check_later_values(self, t, name, later, k):
        """Refuse when a value of `later` ((target, value) pairs assigned after the
        write `t` into `name`) may share memory with name's array."""
        written = subscript._bases(self.b, subscript._chain(self.b, self.env[name])[0])
        for j, (target, value) in enumerate(later, start=k + 2):
            if any(isinstance(m, Value) and subscript._bases(self.b, m) & written
                   for m in subscript._bound_values({0: value})):
                self.unsupported(t, f"this assignment writes into {name!r} here, and a value it "
                                 f"assigns after that ({_expr_text(self.p, target)} = item {j}) "
                                 f"may be a view of {name!r}: Python reads that value after the "
                                 "write, s2sgrad before it",
                                 "copy the views on the right (`a[0], a[1] = a[1].copy(), "
                                 "a[0].copy()`), or write one statement per target")

    def rename(self, value, name):
        """Give a fresh op result the source variable's name as its hint (so the
        generated code says `h = ...`, not `_t3 = ...`). Values already bound
        or used elsewhere keep their hint."""
        op = self.b.defs.get(value)
        if op is None or value.hint == name:
            return value
        builder, start = getattr(self, "_stmt_start", (None, 0))
        if builder is self.b:
            # made by this statement: nothing bound earlier holds it, and only this
            # statement's later ops may read it (a value made earlier keeps its hint);
            # only this statement's assignments can have bound it to a name
            ops = self.b.ops[start:]
            if not any(o is op for o in ops) or any(value in o.operands for o in ops) \
                    or value in self._stmt_bound:
                if value in self._stmt_literals and value.hint == CONST:  # a literal's op is
                    return self.b.emit("const", value=op.attr("value"), hint=name)  # shared
                return value
            return self.b.replace_result(value, name)
        if not any(o is op for o in self.b.ops) or self._referenced(value):
            return value
        return self.b.replace_result(value, name)

    def _referenced(self, value):
        def holds(x):
            if isinstance(x, (tuple, list)):
                return any(holds(y) for y in x)
            return x is value
        return any(holds(v) for v in self.env.values()) or any(
            value in o.operands for o in self.b.ops)

    # -- expressions --------------------------------------------------------------

    def expr(self, node):
        meth = getattr(self, "expr_" + type(node).__name__, None)
        if meth is None:
            self.unsupported(node, f"{_describe(node)} is not supported",
                             _EXPR_HINTS.get(type(node).__name__,
                                             "use NumPy calls, arithmetic operators and plain names"))
        return meth(node)

    def expr_Constant(self, node):
        v = node.value
        if isinstance(v, str):
            return Static(v)
        if v is Ellipsis or isinstance(v, bytes):
            self.unsupported(node, f"the constant {v!r} is not supported here", "remove it")
        if isinstance(v, complex):
            _refuse_complex(self, node, f"{v!r} is a complex number")
        out = self.b.const(v)
        self._stmt_literals.add(out)
        return out

    def name(self, node):
        if node.id in self.env:
            return self.env[node.id]
        if node.id in self.maybe_undefined:
            where = self.maybe_undefined[node.id]
            self.unsupported(node, f"{node.id!r} may be undefined here: only one branch of the "
                             f"`if` at line {where.line} assigns it",
                             "assign it before the `if`, or in both branches")
        bound = self.local_names.get(node.id)
        if bound is not None and (bound.lineno, bound.col_offset) < (node.lineno, node.col_offset):
            self.unsupported(node, f"{node.id!r} may be unassigned here: it is first assigned "
                             f"in a loop or branch above (line {self.p.loc(bound).line}), and "
                             "s2sgrad needs a variable a loop or branch assigns to be assigned "
                             "before it too (whether or not that loop or branch always runs)",
                             f"assign {node.id!r} before that loop or branch (`{node.id} = 0`)")
        if bound is not None:       # Python's scoping: a name assigned anywhere in the function
            self.unsupported(        # is local throughout it, never the module's global
                node, f"{node.id!r} is read here before any assignment to it runs: it is a "
                f"local variable of {self.p.node.name} (assigned at line "
                f"{self.p.loc(bound).line}), and Python raises UnboundLocalError when a read "
                "comes first; s2sgrad needs a local variable assigned before its first read "
                "(in a loop: before the loop)", f"assign {node.id!r} before this line (or "
                "before the loop), or give the local variable another name")
        m = self.p.resolver.lookup(node.id)
        if m is not None and m.kind == "opaque":
            self.unsupported(node, *m.value)
        if m is None and node.id in _BUILTIN_DTYPES:     # x.astype(float), dtype=int
            return Static(S.Meaning("member", "numpy", _BUILTIN_DTYPES[node.id]))
        if m is None and node.id in ("zip", "enumerate", "range", "reversed"):
            self.unsupported(node, f"the builtin {node.id}() is supported only as the iterable "
                             "of a for loop (`for a, b in zip(xs, ys):`, `for i, v in "
                             "enumerate(xs):`), not nested in another call",
                             "loop over range(len(xs)) and index: `for i in range(len(xs)): "
                             "a, b = xs[i], ys[i]`")
        if m is None:
            self.unsupported(node, f"name {node.id!r} is not defined in the function or "
                             "resolvable from its module",
                             "pass it as an argument; module globals may be numpy, math, s2sgrad "
                             "and numeric constants")
        if m.kind == "const":
            if isinstance(m.value, str):
                return Static(m.value)
            if isinstance(m.value, complex):
                _refuse_complex(self, node, f"{node.id!r} is a complex number")
            return self.b.const(m.value, hint=node.id)
        if m.kind in ("module", "member", "extmodule", "extern", "custom"):
            return Static(m)
        self.unsupported(node, f"calling or using the function {node.id!r} is not supported yet",
                         "inline its body into this function")

    def expr_Name(self, node):
        return self.name(node)

    def expr_Tuple(self, node):
        return tuple(self.expr(e) for e in node.elts)

    def expr_List(self, node):
        return [self.expr(e) for e in node.elts]

    def expr_BinOp(self, node):
        opname = type(node.op).__name__
        if opname not in opcodes.BINOPS:
            self.unsupported(node, f"the operator {_op_symbol(node.op)} is not supported",
                             "use + - * / ** @ // %")
        left = self.operand(node.left)
        right = self.operand(node.right)
        return self.binop(opcodes.BINOPS[opname], left, right, node)

    def binop(self, opcode, left, right, node, hint=None):
        for v in (left, right):
            if sequences.is_sequence(v):
                symbol = opcodes.OPS[opcode].form[1]
                self.unsupported(node, f"{symbol} on a tuple or list is Python's sequence "
                                 "arithmetic (joining, repeating), not NumPy's",
                                 f"make it an array first: np.array([a, b]) {symbol} v")
        left, right = self.to_value(left, node), self.to_value(right, node)
        return self.b.emit(opcode, left, right, hint=hint)

    def expr_UnaryOp(self, node):
        opname = type(node.op).__name__
        operand = self.operand(node.operand)
        if opname == "UAdd":       # a new array (np.positive), a number unchanged
            if isinstance(operand, Value) and operand.type.kind == "array" \
                    and not operand.type.weak:
                return self.b.emit("pos", operand)
            return operand
        if opname == "Not":
            s = self.static_of(operand)
            if s is _MISSING:
                return self.b.emit("not", self.condition(operand, node.operand))
            return self.b.const(not s)
        if opname == "USub":
            s = self.static_of(operand)
            if isinstance(s, (int, float)) and not isinstance(s, bool):
                return self.b.const(-s)
            return self.b.neg(self.to_value(operand, node))
        self.unsupported(node, f"the operator {_op_symbol(node.op)} is not supported", "use -x")

    def expr_Compare(self, node):
        if len(node.ops) != 1:
            self.unsupported(node, "chained comparisons are not supported",
                             "write `(a < b) & (b < c)`")
        opname = type(node.ops[0]).__name__
        left, right = self.operand(node.left), self.operand(node.comparators[0])
        if opname in ("Is", "IsNot", "In", "NotIn") or \
                (isinstance(left, Static) and isinstance(right, Static)):
            ls, rs = self.static_of(left), self.static_of(right)
            if ls is _MISSING or rs is _MISSING:
                self.unsupported(node, "`is`/`in` on runtime values is not supported",
                                 "compare static (Python) values only")
            import operator
            fn = {"Is": operator.is_, "IsNot": operator.is_not, "In": lambda a, b: a in b,
                  "NotIn": lambda a, b: a not in b, "Eq": operator.eq, "NotEq": operator.ne,
                  "Lt": operator.lt, "LtE": operator.le, "Gt": operator.gt, "GtE": operator.ge}[opname]
            return self.b.const(fn(ls, rs))
        return self.b.emit(opcodes.CMPOPS[opname], self.to_value(left, node),
                           self.to_value(right, node))

    def expr_BoolOp(self, node):
        """`a and b`, `a or b`: static operands fold; runtime ones short-circuit
        as Python does (b is evaluated only when needed), through `if`."""
        first = self.expr(node.values[0])
        if len(node.values) == 1:
            return first
        rest = gast.copy_location(gast.BoolOp(op=node.op, values=node.values[1:]), node)
        s = self.static_of(first)
        is_and = isinstance(node.op, gast.And)
        if s is not _MISSING:
            if bool(s) != is_and:      # `False and ...`, `True or ...`: decided
                return first
            return self.expr(rest) if len(node.values) > 2 else self.expr(node.values[1])
        cond = self.condition(first, node.values[0])
        later = (lambda: self.expr(rest)) if len(node.values) > 2 else \
            (lambda: self.expr(node.values[1]))
        keep = lambda: first   # noqa: E731
        return self.choice(cond, node, later if is_and else keep, keep if is_and else later)

    def expr_IfExp(self, node):
        test = self.expr(node.test)
        s = self.static_of(test)
        if s is not _MISSING:
            return self.expr(node.body if s else node.orelse)
        cond = self.condition(test, node.test)
        return self.choice(cond, node, lambda: self.expr(node.body), lambda: self.expr(node.orelse))

    def choice(self, cond, node, then_fn, else_fn):
        """An `if` op choosing between two lazily lowered expressions."""
        box = {}

        def run(key, fn):
            def body():
                box[key] = fn()
            return body
        then_ops, _, _ = self.lower_region(run("then", then_fn))
        else_ops, _, _ = self.lower_region(run("else", else_fn))
        self.b.loc = self.p.loc(node)
        template, then_vals = _flatten(box["then"])      # tuples of one structure: item by item,
        else_template, else_vals = _flatten(box["else"])  # as an `if` statement merges them
        if template != else_template or not then_vals:
            template, then_vals, else_vals = None, [box["then"]], [box["else"]]
        outs = self.emit_if(cond, node, then_ops, then_vals, else_ops, else_vals,
                            [TEMP] * len(then_vals))
        return _rebuild(template, iter(outs))

    def expr_Attribute(self, node):
        base = self.expr(node.value)
        if isinstance(base, Static):
            return self.static_attr(base, node)
        if isinstance(base, Value) and base.type.kind == "array":
            opcode = opcodes.ATTRIBUTES.get(node.attr)
            if opcode is not None:
                return self.emit_call(opcode, [base], {}, node)
            if node.attr == "ndim" and base.type.rank is not None:
                return self.b.const(base.type.rank)
        self.unsupported(node, f"the attribute .{node.attr} is not supported",
                         "use x.T, x.shape, or the np function")

    def static_attr(self, base, node):
        m = base.value
        if isinstance(m, type(None)) or not hasattr(m, "kind"):
            return Static(getattr(m, node.attr))
        if m.kind == "module":
            if m.module == "s2sgrad":
                import s2sgrad
                obj = getattr(s2sgrad, node.attr, _MISSING)
                if obj is _MISSING:
                    self.unsupported(node, f"s2sgrad has no attribute {node.attr!r}",
                                     "see s2sgrad.__all__")
                if node.attr in ("gradients", "stop_gradient"):
                    return Static(type(m)("member", "s2sgrad", node.attr))
                return Static(obj)
            mod = np if m.module == "numpy" else __import__("math")
            obj = getattr(mod, node.attr, _MISSING)
            if obj is _MISSING:
                self.unsupported(node, f"{m.module} has no attribute {node.attr!r}", "check the name")
            if isinstance(obj, (int, float)) and not isinstance(obj, bool):
                return self.b.const(obj, hint=node.attr)
            if obj is None:
                return self.b.const(None)
            return Static(type(m)("member", m.module, node.attr))
        if m.kind == "member":
            obj = getattr(_member_object(m), node.attr, _MISSING)
            if obj is _MISSING:
                self.unsupported(node, f"unknown attribute {node.attr!r}", "check the name")
            if m.module == "numpy" and isinstance(_member_object(m), types.ModuleType):
                return Static(type(m)("member", "numpy", f"{m.name}.{node.attr}"))  # np.linalg.inv
            return Static(obj)
        if m.kind == "extmodule":          # a module s2sgrad does not know: its functions are
            return Static(S.ext_member(m, node.attr))     # called as they are (externs.py)
        self.unsupported(node, f"the attribute .{node.attr} is not supported", "check the name")

    def expr_Subscript(self, node):
        base = self.expr(node.value)
        is_sequence = isinstance(base, (tuple, list)) or \
            isinstance(base, Value) and base.type.kind in ("tuple", "list")
        idx = self.static_of(self.expr(node.slice)) if is_sequence else _MISSING
        if isinstance(idx, int):
            n = len(base) if isinstance(base, (tuple, list)) else \
                len(base.type.items) if base.type.items is not None else None
            if n is not None and not -n <= idx < n:
                kind = type(base).__name__ if isinstance(base, (tuple, list)) else base.type.kind
                self.unsupported(node, f"index {idx} is out of range for a {kind} of {n} "
                                 f"item{'s' if n != 1 else ''} "
                                 "(Python raises IndexError if this line runs)",
                                 "index within the tuple, or keep code for other ranks out of "
                                 "this function")
        if isinstance(base, (tuple, list)) and isinstance(idx, int):
            return base[idx]
        if isinstance(base, Value) and base.type.kind in ("tuple", "list") and isinstance(idx, int):
            return self.b.getitem(base, index=idx)
        if isinstance(base, Value) and base.type.kind == "array":
            return subscript.read(self, node, base)
        self.unsupported(node, "indexing a tuple or list needs a constant integer index",
                         "write the index as a literal or a Python int argument, or index an "
                         "array: np.array(pair)[i]")

    def expr_Call(self, node):
        if isinstance(node.func, gast.Name) and node.func.id not in self.env:
            m = self.p.resolver.lookup(node.func.id)
            if m is not None and m.kind == "function":
                return self.call_user(m, node)
            if m is not None and m.kind == "custom":
                return externs.custom_call(self, m.value, node)
            if m is not None and m.kind == "extern":
                return externs.named_call(self, m.name, node)
            if m is not None and m.kind == "opaque":
                self.unsupported(node.func, *m.value)
            if m is None and node.func.id in BUILTINS:
                return self.builtin(node.func.id, node)
            if m is not None and m.kind == "op":      # a generated module's helper
                operands, attrs = self.bind(m.name, [self.expr(a) for a in node.args],
                                            node.keywords, node, f"{node.func.id}()")
                return self.b.emit(m.name, *operands, **attrs)
        func = self.expr(node.func) if not isinstance(node.func, gast.Attribute) else None
        if isinstance(node.func, gast.Attribute):
            base = self.expr(node.func.value)
            if isinstance(base, list) or isinstance(base, Value) and base.type.kind == "list":
                _reject_list_method(self, node)
            if isinstance(base, Value):
                return self.method(base, node.func.attr, node)
            func = self.static_attr(base, node.func) if isinstance(base, Static) else None
        if isinstance(func, Static) and hasattr(func.value, "kind"):
            m = func.value
            if m.kind == "member" and m.module == "numpy":
                return self.numpy_call(m.name, node)
            if m.kind == "member" and m.module == "s2sgrad":
                return self.s2sgrad_call(m.name, node)
            if m.kind == "member" and m.module == "math":
                return self.math_call(m.name, node)
            if m.kind in ("extern", "extmodule"):        # (the CLI reads an unknown
                return externs.named_call(self, m.name, node)   # module's members as modules)
        self.unsupported(node, f"calling {_expr_text(self.p, node.func)} is not supported",
                         "call NumPy functions (np.exp, np.sum, ...) or s2sgrad.gradients")

    # -- calls ------------------------------------------------------------------

    def call_user(self, m, node):
        """A call to a plain function of the user's: lowered on its own, for this
        call's argument types, and called by name (its adjoint is a function too)."""
        if m.value is not None:
            parsed = S.from_function(m.value)
        elif m.module is not None:
            parsed = S.from_file(m.module, m.name)
        else:
            self.unsupported(node, f"the source of {m.name!r} is not available", "inline it")
        fdef = parsed.node
        params = [a.id for a in fdef.args.args]
        if fdef.args.vararg or fdef.args.kwarg or fdef.args.kwonlyargs:
            self.unsupported(node, f"{fdef.name} takes *args/**kwargs, which calls do not support",
                             "list its parameters by name")
        bound = {}
        for p, a in zip(params, node.args):
            bound[p] = self.expr(a)
        if len(node.args) > len(params):
            self.unsupported(node, f"too many arguments to {fdef.name}", "check the call")
        for kw in node.keywords:
            if kw.arg not in params or kw.arg in bound:
                self.unsupported(node, f"{fdef.name}() got an unexpected or repeated keyword "
                                 f"{kw.arg!r}", f"its parameters: {', '.join(params)}")
            bound[kw.arg] = self.expr(kw.value)
        defaults = dict(zip(params[len(params) - len(fdef.args.defaults):], fdef.args.defaults))
        for p in params:
            if p not in bound:
                if p not in defaults:
                    self.unsupported(node, f"{fdef.name}() is missing the argument {p!r}",
                                     "pass it")
                d = defaults[p]
                literal = S.literal_value(d)             # 2.0, -1, 'relu'
                if literal is None:
                    self.unsupported(d, "a default value must be a literal constant here",
                                     "pass the argument explicitly")
                bound[p] = self.b.const(literal[0])
        types_, operands, sig, numbers = {}, [], [], set()
        for p in params:
            v = bound[p]
            s_ = self.static_of(v)
            if s_ is not _MISSING and (s_ is None or isinstance(s_, (bool, int, str))):
                types_[p] = Static(s_)
                sig.append((p, "static", repr(s_)))
            else:
                v = self.to_value(v, node)
                types_[p] = v.type
                if v.type.shape == () and not subscript.may_be_ndarray(self.b, v):
                    numbers.add(p)          # (a NumPy scalar: `p += 1` in h rebinds it)
                sig.append((p, str(v.type)) + (("number",) if p in numbers else ()))
            operands.append(self.to_value(v, node) if not isinstance(v, Static) else
                            self.b.const(v.value))
        key = (parsed.file, parsed.qualname, tuple(sig))
        if any(k[:2] == key[:2] for k in self.module.active):
            self.unsupported(node, f"{fdef.name} calls itself (recursion), which is not supported",
                             "write the recursion as a loop")
        name = self.module.name_for(key, fdef.name)
        if key not in self.module.functions:
            self.module.active.append(key)
            try:
                fn = _Lowerer(parsed, types_, False, self.module, callee=True,
                              numbers=numbers).run()
            finally:
                self.module.active.pop()
            from dataclasses import replace
            self.module.functions[key] = replace(fn, name=name)
        fn = self.module.functions[key]
        out = fn.body.yields[0]
        self.b.loc = self.p.loc(node) if self.b.loc is None else self.b.loc
        # the arguments whose arrays what it returns may be (or view, or hold): `def h(a):
        # return a[1:]` hands back the caller's array, and writes through either name
        # reach the other
        reach = subscript._bases(self.b, out, defs=def_map(fn.body))
        aliases = tuple(k for k, p in enumerate(fn.params) if id(p) in reach)
        extra = {"aliases": aliases} if aliases else {}
        (res,) = self.b.region_op("call", operands, (), [out.type], [TEMP], callee=name, **extra)
        return res

    def builtin(self, name, node):
        """The Python builtins a NumPy user writes: len, float, abs, min/max of two."""
        args = [self.expr(a) for a in node.args]
        if node.keywords:
            self.unsupported(node, f"{name}() with keyword arguments is not supported",
                             "pass positional arguments")
        if name == "len" and len(args) == 1:
            v = self.to_value(args[0], node)
            if v.type.kind in ("tuple", "list") and v.type.items is not None:
                return self.b.const(len(v.type.items))
            return self.b.getitem(self.b.shape(v), index=0)
        if name == "float" and len(args) == 1:
            return self.b.pyfloat(self.to_value(args[0], node))
        if name == "abs" and len(args) == 1:
            return self.b.abs(self.to_value(args[0], node))
        if name in ("min", "max") and len(args) == 2:
            a, b_ = (self.to_value(x, node) for x in args)
            if a.type.rank in (0,) and b_.type.rank in (0,):
                if any(subscript.may_be_ndarray(self.b, x) for x in (a, b_)):
                    self.unsupported(node, f"{name}() of a value that may be a 0-d array hands "
                                     "back that array itself, which a later write would change",
                                     f"use np.{'minimum' if name == 'min' else 'maximum'}(a, b) "
                                     "(a new value), or float(...) of the array")
                return self.b.emit("minimum" if name == "min" else "maximum", a, b_)
        hints = {"sum": "np.sum(x, axis=0) (the builtin sums over the first axis)",
                 "min": "np.minimum(a, b) or np.min(x)", "max": "np.maximum(a, b) or np.max(x)",
                 "range": "range() only in `for i in range(...)`"}
        self.unsupported(node, f"the builtin {name}() is not supported in this form",
                         f"use {hints.get(name, 'the np function')}")

    def bind(self, opcode, args, keywords, node, what):
        """Bind positional and keyword arguments by the opcode's params."""
        params = opcodes.OPS[opcode].params
        bound = {}
        if len(args) > len(params):
            self.unsupported(node, f"too many arguments to {what}", "check the call")
        for (pname, role, default), a in zip(params, args):
            bound[pname] = a
        for kw in keywords:
            if kw.arg is None or kw.arg not in [p[0] for p in params]:
                self.unsupported(node, f"{what} does not take the keyword {kw.arg!r} here",
                                 f"its supported parameters: {', '.join(p[0] for p in params)}")
            bound[kw.arg] = self.expr(kw.value)
        operands, attrs = [], {}
        for pname, role, default in params:
            if pname not in bound:
                if role == OPERAND:
                    self.unsupported(node, f"{what} needs its argument {pname!r}", "pass it")
                continue
            val = bound[pname]
            if role == OPERAND:
                if pname != "shape":     # a tuple or list for an array: np.array of it
                    val = sequences.array_operand(self, val, node, what,
                                                  convert=not opcodes.OPS[opcode].sequence)
                operands.append(self.to_value(val, node))
            elif role == ATTR:
                s = self.static_of(val)
                if s is _MISSING:
                    self.unsupported(node, f"the argument {pname!r} of {what} must be a constant",
                                     "write it as a literal or a Python int/str argument")
                if pname == "dtype" and s is not None:
                    s = _dtype_name(s, self, node)
                if pname in ("axis", "axes") and isinstance(s, list):
                    s = tuple(s)
                if s != default or pname == "axis" and opcode == "expand_dims":
                    attrs[pname] = s
            else:
                if self.static_of(val) is not None:
                    self.unsupported(node, f"the argument {pname!r} of {what} is not supported",
                                     "leave it out and assign the result")
        return operands, attrs

    def numpy_call(self, name, node):
        if f"numpy.{name}" in self.p.rules:      # a registered rule, replacing a built-in one
            return externs.named_call(self, f"numpy.{name}", node)
        if name in ("concatenate", "stack", "hstack", "vstack", "column_stack", "dstack"):
            return self.joined(name, node)
        if name == "average":
            return self.average(node)
        if name == "einsum":
            return self.einsum(node)
        if name in ("select", "kron"):
            return getattr(self, name)(node)
        if name == "linalg.multi_dot":
            return self.multi_dot(node)
        if opcodes.NUMPY.get(name) in _MASKABLE and any(k.arg in ("where", "initial")
                                                         for k in node.keywords):
            return self.masked_reduction(opcodes.NUMPY[name], None, node, f"np.{name}")
        if name in opcodes.NUMPY_COMPOSED:
            return self.composed(name, [self.expr(a) for a in node.args], node, f"np.{name}")
        opcode = opcodes.NUMPY.get(name)
        for a in node.args:       # np.stack([f(v) for v in ...]): the comprehension is the issue
            if isinstance(a, (gast.ListComp, gast.GeneratorExp, gast.Lambda)):
                self.expr(a)
        if opcode is None:         # a NumPy function without a rule: a constant off the
            return externs.named_call(self, f"numpy.{name}", node)    # gradient path
        if opcodes.OPS[opcode].form[0] in ("binop", "cmp", "unop"):
            args = [self.operand(a) for a in node.args]
            if node.keywords or len(args) != (1 if opcodes.OPS[opcode].form[0] == "unop" else 2):
                self.unsupported(node, f"np.{name} takes exactly its array arguments here",
                                 "leave out out=, where= and dtype=")
            args = [sequences.array_operand(self, a, node, f"np.{name}") for a in args]
            return self.b.emit(opcode, *[self.to_value(a, node) for a in args])
        args = [self.expr(a) for a in node.args]
        if opcode == "arange":          # np.arange(stop), (start, stop) or (start, stop, step)
            return self.arange(args, node)
        if opcode == "eye" and len(args) == 1 and not any(k.arg == "M" for k in node.keywords):
            _, attrs = self.bind(opcode, args + [self.b.const(None)], node.keywords, node,
                                 f"np.{name}")        # np.eye(N): square (M is None)
            return self.b.emit(opcode, self.to_value(args[0], node), **attrs)
        operands, attrs = self.bind(opcode, args, node.keywords, node, f"np.{name}")
        return self.emit_call(opcode, operands, attrs, node)

    def emit_call(self, opcode, operands, attrs, node):
        """A NumPy call or method, once bound: refused here when its definition's check
        says so (np.linalg.norm of a matrix, np.tile by a tuple)."""
        d = opcodes.OPS[opcode]
        attrs = self.zero_d_axis(opcode, operands, attrs, node)
        if d.check is not None:
            problem = d.check(tuple(v.type for v in operands), attrs)
            if problem:
                self.unsupported(node, *problem)
        n = opcodes.result_count(opcode, attrs)
        out = self.b.emit(opcode, *operands, nresults=n, **attrs)
        if d.sections:                   # np.split: a list, one array a section
            return list(out) if n > 1 else [out]
        return out

    # Ops NumPy lets take axis 0 or -1 of a 0-d array, meaning what axis=None does
    # (np.sum(np.float64(2.0), axis=0) is 2.0; np.cumsum(s, axis=-1) is [s]).
    ZERO_D_AXIS = frozenset({"sum", "prod", "max", "min", "ptp", "nansum", "nanmean",
                             "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "nancumsum",
                             "cumsum", "cumprod", "repeat", "take", "squeeze", "argmax",
                             "argmin"})

    def zero_d_axis(self, opcode, operands, attrs, node):
        """An int axis of a 0-d array: axis=None where NumPy reads it so, refused (an
        AxisError in NumPy) for the other ops with a gradient rule."""
        axis = attrs.get("axis")
        if (not operands or operands[0].type.kind != "array" or operands[0].type.shape != ()
                or axis is None or opcode == "expand_dims"
                or not any(p[0] == "axis" for p in opcodes.OPS[opcode].params)):
            return attrs
        if opcode in self.ZERO_D_AXIS and axis in (0, -1) and not isinstance(axis, bool):
            return {**attrs, "axis": None}
        if not opcodes.OPS[opcode].constant:
            self.unsupported(node, f"axis {axis!r} is out of bounds for a 0-d array",
                             "leave the axis out (axis=None), or make the array 1-d")
        return attrs

    def arange(self, args, node):
        for kw in node.keywords:
            if kw.arg != "dtype":
                self.unsupported(node, f"np.arange takes its bounds by position here, not "
                                 f"{kw.arg}=", "np.arange(start, stop, step, dtype=...)")
        if not 1 <= len(args) <= 3:
            self.unsupported(node, "np.arange takes one to three bounds", "np.arange(n)")
        attrs = {}
        for kw in node.keywords:
            s = self.static_of(self.expr(kw.value))
            if s is _MISSING:
                self.unsupported(node, "the dtype of np.arange must be a constant",
                                 "write it as a literal")
            if s is not None:
                attrs["dtype"] = _dtype_name(s, self, node)
        bounds = [self.to_value(a, node) for a in args]
        for v, a in zip(bounds, node.args):
            if v.type.kind != "array" or v.type.shape not in ((), None):
                self.unsupported(a, "np.arange's bounds are numbers", "np.arange(n)")
        return self.b.emit("arange", *bounds, **attrs)

    def einsum(self, node):
        """np.einsum("ij,jk->ik", a, b): the spec a constant, written out explicitly (the
        output of an implicit spec is its letters used once, in alphabetical order)."""
        spec = self.static_of(self.expr(node.args[0])) if node.args else None
        if not isinstance(spec, str) or node.keywords:
            self.unsupported(node, "np.einsum takes a constant subscripts string, then its "
                             "arrays", 'np.einsum("ij,jk->ik", a, b)')
        spec = spec.replace(" ", "")
        ins, _, out = spec.partition("->")
        ins = ins.split(",")
        if "..." in spec or not all(s.isalpha() for s in ins) or out and not out.isalpha():
            self.unsupported(node, "np.einsum with '...' or a spec that is not letters is not "
                             "supported", 'write every axis as a letter: np.einsum("bij,bjk->bik"'
                             ", a, b)")
        if any(len(set(s)) != len(s) for s in ins):
            self.unsupported(node, "np.einsum of a diagonal (a letter twice in one operand) is "
                             "not supported", "np.diagonal or np.trace, or multiply by np.eye")
        if "->" not in spec:
            letters = "".join(ins)
            out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        items = [self.to_value(sequences.array_operand(self, self.expr(a), node, "np.einsum"),
                               node) for a in node.args[1:]]
        if len(items) != len(ins):
            self.unsupported(node, f"np.einsum's subscripts name {len(ins)} operands, and it is "
                             f"given {len(items)}", "one subscript group per array")
        for s, v in zip(ins, items):
            if v.type.shape is not None and len(v.type.shape) != len(s):
                self.unsupported(node, f"np.einsum's subscripts {s!r} do not match an array of "
                                 f"rank {len(v.type.shape)}", "one letter per axis")
        return self.b.emit("einsum", *items, subscripts=",".join(ins) + "->" + out)

    def joined(self, name, node):
        """np.concatenate (an op of its own), np.stack (np.array of the items, its axis
        moved), np.hstack and np.vstack (a concatenate, or for 1-d items a stack)."""
        what = f"np.{name}"
        seq = self.expr(node.args[0]) if node.args else None
        if not isinstance(seq, (tuple, list)) or not seq:
            self.unsupported(node, f"{what} takes a list or tuple of arrays written out here",
                             f"{what}([a, b], ...)")
        axis = 0
        extra = list(node.args[1:]) + [k.value for k in node.keywords if k.arg == "axis"]
        if any(k.arg != "axis" for k in node.keywords) or len(extra) > 1 \
                or extra and name in ("hstack", "vstack"):
            self.unsupported(node, f"{what} takes its arrays and an axis here", f"{what}([a, b])")
        if extra:
            axis = self.static_of(self.expr(extra[0]))
            if axis is _MISSING or axis is not None and not isinstance(axis, int) \
                    or axis is None and name != "concatenate":
                self.unsupported(node, f"the axis of {what} must be a constant int",
                                 f"{what}([a, b], axis=1)")
        items = [self.to_value(sequences.array_operand(self, x, node, what), node) for x in seq]
        if name in ("column_stack", "dstack"):   # 1-d items become columns; dstack: 3-d
            for v in items:
                if v.type.shape is None:
                    self.unsupported(node, f"the arrays given to {what} have ranks s2sgrad "
                                     "cannot know here", "give them a known rank")
            least = 2 if name == "column_stack" else 3
            items = [self.at_least(v, least, column=name == "column_stack") for v in items]
            name, axis = "concatenate", least - 1
        ranks = {None if v.type.shape is None else len(v.type.shape) for v in items}
        rank = ranks.pop() if len(ranks) == 1 else None
        if rank is None and name != "concatenate":
            self.unsupported(node, f"the arrays given to {what} have ranks s2sgrad cannot tell "
                             "are equal", "give them one known rank")
        if name == "hstack":
            name, axis = "concatenate", (0 if rank == 1 else 1)
        elif name == "vstack":
            name, axis = ("stack", 0) if rank == 1 else ("concatenate", 0)
        if rank == 0 and name == "concatenate" and axis is not None:
            self.unsupported(node, f"zero-dimensional arrays cannot be joined by {what}",
                             "make them 1-d first (x[None]), or use np.stack")
        if name == "concatenate":
            attrs = {} if axis == 0 else {"axis": axis}
            return self.b.emit("concatenate", *items, **attrs)
        stacked = self.to_value(sequences.array_operand(self, list(items), node, what), node)
        k = axis % (rank + 1) if -(rank + 1) <= axis <= rank else None
        if k is None:
            self.unsupported(node, f"axis {axis} is out of bounds for {what} of rank-{rank} "
                             "arrays", f"an axis from {-(rank + 1)} to {rank}")
        if k == 0:
            return stacked
        axes = list(range(1, rank + 1))
        axes.insert(k, 0)
        return self.b.emit("transpose", stacked, axes=tuple(axes))

    def composed(self, name, args, node, what):
        """np.ravel / x.ravel() / x.flatten(), np.swapaxes, np.moveaxis: written with
        reshape and transpose; np.diff with slices (opcodes.NUMPY_COMPOSED)."""
        if name == "diff" and node.keywords:       # np.diff(x, axis=0): n, axis by name too
            given = dict(zip(("a", "n", "axis"), args))
            for kw in node.keywords:
                if kw.arg not in ("n", "axis") or kw.arg in given:
                    self.unsupported(node, f"np.diff does not take {kw.arg}= here",
                                     "np.diff(x, n, axis)")
                given[kw.arg] = self.expr(kw.value)
            args = [given.get("a"), given.get("n", 1), given.get("axis", -1)]
        elif name == "tensordot" and [k.arg for k in node.keywords] == ["axes"] \
                and len(args) == 2:                 # np.tensordot(a, b, axes=...)
            args = args + [self.expr(node.keywords[0].value)]
        elif node.keywords:
            self.unsupported(node, f"{what} takes its arguments by position here",
                             f"{what}(...) without keywords")
        a = self.to_value(args[0], node) if args else None
        if a is None or a.type.kind != "array":
            self.unsupported(node, f"{what} needs an array", f"{what}(x, ...)")
        if name == "diff":
            return self.diff(a, args[1:], node)
        if name.startswith("atleast_"):
            if len(args) != 1 or a.type.shape is None:
                self.unsupported(node, f"{what} takes one array of known rank here",
                                 f"{what}(x)")
            return self.at_least(a, int(name[len("atleast_")]))
        if name in ("inner", "vdot", "tensordot"):
            return self.contraction(name, a, args[1:], node, what)
        if name in ("ravel", "flatten"):
            if len(args) != 1:
                self.unsupported(node, f"{what} takes no order here", f"{what}()")
            flat = self.b.reshape(a, self.b.const((-1,)))
            return self.b.copy(flat) if name == "flatten" else flat
        rank = None if a.type.shape is None else len(a.type.shape)
        moves = [self.static_of(v) for v in args[1:]]
        if rank is None or len(moves) != 2 or any(m is _MISSING for m in moves):
            self.unsupported(node, f"{what} needs constant axes of an array of known rank",
                             f"{what}(x, 0, 1) with literal axes")
        try:
            if name == "swapaxes":
                i, j = (int(m) % rank for m in moves)
                axes = list(range(rank))
                axes[i], axes[j] = axes[j], axes[i]
            else:
                src, dst = ((m,) if isinstance(m, int) else tuple(m) for m in moves)
                src, dst = [s % rank for s in src], [d % rank for d in dst]
                axes = [n for n in range(rank) if n not in src]
                for d, s in sorted(zip(dst, src)):
                    axes.insert(d, s)
        except (TypeError, ValueError, ZeroDivisionError):
            self.unsupported(node, f"the axes of {what} are not ints of this array's rank",
                             f"{what}(x, 0, 1)")
        return self.b.emit("transpose", a, axes=tuple(axes))

    def average(self, node):
        """np.average(a, axis=None, weights=None): np.mean without weights; with them,
        np.sum(a * w, axis) / np.sum(w, axis), a 1-d w laid along the axis."""
        names = ("a", "axis", "weights")
        given = dict(zip(names, node.args))
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in given:
                self.unsupported(node, f"np.average does not take {kw.arg}= here",
                                 "np.average(a, axis=..., weights=...)")
            given[kw.arg] = kw.value
        if "a" not in given or len(node.args) > 3:
            self.unsupported(node, "np.average takes an array, an axis and weights here",
                             "np.average(a, axis=0, weights=w)")
        a = self.to_value(sequences.array_operand(self, self.expr(given["a"]), node,
                                                  "np.average"), node)
        axis = self.static_of(self.expr(given["axis"])) if "axis" in given else None
        if axis is _MISSING or not (axis is None or isinstance(axis, int)
                                    and not isinstance(axis, bool)) or a.type.shape is None:
            self.unsupported(node, "np.average takes a constant int axis (or none) of an array "
                             "of known rank here", "np.average(a, axis=0, weights=w)")
        attrs = {} if axis is None else {"axis": axis}
        if "weights" not in given or self.static_of(self.expr(given["weights"])) is None:
            return self.b.emit("mean", a, **attrs)
        w = self.to_value(sequences.array_operand(self, self.expr(given["weights"]), node,
                                                  "np.average"), node)
        rank = len(a.type.shape)
        if w.type.shape is None or len(w.type.shape) not in (rank, 1) or \
                len(w.type.shape) == 1 and rank > 1 and axis is None or \
                len(w.type.shape) == rank and tuple(w.type.shape) != tuple(a.type.shape) or \
                len(w.type.shape) == 1 and rank > 1 and w.type.shape[0] != a.type.shape[axis]:
            self.unsupported(node, "np.average's weights have the array's shape here, or are "
                             "1-d along the axis", "np.average(a, axis=1, weights=w)")
        if len(w.type.shape) == 1 and rank > 1:       # laid along the axis
            k = axis % rank
            w = self.b.reshape(w, self.b.const(tuple(-1 if i == k else 1 for i in range(rank))))
        total = self.b.emit("sum", self.b.mul(a, w), **attrs)
        return self.b.div(total, self.b.emit("sum", self.b.mul(self.b.ones_like(a), w), **attrs))

    def masked_reduction(self, opcode, base, node, what):
        """np.sum/mean/prod/max/min(x, axis, ..., where=mask) (and initial= for max/min): the
        reduction of np.where(mask, x, e), e its identity (0, 1; -inf or +inf for max/min,
        then np.maximum/np.minimum with the initial, which loses ties); np.mean divides by
        the mask's count. The gradient is 0 where the mask is False."""
        extra = {k.arg: k.value for k in node.keywords if k.arg in ("where", "initial")}
        keywords = [k for k in node.keywords if k.arg not in ("where", "initial")]
        args = ([base] if base is not None else []) + [self.expr(a) for a in node.args]
        operands, attrs = self.bind(opcode, args, keywords, node, what)
        x = operands[0]
        extremum = opcode in ("max", "min")
        initial = self.static_of(self.expr(extra["initial"])) if "initial" in extra else None
        if "initial" in extra and (not extremum or not isinstance(initial, (int, float))
                                   or isinstance(initial, bool)):
            self.unsupported(node, f"{what} takes initial= here only as a constant number, for "
                             "np.max and np.min", f"{what}(x, where=mask)"
                             if not extremum else f"{what}(x, initial=0.0, where=mask)")
        if extremum and "where" in extra and "initial" not in extra:
            self.unsupported(node, f"{what} with where= needs initial= (NumPy raises: the "
                             "reduction has no identity)", f"{what}(x, initial=-np.inf, where=mask)")
        if x.type.dtype is None or x.type.dtype == "bool" and extremum:
            self.unsupported(node, f"{what} with where= or initial= of an array of unknown or "
                             "bool dtype is not supported here", "give x a numeric dtype")
        if "where" in extra:
            mask = self.to_value(sequences.array_operand(self, self.expr(extra["where"]), node,
                                                         what), node)
            if mask.type.dtype != "bool":
                self.unsupported(node, f"the where= of {what} is a boolean mask here",
                                 f"{what}(x, where=x > 0)")
            x = self.b.where(mask, x, self.b.const(_identity(opcode, x.type)))
        out = self.emit_call("sum" if opcode == "mean" else opcode, [x], attrs, node)
        if opcode == "mean" and "where" in extra:
            count = self.b.broadcast_to(mask, self.b.shape(operands[0]))
            narrow = {"dtype": x.type.dtype} if x.type.dtype in ("float32", "float16") else {}
            out = self.b.div(out, self.b.emit("sum", count, **dict(attrs, **narrow)))
        if extremum and initial is not None:
            out = self.b.emit("maximum" if opcode == "max" else "minimum", out,
                              self.b.const(initial))
        return out

    def select(self, node):
        """np.select(condlist, choicelist, default=0): nested np.where, the first condition
        outermost (the first true condition's choice)."""
        given = dict(zip(("condlist", "choicelist", "default"), node.args))
        given.update((k.arg, k.value) for k in node.keywords)
        conds, choices = (self.expr(given[n]) if n in given else None
                          for n in ("condlist", "choicelist"))
        if not isinstance(conds, (tuple, list)) or not isinstance(choices, (tuple, list)) \
                or len(conds) != len(choices) or not conds \
                or set(given) - {"condlist", "choicelist", "default"}:
            self.unsupported(node, "np.select takes two lists written out here, of as many "
                             "conditions as choices, and a default",
                             "np.select([x < 0, x > 1], [a, b], default=0.0)")
        conds = [self.to_value(c, node) for c in conds]
        if any(c.type.dtype != "bool" for c in conds):
            self.unsupported(node, "the conditions of np.select are boolean arrays here",
                             "np.select([x < 0, x > 1], [a, b])")
        default = self.expr(given["default"]) if "default" in given else self.b.const(0)
        items = [self.to_value(sequences.array_operand(self, v, node, "np.select"), node)
                 for v in list(choices) + [default]]
        out = items[-1]
        for c, v in zip(conds[::-1], items[-2::-1]):
            out = self.b.where(c, v, out)
        dtype = np.result_type(*[np.dtype(v.type.dtype or "float64") for v in items]).name
        return out if out.type.dtype == dtype else self.b.cast(out, dtype)

    def kron(self, node):
        """np.kron(a, b) of two 1-d or two 2-d arrays: the einsum of every product,
        reshaped: a[i, j] b[k, l] at (i p + k, j q + l)."""
        a, b_ = self.pair_of_arrays(node, "np.kron")
        rank = a.type.rank
        if rank not in (1, 2) or b_.type.rank != rank:
            self.unsupported(node, "np.kron takes two 1-d or two 2-d arrays here",
                             "np.kron(a, b) of matrices, or of vectors")
        if rank == 1:
            outer = self.b.emit("einsum", a, b_, subscripts="i,k->ik")
            return self.b.reshape(outer, self.b.const((-1,)))
        sa, sb = self.b.shape(a), self.b.shape(b_)
        dims = [self.b.mul(self.b.getitem(sa, index=i), self.b.getitem(sb, index=i))
                for i in range(2)]
        return self.b.reshape(self.b.emit("einsum", a, b_, subscripts="ij,kl->ikjl"),
                              self.b.tuple(*dims))

    def multi_dot(self, node):
        """np.linalg.multi_dot([A, B, ...]): matmuls, grouped as NumPy groups them (its
        cheapest order by the matrices' sizes, when the types know them; else left to
        right). A 1-d first (last) array is a row (column), as in NumPy."""
        seq = self.expr(node.args[0]) if len(node.args) == 1 and not node.keywords else None
        if not isinstance(seq, (tuple, list)) or len(seq) < 2:
            self.unsupported(node, "np.linalg.multi_dot takes one list of two or more arrays "
                             "written out here", "np.linalg.multi_dot([a, b, c])")
        items = [self.to_value(sequences.array_operand(self, x, node, "np.linalg.multi_dot"),
                               node) for x in seq]
        ranks = [v.type.rank for v in items]
        if any(r != 2 for r in ranks[1:-1]) or ranks[0] not in (1, 2) or ranks[-1] not in (1, 2):
            self.unsupported(node, "np.linalg.multi_dot takes 2-d arrays (the first and last "
                             "may be 1-d)", "np.linalg.multi_dot([a, b, c])")
        split = _chain_order(items)

        def product(i, j):
            if i == j:
                return items[i]
            k = split(i, j)
            return self.b.matmul(product(i, k), product(k + 1, j))
        return product(0, len(items) - 1)

    def item(self, base, args, node):
        """x.item() of a float array of one element: float(x) of x reshaped to 0-d (NumPy
        converts only 0-d arrays with float), a Python float."""
        if args or node.keywords or not base.type.is_float or base.type.dtype is None:
            self.unsupported(node, "x.item() is supported without arguments, of a float array "
                             "(of one element) here", "float(x), or x.item() of a float array")
        if base.type.rank != 0:
            base = self.b.reshape(base, self.b.const(()))
        return self.b.pyfloat(base)

    def pair_of_arrays(self, node, what):
        """The two array arguments of np.kron, given by position only."""
        if len(node.args) != 2 or node.keywords:
            self.unsupported(node, f"{what} takes two arrays by position here", f"{what}(a, b)")
        return [self.to_value(sequences.array_operand(self, self.expr(a), node, what), node)
                for a in node.args]

    def at_least(self, a, n, column=False):
        """np.atleast_1d/2d/3d(a) (a itself when its rank is n or more); `column`: a 1-d
        array becomes a column (np.column_stack), not a row."""
        rank = len(a.type.shape)
        if rank >= n:
            return a
        if rank == 0:
            return self.b.reshape(a, self.b.const((1,) * n))
        if column:                            # (n == 2, rank 1)
            return self.b.emit("expand_dims", a, axis=1)
        if n == 2 or rank == 1 and n == 3:    # a row: (k,) -> (1, k), (1, k, 1)
            a = self.b.emit("expand_dims", a, axis=0)
        return a if len(a.type.shape) >= n else self.b.emit("expand_dims", a, axis=-1)

    def contraction(self, name, a, rest, node, what):
        """np.inner, np.vdot, np.tensordot: written as the einsum they are."""
        b_ = self.to_value(rest[0], node) if rest else None
        if b_ is None or a.type.shape is None or b_.type.shape is None or \
                len(rest) > (2 if name == "tensordot" else 1):
            self.unsupported(node, f"{what} takes two arrays of known rank here",
                             f"{what}(a, b)")
        ra, rb = len(a.type.shape), len(b_.type.shape)
        letters = "abcdefghijklmnopqrstuvwxyz"
        if name == "vdot":
            a = self.b.reshape(a, self.b.const((-1,)))
            b_ = self.b.reshape(b_, self.b.const((-1,)))
            return self.b.emit("einsum", a, b_, subscripts="i,i->")
        if name == "inner":
            if ra == 0 or rb == 0:
                return self.b.mul(a, b_)
            pairs = ([ra - 1], [rb - 1])
        else:
            axes = self.static_of(rest[1]) if len(rest) > 1 else 2
            if isinstance(axes, int) and not isinstance(axes, bool) and 0 <= axes <= min(ra, rb):
                pairs = (list(range(ra - axes, ra)), list(range(axes)))
            elif isinstance(axes, (tuple, list)) and len(axes) == 2:
                pairs = tuple([x] if isinstance(x, int) else list(x) for x in axes)
            else:
                self.unsupported(node, "the axes of np.tensordot must be a constant int or a "
                                 "pair of axis lists", "np.tensordot(a, b, axes=([1], [0]))")
        try:
            pa, pb = [p % ra for p in pairs[0]], [p % rb for p in pairs[1]]
        except (TypeError, ZeroDivisionError):
            pa = pb = None
        if pa is None or len(pa) != len(pb) or len(set(pa)) != len(pa) or len(set(pb)) != len(pb):
            self.unsupported(node, f"the axes of {what} do not pair up", f"{what}(a, b)")
        sa = letters[:ra]
        sb = [None] * rb
        for i, j in zip(pa, pb):
            sb[j] = sa[i]
        free = iter(letters[ra:])
        sb = "".join(c if c is not None else next(free) for c in sb)
        out = "".join(c for k, c in enumerate(sa) if k not in pa) + \
            "".join(c for k, c in enumerate(sb) if k not in pb)
        return self.b.emit("einsum", a, b_, subscripts=f"{sa},{sb}->{out}")

    def diff(self, a, rest, node):
        """np.diff(a, n=1, axis=-1): a[..., 1:] - a[..., :-1] along the axis, n times."""
        n, axis = ([v if isinstance(v, int) else self.static_of(v) for v in rest]
                   + [1, -1][len(rest):])[:2]
        if len(rest) > 2 or not isinstance(n, int) or not isinstance(axis, int) or n < 0 \
                or isinstance(n, bool) or a.type.shape is None or not a.type.shape:
            self.unsupported(node, "np.diff takes a constant n and axis here, of an array of "
                             "known rank", "np.diff(x), np.diff(x, 2, 0)")
        rank = len(a.type.shape)
        if not -rank <= axis < rank:
            self.unsupported(node, f"axis {axis} is out of bounds for an array of rank {rank}",
                             f"an axis from {-rank} to {rank - 1}")
        k = axis % rank
        whole = (None, None, None)
        for _ in range(n):
            hi = self.b.emit("index", a, key=(whole,) * k + ((1, None, None),))
            lo = self.b.emit("index", a, key=(whole,) * k + ((None, -1, None),))
            a = self.b.sub(hi, lo)
        return a

    def method(self, base, name, node):
        if base.type.kind == "rng":
            return self.draw(base, name, node)
        if name in opcodes.METHODS_COMPOSED and isinstance(base, Value):
            return self.composed(name, [base] + [self.expr(a) for a in node.args], node,
                                 f".{name}()")
        opcode = opcodes.METHODS.get(name)
        if opcode in _MASKABLE and any(k.arg in ("where", "initial") for k in node.keywords):
            return self.masked_reduction(opcode, base, node, f".{name}()")
        if opcode is None or base.type.kind != "array":
            self.unsupported(node, f"the method .{name}() is not supported",
                             "use the np function instead (np.exp(x) rather than x.exp())")
        args = [self.expr(a) for a in node.args]
        if opcode == "reshape" and len(args) > 1:
            args = [tuple(args)]
        if opcode == "transpose":
            axes = tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)
            if not axes:
                return self.b.emit("transpose", base)
            s = self.static_of(axes)
            if s is _MISSING:
                self.unsupported(node, "transpose axes must be constants", "write them as literals")
            return self.b.emit("transpose", base, axes=tuple(s))
        if opcode == "astype":
            operands, attrs = self.bind("astype", args, node.keywords, node, ".astype")
            return self.b.emit("astype", base, **attrs)
        if name == "item":
            return self.item(base, args, node)
        operands, attrs = self.bind(opcode, [base] + args, node.keywords, node, f".{name}()")
        return self.emit_call(opcode, operands, attrs, node)

    def draw(self, rng, name, node):
        """rng.<name>(...) of a np.random.Generator argument: a draw, an op with an effect on
        the generator (standard_normal, random, integers), or normal and uniform written
        with one, as NumPy computes them: loc + scale * z, low + (high - low) * u."""
        params = _DRAW_PARAMS.get(name)
        what = f"rng.{name}()"
        if params is None:
            self.unsupported(node, f"the generator method .{name}() is not supported",
                             "rng.standard_normal, rng.normal, rng.uniform, rng.random or "
                             "rng.integers; or draw outside the function and pass the values in")
        if len(node.args) > len(params):
            self.unsupported(node, f"too many arguments to {what}", "check the call")
        given = dict(zip(params, node.args))
        for kw in node.keywords:
            if kw.arg not in params or kw.arg in given:
                self.unsupported(node, f"{what} does not take the keyword {kw.arg!r} here",
                                 f"its supported parameters: {', '.join(params)}")
            given[kw.arg] = kw.value
        values = {k: self.expr(v) for k, v in given.items()}
        values = {k: v for k, v in values.items() if self.static_of(v) is not None}
        if name in opcodes.RNG_COMPOSED:
            return self.reparameterised(rng, name, values, node, what)
        operands, attrs = [rng], {}
        names = [p for p, role, _ in opcodes.OPS[name].params[1:] if role == OPERAND]
        last = max([names.index(k) for k in values if k in names], default=-1)
        for k in names[:last + 1]:       # (rng.integers(5, None, 3): a None between)
            v = values.get(k, self.b.const(None))
            operands.append(self.to_value(v if k == "size" else
                                          sequences.array_operand(self, v, node, what), node))
        for k in ("dtype", "endpoint", "out"):
            if k in values:
                a = self.static_of(values[k])
                if a is _MISSING or k == "out":
                    self.unsupported(node, f"the argument {k!r} of {what} must be a constant "
                                     "(and out= is not supported)", "assign the result")
                attrs[k] = _dtype_name(a, self, node) if k == "dtype" else a
        return self.emit_call(name, operands, attrs, node)

    def reparameterised(self, rng, name, values, node, what):
        """rng.normal(loc, scale, size) = loc + scale * rng.standard_normal(size) and
        rng.uniform(low, high, size) = low + (high - low) * rng.random(size): what NumPy
        computes, in float64 (narrow floats cast up first, as NumPy converts them), so the
        values are NumPy's bit for bit and the gradient flows to loc and scale (low and
        high). Without a size, the parameters' broadcast shape (one number for numbers)."""
        first, second = _DRAW_PARAMS[name][:2]
        a, b_ = (values.get(k) for k in (first, second))
        a, b_ = (None if v is None else self.to_value(
            sequences.array_operand(self, v, node, what), node) for v in (a, b_))
        a, b_ = (v if v is None or v.type.dtype not in ("float32", "float16")
                 else self.b.cast(v, "float64") for v in (a, b_))
        if name == "uniform":
            b_ = self.b.sub(b_ if b_ is not None else self.b.const(1.0), a) if a is not None else b_
        size = values.get("size")
        if size is None:
            arrays = [v for v in (a, b_) if v is not None and v.type.rank != 0]
            if len(arrays) == 2 and arrays[0].type.shape != arrays[1].type.shape:
                size = self.b.shape(self.b.add(*arrays))
            elif arrays:
                size = self.b.shape(arrays[0])
        draw = opcodes.RNG_COMPOSED[name]
        z = self.emit_call(draw, [rng] + ([self.to_value(size, node)] if size is not None
                                          else []), {}, node)
        if b_ is not None:
            z = self.b.mul(b_, z)
        return self.b.add(a, z) if a is not None else z

    def math_call(self, name, node):
        if f"math.{name}" in self.p.rules or _MATH.get(name, name) not in _MATH_AS_NUMPY:
            return externs.named_call(self, f"math.{name}", node)
        return self.numpy_call(_MATH.get(name, name), node)

    def s2sgrad_call(self, name, node):
        if name == "stop_gradient":
            if len(node.args) != 1 or node.keywords:
                self.unsupported(node, "stop_gradient takes one argument", "stop_gradient(x)")
            return self.b.stop_gradient(self.to_value(self.expr(node.args[0]), node))
        if name == "gradients":
            return self.gradients(node)
        self.unsupported(node, f"s2sgrad.{name} cannot be called inside a transformed function",
                         "call s2sgrad.gradients(...) here; grad/vjp wrap functions from outside")

    def gradients(self, node):
        loc = self.p.loc(node)
        if self.region_depth:
            self.unsupported(node, "s2sgrad.gradients(...) inside a loop or a branch taken at run "
                             "time is not supported", "call it once, after the loop or branch, "
                             "on the values it computes (tf.gradients is one call in a graph, too)")
        names = ["ys", "xs", "grad_ys", "name", "gate_gradients", "aggregation_method",
                 "stop_gradients", "unconnected_gradients"]
        if len(node.args) > len(names):
            raise InvalidArgumentError("gradients() takes at most 8 arguments", loc=loc)
        given = dict(zip(names, node.args))
        for kw in node.keywords:
            if kw.arg not in names:
                raise InvalidArgumentError(f"gradients() got an unexpected keyword argument "
                                           f"{kw.arg!r}", loc=self.p.loc(kw.value),
                                           hint=f"its arguments: {', '.join(names)}")
            given[kw.arg] = kw.value
        if "ys" not in given or "xs" not in given:
            raise InvalidArgumentError("gradients() needs ys and xs", loc=loc)

        def values(key, allow_none=False):
            if key not in given:
                return None
            n = given[key]
            if allow_none and isinstance(n, gast.Constant) and n.value is None:
                return None
            elts = n.elts if isinstance(n, (gast.List, gast.Tuple)) else None
            if key == "xs":
                for i, sub in enumerate(elts if elts is not None else [n]):
                    if isinstance(sub, gast.Name) and sub.id not in self.env:
                        raise InvalidArgumentError(
                            f"xs{f'[{i}]' if elts is not None else ''} names {sub.id!r}, which "
                            "is not a variable of the function", loc=self.p.loc(sub),
                            hint="xs must name values computed in or passed to the decorated "
                                 "function")
            val = self.expr(n)
            items = list(val) if isinstance(val, (tuple, list)) else [val]
            out = []
            for i, v in enumerate(items):
                sub = elts[i] if elts is not None else n
                if key == "xs" and (not isinstance(v, Value) or v.type.kind != "array"
                                    or isinstance(sub, gast.Constant)):
                    raise InvalidArgumentError(
                        f"xs[{i}] is not a variable of the function", loc=self.p.loc(sub),
                        hint="xs must name values computed in or passed to the decorated function")
                if key == "grad_ys" and isinstance(sub, gast.Constant) and sub.value is None:
                    out.append(None)
                    continue
                if not isinstance(v, Value) or v.type.kind != "array":
                    if key == "xs":
                        continue
                    raise InvalidArgumentError(f"{key}[{i}] is not an array or scalar value",
                                               loc=self.p.loc(sub))
                out.append(v)
            return out

        def static(key, default):
            if key not in given:
                return default
            s = self.static_of(self.expr(given[key]))
            if s is _MISSING:
                raise InvalidArgumentError(
                    f"gradients(): {key} must be a constant", loc=self.p.loc(given[key]),
                    hint="write a literal, or pass a Python bool/int/str argument (static; "
                         "on the command line: --signature 'NAME=VALUE')")
            return s

        ys = values("ys")
        xs = values("xs")
        grad_ys = values("grad_ys", allow_none=True)
        stops = values("stop_gradients", allow_none=True) or []
        settings = dict(name=static("name", "gradients"),
                        gate_gradients=static("gate_gradients", False),
                        aggregation_method=static("aggregation_method", None),
                        unconnected_gradients=static("unconnected_gradients", "none"))
        try:
            opts = O.GradientOptions.make(**settings)
        except ValueError as e:
            raise InvalidArgumentError(str(e), loc=loc) from None
        if grad_ys is not None and len(grad_ys) != len(ys):
            raise InvalidArgumentError(
                f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys", loc=loc,
                hint="give one grad_ys entry (or None) per y")
        operands = list(ys) + list(xs)
        if grad_ys is not None:
            for i, (g, y) in enumerate(zip(grad_ys, ys)):
                if g is None:
                    g = self.b.ones_like(y, hint="grad_y")
                _check_grad_y(g, y, i, loc)
                operands.append(g)
        operands += stops
        results = self.b.emit("gradients", *operands, nresults=len(xs) or 1,
                              n_ys=len(ys), n_xs=len(xs), n_grad_ys=0 if grad_ys is None else len(ys),
                              n_stop=len(stops), **opts.attrs())
        if not xs:
            return []
        results = (results,) if len(xs) == 1 else results
        out = []
        for x, r in zip(xs, results):
            out.append(r)
        return out

    # -- values -----------------------------------------------------------------

    def operand(self, node):
        return self.expr(node)

    def static_of(self, v):
        if isinstance(v, Static):
            return v.value
        if isinstance(v, (tuple, list)):
            items = [self.static_of(x) for x in v]
            if any(x is _MISSING for x in items):
                return _MISSING
            return type(v)(items)
        if isinstance(v, Value):
            return self.b.static_value(v, _MISSING)
        return _MISSING

    def to_value(self, v, node):
        if isinstance(v, Value):
            return v
        if isinstance(v, (tuple, list)):
            items = [self.to_value(x, node) for x in v]
            return self.b.emit("tuple" if isinstance(v, tuple) else "list", *items)
        if isinstance(v, Static):
            if v.value is None or isinstance(v.value, str):
                return self.b.const(v.value)
            self.unsupported(node, f"{_expr_text(self.p, node)} is not a value s2sgrad can use here",
                             "use arrays, numbers, tuples and lists")
        self.unsupported(node, "not a value", "use arrays, numbers, tuples and lists")


OPERAND, ATTR = opcodes.OPERAND, opcodes.ATTR
_STMT_HINTS = {
    "FunctionDef": "define the function at module level and pass the values it reads as "
                   "arguments (closures over local values are not supported)",
    "ClassDef": "define classes outside the differentiated function",
    "With": "move the with block outside the differentiated function",
    "Try": "move error handling outside the differentiated function",
    "Raise": "check inputs before calling the differentiated function",
    "Assert": "check inputs before calling the differentiated function",
    "Import": "import at module level",
    "ImportFrom": "import at module level",
    "Global": "pass the value as an argument and return the new one",
    "Nonlocal": "pass the value as an argument and return the new one",
    "Delete": "leave the variable unused instead",
}
_EXPR_HINTS = {
    "ListComp": "write a for loop filling a preallocated array: y = np.zeros(n); "
                "for i in range(n): y[i] = ...",
    "GeneratorExp": "write a for loop accumulating the result",
    "Lambda": "define a function with def at module level and call it",
    "Dict": "pass the values as separate arguments",
}
BUILTINS = frozenset({"len", "float", "abs", "min", "max", "sum", "range", "int", "round"})


_MASKABLE = frozenset({"sum", "mean", "prod", "max", "min"})


# the parameters of the np.random.Generator methods s2sgrad knows, in NumPy's order
_DRAW_PARAMS = {"standard_normal": ("size", "dtype", "out"), "random": ("size", "dtype", "out"),
                "integers": ("low", "high", "size", "dtype", "endpoint"),
                "normal": ("loc", "scale", "size"), "uniform": ("low", "high", "size")}


def _chain_order(items):
    """split(i, j): where np.linalg.multi_dot splits the product of items i..j, by its cost
    model (the fewest scalar multiplications; three arrays by its own comparison) when every
    size is known; else k = j - 1 (left to right)."""
    dims = [v.type.shape for v in items]
    dims = [(1,) + dims[0] if len(dims[0]) == 1 else dims[0]] + dims[1:-1] + \
        [dims[-1] + (1,) if len(dims[-1]) == 1 else dims[-1]]
    p = [d[0] for d in dims] + [dims[-1][1]]
    if not all(isinstance(n, int) for n in p):
        return lambda i, j: j - 1
    n = len(items)
    if n == 3:
        a0, a1b0, b1c0, c1 = p
        first = a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0)
        return lambda i, j: (i if not first else j - 1) if (i, j) == (0, 2) else i
    cost, split = {}, {}
    for span in range(1, n):
        for i in range(n - span):
            j = i + span
            cost[i, j] = math.inf
            for k in range(i, j):
                c = cost.get((i, k), 0) + cost.get((k + 1, j), 0) + p[i] * p[k + 1] * p[j + 1]
                if c < cost[i, j]:
                    cost[i, j], split[i, j] = c, k
    return lambda i, j: split[i, j]


def _identity(opcode, t):
    """What np.where puts where a reduction's mask is False: the reduction's identity
    (max and min: the lowest and highest value of the dtype, -inf and inf for floats)."""
    integer = np.dtype(t.dtype).kind in "biu"
    if opcode in ("sum", "mean", "prod"):
        one = 1 if opcode == "prod" else 0
        return one if integer else float(one)
    if integer:
        info = np.iinfo(t.dtype)
        return int(info.min if opcode == "max" else info.max)
    return float("-inf") if opcode == "max" else float("inf")


_LIST_METHODS = frozenset({"append", "pop", "extend", "insert"})


def _reject_list_method(lowerer, node):
    """Lists are values, never mutated: `xs.append(v)` and `xs.pop()` (the loop
    tapes of a module s2sgrad generated) are refused, never half-understood."""
    lowerer.unsupported(
        node, f"the list method .{node.func.attr}() is not supported (lists are not mutated "
        "in differentiable code; in a module generated by s2sgrad these are the tapes of a "
        "loop's reverse sweep, which cannot be differentiated again)",
        "second derivatives through loops are not supported yet; for loop-free code, "
        "differentiate the original function twice (s2sgrad.grad(s2sgrad.grad(f)), or "
        "s2sgrad emit FILE::f --order 2); to build an array in a loop, preallocate it with "
        "np.zeros and assign y[i] = v")


def _check_grad_y(g, y, i, loc):
    """A static shape mismatch: different ranks, or different sizes. Symbolic
    sizes name the distinct sizes of a specialisation other than 1 (equal sizes
    share a symbol; a size of 1 is written 1), so two different symbols are two
    different sizes, and so are 1 and a symbol (NumPy would broadcast a (1,)
    grad_ys entry against an (n,) y)."""
    gs, ys = g.type.shape, y.type.shape
    bad = gs is not None and ys is not None and (
        len(gs) != len(ys) or any(
            type(a) is type(b) and a != b and isinstance(a, (int, str))
            or {type(a), type(b)} == {int, str} and 1 in (a, b) for a, b in zip(gs, ys)))
    if bad:
        raise InvalidArgumentError(
            f"grad_ys[{i}] has shape {_shape_text(gs)}, but ys[{i}] has shape {_shape_text(ys)}",
            loc=loc, hint="each grad_ys entry must have the shape of its y"
            + (" (names like n0, n1 stand for the distinct sizes of the arguments)"
               if any(isinstance(d, str) for d in gs + ys) else ""))


# the builtin types as dtypes, as NumPy reads them (float -> float64, int -> int64)
_BUILTIN_DTYPES = {"float": "float64", "int": "int64", "bool": "bool_"}


def _shape_text(s):
    return "(" + ", ".join("?" if d is None else str(d) for d in s) + ("," if len(s) == 1 else "") + ")"


def _member_object(m):
    import math
    import s2sgrad
    obj = {"numpy": np, "math": math, "s2sgrad": s2sgrad}[m.module]
    for part in m.name.split("."):           # (np.linalg.inv is numpy's "linalg.inv")
        obj = getattr(obj, part)
    return obj


def _dtype_name(s, lowerer, node):
    if hasattr(s, "kind") and getattr(s, "module", None) == "numpy":
        s = _member_object(s)
    try:
        name = np.dtype(s).name
    except TypeError:
        lowerer.unsupported(node, f"{s!r} is not a dtype", "write np.float64, 'float32', ...")
    if _is_complex(name):
        _refuse_complex(lowerer, node, f"{name} is a complex dtype")
    return name


def _is_complex(dtype):
    return dtype is not None and np.dtype(dtype).kind == "c"


def _refuse_complex(lowerer, node, what):
    """Complex values are refused wherever they enter: arguments, literals, module
    constants, dtypes. The rules do not follow one convention for complex
    cotangents yet (JAX's: the cotangent of z is the conjugate of dL/dz for real
    L), so a gradient would be a wrong number (docs/limitations.md)."""
    lowerer.unsupported(node, f"complex numbers are not supported: {what}",
                        "write the computation on the real and imaginary parts as two float "
                        "arrays (z = x + 1j*y as x and y; |z|**2 as x**2 + y**2)")


def _describe(node):
    return {"For": "for", "While": "while", "With": "with", "Try": "try", "FunctionDef": "def",
            "ClassDef": "class", "Delete": "del", "Global": "global", "Nonlocal": "nonlocal",
            "Raise": "raise", "Assert": "assert", "Import": "import", "ImportFrom": "import",
            "Lambda": "a lambda", "ListComp": "a list comprehension", "GeneratorExp": "a generator",
            "DictComp": "a dict comprehension", "SetComp": "a set comprehension", "Dict": "a dict",
            "Set": "a set", "Subscript": "an element", "Attribute": "an attribute",
            "Starred": "a starred expression", "JoinedStr": "an f-string", "Yield": "yield",
            "Await": "await", "NamedExpr": "the := operator"}.get(type(node).__name__,
                                                                  type(node).__name__)


def _in_place(value):
    """`value += v` writes into value's memory: an array of rank > 0 (a np.float64 or
    a Python number is rebound)."""
    return isinstance(value, Value) and value.type.kind == "array" and not value.type.weak \
        and value.type.shape != ()


def _augmented_arrays(lw, stmts, carried=None, args=()):
    """Names `n` of arrays a region updates with `n op= v` (a write into n's memory):
    arrays as the region begins, and a loop's variables that may be arrays in a later
    iteration (`s = 0.0` before the loop, `s += x` in it: in place from the second)."""
    later = {h for h, a in zip(carried.hints, args) if a.type.kind == "array"
             and not a.type.weak} if carried is not None else set()
    return {n.target.id for stmt in stmts for n in lw.marks(stmt)
            if isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name)
            and (_in_place(lw.env.get(n.target.id)) or n.target.id in later)}


def _whole(node):
    """The target `a[...]` of the AugAssign `a op= v`, placed where `a` is."""
    target = gast.Subscript(value=gast.Name(id=node.target.id, ctx=gast.Load(), annotation=None,
                                            type_comment=None),
                            slice=gast.Constant(value=Ellipsis, kind=None), ctx=gast.Store())
    for n in gast.walk(target):
        gast.copy_location(n, node.target)
    return target


def _op_symbol(op):
    return {"Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "Pow": "**", "MatMult": "@",
            "FloorDiv": "//", "Mod": "%", "BitAnd": "&", "BitOr": "|", "BitXor": "^", "LShift": "<<", "RShift": ">>",
            "Invert": "~", "Not": "not", "UAdd": "+", "USub": "-"}.get(type(op).__name__,
                                                                      type(op).__name__)


def _expr_text(parsed, node):
    loc = parsed.loc(node)
    line = loc.text
    end = getattr(node, "end_col_offset", None)
    if end is not None and getattr(node, "end_lineno", None) == node.lineno:
        return line[loc.col - 1:end + parsed.col_offset].strip() or "this"
    return "this"


_MARKED = tuple(S.MARKED)


def _assigned_names(lw, stmts):
    """Names bound by assignments anywhere in `stmts` (nested blocks included), in order."""
    out, seen = [], set()

    def add(t):
        if isinstance(t, gast.Name):
            if t.id not in seen:
                seen.add(t.id)
                out.append(t.id)
        elif isinstance(t, (gast.Tuple, gast.List)):
            for e in t.elts:
                add(e)

    for stmt in stmts:
        for n in lw.marks(stmt):
            if isinstance(n, gast.Assign):
                for t in n.targets:
                    add(t)
            elif isinstance(n, (gast.AugAssign, gast.AnnAssign)):
                add(n.target)
            elif isinstance(n, gast.For):
                add(n.target)
            elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
                base = n.value
                while isinstance(base, gast.Subscript):
                    base = base.value
                add(base)
    return out


def local_names(fn_node):
    """{name: its first binding node} for the names Python makes local to the
    function (assigned, augmented, a loop target, deleted or imported anywhere in
    its body, not declared global or nonlocal); nested functions, lambdas, classes
    and comprehensions are scopes of their own and are not looked into."""
    found, declared = {}, set()
    scopes = (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef, gast.Lambda,
              gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)

    def bind(name, node):
        old = found.get(name)
        if old is None or S._position(node) < S._position(old):
            found[name] = node
    todo = list(fn_node.body)
    ast_type, name_type, binding = gast.AST, gast.Name, (gast.Store, gast.Del)
    while todo:
        n = todo.pop()
        t = type(n)
        if t is name_type:
            if isinstance(n.ctx, binding):
                bind(n.id, n)
            continue
        if t in (gast.Global, gast.Nonlocal):
            declared.update(n.names)
            continue
        if t in (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef):
            bind(n.name, n)
            continue
        if t in scopes:
            continue
        if t in (gast.Import, gast.ImportFrom):
            for alias in n.names:
                bind((alias.asname or alias.name).split(".")[0], n)
        for f in S.child_fields(t):
            v = getattr(n, f, None)
            if isinstance(v, ast_type):
                todo.append(v)
            elif type(v) is list:
                todo.extend(x for x in v if isinstance(x, ast_type))
    return {k: v for k, v in found.items() if k not in declared}


def _returns_somewhere(node):
    return any(isinstance(n, gast.Return) for n in gast.walk(node))


def _check_loop_body(lowerer, body):
    for stmt in body:
        for n in lowerer.marks(stmt):
            if isinstance(n, gast.Return):
                lowerer.unsupported(n, "`return` inside a loop is not supported",
                                    "set a variable and `break`, then return after the loop")


# math.<name> of Python floats, lowered as the NumPy function of that name (the value is
# a NumPy float64 then, equal to math's). math's domain errors (math.sqrt(-1.0) raises,
# np.sqrt gives nan) are not reproduced: keep arguments in the domain.
_MATH = {"atan": "arctan", "asin": "arcsin", "acos": "arccos", "asinh": "arcsinh",
         "acosh": "arccosh", "atanh": "arctanh", "atan2": "arctan2", "radians": "deg2rad",
         "degrees": "rad2deg"}
_MATH_AS_NUMPY = frozenset({
    "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "log1p", "expm1", "sinh", "cosh",
    "arctan", "arcsin", "arccos", "arcsinh", "arccosh", "arctanh", "arctan2", "log2", "log10",
    "exp2", "cbrt", "fabs", "deg2rad", "rad2deg"})


class _Carried:
    """The variables a loop carries, each as its leaf values: a variable holding
    a tuple (`state = (x, v)`) is carried element by element, so no adjoint
    ever has to be a tuple."""

    def __init__(self, lowerer, names, node):
        self.lowerer, self.node = lowerer, node
        self.names = names
        self.shapes = {}            # name -> structure template (None for a leaf)
        self.inits, self.hints = [], []
        for n in names:
            template, leaves = _flatten(lowerer.env[n])
            self.shapes[n] = template
            for k, leaf in enumerate(leaves):
                if isinstance(leaf, Static):
                    lowerer.unsupported(node, f"{n!r} holds a static value and changes in the loop",
                                        "keep static values (dtypes, strings) out of loops")
                self.inits.append(lowerer.to_value(leaf, node))
                shown = lowerer.desugar.display.get(n, n)
                self.hints.append(shown if len(leaves) == 1 else f"{shown}_{k}")

    def bind(self, values):
        """(name, value or structure) pairs for the loop's region arguments."""
        out, it = [], iter(values)
        for n in self.names:
            out.append((n, _rebuild(self.shapes[n], it)))
        return out

    def rebuild(self, values):
        return dict(self.bind(values))

    def leaves(self, env):
        out = []
        for n in self.names:
            template, leaves = _flatten(env[n])
            if template != self.shapes[n]:
                self.lowerer.unsupported(self.node, f"the loop changes what {n!r} holds (a tuple "
                                         "of another length, or a tuple instead of an array)",
                                         "keep each loop variable's structure the same")
            out += [self.lowerer.to_value(leaf, self.node) for leaf in leaves]
        return out


def _flatten(v):
    """(template, leaves): a tuple/list structure and the values at its leaves."""
    if isinstance(v, (tuple, list)):
        parts = [_flatten(x) for x in v]
        return (type(v).__name__, tuple(p[0] for p in parts)), [leaf for p in parts for leaf in p[1]]
    return None, [v]


def _rebuild(template, it):
    if template is None:
        return next(it)
    kind, parts = template
    items = [_rebuild(p, it) for p in parts]
    return tuple(items) if kind == "tuple" else items
