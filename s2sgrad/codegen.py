"""IR → a readable, standalone NumPy module.

Each op becomes a statement `name = expression`, except temporaries used once
in the same source statement, which are inlined back into the expression
they came from, so forward code reads like its source. Names come from one
`Namespace`: source names and SSA versions (`h`, `h_1`), adjoints `d_h`,
temporaries `_t0`. Statements are grouped by the source line they came from:
forward groups carry a `# file:line` comment, backward groups sit under a
`# grad of: <source line>` comment. `render()` is the one call into
astunparse (through a subclass that prints only the parentheses Python
needs). Output is a pure function of the IR: no ids, no hashing, no paths
beyond the source file's base name.
"""

import ast
import contextvars
import io
import keyword
import math
import os
from dataclasses import dataclass, replace

import astunparse
import numpy as np

from . import __version__, codegen_index, codegen_xp, custom, out_of_ssa
from .errors import InternalError, UnsupportedError
from .frontend import pytrees
from .ir import opcodes, verify_names
from .ir import types as T
from .ir.core import (
    ADJOINT_TEMP,
    CONST,
    TAPE_HINT,
    TEMP,
    ModuleConstant,
    Region,
    Value,
    make_attrs,
    substitute,
)
from .ir.opcodes import OPS

TEMP_PREFIX = {TEMP: "_t", CONST: "_t", ADJOINT_TEMP: "_d", TAPE_HINT: "_tape"}  # unnamed values
# the math functions the module being printed imports by name (`from math import cos, sin`,
# _module): a call of one is `sin(x)`, of any other `math.atan(x)` (a name the module or a
# parameter already has). A function with its own name costs no attribute lookup per call.
MATH_IMPORTED: contextvars.ContextVar[frozenset] = contextvars.ContextVar(
    "s2sgrad_math_imported", default=frozenset()
)
# the builtins a parameter of the function being printed hides (`def f(x, float)`): the
# code calls them as `builtins.float(...)`, and the module imports builtins
SHADOWED: contextvars.ContextVar[frozenset] = contextvars.ContextVar(
    "s2sgrad_shadowed_builtins", default=frozenset()
)
HELPER_NAMES = tuple(sorted(opcodes.HELPERS)) + ("_s2s_typecheck",)
# (functions a module may define: `_unbroadcast`; `_s2s_typecheck` under CHECK_TYPES)

# S2SGRAD_CHECK_TYPES=1 (tools/fuzz.py, some tests): every value the generated code
# assigns is checked, as it runs, against its static type (TYPECHECK below): a static
# type the runtime value does not have is a bug even where no number is wrong yet.
CHECK_TYPES = os.environ.get("S2SGRAD_CHECK_TYPES", "") not in ("", "0")

TYPECHECK = """\
def _s2s_typecheck(v, dtype, shape, weak, where):
    \"\"\"S2SGRAD_CHECK_TYPES: v is of the static type (dtype, shape, weak) s2sgrad gave it.
    A Python float and an np.float64 (an int and an np.int64) differ only where they meet
    float32 (int32) values, where the dtype of what they make is checked.\"\"\"
    if v is None:  # (a value no path that ran defined: a placeholder)
        return
    if type(v) in (bool, int, float):
        ok = dtype is None or (
            dtype == "bool" and type(v) is bool
            or dtype.startswith(("int", "uint")) and type(v) in (bool, int)
            or dtype.startswith(("float", "complex")) and type(v) in (bool, int, float)
        ) and (weak is not False or dtype in ("float64", "int64", "bool"))
    elif not isinstance(v, (np.ndarray, np.generic)):
        ok = False
    elif v.shape == (0,) and v.dtype.name == "float64" and shape:  # np.array([]) of an
        ok = True  # empty list: float64[0], whatever its items would have been
    else:
        ok = dtype is None or v.dtype.name == dtype
        ok = ok and (
            shape is None
            or v.ndim == len(shape)
            and all(d is None or d == n for d, n in zip(shape, v.shape))
            or v.ndim == 0 and not v.any()  # (a 0-d zero: the adjoint of a value the
        )  # path taken did not make, which broadcasts where it is added)
    if not ok:
        got = f"{type(v).__name__} {getattr(v, 'dtype', '')}{list(getattr(v, 'shape', ()))}"
        raise TypeError(f"s2sgrad type check at {where}: {got}, static {dtype}{shape} weak={weak}")
"""


# ---- names --------------------------------------------------------------------

_BASES: dict = {}  # hint -> the identifier names are made from


class Namespace:
    """Every generated name: never a keyword, a builtin, or a name already given.
    Values out-of-SSA put in one variable (`plan.rep`) get one name."""

    def __init__(self, reserved=(), plan=None):
        self.used = set(keyword.kwlist) | custom.BUILTIN_NAMES | {"np", "math"} | set(reserved)
        self.names = {}
        self.temps = {}  # prefix -> the last number given (names only get taken)
        self.bases = {}  # base -> the last suffix given
        self.plan = plan
        self.throwaway = None  # the name of results nothing reads

    def fix(self, value, name):
        self.names[value] = name
        self.used.add(name)

    def __call__(self, value):
        plan = self.plan
        if plan is not None:
            if value in plan.unused:  # `_, f_back = vjp_f(x)`
                if self.throwaway is None:
                    self.throwaway = self(Value("_"))
                return self.throwaway
            value = plan.rep.get(value, value)  # (plan.var)
        name = self.names.get(value)
        if name is not None:
            return name
        prefix = TEMP_PREFIX.get(value.hint)
        if prefix is not None:
            n = self.temps.get(prefix, 0)
            while f"{prefix}{n}" in self.used:
                n += 1
            self.temps[prefix] = n
            name = f"{prefix}{n}"
        else:
            base = _BASES.get(value.hint)
            if base is None:
                base = "".join(c if c.isalnum() or c == "_" else "_" for c in value.hint) or "v"
                if base[0].isdigit():
                    base = "v" + base
                _BASES[value.hint] = base
            k = self.bases.get(base, 0)
            name = f"{base}_{k}" if k else base
            while name in self.used:
                k += 1
                name = f"{base}_{k}"
            self.bases[base] = k
        self.fix(value, name)
        return name


# ---- rendering ------------------------------------------------------------------

_PREC = {
    "Or": 3,
    "And": 4,
    "Not": 5,
    "Compare": 6,
    "BitOr": 7,
    "BitXor": 8,
    "BitAnd": 9,
    "LShift": 10,
    "RShift": 10,
    "Add": 11,
    "Sub": 11,
    "Mult": 12,
    "MatMult": 12,
    "Div": 12,
    "FloorDiv": 12,
    "Mod": 12,
    "Unary": 13,
    "Pow": 14,
    "Atom": 16,
}


def _prec(node):
    if isinstance(node, ast.BinOp):
        return _PREC[type(node.op).__name__]
    if isinstance(node, ast.UnaryOp):
        return _PREC["Not"] if type(node.op).__name__ == "Not" else _PREC["Unary"]
    if isinstance(node, ast.Compare):
        return _PREC["Compare"]
    if isinstance(node, ast.IfExp):
        return 2
    if isinstance(node, ast.BoolOp):
        return _PREC["And"] if isinstance(node.op, ast.And) else _PREC["Or"]
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
        and (node.value < 0 or math.copysign(1, node.value) < 0)
    ):
        return _PREC["Unary"]
    return _PREC["Atom"]


class _Unparser(astunparse.Unparser):
    """astunparse with only the parentheses Python needs."""

    def _sub(self, node, need):
        if _prec(node) < need:
            self.write("(")
            self.dispatch(node)
            self.write(")")
        else:
            self.dispatch(node)

    def _BinOp(self, t):
        p = _PREC[type(t.op).__name__]
        if type(t.op).__name__ == "Pow":
            self._sub(t.left, p + 1)
            self.write(" ** ")
            self._sub(t.right, _PREC["Unary"])
            return
        self._sub(t.left, p)
        self.write(" " + self.binop[type(t.op).__name__] + " ")
        self._sub(t.right, p + 1)

    def _UnaryOp(self, t):
        name = type(t.op).__name__
        self.write(self.unop[name] + (" " if name == "Not" else ""))
        operand_prec = _prec(t.operand)
        if operand_prec == _PREC["Pow"] or operand_prec < _PREC["Unary"]:
            self.write("(")
            self.dispatch(t.operand)
            self.write(")")
        else:
            self.dispatch(t.operand)

    def _Compare(self, t):
        self._sub(t.left, _PREC["Compare"] + 1)
        for o, e in zip(t.ops, t.comparators):
            self.write(" " + self.cmpops[o.__class__.__name__] + " ")
            self._sub(e, _PREC["Compare"] + 1)

    def _BoolOp(self, t):
        p = _prec(t)
        for i, v in enumerate(t.values):
            if i:
                self.write(" and " if isinstance(t.op, ast.And) else " or ")
            self._sub(v, p + 1)

    def _IfExp(self, t):
        self._sub(t.body, 3)
        self.write(" if ")
        self._sub(t.test, 3)
        self.write(" else ")
        self._sub(t.orelse, 2)

    def _Attribute(self, t):
        self._sub(t.value, _PREC["Atom"])
        self.write("." + t.attr)

    def _Subscript(self, t):
        self._sub(t.value, _PREC["Atom"])
        self.write("[")
        sl = t.slice
        if isinstance(sl, ast.Tuple) and sl.elts:
            for i, e in enumerate(sl.elts):
                if i:
                    self.write(", ")
                self.dispatch(e)
            if len(sl.elts) == 1:
                self.write(",")
        else:
            self.dispatch(sl)
        self.write("]")

    def _bare(self, node):
        """A tuple without parentheses (assignment targets and values, returns)."""
        if isinstance(node, ast.Tuple) and len(node.elts) > 1:
            for i, e in enumerate(node.elts):
                if i:
                    self.write(", ")
                self.dispatch(e)
        else:
            self.dispatch(node)

    def _Assign(self, t):
        self.fill()
        for target in t.targets:
            self._bare(target)
            self.write(" = ")
        self._bare(t.value)

    def _Return(self, t):
        self.fill("return")
        if t.value is not None:
            self.write(" ")
            self._bare(t.value)

    def _Constant(self, t):
        v = t.value
        if isinstance(v, float) and (v < 0 or math.copysign(1, v) < 0):
            self.write(repr(v))
            return
        super()._Constant(t)


def render(node):
    """An `ast` node (statement or expression) → source text: what astunparse
    (through `_Unparser`) writes for it. The nodes codegen builds most are
    written by `_text`, without astunparse's per-node dispatch; any other node
    goes through astunparse, and with S2SGRAD_CHECK_RENDER=1 (the test suite)
    every statement is also rendered by astunparse and the two must agree.
    Codegen builds the standard library's `ast` nodes directly: the frontend
    reads with gast, but nothing here needs gast's portability layer."""
    text = _text(node)
    if CHECK_RENDER and text != _render_slow(node):
        raise InternalError(
            f"codegen renders {ast.dump(node)} as {text!r}; "
            f"astunparse writes {_render_slow(node)!r}"
        )
    return text


def _render_slow(node):
    out = io.StringIO()
    _Unparser(node, file=out)
    return out.getvalue().strip("\n")


CHECK_RENDER = os.environ.get("S2SGRAD_CHECK_RENDER", "") not in ("", "0")
_BINOP = astunparse.Unparser.binop
_UNOP = astunparse.Unparser.unop
_CMPOP = astunparse.Unparser.cmpops


_ATOM, _UNARY, _POW = _PREC["Atom"], _PREC["Unary"], _PREC["Pow"]
_MISSING = object()


def _paren(text, prec, need):
    return f"({text})" if prec < need else text


def _in(node, need):
    """node's text, in parentheses when it binds less tightly than `need` (_Unparser._sub)."""
    text = _text(node)
    return f"({text})" if _prec(node) < need else text


def _bare_text(node):
    if type(node) is ast.Tuple and len(node.elts) > 1:
        return ", ".join(_text(e) for e in node.elts)
    return _text(node)


def _text(node):
    """The text _Unparser writes for node (without a statement's leading newline)."""
    t = type(node)
    if t is ast.Name:
        return node.id
    if t is ast.Constant:
        v = node.value
        if v is None or v is True or v is False or type(v) is int or type(v) is str:
            return repr(v)
        if type(v) is float and math.isfinite(v):
            return repr(v)
    elif t is ast.Attribute:
        return f"{_in(node.value, _PREC['Atom'])}.{node.attr}"
    elif t is ast.BinOp:
        name = type(node.op).__name__
        p = _PREC[name]
        if name == "Pow":
            return f"{_in(node.left, p + 1)} ** {_in(node.right, _PREC['Unary'])}"
        return f"{_in(node.left, p)} {_BINOP[name]} {_in(node.right, p + 1)}"
    elif t is ast.Call:
        if not any(type(a) is ast.Starred for a in node.args):
            parts = [_text(a) for a in node.args]
            parts += [
                ("**" if k.arg is None else k.arg + "=") + _text(k.value) for k in node.keywords
            ]
            return f"{_text(node.func)}({', '.join(parts)})"
    elif t is ast.UnaryOp:
        name = type(node.op).__name__
        p = _prec(node.operand)
        inner = _text(node.operand)
        if p == _PREC["Pow"] or p < _PREC["Unary"]:
            inner = f"({inner})"
        return _UNOP[name] + (" " if name == "Not" else "") + inner
    elif t is ast.Tuple:
        if len(node.elts) == 1:
            return f"({_text(node.elts[0])},)"
        return f"({', '.join(_text(e) for e in node.elts)})"
    elif t is ast.List:
        return f"[{', '.join(_text(e) for e in node.elts)}]"
    elif t is ast.Subscript:
        sl = node.slice
        if type(sl) is ast.Tuple and sl.elts:
            key = ", ".join(_text(e) for e in sl.elts) + ("," if len(sl.elts) == 1 else "")
        else:
            key = _text(sl)
        return f"{_in(node.value, _PREC['Atom'])}[{key}]"
    elif t is ast.Slice:
        text = (
            (_text(node.lower) if node.lower else "")
            + ":"
            + (_text(node.upper) if node.upper else "")
        )
        return text + (":" + _text(node.step) if node.step else "")
    elif t is ast.Compare:
        need = _PREC["Compare"] + 1
        return _in(node.left, need) + "".join(
            f" {_CMPOP[type(o).__name__]} {_in(e, need)}"
            for o, e in zip(node.ops, node.comparators)
        )
    elif t is ast.Assign:
        return "".join(_bare_text(x) + " = " for x in node.targets) + _bare_text(node.value)
    elif t is ast.Return:
        return "return" if node.value is None else "return " + _bare_text(node.value)
    elif t is ast.Expr:
        return _text(node.value)
    return _render_slow(node)


# ---- building expressions ---------------------------------------------------------


def _name(id_, store=False):
    return ast.Name(id=id_, ctx=ast.Store() if store else ast.Load())


def _attr(value, attr):
    return ast.Attribute(value=value, attr=attr, ctx=ast.Load())


def _dotted(path):
    parts = path.split(".")
    node = _name(parts[0])
    for p in parts[1:]:
        node = _attr(node, p)
    return node


def _math_function(opcode):
    """How the module being printed calls op's math function: by name where it imports
    it (MATH_IMPORTED), else `math.<name>`."""
    name = OPS[opcode].math[0]
    return name if name in MATH_IMPORTED.get() else opcodes.math_name(opcode)


def _builtin(name):
    """name, or `builtins.name` where a parameter hides that builtin (SHADOWED)."""
    return f"builtins.{name}" if name in SHADOWED.get() else name


def _stacked_along(op, args, attrs):
    """`np.transpose(np.array([a, b]), (1, 0, 2))`, the frontend's np.stack(..., axis=1),
    written as `np.stack([a, b], axis=1)`: the same numbers, C-ordered as NumPy's stack
    makes them (a sum over the transposed view would add in another order)."""
    if op.opcode != "transpose" or not isinstance(args[0], ast.Call):
        return None
    inner, k = args[0], _stack_axis(attrs.get("axes"))
    if (
        k is None
        or ast.unparse(inner.func) != "np.array"
        or inner.keywords
        or len(inner.args) != 1
        or not isinstance(inner.args[0], ast.List)
    ):
        return None
    return _call("np.stack", [inner.args[0]], [("axis", literal(k))])


def _stack_axis(axes):
    """k when `axes` moves axis 0 to k, the rest in order (np.stack's axis k); else None."""
    if not isinstance(axes, tuple) or 0 not in axes:
        return None
    k = axes.index(0)
    return k if list(axes) == list(range(1, k + 1)) + [0] + list(range(k + 1, len(axes))) else None


def _call(func, args, keywords=()):
    return ast.Call(
        func=_dotted(_builtin(func)) if isinstance(func, str) else func,
        args=list(args),
        keywords=[ast.keyword(arg=k, value=v) for k, v in keywords],
    )


def literal(value):
    """A constant as an expression: numbers, None, bools, strings, tuples, dtypes, and
    a module-level array (by its name)."""
    if isinstance(value, ModuleConstant):
        return _dotted(value.name)
    if isinstance(value, (tuple, list)):
        elts = [literal(v) for v in value]
        return (
            ast.Tuple(elts=elts, ctx=ast.Load())
            if isinstance(value, tuple)
            else ast.List(elts=elts, ctx=ast.Load())
        )
    if isinstance(value, np.generic):
        if codegen_xp.active():  # (array-API code: the number, as a Python one)
            return literal(value.item())
        return _call(f"np.{type(value).__name__}", [literal(value.item())])
    if isinstance(value, float):
        if math.isnan(value):
            return (
                _call("float", [ast.Constant(value="nan", kind=None)])
                if codegen_xp.active()
                else _dotted("np.nan")
            )
        if math.isinf(value):
            inf = (
                _call("float", [ast.Constant(value="inf", kind=None)])
                if codegen_xp.active()
                else _dotted("np.inf")
            )
            return inf if value > 0 else ast.UnaryOp(op=ast.USub(), operand=inf)
    return ast.Constant(value=value, kind=None)


def _unmarked(op):
    """op without passes/pymath.py's mark: NumPy's call, which `float(...)` wraps."""
    return op.replace(attrs=tuple(a for a in op.attrs if a[0] != "python"))


def _dtype(name):
    return codegen_xp.dtype(name) if codegen_xp.active() else _dotted(f"np.{name}")


class _Expr:
    """Expressions for values, inlining what out-of-SSA decided to inline."""

    def __init__(self, fn, names, plan):
        self.names = names
        self.plan = plan
        self.defs = {}
        for op in fn.body.walk():
            for r in op.results:
                self.defs[r] = op
        self.in_place = plan.in_place
        self.params = frozenset(fn.params)

    def inlined(self, v):
        return v in self.plan.inlined

    def is_expression(self, op):
        return op in self.plan.expr_ifs

    def reads(self, v):
        """The names an expression for v reads."""
        out, stack = set(), [v]
        while stack:
            u = stack.pop()
            if self.inlined(u):
                op = self.defs[u]
                stack.extend(op.operands)
                for r in op.regions:
                    stack.extend(r.yields)
            else:
                out.add(self.names(u))
        return out

    def value(self, v):
        if self.inlined(v):
            return self.op_expr(self.defs[v])
        return _name(self.names(v))

    def text(self, v):
        """(the text of value(v) as `render` writes it, its precedence), written
        directly for the common forms (operators, calls, attributes, numbers)
        without building the syntax tree; names are given in the same order."""
        if v in self.plan.inlined:
            return self.op_text(self.defs[v])
        return self.names(v), _ATOM

    def op_text(self, op):
        """(text, precedence) of op's expression: written directly where `direct`
        knows the form, else rendered from the syntax tree."""
        hit = self.direct(op)
        if hit is not None:
            return hit
        node = self.op_expr(op)
        return _text(node), _prec(node)

    def direct(self, op):
        """(text, precedence) of op's expression for the forms written without a
        syntax tree (operators, calls, attributes, numbers, tape reads); None else."""
        d = opcodes.OPS[op.opcode]
        form = d.form
        kind = form[0]
        if codegen_xp.active() and not codegen_xp.is_same(op):
            return None  # (op_expr writes the array API's spelling)
        if d.fast and kind == "call" and _known_array(op.operands[0].type):
            return None  # (op_expr writes the cheaper spelling)
        if op.opcode == "transpose" and _stack_axis(op.attr("axes")) is not None:
            return None  # (op_expr writes np.stack where it can)
        if d.sections and len(op.results) == 1:
            return None  # (op_expr writes the one section: np.split(x, 1)[0])
        if op.opcode in _TWINS and op.attrs and op.attr_dict.get("python") == _TWINS[op.opcode]:
            args = ", ".join(self.text(v)[0] for v in op.operands)
            return f"np.{_TWINS[op.opcode]}({args})", _ATOM  # (the NumPy twin: inf at 0)
        if kind == "binop":
            (a, pa), (b, pb) = self.text(op.operands[0]), self.text(op.operands[1])
            sym = form[1]
            p = _SYM_PREC[sym]
            if sym == "**":
                return f"{_paren(a, pa, p + 1)} ** {_paren(b, pb, _UNARY)}", p
            return f"{_paren(a, pa, p)} {sym} {_paren(b, pb, p + 1)}", p
        if _python_abs(op) and not codegen_xp.active():
            return f"{_builtin('abs')}({self.text(op.operands[0])[0]})", _ATOM
        if _contraction(op):  # np.inner, np.vdot, np.tensordot (as op_expr)
            parts = [self.text(v)[0] for v in op.operands]
            if op.attr("axes") is not None:
                parts.append(f"axes={_text(literal(op.attr('axes')))}")
            return f"np.{op.attr('python')}({', '.join(parts)})", _ATOM
        if kind == "call":
            python = op.attrs and op.attr("python")  # passes/pymath.py: a Python float
            if python == "math":
                return f"{_math_function(op.opcode)}({self.text(op.operands[0])[0]})", _ATOM
            if python == "same":  # float(v) of a Python float v
                return self.text(op.operands[0])
            if python == "float":
                return f"{_builtin('float')}({self.direct(_unmarked(op))[0]})", _ATOM
            parts = [self.text(v)[0] for v in op.operands]
            named = _kwoperands(d, parts)
            if d.listed:
                parts = [f"[{', '.join(parts)}]"]
            if op.attrs:  # positional attributes, then keywords (as op_expr)
                attrs = op.attr_dict
                lead = [_text(literal(v)) for k, v in op.attrs if k not in d.kwattrs]
                parts = lead + parts if d.attrs_first else parts + lead
                parts += [
                    f"{k}={_text(_dtype(attrs[k]) if k == 'dtype' and attrs[k] else literal(attrs[k]))}"
                    for k in d.kwattrs
                    if k in attrs
                ]
            parts += [f"{k}={v}" for k, v in named]
            return f"{_builtin(form[1])}({', '.join(parts)})", _ATOM
        if kind == "method":  # rng.random(size): the receiver, then as a call
            (recv, pr), args = self.text(op.operands[0]), [self.text(v)[0] for v in op.operands[1:]]
            attrs = op.attr_dict
            args += [
                f"{k}={_text(_dtype(attrs[k]) if k == 'dtype' else literal(attrs[k]))}"
                for k in d.kwattrs
                if k in attrs
            ]
            return f"{_paren(recv, pr, _ATOM)}.{form[1]}({', '.join(args)})", _ATOM
        if kind == "unop":
            a, pa = self.text(op.operands[0])
            if pa == _POW or pa < _UNARY:
                a = f"({a})"
            return form[1] + a, (_PREC["Not"] if form[1] == "not " else _UNARY)
        if kind == "attr":
            a, pa = self.text(op.operands[0])
            return f"{_paren(a, pa, _ATOM)}.{form[1]}", _ATOM
        if kind == "cmp":
            (a, pa), (b, pb) = self.text(op.operands[0]), self.text(op.operands[1])
            need = _PREC["Compare"] + 1
            return f"{_paren(a, pa, need)} {form[1]} {_paren(b, pb, need)}", _PREC["Compare"]
        if op.opcode == "stack":  # a loop's tape
            return "[]", _ATOM
        if op.opcode == "const":
            v = op.attrs[0][1] if len(op.attrs) == 1 and op.attrs[0][0] == "value" else _MISSING
            t = type(v)
            if t is float and math.isfinite(v) or t is int:
                return repr(v), (
                    _UNARY if v < 0 or t is float and math.copysign(1, v) < 0 else _ATOM
                )
            if v is None or t is bool or t is str:
                return repr(v), _ATOM
        return None

    def op_expr(self, op):
        d = opcodes.OPS[op.opcode]
        args = [self.value(v) for v in op.operands]
        attrs = op.attr_dict
        kind = d.form[0]
        if codegen_xp.active() and not codegen_xp.is_same(op):
            return codegen_xp.op_expr(self, op, args, attrs)
        if op.opcode in _TWINS and attrs.get("python") == _TWINS[op.opcode]:
            return _call(f"np.{_TWINS[op.opcode]}", args)
        if _contraction(op):  # np.inner, np.vdot, np.tensordot
            axes = [("axes", literal(attrs["axes"]))] if "axes" in attrs else []
            return _call(f"np.{attrs['python']}", args, axes)
        if kind == "binop":
            return ast.BinOp(left=args[0], op=_AST_BINOP[d.form[1]](), right=args[1])
        if kind == "cmp":
            return ast.Compare(left=args[0], ops=[_AST_CMP[d.form[1]]()], comparators=[args[1]])
        if kind == "unop":
            return ast.UnaryOp(op=_AST_UNOP[d.form[1]](), operand=args[0])
        if kind == "attr":
            return _attr(args[0], d.form[1])
        if kind == "method":
            keywords = [
                (k, _dtype(attrs[k]) if k == "dtype" else literal(attrs[k]))
                for k in d.kwattrs
                if k in attrs
            ]
            return _call(_attr(args[0], d.form[1]), args[1:], keywords)
        if kind == "call" and d.fast and _known_array(op.operands[0].type):
            return getattr(self, "_fast_" + d.fast)(op, d, args, attrs)
        if _python_abs(op):
            return _call("abs", args)
        stacked = _stacked_along(op, args, attrs)
        if stacked is not None:
            return stacked
        if kind == "call":
            if attrs.get("python") == "math":
                return _call(_math_function(op.opcode), args)
            if attrs.get("python") == "same":
                return args[0]
            if attrs.get("python") == "float":
                return _call("float", [self.op_expr(_unmarked(op))])
            args = list(args)
            named = _kwoperands(d, args)
            if d.listed:
                args = [ast.List(elts=args, ctx=ast.Load())]
            keywords = []
            for k in d.kwattrs:
                if k in attrs:
                    v = attrs[k]
                    keywords.append((k, _dtype(v) if k == "dtype" and v else literal(v)))
            positional = [literal(attrs[k]) for k, _ in op.attrs if k not in d.kwattrs]
            args = positional + args if d.attrs_first else args + positional
            call = _call(d.form[1], args, keywords + named)
            if d.sections and len(op.results) == 1:  # (a list of one section: its item)
                return ast.Subscript(value=call, slice=ast.Constant(0), ctx=ast.Load())
            return call
        return getattr(self, "special_" + op.opcode)(op, args, attrs)

    def _fast_method(self, op, d, args, attrs):
        """np.sum(a, axis=1) as a.sum(axis=1)."""
        keywords = [
            (k, _dtype(attrs[k]) if k == "dtype" and attrs[k] else literal(attrs[k]))
            for k in d.kwattrs
            if k in attrs
        ]
        return _call(_attr(args[0], op.opcode), args[1:], keywords)

    def _fast_attr(self, op, d, args, attrs):
        """np.shape(a) as a.shape."""
        return _attr(args[0], op.opcode)

    def _fast_newaxis(self, op, d, args, attrs):
        """np.expand_dims(a, axis) as a[:, None]: new axes where the result has them."""
        rank = op.result.type.rank
        axis = attrs["axis"]
        new = {a % rank for a in (axis if isinstance(axis, tuple) else (axis,))}
        last = rank - 1 if rank <= 3 or codegen_xp.active() else max(new)  # (v[None, :]:
        # not v[None]; array-API code indexes every axis)
        key = [
            ast.Constant(value=None) if i in new else ast.Slice(lower=None, upper=None, step=None)
            for i in range(last + 1)
        ]
        key = key[0] if len(key) == 1 else ast.Tuple(elts=key, ctx=ast.Load())
        return ast.Subscript(value=args[0], slice=key, ctx=ast.Load())

    def special_const(self, op, args, attrs):
        if codegen_xp.active() and isinstance(attrs["value"], ModuleConstant):
            codegen_xp.refuse(
                op,
                f"the module-level NumPy array {attrs['value'].name}",
                hint="pass it as an argument (an array of the library the others are of)",
            )
        return literal(attrs["value"])

    def special_tuple(self, op, args, attrs):
        return ast.Tuple(elts=args, ctx=ast.Load())

    def special_list(self, op, args, attrs):
        return ast.List(elts=args, ctx=ast.Load())

    def special_getitem(self, op, args, attrs):
        return ast.Subscript(value=args[0], slice=literal(attrs["index"]), ctx=ast.Load())

    def special_stop_gradient(self, op, args, attrs):
        return args[0]

    def special_astype(self, op, args, attrs):
        t = op.operands[0].type
        if (t.shape == () or t.shape is None or t.weak is not False) and not codegen_xp.active():
            # (a number may be a Python float where its type says a NumPy scalar, which
            # has no .astype: np.float32(v) takes either, and gives a NumPy scalar; of
            # an array, an array)
            return ast.Call(func=_dtype(attrs["dtype"]), args=[args[0]], keywords=[])
        return ast.Call(func=_attr(args[0], "astype"), args=[_dtype(attrs["dtype"])], keywords=[])

    def special_if(self, op, args, attrs):
        cond = op.operands[0]
        then_v, else_v = op.regions[0].yields[0], op.regions[1].yields[0]
        test = args[0]
        if else_v is cond:  # if c: x else: c   ==   c and x
            return ast.BoolOp(op=ast.And(), values=[test, self.value(then_v)])
        if then_v is cond:  # if c: c else: x   ==   c or x
            return ast.BoolOp(op=ast.Or(), values=[test, self.value(else_v)])
        return ast.IfExp(test=test, body=self.value(then_v), orelse=self.value(else_v))

    def special_index(self, op, args, attrs):
        if codegen_xp.active():
            taken = codegen_xp.take(op, args)
            if taken is not None:
                return taken
        return ast.Subscript(
            value=args[0],
            slice=codegen_index.key_expr(attrs["key"], args[1:], op.operands[0], op.operands[1:]),
            ctx=ast.Load(),
        )

    def special_gate(self, op, args, attrs):
        return ast.Tuple(elts=args, ctx=ast.Load())

    def special_call(self, op, args, attrs):
        return _call(attrs["callee"], args)

    def special_extern(self, op, args, attrs):
        """`f(x, y, k=2)`: the last args are keywords (attr `keywords`)."""
        keywords = attrs.get("keywords", ())
        n = len(args) - len(keywords)
        return _call(attrs["fn"], args[:n], list(zip(keywords, args[n:])))

    special_extern_vjp = special_extern

    def special_call_vjp(self, op, args, attrs):
        return _call(attrs["callee"], args)

    def special_call_back(self, op, args, attrs):
        return ast.Call(func=args[0], args=args[1:], keywords=[])

    # lists built with append (frontend/lists.py); `n`, the last operand of list_get,
    # list_sum and list_concat, is read by their adjoints only
    def special_list_new(self, op, args, attrs):
        return ast.List(elts=args, ctx=ast.Load())

    def special_list_get(self, op, args, attrs):
        return ast.Subscript(value=args[0], slice=args[1], ctx=ast.Load())

    def special_list_sum(self, op, args, attrs):
        return _call("sum", args[:1])

    def special_list_concat(self, op, args, attrs):  # (xp: codegen_xp's xp_list_concat)
        return _call("np.concatenate", args[:1])

    def special_list_zeros(self, op, args, attrs):
        if T.list_item(op.operands[0].type).weak is not False:  # Python numbers (on some
            # paths): Python zeros, which keep a float32 sum of them float32
            zeros = ast.List(elts=[ast.Constant(value=0.0)], ctx=ast.Load())
            return ast.BinOp(left=zeros, op=ast.Mult(), right=_call("len", args))
        return _call("list", [_call("np.zeros_like", args)])

    def special_list_rows(self, op, args, attrs):
        shape = ast.BinOp(
            left=ast.Tuple(elts=[args[1]], ctx=ast.Load()),
            op=ast.Add(),
            right=_call("np.shape", args[:1]),
        )
        return _call("np.broadcast_to", [args[0], shape])

    def special_stack(self, op, args, attrs):
        return ast.List(elts=[], ctx=ast.Load())

    def special_pop(self, op, args, attrs):
        return ast.Call(func=_attr(args[0], "pop"), args=[], keywords=[])

    def special_push(self, op, args, attrs):
        item = args[1] if len(args) == 2 else ast.Tuple(elts=args[1:], ctx=ast.Load())
        return ast.Call(func=_attr(args[0], "append"), args=[item], keywords=[])


def _contraction(op):
    """op is the einsum of np.inner, np.vdot or np.tensordot (attr `python`), printed as
    that call: the value is NumPy's own, bit for bit (np.einsum rounds its sums otherwise)."""
    return op.opcode == "einsum" and op.attrs and op.attr("python") and not codegen_xp.active()


def _kwoperands(d, parts):
    """Take out of `parts` (an op's operands, written) those its definition writes as
    keywords (`kwoperands`): [(name, written), ...]."""
    if not d.kwoperands:
        return []
    names = [p[0] for p in d.params if p[1] == opcodes.OPERAND]
    named = [(n, parts[k]) for k, n in enumerate(names) if n in d.kwoperands and k < len(parts)]
    parts[:] = [v for k, v in enumerate(parts) if k >= len(names) or names[k] not in d.kwoperands]
    return named


def _python_abs(op):
    """|x| of a number that may be a Python one: the builtin abs, which keeps a Python
    float (int) one, as its type says; np.abs would make it an np.float64 (np.int64),
    strong beside float32 arrays. (np.abs(v) in source, of a Python float, is
    np.float64(abs(v)): the frontend's numpy_call.)"""
    if op.opcode != "abs":
        return False
    t = op.operands[0].type
    return t.kind == "array" and t.shape == () and t.weak is not False


def _known_array(t):
    """An ndarray for certain, of known rank > 0 (not a Python or NumPy scalar): what
    an op's `fast` spelling needs of its first operand."""
    return t.kind == "array" and not t.weak and t.shape is not None and len(t.shape) > 0


_AST_BINOP = {
    "+": ast.Add,
    "-": ast.Sub,
    "*": ast.Mult,
    "/": ast.Div,
    "**": ast.Pow,
    "@": ast.MatMult,
    "//": ast.FloorDiv,
    "%": ast.Mod,
}
_AST_UNOP = {"-": ast.USub, "+": ast.UAdd, "not ": ast.Not}
_SYM_PREC = {sym: _PREC[cls.__name__] for sym, cls in _AST_BINOP.items()}
_AST_CMP = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}


def _group_key(op):
    loc = op.loc
    return (op.tag, loc.file if loc else None, loc.line if loc else None)


# ---- the module -----------------------------------------------------------------------


def generate(fn, header=(), verify=False):
    """Module text for one IR function (gradients already expanded)."""
    return module([fn], header, verify)


def module(fns, header=(), verify=False):
    """Module text for IR functions of one source file, in order (array-API code when
    they are marked `xp`: codegen_xp.py)."""
    return "\n".join(_module_lines(fns, header, verify)) + "\n"


@dataclass(frozen=True)
class SourceLink:
    """Where one line of a generated module comes from: the source `file` and `line`
    of its op (the location its `# grad of:` or `# file:line` comment names), the
    `block` it belongs to (numbered in module order: the lines under one comment, or
    one forward statement's lines), and that block's `role` ('fwd', 'grad', 'seed',
    'out', 'tape' or 'ckpt'; tags in ir/core.py)."""

    file: str
    line: int
    block: int
    role: str


def module_links(fns, header=(), verify=False):
    """(the text `module` writes, a SourceLink or None for each of its lines, in order):
    the map the HTML view (html.py) draws its links from, the locations the comments
    carry, taken from the ops rather than read back from the comments."""
    lines = _module_lines(fns, header, verify)
    links, blocks = [], {}
    for line in lines:
        loc = getattr(line, "loc", None)
        link = None
        if loc is not None and loc.line:
            block = blocks.setdefault(line.block, len(blocks))
            link = SourceLink(loc.file, loc.line, block, line.role)
        links += [link] * (line.count("\n") + 1)
    return "\n".join(lines) + "\n", tuple(links)


def _module_lines(fns, header, verify):
    token = codegen_xp.XP.set(any(fn.xp for fn in fns))
    try:
        return _module(fns, header, verify)
    finally:
        codegen_xp.XP.reset(token)


def _module(fns, header, verify):
    xp = codegen_xp.active()
    fns = _unique_callees(fns)
    sources = sorted({os.path.basename(fn.source_file) for fn in fns})
    lines = [
        f"# Generated by s2sgrad {__version__} from {', '.join(sources)}: "
        f"{', '.join(fn.name for fn in fns)}. Do not edit."
    ]
    lines += [f"# {h}" for h in header]
    every = [op for fn in fns for f in (fn,) + tuple(fn.callees) for op in f.body.walk()]
    statements, defs, bound = _prelude(fns)
    # a local variable never takes the name of one of the module's functions (it
    # would hide the function from the code that calls it), nor of what the prelude binds,
    # nor of a math function the module imports
    names = [f.name for fn in fns for f in (fn,) + tuple(fn.callees)]
    names += [numpy_twin(f) for fn in fns for f in (fn,) + tuple(fn.callees) if numpy_twin(f)]
    if len(set(names)) != len(names) or set(names) & bound:
        raise InternalError("two functions of one generated module have one name")
    imported = _math_imports(fns, every, set(names) | bound)
    functions = tuple(sorted(set(names) | bound | set(imported)))
    token = MATH_IMPORTED.set(frozenset(imported))
    try:
        return lines + _module_rest(fns, xp, every, statements, defs, imported, functions, verify)
    finally:
        MATH_IMPORTED.reset(token)


def _math_imports(fns, every, taken):
    """The math functions the module imports by name (passes/pymath.py's ops), sorted:
    all it calls but those whose name the module binds otherwise or a parameter has
    (those are called `math.<name>`)."""
    spelled = {OPS[op.opcode].math[0] for op in every if _python(op) == "math"}
    params = {p for fn in fns for f in (fn,) + tuple(fn.callees) for p in f.param_names}
    return sorted(spelled - taken - params)


def _module_rest(fns, xp, every, statements, defs, imported, functions, verify):
    """_module's lines after its header: imports, the prelude, helpers, the functions."""
    spelled = {op.opcode for op in every if _python(op) == "math"}  # (pymath)
    lines = [f"from math import {', '.join(imported)}"] if imported else []
    if (
        any(OPS[opcode].math[0] not in imported for opcode in spelled)
        or any(
            "math." in text for fn in fns for f in (fn,) + tuple(fn.callees) for text in f.prelude
        )
        or any(op.opcode == "extern" and str(op.attr("fn")).startswith("math.") for op in every)
    ):  # (custom rules and the functions known by name only may read math too)
        lines.append("import math")
    if (
        not xp
        or any(
            "np." in text or text == "import numpy as np"
            for fn in fns
            for f in (fn,) + tuple(fn.callees)
            for text in f.prelude
        )
        or any(op.opcode == "extern" and str(op.attr("fn")).startswith("np.") for op in every)
    ):
        # (custom rules and what they call are the user's NumPy code)
        lines.append("import numpy as np")
    if xp:
        lines.append(codegen_xp.IMPORT)
    lines += statements
    if CHECK_TYPES and not xp:
        lines += ["", "", TYPECHECK.rstrip("\n")]
    helpers = {
        codegen_xp.helper_text(op.opcode) or OPS[op.opcode].helper if xp else OPS[op.opcode].helper
        for op in every
        if OPS[op.opcode].helper
    }
    for text in sorted(helpers, key=lambda t: t.split("(")[0]):
        lines += ["", "", text.rstrip("\n")]
    for text in defs:
        lines += ["", "", text]
    done = set()
    printed = []
    for fn in fns:
        for callee in _callees_in_order(fn):
            if callee.name not in done:
                done.add(callee.name)
                printed += ["", ""] + function_lines(callee, verify, functions)
        printed += ["", ""] + function_lines(fn, verify, functions)
    if any("builtins." in str(line) for line in printed):  # (SHADOWED)
        lines.insert(0, "import builtins")
    return lines + printed


def _prelude(fns):
    """(import and constant lines, defs, the names they bind) that the functions' calls
    of custom rules need (custom.py), each once; one name bound two ways is an error."""
    statements, defs, bound = {}, {}, {}
    for fn in fns:
        for text in fn.prelude:
            if text == "import numpy as np":
                continue
            if text.startswith("def "):
                defs[text] = None
            else:
                statements[text] = None
            name = custom.bound_name(text)
            if bound.setdefault(name, text) != text and not text.startswith("import "):
                raise UnsupportedError(
                    f"the functions written into one module read {name!r} as two different "
                    f"things ({bound[name]!r} and {text!r})",
                    hint="write them into separate modules, or rename one",
                )
    imports = sorted(t for t in statements if t.startswith(("import ", "from ")))
    return imports + [t for t in statements if t not in imports], list(defs), set(bound)


def _unique_callees(fns):
    """The functions of one module with their callees' names made unique across
    them: two functions may each call a helper specialised differently under one
    name (`vjp_helper` of `helper(x, True)` and of `helper(x, False)`), and the
    module holds one function per name (callees printed the same share it); and
    no callee takes a name some function's parameter has (`def f(x, vjp_h)`
    would hide the module's `vjp_h` from f)."""
    owner = {fn.name: None for fn in fns}  # module-level name -> the callee under it
    for f in fns:  # (None: a name no callee may take)
        for g in (f,) + tuple(f.callees):
            owner.update((p, None) for p in g.param_names if p not in owner)
    out = []
    for fn in fns:
        mapping, callees = {}, []
        for callee in _callees_in_order(fn):  # each before its callers
            c = _rename_calls(callee, mapping)
            if c.name in owner and (
                owner[c.name] is None or function_lines(owner[c.name]) != function_lines(c)
            ):
                k = 1
                while f"{c.name}_{k}" in owner:
                    k += 1
                mapping[c.name] = f"{c.name}_{k}"
                c = replace(c, name=mapping[c.name])
            owner[c.name] = c
            callees.append(c)
        out.append(replace(_rename_calls(fn, mapping), callees=tuple(callees)))
    return out


def _rename_calls(fn, mapping):
    """fn with its calls to `mapping`'s functions calling the new names."""
    if not mapping:
        return fn

    def region(r):
        ops = []
        for op in r.ops:
            callee = op.attr("callee")
            if callee in mapping:
                op = op.replace(attrs=make_attrs(dict(op.attrs, callee=mapping[callee])))
            if op.regions:
                op = op.replace(regions=tuple(region(x) for x in op.regions))
            ops.append(op)
        return Region(r.args, tuple(ops), r.yields)

    return replace(fn, body=region(fn.body))


def _callees_in_order(fn):
    """The functions `fn` calls, directly or not, each before its callers."""
    by_name = {c.name: c for c in fn.callees}
    out, seen = [], set()

    def visit(f):
        for op in f.body.walk():
            name = op.attr("callee")
            if name in by_name and name not in seen:
                seen.add(name)
                visit(by_name[name])
                out.append(by_name[name])

    visit(fn)
    return out


def plan_notes(fn):
    """out-of-SSA's decisions for `s2sgrad show --stage out_of_ssa`: a function
    (op or region) -> the text the IR printer appends: each result's Python
    name (`=> h`), `inline` for an expression printed where it is used, `in place`
    for a write into its array; a region's arguments' names."""
    plan = out_of_ssa.run(fn)
    names = Namespace(reserved=HELPER_NAMES, plan=plan)
    for p, n in zip(fn.params, fn.param_names):
        names.fix(p, n)
    _function_body(fn, plan, names)  # names are given in the order code is printed

    def note(x):
        if not hasattr(x, "opcode"):
            return f"  => ({', '.join(names(a) for a in x.args)})" if x.args else ""
        if not x.results:
            return ""
        if all(r in plan.inlined for r in x.results):
            return "  => inline"
        where = ", ".join(names(r) for r in x.results)
        return f"  => {where}" + ("  in place" if x in plan.in_place else "")

    return note


def function_lines(fn, verify=False, functions=()):
    """The def of fn; where math may raise in it (passes/pymath.py), its body in a `try`
    and, after it, its NumPy twin, which the def calls where math raised."""
    twin = numpy_twin(fn)
    header, unpack, body, ret = _function_parts(_without_same(fn), verify, functions)
    lines = [f"def {fn.name}({', '.join(_with_defaults(fn, header))}):"]
    doc = [f"Specialised for ({', '.join(fn.signature)})."] if fn.signature else []
    if not twin:
        if doc:
            lines.append(f'    """{doc[0]}"""')
        return lines + _indented(unpack + body + [ret], 1)
    raises = sorted(
        {
            e
            for op in fn.body.walk()
            if _python(op) == "math"
            for e in opcodes.math_raises(op.opcode)
        }
        | ({"ZeroDivisionError"} if any(map(_python_division, fn.body.walk())) else set())
    )
    doc += [""] if doc else []
    if raises == ["ZeroDivisionError"]:  # (no math: a gradient's division of Python floats)
        doc += [
            "Where a division of Python floats raises (at 0) and NumPy gives inf or",
            "nan, the same code with NumPy's division runs instead:",
            f"{twin}, below.",
        ]
    else:
        doc += [
            "Python floats are computed with math. Where math raises and NumPy gives",
            "inf or nan, the same code with NumPy's functions runs instead:",
            f"{twin}, below.",
        ]
    lines += [f'    """{doc[0]}'] + _indented(doc[1:-1], 1) + [f'    {doc[-1]}"""']
    lines.append("    try:")
    lines += _indented(unpack + body + [ret], 2)
    caught = raises[0] if len(raises) == 1 else f"({', '.join(raises)})"
    lines += [
        f"    except {caught}:",
        "        pass",
        f"    return {twin}({', '.join(header)})",
        "",
        "",
    ]
    plain = replace(fn, name=twin, body=_unmarked_region(fn.body))
    header, unpack, body, ret = _function_parts(plain, verify, functions)
    lines.append(f"def {twin}({', '.join(_with_defaults(plain, header))}):")
    lines.append(
        f'    """{fn.name} with NumPy\'s functions, for the arguments where math or a division raises."""'
    )
    return lines + _indented(unpack + body + [ret], 1)


def _indented(lines, depth):
    return [_Line.prefixed("    " * depth, line) if line else "" for line in lines]


def _function_parts(fn, verify, functions):
    """(parameters, lines unpacking pytrees, body lines, return line) of fn's def."""
    plan = out_of_ssa.run(fn)
    if verify:
        verify_names.check(fn, plan, plan.shares, plan.web)
    xp = codegen_xp.active()
    if xp:
        codegen_xp.check_names(fn)
    reserved = HELPER_NAMES + tuple(functions) + (codegen_xp.RESERVED if xp else ())
    names = Namespace(reserved=reserved + ("builtins",), plan=plan)
    for p, n in zip(fn.params, fn.param_names):
        names.fix(p, n)
    token = SHADOWED.set(frozenset(fn.param_names) & custom.BUILTIN_NAMES)
    try:
        body, ret = _function_body(fn, plan, names)
        header, unpack = _entry(fn, names)
    finally:
        SHADOWED.reset(token)
    if xp:  # (after the pytrees' leaves are read: they may be its arrays)
        unpack = unpack + [codegen_xp.namespace_line(fn, names)]
    return header, unpack, body, ret


def _python(op):
    """passes/pymath.py's mark of op: 'math', 'float', 'same' or None."""
    return op.attrs and op.attr_dict.get("python")


def numpy_twin(fn):
    """The name of fn's NumPy twin (function_lines), or None when neither math nor a
    division of Python numbers in its gradient code can raise in fn."""
    if any(
        _python(op) == "math" and opcodes.math_raises(op.opcode) or _python_division(op)
        for op in fn.body.walk()
    ):
        return f"_{fn.name}_numpy"
    return None


# the NumPy function a NumPy twin calls for a Python operator that raises at 0
_TWINS = {"div": "divide", "pow": "power"}


def _python_division(op):
    """`a / b` (or `a ** b`) of gradient or tangent code where a and b may be Python
    numbers: at b == 0 (a == 0 with b < 0) Python raises ZeroDivisionError, where the
    function itself, on NumPy's values, gave inf (np.log(x * y) at x * y == 0 is -inf,
    its adjoint `1.0 / (x * y)`): the fast code catches it and the NumPy twin runs,
    which divides with np.divide (np.power: _TWINS)."""
    if op.opcode not in _TWINS or (
        _role(op)[0] not in ("grad", "seed", "out") and not op.attr("tangent", False)
    ):  # (a tangent rule's division: forward.py marks it; `0.0 ** -0.5` raises too)
        return False
    k = 0 if op.opcode == "pow" else 1  # (the base of a power, the divisor of a division)
    return (op.operands[k].type.dtype or "").startswith("float") and all(
        v.type.kind == "array" and v.type.shape == () and v.type.weak is not False
        for v in op.operands
    )  # (a division by a Python int, `1.0 / len(x)`, is by a length: left as it is)


def _without_same(fn):
    """fn with each `float(v)` marked 'same' (v is a Python float) read as v."""
    same = {op.results[0]: op.operands[0] for op in fn.body.walk() if _python(op) == "same"}
    if not same:
        return fn
    return replace(fn, body=_dropped(substitute(fn.body, same), set(same)))


def _dropped(region, results):
    """region without the ops that define `results`."""
    ops = tuple(
        op.replace(regions=tuple(_dropped(r, results) for r in op.regions)) if op.regions else op
        for op in region.ops
        if not (op.results and op.results[0] in results)
    )
    return Region(region.args, ops, region.yields)


def _unmarked_region(region):
    """region with passes/pymath.py's marks removed (NumPy's functions throughout), and
    gradient code's divisions of Python numbers marked to be np.divide."""
    ops = []
    for op in region.ops:
        if _python(op):
            op = _unmarked(op)
        if _python_division(op):
            op = op.replace(attrs=tuple(sorted(op.attrs + (("python", _TWINS[op.opcode]),))))
        if op.regions:
            op = op.replace(regions=tuple(_unmarked_region(r) for r in op.regions))
        ops.append(op)
    return Region(region.args, tuple(ops), region.yields)


def _with_defaults(fn, header):
    """The def's parameters: the source's default values kept on the trailing run of
    parameters that all have one (a parameter the transform appends, a vjp's cotangent
    or a jvp's tangents, has none, and so ends the run)."""
    defaults = dict(fn.defaults)
    out, run = list(header), True
    for k in reversed(range(len(out))):
        run = run and out[k] in defaults
        if run:
            out[k] = f"{out[k]}={_text(literal(defaults[out[k]]))}"
    return out


def _entry(fn, names):
    """(the parameter list, the lines unpacking its pytrees' leaves): a pytree
    parameter is taken whole, as the source takes it, and its leaves are read into
    the names the body uses (frontend/pytrees.py)."""
    if not fn.entry:
        return list(fn.param_names), []
    header, lines, k = [], [], 0
    for name, treedef, n in fn.entry:
        header.append(name)
        if treedef is not None:
            for path, p in zip(pytrees.paths(treedef), fn.params[k : k + n]):
                if not pytrees.static_leaf(p.type):
                    lines.append(f"{names(p)} = {pytrees.path_text(name, path)}")
        k += n
    header.extend(fn.param_names[k:])
    return header, (
        [f"# the leaves of {', '.join(e[0] for e in fn.entry if e[1] is not None)}"] + lines
        if lines
        else []
    )


def _function_body(fn, plan, names):
    """(the body's lines, the return statement) of fn as `plan` decided; a result with
    a dict in it (Function.out_tree) is written as that dict."""
    ex = _Expr(fn, names, plan)
    body = _block(fn.body.ops, ex, names, top=True)
    if fn.out_tree is not None:
        return body, render(ast.Return(value=_tree_expr(ex, fn.body.yields[0], fn.out_tree)))
    return body, render(ast.Return(value=ex.value(fn.body.yields[0])))


def _tree_expr(ex, v, treedef):
    """The expression of the value v as treedef's structure: a dict display where the
    IR has a tuple of the dict's values."""
    if treedef is None:
        return ex.value(v)
    op = ex.defs.get(v)
    children = treedef[-1]
    if not (
        ex.inlined(v)
        and op is not None
        and op.opcode in ("tuple", "list")
        and len(op.operands) == len(children)
    ):
        return _tree_expr_of(ex.value(v), treedef)  # a name: its items subscripted
    return _container(treedef, [_tree_expr(ex, x, c) for x, c in zip(op.operands, children)])


def _container(treedef, items):
    """The display of treedef's outer container (a dict, list or tuple) holding items."""
    if treedef[0] == "dict":
        return ast.Dict(keys=[literal(k) for k in treedef[1]], values=items)
    if treedef[0] == "list":
        return ast.List(elts=items, ctx=ast.Load())
    return ast.Tuple(elts=items, ctx=ast.Load())


def _tree_expr_of(node, treedef):
    """treedef's structure over the expression `node` (a tuple at run time)."""
    if treedef is None:
        return node
    return _container(
        treedef,
        [
            _tree_expr_of(ast.Subscript(value=node, slice=literal(i), ctx=ast.Load()), c)
            for i, c in enumerate(treedef[-1])
        ],
    )


def _block(ops, ex, names, top=False):
    """The lines of a list of ops: statements grouped by source line, with comments."""
    body = []
    groups = []
    seed = None  # a seed printed where it is read (`1.0 / t`): its sweep starts at the next group
    for op in ops:
        if op.results and all(ex.inlined(r) for r in op.results):
            if _role(op)[0] == "seed" and seed is None:
                seed = op
            continue
        key = _group_key(op)
        if not groups or groups[-1][0] != key or seed is not None:
            groups.append((key, op, [], seed))
            seed = None
        groups[-1][2].extend(_statement(op, ex, names))
    prev_role = prev_raw = "fwd"
    for i, (_, first, stmts, seed) in enumerate(groups):
        role, name = _role(first)
        where = _where(first.loc)
        starts = top and (
            role == "seed"
            or seed is not None
            or role not in ("fwd", "tape", "ckpt")
            and prev_role in ("fwd", "out")
            and role != prev_role
        )
        after_tape = prev_raw == "tape"
        prev_raw = role
        prev_role = "fwd" if role in ("tape", "ckpt") else role
        if starts:
            if body:
                body.append("")
            call = _call_where(groups, i)
            body.append(
                f"# ---- {name}: reverse sweep for the call at {call} ----"
                if call
                else f"# ---- {name}: reverse sweep ----"
            )
        block = len(body)  # (the group's lines, from its comment on)
        if role == "fwd":
            stmts = list(stmts)
            if where:
                j = next(
                    (j for j, line in enumerate(stmts) if line.rstrip().endswith(":")),
                    len(stmts) - 1,
                )
                stmts[j] = f"{stmts[j]}  # {where}"
        elif role == "seed":
            body.append("# seed: d(ys)")
        elif role == "grad":
            text = first.loc.text.strip() if first.loc and first.loc.text else first.opcode
            body.append(f"# grad of: {text}  [{where}]")
        elif role == "out":
            body.append("# gradients of the xs")
        elif role == "tape" and not _saves_tape(first) and not after_tape:
            body.append("# this iteration's forward values")
        elif role == "ckpt" and first.opcode == "pop":
            body.append("# this segment's checkpoint: its steps again, taped, then backwards")
        elif role == "ckpt" and first.opcode not in ("push", "stack"):
            body.append(
                f"# checkpoints: the carried values every {names(first.results[0])} "
                "steps (~ the square root of the loop's count)"
            )
        body.extend(stmts)
        _Line.locate(body, block, first.loc, role)
    return _once(body)


def _once(lines):
    """lines without a `# grad of:` comment that repeats, first in a loop's or a branch's
    body, the one just above its header (a checkpoint segment's recomputed step reads
    the loop's own line)."""
    out = []
    for line in lines:
        if (
            len(out) >= 2
            and line.strip().startswith("# grad of:")
            and line.strip() == out[-2].strip()
            and out[-1].rstrip().endswith(":")
        ):
            continue
        out.append(line)
    return out


class _Line(str):
    """A line of generated code that knows where it comes from (module_links): `loc`,
    the source location of its op, `block`, a token the lines of one group share,
    and the group's `role`. Only the HTML view reads them; the module is its text."""

    loc = block = role = None

    @classmethod
    def at(cls, text, loc, role, block=None):
        line = cls(text)
        line.loc, line.block, line.role = loc, block if block is not None else object(), role
        return line

    @classmethod
    def locate(cls, lines, start, loc, role):
        """lines[start:] that have no location yet (a group's comment and statements; a
        region's statements have theirs) given `loc`, as one block."""
        if loc is None:
            return
        block = object()
        for k in range(start, len(lines)):
            if lines[k] and not isinstance(lines[k], cls):
                lines[k] = cls.at(lines[k], loc, role, block)

    @classmethod
    def prefixed(cls, prefix, line):
        """prefix + line, keeping line's location."""
        if not isinstance(line, cls):
            return prefix + line
        return cls.at(prefix + line, line.loc, line.role, line.block)


def _saves_tape(op):
    """A tape group that makes or fills tapes (`stack`, `push`), not one reading them back."""
    return OPS[op.opcode].effect in ("new", "update")


def _role(op):
    role, _, name = (op.tag or "fwd").partition(":")
    return role, name


def _call_where(groups, i):
    """Where the gradients call of the section starting at groups[i] is: its seed
    or its gradients-of-the-xs lines carry the call's location (None if it has neither)."""
    for j, (_, first, _, seed) in enumerate(groups[i:], i):
        role, _ = _role(first)
        if role == "fwd" or (role == "seed" or seed is not None) and j > i:
            return None
        if seed is not None:  # (a seed printed where it is read)
            return _where(seed.loc)
        if role in ("seed", "out"):
            return _where(first.loc)
    return None


def _where(loc):
    if loc is None:
        return ""
    return f"{os.path.basename(loc.file)}:{loc.line}"


def _statement(op, ex, names):
    """The lines of one op: an assignment, or for an op its definition calls a
    statement, what `_stmt_<opcode>` writes (regions, tape appends, writes); under
    CHECK_TYPES, then the type checks of what it assigned."""
    lines = _statement_lines(op, ex, names)
    if CHECK_TYPES and not codegen_xp.active():
        lines = lines + _type_checks(op.results, ex, names, op.loc)
    return lines


def _type_checks(values, ex, names, loc):
    """CHECK_TYPES: `_s2s_typecheck(v, ...)` of each array value assigned (not inlined)."""
    out = []
    for v in values:
        t = v.type
        if t.kind != "array" or ex.inlined(v) or v in ex.plan.unused:
            continue
        if t.dtype is None and t.shape is None and t.weak is False:
            continue  # (a type s2sgrad does not know: np.triu_indices's tuple of arrays)
        shape = None if t.shape is None else tuple(d if type(d) is int else None for d in t.shape)
        where = f"{os.path.basename(loc.file)}:{loc.line}" if loc is not None else "?"
        out.append(f"_s2s_typecheck({names(v)}, {t.dtype!r}, {shape!r}, {t.weak!r}, {where!r})")
    return out


def _statement_lines(op, ex, names):
    d = OPS[op.opcode]
    if d.statement:
        return globals()["_stmt_" + op.opcode](op, ex, names)
    if len(op.results) == 1 and op.result in ex.plan.unused:  # kept for its effect alone
        return [render(ast.Expr(value=ex.op_expr(op)))]
    in_place = op in ex.in_place and not codegen_xp.active()  # (xp: `t = xp.tanh(t)`)
    if in_place and op.opcode in out_of_ssa.UNARY_OUT:  # np.tanh(t, out=t)
        target = names(op.result)
        return [f"{OPS[op.opcode].form[1]}({target}, out={target})"]
    if in_place and op.opcode in out_of_ssa.AUGMENTED:  # a += b: a's array dies here
        target = names(op.result)
        node = ast.AugAssign(
            target=_name(target, store=True),
            op=_AST_BINOP[OPS[op.opcode].form[1]](),
            value=ex.value(op.operands[1]),
        )
        # (renamed: `d_x = d; d_x += v`, the sum takes d's array under its own name)
        rename = [f"{target} = {names(op.operands[0])}"] if op in ex.plan.renamed else []
        return rename + [render(node)]
    into = ex.plan.out_into.get(op)
    if into is not None and not codegen_xp.active():  # written into a dead array's memory
        ufunc = out_of_ssa.UFUNCS.get(op.opcode) or OPS[op.opcode].form[1]
        args = ", ".join(render(ex.value(v)) for v in op.operands)
        return [f"{names(op.result)} = {ufunc}({args}, out={names(into)})"]
    hit = ex.direct(op)  # (the common case: no syntax tree is built)
    if hit is None:
        return [_assignment(op, ex, names)]
    line = f"{', '.join(names(r) for r in op.results)} = {hit[0]}"
    return [_checked(line, op, lambda: _assignment(op, ex, names))]


def _checked(line, op, tree):
    """`line`, written directly; under CHECK_RENDER (the test suite) it must be what
    the syntax-tree path, `tree()`, writes for op."""
    if CHECK_RENDER and line != tree():
        raise InternalError(
            f"codegen writes {line!r} for {op!r}; through the syntax tree it writes {tree()!r}"
        )
    return line


def _assignment(op, ex, names):
    value = ex.op_expr(op)
    if len(op.results) == 1:
        target = _name(names(op.result), store=True)
    else:
        target = ast.Tuple(elts=[_name(names(r), store=True) for r in op.results], ctx=ast.Store())
    return render(ast.Assign(targets=[target], value=value, type_comment=None))


def _copies(dests, srcs, ex, names):
    """The parallel copy dests <- srcs (a branch's end, a loop's entry or back edge),
    as statements that read every source before its name is rebound."""
    copies = []
    for d, s in zip(dests, srcs):
        dname = names(d)
        if not ex.inlined(s) and names(s) == dname:
            continue
        copies.append((dname, s, ex.reads(s)))
    lines = []
    for group in out_of_ssa.sequential_copies(copies):
        targets = [_name(d, store=True) for d, _, _ in group]
        values = [ex.value(s) for _, s, _ in group]
        if len(group) == 1:
            target, value = targets[0], values[0]
        else:
            target = ast.Tuple(elts=targets, ctx=ast.Store())
            value = ast.Tuple(elts=values, ctx=ast.Load())
        line = render(ast.Assign(targets=[target], value=value, type_comment=None))
        src = ex.defs.get(group[0][1]) if len(group) == 1 and ex.inlined(group[0][1]) else None
        if src is not None and _role(src)[0] == "fwd" and _where(src.loc):
            line = _Line.at(f"{line}  # {_where(src.loc)}", src.loc, "fwd")
        lines.append(line)
    return lines


def _indent(lines):
    return [_Line.prefixed("    ", line) if line else "" for line in lines] or ["    pass"]


def _stmt_push(op, ex, names):
    """`tape.append(v)`, or `tape.append((v, w, ...))`: one iteration's values."""
    tape, *items = (ex.text(v) for v in op.operands)
    item = items[0][0] if len(items) == 1 else f"({', '.join(t for t, _ in items)})"
    line = f"{_paren(*tape, _ATOM)}.append({item})"
    _checked(line, op, lambda: render(ast.Expr(value=ex.op_expr(op))))
    return _wrapped(line, len(_paren(*tape, _ATOM)) + len(".append(("))


def _stmt_pop(op, ex, names):
    """`v = tape.pop()`, or `v, w, ... = tape.pop()` as pushed (parenthesised when wrapped)."""
    tape = _paren(*ex.text(op.operands[0]), _ATOM)
    targets = ", ".join(names(r) for r in op.results)
    line = _checked(f"{targets} = {tape}.pop()", op, lambda: _assignment(op, ex, names))
    return _wrapped(line, 1) if len(line) <= 96 else _wrapped(f"({targets}) = {tape}.pop()", 1)


def _wrapped(line, indent, width=96):
    """A tape line of many names, wrapped inside its parentheses at commas (never inside
    a string: a line with one is left whole)."""
    if len(line) <= width or "'" in line or '"' in line:
        return [line]
    lines, cur = [], ""
    for part in line.split(", "):
        if cur and len(cur) + len(part) + 2 > width:
            lines.append(cur + ",")
            cur = " " * indent + part
        else:
            cur = cur + ", " + part if cur else part
    return lines + [cur]


def _region_lines(region, dests, ex, names):
    """A region's statements, then the parallel copy of its yields into dests."""
    checks = []
    if CHECK_TYPES and region.args and not codegen_xp.active():
        loc = next((op.loc for op in region.ops if op.loc is not None), None)
        checks = _type_checks(region.args, ex, names, loc)
    return checks + _block(region.ops, ex, names) + _copies(dests, region.yields, ex, names)


def _range(op, ex):
    start, stop, step = op.operands[:3]
    s0, s2 = _static(ex, start), _static(ex, step)
    args = [stop] if s0 == 0 and s2 == 1 else [start, stop] if s2 == 1 else [start, stop, step]
    rng = _call("range", [ex.value(a) for a in args])
    if op.attr("reverse"):
        rng = _call("reversed", [rng])
    return render(rng)


def _static(ex, v):
    op = ex.defs.get(v)
    return op.attr("value") if op is not None and op.opcode == "const" else None


def _stmt_if(op, ex, names):
    if ex.is_expression(op) and op.result not in ex.plan.unused:  # `lo = y if c else m`
        return [f"{names(op.result)} = {render(ex.op_expr(op))}"]
    then, other = op.regions
    cond = render(ex.value(op.operands[0]))
    first = _region_lines(then, op.results, ex, names)
    rest = _region_lines(other, op.results, ex, names)
    if not first and rest:  # (nothing to do when it holds: `if not cond:`)
        return [
            f"if {render(ast.UnaryOp(op=ast.Not(), operand=ex.value(op.operands[0])))}:"
        ] + _indent(rest)
    lines = [f"if {cond}:"] + _indent(first)
    if rest:
        lines += ["else:"] + _indent(rest)
    return lines


def _stmt_for(op, ex, names):
    (body,) = op.regions
    carried = body.args[1:]
    lines = _copies(carried, op.operands[3 : 3 + len(carried)], ex, names)
    lines.append(f"for {names(body.args[0])} in {_range(op, ex)}:")
    return lines + _indent(_region_lines(body, carried, ex, names))


def _stmt_while(op, ex, names):
    cond, body = op.regions
    for res, a, b in zip(op.results, cond.args, body.args):
        if not names(a) == names(b) == names(res):
            raise InternalError(
                f"while: the carried value {names(res)} is read as {names(a)} and {names(b)}"
            )
    lines = _copies(cond.args, op.operands, ex, names)
    cond_lines = _block(cond.ops, ex, names)
    test = render(ex.value(cond.yields[0]))
    if not cond_lines:
        lines.append(f"while {test}:")
        lines += _indent(_region_lines(body, body.args, ex, names))
    else:
        lines.append("while True:")
        inner = cond_lines + [f"if not {test}:", "    break"]
        inner += _region_lines(body, body.args, ex, names)
        lines += _indent(inner)
    return lines


def _stmt_closure(op, ex, names):
    (region,) = op.regions
    params = ", ".join(names(a) for a in region.args)
    lines = _block(region.ops, ex, names)
    ys = region.yields
    value = (
        ex.value(ys[0])
        if len(ys) == 1
        else ast.Tuple(elts=[ex.value(y) for y in ys], ctx=ast.Load())
    )
    lines.append(render(ast.Return(value=value)))
    return [f"def {names(op.result)}({params}):"] + _indent(lines)


_stmt_setitem = _stmt_index_add = codegen_index.write_lines


def _stmt_append(op, ex, names):
    """`xs.append(v)` in place; else on a copy: `xs_1 = xs.copy()`, then `xs_1.append(v)`."""
    old, value = op.operands
    target = names(op.result)
    lines = codegen_index.copy_unless_in_place(op, ex, old, target)
    lines.append(render(ast.Expr(value=_call(_attr(_name(target), "append"), [ex.value(value)]))))
    return lines
