"""One `gradients` request: the description the `gradients` op carries.

The op's operands are four groups, `ys + xs + grad_ys + stop_gradients`, whose
sizes are attributes (`n_ys`, `n_xs`, `n_grad_ys`, `n_stop`), beside the options
(`name`, `gate`, `aggregation`, `unconnected`, and `checkpoint` when set). `GradientsCall` is that layout,
written in one place: `emit` makes the op (the frontend's `s2sgrad.gradients(...)`,
grad/value_and_grad/vjp's attach stage, the vjp of a helper), `of` reads one back
(the reverse transform, the unconnected pass).
"""

from dataclasses import dataclass, replace

from ..options import GradientOptions
from .core import Op, make_attrs


@dataclass(frozen=True)
class GradientsCall:
    ys: tuple
    xs: tuple
    grad_ys: tuple | None = None  # one per y, or None: ones shaped like each y
    stops: tuple = ()  # stop_gradients
    options: GradientOptions = GradientOptions()

    @property
    def operands(self):
        return tuple(self.ys) + tuple(self.xs) + tuple(self.grad_ys or ()) + tuple(self.stops)

    def attrs(self):
        return dict(
            n_ys=len(self.ys),
            n_xs=len(self.xs),
            n_grad_ys=0 if self.grad_ys is None else len(self.grad_ys),
            n_stop=len(self.stops),
            **self.options.attrs(),
        )

    def emit(self, b):
        """The op, emitted by the builder `b`: its result (one x) or results (a tuple,
        one per x), as `b.emit` returns them."""
        return b.emit("gradients", *self.operands, nresults=len(self.xs), **self.attrs())

    def op(self, results, loc=None, tag=""):
        """The op itself, with the given results (one per x)."""
        return Op("gradients", self.operands, tuple(results), make_attrs(self.attrs()), loc, tag)

    def with_xs(self, xs):
        return replace(self, xs=tuple(xs))

    @classmethod
    def of(cls, op):
        """The request a `gradients` op describes."""
        a = op.attr_dict
        n_ys, n_xs, n_g, n_stop = a["n_ys"], a["n_xs"], a["n_grad_ys"], a["n_stop"]
        ops = op.operands
        k = n_ys + n_xs
        options = GradientOptions(
            a["name"], a["gate"], a["aggregation"], a["unconnected"], a.get("checkpoint")
        )
        return cls(
            ys=tuple(ops[:n_ys]),
            xs=tuple(ops[n_ys:k]),
            grad_ys=tuple(ops[k : k + n_g]) if n_g else None,
            stops=tuple(ops[k + n_g : k + n_g + n_stop]),
            options=options,
        )


__all__ = ["GradientsCall"]
