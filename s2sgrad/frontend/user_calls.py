"""Calls of the user's own functions, for the lowerer (_Lowerer in lower.py): each is
lowered on its own for the call's argument types (once per signature, into the
module's functions) and called by name; its adjoint is a function too. A pytree
argument is passed leaf by leaf (trees.py); a tuple it returns is read item by item,
a dict rebuilt. The other calls (NumPy, math, builtins, methods): calls.py.
"""

from dataclasses import replace

from ..ir import opcodes
from ..ir.core import TEMP, Value, def_map
from . import pytrees, subscript
from . import source as S
from .shared import _MISSING, Static, _flatten


class _UserCalls:
    """The calls of _Lowerer (lower.py) to the user's functions."""

    def call_user(self, m, node):
        """A call to a plain function of the user's: lowered on its own, for this
        call's argument types, and called by name (its adjoint is a function too)."""
        if m.value is not None:
            parsed = S.from_function(m.value)
        elif m.module is not None:
            parsed = S.from_file(m.module, m.name)
        else:
            self.unsupported(node, f"the source of {m.name!r} is not available", "inline it")
        fdef = parsed.node
        params = [a.id for a in fdef.args.args][1 if parsed.bound_self is not None else 0 :]
        if fdef.args.vararg or fdef.args.kwarg or fdef.args.kwonlyargs:
            self.unsupported(
                node,
                f"{fdef.name} takes *args/**kwargs, which calls do not support",
                "list its parameters by name",
            )
        bound = {}
        for p, a in zip(params, node.args):
            bound[p] = self.expr(a)
        if len(node.args) > len(params):
            self.unsupported(node, f"too many arguments to {fdef.name}", "check the call")
        for kw in node.keywords:
            if kw.arg not in params or kw.arg in bound:
                self.unsupported(
                    node,
                    f"{fdef.name}() got an unexpected or repeated keyword {kw.arg!r}",
                    f"its parameters: {', '.join(params)}",
                )
            bound[kw.arg] = self.expr(kw.value)
        defaults = dict(zip(params[len(params) - len(fdef.args.defaults) :], fdef.args.defaults))
        for p in params:
            if p not in bound:
                if p not in defaults:
                    self.unsupported(
                        node, f"{fdef.name}() is missing the argument {p!r}", "pass it"
                    )
                d = defaults[p]
                literal = S.literal_value(d)  # 2.0, -1, 'relu'
                if literal is None:
                    self.unsupported(
                        d,
                        "a default value must be a literal constant here",
                        "pass the argument explicitly",
                    )
                bound[p] = self.b.const(literal[0])
        types_, operands, sig, numbers = {}, [], [], set()
        for p in params:
            v = bound[p]
            if any(isinstance(x, Value) and x.type.kind == "dynlist" for x in _flatten(v)[1]):
                self.unsupported(
                    node,
                    f"passing a list built with append to {fdef.name} is not supported",
                    "pass np.stack(out) (an array), or the items",
                )
            s_ = self.static_of(v)
            if s_ is not _MISSING and (s_ is None or isinstance(s_, (bool, int, str))):
                types_[p] = Static(s_)
                sig.append((p, "static", repr(s_)))
            elif pytrees.is_tree(v):  # a pytree: passed leaf by leaf
                types_[p] = self.tree_argument(v, node, operands)
                sig.append(
                    (p, "tree", pytrees.signature_text(types_[p]), tuple(sorted(types_[p].numbers)))
                )
                continue
            else:
                v = self.to_value(v, node)
                types_[p] = v.type
                if v.type.shape == () and not subscript.may_be_ndarray(self.b, v):
                    numbers.add(p)  # (a NumPy scalar: `p += 1` in h rebinds it)
                sig.append((p, str(v.type)) + (("number",) if p in numbers else ()))
            operands.append(
                self.to_value(v, node) if not isinstance(v, Static) else self.b.const(v.value)
            )
        key = (parsed.file, parsed.qualname, tuple(sig)) + (
            (id(parsed.bound_self),) if parsed.bound_self is not None else ()
        )  # (its object's)
        if any(k[:2] == key[:2] for k in self.module.active):
            self.unsupported(
                node,
                f"{fdef.name} calls itself (recursion), which is not supported",
                "write the recursion as a loop",
            )
        name = self.module.name_for(key, fdef.name)
        if key not in self.module.functions:
            self.module.active.append(key)
            try:
                fn = type(self)(
                    parsed, types_, False, self.module, callee=True, numbers=numbers
                ).run()
            finally:
                self.module.active.pop()
            # called with its pytrees' leaves, returning tuples for its dicts (the caller
            # rebuilds them): a helper's parameters and result are flat in the module
            self.module.out_trees[key] = fn.out_tree
            self.module.functions[key] = replace(fn, name=name, entry=(), out_tree=None)
        fn = self.module.functions[key]
        out = fn.body.yields[0]
        self.b.loc = self.p.loc(node) if self.b.loc is None else self.b.loc
        # the arguments whose arrays what it returns may be (or view, or hold): `def h(a):
        # return a[1:]` hands back the caller's array, and writes through either name
        # reach the other
        reach = subscript._bases(self.b, out, defs=def_map(fn.body))
        aliases = tuple(k for k, p in enumerate(fn.params) if id(p) in reach)
        extra = {"aliases": aliases} if aliases else {}
        if any(opcodes.draws(op) for op in fn.body.walk()):
            extra["effects"] = True  # it raises (a check) or draws: kept where it is called
        (res,) = self.b.region_op("call", operands, (), [out.type], [TEMP], callee=name, **extra)
        if self.module.out_trees[key] is not None:  # a dict: as the caller's Python dict
            return self.rebuilt(res, self.module.out_trees[key])
        if out.type.kind == "tuple" and out.type.items is not None:
            return self.returned_items(res, out, fn)
        return res

    def rebuilt(self, v, treedef):
        """The Python structure (dicts, lists, tuples) of treedef over the tuple value v."""
        if treedef is None:
            return v
        children = treedef[-1]
        items = [self.rebuilt(self.b.getitem(v, index=i), c) for i, c in enumerate(children)]
        if treedef[0] == "dict":
            return dict(zip(treedef[1], items))
        return items if treedef[0] == "list" else tuple(items)

    def returned_items(self, res, out, fn):
        """The tuple a helper returns, as the Python tuple of its items read once after
        the call (`a, b = h(x)`, `t = h(x); t[0]`, in a loop too): each `t[k]`, or the
        constant when the helper returns one there (`return x * k, 3`: `t[1]` is static)."""
        made = def_map(fn.body).get(out)
        items = []
        for k in range(len(out.type.items)):
            item = made.operands[k] if made is not None and made.opcode == "tuple" else None
            c = def_map(fn.body).get(item) if item is not None else None
            if (
                c is not None
                and c.opcode == "const"
                and isinstance(c.attr("value"), (bool, int, float, str, type(None)))
            ):
                items.append(self.b.const(c.attr("value")))
            else:
                items.append(self.b.getitem(res, index=k, hint=TEMP))
        return tuple(items)
