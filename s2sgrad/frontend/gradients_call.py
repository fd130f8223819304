"""`s2sgrad.gradients(ys, xs, ...)` inside a transformed function, for the
lowerer (_Lowerer in lower.py): its arguments parsed and checked as
tf.gradients takes them, lowered to one `gradients` op.
"""

import gast

from .. import options as O
from ..errors import InvalidArgumentError
from ..ir import types as T
from ..ir.core import Value
from ..ir.gradients_op import GradientsCall
from .shared import _MISSING, _shape_text


class _Gradients:
    """The s2sgrad.gradients(...) call of _Lowerer (lower.py)."""

    def gradients(self, node):
        loc = self.p.loc(node)
        if self.region_depth:
            self.unsupported(
                node,
                "s2sgrad.gradients(...) inside a loop or a branch taken at run "
                "time is not supported",
                "call it once, after the loop or branch, "
                "on the values it computes (tf.gradients is one call in a graph, too)",
            )
        names = [
            "ys",
            "xs",
            "grad_ys",
            "name",
            "gate_gradients",
            "aggregation_method",
            "stop_gradients",
            "unconnected_gradients",
            "checkpoint",
        ]
        if len(node.args) > len(names):
            raise InvalidArgumentError("gradients() takes at most 9 arguments", loc=loc)
        given = dict(zip(names, node.args))
        for kw in node.keywords:
            if kw.arg not in names:
                raise InvalidArgumentError(
                    f"gradients() got an unexpected keyword argument {kw.arg!r}",
                    loc=self.p.loc(kw.value),
                    hint=f"its arguments: {', '.join(names)}",
                )
            given[kw.arg] = kw.value
        if "ys" not in given or "xs" not in given:
            raise InvalidArgumentError("gradients() needs ys and xs", loc=loc)

        def values(key, allow_none=False):
            if key not in given:
                return None
            n = given[key]
            if allow_none and isinstance(n, gast.Constant) and n.value is None:
                return None
            elts = n.elts if isinstance(n, (gast.List, gast.Tuple)) else None
            if key == "xs":
                for i, sub in enumerate(elts if elts is not None else [n]):
                    if isinstance(sub, gast.Name) and sub.id not in self.env:
                        raise InvalidArgumentError(
                            f"xs{f'[{i}]' if elts is not None else ''} names {sub.id!r}, which "
                            "is not a variable of the function",
                            loc=self.p.loc(sub),
                            hint="xs must name values computed in or passed to the decorated "
                            "function",
                        )
            val = self.expr(n)
            items = list(val) if isinstance(val, (tuple, list)) else [val]
            out = []
            for i, v in enumerate(items):
                sub = elts[i] if elts is not None else n
                if key == "xs" and (
                    not isinstance(v, Value)
                    or v.type.kind != "array"
                    or isinstance(sub, gast.Constant)
                ):
                    raise InvalidArgumentError(
                        f"xs[{i}] is not a variable of the function",
                        loc=self.p.loc(sub),
                        hint="xs must name values computed in or passed to the decorated function",
                    )
                if key == "grad_ys" and isinstance(sub, gast.Constant) and sub.value is None:
                    out.append(None)
                    continue
                if not isinstance(v, Value) or v.type.kind != "array":
                    if key == "xs":
                        continue
                    raise InvalidArgumentError(
                        f"{key}[{i}] is not an array or scalar value", loc=self.p.loc(sub)
                    )
                out.append(v)
            return out

        def static(key, default):
            if key not in given:
                return default
            s = self.static_of(self.expr(given[key]))
            if s is _MISSING:
                raise InvalidArgumentError(
                    f"gradients(): {key} must be a constant",
                    loc=self.p.loc(given[key]),
                    hint="write a literal, or pass a Python bool/int/str argument (static; "
                    "on the command line: --signature 'NAME=VALUE')",
                )
            return s

        ys = values("ys")
        xs = values("xs")
        grad_ys = values("grad_ys", allow_none=True)
        stops = values("stop_gradients", allow_none=True) or []
        settings = dict(
            name=static("name", "gradients"),
            gate_gradients=static("gate_gradients", False),
            aggregation_method=static("aggregation_method", None),
            unconnected_gradients=static("unconnected_gradients", "none"),
            checkpoint=static("checkpoint", None),
        )
        try:
            opts = O.GradientOptions.make(**settings)
        except ValueError as e:
            raise InvalidArgumentError(str(e), loc=loc) from None
        if grad_ys is not None and len(grad_ys) != len(ys):
            raise InvalidArgumentError(
                f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys",
                loc=loc,
                hint="give one grad_ys entry (or None) per y",
            )
        seeds = None
        if grad_ys is not None:
            seeds = []
            for i, (g, y) in enumerate(zip(grad_ys, ys)):
                if g is None:
                    g = self.b.ones_like(y, hint="grad_y")
                _check_grad_y(g, y, i, loc)
                if not T.same_shape(g.type.shape, y.type.shape):  # (not known
                    g = self.b.emit("seed_shape", g, y, i=i)  # equal: checked as it runs)
                seeds.append(g)
        seeds = None if seeds is None else tuple(seeds)
        results = GradientsCall(tuple(ys), tuple(xs), seeds, tuple(stops), opts).emit(self.b)
        if not xs:
            return []
        results = (results,) if len(xs) == 1 else results
        return list(results)[: len(xs)]


def _check_grad_y(g, y, i, loc):
    """A static shape mismatch: different ranks, or different sizes. Symbolic
    sizes name the distinct sizes of a specialisation other than 1 (equal sizes
    share a symbol; a size of 1 is written 1), so two different symbols are two
    different sizes, and so are 1 and a symbol (NumPy would broadcast a (1,)
    grad_ys entry against an (n,) y)."""
    gs, ys = g.type.shape, y.type.shape
    bad = (
        gs is not None
        and ys is not None
        and (
            len(gs) != len(ys)
            or any(
                type(a) is type(b)
                and a != b
                and isinstance(a, (int, str))
                or {type(a), type(b)} == {int, str}
                and 1 in (a, b)
                for a, b in zip(gs, ys)
            )
        )
    )
    if bad:
        raise InvalidArgumentError(
            f"grad_ys[{i}] has shape {_shape_text(gs)}, but ys[{i}] has shape {_shape_text(ys)}",
            loc=loc,
            hint="each grad_ys entry must have the shape of its y"
            + (
                " (names like n0, n1 stand for the distinct sizes of the arguments)"
                if any(isinstance(d, str) for d in gs + ys)
                else ""
            ),
        )
