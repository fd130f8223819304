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
import builtins
import keyword
import math
import os

import astunparse
import gast
import numpy as np

from . import __version__, codegen_index
from .errors import InternalError
from .ir import opcodes
from .ir.core import ADJOINT_TEMP, CONST, STACK, TEMP, TEMP_HINTS, free_values, use_counts

TEMP_PREFIX = {TEMP: "_t", CONST: "_t", ADJOINT_TEMP: "_d", STACK: "_stack"}  # unnamed values
NEVER_INLINE = frozenset({"gate", "gradients", "if", "for", "while", "stack", "push", "pop",
                          "setitem", "index_add", "call_vjp", "call_back", "closure"})
STATEMENTS = frozenset({"if", "for", "while", "push", "closure",   # ops written as statements
                        "setitem", "index_add"})

UNBROADCAST_HELPER = '''\
def _unbroadcast(g, shape):
    """Sum g over the axes NumPy broadcasting added to an array of `shape`."""
    while np.ndim(g) > len(shape):
        g = np.sum(g, axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and np.shape(g)[axis] != 1:
            g = np.sum(g, axis=axis, keepdims=True)
    return g
'''


# ---- names --------------------------------------------------------------------

class Namespace:
    """Every generated name: never a keyword, a builtin, or a name already given."""

    def __init__(self, reserved=()):
        self.used = set(keyword.kwlist) | set(dir(builtins)) | {"np", "math"} | set(reserved)
        self.names = {}
        self.temps = {}

        self.aliases = {}

    def fix(self, value, name):
        self.names[value] = name
        self.used.add(name)

    def alias(self, value, target):
        """`value` is written under `target`'s name (SSA versions of one Python
        variable across a loop or branch). False if value already has a name."""
        if value in self.names or value in self.aliases or value is target:
            return False
        root = target
        while root in self.aliases:
            root = self.aliases[root]
        if root is value:           # target is already written under value's name
            return True
        self.aliases[value] = target
        return True

    def __call__(self, value):
        if value in self.aliases:
            name = self(self.aliases[value])
            self.names[value] = name
            return name
        if value in self.names:
            return self.names[value]
        prefix = TEMP_PREFIX.get(value.hint)
        if prefix is not None:
            n = self.temps.get(prefix, 0)
            while f"{prefix}{n}" in self.used:
                n += 1
            self.temps[prefix] = n
            name = f"{prefix}{n}"
        else:
            base = "".join(c if c.isalnum() or c == "_" else "_" for c in value.hint) or "v"
            if base[0].isdigit():
                base = "v" + base
            name, k = base, 0
            while name in self.used:
                k += 1
                name = f"{base}_{k}"
        self.fix(value, name)
        return name


# ---- rendering ------------------------------------------------------------------

_PREC = {"Or": 3, "And": 4, "Not": 5, "Compare": 6, "BitOr": 7, "BitXor": 8, "BitAnd": 9,
         "LShift": 10, "RShift": 10, "Add": 11, "Sub": 11, "Mult": 12, "MatMult": 12, "Div": 12,
         "FloorDiv": 12, "Mod": 12, "Unary": 13, "Pow": 14, "Atom": 16}


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
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool) and (node.value < 0 or math.copysign(1, node.value) < 0):
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
    """gast node (statement or expression) → source text, through astunparse."""
    import io
    tree = gast.gast_to_ast(node)
    out = io.StringIO()
    _Unparser(tree, file=out)
    return out.getvalue().strip("\n")


# ---- building expressions ---------------------------------------------------------

def _name(id_, store=False):
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None,
                     type_comment=None)


def _attr(value, attr):
    return gast.Attribute(value=value, attr=attr, ctx=gast.Load())


def _dotted(path):
    parts = path.split(".")
    node = _name(parts[0])
    for p in parts[1:]:
        node = _attr(node, p)
    return node


def _call(func, args, keywords=()):
    return gast.Call(func=_dotted(func) if isinstance(func, str) else func, args=list(args),
                     keywords=[gast.keyword(arg=k, value=v) for k, v in keywords])


def literal(value):
    """A constant as an expression: numbers, None, bools, strings, tuples, dtypes."""
    if isinstance(value, (tuple, list)):
        elts = [literal(v) for v in value]
        return gast.Tuple(elts=elts, ctx=gast.Load()) if isinstance(value, tuple) \
            else gast.List(elts=elts, ctx=gast.Load())
    if isinstance(value, np.generic):
        return _call(f"np.{type(value).__name__}", [literal(value.item())])
    if isinstance(value, float):
        if math.isnan(value):
            return _dotted("np.nan")
        if math.isinf(value):
            inf = _dotted("np.inf")
            return inf if value > 0 else gast.UnaryOp(op=gast.USub(), operand=inf)
    return gast.Constant(value=value, kind=None)


def _dtype(name):
    return _dotted(f"np.{name}")


class _Expr:
    """Expressions for values, inlining single-use temporaries."""

    def __init__(self, fn, names):
        self.names = names
        self.defs = {}
        self.uses = use_counts(fn.body)
        self.user = {}
        self.region_of = {}        # value or op -> id of the region it is in
        self.yielded_in = {}       # value -> id of a region yielding it
        self.named = set()         # values given a loop/branch variable's name
        self.owner = {}            # region id -> the op it belongs to
        self.expr_cache = {}       # if op -> is it written as an expression
        self._index(fn.body, 0)
        self.twice_ok = set()      # conditions written once in `c and x` / `c or x`
        for op in fn.body.walk():
            if op.opcode == "if" and len(op.results) == 1 and \
                    op.operands[0] in (op.regions[0].yields[0], op.regions[1].yields[0]):
                self.twice_ok.add(op.operands[0])

    def _index(self, region, rid):
        for a in region.args:
            self.region_of[a] = rid
        for v in region.yields:
            self.yielded_in.setdefault(v, rid)
        for op in region.ops:
            self.region_of[op] = rid
            for r in op.results:
                self.defs[r] = op
                self.region_of[r] = rid
            for v in op.operands:
                self.user.setdefault(v, op)
            for r in op.regions:
                self.owner[id(r)] = op
                self._index(r, id(r))

    def inlined(self, v):
        op = self.defs.get(v)
        if op is None or len(op.results) != 1 or v in self.named:
            return False
        if op.opcode in NEVER_INLINE and not self.is_expression(op):
            return False
        if op.opcode == "const":
            return v.hint in TEMP_HINTS
        if v.hint not in TEMP_HINTS or self.uses.get(v, 0) != (2 if v in self.twice_ok else 1):
            return False
        user = self.user.get(v)
        if user is None:        # used once, by a yield: the return statement, or a branch of an
            rid = self.region_of.get(v)         # `a if c else b` (nothing is reassigned there
            if self.yielded_in.get(v) != rid:   # before it is read; at the end of a loop body
                return False                    # or a branch statement it could be)
            owner = self.owner.get(rid)
            return rid == 0 or self.is_expression(owner) or \
                owner.opcode == "while" and id(owner.regions[0]) == rid    # `while <cond>:`
        return self.region_of.get(user) == self.region_of.get(v) and \
            _group_key(user) == _group_key(op)

    def is_expression(self, op):
        """An `if` with one result whose branches are expressions: written as
        `a if c else b` (or `c and b`, `c or b`), which Python evaluates lazily too."""
        if op.opcode != "if" or len(op.results) != 1:
            return False
        if op not in self.expr_cache:
            self.expr_cache[op] = False      # (while deciding: its yields are not expressions)
            self.expr_cache[op] = all(
                o.results and all(r in region.yields or self.inlined(r) for r in o.results)
                and all(self._yield_ok(r) for r in o.results if r in region.yields)
                for region in op.regions for o in region.ops)
        return self.expr_cache[op]

    def _yield_ok(self, v):
        """A branch's yielded temporary that an expression-if may inline."""
        op = self.defs.get(v)
        if op is None or v in self.named or v.hint not in TEMP_HINTS:
            return op is None
        if op.opcode in NEVER_INLINE and not self.is_expression(op):
            return False
        return op.opcode == "const" or self.uses.get(v, 0) == 1

    def value(self, v):
        if self.inlined(v):
            return self.op_expr(self.defs[v])
        return _name(self.names(v))

    def op_expr(self, op):
        d = opcodes.OPS[op.opcode]
        args = [self.value(v) for v in op.operands]
        attrs = op.attr_dict
        kind = d.form[0]
        if kind == "binop":
            return gast.BinOp(left=args[0], op=_AST_BINOP[d.form[1]](), right=args[1])
        if kind == "cmp":
            return gast.Compare(left=args[0], ops=[_AST_CMP[d.form[1]]()], comparators=[args[1]])
        if kind == "unop":
            return gast.UnaryOp(op=gast.USub() if op.opcode == "neg" else gast.Not(), operand=args[0])
        if kind == "attr":
            return _attr(args[0], d.form[1])
        if kind == "call":
            keywords = []
            for k in d.kwattrs:
                if k in attrs:
                    v = attrs[k]
                    keywords.append((k, _dtype(v) if k == "dtype" and v else literal(v)))
            positional = [k for k, _ in op.attrs if k not in d.kwattrs]
            args += [literal(attrs[k]) for k in positional]
            return _call(d.form[1], args, keywords)
        return getattr(self, "special_" + op.opcode)(op, args, attrs)

    def special_const(self, op, args, attrs):
        return literal(attrs["value"])

    def special_tuple(self, op, args, attrs):
        return gast.Tuple(elts=args, ctx=gast.Load())

    def special_list(self, op, args, attrs):
        return gast.List(elts=args, ctx=gast.Load())

    def special_getitem(self, op, args, attrs):
        return gast.Subscript(value=args[0], slice=literal(attrs["index"]), ctx=gast.Load())

    def special_stop_gradient(self, op, args, attrs):
        return args[0]

    def special_astype(self, op, args, attrs):
        return gast.Call(func=_attr(args[0], "astype"), args=[_dtype(attrs["dtype"])], keywords=[])

    def special_if(self, op, args, attrs):
        cond = op.operands[0]
        then_v, else_v = op.regions[0].yields[0], op.regions[1].yields[0]
        test = args[0]
        if else_v is cond:       # if c: x else: c   ==   c and x
            return gast.BoolOp(op=gast.And(), values=[test, self.value(then_v)])
        if then_v is cond:       # if c: c else: x   ==   c or x
            return gast.BoolOp(op=gast.Or(), values=[test, self.value(else_v)])
        return gast.IfExp(test=test, body=self.value(then_v), orelse=self.value(else_v))

    def special_index(self, op, args, attrs):
        return gast.Subscript(value=args[0], slice=codegen_index.key_expr(attrs["key"], args[1:]),
                              ctx=gast.Load())

    def special_gate(self, op, args, attrs):
        return gast.Tuple(elts=args, ctx=gast.Load())

    def special_call(self, op, args, attrs):
        return _call(attrs["callee"], args)

    def special_call_vjp(self, op, args, attrs):
        return _call(attrs["callee"], args)

    def special_call_back(self, op, args, attrs):
        return gast.Call(func=args[0], args=args[1:], keywords=[])

    def special_stack(self, op, args, attrs):
        return gast.List(elts=[], ctx=gast.Load())

    def special_pop(self, op, args, attrs):
        return gast.Call(func=_attr(args[0], "pop"), args=[], keywords=[])

    def special_push(self, op, args, attrs):
        return gast.Call(func=_attr(args[0], "append"), args=[args[1]], keywords=[])


_AST_BINOP = {"+": gast.Add, "-": gast.Sub, "*": gast.Mult, "/": gast.Div, "**": gast.Pow,
              "@": gast.MatMult, "//": gast.FloorDiv, "%": gast.Mod}
_AST_CMP = {"==": gast.Eq, "!=": gast.NotEq, "<": gast.Lt, "<=": gast.LtE, ">": gast.Gt,
            ">=": gast.GtE}


def _group_key(op):
    loc = op.loc
    return (op.tag, loc.file if loc else None, loc.line if loc else None)


# ---- the module -----------------------------------------------------------------------

def generate(fn, header=()):
    """Module text for one IR function (gradients already expanded)."""
    return module([fn], header)


def module(fns, header=()):
    """Module text for IR functions of one source file, in order."""
    sources = sorted({os.path.basename(fn.source_file) for fn in fns})
    lines = [f"# Generated by s2sgrad {__version__} from {', '.join(sources)}: "
             f"{', '.join(fn.name for fn in fns)}. Do not edit."]
    lines += [f"# {h}" for h in header]
    lines.append("import numpy as np")
    if any(op.opcode == "unbroadcast" for fn in fns for f in (fn,) + tuple(fn.callees)
           for op in f.body.walk()):
        lines += ["", "", UNBROADCAST_HELPER.rstrip("\n")]
    done = set()
    for fn in fns:
        for callee in _callees_in_order(fn):
            if callee.name not in done:
                done.add(callee.name)
                lines += ["", ""] + function_lines(callee)
        lines += ["", ""] + function_lines(fn)
    return "\n".join(lines) + "\n"


def _callees_in_order(fn):
    """The functions `fn` calls, directly or not, each before its callers."""
    by_name = {c.name: c for c in fn.callees}
    out, seen = [], set()

    def visit(f):
        for op in f.body.walk():
            name = op.attr("callee") if op.opcode in ("call", "call_vjp") else None
            if name in by_name and name not in seen:
                seen.add(name)
                visit(by_name[name])
                out.append(by_name[name])
    visit(fn)
    return out


def function_lines(fn):
    names = Namespace(reserved=["_unbroadcast"])
    for p, n in zip(fn.params, fn.param_names):
        names.fix(p, n)
    ex = _Expr(fn, names)
    _coalesce(fn.body, ex, names)
    codegen_index.share_names(fn, ex, names)
    body = _block(fn.body.ops, ex, names, top=True)
    ret = render(gast.Return(value=ex.value(fn.body.yields[0])))
    lines = [f"def {fn.name}({', '.join(fn.param_names)}):"]
    if fn.signature:
        lines.append(f'    """Specialised for ({", ".join(fn.signature)})."""')
    for line in body + [ret]:
        lines.append(("    " + line) if line else "")
    return lines


def _block(ops, ex, names, top=False):
    """The lines of a list of ops: statements grouped by source line, with comments."""
    body = []
    groups = []
    for op in ops:
        if op.results and all(ex.inlined(r) for r in op.results):
            continue
        key = _group_key(op)
        if not groups or groups[-1][0] != key:
            groups.append((key, op, []))
        groups[-1][2].extend(_statement(op, ex, names))
    prev_role = prev_raw = "fwd"
    for i, (key, first, stmts) in enumerate(groups):
        role, name = _role(first)
        where = _where(first.loc)
        starts = top and (role == "seed" or role not in ("fwd", "tape")
                          and prev_role in ("fwd", "out") and role != prev_role)
        after_tape = prev_raw == "tape"
        prev_raw = role
        prev_role = "fwd" if role == "tape" else role
        if starts:
            if body:
                body.append("")
            call = _call_where(groups, i)
            body.append(f"# ---- {name}: reverse sweep for the call at {call} ----" if call
                        else f"# ---- {name}: reverse sweep ----")
        if role == "fwd":
            stmts = list(stmts)
            if where:
                j = next((j for j, line in enumerate(stmts) if line.rstrip().endswith(":")),
                         len(stmts) - 1)
                stmts[j] = f"{stmts[j]}  # {where}"
        elif role == "seed":
            body.append("# seed: d(ys)")
        elif role == "grad":
            text = first.loc.text.strip() if first.loc and first.loc.text else first.opcode
            body.append(f"# grad of: {text}  [{where}]")
        elif role == "out":
            body.append("# gradients of the xs")
        elif role == "tape" and first.opcode not in ("push", "stack") and not after_tape:
            body.append("# this iteration's forward values")
        body.extend(stmts)
    return body


def _coalesce(region, ex, names, loops=None, enclosing=()):
    """Write the SSA versions of one variable around a loop or branch under one
    Python name (`h` before, inside and after `for`), wherever that is safe:
    the earlier version is dead when the later one is assigned. A loop index
    is read only inside its loop, so a later loop may reuse its name."""
    loops = {} if loops is None else loops
    for i, op in enumerate(region.ops):
        if op.opcode == "for":
            index = op.regions[0].args[0]
            prev = loops.get(index.hint)
            if prev is not None and prev not in enclosing and index not in names.names:
                names.names[index] = names(prev)
            loops.setdefault(index.hint, index)
        for r in op.regions:
            _coalesce(r, ex, names, loops,
                      enclosing + ((op.regions[0].args[0],) if op.opcode == "for" else ()))
        if op.opcode == "if" and not ex.is_expression(op):
            for k, res in enumerate(op.results):
                for r in op.regions:
                    _link_yield(r, k, res, ex, names, arg=None)
        elif op.opcode in ("for", "while"):
            body = op.regions[-1]
            offset = 3 if op.opcode == "for" else 0
            args = body.args[1:] if op.opcode == "for" else body.args
            for k, res in enumerate(op.results):
                if k >= len(args):
                    break
                if not names.alias(args[k], res):
                    # the carried value already took a name (an inner loop's result, coalesced
                    # with it above): the result takes it too, as `res = init` before the loop
                    # and the body's reads of the carried value must be one variable
                    names.alias(res, args[k])
                ex.named.add(args[k])
                if op.opcode == "while":
                    names.alias(op.regions[0].args[k], res)
                _link_yield(body, k, res, ex, names, arg=args[k])
                init = op.operands[offset + k]
                # only a value of this very region: an outer one may be read again later
                # (in the next iteration of an enclosing loop, or after a closure returns);
                # and not one the loop reads as it is (`for v in xs` reads the xs it began
                # with while it rebinds xs): the carried variable is overwritten in the loop
                if ex.region_of.get(init) == ex.region_of.get(op) and _dead_after(region, i, init, ex) \
                        and init not in free_values(op) and names.alias(init, res):
                    ex.named.add(init)


def _link_yield(region, k, res, ex, names, arg):
    y = region.yields[k]
    if y in region.args or sum(v is y for v in region.yields) != 1:
        return
    pos = next((j for j, o in enumerate(region.ops) if y in o.results), None)
    if pos is None:
        return
    maker = region.ops[pos]
    if arg is not None and (_read_after(region, pos, arg, ex, y)
                            or maker.opcode in ("for", "while") and arg in free_values(maker)):
        return      # arg is read after y is made, or while it is (by the loop making y)
    if names.alias(y, res):
        ex.named.add(y)


def _op_reads(op):
    return set(op.operands) | set(free_values(op))


def _read_after(region, pos, v, ex, made):
    """True when v is read after ops[pos] makes `made`, in `region` or, when
    ops[pos] is an `if`, inside a branch after the op making what the branch
    yields for `made` (that op may be written under made's name)."""
    if any(v in _reads_inlined(o, ex) for o in region.ops[pos + 1:]):
        return True
    op = region.ops[pos]
    if op.opcode != "if":
        return False
    k = op.results.index(made)
    for r in op.regions:
        y = r.yields[k]
        at = next((j for j, o in enumerate(r.ops) if y in o.results), None)
        if at is not None and _read_after(r, at, v, ex, y):
            return True
    return False


def _reads_inlined(op, ex):
    """What op's statement reads: its operands, and what the temporaries inlined
    into it read (`t = y[k]` made earlier but written where it is used)."""
    out = _op_reads(op)
    for v in list(out):
        if ex.inlined(v):
            out |= _reads_inlined(ex.defs[v], ex)
    return out


def _dead_after(region, i, v, ex=None):
    """True when nothing after ops[i] in `region` (nor its yields) reads v."""
    if v in region.yields:
        return False
    return not any(v in (_reads_inlined(o, ex) if ex else _op_reads(o)) for o in region.ops[i + 1:])


def _role(op):
    role, _, name = (op.tag or "fwd").partition(":")
    return role, name


def _call_where(groups, i):
    """Where the gradients call of the section starting at groups[i] is: its seed
    or its gradients-of-the-xs lines carry the call's location (None if it has neither)."""
    for j in range(i, len(groups)):
        role, _ = _role(groups[j][1])
        if role == "fwd" or role == "seed" and j > i:
            return None
        if role in ("seed", "out"):
            return _where(groups[j][1].loc)
    return None


def _where(loc):
    if loc is None:
        return ""
    return f"{os.path.basename(loc.file)}:{loc.line}"


def _statement(op, ex, names):
    """The lines of one op: an assignment, or a compound statement for regions."""
    if op.opcode in STATEMENTS:
        return _COMPOUND[op.opcode](op, ex, names)
    value = ex.op_expr(op)
    if len(op.results) == 1:
        target = _name(names(op.result), store=True)
    else:
        target = gast.Tuple(elts=[_name(names(r), store=True) for r in op.results], ctx=gast.Store())
    return [render(gast.Assign(targets=[target], value=value, type_comment=None))]


def _assign(target_value, value, ex, names):
    """`name = value` unless both are written the same."""
    tname = names(target_value)
    if not ex.inlined(value) and names(value) == tname:
        return []
    return [render(gast.Assign(targets=[_name(tname, store=True)], value=ex.value(value),
                               type_comment=None))]


def _indent(lines):
    return [("    " + line) if line else "" for line in lines] or ["    pass"]


def _stmt_push(op, ex, names):
    return [render(gast.Expr(value=ex.op_expr(op)))]


def _region_lines(region, results, ex, names):
    """A region's statements, then each result assigned from its yield (when
    the two are not already one Python variable)."""
    lines = _block(region.ops, ex, names)
    for res, y in zip(results, region.yields):
        lines += _assign(res, y, ex, names)
    return lines


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
    then, other = op.regions
    cond = render(ex.value(op.operands[0]))
    lines = [f"if {cond}:"] + _indent(_region_lines(then, op.results, ex, names))
    rest = _region_lines(other, op.results, ex, names)
    if rest:
        lines += ["else:"] + _indent(rest)
    return lines


def _stmt_for(op, ex, names):
    (body,) = op.regions
    n_carried = len(body.args) - 1
    lines, after = [], []
    for res, arg, init in zip(op.results, body.args[1:], op.operands[3:3 + n_carried]):
        if names(arg) == names(res):
            lines += _assign(res, init, ex, names)
        else:
            # the body reads the carried value under a name of its own (coalescing could
            # not give it the result's): start it from init, and read the result from it
            lines += _assign(arg, init, ex, names)
            after += _assign(res, arg, ex, names)
    header = f"for {names(body.args[0])} in {_range(op, ex)}:"
    lines.append(header)
    lines += _indent(_region_lines(body, body.args[1:], ex, names))
    return lines + after


def _stmt_while(op, ex, names):
    cond, body = op.regions
    lines = []
    for res, init, a, b in zip(op.results, op.operands, cond.args, body.args):
        if not names(a) == names(b) == names(res):
            raise InternalError(f"while: the carried value {names(res)} is read as "
                                f"{names(a)} and {names(b)}")
        lines += _assign(res, init, ex, names)
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
    value = ex.value(ys[0]) if len(ys) == 1 else gast.Tuple(elts=[ex.value(y) for y in ys],
                                                             ctx=gast.Load())
    lines.append(render(gast.Return(value=value)))
    return [f"def {names(op.result)}({params}):"] + _indent(lines)


_COMPOUND = {"if": _stmt_if, "for": _stmt_for, "while": _stmt_while, "push": _stmt_push,
             "closure": _stmt_closure,
             "setitem": codegen_index.write_lines, "index_add": codegen_index.write_lines}
