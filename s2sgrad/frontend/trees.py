"""Pytrees in the lowerer (_Lowerer in lower.py): dict, list and tuple arguments bound
to the Python structures of their leaf parameters, dict displays, `d[key]`,
`d.items()`/`.keys()`/`.values()`/`.get`, loops over containers unrolled (`for W, b in
layers`, `zip`/`enumerate` of lists, `range(len(layers))` indexing them), a pytree
passed to a helper leaf by leaf, and a result with a dict in it (returned as tuples,
written back as a dict by codegen). The structures themselves: pytrees.py.
"""

import gast

from ..ir.core import free_name
from . import pytrees, subscript
from .shared import _MISSING, Static


class _Trees:
    """The pytree parts of _Lowerer (lower.py)."""

    def tree_parameter(self, arg, name, t, taken, params, names):
        """Bind the pytree parameter `name` of type t (a pytrees.Tree): each leaf an IR
        parameter named by its path (appended to params and names), the name bound to
        the Python structure of their values. Returns its entry (Function.entry)."""
        leaves = []
        for k, (path, lt) in enumerate(zip(pytrees.paths(t.treedef), t.leaves)):
            v = self.parameter(
                arg,
                free_name(pytrees.leaf_name(name, path), taken),
                lt,
                k in t.numbers,
                pytrees.path_text(name, path),
            )
            leaves.append(self.env.pop(v.hint))
            params.append(v)
            names.append(v.hint)
        self.env[name] = pytrees.unflatten(t.treedef, leaves)
        return (name, t.treedef, len(leaves))

    def tree_argument(self, v, node, operands):
        """A pytree passed to a helper: its leaves appended to the call's operands; its
        type (a pytrees.Tree, static leaves as Statics)."""
        treedef, leaves = pytrees.flatten(v)
        kinds, numbers = [], []
        for k, leaf in enumerate(leaves):
            s_ = self.static_of(leaf)
            if s_ is not _MISSING and (s_ is None or isinstance(s_, (bool, int, str))):
                kinds.append(Static(s_))
                operands.append(self.b.const(s_))
                continue
            leaf = self.to_value(leaf, node)
            kinds.append(leaf.type)
            if leaf.type.shape == () and not subscript.may_be_ndarray(self.b, leaf):
                numbers.append(k)
            operands.append(leaf)
        return pytrees.Tree(treedef, kinds, numbers)

    def expr_Dict(self, node):
        """A dict display with constant keys: a Python dict of values (a pytree),
        resolved at transform time as a tuple is."""
        out = {}
        for k, v in zip(node.keys, node.values):
            if k is None:  # {**params, "W": W}
                base = self.expr(v)
                if type(base) is not dict:
                    self.unsupported(v, "`**` in a dict display needs a dict", "write the keys out")
                out.update(base)
                continue
            key = self.static_of(self.expr(k))
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                self.unsupported(
                    k,
                    "a dict's keys must be constant strings or ints here "
                    "(s2sgrad resolves dicts at transform time, as pytrees)",
                    "write the key as a literal: {'W1': W1}",
                )
            out[key] = self.expr(v)
        return out

    def dict_item(self, base, node):
        key = self.static_of(self.expr(node.slice))
        if key is _MISSING or not isinstance(key, (str, int)) or isinstance(key, bool):
            self.unsupported(
                node,
                "indexing a dict needs a constant key (s2sgrad resolves "
                "dicts at transform time, as pytrees)",
                "write the key as a literal (params['W1']), or loop over params.items()",
            )
        if key not in base:
            self.unsupported(
                node,
                f"the dict has no key {key!r} (Python raises KeyError if "
                f"this line runs); its keys: {', '.join(map(repr, base)) or 'none'}",
                "use one of its keys",
            )
        return base[key]

    def returned(self, result, node):
        """(the IR value of what the function returns, its treedef when a dict is in
        it): a dict becomes a tuple of its values, which codegen writes back as a dict."""
        if result is None:
            return self.b.const(None), None
        if pytrees.is_tree(result):
            treedef, _ = pytrees.flatten(result)
            if pytrees.has_dict(treedef):
                return self.to_value(_dicts_as_tuples(result), node), treedef
        return self.to_value(result, node), None

    def dict_method(self, base, node):
        """`params.items()`, `.keys()`, `.values()`, `.get(key[, default])` of a dict
        (a pytree, resolved at transform time): a list of its pairs, keys or values."""
        name, args = node.func.attr, [self.expr(a) for a in node.args]
        if name in ("items", "keys", "values") and not args and not node.keywords:
            if name == "items":
                return [(Static(k), v) for k, v in base.items()]
            return [Static(k) for k in base] if name == "keys" else list(base.values())
        if name == "get" and 1 <= len(args) <= 2 and not node.keywords:
            key = self.static_of(args[0])
            if key is _MISSING:
                self.unsupported(
                    node, "dict.get needs a constant key here", "write the key as a literal"
                )
            return base[key] if key in base else (args[1] if len(args) == 2 else Static(None))
        self.unsupported(
            node,
            f"the dict method .{name}() is not supported (dicts are "
            "pytrees here: read, never changed)",
            "read with params['W1'], loop "
            "over params.items(), or build a new dict with a display {...}",
        )

    def static_zip(self, it):
        """The items of `zip(...)`/`enumerate(...)` when every sequence is a list, tuple
        or dict of values (a pytree, so of a length known now); None otherwise."""
        if it.keywords or not it.args or it.func.id == "enumerate" and len(it.args) != 1:
            return None
        seqs = []
        for a in it.args:
            if (
                isinstance(a, gast.Call)
                and isinstance(a.func, gast.Name)
                and a.func.id in ("zip", "enumerate")
                and self.p.resolver.lookup(a.func.id) is None
            ):
                inner = self.static_zip(a)  # enumerate(zip(ws, xs))
                if inner is None:
                    return None
                seqs.append(inner)
                continue
            backwards = (
                isinstance(a, gast.Call)
                and isinstance(a.func, gast.Name)
                and a.func.id == "reversed"
                and self.p.resolver.lookup("reversed") is None
                and len(a.args) == 1
                and not a.keywords
            )
            if backwards:  # reversed(ws): its items last first
                a = a.args[0]
            if not (
                isinstance(a, (gast.Name, gast.Subscript))
                or isinstance(a, gast.Call)
                and isinstance(a.func, gast.Attribute)
                and a.func.attr in ("items", "keys", "values")
            ):
                return None
            v = self.expr(a)
            if type(v) is dict:
                v = [Static(k) for k in v]
            if type(v) not in (list, tuple):
                return None
            seqs.append(v[::-1] if backwards else v)
        if it.func.id == "enumerate":
            return [(self.b.const(i), v) for i, v in enumerate(seqs[0])]
        return list(zip(*seqs))

    def indexes_pytree(self, node):
        """Whether the body of `for i in range(...)` indexes a list, tuple or dict of
        values (a pytree, resolved at transform time) with i."""
        i = node.target.id
        for st in node.body:
            for n in gast.walk(st):
                if (
                    isinstance(n, gast.Subscript)
                    and type(self._held(n.value)) in (list, tuple, dict)
                    and any(isinstance(m, gast.Name) and m.id == i for m in gast.walk(n.slice))
                ):
                    return True
        return False

    def _held(self, node):
        """What `name` or `name[k1][k2]` (constant keys) holds now, when it is a pytree's
        container (a Python dict, list or tuple); None otherwise. Lowers nothing."""
        if isinstance(node, gast.Name):
            return self.env.get(node.id)
        if isinstance(node, gast.Subscript) and isinstance(node.slice, gast.Constant):
            base = self._held(node.value)
            if type(base) in (list, tuple, dict):
                try:
                    return base[node.slice.value]
                except (KeyError, IndexError, TypeError):
                    return None
        return None


def _dicts_as_tuples(v):
    if type(v) is dict:
        return tuple(_dicts_as_tuples(x) for x in v.values())
    if type(v) in (list, tuple):
        return type(v)(_dicts_as_tuples(x) for x in v)
    return v
