"""Calls, for the lowerer (_Lowerer in lower.py): the dispatch of a call (a
builtin, a NumPy, math or s2sgrad function, a method, an extern or custom
function; a call to a user function is lower.py's call_user), binding arguments
by an opcode's parameters, and emitting the op. The NumPy functions written
with several ops are numpy_spellings.py's; s2sgrad.gradients(...) is
gradients_call.py's.
"""

import gast

from ..ir import opcodes
from ..ir.core import TEMP, Value
from . import externs, sequences, subscript
from .shared import _MISSING, Static, _dtype_name, _expr_text, _reject_list_method


class Lambda:
    """A `lambda` of the function being lowered (its syntax tree): called, it is inlined."""

    def __init__(self, node):
        self.node = node


class _Calls:
    """The calls of _Lowerer (lower.py)."""

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
            if m is not None and m.kind == "op":  # a generated module's helper
                operands, attrs = self.bind(
                    m.name,
                    [self.expr(a) for a in node.args],
                    node.keywords,
                    node,
                    f"{node.func.id}()",
                )
                return self.b.emit(m.name, *operands, **attrs)
        func = self.expr(node.func) if not isinstance(node.func, gast.Attribute) else None
        if isinstance(func, Static) and isinstance(func.value, Lambda):
            return self.call_lambda(func.value, node)
        if isinstance(node.func, gast.Attribute):
            base = self.expr(node.func.value)
            if type(base) is dict:
                return self.dict_method(base, node)
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
            if m.kind == "function":  # a method of a bound method's
                return self.call_user(m, node)  # object (`self.helper(x)`)
            if m.kind in ("extern", "extmodule"):  # (the CLI reads an unknown
                return externs.named_call(self, m.name, node)  # module's members as modules)
        self.unsupported(
            node,
            f"calling {_expr_text(self.p, node.func)} is not supported",
            "call NumPy functions (np.exp, np.sum, ...) or s2sgrad.gradients",
        )

    def expr_Lambda(self, node):
        """`lambda v: ...`: a function value that is only ever called, inlined at each
        call (`call_lambda`)."""
        a = node.args
        if a.defaults or a.kw_defaults and any(d is not None for d in a.kw_defaults):
            self.unsupported(
                node,
                "default values in a lambda are not supported",
                "pass every argument at the call, or write a def at module level",
            )
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
            self.unsupported(
                node,
                "*args, **kwargs, keyword-only and positional-only "
                "parameters of a lambda are not supported",
                "name every parameter: lambda a, b: ...",
            )
        return Static(Lambda(node))

    def call_lambda(self, lam, node):
        """A call of a lambda, inlined: its parameters bound to the arguments in a copy of
        the environment of the call, where its other names read the function's variables
        as they are when it is called (Python's late binding), or the module's."""
        params = [p.id for p in lam.node.args.args]
        where = f"the lambda at line {self.p.loc(lam.node).line}"
        if any(isinstance(a, gast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            self.unsupported(
                node, f"*args or **kwargs in a call of {where}", "pass its arguments one by one"
            )
        if len(node.args) > len(params):
            self.unsupported(
                node,
                f"{where} takes {len(params)} argument"
                f"{'s' if len(params) != 1 else ''}; "
                f"this call passes {len(node.args)}",
                "check the call",
            )
        bound = dict(zip(params, (self.expr(a) for a in node.args)))
        for k in node.keywords:
            if k.arg not in params or k.arg in bound:
                self.unsupported(
                    node,
                    f"{where} got an unexpected or repeated keyword {k.arg!r}",
                    f"its parameters: {', '.join(params)}",
                )
            bound[k.arg] = self.expr(k.value)
        missing = [p for p in params if p not in bound]
        if missing:
            self.unsupported(node, f"{where} is missing the argument {missing[0]!r}", "pass it")
        if lam in self.lambdas_active:
            self.unsupported(
                node,
                f"{where} calls itself (recursion), which is not supported",
                "write the recursion as a loop",
            )
        saved = self.env
        self.env = dict(saved)
        self.env.update(bound)
        self.lambdas_active.append(lam)
        try:
            out = self.expr(lam.node.body)
        finally:
            self.env = saved
            self.lambdas_active.pop()
        if isinstance(out, Static) and isinstance(out.value, Lambda):
            self.unsupported(
                node,
                f"{where} returns a lambda, which is not supported",
                "call the inner function where it is made",
            )
        return out

    def builtin(self, name, node):
        """The Python builtins a NumPy user writes: len, float, abs, min/max of two."""
        if name == "sum" and len(node.args) == 1 and isinstance(node.args[0], gast.GeneratorExp):
            args = [self.generator_sum(node.args[0], node)]
        else:
            args = [self.expr(a) for a in node.args]
        keywords = node.keywords
        if name == "round" and [k.arg for k in keywords] == ["ndigits"] and len(args) == 1:
            args.append(self.expr(keywords[0].value))  # round(v, ndigits=2)
            keywords = []
        if keywords:
            self.unsupported(
                node,
                f"{name}() with keyword arguments is not supported",
                "pass positional arguments",
            )
        if name == "sum" and len(args) == 1 and isinstance(args[0], (tuple, list)) and args[0]:
            args = [self.as_dynlist_value(args[0], node)]  # sum([a, b]): 0 + a + b
        if (
            len(args) == 1
            and isinstance(args[0], Value)
            and args[0].type.kind == "dynlist"
            and name in ("len", "sum")
        ):
            if name == "len":
                return self.list_length(args[0])
            return self.b.list_sum(args[0], self.list_length(args[0]), hint=TEMP)
        if name == "len" and len(args) == 1 and type(args[0]) in (dict, list, tuple):
            return self.b.const(len(args[0]))  # (a pytree's length is static)
        if name == "len" and len(args) == 1:
            v = self.to_value(args[0], node)
            if v.type.kind in ("tuple", "list") and v.type.items is not None:
                return self.b.const(len(v.type.items))
            return self.b.getitem(self.b.shape(v), index=0)
        if name == "float" and len(args) == 1:
            return self.b.pyfloat(self.to_value(args[0], node))
        if name == "pow" and len(args) == 2:  # pow(a, b) is a ** b (pow(a, b, m) refused)
            return self.binop("pow", args[0], args[1], node)
        if name == "int" and len(args) == 1:  # (a number: int() of an array is refused)
            v = self.to_value(args[0], node)
            if v.type.kind == "array" and v.type.shape == () and v.type.dtype is not None:
                static = self.static_of(v)
                if isinstance(static, (int, float)):
                    return self.b.const(int(static))
                return self.b.emit("pyint", v)
        if name == "round" and len(args) in (1, 2):
            return self.pyround(args, node)
        if name == "abs" and len(args) == 1:
            return self.b.abs(self.to_value(args[0], node))
        if name in ("min", "max") and len(args) == 2:
            a, b_ = (self.to_value(x, node) for x in args)
            if a.type.rank in (0,) and b_.type.rank in (0,):
                if any(subscript.may_be_ndarray(self.b, x) for x in (a, b_)):
                    self.unsupported(
                        node,
                        f"{name}() of a value that may be a 0-d array hands "
                        "back that array itself, which a later write would change",
                        f"use np.{'minimum' if name == 'min' else 'maximum'}(a, b) "
                        "(a new value), or float(...) of the array",
                    )
                # Python's max(a, b) is `b if b > a else a`: a when they tie or b is nan,
                # and the winner itself (a Python float stays one), where np.maximum
                # passes a nan on and makes a NumPy scalar
                same = self.b.static_dim(a)
                if a is b_ or same is not None and same == self.b.static_dim(b_):
                    return a  # (two sizes of one symbol: zip() of arrays of one length)
                cond = self.b.emit("lt" if name == "min" else "gt", b_, a)
                return self.choice(cond, node, lambda: b_, lambda: a)
        hints = {
            "sum": "np.sum(x, axis=0) (the builtin sums over the first axis)",
            "min": "np.minimum(a, b) or np.min(x)",
            "max": "np.maximum(a, b) or np.max(x)",
            "range": "range() only in `for i in range(...)`",
        }
        self.unsupported(
            node,
            f"the builtin {name}() is not supported in this form",
            f"use {hints.get(name, 'the np function')}",
        )

    def pyround(self, args, node):
        """round(v) and round(v, ndigits) of a number, as Python computes them (a Python
        float by its decimal value, where np.round multiplies and rounds); a constant."""
        v = self.to_value(args[0], node)
        if v.type.kind != "array" or v.type.shape != () or v.type.dtype is None:
            self.unsupported(
                node,
                "round() of an array (or of what may be one) is not supported: NumPy "
                "arrays define no round()",
                "use np.round(x, decimals)",
            )
        attrs = {}
        if len(args) == 2 and self.static_of(args[1]) is not None:  # (round(v, None): round(v))
            n = self.static_of(args[1])
            if not isinstance(n, int) or isinstance(n, bool):
                self.unsupported(
                    node, "round()'s ndigits must be a constant int", "write it as a literal"
                )
            attrs["ndigits"] = n
        static = self.static_of(v)
        if isinstance(static, (int, float)) and not isinstance(static, bool):
            return self.b.const(round(static, *attrs.values()))
        return self.b.emit("pyround", v, **attrs)

    def bind(self, opcode, args, keywords, node, what):
        """Bind positional and keyword arguments by the opcode's params."""
        params = opcodes.OPS[opcode].params
        bound = {}
        if len(args) > len(params):
            self.unsupported(node, f"too many arguments to {what}", "check the call")
        for (pname, _, _), a in zip(params, args):
            bound[pname] = a
        for kw in keywords:
            if kw.arg is None or kw.arg not in [p[0] for p in params]:
                self.unsupported(
                    node,
                    f"{what} does not take the keyword {kw.arg!r} here",
                    f"its supported parameters: {', '.join(p[0] for p in params)}",
                )
            bound[kw.arg] = self.expr(kw.value)
        operands, attrs = [], {}
        for pname, role, default in params:
            if pname not in bound:
                if role == OPERAND:
                    self.unsupported(node, f"{what} needs its argument {pname!r}", "pass it")
                continue
            val = bound[pname]
            if role == OPERAND:
                if pname != "shape":  # a tuple or list for an array: np.array of it
                    val = sequences.array_operand(
                        self, val, node, what, convert=not opcodes.OPS[opcode].sequence
                    )
                operands.append(self.to_value(val, node))
            elif role == ATTR:
                s = self.static_of(val)
                if s is _MISSING:
                    self.unsupported(
                        node,
                        f"the argument {pname!r} of {what} must be a constant",
                        "write it as a literal or a Python int/str argument",
                    )
                if pname == "dtype" and s is not None:
                    s = _dtype_name(s, self, node)
                if pname in ("axis", "axes") and isinstance(s, list):
                    s = tuple(s)
                if s != default or pname == "axis" and opcode == "expand_dims":
                    attrs[pname] = s
            else:
                if self.static_of(val) is not None:
                    self.unsupported(
                        node,
                        f"the argument {pname!r} of {what} is not supported",
                        "leave it out and assign the result",
                    )
        return operands, attrs

    def numpy_call(self, name, node):
        """np.<name>(...): a NumPy function of Python floats returns a NumPy float64
        (np.abs(1.5) is np.float64(1.5)), which is strong: under NEP 50 it makes a float32
        array's product float64 where a Python float does not. A result typed a Python
        float (its operands were) is made that NumPy float64: `np.float64(...)`; an int, an
        np.int64 (a bool, an np.bool)."""
        out = self._numpy_call(name, node)
        t = getattr(out, "type", None)
        if isinstance(out, Value) and t.kind == "array" and t.weak is not False and t.shape == ():
            if t.dtype == "float64":
                return self.b.emit("float64", out)
            if t.dtype in ("int64", "bool"):  # (np.abs(-3) is np.int64(3): as strong)
                return self.b.cast(out, t.dtype)
        return out

    def _numpy_call(self, name, node):
        if f"numpy.{name}" in self.p.rules:  # a registered rule, replacing a built-in one
            return externs.named_call(self, f"numpy.{name}", node)
        if name in ("concatenate", "stack", "hstack", "vstack", "column_stack", "dstack"):
            return self.joined(name, node)
        if name == "ndim" and len(node.args) == 1 and not node.keywords:  # as x.ndim
            v = self.expr(node.args[0])
            if isinstance(v, Value) and v.type.kind == "array" and v.type.rank is not None:
                return self.b.const(v.type.rank)
        if (
            name in ("array", "asarray")
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], (gast.Name, gast.ListComp))
        ):
            seq = self.expr(node.args[0])  # (a name or a comprehension: read once here)
            if isinstance(seq, Value) and seq.type.kind == "dynlist":
                return self.b.list_array(seq)
        if name == "average":
            return self.average(node)
        if name == "einsum":
            return self.einsum(node)
        if name in ("select", "kron"):
            return getattr(self, name)(node)
        if name == "linalg.multi_dot":
            return self.multi_dot(node)
        if opcodes.NUMPY.get(name) in _MASKABLE and any(
            k.arg in ("where", "initial") for k in node.keywords
        ):
            return self.masked_reduction(opcodes.NUMPY[name], None, node, f"np.{name}")
        if name in opcodes.NUMPY_COMPOSED:
            return self.composed(name, [self.expr(a) for a in node.args], node, f"np.{name}")
        opcode = opcodes.NUMPY.get(name)
        for a in node.args:  # np.stack([f(v) for v in ...]): the comprehension is the issue
            if isinstance(a, (gast.ListComp, gast.GeneratorExp, gast.Lambda)):
                self.expr(a)
        if opcode is None:  # a NumPy function without a rule: a constant off the
            return externs.named_call(self, f"numpy.{name}", node)  # gradient path
        if opcodes.OPS[opcode].form[0] in ("binop", "cmp", "unop"):
            args = [self.operand(a) for a in node.args]
            if node.keywords or len(args) != (1 if opcodes.OPS[opcode].form[0] == "unop" else 2):
                self.unsupported(
                    node,
                    f"np.{name} takes exactly its array arguments here",
                    "leave out out=, where= and dtype=",
                )
            args = [sequences.array_operand(self, a, node, f"np.{name}") for a in args]
            return self.b.emit(opcode, *[self.to_value(a, node) for a in args])
        args = [self.expr(a) for a in node.args]
        if opcode == "arange":  # np.arange(stop), (start, stop) or (start, stop, step)
            return self.arange(args, node)
        if opcode == "eye" and len(args) == 1 and not any(k.arg == "M" for k in node.keywords):
            _, attrs = self.bind(
                opcode, args + [self.b.const(None)], node.keywords, node, f"np.{name}"
            )  # np.eye(N): square (M is None)
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
        if opcode == "cross":  # (a last axis of a size known only at run time: checked)
            operands = [
                v if v.type.shape and v.type.shape[-1] == 3 else self.b.emit("three_vector", v)
                for v in operands
            ]
        n = opcodes.result_count(opcode, attrs)
        out = self.b.emit(opcode, *operands, nresults=n, **attrs)
        if d.sections:  # np.split: a list, one array a section
            return list(out) if n > 1 else [out]
        return out

    # Ops NumPy lets take axis 0 or -1 of a 0-d array, meaning what axis=None does
    # (np.sum(np.float64(2.0), axis=0) is 2.0; np.cumsum(s, axis=-1) is [s]).
    ZERO_D_AXIS = frozenset(
        {
            "sum",
            "prod",
            "max",
            "min",
            "ptp",
            "nansum",
            "nanmean",
            "nanmax",
            "nanmin",
            "nanprod",
            "nanvar",
            "nanstd",
            "nancumsum",
            "cumsum",
            "cumprod",
            "repeat",
            "take",
            "squeeze",
            "argmax",
            "argmin",
        }
    )

    def zero_d_axis(self, opcode, operands, attrs, node):
        """An int axis of a 0-d array: axis=None where NumPy reads it so, refused (an
        AxisError in NumPy) for the other ops with a gradient rule."""
        axis = attrs.get("axis")
        if (
            not operands
            or operands[0].type.kind != "array"
            or operands[0].type.shape != ()
            or axis is None
            or opcode == "expand_dims"
            or not any(p[0] == "axis" for p in opcodes.OPS[opcode].params)
        ):
            return attrs
        if opcode in self.ZERO_D_AXIS and axis in (0, -1) and not isinstance(axis, bool):
            return {**attrs, "axis": None}
        if not opcodes.OPS[opcode].constant:
            self.unsupported(
                node,
                f"axis {axis!r} is out of bounds for a 0-d array",
                "leave the axis out (axis=None), or make the array 1-d",
            )
        return attrs

    def method(self, base, name, node):
        if base.type.kind == "rng":
            return self.draw(base, name, node)
        if base.type.kind == "dynlist":  # out.pop(), out.copy(): of the list methods,
            _reject_list_method(self, node)  # only out.append(v), as a statement
        if name in opcodes.METHODS_COMPOSED and isinstance(base, Value):
            return self.composed(
                name, [base] + [self.expr(a) for a in node.args], node, f".{name}()"
            )
        opcode = opcodes.METHODS.get(name)
        if opcode in _MASKABLE and any(k.arg in ("where", "initial") for k in node.keywords):
            return self.masked_reduction(opcode, base, node, f".{name}()")
        if opcode is None or base.type.kind != "array":
            self.unsupported(
                node,
                f"the method .{name}() is not supported",
                "use the np function instead (np.exp(x) rather than x.exp())",
            )
        args = [self.expr(a) for a in node.args]
        if opcode == "reshape" and len(args) > 1:
            args = [tuple(args)]
        if opcode == "transpose":
            axes = (
                tuple(args[0])
                if len(args) == 1 and isinstance(args[0], (tuple, list))
                else tuple(args)
            )
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
        if opcode == "copy" and not any(k.arg == "order" for k in node.keywords) and not args:
            attrs = {**attrs, "order": "C"}  # (the method's default; np.copy's is K)
        return self.emit_call(opcode, operands, attrs, node)

    def math_call(self, name, node):
        """math.<name>(v): NumPy's function of v as a float64, made a Python float, as
        math's is: math.exp of a float32 computes in float64, and its result is weak
        beside float32 arrays (np.float64 is not)."""
        if f"math.{name}" in self.p.rules or _MATH.get(name, name) not in _MATH_AS_NUMPY:
            return externs.named_call(self, f"math.{name}", node)
        opcode = _MATH.get(name, name)
        arity = 2 if opcode == "arctan2" else 1
        if name == "log" and len(node.args) == 2 and not node.keywords:  # math.log(x, base):
            x, base = (gast.Call(func=node.func, args=[a], keywords=[]) for a in node.args)
            for n in (x, base):  # CPython's log(x) / log(base)
                gast.copy_location(n, node)
            return self.b.div(self.math_call("log", x), self.math_call("log", base))
        if node.keywords or len(node.args) != arity:
            return self.numpy_call(opcode, node)  # (its errors name the call's form)
        args = []
        for a in node.args:
            v = self.to_value(self.expr(a), a)
            if v.type.kind == "array" and v.type.rank not in (0, None):
                self.unsupported(
                    node,
                    f"math.{name}() of an array of rank {v.type.rank} (Python raises: only "
                    "length-1 arrays can be converted to Python scalars)",
                    f"use np.{opcode}(...) for arrays",
                )
            if v.type.kind == "array" and v.type.weak is not True and v.type.dtype != "float64":
                v = self.b.cast(v, "float64")  # (math computes in double precision)
            args.append(v)
        return self.b.pyfloat(self.emit_call(opcode, args, {}, node))

    def s2sgrad_call(self, name, node):
        if name == "stop_gradient":
            if len(node.args) != 1 or node.keywords:
                self.unsupported(node, "stop_gradient takes one argument", "stop_gradient(x)")
            return self.b.stop_gradient(self.to_value(self.expr(node.args[0]), node))
        if name == "gradients":
            if self.callee:
                self.unsupported(
                    node,
                    "s2sgrad.gradients is called in a helper of the decorated function; "
                    "s2sgrad differentiates only in the decorated function's own body",
                    "call s2sgrad.gradients in the @s2sgrad.function itself, on the y "
                    "the helper returns",
                )
            return self.gradients(node)
        if name == "checkpointed":
            self.unsupported(
                node,
                "s2sgrad.checkpointed(range(...)) is accepted only as the iterable of a for loop",
                "for t in s2sgrad.checkpointed(range(T)):",
            )
        self.unsupported(
            node,
            f"s2sgrad.{name} cannot be called inside a transformed function",
            "call s2sgrad.gradients(...) here; grad/vjp wrap functions from outside",
        )


OPERAND, ATTR = opcodes.OPERAND, opcodes.ATTR


BUILTINS = frozenset({"len", "float", "abs", "min", "max", "sum", "range", "int", "round", "pow"})


_MASKABLE = frozenset({"sum", "mean", "prod", "max", "min"})


# math.<name>(v), lowered as float(np.<name>(v)) of v as a float64 (Lowerer.math_call), which
# passes/pymath.py writes math.<name>(v) where v is a Python float and math's value is
# NumPy's. math's domain errors (math.sqrt(-1.0) raises, np.sqrt gives nan) are not
# reproduced: keep arguments in the domain.
_MATH = {
    "atan": "arctan",
    "asin": "arcsin",
    "acos": "arccos",
    "asinh": "arcsinh",
    "acosh": "arccosh",
    "atanh": "arctanh",
    "atan2": "arctan2",
    "radians": "deg2rad",
    "degrees": "rad2deg",
}
_MATH_AS_NUMPY = frozenset(
    {
        "exp",
        "log",
        "sqrt",
        "sin",
        "cos",
        "tan",
        "tanh",
        "log1p",
        "expm1",
        "sinh",
        "cosh",
        "arctan",
        "arcsin",
        "arccos",
        "arcsinh",
        "arccosh",
        "arctanh",
        "arctan2",
        "log2",
        "log10",
        "exp2",
        "cbrt",
        "fabs",
        "deg2rad",
        "rad2deg",
    }
)
