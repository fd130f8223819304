"""The user-facing API: the decorator, gradients(), grad/value_and_grad/vjp.

A transformed function is specialised per input signature: for each argument,
Python scalar or NumPy scalar or array, its dtype, its rank, and which of its
sizes are 1 or equal to another argument's size (so broadcasting is known
statically; a new pattern retraces, as `tf.function` and `jax.jit` retrace on a
new shape). Python bool/int/str arguments (and None) are static: their values
are part of the key, so `if` on them is resolved at transform time. A
`np.random.Generator` is an argument of its own kind (`rng`): the generated
function draws from it as the source does. Results are cached per (signature,
request); building is guarded by a lock.
"""

import ast
import builtins
import copy
import functools
import inspect
import keyword
import linecache
import threading
import types
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import custom as _custom
from . import rules as _rules  # noqa: F401  (registers the built-in rules)
from . import transform, xp_args
from .errors import InvalidArgumentError, OutsideFunctionError, S2SGradError, UnsupportedError
from .frontend import pytrees
from .frontend import source as S
from .frontend.lower import Static
from .ir import types as T
from .loader import load
from .options import check_checkpoint
from .traceback_util import INLINED, api_boundary, hide_frames

# ---- specialisation -------------------------------------------------------------


def signature_key(values):
    """A cheap hashable key of one call's arguments (see the module docstring); a
    pytree argument (dict/list/tuple) adds its structure, then its leaves."""
    sizes = {}
    key = []
    for v in values:
        if type(v) in _TREES:
            treedef, leaves = _flatten_arg(v)
            key.append(("tree", treedef))
            for x in leaves:
                _key_of(x, sizes, key)
        else:
            _key_of(v, sizes, key)
    return tuple(key)


_TREES = pytrees.CONTAINERS


def _key_of(v, sizes, key):
    if isinstance(v, np.ndarray):  # a dim: None for size 1, "0" for 0, else the k of the
        key.append(  # k-th size
            (
                v.dtype,
                tuple(
                    None if n == 1 else "0" if n == 0 else sizes.setdefault(n, len(sizes))
                    for n in v.shape
                ),
            )
        )
    elif isinstance(v, np.generic):
        key.append((type(v),))
    elif isinstance(v, float):
        key.append(float)
    elif isinstance(v, np.random.Generator):
        key.append("rng")
    elif v is None or isinstance(v, (bool, int, str)):
        key.append((type(v), v))
    elif xp_args.is_array(v):  # another library's array: its library too
        key.append(xp_args.key(v, sizes))
    else:
        key.append(type(v))


# The types whose values a call key needs only the type of: a float, complex or NumPy
# scalar argument is specialised on its type (as signature_key keys it); an array on its
# dtype and shape (finer than signature_key's size pattern, so one fast key names one
# signature); a static bool/int/str/None on its value.
_KEYED_BY_TYPE = frozenset(
    [float, complex, np.random.Generator]
    + [t for t in set(np.sctypeDict.values()) if issubclass(t, np.generic)]
)
_KEYED_BY_VALUE = frozenset([bool, int, str, type(None)])


def fast_key(args):
    """A key of one call's arguments cheaper than signature_key (no size pattern): the
    types of the scalars, the dtype and shape of each array, the value of each static;
    None when an argument is of another kind (a pytree, a subclass), which only
    signature_key keys. Equal fast keys have equal signature keys."""
    key = []
    for v in args:
        t = type(v)
        if t is float:
            key.append(t)
        elif t is np.ndarray:
            key.append(v.dtype)
            key.append(v.shape)
        elif t in _KEYED_BY_TYPE:
            key.append(t)
        elif t in _KEYED_BY_VALUE:
            key.append(t)
            key.append(v)
        else:
            return None
    return tuple(key)


_FAST: weakref.WeakSet = weakref.WeakSet()  # the transformed objects running a fast code
_MAX_FAST = 4096  # fast codes one function makes in its life (see _CallPath.install)

_POSITIONAL_ONLY = inspect.Parameter.POSITIONAL_ONLY
_POSITIONAL_OR_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD
_KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY


class _CallPath:
    """The function `grad`, `value_and_grad` and `function` return: a plain Python
    function with the parameters of obj's function (its names, kinds and defaults, so
    Python itself binds a call, and a wrong call is Python's own TypeError), whose code
    is swapped as calls come:

    - the slow code passes the bound values to obj's __call__, which checks everything
      (the specialisation key, the cache, the checks a call needs) and then installs
    - a fast code for that call's signature: one test per argument (the same class; an
      array of the same dtype and shape; a static of the same value), then the generated
      function, called directly; any other call, the slow code's way.

    A function, not an object with a __call__: calling an instance of a Python class
    costs a tuple of the arguments and a method lookup (about 90 ns, a seventh of a
    scalar gradient), calling a function neither. The code is swapped by one assignment
    (`__code__`; every code has the same parameters and defaults), and each fast code
    reads globals of its own (numbered), never rebound, so a call running in another
    thread sees a consistent code. A function whose parameters the def cannot copy
    (*args, **kwargs, a name of the call's own `_s2s...`) only has the slow code."""

    def __init__(self, obj):
        fn = obj.fn
        params = list(obj.signature.parameters.values())
        self.plain = all(
            p.kind in (_POSITIONAL_ONLY, _POSITIONAL_OR_KEYWORD, _KEYWORD_ONLY)
            and not p.name.startswith("_s2s")
            for p in params
        )
        name = getattr(fn, "__name__", "call")
        name = name if name.isidentifier() and not keyword.iskeyword(name) else "call"
        self.env = env = {
            "_s2s_obj": obj,
            "_s2s_call": type(obj).__call__,
            "_s2s_hide": hide_frames,
            "__builtins__": builtins,
        }
        self.file = f"<s2sgrad call of {getattr(fn, '__qualname__', name)}>"
        self.serial = 0
        if self.plain:
            parts, star = [], False
            for k, p in enumerate(params):
                if p.kind is _KEYWORD_ONLY and not star:
                    parts.append("*")
                    star = True
                if p.default is p.empty:
                    parts.append(p.name)
                else:
                    env[f"_s2s_default{k}"] = p.default  # (the function's own object)
                    parts.append(f"{p.name}=_s2s_default{k}")
                if p.kind is _POSITIONAL_ONLY and (
                    k + 1 == len(params) or params[k + 1].kind is not _POSITIONAL_ONLY
                ):
                    parts.append("/")
            self.head = f"def {name}({', '.join(parts)}):\n"
            self.names = [p.name for p in params]
            self.slow_call = (
                "_s2s_call(_s2s_obj, "
                + ", ".join(
                    p.name if p.kind is not _KEYWORD_ONLY else f"{p.name}={p.name}" for p in params
                )
                + ")"
            )
        else:
            self.head = f"def {name}(*_s2s_args, **_s2s_kwargs):\n"
            self.slow_call = "_s2s_call(_s2s_obj, *_s2s_args, **_s2s_kwargs)"
        self.slow = self._code([], None)
        self.function = types.FunctionType(self.slow, env, name)
        # (every code takes the same defaults: the def's, read once from a compiled one)
        probe = self._compile(self.head + "    pass\n")
        self.function.__defaults__ = probe.__defaults__
        self.function.__kwdefaults__ = probe.__kwdefaults__
        functools.update_wrapper(self.function, fn)
        self.function.__s2sgrad__ = obj
        self.codes = {}  # fast key -> its fast code (bounded: see install)

    def _compile(self, text):
        space = dict(self.env)
        exec(compile(text, self.file, "exec"), space)
        return next(v for k, v in space.items() if k not in self.env)

    def _source(self, tests, then):
        """A code's text: `then` (lines under the tests) when given, else the slow call
        alone; an exception leaves with s2sgrad's frames hidden."""
        guarded = f"        if {' and '.join(tests) or 'True'}:\n{then}" if then else ""
        return (
            self.head
            + "    try:\n"
            + guarded
            + f"        return {self.slow_call}\n"
            + "    except Exception as _s2s_e:  # (traceback_util: the user's frames, not ours)\n"
            + "        _s2s_hide(_s2s_e)\n"
            + "        raise\n"
        )

    def _code(self, tests, call):
        then = f"            return {call}\n" if call else ""
        return self._compile(self._source(tests, then)).__code__

    def install(self, key, args, fn):
        """Run the fast code of `key` (the fast key of args) from the next call on, made
        the first time: its tests and `fn`, in globals of a number of its own."""
        code = self.codes.get(key)
        if code is None:
            if not self.plain or self.serial >= _MAX_FAST:
                self.reset()  # (made no more: the slow code stays, and is right)
                return
            if len(self.codes) >= 16:  # (shapes that vary from call to call)
                self.codes.clear()
            k, self.serial = self.serial, self.serial + 1
            env, tests = self.env, []
            env[f"_s2s_{k}_fn"] = fn
            for i, (a, v) in enumerate(zip(self.names, args)):
                t = type(v)
                env[f"_s2s_{k}_t{i}"] = t
                # (`.__class__`, a third cheaper than type(): it differs only for an
                # object that claims a class, which the slow code's isinstance takes too)
                tests.append(f"{a}.__class__ is _s2s_{k}_t{i}")
                if t is np.ndarray:
                    env[f"_s2s_{k}_d{i}"], env[f"_s2s_{k}_s{i}"] = v.dtype, v.shape
                    tests.append(f"{a}.dtype == _s2s_{k}_d{i} and {a}.shape == _s2s_{k}_s{i}")
                elif t in _KEYED_BY_VALUE and v is not None:
                    env[f"_s2s_{k}_v{i}"] = v
                    tests.append(f"{a} == _s2s_{k}_v{i}")
            code = self._inlined(k, fn, tests)
            if code is None:
                code = self._code(tests, f"_s2s_{k}_fn({', '.join(self.names)})")
            self.codes[key] = code
        self.function.__code__ = code

    def _inlined(self, k, fn, tests):
        """The fast code with the generated function's body in place of its call (a call
        costs about a tenth of a scalar gradient): compiled under the generated module's
        file name and lines, so a traceback or pdb shows the module's lines as a call of
        it would. Its globals are the module's: under their own names (`np`, `cos`) where
        the call's globals hold the same object or nothing yet, else renamed to
        `_s2s_{k}_name` (never rebound: see the class). None when fn is not a generated
        function of plain parameters named as the call's (the call is kept then)."""
        code = fn.__code__ if isinstance(fn, types.FunctionType) else None
        if (
            code is None
            or not code.co_filename.startswith("<s2sgrad:")
            or fn.__closure__
            or fn.__kwdefaults__
            or code.co_flags
            & (
                inspect.CO_GENERATOR
                | inspect.CO_COROUTINE
                | inspect.CO_VARARGS
                | inspect.CO_VARKEYWORDS
            )
            or code.co_varnames[: code.co_argcount] != tuple(self.names)
            or code.co_kwonlyargcount
            or code.co_posonlyargcount
        ):
            return None
        lines = linecache.getlines(code.co_filename)
        if not lines:
            return None
        try:
            tree = ast.parse("".join(lines))
        except SyntaxError:
            return None
        defs = [
            d
            for d in tree.body
            if isinstance(d, ast.FunctionDef) and d.lineno == code.co_firstlineno
        ]
        if len(defs) != 1 or defs[0].decorator_list:
            return None
        body = defs[0].body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # (the docstring)
        # The globals it reads: the names of its syntax tree that its code objects look
        # up by name (co_names; an attribute's name is there too, and harmless: it is
        # never a Name of the tree but where it is also a local of a nested function,
        # and then the call is kept), less the function's own locals. A `global` or
        # `nonlocal` statement keeps the call.
        looked_up = set()
        for c in _codes(code):
            looked_up.update(c.co_names)
        own = set(code.co_varnames) | set(code.co_cellvars)
        named, names = [], set()
        for node in _nodes(defs[0]):
            if isinstance(node, ast.Name):
                named.append(node)
                if node.id in looked_up and node.id not in own:
                    names.add(node.id)
            elif isinstance(node, ast.arg):
                named.append(node)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                return None
        env, rename = self.env, {}
        for g in sorted(names):
            if g not in fn.__globals__:
                if g in builtins.__dict__ and g not in env:
                    continue
                return None
            v = fn.__globals__[g]
            if (
                g.startswith("_s2s")
                or g in self.names
                or g in builtins.__dict__  # (the call's own code reads builtins)
                or env.get(g, v) is not v
            ):
                rename[g] = f"_s2s_{k}_{g}"
                env[rename[g]] = v
            else:
                env[g] = v
        for node in named if rename else ():
            if isinstance(node, ast.Name):
                if node.id in rename:
                    node.id = rename[node.id]
            elif node.arg in rename:
                node.arg = rename[node.arg]
        head = ast.parse(self._source(tests, "            pass\n"))  # (pass: the body's place)
        line = code.co_firstlineno
        for node in _nodes(head):
            if hasattr(node, "lineno"):
                node.lineno = node.end_lineno = line
                node.col_offset = node.end_col_offset = 0
        made = head.body[0]
        made.name = defs[0].name
        # (the body, then `return None`: what falling off its end returned)
        end = body[-1].end_lineno if body else line
        last = ast.Return(value=None, lineno=end, end_lineno=end, col_offset=0, end_col_offset=0)
        made.body[0].body[0].body = body + [last]
        space = dict(env)
        try:
            exec(compile(head, code.co_filename, "exec"), space)
        except SyntaxError:
            return None
        inlined = space[made.name].__code__
        INLINED.add(inlined)
        return inlined

    def reset(self):
        """Back to the slow code (see __init__)."""
        if self.function.__code__ is not self.slow:
            self.function.__code__ = self.slow


_TEXT_FIELDS = frozenset(
    ("ctx", "id", "arg", "attr", "name", "kind", "type_comment", "level", "module", "conversion")
)
_NODE_FIELDS: dict = {}  # ast class -> its fields that may hold nodes


def _nodes(root):
    """The nodes of an ast tree, as ast.walk's but in a list and in under half its time
    (the fast code of a call is made from the generated module's tree)."""
    out, todo, node_class = [], [root], ast.AST
    while todo:
        node = todo.pop()
        out.append(node)
        cls = type(node)
        fields = _NODE_FIELDS.get(cls)
        if fields is None:
            fields = _NODE_FIELDS[cls] = tuple(f for f in cls._fields if f not in _TEXT_FIELDS)
        for f in fields:
            v = getattr(node, f, None)
            if type(v) is list:
                todo.extend(x for x in v if isinstance(x, node_class))
            elif isinstance(v, node_class):
                todo.append(v)
    return out


def _codes(code):
    """code and the code objects nested in it (its closures' functions)."""
    yield code
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield from _codes(c)


def _forget_fast_calls():
    """A rule was registered: every transformed function goes back to its slow code,
    which sees the new GENERATION and builds anew."""
    for f in list(_FAST):
        f.unfast()


_custom.ON_NEW_RULE.append(_forget_fast_calls)


def transformed(f):
    """The s2sgrad object behind `f` (a function `grad` or `function` returned, or the
    object itself), or None for any other callable."""
    if isinstance(f, _Transformed):
        return f
    obj = getattr(f, "__s2sgrad__", None) if isinstance(f, types.FunctionType) else None
    return obj if isinstance(obj, _Transformed) else None


def _plain(f):
    """The user's function behind `f` (itself when s2sgrad did not make it)."""
    obj = transformed(f)
    return f if obj is None else obj.fn


def _flatten_arg(v):
    try:
        return pytrees.flatten(v)
    except TypeError as e:
        raise InvalidArgumentError(str(e), hint="use str keys (params['W1'])") from None


def specialise(names, values, xp=False):
    """{name: Type | Static | Tree} for one call's arguments: the types a key stands for.
    With `xp` (array-API code), arrays of any library implementing the standard too."""
    sizes = {}
    types_ = {}
    for name, v in zip(names, values):
        if type(v) in _TREES:
            treedef, leaves = _flatten_arg(v)
            where = pytrees.paths(treedef)
            types_[name] = pytrees.Tree(
                treedef,
                [
                    _type_of(pytrees.path_text(name, p), x, sizes, in_tree=True, xp=xp)
                    for p, x in zip(where, leaves)
                ],
                numbers=[k for k, x in enumerate(leaves) if isinstance(x, np.generic)],
            )
        else:
            types_[name] = _type_of(repr(name), v, sizes, xp=xp)
    return types_


def _type_of(name, v, sizes, in_tree=False, xp=False):
    if v is None or isinstance(v, (bool, int, str)) and not isinstance(v, np.generic):
        return Static(v)
    if isinstance(v, (np.ndarray, np.generic)):
        if isinstance(v, np.ndarray) and type(v) not in (np.ndarray, np.memmap):
            raise InvalidArgumentError(
                f"argument {name} is a {type(v).__module__}.{type(v).__name__}, a subclass "
                "of np.ndarray whose operators and functions do not mean what they mean "
                "for an ndarray (np.matrix's * and ** are matrix products; a masked "
                "array skips its masked entries)",
                hint="pass np.asarray(...) of it (and write A @ B where a matrix product is meant)",
            )
        if v.dtype.kind not in "biufc":
            raise InvalidArgumentError(
                f"argument {name} is a NumPy {type(v).__name__} of dtype {v.dtype}; "
                "s2sgrad functions take arrays and scalars of numbers (bool, int, float)",
                hint="pass a Python str for a static string (it is part of the "
                "specialisation), or convert the array to numbers",
            )
        dims = []
        for n in np.shape(v):
            dims.append(n if n in (0, 1) else sizes.setdefault(n, f"n{len(sizes)}"))
        return T.Type(dtype=v.dtype.name, shape=tuple(dims))
    if isinstance(v, float):
        return T.PY_FLOAT
    if isinstance(v, complex):
        return T.Type(dtype="complex128", shape=(), weak=True)
    if isinstance(v, np.random.Generator) and not in_tree:
        return T.RNG
    if isinstance(v, np.random.Generator):
        raise InvalidArgumentError(
            f"argument {name} is a np.random.Generator inside a pytree; s2sgrad draws from "
            "generators passed as arguments of their own",
            hint="pass the generator as an argument of its own (def loss(params, x, rng))",
        )
    if xp_args.is_array(v):
        return xp_args.type_of(name, v, sizes, xp)
    raise InvalidArgumentError(
        f"argument {name} is a {type(v).__name__}; s2sgrad functions take NumPy arrays and "
        "scalars, Python numbers, np.random.Generator objects, static bool/int/str values, "
        "and dicts, lists and tuples of these (pytrees)",
        hint="a namedtuple is not a pytree here: pass tuple(...) of it, or a dict"
        if hasattr(v, "_fields")
        else "an object is not a pytree here: differentiate its bound method "
        "(s2sgrad.grad(model.loss): its attributes are constants), or pass the parameters "
        "as a dict"
        if hasattr(v, "__dict__") and not isinstance(v, (list, set, frozenset))
        else "convert it with np.asarray(...) before the call",
    )


class _Transformed:
    """Shared machinery: parse once, build per signature, cache, remember the source."""

    def __init__(self, fn, request):
        if isinstance(fn, _custom.CustomVJP):
            raise InvalidArgumentError(
                f"{fn.__name__} is a custom_vjp function: s2sgrad uses its rule where a function "
                "it transforms calls it",
                hint=f"differentiate a function that calls it "
                f"(`def loss(x): return np.sum({fn.__name__}(x))`)",
            )
        if inspect.ismethod(fn) and not inspect.isfunction(fn.__func__):
            raise InvalidArgumentError(
                f"{fn.__qualname__} is a method bound to an object, not defined by a def "
                "statement s2sgrad can read",
                hint="write the computation as a def (a method "
                "of your class, or a module-level function taking its arrays as arguments)",
            )
        # a method bound to an object (`grad(model.loss)`): `self` is that object, its
        # attributes constants frozen now (frontend/lower.py, object_attr)
        self.fn = fn
        self.request = request
        self.signature = inspect.signature(fn)
        self.names = tuple(self.signature.parameters)
        self.nparams = len(self.names)
        self.cache = {}
        self.fast = {}  # fast_key -> a cache entry (bounded: see entry)
        # the function users call (as_function), whose code calls the generated function
        # directly on the signature of the latest call that needs no check (_CallPath)
        self.call_path = None
        self.generation = _custom.GENERATION
        self.lock = threading.Lock()
        self.last_source = None
        self._parsed = None
        functools.update_wrapper(self, fn)

    def parsed(self):
        if self._parsed is None:
            self._parsed = S.from_function(self.fn)
        return self._parsed

    def entry(self, args, kwargs):
        if kwargs or len(args) != self.nparams:
            try:
                bound = self.signature.bind(*args, **kwargs)
            except TypeError as e:  # (as Python says it, naming the function)
                raise TypeError(f"{self.fn.__name__}(): {e}") from None
            bound.apply_defaults()
            args = tuple(bound.arguments.values())
        if self.generation != _custom.GENERATION:  # a rule registered since: build anew
            self.cache.clear()
            self.fast.clear()
            if self.call_path is not None:
                self.call_path.codes.clear()
            self.unfast()
            self.generation = _custom.GENERATION
        given = args if len(args) == self.nparams else None  # (bound: by name too)
        fast = fast_key(args)
        hit = self.fast.get(fast) if fast is not None else None
        if hit is None:
            key = signature_key(args)
            hit = self.cache.get(key)
            if hit is None:
                with self.lock:
                    hit = self.cache.get(key)
                    if hit is None:
                        hit = self.build(
                            specialise(self.names, args, self.request.xp),
                            tuple(n for n, v in zip(self.names, args) if isinstance(v, np.generic)),
                        )
                        self.cache[key] = hit
            if fast is not None:
                if len(self.fast) >= 256:  # (shapes that vary call to call: keep it small)
                    self.fast.clear()
                self.fast[fast] = hit
        self.last_source = hit[1]
        if hit[2]:
            self.unfast()
            _check_unshared(self.fn, *_flat(self.names, args), hit[2])
        elif fast is not None and given is not None and self.call_path is not None:
            self.call_path.install(fast, args, hit[0])
            _FAST.add(self)
        else:
            self.unfast()
        return hit[0], args

    def unfast(self):
        """Back to the code that checks every call (see _CallPath)."""
        if self.call_path is not None:
            self.call_path.reset()

    def as_function(self):
        """The plain function users call (made once): see _CallPath."""
        if self.call_path is None:
            self.call_path = _CallPath(self)
        return self.call_path.function

    def build(self, types_, numbers=()):
        with transform.gc_paused():  # (parsing too: it makes as many objects as a stage)
            parsed = self.parsed()
            if self.cache:  # (called under self.lock) module constants and globals are
                # read when a signature is transformed, as jax.jit reads them when it traces:
                # a later signature reads them again (the first uses what parsing just read)
                parsed.resolver = S.resolver_now(self.fn, parsed.names)
            ir, text = transform.generate(parsed, types_, self.request, numbers=numbers)
            module = load(text, ir.name)
        return getattr(module, ir.name), text, ir.writes, ir.body.yields[0].type


def _flat(names, args):
    """(names, values) of the arguments with each pytree's leaves in its place (the
    generated function's parameters, in the IR's order)."""
    if not any(type(a) in _TREES for a in args):
        return names, args
    out_names, out_values = [], []
    for name, a in zip(names, args):
        if type(a) in _TREES:
            treedef, leaves = pytrees.flatten(a)
            out_names.extend(pytrees.path_text(name, p) for p in pytrees.paths(treedef))
            out_values.extend(leaves)
        else:
            out_names.append(name)
            out_values.append(a)
    return tuple(out_names), tuple(out_values)


def _check_unshared(fn, names, args, written):
    """Refuse one array passed as two arguments when the function writes into one:
    the generated code writes on a copy (the caller's arrays never change), so the
    other argument would not see the write as it does in Python."""
    for k in written:
        a = args[k] if k < len(args) else None
        if not isinstance(a, np.ndarray):
            continue
        for j, other in enumerate(args):
            if j != k and isinstance(other, np.ndarray) and np.may_share_memory(a, other):
                raise InvalidArgumentError(
                    f"arguments {names[k]!r} and {names[j]!r} share memory, and "
                    f"{getattr(fn, '__name__', 'the function')} writes into {names[k]!r}: "
                    f"s2sgrad writes on a copy (the caller's arrays never change), so "
                    f"{names[j]!r} would not see the write as it does in Python",
                    hint=f"pass a copy ({names[j]}=....copy())",
                )


class Function(_Transformed):
    """A function decorated with `@s2sgrad.function`; its `gradients(...)` calls
    are expanded into adjoint code on first call for each signature."""

    def __init__(self, fn):
        super().__init__(fn, transform.Request("function"))

    @api_boundary
    def __call__(self, *args, **kwargs):
        generated, values = self.entry(args, kwargs)
        return generated(*values)


Wrt = int | str | Sequence[int | str]  # which arguments: an index, a name, or several


@api_boundary
def function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: inside `fn`, `s2sgrad.gradients(...)` works as `tf.gradients` in a graph.

    On the first call for each signature (dtypes, ranks, static values), s2sgrad reads
    `fn`'s source, expands its `gradients(...)` calls into adjoint code and runs the
    generated module; later calls of that signature run the module directly.

    Parameters
    ----------
    fn : a function defined by `def` in a file (s2sgrad reads its source).

    Returns
    -------
    callable
        A function called like `fn`; `s2sgrad.source(f)` shows the module of the
        latest call.

    Raises
    ------
    UnsupportedError, NoGradientError, InvalidArgumentError
        On the first call of a signature, located at the line of `fn` at fault.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> @s2sgrad.function
    ... def step(x):
    ...     y = np.sum(x ** 2)
    ...     (dx,) = s2sgrad.gradients(y, [x])
    ...     return x - 0.1 * dx
    >>> step(np.array([1.0, 2.0]))
    array([0.8, 1.6])
    """
    return Function(fn).as_function()


def gradients(
    ys: Any,
    xs: Any,
    grad_ys: Any = None,
    name: str = "gradients",
    gate_gradients: bool = False,
    aggregation_method: Any = None,
    stop_gradients: Any = None,
    unconnected_gradients: Any = "none",
    checkpoint: str | None = None,
) -> list:
    """Symbolic partial derivatives of sum(ys) with respect to each x in xs, as
    `tf.gradients`.

    Only meaningful inside a function decorated with `@s2sgrad.function`, whose
    source s2sgrad rewrites; called anywhere else it raises RuntimeError, as
    `tf.gradients` does in eager mode.

    Parameters
    ----------
    ys : a value or a list of values of the function.
    xs : a value or a list of values (parameters or intermediates).
    grad_ys : one weight per y (shaped like it), or None for ones.
    name, gate_gradients : accepted for TensorFlow's signature; no effect.
    aggregation_method : an `AggregationMethod` (how adjoints are summed); no effect on values.
    stop_gradients : values through which no gradient flows (partial derivatives).
    unconnected_gradients : "none" (an x no y depends on gets None) or "zero".
    checkpoint : "sqrt" to checkpoint this call's loops (memory O(sqrt(T)) a loop).

    Returns
    -------
    list
        One entry per x: the derivative of sum(ys), shaped like x with x's dtype, or None.

    Raises
    ------
    OutsideFunctionError
        Called outside a decorated function (a RuntimeError).
    NoGradientError, InvalidArgumentError, UnsupportedError
        When the decorated function is transformed, located at the call.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> @s2sgrad.function
    ... def slope(x):
    ...     return s2sgrad.gradients(np.sum(x ** 3), [x])[0]
    >>> slope(np.array([1.0, 2.0]))
    array([ 3., 12.])
    """
    raise OutsideFunctionError(
        "s2sgrad.gradients is only supported inside a function decorated with "
        "@s2sgrad.function (it is rewritten there into adjoint code)",
        hint="decorate the function that calls it with @s2sgrad.function, or use "
        "s2sgrad.grad(f) from outside",
    )


def stop_gradient(x: Any) -> Any:
    """The identity at run time; inside a transformed function, no gradient flows
    through it (its result is a constant for every derivative).

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def f(x):
    ...     return np.sum(x * s2sgrad.stop_gradient(x))
    >>> s2sgrad.grad(f)(np.array([1.0, 2.0]))
    array([1., 2.])
    """
    return x


def checkpointed(steps: range) -> range:
    """`for t in s2sgrad.checkpointed(range(T)):` in a function s2sgrad differentiates:
    this loop's reverse sweep keeps its carried values every ~sqrt(T) steps and
    recomputes the steps between, instead of taping every step (as `checkpoint="sqrt"`
    does for every loop). At run time, and anywhere else, the range itself.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def f(x):
    ...     for t in s2sgrad.checkpointed(range(100)):
    ...         x = np.sin(x)
    ...     return np.sum(x)
    >>> g = s2sgrad.grad(f)(np.array([0.1]))
    >>> bool(np.allclose(g, s2sgrad.grad(f)(np.array([0.1]))))
    True
    """
    return steps


class _Derivative(_Transformed):
    """grad / value_and_grad / vjp of `fn`. When `fn` is itself made by s2sgrad
    (`grad(grad(f))`, `grad(s2sgrad.function(f))`), the request wraps fn's and
    the source parsed is the original function's: higher order is built on the
    IR (transform.Request.inner), never by re-reading generated text. `wrt`
    names or indexes the original function's parameters, which every derivative
    of it keeps."""

    def __init__(self, fn, kind, wrt, has_aux=False, checkpoint=None, xp=False):
        try:
            checkpoint = check_checkpoint(checkpoint)
        except ValueError as e:
            raise InvalidArgumentError(
                str(e), hint="checkpoint='sqrt' stores a loop's carried values every ~sqrt(T) steps"
            ) from None
        inner = None
        fn = transformed(fn) or fn
        if isinstance(fn, _Transformed):
            if fn.request.kind == "vjp":
                raise InvalidArgumentError(
                    "a vjp request cannot be differentiated again",
                    hint="use s2sgrad.vjp(s2sgrad.grad(f), x) for a Hessian-vector product",
                )
            if fn.request.has_aux:
                raise InvalidArgumentError(
                    "a derivative taken with has_aux=True returns (gradient, aux), which cannot "
                    "be differentiated again",
                    hint="differentiate the derivative without has_aux, and compute aux separately",
                )
            inner, fn = fn.request, fn.fn
        params = list(inspect.signature(fn).parameters)
        is_tuple = isinstance(wrt, (tuple, list))
        idx = tuple(wrt) if is_tuple else (wrt,)
        wrt_names = []
        for i in idx:
            if isinstance(i, str):
                if i not in params:
                    raise InvalidArgumentError(f"wrt={i!r} is not a parameter of {fn.__name__}")
                wrt_names.append(i)
            elif isinstance(i, int) and not isinstance(i, bool) and -len(params) <= i < len(params):
                wrt_names.append(params[i])
            else:
                raise InvalidArgumentError(
                    f"wrt={i!r} is not a parameter index of {fn.__name__} "
                    f"({len(params)} parameters)"
                )
        if not isinstance(xp, bool):
            raise InvalidArgumentError(
                f"xp must be True or False, got {xp!r}",
                hint="xp=True: array-API code (`s2sgrad help xp`)",
            )
        super().__init__(
            fn,
            transform.Request(
                kind, tuple(wrt_names), is_tuple, inner, bool(has_aux), checkpoint, xp
            ),
        )

    @api_boundary
    def __call__(self, *args, **kwargs):
        try:
            generated, values = self.entry(args, kwargs)
        except UnsupportedError as e:
            if not getattr(e, "loop_again", False) or self.over_grad() is None:
                raise
            return self.forward_over_reverse(_bound(self.fn, args, kwargs))
        return generated(*values)

    def over_grad(self):
        """The inner request when this one differentiates a plain gradient of f (`grad(f,
        wrt=i)` of a scalar f, one i, no aux): its second derivatives are then those of
        f's Hessian, symmetric, which forward over reverse gives through loops too."""
        inner = self.request.inner
        if (
            inner is None
            or inner.kind != "grad"
            or inner.inner is not None
            or inner.has_aux
            or inner.wrt_is_tuple
            or self.request.has_aux
        ):
            return None
        return inner

    def forward_over_reverse(self, values, cotangent=None):
        """A second derivative reverse over reverse refuses (a loop's tape), forward over
        reverse: with g = grad(f, wrt=i), the derivative of <u, g> with respect to x_j is
        d/dt grad(f, wrt=j)(x + t u e_i) (the Hessian is symmetric), one jvp of the
        gradient with respect to every x_j and x_i. For grad/value_and_grad u = 1 (g is
        a number); for vjp u is the cotangent. Returns what the request returns."""
        names = self.names
        i = names.index(self.over_grad().wrt[0])
        js = (
            [names.index(n) for n in self.request.wrt]
            if self.request.kind != "vjp"
            else [k for k, v in enumerate(values) if _differentiable(v)]
        )
        key = (tuple(js), i)
        if getattr(self, "_both", (None,))[0] != key:  # (built once, then cached)
            self._both = (key, grad(self.fn, wrt=tuple(js) + (i,), xp=self.request.xp))
        both = self._both[1]
        tangents = [None] * len(values)
        tangents[i] = _like(1.0 if cotangent is None else cotangent, values[i])
        primal, tangent = jvp(both, values, tangents, xp=self.request.xp)
        value, second = primal[-1], tuple(tangent[:-1])
        if self.request.kind == "vjp":
            return second
        second = second if self.request.wrt_is_tuple else second[0]
        return (value, second) if self.request.kind == "value_and_grad" else second


@api_boundary
def grad(
    fun: Callable[..., Any],
    wrt: Wrt = 0,
    *,
    has_aux: bool = False,
    checkpoint: str | None = None,
    xp: bool = False,
) -> Callable[..., Any]:
    """A function returning the gradient of scalar-valued `fun`, as JAX's and autograd's
    `grad`, from a generated NumPy module (built per signature on the first call).

    Parameters
    ----------
    fun : a function defined by `def` in a file, returning a scalar (or `(scalar, aux)`);
        or a function s2sgrad made (`grad(grad(f))`: higher order, built on the IR).
    wrt : the argument to differentiate with respect to: an index or a name; a tuple
        or list of them gives a tuple of gradients.
    has_aux : `fun` returns `(value, aux)`; the gradient function returns
        `(gradient, aux)`, aux not differentiated.
    checkpoint : "sqrt": each `for` loop over a range() of T steps keeps its carried
        values every ~sqrt(T) steps instead of a tape of every step, and the reverse
        sweep recomputes the steps between (memory O(sqrt(T)), about one more forward
        sweep of time).
    xp : array-API code (docs/xp.md): the generated module takes its array namespace
        from its arguments (`array_api_compat.array_namespace`), which may be arrays of
        NumPy, array_api_strict, CuPy or Dask, and returns arrays of their library.

    Returns
    -------
    callable
        Takes `fun`'s arguments; returns the gradient, shaped like the argument (a
        pytree argument gives a pytree), or a tuple of them.

    Raises
    ------
    InvalidArgumentError
        `wrt` names no parameter; at the call, an argument of a kind s2sgrad does not
        take, or a result that is not a scalar.
    UnsupportedError, NoGradientError
        At the first call of a signature, located at the line of `fun` at fault.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def loss(w, x):
    ...     return np.sum(np.tanh(x @ w) ** 2)
    >>> dw = s2sgrad.grad(loss)(np.array([0.5, -0.5]), np.eye(2))
    >>> np.round(dw, 6)
    array([ 0.726862, -0.726862])
    """
    return _Derivative(fun, "grad", wrt, has_aux, checkpoint, xp).as_function()


@api_boundary
def value_and_grad(
    fun: Callable[..., Any],
    wrt: Wrt = 0,
    *,
    has_aux: bool = False,
    checkpoint: str | None = None,
    xp: bool = False,
) -> Callable[..., Any]:
    """Like `grad`, returning `(fun(*args), gradient)` from one generated module (the
    value is computed as `fun` computes it, bit for bit).

    Parameters
    ----------
    fun, wrt, has_aux, checkpoint, xp : as for `grad`.

    Returns
    -------
    callable
        Returns `(value, gradient)`; with `has_aux=True`, `((value, aux), gradient)`.

    Raises
    ------
    As `grad`.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def f(x):
    ...     return np.sum(x ** 2)
    >>> value, dx = s2sgrad.value_and_grad(f)(np.array([1.0, 2.0]))
    >>> float(value), dx
    (5.0, array([2., 4.]))
    """
    return _Derivative(fun, "value_and_grad", wrt, has_aux, checkpoint, xp).as_function()


@api_boundary
def vjp(
    fun: Callable[..., Any],
    *primals: Any,
    has_aux: bool = False,
    checkpoint: str | None = None,
    xp: bool = False,
) -> tuple:
    """The value of `fun` at `primals` and its vector-Jacobian product function, as
    JAX's `vjp`: reverse mode for a function of any output shape.

    Parameters
    ----------
    fun : as for `grad`, returning an array or number of any shape (or `(out, aux)`).
    *primals : the point: `fun`'s arguments. They are copied: the caller's arrays
        never change, and `vjp_fn` differentiates at this point whatever happens later.
    has_aux : `fun` returns `(out, aux)`.
    checkpoint : as for `grad`.
    xp : as for `grad` (with `xp=True`, fun(*primals) is computed by the forward-mode
        module's array-API code, not by running fun on the arrays).

    Returns
    -------
    tuple
        `(out, vjp_fn)` (with `has_aux`, `(out, vjp_fn, aux)`); `vjp_fn(g)`, with `g`
        shaped like `out`, returns Jᵀg as a tuple with one entry per primal (None for
        an argument without a gradient: an int, a bool, a string).

    Raises
    ------
    As `grad`; `vjp_fn` raises InvalidArgumentError for a `g` not shaped like `out`.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def f(x, W):
    ...     return np.tanh(W @ x)
    >>> out, vjp_fn = s2sgrad.vjp(f, np.zeros(2), np.eye(2))
    >>> vjp_fn(np.array([1.0, 2.0]))[0]
    array([1., 2.])
    """
    floats = tuple(i for i, p in enumerate(primals) if _differentiable(p))
    key = (fun, floats, bool(has_aux), checkpoint, xp)
    d = _VJPS.get(key)
    if d is None:  # (one per function and request: its cache spans vjp calls)
        d = _VJPS[key] = _Derivative(fun, "vjp", floats, has_aux, checkpoint, xp)
    try:
        generated, values = d.entry(primals, {})
    except UnsupportedError as e:  # vjp(grad(f)) through a loop: forward over reverse
        if not getattr(e, "loop_again", False) or d.over_grad() is None:
            raise
        values = _bound(d.fn, primals, {})
        point = _own(values)
        out = fun(*_own(point))
        return out, lambda g: d.forward_over_reverse(_own(point), _cotangent(g, out))
    point = _own(values)  # the point of linearisation, whatever the caller does later
    if d.request.xp:
        if has_aux:
            raise InvalidArgumentError(
                "vjp with xp=True does not take has_aux=True yet",
                hint="use value_and_grad(f, has_aux=True, xp=True)",
            )
        out = jvp(fun, point, [None] * len(point), xp=True)[0]
        return out, lambda g: generated(*point, *_cotangents(g, out))
    # fun runs once, as in plain Python: on the caller's generators (advanced as it advances
    # them), and on the caller's arrays where fun writes into none (so its values are
    # Python's bit for bit, a strided view's too), else on copies of them; vjp_fn draws
    # what it drew, from copies of their state before the call
    writes = d.cache[signature_key(values)][2]  # (of the flattened parameters)
    owner = [
        k
        for k, v in enumerate(values)
        for _ in (pytrees.flatten(v)[1] if type(v) in _TREES else (v,))
    ]
    written = {owner[i] for i in writes if i < len(owner)}
    out = fun(
        *[
            v if isinstance(v, np.random.Generator) or k not in written else p
            for k, (v, p) in enumerate(zip(values, _own(point)))
        ]
    )

    if has_aux:
        out, aux = out

    @api_boundary
    def vjp_fn(g):
        return generated(*_own(point), *_cotangents(g, out))

    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


_JVPS: dict = {}  # (function, positions with a tangent) -> its forward-mode transform
_VJPS: dict = {}  # (function, positions with a cotangent, has_aux) -> its vjp transform


@api_boundary
def jvp(
    fun: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any], *, xp: bool = False
) -> tuple:
    """The value of `fun` and its Jacobian-vector product, as JAX's `jvp`: forward mode,
    from its own generated module (the tangent of each op computed beside it;
    `s2sgrad.source(fun, mode="fwd")` shows the module of the most recent call).

    Parameters
    ----------
    fun : a function defined by `def` in a file, or a function s2sgrad made
        (`jvp(grad(f), ...)`: a Hessian-vector product, forward over reverse).
    primals : the point: one value per argument of `fun`.
    tangents : one entry per primal, shaped and typed like it; None (or a tangent of an
        int, bool or str argument) is a zero.
    xp : as for `grad` (array-API code, for arrays of any library implementing it).

    Returns
    -------
    tuple
        `(fun(*primals), tangent_out)`, `tangent_out` shaped like the output.

    Raises
    ------
    InvalidArgumentError
        Not one tangent per primal, or a tangent not shaped like its primal.
    UnsupportedError, NoGradientError
        At the first call of a signature, located (forward mode through a custom
        reverse rule is refused: use `vjp`).

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def f(x):
    ...     return x ** 3
    >>> s2sgrad.jvp(f, (np.array([1.0, 2.0]),), (np.array([1.0, 1.0]),))
    (array([1., 8.]), array([ 3., 12.]))
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(tangents) != len(primals):
        raise InvalidArgumentError(
            f"jvp takes one tangent per primal: {len(primals)} primals, {len(tangents)} tangents",
            hint="pass None for an argument without a tangent",
        )
    wrt = tuple(
        i for i, (p, t) in enumerate(zip(primals, tangents)) if t is not None and _differentiable(p)
    )
    for i in wrt:
        _check_tangent(i, primals[i], tangents[i])
    key = (fun, wrt) if not xp else (fun, wrt, "xp")
    d = _JVPS.get(key)
    if d is None:
        d = _JVPS[key] = _Derivative(fun, "jvp", wrt, xp=xp)
    generated, values = d.entry(primals, {})
    _JVPS[fun] = d
    dots = [_like(tangents[i], values[i]) for i in wrt]
    # (the caller's arrays, which the generated code never writes into, so its values are
    # Python's bit for bit, and its generator: after jvp it is where f leaves it)
    out, tangent = generated(*values, *dots)
    return out, _scalar_like(out, _unshared(tangent, dots))


def _scalar_like(out, tangent):
    """The tangent with each 0-d array whose output is a NumPy scalar made that scalar
    (`np.where` of scalars, in a tangent rule, gives a 0-d array): a tangent has its
    output's type, as a gradient has its argument's."""

    def like(o, t):
        if isinstance(o, np.generic) and isinstance(t, np.ndarray) and t.ndim == 0:
            return t[()]
        return t

    if type(out) not in _TREES:
        return like(out, tangent)
    (shape, outs), (tshape, ts) = pytrees.flatten(out), pytrees.flatten(tangent)
    if shape != tshape:
        return tangent
    return pytrees.unflatten(shape, iter(like(o, t) for o, t in zip(outs, ts)))


def _unshared(tangent, given):
    """The output tangent, with each array of it that may share memory with a tangent the
    caller gave (`return x` through a branch or a loop that passed it on) copied: the
    caller owns what jvp returns, as it owns a gradient."""
    arrays = [d for d in given if isinstance(d, np.ndarray)]
    if not arrays:
        return tangent

    def own(t):
        if isinstance(t, np.ndarray) and any(np.may_share_memory(t, d) for d in arrays):
            return t.copy(order="K")
        return t

    return pytrees.map_leaves(own, tangent) if type(tangent) in _TREES else own(tangent)


def _differentiable(p):
    """Whether an argument has a gradient or tangent: a float or complex number or
    array, or a pytree with such a leaf."""
    if type(p) in _TREES:
        return any(_differentiable(x) for x in pytrees.flatten(p)[1])
    if xp_args.is_array(p):
        return xp_args.is_float(p)
    return (
        not isinstance(p, (bool, int, str))
        and p is not None
        and not isinstance(p, np.random.Generator)
        and np.asarray(p).dtype.kind in "fc"
    )


def _check_tangent(i, p, t):
    if type(p) in _TREES:
        pdef, pleaves = pytrees.flatten(p)
        tdef, tleaves = pytrees.flatten(t) if type(t) in _TREES else (None, [t])
        if tdef != pdef:
            raise InvalidArgumentError(
                f"the tangent of argument {i} is not a pytree of the argument's structure",
                hint="pass a tangent with the same keys and lengths (None for a leaf without one)",
            )
        for leaf_p, leaf_t in zip(pleaves, tleaves):
            if leaf_t is not None and _differentiable(leaf_p):
                _check_tangent(i, leaf_p, leaf_t)
        return
    if np.shape(t) != np.shape(p):
        raise InvalidArgumentError(
            f"the tangent of argument {i} has shape {np.shape(t)}; the argument "
            f"has shape {np.shape(p)}",
            hint="pass a tangent shaped like its primal",
        )


@api_boundary
def jacobian(fun: Callable[..., Any], wrt: Wrt = 0, mode: str = "auto") -> Callable[..., Any]:
    """A function returning the Jacobian of `fun`, as JAX's `jacfwd`/`jacrev`.

    Parameters
    ----------
    fun : as for `jvp`, returning an array or number.
    wrt : an index or name; a tuple of them gives a tuple of Jacobians.
    mode : "fwd": one jvp per element of x; "rev": one vjp per element of the output;
        "auto": the one of fewer passes, and reverse for a function forward mode cannot
        go through (a custom rule). "auto" evaluates fun no more often than the mode it
        picks: the output's size comes from the forward-mode module's output type where
        it is static; otherwise from the vjp's own evaluation, whose vjp_fn is then used.

    Returns
    -------
    callable
        Takes `fun`'s arguments; returns the Jacobian shaped `out.shape + x.shape`.

    Raises
    ------
    InvalidArgumentError
        An unknown `mode`, or `wrt` naming no parameter.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def f(x):
    ...     return x ** 2
    >>> s2sgrad.jacobian(f)(np.array([1.0, 3.0]))
    array([[2., 0.],
           [0., 6.]])
    """
    if mode not in ("auto", "fwd", "rev"):
        raise InvalidArgumentError(f"mode={mode!r} is not one of 'auto', 'fwd', 'rev'")
    params = list(inspect.signature(_plain(fun)).parameters)
    positions, is_tuple = _positions(fun, params, wrt)

    @api_boundary
    def jac(*args, **kwargs):
        draws = _Draws(_bound(fun, args, kwargs))
        if mode == "auto":
            results = _jac_auto(fun, draws, positions)
        else:
            results = [(_jac_fwd if mode == "fwd" else _jac_rev)(fun, draws, i) for i in positions]
        draws.finish()
        return tuple(results) if is_tuple else results[0]

    return jac


def _jac_auto(fun, draws, positions):
    """jacobian(mode="auto"): for each position, forward mode when x has no more elements
    than the output and forward mode goes through fun, else reverse (one vjp shared)."""
    pulled = None  # (out, vjp_fn): fun evaluated once, for every position
    results = []
    values = draws.entry
    for i in positions:
        shape = _fwd_out_shape(fun, values, i)  # None: forward mode cannot go through
        if shape is _UNKNOWN:  # not static: evaluated once, by the vjp if it can be built
            try:
                pulled = pulled or vjp(fun, *draws.fresh())
                shape = None if type(pulled[0]) in _TREES else np.shape(pulled[0])
            except S2SGradError:  # (grad(f) of a loop: forward over reverse)
                shape = np.shape(fun(*draws.fresh()))
        if shape is not None and _tree_size(values[i]) <= _size(shape):
            results.append(_jac_fwd(fun, draws, i, shape))
        else:
            pulled = pulled or vjp(fun, *draws.fresh())
            results.append(_jac_rev(fun, draws, i, pulled))
    return results


class _Draws:
    """A jacobian's or hessian's arguments, each evaluation of f taking private copies
    (`fresh`) made from the state the call began in, so that every column sees the same
    draws of a generator argument; `finish` leaves the caller's generators where one
    evaluation left its copies (where f leaves them)."""

    def __init__(self, values):
        self.caller, self.entry, self.used = values, _own(values), None

    def fresh(self):
        values = _own(self.entry)
        self.used = self.used or values
        return values

    def finish(self):
        for mine, used in zip(self.caller, self.used or ()):
            if isinstance(mine, np.random.Generator):
                mine.bit_generator.state = used.bit_generator.state


_UNKNOWN = object()
_FWD_REFUSED: set = set()  # (jvp key, signature, generation): forward mode refused, use reverse


def _fwd_out_shape(fun, values, i):
    """The output's shape from fun's forward-mode module for a tangent of argument i
    (built, and cached, for the jvps that may follow); _UNKNOWN when it is not static,
    None when forward mode cannot go through fun (a custom rule, an op with no tangent
    rule: reverse mode is then the one that works)."""
    if not _differentiable(values[i]):
        return _UNKNOWN
    key = (fun, (i,))
    refused = (key, signature_key(values), _custom.GENERATION)
    if refused in _FWD_REFUSED:
        return None
    d = _JVPS.get(key)
    if d is None:
        d = _JVPS[key] = _Derivative(fun, "jvp", (i,))
    try:
        d.entry(values, {})
    except UnsupportedError:
        _FWD_REFUSED.add(refused)
        return None
    out = d.cache[signature_key(values)][3]
    out = out.items[0] if out.kind == "tuple" and out.items else None
    if out is None or out.kind != "array" or out.shape is None:
        return _UNKNOWN
    names = {}  # as specialise() names the sizes: n0, n1, ...
    for v in values:
        if isinstance(v, (np.ndarray, np.generic)):
            for n in np.shape(v):
                if n != 1:
                    names.setdefault(n, f"n{len(names)}")
    sizes = {name: n for n, name in names.items()}
    shape = tuple(d if isinstance(d, int) else sizes.get(d) for d in out.shape)
    return _UNKNOWN if any(d is None for d in shape) else shape


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


@api_boundary
def hessian(fun: Callable[..., Any], wrt: int | str = 0) -> Callable[..., Any]:
    """A function returning the Hessian of scalar-valued `fun`: forward over reverse
    (one jvp of the gradient module per element of x; loops and branches included).

    Parameters
    ----------
    fun : as for `grad`, returning a scalar.
    wrt : one argument, an index or a name (for mixed second derivatives,
        `jacobian(grad(f, wrt=i), wrt=j)`).

    Returns
    -------
    callable
        Takes `fun`'s arguments; returns the Hessian shaped `x.shape + x.shape` (for a
        pytree argument, JAX's nesting: `H[j][k]` shaped `leaf_j.shape + leaf_k.shape`).

    Raises
    ------
    InvalidArgumentError
        A tuple `wrt`, or `wrt` naming no parameter.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def f(x):
    ...     return np.sum(x ** 3)
    >>> s2sgrad.hessian(f)(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    params = list(inspect.signature(fun).parameters)
    positions, is_tuple = _positions(fun, params, wrt)
    if is_tuple:
        raise InvalidArgumentError(
            "hessian takes one argument to differentiate with respect to",
            hint="hessian(f, wrt=0); for mixed second derivatives, jacobian(grad(f, wrt=i), wrt=j)",
        )
    (i,) = positions
    inner = _Derivative(grad(fun, wrt=i), "jvp", (i,))

    @api_boundary
    def hess(*args, **kwargs):
        values = _bound(fun, args, kwargs)
        generated, values = inner.entry(values, {})
        draws = _Draws(values)
        x = values[i]
        if type(x) not in _TREES:
            cols = [np.asarray(generated(*draws.fresh(), e)[1]) for e in _units(x)]
            draws.finish()
            return _by_leaf(x, cols, np.shape(x))
        # a pytree: H[j][k] = d2f / d leaf_j d leaf_k, leaf_j.shape + leaf_k.shape (JAX's)
        treedef, leaves = pytrees.flatten(x)
        cols = [
            pytrees.flatten(generated(*draws.fresh(), _like(e, x))[1])[1] for _, e in _leaf_units(x)
        ]
        draws.finish()
        rows = []
        for j, leaf in enumerate(leaves):
            if not _differentiable(leaf):
                rows.append(None)
                continue
            rows.append(_by_leaf(x, [np.asarray(c[j], dtype=float) for c in cols], np.shape(leaf)))
        return pytrees.unflatten(treedef, rows)

    return hess


def _positions(fun, params, wrt):
    name = getattr(fun, "__name__", "the function")
    is_tuple = isinstance(wrt, (tuple, list))
    out = []
    for w in tuple(wrt) if is_tuple else (wrt,):
        if isinstance(w, str) and w in params:
            out.append(params.index(w))
        elif isinstance(w, int) and not isinstance(w, bool) and -len(params) <= w < len(params):
            out.append(w % len(params))
        else:
            raise InvalidArgumentError(f"wrt={w!r} is not a parameter of {name}")
    return tuple(out), is_tuple


def _bound(fun, args, kwargs):
    sig = inspect.signature(_plain(fun))
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    return tuple(bound.arguments.values())


def _units(x):
    """The unit tangents of x, one per element, in x's type."""
    if isinstance(x, float):
        return [1.0]
    flat = np.zeros(np.size(x), dtype=np.asarray(x).dtype)
    out = []
    for k in range(flat.size):
        e = flat.copy()
        e[k] = 1
        out.append(e.reshape(np.shape(x)) if isinstance(x, np.ndarray) else e[0])
    return out


def _tree_size(x):
    """The number of elements with a derivative in x (a pytree: over its float leaves)."""
    if type(x) in _TREES:
        return sum(int(np.size(v)) for v in pytrees.flatten(x)[1] if _differentiable(v))
    return int(np.size(x))


def _leaf_units(x):
    """(leaf index or None, unit tangent) per element of x: for a pytree, trees with one
    unit at one element of one float leaf (None at the other leaves)."""
    if type(x) not in _TREES:
        return [(None, e) for e in _units(x)]
    treedef, leaves = pytrees.flatten(x)
    return [
        (j, pytrees.unflatten(treedef, [e if k == j else None for k in range(len(leaves))]))
        for j, leaf in enumerate(leaves)
        if _differentiable(leaf)
        for e in _units(leaf)
    ]


def _by_leaf(x, columns, lead):
    """The derivative with respect to x from one column per element of x (in _leaf_units'
    order), each shaped `lead` (the output's shape): lead + x.shape, or for a pytree a
    tree of x's structure with lead + leaf.shape at each float leaf (None elsewhere)."""
    if type(x) not in _TREES:
        if not columns:
            return np.zeros(tuple(lead) + np.shape(x))
        return np.stack(columns, axis=-1).reshape(tuple(lead) + np.shape(x))
    treedef, leaves = pytrees.flatten(x)
    out, k = [], 0
    for leaf in leaves:
        if not _differentiable(leaf):
            out.append(None)
            continue
        n = int(np.size(leaf))
        part = columns[k : k + n]
        k += n
        out.append(
            np.stack(part, axis=-1).reshape(tuple(lead) + np.shape(leaf))
            if part
            else np.zeros(tuple(lead) + np.shape(leaf))
        )
    return pytrees.unflatten(treedef, out)


def _float_array(v):
    """v as a float array of its own dtype (a float32 function's Jacobian is float32; an
    int or a Python number, float64)."""
    return np.asarray(v, dtype=np.result_type(v, 0.0))


def _jac_fwd(fun, draws, i, out_shape=None):
    cols = []
    values = draws.entry
    x = values[i]
    leaves = pytrees.flatten(x)[1] if type(x) in _TREES else None
    for j, e in _leaf_units(x):
        tangents = [None] * len(values)
        tangents[i] = e
        tangent = jvp(fun, draws.fresh(), tangents)[1]
        _one_output(fun, tangent)
        leaf = x if j is None else leaves[j]  # (x's dtype, as reverse mode's rows have)
        cols.append(_float_array(tangent).astype(np.result_type(leaf, 0.0), copy=False))
    if not cols and out_shape is None:
        out_shape = np.shape(fun(*draws.fresh()))
    return _by_leaf(values[i], cols, cols[0].shape if cols else out_shape)


def _one_output(fun, out):
    """Refuse a Jacobian of a function returning several outputs (a tuple, a dict)."""
    if type(out) in _TREES:
        raise InvalidArgumentError(
            f"jacobian needs a function returning one array or scalar; "
            f"{getattr(_plain(fun), '__name__', 'fun')} returns a {type(out).__name__}",
            hint="take the Jacobian of a function returning one of its outputs",
        )


def _jac_rev(fun, draws, i, pulled=None):
    values = draws.entry
    floats = [k for k, p in enumerate(values) if _differentiable(p)]
    out, back = pulled or vjp(fun, *draws.fresh())
    _one_output(fun, out)  # (vjp takes several outputs; a Jacobian is of one)
    rows = [back(e)[floats.index(i)] for e in _units(out)]
    x = values[i]
    if type(x) not in _TREES:
        if not rows:
            return np.zeros(np.shape(out) + np.shape(x))
        return np.stack([_float_array(r) for r in rows]).reshape(np.shape(out) + np.shape(x))
    treedef, leaves = pytrees.flatten(x)
    per_leaf = [pytrees.flatten(r)[1] for r in rows]
    result = []
    for j, leaf in enumerate(leaves):
        if not _differentiable(leaf):
            result.append(None)
            continue
        stacked = [_float_array(r[j]) for r in per_leaf]
        result.append(
            np.stack(stacked).reshape(np.shape(out) + np.shape(leaf))
            if stacked
            else np.zeros(np.shape(out) + np.shape(leaf))
        )
    return pytrees.unflatten(treedef, result)


def _like(t, p):
    """A tangent in its primal's type: a Python float for a float, p's dtype for an array
    (leaf by leaf for a pytree; None for a leaf without a tangent)."""
    if type(p) in _TREES:
        pdef, pleaves = pytrees.flatten(p)
        tleaves = pytrees.flatten(t)[1]
        return pytrees.unflatten(
            pdef,
            [
                None
                if not _differentiable(q)
                # (None: zero)
                else _like(np.zeros(np.shape(q)) if x is None else x, q)
                for x, q in zip(tleaves, pleaves)
            ],
        )
    if isinstance(p, float):
        return float(t)
    if xp_args.is_array(p):
        return xp_args.like(t, p)
    if isinstance(p, np.generic):
        return p.dtype.type(t)
    return np.asarray(t, dtype=np.asarray(p).dtype)


def _cotangents(g, out):
    """The cotangents vjp_fn passes on: `g` for one output; for a tuple (or list) of
    outputs, a tuple of one cotangent an output (as JAX's vjp takes them)."""
    if type(out) in (tuple, list):
        if type(g) not in (tuple, list) or len(g) != len(out):
            raise InvalidArgumentError(
                f"the function returns {len(out)} outputs: vjp_fn takes a tuple of "
                f"{len(out)} cotangents, one shaped like each output",
                hint="vjp_fn((g0, g1, ...))",
            )
        return [_cotangent(gk, ok) for gk, ok in zip(g, out)]
    return [_cotangent(g, out)]


def _cotangent(g, out):
    """`g` as a cotangent of `out`: the same shape (as JAX requires; NumPy would
    broadcast a wrong one into gradients of a wrong shape), in out's type and float
    dtype (so the gradients keep their arguments' dtypes)."""
    if xp_args.is_array(out) or xp_args.is_array(g):  # (xp=True: arrays of a library)
        if tuple(getattr(g, "shape", ())) != tuple(getattr(out, "shape", ())):
            raise InvalidArgumentError(
                f"the cotangent given to vjp_fn has shape {tuple(getattr(g, 'shape', ()))}; "
                f"the output has shape {tuple(getattr(out, 'shape', ()))}",
                hint="pass an array shaped like the function's output",
            )
        return g
    if (
        isinstance(g, (bool, np.bool_))
        or not isinstance(g, (int, float, np.ndarray, np.generic))
        or np.asarray(g).dtype.kind not in "iuf"
    ):
        given = type(g).__name__ + (f" of dtype {g.dtype}" if hasattr(g, "dtype") else "")
        raise InvalidArgumentError(
            f"vjp_fn takes a cotangent of the output, an array of its shape {np.shape(out)}; "
            f"it was given a {given}",
            hint="pass an array (or number) of floats shaped like the output",
        )
    if np.shape(g) != np.shape(out):
        raise InvalidArgumentError(
            f"the cotangent given to vjp_fn has shape {np.shape(g)}; the output has shape "
            f"{np.shape(out)}, and vjp_fn needs a cotangent of the output's shape",
            hint="pass an array shaped like the function's output",
        )
    if isinstance(out, np.ndarray):
        return np.asarray(g, dtype=out.dtype)
    if isinstance(out, np.generic):
        return out.dtype.type(g)
    return float(g)


def _own(values):
    """Private copies of the arrays (each of its layout) and generators among `values`.
    `vjp` runs the user's `fun` in plain Python, which may write into its arguments
    (`x[0] = 0.0`); on copies, the caller's arrays never change (SPEC.md), and neither
    does the point `vjp_fn` differentiates at (a generator's copy draws what the
    original would)."""
    return tuple(
        pytrees.map_leaves(_own_one, v) if type(v) in _TREES else _own_one(v) for v in values
    )


def _own_one(v):
    return (
        v.copy(order="K")  # (its layout: a matrix product of a transposed array rounds as
        if isinstance(v, np.ndarray)  # the caller's does)
        else copy.deepcopy(v)
        if isinstance(v, np.random.Generator)
        else v
    )


@api_boundary
def source(obj: Any, *args: Any, mode: str = "rev", **kwargs: Any) -> str:
    """The generated module text of a transformed function: what runs, to read, ship
    (it imports only numpy and math) or step through in pdb.

    Parameters
    ----------
    obj : a function made by `s2sgrad.function`, `grad`, `value_and_grad`; with
        `mode="fwd"`, a plain function passed to `jvp`.
    *args, **kwargs : example arguments: the module for their signature (built if
        needed). Without them, the module the most recent call used.
    mode : "fwd": the forward-mode module of `obj`'s most recent `jvp` call.

    Returns
    -------
    str
        The module's text.

    Raises
    ------
    InvalidArgumentError
        `obj` is not made by s2sgrad, or has not been called and no arguments are given.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def f(x):
    ...     return np.sum(np.exp(x))
    >>> text = s2sgrad.source(s2sgrad.grad(f), np.ones(3))
    >>> "def grad_f(x):" in text
    True
    """
    if mode == "fwd":
        obj = _JVPS.get(obj)
        if obj is None:
            raise InvalidArgumentError(
                "this function has had no jvp call yet",
                hint="call s2sgrad.jvp(f, primals, tangents) first",
            )
    obj = transformed(obj)
    if obj is None:
        raise InvalidArgumentError(
            "source() takes a function made by s2sgrad.function, "
            "s2sgrad.grad or s2sgrad.value_and_grad"
        )
    if args or kwargs:
        obj.entry(args, kwargs)
    if obj.last_source is None:
        raise InvalidArgumentError(
            "this function has not been called yet",
            hint="call it once, or pass example arguments: s2sgrad.source(f, x, W)",
        )
    return obj.last_source


register_gradient = _custom.register_gradient
custom_vjp = _custom.custom_vjp
