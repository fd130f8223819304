"""Custom rules: gradients users write in plain Python/NumPy (SPEC.md, "Custom rules").

Two ways in:

- `@s2sgrad.custom_vjp` on the user's own function, and `@f.defvjp` on its rule;
- `@s2sgrad.register_gradient(np.sinc)` for a function s2sgrad has no rule for (a
  NumPy, SciPy or `math` function); `override=True` replaces a built-in rule.

A rule is `rule(g, ans, *args)`: the cotangent of the result, the result, then the
arguments the call passes positionally; it returns a tuple display with one entry
per such argument (None for one that gets no gradient). Keyword arguments of the
call are passed to it as keywords and get no gradient.

A call of such a function is one `extern` op in the IR, and its adjoint one
`extern_vjp` op (a call of the rule). The generated module copies the sources in:
the rule's def (renamed `_vjp_<name>`), a custom_vjp function's own def, and the
module-level lines their free names need (`import scipy.special`, `EPS = 1e-300`),
so it stays standalone. A function s2sgrad knows nothing of is an `extern` op
with no rule: a constant off the gradient path, a `LookupError` on it.

The command line finds the same rules in the file it reads without running it
(`scan`): only a `shape=` lambda is evaluated, on its own.
"""

import ast
import builtins
import inspect
import math
import re
import sys
import sysconfig
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InvalidArgumentError, Loc, UnsupportedError
from .ir import types as T
from .traceback_util import api_boundary


# Registrations made at run time: key -> Custom. `GENERATION` counts them, so a
# function transformed before a registration is transformed again after it.
def _python_builtins():
    """The names Python itself binds in builtins: not what a session added there (the
    REPL's and doctest's `_`, IPython's `display` and `get_ipython`), so that generated
    names are the same in a script, a REPL and a notebook."""
    return frozenset(
        n
        for n in dir(builtins)
        if n != "_"
        and getattr(getattr(builtins, n), "__module__", "builtins") in ("builtins", None)
    )


BUILTIN_NAMES = _python_builtins()


REGISTRY: dict = {}
GENERATION = 0
# Called with no argument after each registration (api.py: the calls made fast for
# a signature go back to the path that checks GENERATION).
ON_NEW_RULE: list = []


def _new_rule():
    global GENERATION
    GENERATION += 1
    for hook in ON_NEW_RULE:
        hook()


@dataclass(frozen=True)
class Code:
    """A def the generated module copies in: `text` defines `name`; `needs` are the
    module-level lines (imports, constants) its free names need."""

    name: str
    text: str
    needs: tuple
    loc: Loc
    returns: int | None = None  # entries of the tuple each `return` of a rule gives

    def renamed(self, name):
        if name == self.name:
            return self
        text = re.sub(
            rf"^(\s*def\s+){re.escape(self.name)}(\s*\()",
            rf"\g<1>{name}\g<2>",
            self.text,
            count=1,
            flags=re.M,
        )
        return Code(name, text, self.needs, self.loc, self.returns)


@dataclass(frozen=True)
class Custom:
    """One function with a custom rule.

    key: what identifies it ('numpy.sinc', 'scipy.special.erf', or the file and
    qualified name of a custom_vjp function); label: how messages name it; call: how
    generated code calls it (`np.sinc`, `scipy.special.erf`, `safe_log`) and `needs`,
    the lines that call needs; forward: a custom_vjp function's own def; rule: the
    rule's def; shape: the argument shapes -> the result shape, or None (elementwise
    for a registered function; a custom_vjp function's result is typed from its own
    source where s2sgrad can read it); typed_by_source: a custom_vjp function without
    shape=."""

    key: str
    label: str
    call: str
    rule: Code
    needs: tuple = ()
    forward: Code | None = None
    shape: object = None
    typed_by_source: bool = False
    fn: object = None  # the live function (custom_vjp at run time): read for its type
    where: tuple | None = None  # (file, name) of a custom_vjp function the command line found


# ---- the decorators ------------------------------------------------------------------


class CustomVJP:
    """A function with a gradient of the user's own (`@s2sgrad.custom_vjp`). Called
    plainly it is the function; in a transformed function its rule gives the gradient."""

    def __init__(self, fn, shape=None):
        if not isinstance(fn, types.FunctionType):
            raise InvalidArgumentError(
                f"custom_vjp takes a function defined by def; it was given {fn!r}",
                hint="decorate the def: @s2sgrad.custom_vjp above `def f(x): ...`",
            )
        self.fn = fn
        self.shape = shape
        self.rule = None
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    @api_boundary
    def defvjp(self, rule: Callable[..., tuple]) -> Callable[..., tuple]:
        """Decorator: `rule(g, ans, *args)` returns the tuple of the arguments'
        gradients (None for an argument without one), `g` the cotangent of the
        result `ans`. Its source is copied into the generated module, so it may call
        NumPy and the module's own functions; registering resets the cached modules.

        Raises InvalidArgumentError (located) when the rule is not a `def` s2sgrad can
        read. Example: `s2sgrad.custom_vjp`'s."""
        code = rule_code(rule, f"_vjp_{self.fn.__name__}")
        self.rule = code
        _new_rule()
        return rule

    def custom(self):
        """The Custom this function is, for the frontend (its rule defined)."""
        forward = def_code(self.fn, self.fn.__name__)
        if self.rule is None:
            raise UnsupportedError(
                f"{self.fn.__name__} is a custom_vjp function without a rule",
                loc=forward.loc,
                hint=f"define one: @{self.fn.__name__}.defvjp above `def _(g, ans, "
                f"{', '.join(inspect.signature(self.fn).parameters)}): return (...,)`",
            )
        key = f"custom:{forward.loc.file}:{self.fn.__qualname__}"
        return Custom(
            key,
            self.fn.__name__,
            self.fn.__name__,
            self.rule,
            forward=forward,
            shape=self.shape,
            typed_by_source=self.shape is None,
            fn=self.fn,
        )


@api_boundary
def custom_vjp(
    fn: Callable[..., Any] | None = None, *, shape: Callable[..., tuple] | None = None
) -> Any:
    """Decorator: give a function of your own a gradient rule, defined with `@f.defvjp`,
    as JAX's `custom_vjp` and autograd's `defvjp`.

    Parameters
    ----------
    fn : a function defined by `def` (called plainly, it is itself).
    shape : (the argument shapes) -> the result shape, where s2sgrad cannot read the
        function's source to type its result; otherwise the source says.

    Returns
    -------
    CustomVJP
        The function, with `.defvjp(rule)` to define the rule `rule(g, ans, *args)`.

    Raises
    ------
    InvalidArgumentError
        `fn` is not a function defined by def. A transformed function calling it before
        its rule is defined raises UnsupportedError, located.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> @s2sgrad.custom_vjp
    ... def clipped_sqrt(x):
    ...     return np.sqrt(np.maximum(x, 1e-12))
    >>> @clipped_sqrt.defvjp
    ... def _(g, ans, x):
    ...     return (g * 0.5 / ans,)
    >>> def f(x):
    ...     return np.sum(clipped_sqrt(x))
    >>> s2sgrad.grad(f)(np.array([4.0, 16.0]))
    array([0.25 , 0.125])
    """
    if fn is None:
        return lambda f: CustomVJP(f, shape)
    return CustomVJP(fn, shape)


@api_boundary
def register_gradient(
    target: Any, *, shape: Callable[..., tuple] | None = None, override: bool = False
) -> Callable[[Callable[..., tuple]], Callable[..., tuple]]:
    """Decorator registering `rule(g, ans, *args)` as the gradient of a library function,
    as TensorFlow's `RegisterGradient`.

    Parameters
    ----------
    target : a function s2sgrad has no rule for (`np.sinc`, `scipy.special.erf`, a
        `math` function), or its dotted name as a string ("scipy.special.erf").
    shape : (the argument shapes) -> the result shape; without it the function is
        elementwise (its result broadcasts its arguments).
    override : replace a rule that exists already (built in or registered).

    Returns
    -------
    callable
        The decorator; it returns the rule unchanged.

    Raises
    ------
    ValueError
        `target` has a rule already and `override` is False (an InvalidArgumentError).
    InvalidArgumentError
        `target` is not a function s2sgrad can name, or the rule is not a readable def.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> @s2sgrad.register_gradient("numpy.sinc", override=True)
    ... def _(g, ans, x):
    ...     return (g * (np.cos(np.pi * x) - ans) / np.where(x == 0, 1.0, x),)
    >>> def f(x):
    ...     return np.sum(np.sinc(x))
    >>> float(s2sgrad.grad(f)(np.array([0.5]))[0].round(6))
    -1.27324
    """
    key = target_key(target)
    _check_free(key, override)

    @api_boundary
    def register(rule):
        name = key.rsplit(".", 1)[-1]
        REGISTRY[key] = Custom(
            key,
            spelling(key),
            spelling(key),
            rule_code(rule, f"_vjp_{name}"),
            needs=_call_needs(key),
            shape=shape,
        )
        _new_rule()
        return rule

    return register


def _check_free(key, override):
    if override:
        return
    if key in REGISTRY:
        raise ValueError(
            f"a gradient for {spelling(key)} is already registered; pass "
            "override=True to replace it"
        )
    if builtin_rule(key):
        raise ValueError(
            f"{spelling(key)} has a built-in rule in s2sgrad; pass override=True "
            "to replace it with yours"
        )


def builtin_rule(key):
    """True when s2sgrad knows the function `key` itself (a rule, a declared constant,
    or a spelling built from ops that have them)."""
    from .frontend import lower
    from .ir import opcodes

    if key.startswith("numpy."):
        name = key[len("numpy.") :]
        return name in opcodes.NUMPY or name in opcodes.NUMPY_COMPOSED
    if key.startswith("math."):
        name = key[len("math.") :]
        return lower._MATH.get(name, name) in lower._MATH_AS_NUMPY
    return False


def target_key(target):
    """The dotted path a registration is keyed by: 'numpy.sinc', 'scipy.special.erf'."""
    if isinstance(target, str):
        path = target.strip()
        for short, full in (("np.", "numpy."),):
            if path.startswith(short):
                path = full + path[len(short) :]
        if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", path) or _resolve(path) is None:
            raise ValueError(
                f"{target!r} is not the dotted name of a function ('np.sinc', 'scipy.special.erf')"
            )
        return path
    if isinstance(target, CustomVJP):
        raise ValueError(
            f"{target.__name__} is a custom_vjp function: give it its rule with "
            f"@{target.__name__}.defvjp"
        )
    path = dotted_path(target)
    if path is None:
        raise ValueError(
            f"cannot register a gradient for {target!r}: it is not a function importable by "
            "a dotted name (a NumPy, SciPy or math function); for a function of your own, "
            "use @s2sgrad.custom_vjp"
        )
    return path


def _resolve(path):
    """The object at a dotted path ('numpy.linalg.cond'), or None."""
    import importlib

    parts = path.split(".")
    for k in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr, None)
        return obj if callable(obj) else None
    return None


def in_library(fn):
    """True for a function of an installed package (its source is not the user's)."""
    file = getattr(getattr(fn, "__code__", None), "co_filename", "")
    return any(part in file for part in ("site-packages", "dist-packages")) or file.startswith(
        sysconfig.get_paths()["stdlib"]
    )


def spelling(key):
    """How generated code calls, and messages name, the function at a dotted path:
    'numpy.sinc' -> 'np.sinc', 'scipy.special.erf' as it is."""
    return "np." + key[len("numpy.") :] if key.startswith("numpy.") else key


def _call_needs(key):
    module = key.rsplit(".", 1)[0]
    top = module.split(".")[0]
    return () if top in ("numpy", "math") else (f"import {module}",)


def dotted_path(obj):
    """'module.name' of a function importable by that path, the shortest public one
    (np.sinc -> 'numpy.sinc', scipy.special.erf -> 'scipy.special.erf'), or None."""
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or not callable(obj):
        return None
    for mod_name in ("numpy", "numpy.linalg", "numpy.fft", "math"):
        if getattr(sys.modules.get(mod_name), name, None) is obj:
            return f"{mod_name}.{name}"
    owner = getattr(obj, "__module__", None)
    candidates = []
    if isinstance(owner, str):
        parts = owner.split(".")
        candidates = [".".join(parts[:k]) for k in range(1, len(parts) + 1)]
    else:  # (ufuncs say no module: look where they are exported)
        candidates = [m for m in list(sys.modules) if not m.startswith("_")]
    found = [
        m
        for m in candidates
        if not any(p.startswith("_") for p in m.split("."))
        and getattr(sys.modules.get(m), name, None) is obj
    ]
    if not found:
        return None
    return (
        f"{min(found, key=lambda m: (m.count('.') if owner is None else -m.count('.'), m))}.{name}"
    )


# ---- copying a def -------------------------------------------------------------------


def def_code(fn, name):
    """The Code of a live function's def, copied in under `name`."""
    try:
        lines, start = inspect.getsourcelines(fn)
        file = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError):
        raise UnsupportedError(
            f"the source of {fn.__qualname__} is not available, and the generated module "
            "copies it in",
            hint="define it in a file (not at the interactive prompt)",
        ) from None
    text = textwrap.dedent("".join(lines))
    node = ast.parse(text).body[0]
    if not isinstance(node, ast.FunctionDef):
        raise UnsupportedError(
            f"{fn.__qualname__} is not defined by a def statement",
            hint="write it as a def statement",
        )
    loc = _def_loc(file, start, node, lines)
    body = _strip_decorators(text, node)
    code = Code(node.name, body, (), loc).renamed(name)
    return Code(code.name, code.text, tuple(_needs_now(fn, node, loc)), loc)


def rule_code(rule, name):
    """The Code of a rule's def, checked: it takes (g, ans, *args) and every return
    gives a tuple display."""
    if isinstance(rule, CustomVJP) or not isinstance(rule, types.FunctionType):
        raise InvalidArgumentError(
            f"a gradient rule is a function defined by def; got {rule!r}",
            hint="def _(g, ans, x): return (g * ...,)",
        )
    code = def_code(rule, name)
    node = ast.parse(textwrap.dedent(inspect.getsource(rule))).body[0]
    return check_rule(code, node)


def check_rule(code, node):
    """`code` with the number of entries its returns give; refused (located) when a
    return gives anything but a tuple display, or two returns give different counts."""
    args = node.args
    if len(args.posonlyargs) + len(args.args) < 2 and args.vararg is None:
        raise UnsupportedError(
            f"a gradient rule takes the cotangent, the result, then the arguments; "
            f"{node.name}() takes {len(args.args)} parameters",
            loc=code.loc,
            hint="def _(g, ans, x): return (g * ...,)",
        )
    counts = set()
    for r in ast.walk(node):
        if isinstance(r, ast.Return):
            if not isinstance(r.value, ast.Tuple):
                loc = Loc(
                    code.loc.file, code.loc.line + r.lineno - node.lineno, r.col_offset + 1, ""
                )
                raise UnsupportedError(
                    "a gradient rule returns a tuple display with one entry per argument "
                    "(so a one-argument rule cannot hand back an array that is then read "
                    "as a tuple)",
                    loc=loc,
                    hint="return (d_x,) or (d_x, d_y)",
                )
            counts.add(len(r.value.elts))
    if len(counts) != 1:
        raise UnsupportedError(
            "every return of a gradient rule gives one tuple of one length "
            "(one entry per argument)",
            loc=code.loc,
            hint="return (d_x, d_y) everywhere, None for no gradient",
        )
    return Code(code.name, code.text, code.needs, code.loc, counts.pop())


def _def_loc(file, start, node, lines):
    k = node.lineno - 1
    return Loc(file, start + k, 1, lines[k] if k < len(lines) else "")


# a line of Python source as the parser counts lines: \n, \r\n and \r end one
# (str.splitlines also splits at \x0b, \x0c, \x1c-\x1e, \x85, \u2028, \u2029, which
# would shift every line number after a form feed in a comment)
_SOURCE_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def source_lines(text):
    """The lines of Python source `text`, ends kept, numbered as ast numbers them."""
    return _SOURCE_LINE.findall(text)


def _strip_decorators(text, node):
    lines = source_lines(text)
    return "".join(lines[node.lineno - 1 : node.end_lineno]).rstrip("\n")


def free_names(node):
    """The names a def reads that it does not bind (nor are builtins), sorted."""
    bound = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    loads = set()
    inner = [n for top in node.body + node.args.defaults for n in ast.walk(top)]
    for n in inner:
        if isinstance(n, ast.Name):
            (loads if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda)) and n is not node:
            if not isinstance(n, ast.Lambda):
                bound.add(n.name)
            bound.update(a.arg for a in ast.walk(n.args) if isinstance(a, ast.arg))
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in n.names)
    return sorted(loads - bound - BUILTIN_NAMES)


def _chains(node, name):
    """The attribute paths read from `name` in node: `sp.special.erf` -> ('special', 'erf')."""
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute):
            path, base = [], n
            while isinstance(base, ast.Attribute):
                path.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id == name:
                out.append(tuple(reversed(path)))
    return out


def _needs_now(fn, node, loc):
    """The module-level lines that bind a live def's free names as they are bound now."""
    scope = dict(fn.__globals__)
    scope.update(inspect.getclosurevars(fn).nonlocals)
    lines = []
    for name in free_names(node):
        if name not in scope:
            raise UnsupportedError(
                f"{node.name} reads {name!r}, which is not defined",
                loc=loc,
                hint="define it, or pass it as an argument",
            )
        got = binding(name, scope[name], _chains(node, name))
        if got is None:
            raise UnsupportedError(
                f"{node.name} reads the global {name!r} (a {type(scope[name]).__name__}); "
                "the generated module copies this def in, and can hold only modules, "
                "importable functions and numbers for its globals",
                loc=loc,
                hint=f"pass {name!r} as an argument, or write its value into the def",
            )
        lines.extend(got)
    return lines


def binding(name, obj, chains=()):
    """Module-level lines binding `name` to obj in a generated module, or None."""
    if isinstance(obj, types.ModuleType):
        full = obj.__name__
        lines = [f"import {full}" if full == name else f"import {full} as {name}"]
        for chain in chains:
            sub = obj
            for attr in chain:
                sub = getattr(sub, attr, None)
                if isinstance(sub, types.ModuleType):
                    lines.append(f"import {sub.__name__}")
                else:
                    break
        return lines
    if (
        obj is None
        or type(obj) in (bool, int, float, str)
        and not (type(obj) is float and not math.isfinite(obj))
    ):
        return [f"{name} = {obj!r}"]
    if isinstance(obj, CustomVJP) or isinstance(obj, types.FunctionType) and not in_library(obj):
        return None  # (a function of the user's: the module cannot import it)
    path = dotted_path(obj)
    if path is not None:
        module, attr = path.rsplit(".", 1)
        return [f"from {module} import {attr}" + ("" if attr == name else f" as {name}")]
    return None


def bound_name(statement):
    """The name a module-level statement binds: `import a.b` binds a, `import a as b` b,
    `from m import f` f, `x = 1` x, `def f(...)` f."""
    if statement.startswith("def "):
        return re.match(r"def\s+(\w+)", statement).group(1)
    if statement.startswith("import "):
        spec = statement[len("import ") :]
        return spec.split(" as ")[1] if " as " in spec else spec.split(".")[0]
    if statement.startswith("from "):
        spec = statement.split(" import ", 1)[1]
        return spec.split(" as ")[1] if " as " in spec else spec
    return statement.split("=", 1)[0].strip()


# ---- result types --------------------------------------------------------------------


class _Sym:
    """A size known by its symbol only: arithmetic on it gives an unknown size."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __eq__(self, other):
        return isinstance(other, _Sym) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def _unknown(self, *other):
        return _UNKNOWN

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _unknown
    __floordiv__ = __rfloordiv__ = __truediv__ = __rtruediv__ = __mod__ = __neg__ = _unknown


_UNKNOWN = object()


def shape_of(shape_fn, shapes):
    """The result shape `shape_fn` gives for operand shapes (dims: int, symbol or None);
    a dim it computes from a symbol is None, and so is the rank when it fails."""
    if any(s is None for s in shapes):
        return None
    args = [tuple(d if isinstance(d, int) else _Sym(d) for d in s) for s in shapes]
    try:
        out = shape_fn(*args)
        out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    except Exception:  # (a shape function may fail on symbols: rank unknown)
        return None
    return tuple(
        d.name
        if isinstance(d, _Sym)
        else int(d)
        if isinstance(d, (int, np.integer)) and not isinstance(d, bool)
        else None
        for d in out
    )


def elementwise_type(operand_types):
    dtype = T.float_dtype(T.result_dtype(*(T.Type(dtype=t.dtype) for t in operand_types)))
    return T.array(dtype, T.broadcast_shapes(*(t.shape for t in operand_types)))


# ---- what the command line finds in a file -----------------------------------------------


@dataclass
class FileRules:
    """What a file defines, read without running it: its custom_vjp functions by name
    and the registrations it makes (key -> Custom)."""

    functions: dict
    registered: dict


def scan(tree, lines, path, imported=None):
    """The custom rules a module (std `ast`) defines. `imported` reads a sibling
    module (`from rules import safe_log`) the same way."""
    bindings = static_bindings(tree)
    functions, registered, pending = {}, {}, {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.FunctionDef):
            continue
        for dec in stmt.decorator_list:
            what = _decorator(dec, bindings)
            if what is None:
                continue
            kind, args = what
            code = _file_code(stmt, lines, path, bindings)
            if kind == "custom_vjp":
                pending[stmt.name] = (code, _shape_kw(args, bindings))
            elif kind == "defvjp":
                fn_name = dec.value.id
                if fn_name not in pending:
                    raise UnsupportedError(
                        f"{fn_name}.defvjp: {fn_name} is not a custom_vjp function defined above",
                        loc=code.loc,
                        hint=f"decorate {fn_name} with @s2sgrad.custom_vjp",
                    )
                fwd, shape = pending[fn_name]
                rule = check_rule(code.renamed(f"_vjp_{fn_name}"), stmt)
                functions[fn_name] = Custom(
                    f"custom:{path}:{fn_name}",
                    fn_name,
                    fn_name,
                    rule,
                    forward=fwd.renamed(fn_name),
                    shape=shape,
                    typed_by_source=shape is None,
                    where=(path, fn_name),
                )
            elif kind == "register_gradient":
                key = _static_target(args, bindings, code.loc)
                name = key.rsplit(".", 1)[-1]
                rule = check_rule(code.renamed(f"_vjp_{name}"), stmt)
                registered[key] = Custom(
                    key,
                    spelling(key),
                    spelling(key),
                    rule,
                    needs=_call_needs(key),
                    shape=_shape_kw(args, bindings),
                )
    for name in pending:
        if name not in functions:
            code = pending[name][0]
            functions[name] = UnsupportedError(
                f"{name} is a custom_vjp function without a rule",
                loc=code.loc,
                hint=f"define one: @{name}.defvjp above `def _(g, ans, ...): return (...,)`",
            )
    return FileRules(functions, registered)


def static_bindings(tree):
    """name -> the module-level line(s) binding it, from imports and literal assignments."""
    out = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.asname:
                    out[a.asname] = (f"import {a.name} as {a.asname}", a.name)
                else:
                    top = a.name.split(".")[0]
                    line = f"import {a.name}"
                    prev = out.get(top)
                    out[top] = ((prev[0] + "\n" if prev and prev[1] == top else "") + line, top)
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            for a in stmt.names:
                name = a.asname or a.name
                out[name] = (
                    f"from {stmt.module} import {a.name}" + (f" as {a.asname}" if a.asname else ""),
                    f"{stmt.module}.{a.name}",
                )
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            try:
                value = ast.literal_eval(stmt.value)
            except ValueError:
                continue
            if value is None or type(value) in (bool, int, float, str):
                out[stmt.targets[0].id] = (f"{stmt.targets[0].id} = {value!r}", None)
    return out


def _decorator(dec, bindings):
    """('custom_vjp' | 'defvjp' | 'register_gradient', call args) for a decorator of
    s2sgrad's custom rules, else None."""
    call = dec if isinstance(dec, ast.Call) else None
    target = call.func if call else dec
    args = (call.args, call.keywords) if call else ((), ())
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        if target.attr == "defvjp" and call is None:
            return "defvjp", args
        where = bindings.get(target.value.id)
        if where and where[1] == "s2sgrad" and target.attr in ("custom_vjp", "register_gradient"):
            return target.attr, args
    if isinstance(target, ast.Name):
        where = bindings.get(target.id)
        for kind in ("custom_vjp", "register_gradient"):
            if where and where[1] == f"s2sgrad.{kind}":
                return kind, args
    return None


def _file_code(stmt, lines, path, bindings):
    text = textwrap.dedent("".join(lines[stmt.lineno - 1 : stmt.end_lineno])).rstrip("\n")
    loc = Loc(path, stmt.lineno, stmt.col_offset + 1, lines[stmt.lineno - 1])
    needs = []
    for name in free_names(stmt):
        got = bindings.get(name)
        if got is None or name in ("s2sgrad",):
            raise UnsupportedError(
                f"{stmt.name} reads {name!r}, which the file binds neither by an import nor "
                "to a literal constant at module level; the generated module copies this def "
                "in, and can hold only modules, importable functions and numbers for its "
                "globals",
                loc=loc,
                hint=f"pass {name!r} as an argument, or write its value into the def",
            )
        needs.extend(got[0].split("\n"))
    return Code(stmt.name, text, tuple(needs), loc)


def _static_target(args, bindings, loc):
    positional, keywords = args
    if len(positional) != 1:
        raise UnsupportedError(
            "register_gradient takes the function as its one positional argument",
            loc=loc,
            hint="@s2sgrad.register_gradient(np.sinc)",
        )
    node = positional[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return target_key(node.value)
    path = []
    while isinstance(node, ast.Attribute):
        path.append(node.attr)
        node = node.value
    where = bindings.get(node.id) if isinstance(node, ast.Name) else None
    if where is None or where[1] is None:
        raise UnsupportedError(
            "the command line reads register_gradient's target as a "
            "dotted name through the file's imports (np.sinc, "
            "scipy.special.erf)",
            loc=loc,
            hint="import the function's module and name the function through it",
        )
    return ".".join([where[1]] + list(reversed(path)))


def _shape_kw(args, bindings):
    """The function a `shape=` keyword's lambda defines (evaluated alone), or None."""
    for kw in args[1]:
        if kw.arg == "shape":
            expr = ast.Expression(kw.value)
            ast.fix_missing_locations(expr)
            return eval(compile(expr, "<shape>", "eval"), {"np": np, "math": math})
    return None
