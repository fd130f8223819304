"""Lowering a parsed function to SSA IR.

The environment maps each source variable to its current SSA value, or to a
Python tuple/list/dict of values (a tuple literal, the list `gradients` returns,
a pytree argument), which is only turned into a `tuple`/`list` op where a value
is needed.
Conditions on static values (constants, Python bool/int/str arguments) are
resolved here, so an `if` on them costs nothing at run time. Whatever is not
accepted raises `UnsupportedError` at its `file:line:col` with what to write
instead.

This file holds `lower`, `Module` and the core of `_Lowerer`: the driver, the
statement and expression dispatch, names, constants, operators, attributes,
subscripts, and values. The rest of its methods come from mixins, one file a
concern: assignments.py, branches.py, loops.py, calls.py (NumPy, math, builtins,
methods), user_calls.py (the user's own functions), trees.py (pytrees),
lists.py (lists built with append), numpy_spellings.py, gradients_call.py and
constants.py (and loop_returns.py, a `return` inside a loop); shared.py holds
what they share (`_MISSING`, `Static`, `_Return` and small helpers), imported
here so that `from .lower import Static` keeps working.
"""

import types

import gast
import numpy as np

from ..errors import UnsupportedError
from ..ir import opcodes
from ..ir import types as T
from ..ir.builder import Builder
from ..ir.core import Function, Region, Value, free_name
from . import loop_returns, pytrees, sequences, subscript
from . import source as S
from .assignments import _Assignments
from .branches import _Branches
from .calls import _MATH, _MATH_AS_NUMPY, Lambda, _Calls  # noqa: F401 (lower._MATH: custom.py, ops_doc.py)
from .constants import _Constants, _Object
from .desugar import Desugar
from .desugar import _name as desugar_name
from .gradients_call import _Gradients
from .lists import _Lists, is_append
from .loop_returns import Pending
from .loops import _Loops
from .numpy_spellings import _NumpySpellings
from .shared import (
    _LIST_METHODS,
    _MISSING,
    MaybeUnbound,
    Static,
    _describe,
    _expr_text,
    _flatten,
    _is_complex,
    _member_object,
    _op_symbol,
    _refuse_complex,
    _reject_list_method,
    _Return,
    add_at_target,
)
from .source import walk
from .trees import _Trees
from .user_calls import _UserCalls


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
        name = parsed.node.name  # (the names the function itself may take in the module)
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
        self.functions = {}  # key -> Function
        self.out_trees = {}  # key -> the treedef of what it returns, when a dict is in it
        self.names = {}  # key -> its name in the module
        self.active = []  # keys being lowered (a call to one of them is recursion)
        self.taken = set()
        self.customs = {}  # key -> the Custom (custom.py) called, under its names here
        self.prelude = {}  # module-level statements (imports, defs) the calls need, in order
        self.bound = {"np": "import numpy as np"}  # name -> the statement binding it

    def name_for(self, key, base):
        if key not in self.names:
            self.names[key] = free_name(base, self.taken)
        return self.names[key]


class _Lowerer(
    _Assignments,
    _Branches,
    _Loops,
    _Calls,
    _UserCalls,
    _Trees,
    _NumpySpellings,
    _Gradients,
    _Constants,
    _Lists,
):
    """One function's lowering: the core here, the rest in the mixins' files."""

    def __init__(self, parsed, arg_types, decorated, module, callee=False, numbers=()):
        self.p = parsed
        self.arg_types = arg_types
        self.decorated = decorated
        self.module = module
        self.callee = callee  # a helper called by the function being differentiated
        self.params = {}  # its parameters' values, in order (a dict: an ordered set)
        self.b = Builder()
        self.env = {}
        self._stmt_bound = set()
        self._stmt_literals = set()  # the constants this statement's literals gave
        self.maybe_undefined = {}  # name -> the `if` after which it may be unbound
        self.static_unbound = {}  # name -> an `if` of a constant test whose other branch binds it
        self.desugar = Desugar(taken=set(parsed.names))
        self._marks = dict(parsed.statement_marks)  # id(stmt) -> (stmt, its marked nodes)
        self.local_names = parsed.local_names  # name -> where the function first binds it
        self.region_depth = 0  # regions (loop bodies, run-time branches) being lowered
        self.checkpointed = set()  # the range() calls of `s2sgrad.checkpointed(range(...))`
        self.numbers = set(numbers)  # parameters the caller passes numbers to (not arrays)
        self.pending_returns = {}  # `_resultN` of a loop with a `return` -> [its first
        # return, whether one was lowered]
        self.lambdas_active = []  # the lambdas being inlined (a call of one is recursion)
        self.module_arrays = {}  # id of a module array's value -> (name, what it is,
        # the value: held, so that its id is never reused)
        self.augmented = set()  # ids of the arrays (parameters, a loop's variables)
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
            self.unsupported(
                node,
                "positional-only parameters (a `/` in the parameter list) are not supported",
                "remove the `/`",
            )
        if a.vararg or a.kwarg or a.kwonlyargs:
            self.unsupported(
                node,
                "*args, **kwargs and keyword-only parameters are not supported",
                "list every parameter by name",
            )
        for arg in a.args:
            if arg.id in ("np", "math"):
                # (the generated module calls NumPy `np` and the math module `math`; a
                # parameter of that name would hide them in the generated function)
                module = "NumPy (`import numpy as np`)" if arg.id == "np" else "`math`"
                self.unsupported(
                    arg,
                    f"the parameter name {arg.id!r} is the name generated modules give "
                    f"{module}, which it would hide",
                    f"rename the parameter (`{arg.id}_`, say)",
                )
            if arg.id in opcodes.HELPERS:
                self.unsupported(
                    arg,
                    f"the parameter name {arg.id!r} is the name of a function "
                    "s2sgrad writes into generated modules, which it would hide",
                    "rename the parameter",
                )
        params, names, entry = [], [], []
        self.b.loc = self.p.loc(node)
        args = a.args
        if self.p.bound_self is not None:  # a bound method: `self` is its object
            self.env[args[0].id] = Static(_Object(self.p.bound_self, args[0].id))
            args = args[1:]
        taken = set(self.p.names) | {arg.id for arg in a.args}
        for arg in args:
            name = arg.id
            t = self.arg_types.get(name, T.UNKNOWN)
            if isinstance(t, pytrees.Tree):  # its leaves are parameters of their own
                entry.append(self.tree_parameter(arg, name, t, taken, params, names))
                continue
            params.append(self.parameter(arg, name, t, name in self.numbers, repr(name)))
            names.append(name)
            entry.append((name, None, 1))
        result = None
        try:
            self.block(node.body)
        except _Return as r:
            result = r.value
        self.b.loc = self.p.loc(node.body[-1]) if node.body else self.b.loc
        out, out_tree = self.returned(result, node)
        body = Region((), tuple(self.b.ops), (out,))
        signature = tuple(self.signature_item(arg.id) for arg in args)
        writes = tuple(k for k, v in enumerate(params) if id(v) in self.augmented)
        return Function(
            node.name,
            tuple(params),
            tuple(names),
            body,
            self.p.file,
            signature,
            writes=writes,
            out_tree=out_tree,
            entry=tuple(entry) if any(e[1] is not None for e in entry) else (),
            defaults=() if self.callee else self.kept_defaults(),
        )

    def parameter(self, arg, name, t, number, what):
        """The IR parameter `name` of type t (a Static: a constant of the specialisation,
        bound to its literal), bound in the environment."""
        if isinstance(t, Static):
            v = Value(name, T.of_python(t.value))
            self.env[name] = self.b.const(t.value)  # written as its literal
        else:
            if _is_complex(t.dtype):
                _refuse_complex(self, arg, f"the argument {what} is {t}")
            v = Value(name, t)
            self.b.note_shape(v)
            self.env[name] = v
            if number:  # the caller passes a number, never a 0-d array
                self.b.numbers.add(v)
        self.params[v] = None
        return v

    def signature_item(self, n):
        t = self.arg_types.get(n, T.UNKNOWN)
        if isinstance(t, Static):
            return f"{n}={t.value!r}"
        if isinstance(t, pytrees.Tree):
            return f"{n}: {pytrees.signature_text(t)}"
        return f"{n}: {t}"

    # -- statements ---------------------------------------------------------------

    def block(self, stmts):
        for i, stmt in enumerate(stmts):
            if type(stmt) in (gast.For, gast.While) and loop_returns.returns_in(stmt):
                self.b.loc = self.p.loc(stmt)
                loop_returns.lower_returning_loop(self, stmt, stmts[i + 1 :])
                return
            if isinstance(stmt, gast.If) and _returns_somewhere(stmt):
                self.b.loc = self.p.loc(stmt)
                test = self.static_of(self.expr(stmt.test))
                if test is _MISSING:
                    self.b.loc = self.p.loc(stmt)
                    raise _Return(self.if_returning(stmt, stmts[i + 1 :]))
                # resolved at transform time: the branch taken, then what follows the `if`,
                # as one block (a `return` in a runtime `if` inside it must see the rest)
                self.block(list(stmt.body if test else stmt.orelse) + list(stmts[i + 1 :]))
                return
            self.stmt(stmt, first=(i == 0))

    def stmt(self, node, first=False):
        self.b.loc = self.p.loc(node)
        self._stmt_start = (self.b, len(self.b.ops))  # ops made by this statement follow
        self._stmt_bound = set()  # values it bound to names (rename)
        self._stmt_literals = set()
        meth = getattr(self, "stmt_" + type(node).__name__, None)
        if meth is None:
            self.unsupported(
                node,
                f"the {_describe(node)} statement is not supported",
                _STMT_HINTS.get(
                    type(node).__name__, "`s2sgrad help limitations` lists what s2sgrad accepts"
                ),
            )
        meth(node, first)

    def stmt_Pass(self, node, first):
        pass

    def stmt_Assert(self, node, first):
        """`assert test, "message"`: nothing where the test is true at transform time
        (shapes, dtypes, static arguments), else a check where the source has it, raising
        Python's AssertionError where the test is false (`_assert(test, "message")`)."""
        message = ()
        if isinstance(node.msg, (gast.Constant, gast.Name)):  # (a literal, or a constant)
            message = (self.static_of(self.expr(node.msg)),)
        elif node.msg is not None:
            message = (None,)  # (an f-string, a call: refused below)
        if message and not isinstance(message[0], str):
            self.unsupported(
                node.msg,
                "the message of an assert is a string known at transform time here",
                'assert test, "what went wrong"',
            )
        test = self.expr(node.test)
        static = self.static_of(test)
        if static is not _MISSING and not isinstance(static, (tuple, list)):
            if static:
                return
            test = self.b.const(False)  # (false at transform time: raises where the source
            # would)
        test = self.to_value(test, node.test)
        if not (test.type.kind == "array" and test.type.rank == 0):
            self.unsupported(
                node.test,
                f"the test of an assert is a scalar here, not {test.type} (NumPy raises "
                "for the truth of an array of more than one element)",
                "assert np.all(x > 0), or test a number",
            )
        self.b.emit("check_assert", test, **({"message": message[0]} if message else {}))

    def add_at(self, node):
        """Statement `np.add.at(y, idx, v)` of a named array y: y's elements at idx get v
        added, once for each time idx names them (unbuffered: repeated indices add up), as
        a write into y (`y[idx] += v` but for the repeats). True when node is one."""
        if add_at_target(node) is None:
            return False
        call = node.value
        m = self.p.resolver.lookup(_dotted_name(call.func).split(".")[0])
        if len(call.args) != 3 or call.keywords or m is None or m.module != "numpy":
            return False
        target = gast.copy_location(
            gast.Subscript(value=call.args[0], slice=call.args[1], ctx=gast.Store()), call
        )
        value = self.expr(call.args[2])
        y, v = self.env.get(call.args[0].id), self.to_value(value, call.args[2])
        if (
            isinstance(y, Value)
            and y.type.kind == "array"
            and y.type.dtype is not None
            and v.type.dtype is not None
            and np.dtype(y.type.dtype).kind in "biu"
            and np.dtype(v.type.dtype).kind != np.dtype(y.type.dtype).kind
        ):  # (NumPy adds, then casts each sum unsafely: a kind s2sgrad's `y[k] += v` refuses)
            self.unsupported(
                call,
                f"np.add.at into an array of {y.type.dtype} of a value of {v.type.dtype} is "
                "not supported (NumPy casts each sum back unsafely)",
                "add values of the array's own dtype (`v.astype(y.dtype)` rounds before "
                "adding, not after), or make the array a float one",
            )
        subscript.write(self, target, value, node=call, accumulate=True)
        return True

    def stmt_Expr(self, node, first):
        if first and isinstance(node.value, gast.Constant) and isinstance(node.value.value, str):
            return  # docstring
        call = node.value
        if is_append(call) and call.func.value.id in self.env:
            self.list_append(call)
            return
        if (
            isinstance(call, gast.Call)
            and isinstance(call.func, gast.Attribute)
            and call.func.attr in _LIST_METHODS
        ):
            _reject_list_method(self, call)
        if (
            isinstance(call, gast.Call)
            and isinstance(call.func, gast.Attribute)
            and isinstance(call.func.value, gast.Name)
            and call.func.value.id in self.env
        ):
            base = self.expr(call.func.value)
            if isinstance(base, Value) and base.type.kind == "rng":
                self.draw(base, call.func.attr, call)  # (a draw advances the generator)
                return
        if self.add_at(node):
            return
        if isinstance(call, gast.Call) and (
            any(k.arg == "out" for k in call.keywords) or _writes_in_place(call.func)
        ):
            what = _dotted_name(call.func) or "this call"
            self.unsupported(
                node,
                f"{what}(...) writes into an array in place, as a statement; s2sgrad reads "
                "a NumPy function's `out=` only as `np.f(v, out=v)` of one operand or as "
                "`r = np.f(a, b, out=v)`, and no other in-place NumPy function",
                "write the update as an assignment: `v = np.maximum(a, b)`, `v[...] = "
                "np.f(a, b)`, `a[i] += x`, or np.add.at(a, idx, x) of a named array `a`",
            )
        self.unsupported(
            node,
            "an expression statement has no effect s2sgrad can differentiate",
            "assign its value to a variable, or remove it (print and other side "
            "effects are not supported)",
        )

    def stmt_Return(self, node, first):
        value = self.expr(node.value) if node.value is not None else None
        if any(isinstance(v, Value) and v.type.kind == "dynlist" for v in _flatten(value)[1]):
            self.unsupported(
                node,
                "returning a list built with append is not supported",
                "return np.stack(out) (or np.array(out)), or a tuple of its items",
            )
        raise _Return(value)

    # -- expressions --------------------------------------------------------------

    def expr(self, node):
        meth = getattr(self, "expr_" + type(node).__name__, None)
        if meth is None:
            self.unsupported(
                node,
                f"{_describe(node)} is not supported",
                _EXPR_HINTS.get(
                    type(node).__name__, "use NumPy calls, arithmetic operators and plain names"
                ),
            )
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
            v = self.env[node.id]
            if not isinstance(v, MaybeUnbound):
                return v
            if isinstance(v.value, Pending):  # (read before the loop that assigns it)
                self.unsupported(
                    node,
                    f"{node.id!r} is unbound here: it is first assigned in the loop at "
                    f"line {self.p.loc(v.loop).line}",
                    f"assign {node.id!r} before it is read",
                )
            checked = self.read_index(v, node)
            if v.depth == self.region_depth:  # (what follows this read in its region runs
                self.env[node.id] = checked  # only where the check passed: the name is
                self._stmt_bound.add(checked)  # bound there, one value: `gradients(s, [y])`
            return checked  # is that y; bound, it keeps its hint: `rename`)
        if node.id in self.maybe_undefined:
            where = self.maybe_undefined[node.id]
            self.unsupported(
                node,
                f"{node.id!r} may be undefined here: only one branch of the "
                f"`if` at line {where.line} assigns it",
                "assign it before the `if`, or in both branches",
            )
        bound = self.local_names.get(node.id)
        where = self.static_unbound.get(node.id)
        if where is not None and bound is not None:
            self.unsupported(
                node,
                f"{node.id!r} is unbound here for these arguments: the `if` at line "
                f"{where.line} that may assign it has a test known when transformed (a "
                "static argument's), and takes the branch that does not, so Python raises "
                "UnboundLocalError where this read runs",
                f"assign {node.id!r} before the `if` at line {where.line}, or in each of its "
                "branches",
            )
        if bound is not None and (bound.lineno, bound.col_offset) < (node.lineno, node.col_offset):
            self.unsupported(
                node,
                f"{node.id!r} may be unassigned here: it is first assigned "
                f"in a loop or branch above (line {self.p.loc(bound).line}), and "
                "s2sgrad checks whether a loop bound a name only where the function "
                "reads it first after that loop (not after an `if` outside any loop, nor "
                "after a later assignment in the text), and needs it assigned before "
                "that loop or branch otherwise",
                f"assign {node.id!r} before that loop or branch (`{node.id} = 0`)",
            )
        if bound is not None:  # Python's scoping: a name assigned anywhere in the function
            self.unsupported(  # is local throughout it, never the module's global
                node,
                f"{node.id!r} is read here before any assignment to it runs: it is a "
                f"local variable of {self.p.node.name} (assigned at line "
                f"{self.p.loc(bound).line}), and Python raises UnboundLocalError when a read "
                "comes first; s2sgrad needs a local variable assigned before its first read "
                "(in a loop: before the loop)",
                f"assign {node.id!r} before this line (or "
                "before the loop), or give the local variable another name",
            )
        m = self.p.resolver.lookup(node.id)
        if m is not None and m.kind == "opaque":
            self.unsupported(node, *m.value)
        if m is None and node.id in _BUILTIN_DTYPES:  # x.astype(float), dtype=int
            return Static(S.Meaning("member", "numpy", _BUILTIN_DTYPES[node.id]))
        if m is None and node.id in ("zip", "enumerate", "range", "reversed"):
            self.unsupported(
                node,
                f"the builtin {node.id}() is supported only as the iterable "
                "of a for loop (`for a, b in zip(xs, ys):`, `for i, v in "
                "enumerate(xs):`, `for v in reversed(xs):`), not nested in another call "
                "or written elsewhere",
                "loop over range(len(xs)) and index: `for i in range(len(xs)): "
                "a, b = xs[i], ys[i]`",
            )
        if m is None and node.id in _PY_BUILTINS:
            self.unsupported(
                node,
                f"the builtin {node.id}() is not supported in differentiated code",
                "the builtins s2sgrad supports are len, float, int, abs, min, max, sum, "
                "round, pow, range, zip, enumerate and reversed; decide type checks "
                "(isinstance) and string building (str, f-strings) outside the function, "
                "and pass what they give as arguments",
            )
        if m is None:
            self.unsupported(
                node,
                f"name {node.id!r} is not defined in the function or resolvable from its module",
                "pass it as an argument; module globals may be numpy, math, s2sgrad, "
                "numeric constants and NumPy arrays",
            )
        if m.kind == "const":
            if isinstance(m.value, str):
                return Static(m.value)
            if isinstance(m.value, complex):
                _refuse_complex(self, node, f"{node.id!r} is a complex number")
            return self.b.const(m.value, hint=node.id)
        if m.kind == "array":
            return self.module_array(node, node.id, m.value)
        if m.kind in ("module", "member", "extmodule", "extern", "custom"):
            return Static(m)
        self.unsupported(
            node,
            f"calling or using the function {node.id!r} is not supported yet",
            "inline its body into this function",
        )

    def expr_Name(self, node):
        return self.name(node)

    def expr_Tuple(self, node):
        return tuple(self.expr(e) for e in node.elts)

    def expr_List(self, node):
        return [self.expr(e) for e in node.elts]

    def expr_BinOp(self, node):
        opname = type(node.op).__name__
        if opname not in opcodes.BINOPS:
            self.unsupported(
                node,
                f"the operator {_op_symbol(node.op)} is not supported",
                "use + - * / ** @ // %",
            )
        left = self.operand(node.left)
        right = self.operand(node.right)
        return self.binop(opcodes.BINOPS[opname], left, right, node)

    def binop(self, opcode, left, right, node, hint=None):
        for v in (left, right):
            if sequences.is_sequence(v):
                symbol = opcodes.OPS[opcode].form[1]
                self.unsupported(
                    node,
                    f"{symbol} on a tuple or list is Python's sequence "
                    "arithmetic (joining, repeating), not NumPy's",
                    f"make it an array first: np.array([a, b]) {symbol} v",
                )
        left, right = self.to_value(left, node), self.to_value(right, node)
        if opcode == "pow" and all(
            v.type.weak is True and v.type.is_integer for v in (left, right)
        ):
            # Python's int ** int is a float for a negative exponent (2 ** -1 is 0.5)
            e = self.static_of(right)
            if isinstance(e, int) and e < 0:
                left = self.b.pyfloat(left)
        return self.b.emit(opcode, left, right, hint=hint)

    def expr_UnaryOp(self, node):
        opname = type(node.op).__name__
        operand = self.operand(node.operand)
        if opname == "UAdd":  # a new array (np.positive), a number unchanged
            if (
                isinstance(operand, Value)
                and operand.type.kind == "array"
                and not operand.type.weak
            ):
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
        if opname == "Invert" and isinstance(operand, Value):
            t = operand.type  # (`~mask` of a boolean array: np.logical_not, its values)
            if t.kind == "array" and t.dtype == "bool" and not t.weak:
                return self.b.emit("logical_not", operand)
        self.unsupported(
            node,
            f"the operator {_op_symbol(node.op)} is not supported"
            + (" here (of a boolean array only)" if opname == "Invert" else ""),
            "use -x" if opname != "Invert" else "np.logical_not(mask), or np.invert(k)",
        )

    def expr_Compare(self, node):
        if len(node.ops) != 1:
            # `a < b < c` is `a < b and b < c`, b evaluated once and c only if a < b holds:
            # a and the first middle operand (which Python always evaluates) are named
            # first; a later middle one must be a plain read (a name, an attribute, a
            # subscript by names: read twice here, the same value)
            left, middle = node.left, list(node.comparators[:-1])
            if not all(_plain_read(m) for m in middle[1:]):
                self.unsupported(
                    node,
                    "a chained comparison is supported with a name, a constant, an "
                    "attribute or a subscript of a name after its second operand",
                    "name the operand first: `m = f(x)`, then `a < b < m < c`",
                )
            named = []
            for e in (left, middle[0]):
                if not _plain_read(e):
                    tmp = self.desugar.fresh("cmp")
                    self.env[tmp] = self.expr(e)
                    e = desugar_name(tmp, e)
                named.append(e)
            left, middle = named[0], [named[1]] + middle[1:]
            parts = [
                gast.copy_location(gast.Compare(left=a, ops=[o], comparators=[c]), node)
                for a, o, c in zip([left] + middle, node.ops, middle + [node.comparators[-1]])
            ]
            return self.expr(gast.copy_location(gast.BoolOp(op=gast.And(), values=parts), node))
        opname = type(node.ops[0]).__name__
        left, right = self.operand(node.left), self.operand(node.comparators[0])
        if (
            opname in ("Is", "IsNot", "In", "NotIn")
            or (isinstance(left, Static) and isinstance(right, Static))
            or any(isinstance(self.static_of(v), str) for v in (left, right))
            and self.static_of(left) is not _MISSING
            and self.static_of(right) is not _MISSING
        ):
            ls, rs = (_comparable(self.static_of(v)) for v in (left, right))
            if opname in ("Is", "IsNot") and None in (ls, rs) and _MISSING in (ls, rs):
                v = self.to_value(left if ls is _MISSING else right, node)
                t = v.type  # (`w is None` of a value known to be None or not: known here;
                # a value None on one path and an array on another is of no known kind)
                if t.kind != "array" or t.dtype is not None:  # (UNKNOWN: dtype None)
                    known = t.kind == "none"
                    return Static(known if opname == "Is" else not known)
                self.unsupported(
                    node,
                    "`is None` of a value that may be None on one path and an array or a "
                    "number on another is not supported (s2sgrad's code needs one kind of "
                    "value in a variable)",
                    "give the variable a value on every path and keep a flag "
                    "(`v = np.zeros_like(x); has_v = False`)",
                )
            if ls is _MISSING or rs is _MISSING:
                self.unsupported(
                    node,
                    "`is`/`in` on runtime values is not supported",
                    "compare static (Python) values only",
                )
            import operator

            fn = {
                "Is": operator.is_,
                "IsNot": operator.is_not,
                "In": lambda a, b: a in b,
                "NotIn": lambda a, b: a not in b,
                "Eq": operator.eq,
                "NotEq": operator.ne,
                "Lt": operator.lt,
                "LtE": operator.le,
                "Gt": operator.gt,
                "GtE": operator.ge,
            }[opname]
            return self.b.const(fn(ls, rs))
        return self.b.emit(
            opcodes.CMPOPS[opname], self.to_value(left, node), self.to_value(right, node)
        )

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
            if bool(s) != is_and:  # `False and ...`, `True or ...`: decided
                return first
            return self.expr(rest) if len(node.values) > 2 else self.expr(node.values[1])
        cond = self.condition(first, node.values[0])
        later = (
            (lambda: self.expr(rest))
            if len(node.values) > 2
            else (lambda: self.expr(node.values[1]))
        )
        keep = lambda: first  # noqa: E731
        return self.choice(cond, node, later if is_and else keep, keep if is_and else later)

    def expr_Attribute(self, node):
        base = self.expr(node.value)
        if isinstance(base, Static) and isinstance(base.value, _Object):
            return self.object_attr(base.value, node)
        if isinstance(base, Static):
            return self.static_attr(base, node)
        if isinstance(base, Value) and base.type.kind == "array":
            opcode = opcodes.ATTRIBUTES.get(node.attr)
            if opcode is not None:
                return self.emit_call(opcode, [base], {}, node)
            if node.attr == "ndim" and base.type.rank is not None:
                return self.b.const(base.type.rank)
            if node.attr == "dtype" and base.type.dtype is not None and base.type.weak is False:
                return Static(np.dtype(base.type.dtype))  # (known for the specialisation)
        self.unsupported(
            node,
            f"the attribute .{node.attr} is not supported",
            "use x.T, x.shape, or the np function",
        )

    def static_attr(self, base, node):
        m = base.value
        if isinstance(m, _Object):
            return self.object_attr(m, node)
        if isinstance(m, type(None)) or not hasattr(m, "kind"):
            return Static(getattr(m, node.attr))
        if m.kind == "module":
            if m.module == "s2sgrad":
                import s2sgrad

                obj = getattr(s2sgrad, node.attr, _MISSING)
                if obj is _MISSING:
                    self.unsupported(
                        node, f"s2sgrad has no attribute {node.attr!r}", "see s2sgrad.__all__"
                    )
                if node.attr in ("gradients", "stop_gradient", "checkpointed"):
                    return Static(type(m)("member", "s2sgrad", node.attr))
                return Static(obj)
            mod = np if m.module == "numpy" else __import__("math")
            obj = getattr(mod, node.attr, _MISSING)
            if obj is _MISSING:
                self.unsupported(
                    node, f"{m.module} has no attribute {node.attr!r}", "check the name"
                )
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
        if m.kind == "extmodule":  # a module s2sgrad does not know: its functions are
            return Static(S.ext_member(m, node.attr))  # called as they are (externs.py)
        self.unsupported(node, f"the attribute .{node.attr} is not supported", "check the name")

    def expr_Subscript(self, node):
        base = self.expr(node.value)
        if type(base) is dict:
            return self.dict_item(base, node)
        is_sequence = (
            isinstance(base, (tuple, list))
            or isinstance(base, Value)
            and base.type.kind in ("tuple", "list")
        )
        idx = self.static_of(self.expr(node.slice)) if is_sequence else _MISSING
        if isinstance(idx, int):
            n = (
                len(base)
                if isinstance(base, (tuple, list))
                else len(base.type.items)
                if base.type.items is not None
                else None
            )
            if n is not None and not -n <= idx < n:
                kind = type(base).__name__ if isinstance(base, (tuple, list)) else base.type.kind
                self.unsupported(
                    node,
                    f"index {idx} is out of range for a {kind} of {n} "
                    f"item{'s' if n != 1 else ''} "
                    "(Python raises IndexError if this line runs)",
                    "index within the tuple, or keep code for other ranks out of this function",
                )
        if isinstance(base, (tuple, list)) and isinstance(idx, int):
            return base[idx]
        if isinstance(base, Value) and base.type.kind in ("tuple", "list") and isinstance(idx, int):
            return self.b.getitem(base, index=idx)
        if isinstance(base, Value) and base.type.kind == "array":
            return subscript.read(self, node, base)
        if isinstance(base, Value) and base.type.kind == "dynlist":
            return self.list_item(
                node,
                base,
                self.to_value(self.expr(node.slice), node.slice)
                if not isinstance(node.slice, gast.Slice)
                else None,
            )
        self.unsupported(
            node,
            "indexing a tuple or list needs a constant integer index",
            "write the index as a literal or a Python int argument, or index an "
            "array: np.array(pair)[i]",
        )

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
        if type(v) is dict:
            self.unsupported(
                node,
                f"{_expr_text(self.p, node)} is a dict, which s2sgrad "
                "resolves at transform time (a pytree): it is not a value here",
                "read its items (params['W1']), or return it from the function",
            )
        if isinstance(v, Static):
            if v.value is None or isinstance(v.value, str):
                return self.b.const(v.value)
            if isinstance(v.value, Lambda):
                self.unsupported(
                    node,
                    f"{_expr_text(self.p, node)} is a lambda: s2sgrad "
                    "inlines a lambda where it is called, and using it otherwise "
                    "(passed to a function, returned, stored, changed in a loop "
                    "or a branch) is not supported",
                    "call it here, or define a "
                    "def at module level and pass what it reads as arguments",
                )
            self.unsupported(
                node,
                f"{_expr_text(self.p, node)} is not a value s2sgrad can use here",
                "use arrays, numbers, tuples and lists",
            )
        if isinstance(v, MaybeUnbound):
            self.unbound_refusal(v, node)
        self.unsupported(node, "not a value", "use arrays, numbers, tuples and lists")

    def unbound_refusal(self, v, node):
        if v.kind == "branch":
            line = self.p.loc(v.loop).line
            self.unsupported(
                node,
                f"{v.name!r} may be unbound here (only one branch of the `if` at line {line} "
                "assigns it, and nothing bound it before), and a loop or branch here changes it",
                f"assign {v.name!r} before the `if` at line {line} (`{v.name} = 0`)",
            )
        self.unsupported(
            node,
            f"{v.name!r} may be unbound here (it is "
            f"{'the index of' if v.kind == 'index' else 'first assigned in'} the "
            f"{'while' if isinstance(v.loop, gast.While) else 'for'} "
            f"loop at line {self.p.loc(v.loop).line}, which may run no time, and "
            "nothing bound it before that loop), and a loop or branch here "
            "changes it",
            f"assign {v.name!r} before the loop at line {self.p.loc(v.loop).line} (`{v.name} = 0`)",
        )


_PY_BUILTINS = frozenset(n for n in dir(__import__("builtins")) if not n.startswith("_"))

_STMT_HINTS = {
    "FunctionDef": "define the function at module level and pass the values it reads as "
    "arguments (closures over local values are not supported)",
    "ClassDef": "define classes outside the differentiated function",
    "With": "move the with block outside the differentiated function",
    "Try": "move error handling outside the differentiated function",
    "Raise": "check inputs before calling the differentiated function",
    "Import": "import at module level",
    "ImportFrom": "import at module level",
    "Global": "pass the value as an argument and return the new one",
    "Nonlocal": "pass the value as an argument and return the new one",
    "Delete": "leave the variable unused instead",
}


_EXPR_HINTS: dict = {}


# the builtin types as dtypes, as NumPy reads them (float -> float64, int -> int64)
_BUILTIN_DTYPES = {"float": "float64", "int": "int64", "bool": "bool_"}


_MARKED = tuple(S.MARKED)


def _plain_read(node):
    """node reads a value and does nothing else: a name, a constant, an attribute or a
    subscript (by names and constants) of one."""
    if isinstance(node, (gast.Name, gast.Constant)):
        return True
    if isinstance(node, gast.Attribute):
        return _plain_read(node.value)
    if isinstance(node, gast.Subscript):
        return _plain_read(node.value) and all(
            isinstance(n, (gast.Name, gast.Constant, gast.Tuple, gast.Slice, gast.Load))
            or isinstance(n, gast.UnaryOp)
            and isinstance(n.operand, gast.Constant)
            or isinstance(n, (gast.USub, gast.UAdd))
            for n in gast.walk(node.slice)
        )
    return False


def _comparable(value):
    """A static value as a comparison reads it: NumPy's scalar types by name (np.float32,
    and `float`, resolved as np.float64) as the types, so that `x.dtype == np.float32`
    is NumPy's answer (a dtype equals its scalar type)."""
    if (
        isinstance(value, S.Meaning)
        and value.kind == "member"
        and value.module == "numpy"
        and isinstance(getattr(np, value.name or "", None), type)
        and issubclass(getattr(np, value.name), np.generic)
    ):
        return getattr(np, value.name)
    return value


def local_names(fn_node):
    """{name: its first binding node} for the names Python makes local to the
    function (assigned, augmented, a loop target, deleted or imported anywhere in
    its body, not declared global or nonlocal); nested functions, lambdas, classes
    and comprehensions are scopes of their own and are not looked into."""
    found, declared = {}, set()
    scopes = (
        gast.FunctionDef,
        gast.AsyncFunctionDef,
        gast.ClassDef,
        gast.Lambda,
        gast.ListComp,
        gast.SetComp,
        gast.DictComp,
        gast.GeneratorExp,
    )

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


# NumPy functions that write into an argument (refused as statements, named so)
_IN_PLACE = frozenset({"fill_diagonal", "copyto", "put", "place", "putmask", "put_along_axis"})


def _dotted_name(func):
    """`np.add.at` of a call's function written as attributes of names, else None."""
    parts = []
    while isinstance(func, gast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name):
        return None
    return ".".join([func.id] + parts[::-1])


def _writes_in_place(func):
    """`np.add.at(...)`, `np.fill_diagonal(...)`: a NumPy call that writes into an argument."""
    name = _dotted_name(func) or ""
    return name.endswith(".at") or name.split(".")[-1] in _IN_PLACE
