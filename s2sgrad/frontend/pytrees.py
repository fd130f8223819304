"""Pytrees: arguments that are nested dicts, lists and tuples of arrays and scalars.

`params = {"W1": W1, "b1": b1}` is one argument of the user's function, and its
gradient has the same structure (the same keys in the same order, as JAX's).
A tree's *structure* (its treedef: the containers, a dict's keys, the lengths)
is part of a specialisation, as an array's rank is; its *leaves* are typed one
by one, as arguments are.

In the IR a tree is flat: each leaf is a parameter of its own, named after its
path (`params["W1"]` is `params_W1`), and the lowerer's environment binds the
argument's name to the same Python structure holding those leaf values, so
`params["W1"]`, `W, b = layer`, `len(layers)` and loops over a list of layers are
resolved at transform time. The generated function still takes the tree: its
first lines unpack the leaves (codegen, `Function.entry`), and a result with a
dict in it is rebuilt from the IR's tuples as it returns (`Function.out_tree`).

A treedef is a hashable nested tuple: `None` for a leaf, `("dict", keys,
children)`, `("list", children)` or `("tuple", children)`.
"""

import ast
import re

CONTAINERS = (dict, list, tuple)


class Tree:
    """An argument's structure in a specialisation: its treedef, and for each
    leaf (in flatten order) its Type, or a Static for a bool/int/str/None leaf
    (a constant of the specialisation, whose gradient is None). `numbers`: the
    indexes of leaves given NumPy scalars (never 0-d arrays)."""

    __slots__ = ("treedef", "leaves", "numbers")

    def __init__(self, treedef, leaves, numbers=()):
        self.treedef = treedef
        self.leaves = tuple(leaves)
        self.numbers = frozenset(numbers)

    def __repr__(self):
        return f"Tree({describe(self.treedef, [_leaf_text(t) for t in self.leaves])})"


def is_tree(obj):
    """A container a pytree is made of (exactly dict, list or tuple: a namedtuple or
    another subclass is not one)."""
    return type(obj) in CONTAINERS


def flatten(obj):
    """(treedef, leaves) of a Python object; a non-container is a single leaf."""
    leaves = []

    def go(o):
        t = type(o)
        if t is dict:
            for k in o:
                if not isinstance(k, (str, int)) or isinstance(k, bool):
                    raise TypeError(f"a dict key of a pytree must be a str or an int, not {k!r}")
            return ("dict", tuple(o), tuple(go(o[k]) for k in o))
        if t is list or t is tuple:
            return (t.__name__, tuple(go(x) for x in o))
        leaves.append(o)
        return None

    return go(obj), leaves


def unflatten(treedef, leaves):
    """The Python structure of treedef with `leaves` (an iterable) at its leaves."""
    it = iter(leaves)

    def go(d):
        if d is None:
            return next(it)
        if d[0] == "dict":
            return {k: go(c) for k, c in zip(d[1], d[2])}
        items = [go(c) for c in d[1]]
        return items if d[0] == "list" else tuple(items)

    return go(treedef)


def map_leaves(fn, obj):
    """obj with fn applied to each leaf (the structure copied, never shared)."""
    treedef, leaves = flatten(obj)
    return unflatten(treedef, [fn(x) for x in leaves])


def paths(treedef):
    """The path (a tuple of keys and indexes) of each leaf, in flatten order."""
    out = []

    def go(d, path):
        if d is None:
            out.append(path)
        elif d[0] == "dict":
            for k, c in zip(d[1], d[2]):
                go(c, path + (k,))
        else:
            for i, c in enumerate(d[1]):
                go(c, path + (i,))

    go(treedef, ())
    return out


def count(treedef):
    return len(paths(treedef))


def path_text(name, path):
    """`params['W1'][0]`: how Python reads the leaf at `path` of the argument `name`."""
    return name + "".join(f"[{k!r}]" for k in path)


def leaf_name(name, path):
    """The IR parameter name of a leaf: `params_W1` for params['W1'] (made unique by
    the caller)."""
    parts = [name] + [re.sub(r"\W", "_", str(k)) or "_" for k in path]
    return "_".join(parts)


def static_leaf(t):
    """Whether a leaf parameter of IR type t is a constant of the specialisation (a
    Python bool/int/str or None: bound to its literal, never read from the tree)."""
    return t.kind in ("none", "str") or t.weak and t.kind == "array" and t.is_integer


def has_dict(treedef):
    if treedef is None:
        return False
    if treedef[0] == "dict":
        return True
    return any(has_dict(c) for c in treedef[-1])


def describe(treedef, leaf_texts):
    """The signature text of a tree: `{'W1': float64[n0, n1], 'b': float64[n1]}`;
    `parse` reads it back."""
    it = iter(leaf_texts)

    def go(d):
        if d is None:
            return next(it)
        if d[0] == "dict":
            return "{" + ", ".join(f"{k!r}: {go(c)}" for k, c in zip(d[1], d[2])) + "}"
        items = [go(c) for c in d[1]]
        if d[0] == "list":
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"

    return go(treedef)


def _leaf_text(t):
    from .shared import Static

    return repr(t.value) if isinstance(t, Static) else str(t)


def signature_text(tree):
    return describe(tree.treedef, [_leaf_text(t) for t in tree.leaves])


# ---- reading a tree's type back: --signature text and annotations --------------


def parse(text, parse_leaf):
    """A Tree from signature text (`{'W1': float64[n, h], 'n': 3}`, `[f64[3], f64[3]]`,
    `(float, float64[n])`); `parse_leaf` reads a leaf's type text. A literal leaf
    (`3`, `True`, `'relu'`, `None`) is static. TypeError on text it cannot read."""
    try:
        node = ast.parse(_quote_types(text.strip()), mode="eval").body
    except SyntaxError:
        raise TypeError(f"cannot read {text!r} as a tree of types") from None
    return from_node(node, parse_leaf, quoted=True)


def from_node(node, parse_leaf, quoted=False):
    """A Tree from an annotation's syntax (a dict, list or tuple display whose
    leaves are type strings, `"float64[n]"`, or literal constants)."""
    from .shared import Static

    leaves = []

    def go(n):
        if isinstance(n, ast.Dict) or type(n).__name__ == "Dict":
            keys = []
            for k in n.keys:
                if not (type(k).__name__ == "Constant" and isinstance(k.value, (str, int))):
                    raise TypeError("a tree's dict keys must be str or int literals")
                keys.append(k.value)
            return ("dict", tuple(keys), tuple(go(v) for v in n.values))
        if type(n).__name__ in ("List", "Tuple"):
            return (type(n).__name__.lower(), tuple(go(e) for e in n.elts))
        if type(n).__name__ == "Constant":
            v = n.value
            if quoted and isinstance(v, str) and v.startswith(_TYPE_MARK):
                leaves.append(parse_leaf(v[len(_TYPE_MARK) :]))
            elif isinstance(v, str) and not quoted:
                leaves.append(parse_leaf(v))  # an annotation's "float64[n]"
            elif v is None or isinstance(v, (bool, int, str)):
                leaves.append(Static(v))
            else:
                raise TypeError(f"{v!r} is not a type")
            return None
        if type(n).__name__ == "Name" and n.id in ("float", "int", "bool") and not quoted:
            leaves.append(parse_leaf(n.id))
            return None
        raise TypeError('a tree\'s leaves are types ("float64[n]") or literal constants')

    treedef = go(node)
    return Tree(treedef, leaves)


_TYPE_MARK = "\x00type:"


def _quote_types(text):
    """Signature text with each type (`float64[n, 3]`, `float`) made a marked string
    literal, so Python's parser reads the containers around them."""
    out, i = [], 0
    word = re.compile(r"[A-Za-z_][A-Za-z_0-9]*(\[[^\]]*\])?")
    while i < len(text):
        ch = text[i]
        if ch in "'\"":  # a quoted key or string constant
            j = i + 1
            while j < len(text) and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
            continue
        m = word.match(text, i)
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            w = m.group(0)
            if w in ("True", "False", "None"):
                out.append(w)
            else:
                out.append(repr(_TYPE_MARK + w))
            i = m.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)
