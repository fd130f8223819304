"""Finding and parsing user source, and resolving the names it uses.

Two entry points give the same thing, a `Parsed` function: its gast
`FunctionDef`, the file it came from, its line offset, and a `Resolver` for
its free names. `from_function` reads a live function (decorator path: its
globals resolve names); `from_file` reads a file without executing it (CLI
path: its import statements and top-level constants resolve names).
"""

import ast
import collections
import functools
import inspect
import linecache
import math
import os
import textwrap
import types
from dataclasses import dataclass

import gast
import numpy as np
from gast import ast3 as gast_ast3

from .. import custom
from ..errors import Loc, SourceNotFoundError, UnsupportedError
from ..ir import opcodes


@dataclass(frozen=True)
class Meaning:
    """What a free name refers to: a module ('numpy', 's2sgrad', 'math'), a
    member of one ('numpy', 'exp'), a constant, a user function, or an opcode
    (`name` is the opcode: a helper of a module s2sgrad generated)."""

    kind: str  # 'module' | 'member' | 'const' | 'function' | 'op' | 'opaque'
    # | 'custom' | 'extern' | 'extmodule'
    # (opaque: a name s2sgrad refuses; value is (message, hint); custom:
    # value is a function with a custom rule; extern: a function known by
    # its dotted path `name` only; extmodule: a module s2sgrad does not
    # know, `name` its dotted path, value the module at run time)
    module: str | None = None
    name: str | None = None
    value: object = None


KNOWN_MODULES = {"numpy": "numpy", "s2sgrad": "s2sgrad", "math": "math"}


class Resolver:
    def __init__(self, table):
        self.table = dict(table)

    def lookup(self, name):
        return self.table.get(name)


@dataclass
class Parsed:
    node: gast.FunctionDef
    file: str
    lines: list  # the file's lines (for error quotes)
    line_offset: int  # add to node line numbers
    col_offset: int  # add to node col offsets (dedented source)
    resolver: Resolver
    qualname: str
    rules: dict | None = None  # key -> Custom (custom.py): the functions registered with a rule
    # (at run time, the live registry; the CLI's, the file's)
    bound_self: object = None  # a bound method's object: its first parameter (`self`)
    # is that object, whose attributes are constants of the
    # transform and whose methods are the user's functions

    def __post_init__(self):
        if self.rules is None:
            self.rules = custom.REGISTRY
        from .desugar import UfuncOut, math_twin_body

        math_twin_body(self.node)  # (a generated module's try around math)
        rewrite = UfuncOut()  # np.tanh(t, out=t) is t[...] = np.tanh(t) for
        rewrite.visit(self.node)  # every stage, from the first question asked
        self.rewritten = rewrite.changed  # (the marks found while translating are stale)

    @functools.cached_property
    def names(self):
        """Every identifier the function's `Name` nodes read or bind."""
        return frozenset(n.id for n in walk(self.node) if type(n) is gast.Name)

    @functools.cached_property
    def statement_marks(self):
        """id(statement) -> (statement, its MARKED nodes), when the translation found
        them (the frontend walks the statements missing here)."""
        return {}

    @functools.cached_property
    def local_names(self):
        """{name: the node that first binds it} of the names local to the function."""
        from .lower import local_names

        return local_names(self.node)

    def loc(self, node):
        line = getattr(node, "lineno", None) or self.node.lineno
        col = getattr(node, "col_offset", 0) or 0
        line += self.line_offset
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return Loc(self.file, line, col + 1 + self.col_offset, text)


def _meaning_of_object(obj):
    if isinstance(obj, types.ModuleType):
        name = obj.__name__
        if name in KNOWN_MODULES:
            return Meaning("module", KNOWN_MODULES[name])
        return Meaning("extmodule", name=name, value=obj)
    if isinstance(obj, custom.CustomVJP):
        return Meaning("custom", value=obj)
    if obj is None or isinstance(obj, (bool, int, float, complex, str)):
        return Meaning("const", value=obj)
    if isinstance(obj, np.ndarray):  # a module-level array: a constant, frozen now
        return Meaning("array", value=obj)
    if (
        isinstance(obj, types.FunctionType)
        and obj.__name__ in opcodes.HELPERS
        and _is_helper_object(obj)
    ):
        return Meaning("op", name=opcodes.HELPERS[obj.__name__])
    import s2sgrad

    for mod_name, mod in (("s2sgrad", s2sgrad), ("numpy", np), ("math", math)):
        for attr in (getattr(obj, "__name__", None),):
            if attr and getattr(mod, attr, None) is obj:
                return Meaning("member", mod_name, attr)
    made = (  # (grad and function return a function of their own: api._CallPath)
        getattr(obj, "__s2sgrad__", None) is not None
        if isinstance(obj, types.FunctionType)
        else type(obj).__module__ == "s2sgrad.api" and hasattr(obj, "request")
    )
    if isinstance(obj, types.FunctionType) and not made and not custom.in_library(obj):
        return Meaning("function", value=obj)
    if made:
        return Meaning(
            "opaque",
            value=(
                f"{getattr(obj, '__name__', 'this')} is a function made by s2sgrad (a decorated "
                "function, or a derivative): calling it inside a function s2sgrad transforms is not "
                "supported",
                "call the plain function it was made from (define it without "
                "@s2sgrad.function), or differentiate it with s2sgrad.grad(...) outside",
            ),
        )
    path = custom.dotted_path(obj) if callable(obj) else None
    if path is not None and not path.startswith("builtins."):  # a library's function:
        # called as it is (externs.py); Python's builtins are the frontend's own
        return Meaning("extern", name=path)
    return None


def ext_member(m, attr):
    """What `m.attr` is, for a module s2sgrad does not know (read at run time; the
    command line takes every member for a module or function by its path)."""
    path = f"{m.name}.{attr}"
    if m.value is None:
        return Meaning("extmodule", name=path)
    obj = getattr(m.value, attr, None)
    if isinstance(obj, types.ModuleType):
        return Meaning("extmodule", name=obj.__name__, value=obj)
    if isinstance(obj, custom.CustomVJP):
        return Meaning("custom", value=obj)
    return Meaning(
        "extern",
        name=custom.dotted_path(obj) if callable(obj) and custom.dotted_path(obj) else path,
    )


def walk(node):
    """gast.walk, in its order (breadth first), without its generators per node
    and without looking into fields that hold only text or numbers."""
    todo = collections.deque((node,))
    ast_type = gast.AST
    known = _CHILD_FIELDS
    while todo:
        n = todo.popleft()
        fields = known.get(type(n)) or child_fields(type(n))
        for f in fields:
            v = getattr(n, f, None)
            if isinstance(v, ast_type):
                todo.append(v)
            elif type(v) is list:
                for x in v:
                    if isinstance(x, ast_type):
                        todo.append(x)
        yield n


_CHILD_FIELDS: dict = {}
_TEXT_FIELDS = {"id", "attr", "arg", "type_comment", "kind", "name"}  # never a node, except:
_NODE_FIELDS = {(gast.ExceptHandler, "name")}  # (a gast.Name)


def child_fields(cls):
    """The fields of a gast node class that may hold nodes."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is not None:
        return fields
    fields = _CHILD_FIELDS[cls] = tuple(
        f for f in cls._fields if f not in _TEXT_FIELDS or (cls, f) in _NODE_FIELDS
    )
    return fields


def from_function(fn):
    """Parse a live function's source; free names resolve through its globals."""
    if inspect.ismethod(fn) and isinstance(fn.__func__, types.FunctionType):
        parsed = from_function(fn.__func__)
        if not parsed.node.args.args:
            raise SourceNotFoundError(
                f"{fn.__qualname__!r} is bound to an object but takes no parameter for it",
                hint="give the method its `self` parameter",
            )
        parsed.bound_self = fn.__self__
        return parsed
    if getattr(fn, "__wrapped__", None) is not None:
        _refuse_wrapper(fn)
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        raise SourceNotFoundError(
            f"{fn.__qualname__!r} is an `async def` function: s2sgrad differentiates "
            "plain `def` functions",
            hint="define it with `def`",
        )
    code = getattr(fn, "__code__", None)
    if code is not None and code.co_name == "<lambda>":
        raise SourceNotFoundError(
            f"{fn.__qualname__!r} is not defined by a def statement",
            hint="write it as a def statement (a lambda given to s2sgrad has no def to read; "
            "inside a def, a lambda bound to a local name is fine)",
        )
    try:
        file = inspect.getsourcefile(fn) or inspect.getfile(fn)
    except (OSError, TypeError) as e:
        raise SourceNotFoundError(
            f"cannot find the source of {getattr(fn, '__qualname__', fn)!r} ({e})",
            hint="s2sgrad reads source: define the function in a .py file "
            "(not in a REPL, exec() or a C extension)",
        ) from None
    found = _def_in_file(file, code)
    names = None
    if found is not None:
        (node, names, local, marks), lines, line_offset, indent = found
    else:  # (the file's text is not the module's: parse what inspect finds)
        node, lines, line_offset, indent = _def_by_inspect(fn, file)
    parsed = Parsed(node, file, lines, line_offset, indent, None, fn.__qualname__)
    if names is not None:  # (the cached properties, found while translating)
        parsed.__dict__.update(names=names, local_names=local)
        if not parsed.rewritten:
            parsed.__dict__.update(statement_marks=marks)
    parsed.resolver = resolver_now(fn, parsed.names)
    return parsed


def _refuse_wrapper(fn):
    """A function made by a decorator that copies its inner function's name
    (functools.wraps sets `__wrapped__`): differentiating the inner function's
    source would skip what the wrapper computes (a silent wrong number)."""
    inner = inspect.unwrap(fn)
    if getattr(inner, "__module__", "").startswith("s2sgrad."):  # hessian(f), vjp's vjp_fn
        name = getattr(fn, "__qualname__", fn)
        raise UnsupportedError(
            f"{name!r} is a function s2sgrad's API made (hessian, jacobian, jvp, or the "
            "vjp_fn of vjp): it runs generated modules, and s2sgrad differentiates "
            "functions whose source it reads",
            hint="differentiate the function itself: nest grad (grad(grad(f))), and take "
            "jacobian or hessian last (jacobian(grad(f)), hessian(f))",
        )
    code = getattr(inner, "__code__", None)
    loc = None
    if code is not None:
        line = linecache.getline(code.co_filename, code.co_firstlineno)
        loc = Loc(
            code.co_filename,
            code.co_firstlineno,
            len(line) - len(line.lstrip()) + 1,
            line.rstrip("\n"),
        )
    raise UnsupportedError(
        f"{getattr(fn, '__qualname__', fn)!r} is wrapped by a decorator (its __wrapped__ is "
        "set, as functools.wraps does): s2sgrad reads a function's own source, and what the "
        "decorator's wrapper computes is not in it",
        loc=loc,
        hint="give s2sgrad the undecorated function, and apply the decorator to what "
        "s2sgrad returns (`g = my_decorator(s2sgrad.grad(f))`), or write the "
        "wrapper's computation into the function",
    )


def resolver_now(fn, names):
    """What the free `names` of a live function refer to now (its closure, its
    module's globals, the builtins): read again for each signature transformed."""
    table = {}
    closure = inspect.getclosurevars(fn)
    scopes = [closure.builtins, fn.__globals__, closure.nonlocals]
    for name in sorted(names):
        for scope in reversed(scopes):
            if name in scope:
                m = _meaning_of_object(scope[name])
                if m is not None:
                    table[name] = m
                break
    return Resolver(table)


_file_trees: dict = {}  # file -> (its text, its ast): parsed once for all its functions
_FILE_TREES_KEPT = 8  # (of the files parsed last)


def _def_in_file(file, code):
    """(gast FunctionDef, the file's lines, 0, 0) of the def that compiled to
    `code`, its positions the file's; None when the file does not parse or has no
    such def. The def's own lines are parsed (the block from its first line to the
    next statement indented no deeper: parsing the whole file cost most of a cold
    first call's frontend), the whole file when they do not parse alone (a string or
    bracket that goes back to the def's column)."""
    if code is None:
        return None
    lines = linecache.getlines(file)
    if not lines:
        return None
    first = code.co_firstlineno  # the def's line, or its first decorator's
    node = _def_in_block(lines, first, code.co_name)
    if node is None:
        text = "".join(lines)
        cached = _file_trees.get(file)
        if cached is None or cached[0] != text:
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError):
                return None
            if len(_file_trees) >= _FILE_TREES_KEPT:  # (the oldest goes: a tree is large)
                del _file_trees[next(iter(_file_trees))]
            cached = _file_trees[file] = (text, tree)
        node = next((n for n in _statements(cached[1]) if _is_def_of(n, first, code.co_name)), None)
        if node is None:
            return None
    return to_gast_names(node), lines, 0, 0


def _is_def_of(node, first, name):
    return (
        isinstance(node, ast.FunctionDef)
        and node.name == name
        and first in [node.lineno] + [d.lineno for d in node.decorator_list]
    )


def _def_in_block(lines, first, name):
    """The def named `name` starting at line `first` (1-based), parsed from its
    own lines (to the next statement as shallow as it: a line that closes a bracket,
    as a formatter writes `):`, is not one) with the file's line numbers and
    columns; None when they do not parse alone or hold no such def (the caller
    parses the whole file then)."""
    if not 1 <= first <= len(lines):
        return None
    head = lines[first - 1]
    indent = len(head) - len(head.lstrip(" \t"))
    if indent and first < 2:
        return None
    end = first - 1  # (lines[end] is line end + 1): past the decorators, the def line
    while end < len(lines) and not lines[end].lstrip(" \t").startswith(("def ", "def\t")):
        end += 1
    end += 1
    while end < len(lines):
        line = lines[end]
        stripped = line.lstrip(" \t")
        if stripped and stripped[0] not in "#\r\n)]}" and len(line) - len(stripped) <= indent:
            break
        end += 1
    if any("\x0c" in line for line in lines[first - 1 : end + 1]):
        # (a form feed in the indentation resets Python's column count: the whole file
        # is parsed instead of guessing where the def ends, or where its line is)
        return None
    # the lines before the def blank, so that positions are the file's; an indented
    # def under an `if 1:` on the line above it
    pad = "\n" * (first - 2) + "if 1:\n" if indent else "\n" * (first - 1)
    try:
        tree = ast.parse(pad + "".join(lines[first - 1 : end]))
    except (SyntaxError, ValueError):
        return None
    body = tree.body[0].body if indent else tree.body
    if len(body) == 1 and _is_def_of(body[0], first, name):
        return body[0]
    return None


def _statements(tree):
    """Every statement of a module, nested ones too (a def is a statement: the
    expressions, most of the nodes, are not looked into)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for f in ("body", "orelse", "finalbody", "handlers", "cases"):
            v = getattr(node, f, None)
            if type(v) is list:
                todo.extend(reversed(v))


class _ToGast(gast_ast3.Ast3ToGAst):
    """gast's own ast -> gast translation, made fast for large functions: the
    visitor method is looked up once per node class, and a node whose class
    has no special method (most of them) is made by setting its fields
    directly instead of through gast's generic constructor. The result equals
    gast.ast_to_gast's (tests/test_source.py compares the two on every
    Python file of the project and on the standard library's `ast.py`)."""

    _dispatch: dict = {}

    def visit(self, node):
        cls = type(node)
        method = self._dispatch.get(cls)
        if method is None:
            name = cls.__name__
            method = _OWN.get(name) or getattr(gast_ast3.Ast3ToGAst, "visit_" + name, None)
            if method is None or name == "Constant":  # (gast's visit_Constant: generic)
                method = _ToGast.generic_visit
            self._dispatch[cls] = method
            self._statement[cls] = issubclass(cls, ast.stmt)
        level = self.level = self.level + 1
        index = self.count = self.count + 1  # (pre-order)
        if self._statement[cls]:
            mine = []
            self.open.append(mine)
            new = method(self, node)
            self.open.pop()
            self.marks[id(new)] = (new, mine)
        else:
            new = method(self, node)
        self.level = level - 1
        if type(new) in MARKED:
            for found in self.open:
                found.append((level, index, new))
            if self._statement[cls]:
                mine.append((level, index, new))
        return new

    def statement_marks(self):
        """id(statement) -> (statement, its MARKED nodes in gast.walk's order: breadth
        first, which is by depth, then left to right, the pre-order within a depth)."""
        return {
            k: (stmt, [n for _, _, n in sorted(found, key=_first_two)])
            for k, (stmt, found) in self.marks.items()
        }

    def _visit(self, node):
        if isinstance(node, ast.AST):
            return self.visit(node)
        if type(node) is list:
            return [self.visit(n) if isinstance(n, ast.AST) else self._visit(n) for n in node]
        return node

    _statement: dict = {}  # ast class -> is a statement

    def __init__(self):
        self.level = self.count = 0
        self.open = []  # the marks of the statements being translated
        self.marks = {}  # id(gast statement) -> (it, [(depth, pre-order, node)])
        self.names = set()  # the identifier of every gast.Name made
        self.depth = 0  # scopes entered (the function translated is the first)
        self.bound = {}  # name -> the node that first binds it in that function
        self.declared = set()  # its `global`/`nonlocal` names

    def name(self, node):
        self.names.add(node.id)
        new = _GAST_NAME.__new__(_GAST_NAME)
        d = new.__dict__
        d.update(node.__dict__)
        ctx = type(node.ctx)
        d["ctx"] = _CONTEXTS[ctx]()
        d["annotation"] = None
        d["type_comment"] = None
        if self.depth == 1 and ctx is not ast.Load:
            self._bind(node.id, new)
        return new

    def _bind(self, name, node):
        old = self.bound.get(name)
        if old is None or _position(node) < _position(old):
            self.bound[name] = node

    def scope(self, node):
        """A function, class, lambda or comprehension: a scope of its own, whose
        bindings are not the function's; a def or class binds its name."""
        self.depth += 1
        try:
            new = _SCOPE_VISITS[type(node)](self, node)
        finally:
            self.depth -= 1
        if self.depth == 1 and isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            self._bind(node.name, new)
        return new

    def imports(self, node):
        new = self.generic_visit(node)
        if self.depth == 1:
            for alias in node.names:
                self._bind((alias.asname or alias.name).split(".")[0], new)
        return new

    def declaration(self, node):
        if self.depth == 1:
            self.declared.update(node.names)
        return self.generic_visit(node)

    def generic_visit(self, node):
        cls = type(node)
        spec = _SPECS.get(cls)
        if spec is None:
            target = getattr(gast, cls.__name__, None)
            if target is None:  # (gast drops nodes it does not know)
                return None
            spec = _SPECS[cls] = (target, node._fields)
        target, fields = spec
        new = target.__new__(target)
        d = new.__dict__
        d.update(node.__dict__)  # (the fields and positions; child nodes replaced next)
        ast_type = ast.AST
        for f in fields:
            v = d.get(f)
            if isinstance(v, ast_type):
                d[f] = self.visit(v)
            elif type(v) is list:
                d[f] = [self.visit(n) if isinstance(n, ast_type) else self._visit(n) for n in v]
        return new

    def arg(self, node):  # (gast makes a parameter a Name)
        self.names.add(node.arg)
        return gast_ast3.Ast3ToGAst.visit_arg(self, node)

    def except_handler(self, node):
        new = gast_ast3.Ast3ToGAst.visit_ExceptHandler(self, node)
        if node.name:
            self.names.add(node.name)
            if self.depth == 1:
                self._bind(node.name, new.name)
        return new


# The nodes the frontend's checks before a loop or branch look at: returns,
# assignments, loops, subscripts (frontend.lower's Lowerer.marks).
MARKED = frozenset(
    {gast.Return, gast.Assign, gast.AugAssign, gast.AnnAssign, gast.For, gast.Subscript, gast.Expr}
)


def _first_two(entry):
    return entry[0], entry[1]


def _position(node):
    """(line, column) of a node; (0, 0) for an `except ... as e` name, which has none."""
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _scope_visit(cls):
    own = getattr(gast_ast3.Ast3ToGAst, "visit_" + cls.__name__, None)
    return own if own is not None else _ToGast.generic_visit


_SCOPE_VISITS = {
    cls: _scope_visit(cls)
    for cls in (
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.Lambda,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
    )
}
_OWN = {
    "Name": _ToGast.name,
    "arg": _ToGast.arg,
    "ExceptHandler": _ToGast.except_handler,
    "Import": _ToGast.imports,
    "ImportFrom": _ToGast.imports,
    "Global": _ToGast.declaration,
    "Nonlocal": _ToGast.declaration,
    **{cls.__name__: _ToGast.scope for cls in _SCOPE_VISITS},
}
_SPECS: dict = {}
_GAST_NAME = gast.Name
_CONTEXTS = {ast.Load: gast.Load, ast.Store: gast.Store, ast.Del: gast.Del}


def to_gast(node):
    """gast.ast_to_gast(node), several times faster on a large function."""
    return _ToGast().visit(node)


def to_gast_names(node):
    """(to_gast(node), the identifiers of its gast.Name nodes, the names local to
    the function `node`): Parsed.names and frontend.lower.local_names, found in
    the same walk."""
    t = _ToGast()
    new = t.visit(node)
    return (
        new,
        frozenset(t.names),
        {k: v for k, v in t.bound.items() if k not in t.declared},
        t.statement_marks(),
    )


def _def_by_inspect(fn, file):
    """(gast FunctionDef, lines, line offset, indent) from inspect's block of `fn`."""
    try:
        src_lines, start = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise SourceNotFoundError(
            f"cannot find the source of {getattr(fn, '__qualname__', fn)!r} ({e})",
            hint="s2sgrad reads source: define the function in a .py file "
            "(not in a REPL, exec() or a C extension)",
        ) from None
    lines = linecache.getlines(file) or src_lines
    dedented = textwrap.dedent("".join(src_lines))
    indent = len(src_lines[0]) - len(src_lines[0].lstrip())
    node = to_gast(ast.parse(dedented)).body[0]
    if not isinstance(node, gast.FunctionDef):
        raise SourceNotFoundError(
            f"{fn.__qualname__!r} is not defined by a def statement",
            hint="write it as a def statement (a lambda given to s2sgrad has no def to read; "
            "inside a def, a lambda bound to a local name is fine)",
        )
    return node, lines, start - 1, indent


def read_file(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise SourceNotFoundError(
            f"cannot read {path}: {e.strerror}", loc=Loc(path, 0, 0)
        ) from None


def module_resolver(tree, path=None):
    """Names a module binds by import statements and top-level constant assignments.
    A name the module binds more than once (`K = 1.0` then `K += 1.0`, a def then
    `h1 = h2`, an assignment in an `if`) is not known without running it: left out."""
    once = _bound_once(tree)  # name -> how many times the module binds it
    table = {}
    for stmt in tree.body:
        if isinstance(stmt, gast.FunctionDef) and is_helper(stmt):
            table[stmt.name] = Meaning("op", name=opcodes.HELPERS[stmt.name])
            continue
        if isinstance(stmt, gast.Import):
            for alias in stmt.names:
                top = alias.name.split(".")[0]
                if alias.asname is None and top in KNOWN_MODULES:
                    table[top] = Meaning("module", KNOWN_MODULES[top])
                elif alias.name in KNOWN_MODULES:
                    table[alias.asname] = Meaning("module", KNOWN_MODULES[alias.name])
                elif top not in KNOWN_MODULES:  # a module s2sgrad does not know
                    table[alias.asname or top] = Meaning(
                        "extmodule", name=alias.name if alias.asname else top
                    )
        elif isinstance(stmt, gast.ImportFrom) and stmt.module in KNOWN_MODULES:
            module = {"numpy": np, "math": math}.get(KNOWN_MODULES[stmt.module])
            for alias in stmt.names:
                value = getattr(module, alias.name, None)
                if type(value) in (int, float):  # `from math import pi`: a constant
                    table[alias.asname or alias.name] = Meaning("const", value=value)
                    continue
                table[alias.asname or alias.name] = Meaning(
                    "member", KNOWN_MODULES[stmt.module], alias.name
                )
        elif (
            isinstance(stmt, gast.ImportFrom)
            and stmt.level == 0
            and stmt.module
            and stmt.module.split(".")[0] not in KNOWN_MODULES
        ):
            sibling = (
                path
                and os.path.join(os.path.dirname(os.path.abspath(path)), *stmt.module.split("."))
                + ".py"
            )
            for alias in stmt.names:  # (a function or a module: called by its path;
                if sibling and os.path.isfile(sibling):  # a module of the same folder's
                    table[alias.asname or alias.name] = Meaning(  # functions: read)
                        "function", module=sibling, name=alias.name
                    )
                    continue
                table[alias.asname or alias.name] = Meaning(
                    "extern", name=f"{stmt.module}.{alias.name}"
                )
        elif isinstance(stmt, gast.FunctionDef):
            table[stmt.name] = Meaning("function", module=path, name=stmt.name)
        elif (
            isinstance(stmt, gast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
            and literal_value(stmt.value) is not None
        ):
            table[stmt.targets[0].id] = Meaning("const", value=literal_value(stmt.value)[0])
        elif (
            isinstance(stmt, gast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)
        ):
            table[stmt.targets[0].id] = (
                static_array(stmt.value, stmt.targets[0].id)
                if _numpy_call(stmt.value, table)
                else _unevaluated(stmt.targets[0].id)
            )
    table = {k: m for k, m in table.items() if once.get(k) == 1}
    for name, times in once.items():
        if times > 1:
            table[name] = Meaning(
                "opaque",
                value=(
                    f"the module binds {name!r} more than once ({times} assignments, defs, imports "
                    "or global statements): the command line reads the module without running "
                    f"it, so which value {name!r} has here is not known",
                    f"bind {name!r} once, to a literal (`{name} = 2.0`) or a def, or pass it as an "
                    "argument",
                ),
            )
    return Resolver(table)


# the NumPy functions of a module-level array the command line evaluates, without running
# the module, when their arguments are literals: `K = np.array([[1.0, 2.0], [3.0, 4.0]])`
STATIC_ARRAYS = (
    "array",
    "asarray",
    "zeros",
    "ones",
    "full",
    "eye",
    "identity",
    "arange",
    "linspace",
)


def _numpy_call(node, table):
    """True for a call `np.<name>(...)` of the module's NumPy."""
    if not (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Attribute)
        and isinstance(node.func.value, gast.Name)
    ):
        return False
    m = table.get(node.func.value.id)
    return m is not None and m.kind == "module" and m.module == "numpy"


def static_array(call, name):
    """Meaning of `name = np.<f>(literals...)` at module level: the array (kind 'array'),
    evaluated with literal arguments only; an 'opaque' refusal for any other call."""
    fn = call.func.attr
    try:
        if fn not in STATIC_ARRAYS:
            raise ValueError(fn)
        args = [_literal_tree(a) for a in call.args]
        kwargs = {k.arg: _literal_tree(k.value) for k in call.keywords}
        if set(kwargs) - {"dtype"} and fn not in ("linspace", "arange", "full", "eye"):
            raise ValueError(kwargs)
        value = np.asarray(getattr(np, fn)(*args, **kwargs))
        if value.dtype.kind not in "biuf":
            raise ValueError(value.dtype)
    except Exception:
        return _unevaluated(name)
    return Meaning("array", value=value)


def _unevaluated(name):
    return Meaning(
        "opaque",
        value=(
            f"the module-level {name!r} is bound to an expression the command line cannot "
            "evaluate: it reads the module without running it, and evaluates only literal "
            f"numbers and np.{'/'.join(STATIC_ARRAYS)} of literals (lists, shapes, dtypes)",
            f"write {name} = np.array([...]) with literal numbers, or pass {name!r} to the "
            "function as an argument",
        ),
    )


def _literal_tree(node):
    """The Python value of a literal expression: numbers, strings, None, True/False, nested
    lists and tuples, `-x`, and dtypes (`np.float32`, `float`); ValueError otherwise."""
    if isinstance(node, (gast.List, gast.Tuple)):
        items = [_literal_tree(e) for e in node.elts]
        return items if isinstance(node, gast.List) else tuple(items)
    if (
        isinstance(node, gast.Attribute)
        and isinstance(node.value, gast.Name)
        and node.value.id in ("np", "numpy")
        and isinstance(getattr(np, node.attr, None), type)
    ):
        return getattr(np, node.attr)
    if isinstance(node, gast.Name) and node.id in ("float", "int", "bool"):
        return {"float": float, "int": int, "bool": bool}[node.id]
    lit = literal_value(node)
    if lit is None or isinstance(lit[0], complex):
        raise ValueError(node)
    return lit[0]


def literal_value(node):
    """(value,) of a literal constant (`2.0`, `-2.0`, `'relu'`), else None."""
    if isinstance(node, gast.Constant):
        return (node.value,)
    if (
        isinstance(node, gast.UnaryOp)
        and isinstance(node.op, (gast.USub, gast.UAdd))
        and isinstance(node.operand, gast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        v = node.operand.value
        return (-v if isinstance(node.op, gast.USub) else v,)
    return None


def _bound_once(tree):
    """{name: how many times module-level code binds it} (statements nested in its
    `if`/`for`/`try`/`with` blocks count, function and class bodies do not, except
    for a `global` declaration there, which may rebind the name)."""
    count = collections.Counter()
    todo = list(tree.body)
    while todo:
        n = todo.pop()
        if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef, gast.ClassDef)):
            count[n.name] += 1
            for inner in walk(n):
                if isinstance(inner, gast.Global):
                    count.update({name: 2 for name in inner.names})
            todo.extend(n.decorator_list)
            continue
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del)):
            count[n.id] += 1
        elif isinstance(n, (gast.Import, gast.ImportFrom)):
            for alias in n.names:
                count[(alias.asname or alias.name).split(".")[0]] += 1
        todo.extend(gast.iter_child_nodes(n))
    return count


def is_helper(node):
    """True when a def is a helper s2sgrad writes into generated modules
    (`_unbroadcast`), word for word: its calls read back as the helper's op."""
    if node.name not in opcodes.HELPERS:
        return False
    text = opcodes.helper_source(node.name)
    return gast.dump(node) == gast.dump(gast.parse(text).body[0])


_helper_checked: dict = {}


def _is_helper_object(fn):
    """is_helper for a live function (a generated module's `_unbroadcast`)."""
    code = fn.__code__
    if code not in _helper_checked:
        try:
            tree = gast.parse(textwrap.dedent(inspect.getsource(fn)))
            _helper_checked[code] = isinstance(tree.body[0], gast.FunctionDef) and is_helper(
                tree.body[0]
            )
        except (OSError, TypeError, SyntaxError):
            _helper_checked[code] = False
    return _helper_checked[code]


def functions_in_file(path):
    """(tree, lines): the parsed module, never executed."""
    text = read_file(path)
    try:
        tree = gast.parse(text)
    except SyntaxError as e:
        raise UnsupportedError(
            f"invalid Python: {e.msg}", loc=Loc(path, e.lineno or 1, e.offset or 1, e.text or "")
        ) from None
    return tree, custom.source_lines(text)


def from_file(path, func_name, custom=False):
    """Parse FUNC of FILE without executing the file (`custom`: a custom_vjp function,
    read for the type of its result)."""
    tree, lines = functions_in_file(path)
    for stmt in tree.body:
        if isinstance(stmt, gast.FunctionDef) and stmt.name == func_name:
            resolver = module_resolver(tree, path)
            rules = file_rules(path, tree, resolver)
            parsed = Parsed(stmt, path, lines, 0, 0, resolver, func_name, rules)
            for dec in stmt.decorator_list:
                if not custom and not _is_s2sgrad_function(dec, parsed.resolver):
                    loc = parsed.loc(dec)
                    raise UnsupportedError(
                        f"{func_name} has a decorator other than @s2sgrad.function: the code "
                        "s2sgrad generates from its source would skip what the decorator does",
                        loc=Loc(loc.file, loc.line, loc.col - 1, loc.text),
                        hint="emit the undecorated function (define it without the decorator "
                        "and decorate the generated one where it is used)",
                    )
            return parsed
    names = [s.name for s in tree.body if isinstance(s, gast.FunctionDef)]
    raise SourceNotFoundError(
        f"no top-level function {func_name!r} in {path}",
        loc=Loc(path, 0, 0),
        hint=f"functions defined there: {', '.join(names) or 'none'}",
    )


def file_rules(path, tree, resolver):
    """The custom rules a file (and the modules it imports from its own folder)
    defines, read without running them: its registrations (key -> Custom) are
    returned; its custom_vjp functions enter `resolver`."""
    import ast as std_ast

    text = read_file(path)
    found = custom.scan(std_ast.parse(text), custom.source_lines(text), path)
    registered = dict(found.registered)
    for name, c in found.functions.items():
        resolver.table[name] = Meaning("custom", value=c)
    folder = os.path.dirname(os.path.abspath(path))
    for stmt in tree.body:
        if not isinstance(stmt, gast.ImportFrom) or stmt.level or not stmt.module:
            continue
        sibling = os.path.join(folder, *stmt.module.split(".")) + ".py"
        if not os.path.isfile(sibling) or os.path.abspath(sibling) == os.path.abspath(path):
            continue
        text = read_file(sibling)
        theirs = custom.scan(std_ast.parse(text), custom.source_lines(text), sibling)
        registered.update(theirs.registered)
        for alias in stmt.names:
            if alias.name in theirs.functions:
                resolver.table[alias.asname or alias.name] = Meaning(
                    "custom", value=theirs.functions[alias.name]
                )
    return registered


def is_decorated(node, resolver):
    """True when a def carries @s2sgrad.function (or an imported `function`)."""
    return any(_is_s2sgrad_function(dec, resolver) for dec in node.decorator_list)


def _is_s2sgrad_function(dec, resolver):
    """True for the decorator expression `s2sgrad.function` (or an imported `function`)."""
    if isinstance(dec, gast.Attribute) and isinstance(dec.value, gast.Name):
        m = resolver.lookup(dec.value.id)
        return bool(m and m.kind == "module" and m.module == "s2sgrad" and dec.attr == "function")
    if isinstance(dec, gast.Name):
        m = resolver.lookup(dec.id)
        return bool(m and m.kind == "member" and m.module == "s2sgrad" and m.name == "function")
    return False
