"""Static types of IR values: what is known at transform time.

A `Type` says what kind of Python object a value is (an array or scalar, a
tuple, a list, None, a string), its NumPy dtype name when known, and its
shape when the rank is known. A dimension is an `int`, a symbol (`str`: a
size fixed for this specialisation but not written into the code), or `None`
(unknown). Python scalars are *weak* (NEP 50): they take the dtype of the
array they meet.
"""

import functools
from dataclasses import FrozenInstanceError

import numpy as np

_set = object.__setattr__


class Type:
    """kind: 'array' | 'tuple' | 'list' | 'dynlist' (a list built with append: items is
    (its items' type,), or () before the first) | 'none' | 'str' | 'rng' (a np.random.Generator); dtype: the NumPy dtype
    name, None when unknown; shape: a tuple of dims, None when the rank is
    unknown; weak: a Python scalar; items: the element types of a tuple or list
    when known. Immutable, equal when the fields are (a slotted class: the IR
    makes one per value)."""

    __slots__ = ("kind", "dtype", "shape", "weak", "items", "_key", "_hash")

    def __init__(self, kind="array", dtype=None, shape=None, weak=False, items=None):
        _set(self, "kind", kind)
        _set(self, "dtype", dtype)
        _set(self, "shape", shape)
        _set(self, "weak", weak)
        _set(self, "items", items)
        _set(self, "_key", (kind, dtype, shape, weak, items))
        _set(self, "_hash", None)

    def __setattr__(self, name, value):
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other):
        return type(other) is Type and self._key == other._key

    def __hash__(self):
        h = self._hash
        if h is None:
            h = hash(self._key)
            _set(self, "_hash", h)
        return h

    def __repr__(self):
        return (
            f"Type(kind={self.kind!r}, dtype={self.dtype!r}, shape={self.shape!r}, "
            f"weak={self.weak!r}, items={self.items!r})"
        )

    @property
    def rank(self):
        return None if self.shape is None else len(self.shape)

    @property
    def is_integer(self):
        """int and bool values are constant for differentiation (as in tf.gradients)."""
        if self.kind == "dynlist":  # (a list of float items carries their gradients)
            return not self.items or self.items[0].is_integer
        if self.kind != "array":
            return True
        return self.dtype is not None and _integer_dtype(self.dtype)

    @property
    def is_float(self):
        return self.kind == "array" and not self.is_integer

    def __str__(self):
        if self.kind != "array":
            if self.items is not None:
                return f"{self.kind}({', '.join(map(str, self.items))})"
            return self.kind
        dt = self.dtype or "?"
        if self.weak:
            return f"py_{dt}"
        if self.weak is None:  # (a Python number on some paths)
            dt = f"py|{dt}"
        if self.shape is None:
            return f"{dt}[...]"
        return f"{dt}[{', '.join('?' if d is None else str(d) for d in self.shape)}]"


@functools.cache
def _integer_dtype(name):
    return np.dtype(name).kind in "iub"


UNKNOWN = Type()
NONE = Type(kind="none")
FLOAT64 = Type(dtype="float64", shape=())
PY_FLOAT = Type(dtype="float64", shape=(), weak=True)
PY_INT = Type(dtype="int64", shape=(), weak=True)
PY_BOOL = Type(dtype="bool", shape=(), weak=True)
RNG = Type(kind="rng")  # a np.random.Generator argument (drawn from, never differentiated)
BOTTOM = Type(kind="bottom")  # no value yet: a loop variable whose first value the loop
# gives (a `return` inside a loop); join(BOTTOM, t) is t


def of_python(value):
    """The type of a constant Python/NumPy value."""
    if value is None:
        return NONE
    if isinstance(value, str):
        return Type(kind="str")
    if isinstance(value, bool):
        return PY_BOOL
    if isinstance(value, int):
        return PY_INT
    if isinstance(value, float):
        return PY_FLOAT
    if isinstance(value, (tuple, list)):
        return Type(
            kind="tuple" if isinstance(value, tuple) else "list",
            items=tuple(of_python(v) for v in value),
        )
    arr = np.asarray(value)
    return Type(dtype=arr.dtype.name, shape=tuple(arr.shape))


def result_dtype(*types):
    """NumPy's promotion of operand dtypes, weak Python scalars included."""
    return _promote(tuple((t.dtype, t.weak) for t in types))


@functools.lru_cache(maxsize=4096)
def _promote(key):
    """result_dtype of ((dtype, weak), ...): NumPy's answer, asked once per pair. An
    operand that may be either (weak None) is read both ways: None when they differ."""
    for k, (d, w) in enumerate(key):
        if w is None:
            strong = _promote(key[:k] + ((d, False),) + key[k + 1 :])
            weak = _promote(key[:k] + ((python_dtype(d), True),) + key[k + 1 :])
            return strong if strong == weak else None
    strong = [d for d, w in key if not w]
    weak = [d for d, w in key if w]
    if any(d is None for d in strong + weak):
        return None
    if strong:
        res = np.result_type(*strong)
        order = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
        for w in weak:  # a weak scalar raises the kind only, never the precision
            wk = np.dtype(w).kind
            if order[wk] > order.get(res.kind, 3):
                res = {
                    1: np.dtype("int64"),
                    2: np.dtype("float64"),
                    3: np.result_type(res, np.complex64)
                    if res.kind == "f"
                    else np.dtype("complex128"),
                }[order[wk]]
        return res.name
    return np.result_type(*weak).name


def stacked(t):
    """The type of `np.array(s)` for a tuple or list `s` of type t: its items
    stacked along a new first axis (nested lists too), with the dtype NumPy gives
    them. In a list a Python number is not weak: np.array([np.float32(1), 2.0])
    is float64. None when t's items are not known."""
    if t.kind not in ("tuple", "list"):
        return t
    if t.items is None:
        return None
    if not t.items:
        return Type(dtype="float64", shape=(0,))
    items = [stacked(i) for i in t.items]
    if any(i is None or i.kind != "array" for i in items):
        return None
    dtypes = [i.dtype for i in items]
    dtype = None if None in dtypes else np.result_type(*dtypes).name
    shapes = [i.shape for i in items]
    if any(s is None for s in shapes) or len({len(s) for s in shapes}) != 1:
        return Type(dtype=dtype, shape=None)
    inner = tuple(d if all(s[k] == d for s in shapes) else None for k, d in enumerate(shapes[0]))
    return Type(dtype=dtype, shape=(len(items),) + inner)


def float_dtype(dtype):
    """The dtype of a floating ufunc (exp, sqrt, true division) of `dtype`."""
    if dtype is None:
        return None
    if np.dtype(dtype).kind in "biu":
        return "float64"
    return dtype


def broadcast_dim(a, b):
    if a == b:
        return a
    if a == 1:
        return b
    if b == 1:
        return a
    return None


def broadcast_shapes(*shapes):
    """Broadcast result of shapes with symbolic dims; None when a rank is unknown."""
    first = shapes[0] if shapes else ()
    if all(s == first for s in shapes):
        return first if first is None or type(first) is tuple else tuple(first)
    if any(s is None for s in shapes):
        return None
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(rank):
        dims = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        d = dims[0]
        for e in dims[1:]:
            d = None if d is None or e is None else broadcast_dim(d, e)
        out.append(d)
    return tuple(out)


def same_shape(a, b):
    """True when two shapes are provably equal."""
    return (
        a is not None
        and b is not None
        and len(a) == len(b)
        and all(x is not None and x == y for x, y in zip(a, b))
    )


def shapes_differ(a, b):
    """True when two shapes are provably different: known ranks that differ, or
    two ints, or two size names, that differ at one axis (in a specialisation,
    different size names are different sizes)."""
    if a is None or b is None:
        return False
    return len(a) != len(b) or any(
        type(x) is type(y) and isinstance(x, (int, str)) and x != y for x, y in zip(a, b)
    )


def list_item(t):
    """The type of an item of a list built with append (UNKNOWN before any)."""
    return t.items[0] if t.kind == "dynlist" and t.items else UNKNOWN


def list_stacked(t, axis=0):
    """np.array / np.stack of a list built with append: its items stacked (at `axis`). In
    a list a Python float is a float64 (np.array([0.5, np.float32(1)]) is float64), and
    np.array of an empty list is float64[0]: a list of items that may be Python floats
    beside float32s, or of float32s that may be none, has a dtype that depends on the
    path taken (None)."""
    item = list_item(t)
    dtype = item.dtype
    if dtype is not None and item.weak is True:
        dtype = python_dtype(dtype)
    elif dtype is not None and np.dtype(dtype).kind in "fc" and dtype != "float64":
        dtype = None
    if item.shape is None:
        return Type(dtype=dtype)
    shape = list(item.shape)
    shape.insert(axis if axis >= 0 else len(shape) + 1 + axis, None)
    return Type(dtype=dtype, shape=tuple(shape))


def adjoint_type(t):
    """The type of t's adjoint: t's, but for a list built with append, whose adjoint is
    the array adjoint of np.array of it (rules/lists.py), and for a Python float, a
    Python float or an np.float64 (weak None: rules compute with NumPy, np.cos(x) of a
    Python float is an np.float64)."""
    if t.kind == "dynlist":
        return list_stacked(t)
    if t.kind == "array" and t.weak is True and t.dtype == "float64":
        return Type(dtype=t.dtype, shape=t.shape, weak=None)
    return t


def array(dtype, shape, weak=False):
    return Type(dtype=dtype, shape=None if shape is None else tuple(shape), weak=weak)


def _numeric_dtype(name):
    """The name of a bool, integer, float or complex NumPy dtype; TypeError otherwise
    (strings, bytes, datetimes, objects are not values s2sgrad computes with)."""
    dtype = np.dtype(name)
    if dtype.kind not in "biufc":
        raise TypeError(f"{name!r} is not a numeric dtype")
    return dtype.name


def parse_signature_type(text):
    """Parse 'float64[n, 3]', 'f64[]', 'float', 'int', 'float32[...]' into a Type.
    The printed forms of Python scalars ('py_float64', 'py_int64', 'py_bool') are
    read too, so a generated docstring's signature reads back."""
    text = text.strip()
    aliases = {
        "f64": "float64",
        "f32": "float32",
        "i64": "int64",
        "i32": "int32",
        "float": "float",
        "int": "int",
        "bool": "bool",
    }
    python = {
        "float": PY_FLOAT,
        "int": PY_INT,
        "bool": PY_BOOL,
        "py_float64": PY_FLOAT,
        "py_int64": PY_INT,
        "py_bool": PY_BOOL,
    }
    if text in python:
        return python[text]
    if "[" not in text:  # a NumPy scalar of that dtype
        return Type(dtype=_numeric_dtype(aliases.get(text, text)), shape=())
    name, _, rest = text.partition("[")
    dtype = _numeric_dtype(aliases.get(name.strip(), name.strip()))
    if not rest.endswith("]") or "[" in rest or "]" in rest[:-1]:
        raise TypeError(
            f"{text!r} is not a type: write a dtype and its shape in one pair of brackets, "
            "as float64[n, 3]"
        )
    body = rest[:-1].strip()
    if body == "...":
        return Type(dtype=dtype, shape=None)
    dims = []
    parts = [p.strip() for p in body.split(",")] if body else []
    if parts and parts[-1] == "":  # (a trailing comma, as in a tuple: float64[n,])
        parts.pop()
    for d in parts:
        if d.isdigit():
            dims.append(int(d))
        elif d == "?" or d.isidentifier():
            dims.append(None if d == "?" else d)
        else:
            raise TypeError(
                f"{text!r}: {d!r} is not a size: write a non-negative int, a name (n), or ? "
                "for a size not known, separated by commas"
            )
    return Type(dtype=dtype, shape=tuple(dims))


def python_dtype(dtype):
    """The dtype of the Python number a value of `dtype` is when it is one (weak)."""
    if dtype is None:
        return None
    return {"b": "bool", "i": "int64", "u": "int64", "f": "float64", "c": "complex128"}[
        np.dtype(dtype).kind
    ]


def readings(t):
    """The types a value of type t may have at run time: t itself, or for a value that is a
    Python number on some paths and a NumPy value on others (weak None), each of the two."""
    if t.kind != "array" or t.weak is not None:
        return (t,)
    return (
        Type(dtype=t.dtype, shape=t.shape),
        Type(dtype=python_dtype(t.dtype), shape=(), weak=True),
    )


_KIND_ORDER = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _union_dtype(a, b):
    """The dtype of a value that is either a or b (arrays): the one dtype they have, or a
    Python number's (weak) that the other's dtype covers (`s = 0.0`, then `s = np.sum(x32)`:
    a Python float or a float32, each read as float32 beside arrays). None when they differ
    otherwise: a float32 on one path and a float64 on the other computes differently
    after, and no one dtype says so."""
    if a.dtype == b.dtype or a.dtype is None or b.dtype is None:
        return a.dtype if a.dtype == b.dtype else None
    if a.weak and b.weak:  # two Python numbers: NumPy promotes 0 and 0.5 alike
        return result_dtype(a, b)
    if a.weak or b.weak:
        w, s = (a, b) if a.weak else (b, a)
        if _KIND_ORDER[np.dtype(w.dtype).kind] <= _KIND_ORDER[np.dtype(s.dtype).kind]:
            return s.dtype
    return None


def join(a, b):
    """The type of a value that is a on some paths and b on others (a loop-carried value's
    type over all iterations, an `if` result's type over both branches): their union, not
    their promotion. A value that is a Python number on some paths and a NumPy value on
    others has weak None (`readings`), and operations on it are typed by each reading
    (infer.exactly)."""
    if a == b:
        return a
    if a.kind == "bottom" or b.kind == "bottom":
        return b if a.kind == "bottom" else a
    if a.kind != b.kind:
        return UNKNOWN
    if a.kind == "dynlist":
        if not a.items or not b.items:
            return a if not b.items else b
        return Type(kind="dynlist", items=(join(a.items[0], b.items[0]),))
    if a.kind != "array":
        if a.items is not None and b.items is not None and len(a.items) == len(b.items):
            return Type(kind=a.kind, items=tuple(join(x, y) for x, y in zip(a.items, b.items)))
        return Type(kind=a.kind)
    dtype = _union_dtype(a, b)
    if a.shape is None or b.shape is None or len(a.shape) != len(b.shape):
        shape = None
    else:
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
    return Type(dtype=dtype, shape=shape, weak=a.weak if a.weak == b.weak else None)
