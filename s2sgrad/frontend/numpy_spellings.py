"""The NumPy calls the lowerer (_Lowerer in lower.py) writes with several ops
or with attributes computed here: np.arange, np.einsum, the joins (concatenate,
stack, hstack, ...), the compositions of opcodes.NUMPY_COMPOSED (ravel,
swapaxes, moveaxis, np.atleast_*d, the contractions np.inner, np.vdot and
np.tensordot, np.diff), np.average, reductions with where=/initial=,
np.select, np.kron, np.linalg.multi_dot, x.item(), and the draws of a
np.random.Generator argument (rng.normal as loc + scale * z, ...).
"""

import math

import numpy as np

from ..ir import opcodes
from ..ir import types as T
from ..ir.core import Value
from ..ir.opcodes import OPERAND
from . import sequences
from .shared import _MISSING, _dtype_name


class _NumpySpellings:
    """The NumPy calls of _Lowerer (lower.py) written with several ops."""

    def arange(self, args, node):
        for kw in node.keywords:
            if kw.arg != "dtype":
                self.unsupported(
                    node,
                    f"np.arange takes its bounds by position here, not {kw.arg}=",
                    "np.arange(start, stop, step, dtype=...)",
                )
        if not 1 <= len(args) <= 3:
            self.unsupported(node, "np.arange takes one to three bounds", "np.arange(n)")
        attrs = {}
        for kw in node.keywords:
            s = self.static_of(self.expr(kw.value))
            if s is _MISSING:
                self.unsupported(
                    node, "the dtype of np.arange must be a constant", "write it as a literal"
                )
            if s is not None:
                attrs["dtype"] = _dtype_name(s, self, node)
        bounds = [self.to_value(a, node) for a in args]
        for v, a in zip(bounds, node.args):
            if v.type.kind != "array" or v.type.shape not in ((), None):
                self.unsupported(a, "np.arange's bounds are numbers", "np.arange(n)")
        return self.b.emit("arange", *bounds, **attrs)

    def einsum(self, node):
        """np.einsum("ij,jk->ik", a, b): the spec a constant, written out explicitly (the
        output of an implicit spec is its letters used once, in alphabetical order)."""
        spec = self.static_of(self.expr(node.args[0])) if node.args else None
        if not isinstance(spec, str) or node.keywords:
            self.unsupported(
                node,
                "np.einsum takes a constant subscripts string, then its arrays",
                'np.einsum("ij,jk->ik", a, b)',
            )
        spec = spec.replace(" ", "")
        ins, _, out = spec.partition("->")
        ins = ins.split(",")
        if "..." in spec or not all(s.isalpha() for s in ins) or out and not out.isalpha():
            self.unsupported(
                node,
                "np.einsum with '...' or a spec that is not letters is not supported",
                'write every axis as a letter: np.einsum("bij,bjk->bik", a, b)',
            )
        if any(len(set(s)) != len(s) for s in ins):
            self.unsupported(
                node,
                "np.einsum of a diagonal (a letter twice in one operand) is not supported",
                "np.diagonal or np.trace, or multiply by np.eye",
            )
        if "->" not in spec:
            letters = "".join(ins)
            out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
        items = [
            self.to_value(sequences.array_operand(self, self.expr(a), node, "np.einsum"), node)
            for a in node.args[1:]
        ]
        if len(items) != len(ins):
            self.unsupported(
                node,
                f"np.einsum's subscripts name {len(ins)} operands, and it is given {len(items)}",
                "one subscript group per array",
            )
        for s, v in zip(ins, items):
            if v.type.shape is not None and len(v.type.shape) != len(s):
                self.unsupported(
                    node,
                    f"np.einsum's subscripts {s!r} do not match an array of "
                    f"rank {len(v.type.shape)}",
                    "one letter per axis",
                )
        return self.b.emit("einsum", *items, subscripts=",".join(ins) + "->" + out)

    def joined(self, name, node):
        """np.concatenate (an op of its own), np.stack (np.array of the items, its axis
        moved), np.hstack and np.vstack (a concatenate, or for 1-d items a stack)."""
        what = f"np.{name}"
        seq = self.expr(node.args[0]) if node.args else None
        if isinstance(seq, Value) and seq.type.kind == "dynlist":
            return self.list_joined(name, seq, self.joined_axis(name, node, what), node)
        if not isinstance(seq, (tuple, list)) or not seq:
            self.unsupported(
                node,
                f"{what} takes a list or tuple of arrays written out here",
                f"{what}([a, b], ...)",
            )
        axis = self.joined_axis(name, node, what)
        items = [self.to_value(sequences.array_operand(self, x, node, what), node) for x in seq]
        return self.joined_items(name, items, axis, node, what)

    def joined_axis(self, name, node, what):
        axis = 0
        extra = list(node.args[1:]) + [k.value for k in node.keywords if k.arg == "axis"]
        if (
            any(k.arg != "axis" for k in node.keywords)
            or len(extra) > 1
            or extra
            and name in ("hstack", "vstack")
        ):
            self.unsupported(node, f"{what} takes its arrays and an axis here", f"{what}([a, b])")
        if extra:
            axis = self.static_of(self.expr(extra[0]))
            if (
                axis is _MISSING
                or axis is not None
                and not isinstance(axis, int)
                or axis is None
                and name != "concatenate"
            ):
                self.unsupported(
                    node, f"the axis of {what} must be a constant int", f"{what}([a, b], axis=1)"
                )
        return axis

    def joined_items(self, name, items, axis, node, what):
        if name in ("column_stack", "dstack"):  # 1-d items become columns; dstack: 3-d
            for v in items:
                if v.type.shape is None:
                    self.unsupported(
                        node,
                        f"the arrays given to {what} have ranks s2sgrad cannot know here",
                        "give them a known rank",
                    )
            least = 2 if name == "column_stack" else 3
            items = [self.at_least(v, least, column=name == "column_stack") for v in items]
            name, axis = "concatenate", least - 1
        ranks = {None if v.type.shape is None else len(v.type.shape) for v in items}
        rank = ranks.pop() if len(ranks) == 1 else None
        if rank is None and name != "concatenate":
            self.unsupported(
                node,
                f"the arrays given to {what} have ranks s2sgrad cannot tell are equal",
                "give them one known rank",
            )
        if name == "hstack":
            name, axis = "concatenate", (0 if rank == 1 else 1)
        elif name == "vstack":
            name, axis = ("stack", 0) if rank == 1 else ("concatenate", 0)
        if rank == 0 and name == "concatenate" and axis is not None:
            self.unsupported(
                node,
                f"zero-dimensional arrays cannot be joined by {what}",
                "make them 1-d first (x[None]), or use np.stack",
            )
        if name == "concatenate":
            attrs = {} if axis == 0 else {"axis": axis}
            return self.b.emit("concatenate", *items, **attrs)
        stacked = self.to_value(sequences.array_operand(self, list(items), node, what), node)
        k = axis % (rank + 1) if -(rank + 1) <= axis <= rank else None
        if k is None:
            self.unsupported(
                node,
                f"axis {axis} is out of bounds for {what} of rank-{rank} arrays",
                f"an axis from {-(rank + 1)} to {rank}",
            )
        if k == 0:
            return stacked
        axes = list(range(1, rank + 1))
        axes.insert(k, 0)
        return self.b.emit("transpose", stacked, axes=tuple(axes))

    def composed(self, name, args, node, what):
        """np.ravel / x.ravel() / x.flatten(), np.swapaxes, np.moveaxis: written with
        reshape and transpose; np.diff with slices (opcodes.NUMPY_COMPOSED)."""
        if name == "diff" and node.keywords:  # np.diff(x, axis=0): n, axis by name too
            given = dict(zip(("a", "n", "axis"), args))
            for kw in node.keywords:
                if kw.arg not in ("n", "axis") or kw.arg in given:
                    self.unsupported(
                        node, f"np.diff does not take {kw.arg}= here", "np.diff(x, n, axis)"
                    )
                given[kw.arg] = self.expr(kw.value)
            args = [given.get("a"), given.get("n", 1), given.get("axis", -1)]
        elif (
            name == "tensordot" and [k.arg for k in node.keywords] == ["axes"] and len(args) == 2
        ):  # np.tensordot(a, b, axes=...)
            args = args + [self.expr(node.keywords[0].value)]
        elif node.keywords:
            self.unsupported(
                node,
                f"{what} takes its arguments by position here",
                f"{what}(...) without keywords",
            )
        a = self.to_value(args[0], node) if args else None
        if a is None or a.type.kind != "array":
            self.unsupported(node, f"{what} needs an array", f"{what}(x, ...)")
        if name == "diff":
            return self.diff(a, args[1:], node)
        if name.startswith("atleast_"):
            if len(args) != 1 or a.type.shape is None:
                self.unsupported(node, f"{what} takes one array of known rank here", f"{what}(x)")
            return self.at_least(a, int(name[len("atleast_")]))
        if name in ("inner", "vdot", "tensordot"):
            return self.contraction(name, a, args[1:], node, what)
        if name in ("ravel", "flatten"):
            if len(args) != 1:
                self.unsupported(node, f"{what} takes no order here", f"{what}()")
            flat = self.b.reshape(a, self.b.const((-1,)))
            return self.b.copy(flat) if name == "flatten" else flat
        rank = None if a.type.shape is None else len(a.type.shape)
        moves = [self.static_of(v) for v in args[1:]]
        if rank is None or len(moves) != 2 or any(m is _MISSING for m in moves):
            self.unsupported(
                node,
                f"{what} needs constant axes of an array of known rank",
                f"{what}(x, 0, 1) with literal axes",
            )
        try:
            if name == "swapaxes":
                i, j = (int(m) % rank for m in moves)
                axes = list(range(rank))
                axes[i], axes[j] = axes[j], axes[i]
            else:
                src, dst = ((m,) if isinstance(m, int) else tuple(m) for m in moves)
                src, dst = [s % rank for s in src], [d % rank for d in dst]
                axes = [n for n in range(rank) if n not in src]
                for d, s in sorted(zip(dst, src)):
                    axes.insert(d, s)
        except (TypeError, ValueError, ZeroDivisionError):
            self.unsupported(
                node, f"the axes of {what} are not ints of this array's rank", f"{what}(x, 0, 1)"
            )
        return self.b.emit("transpose", a, axes=tuple(axes))

    def average(self, node):
        """np.average(a, axis=None, weights=None): np.mean without weights; with them,
        np.sum(a * w, axis) / np.sum(w, axis), a 1-d w laid along the axis."""
        names = ("a", "axis", "weights")
        given = dict(zip(names, node.args))
        for kw in node.keywords:
            if kw.arg not in names or kw.arg in given:
                self.unsupported(
                    node,
                    f"np.average does not take {kw.arg}= here",
                    "np.average(a, axis=..., weights=...)",
                )
            given[kw.arg] = kw.value
        if "a" not in given or len(node.args) > 3:
            self.unsupported(
                node,
                "np.average takes an array, an axis and weights here",
                "np.average(a, axis=0, weights=w)",
            )
        a = self.to_value(
            sequences.array_operand(self, self.expr(given["a"]), node, "np.average"), node
        )
        axis = self.static_of(self.expr(given["axis"])) if "axis" in given else None
        if (
            axis is _MISSING
            or not (axis is None or isinstance(axis, int) and not isinstance(axis, bool))
            or a.type.shape is None
        ):
            self.unsupported(
                node,
                "np.average takes a constant int axis (or none) of an array of known rank here",
                "np.average(a, axis=0, weights=w)",
            )
        attrs = {} if axis is None else {"axis": axis}
        if "weights" not in given or self.static_of(self.expr(given["weights"])) is None:
            return self.b.emit("mean", a, **attrs)
        w = self.to_value(
            sequences.array_operand(self, self.expr(given["weights"]), node, "np.average"), node
        )
        rank = len(a.type.shape)
        if (
            w.type.shape is None
            or len(w.type.shape) not in (rank, 1)
            or len(w.type.shape) == 1
            and rank > 1
            and axis is None
            or len(w.type.shape) == rank
            and tuple(w.type.shape) != tuple(a.type.shape)
            or len(w.type.shape) == 1
            and rank > 1
            and w.type.shape[0] != a.type.shape[axis]
        ):
            self.unsupported(
                node,
                "np.average's weights have the array's shape here, or are 1-d along the axis",
                "np.average(a, axis=1, weights=w)",
            )
        if len(w.type.shape) == 1 and rank > 1:  # laid along the axis
            k = axis % rank
            w = self.b.reshape(w, self.b.const(tuple(-1 if i == k else 1 for i in range(rank))))
        total = self.b.emit("sum", self.b.mul(a, w), **attrs)
        return self.b.div(total, self.b.emit("sum", self.b.mul(self.b.ones_like(a), w), **attrs))

    def masked_reduction(self, opcode, base, node, what):
        """np.sum/mean/prod/max/min(x, axis, ..., where=mask) (and initial= for max/min): the
        reduction of np.where(mask, x, e), e its identity (0, 1; -inf or +inf for max/min,
        then np.maximum/np.minimum with the initial, which loses ties); np.mean divides by
        the mask's count. The gradient is 0 where the mask is False."""
        extra = {k.arg: k.value for k in node.keywords if k.arg in ("where", "initial")}
        keywords = [k for k in node.keywords if k.arg not in ("where", "initial")]
        args = ([base] if base is not None else []) + [self.expr(a) for a in node.args]
        operands, attrs = self.bind(opcode, args, keywords, node, what)
        x = operands[0]
        extremum = opcode in ("max", "min")
        initial = self.static_of(self.expr(extra["initial"])) if "initial" in extra else None
        if "initial" in extra and (
            not extremum or not isinstance(initial, (int, float)) or isinstance(initial, bool)
        ):
            self.unsupported(
                node,
                f"{what} takes initial= here only as a constant number, for np.max and np.min",
                f"{what}(x, where=mask)" if not extremum else f"{what}(x, initial=0.0, where=mask)",
            )
        if extremum and "where" in extra and "initial" not in extra:
            self.unsupported(
                node,
                f"{what} with where= needs initial= (NumPy raises: the reduction has no identity)",
                f"{what}(x, initial=-np.inf, where=mask)",
            )
        if x.type.dtype is None or x.type.dtype == "bool" and extremum:
            self.unsupported(
                node,
                f"{what} with where= or initial= of an array of unknown or "
                "bool dtype is not supported here",
                "give x a numeric dtype",
            )
        if "where" in extra:
            mask = self.to_value(
                sequences.array_operand(self, self.expr(extra["where"]), node, what), node
            )
            if mask.type.dtype != "bool":
                self.unsupported(
                    node, f"the where= of {what} is a boolean mask here", f"{what}(x, where=x > 0)"
                )
            attrs = self.zero_d_axis(opcode, [x], attrs, node)  # (axis=0 of a 0-d x: None)
            if opcode in ("sum", "mean"):  # (NumPy's order of additions: `sum_where`)
                out = self.b.emit("sum_where", x, mask, **attrs)
            else:
                x = self.b.where(mask, x, self.b.const(_identity(opcode, x.type)))
        if extremum and initial is not None:  # (NumPy's own: an empty axis gives initial)
            attrs = {**attrs, "initial": initial}
        if "where" not in extra or opcode not in ("sum", "mean"):
            out = self.emit_call("sum" if opcode == "mean" else opcode, [x], attrs, node)
        if opcode == "mean" and "where" in extra:
            count = self.b.broadcast_to(mask, self.b.shape(operands[0]))
            narrow = {"dtype": x.type.dtype} if x.type.dtype in ("float32", "float16") else {}
            out = self.b.div(out, self.b.emit("sum", count, **dict(attrs, **narrow)))
        return out

    def select(self, node):
        """np.select(condlist, choicelist, default=0): nested np.where, the first condition
        outermost (the first true condition's choice)."""
        given = dict(zip(("condlist", "choicelist", "default"), node.args))
        given.update((k.arg, k.value) for k in node.keywords)
        conds, choices = (
            self.expr(given[n]) if n in given else None for n in ("condlist", "choicelist")
        )
        if (
            not isinstance(conds, (tuple, list))
            or not isinstance(choices, (tuple, list))
            or len(conds) != len(choices)
            or not conds
            or set(given) - {"condlist", "choicelist", "default"}
        ):
            self.unsupported(
                node,
                "np.select takes two lists written out here, of as many "
                "conditions as choices, and a default",
                "np.select([x < 0, x > 1], [a, b], default=0.0)",
            )
        conds = [self.to_value(c, node) for c in conds]
        if any(c.type.dtype != "bool" for c in conds):
            self.unsupported(
                node,
                "the conditions of np.select are boolean arrays here",
                "np.select([x < 0, x > 1], [a, b])",
            )
        default = self.expr(given["default"]) if "default" in given else self.b.const(0)
        items = [
            self.to_value(sequences.array_operand(self, v, node, "np.select"), node)
            for v in list(choices) + [default]
        ]
        out = items[-1]
        for c, v in zip(conds[::-1], items[-2::-1]):
            out = self.b.where(c, v, out)
        # (NumPy's dtype: the choices made arrays, and the default as it is, a Python
        # number weak: default=0.0 beside float32 choices is float32)
        dtype = T.result_dtype(
            *[T.Type(dtype=v.type.dtype, shape=v.type.shape) for v in items[:-1]], items[-1].type
        )
        if dtype is None:
            dtype = np.result_type(*[np.dtype(v.type.dtype or "float64") for v in items]).name
        return out if out.type.dtype == dtype else self.b.cast(out, dtype)

    def kron(self, node):
        """np.kron(a, b) of two 1-d or two 2-d arrays: the einsum of every product,
        reshaped: a[i, j] b[k, l] at (i p + k, j q + l)."""
        a, b_ = self.pair_of_arrays(node, "np.kron")
        rank = a.type.rank
        if rank not in (1, 2) or b_.type.rank != rank:
            self.unsupported(
                node,
                "np.kron takes two 1-d or two 2-d arrays here",
                "np.kron(a, b) of matrices, or of vectors",
            )
        if rank == 1:
            outer = self.b.emit("einsum", a, b_, subscripts="i,k->ik")
            return self.b.reshape(outer, self.b.const((-1,)))
        sa, sb = self.b.shape(a), self.b.shape(b_)
        dims = [
            self.b.mul(self.b.getitem(sa, index=i), self.b.getitem(sb, index=i)) for i in range(2)
        ]
        return self.b.reshape(
            self.b.emit("einsum", a, b_, subscripts="ij,kl->ikjl"), self.b.tuple(*dims)
        )

    def multi_dot(self, node):
        """np.linalg.multi_dot([A, B, ...]): matmuls, grouped as NumPy groups them (its
        cheapest order by the matrices' sizes, when the types know them; else left to
        right). A 1-d first (last) array is a row (column), as in NumPy."""
        seq = self.expr(node.args[0]) if len(node.args) == 1 and not node.keywords else None
        if not isinstance(seq, (tuple, list)) or len(seq) < 2:
            self.unsupported(
                node,
                "np.linalg.multi_dot takes one list of two or more arrays written out here",
                "np.linalg.multi_dot([a, b, c])",
            )
        items = [
            self.to_value(sequences.array_operand(self, x, node, "np.linalg.multi_dot"), node)
            for x in seq
        ]
        ranks = [v.type.rank for v in items]
        if any(r != 2 for r in ranks[1:-1]) or ranks[0] not in (1, 2) or ranks[-1] not in (1, 2):
            self.unsupported(
                node,
                "np.linalg.multi_dot takes 2-d arrays (the first and last may be 1-d)",
                "np.linalg.multi_dot([a, b, c])",
            )
        split = _chain_order(items)
        if split is None:  # (three arrays of sizes known at run time: NumPy's test there)
            return self.chain_of_three(items, node)

        def product(i, j):
            if i == j:
                return items[i]
            k = split(i, j)
            return self.b.matmul(product(i, k), product(k + 1, j))

        return product(0, len(items) - 1)

    def chain_of_three(self, items, node):
        """A @ B @ C grouped as np.linalg.multi_dot groups three arrays, by its cost test at
        run time: (A @ B) @ C when a0 b1 (a1 + c1) < a1 c1 (a0 + b1), else A @ (B @ C)
        (a 1-d A is a row, a 1-d C a column)."""
        b = self.b
        a, c = items[0], items[2]
        sa, sc = b.shape(a), b.shape(c)
        da = [b.getitem(sa, index=k) for k in range(a.type.rank)]
        dc = [b.getitem(sc, index=k) for k in range(c.type.rank)]
        a0, a1 = da if len(da) == 2 else [b.const(1)] + da
        c0, c1 = dc if len(dc) == 2 else dc + [b.const(1)]
        left = b.mul(b.mul(a0, c0), b.add(a1, c1))
        right = b.mul(b.mul(a1, c1), b.add(a0, c0))
        return self.choice(
            b.emit("lt", left, right),
            node,
            lambda: self.b.matmul(self.b.matmul(a, items[1]), c),
            lambda: self.b.matmul(a, self.b.matmul(items[1], c)),
        )

    def item(self, base, args, node):
        """x.item() of a float array of one element: float(x) of x reshaped to 0-d (NumPy
        converts only 0-d arrays with float), a Python float."""
        if args or node.keywords or not base.type.is_float or base.type.dtype is None:
            self.unsupported(
                node,
                "x.item() is supported without arguments, of a float array (of one element) here",
                "float(x), or x.item() of a float array",
            )
        if base.type.rank != 0:
            base = self.b.reshape(base, self.b.const(()))
        return self.b.pyfloat(base)

    def pair_of_arrays(self, node, what):
        """The two array arguments of np.kron, given by position only."""
        if len(node.args) != 2 or node.keywords:
            self.unsupported(node, f"{what} takes two arrays by position here", f"{what}(a, b)")
        return [
            self.to_value(sequences.array_operand(self, self.expr(a), node, what), node)
            for a in node.args
        ]

    def at_least(self, a, n, column=False):
        """np.atleast_1d/2d/3d(a) (a itself when its rank is n or more); `column`: a 1-d
        array becomes a column (np.column_stack), not a row."""
        rank = len(a.type.shape)
        if rank >= n:
            return a
        if rank == 0:
            return self.b.reshape(a, self.b.const((1,) * n))
        if column:  # (n == 2, rank 1)
            return self.b.emit("expand_dims", a, axis=1)
        if n == 2 or rank == 1 and n == 3:  # a row: (k,) -> (1, k), (1, k, 1)
            a = self.b.emit("expand_dims", a, axis=0)
        return a if len(a.type.shape) >= n else self.b.emit("expand_dims", a, axis=-1)

    def contraction(self, name, a, rest, node, what):
        """np.inner, np.vdot, np.tensordot: written as the einsum they are."""
        b_ = self.to_value(rest[0], node) if rest else None
        if (
            b_ is None
            or a.type.shape is None
            or b_.type.shape is None
            or len(rest) > (2 if name == "tensordot" else 1)
        ):
            self.unsupported(node, f"{what} takes two arrays of known rank here", f"{what}(a, b)")
        ra, rb = len(a.type.shape), len(b_.type.shape)
        letters = "abcdefghijklmnopqrstuvwxyz"
        if name == "vdot":
            a = self.b.reshape(a, self.b.const((-1,)))
            b_ = self.b.reshape(b_, self.b.const((-1,)))
            return self.b.emit("einsum", a, b_, subscripts="i,i->", python="vdot")
        if name == "inner":
            if ra == 0 or rb == 0:
                return self.b.mul(a, b_)
            pairs = ([ra - 1], [rb - 1])
        else:
            axes = self.static_of(rest[1]) if len(rest) > 1 else 2
            if isinstance(axes, int) and not isinstance(axes, bool) and 0 <= axes <= min(ra, rb):
                pairs = (list(range(ra - axes, ra)), list(range(axes)))
            elif isinstance(axes, (tuple, list)) and len(axes) == 2:
                pairs = tuple([x] if isinstance(x, int) else list(x) for x in axes)
            else:
                self.unsupported(
                    node,
                    "the axes of np.tensordot must be a constant int or a pair of axis lists",
                    "np.tensordot(a, b, axes=([1], [0]))",
                )
        try:
            pa, pb = [p % ra for p in pairs[0]], [p % rb for p in pairs[1]]
        except (TypeError, ZeroDivisionError):
            pa = pb = None
        if pa is None or len(pa) != len(pb) or len(set(pa)) != len(pa) or len(set(pb)) != len(pb):
            self.unsupported(node, f"the axes of {what} do not pair up", f"{what}(a, b)")
        sa = letters[:ra]
        sb = [None] * rb
        for i, j in zip(pa, pb):
            sb[j] = sa[i]
        free = iter(letters[ra:])
        sb = "".join(c if c is not None else next(free) for c in sb)
        out = "".join(c for k, c in enumerate(sa) if k not in pa) + "".join(
            c for k, c in enumerate(sb) if k not in pb
        )
        # (printed as the call it is: np.einsum rounds a sum otherwise than np.inner's
        # dot, and the value is to be NumPy's own, bit for bit)
        python = {"python": name}
        if name == "tensordot":
            python["axes"] = (tuple(pa), tuple(pb))
        res = self.b.emit("einsum", a, b_, subscripts=f"{sa},{sb}->{out}", **python)
        if name == "tensordot" and not out:  # (np.tensordot's full contraction is a 0-d
            return self.b.emit("asarray", res)  # array, where np.einsum gives a scalar)
        return res

    def diff(self, a, rest, node):
        """np.diff(a, n=1, axis=-1): a[..., 1:] - a[..., :-1] along the axis, n times."""
        n, axis = (
            [v if isinstance(v, int) else self.static_of(v) for v in rest] + [1, -1][len(rest) :]
        )[:2]
        if (
            len(rest) > 2
            or not isinstance(n, int)
            or not isinstance(axis, int)
            or n < 0
            or isinstance(n, bool)
            or a.type.shape is None
            or not a.type.shape
        ):
            self.unsupported(
                node,
                "np.diff takes a constant n and axis here, of an array of known rank",
                "np.diff(x), np.diff(x, 2, 0)",
            )
        rank = len(a.type.shape)
        if not -rank <= axis < rank:
            self.unsupported(
                node,
                f"axis {axis} is out of bounds for an array of rank {rank}",
                f"an axis from {-rank} to {rank - 1}",
            )
        k = axis % rank
        whole = (None, None, None)
        for _ in range(n):
            hi = self.b.emit("index", a, key=(whole,) * k + ((1, None, None),))
            lo = self.b.emit("index", a, key=(whole,) * k + ((None, -1, None),))
            a = self.b.sub(hi, lo)
        return a

    def draw(self, rng, name, node):
        """rng.<name>(...) of a np.random.Generator argument: a draw, an op with an effect on
        the generator (standard_normal, random, integers), or normal and uniform written
        with one, as NumPy computes them: loc + scale * z, low + (high - low) * u."""
        params = _DRAW_PARAMS.get(name)
        what = f"rng.{name}()"
        if params is None:
            self.unsupported(
                node,
                f"the generator method .{name}() is not supported",
                "rng.standard_normal, rng.normal, rng.uniform, rng.random or "
                "rng.integers; or draw outside the function and pass the values in",
            )
        if len(node.args) > len(params):
            self.unsupported(node, f"too many arguments to {what}", "check the call")
        given = dict(zip(params, node.args))
        for kw in node.keywords:
            if kw.arg not in params or kw.arg in given:
                self.unsupported(
                    node,
                    f"{what} does not take the keyword {kw.arg!r} here",
                    f"its supported parameters: {', '.join(params)}",
                )
            given[kw.arg] = kw.value
        values = {k: self.expr(v) for k, v in given.items()}
        values = {k: v for k, v in values.items() if self.static_of(v) is not None}
        if name in opcodes.RNG_COMPOSED:
            return self.reparameterised(rng, name, values, node, what)
        operands, attrs = [rng], {}
        names = [p for p, role, _ in opcodes.OPS[name].params[1:] if role == OPERAND]
        last = max([names.index(k) for k in values if k in names], default=-1)
        for k in names[: last + 1]:  # (rng.integers(5, None, 3): a None between)
            v = values.get(k, self.b.const(None))
            operands.append(
                self.to_value(
                    v if k == "size" else sequences.array_operand(self, v, node, what), node
                )
            )
        for k in ("dtype", "endpoint", "out"):
            if k in values:
                a = self.static_of(values[k])
                if a is _MISSING or k == "out":
                    self.unsupported(
                        node,
                        f"the argument {k!r} of {what} must be a constant "
                        "(and out= is not supported)",
                        "assign the result",
                    )
                attrs[k] = _dtype_name(a, self, node) if k == "dtype" else a
        return self.emit_call(name, operands, attrs, node)

    def reparameterised(self, rng, name, values, node, what):
        """rng.normal(loc, scale, size) = loc + scale * rng.standard_normal(size) and
        rng.uniform(low, high, size) = low + (high - low) * rng.random(size): what NumPy
        computes, in float64 (narrow floats cast up first, as NumPy converts them), so the
        values are NumPy's bit for bit and the gradient flows to loc and scale (low and
        high). Without a size, the parameters' broadcast shape (one number for numbers)."""
        first, second = _DRAW_PARAMS[name][:2]
        a, b_ = (values.get(k) for k in (first, second))
        a, b_ = (
            None if v is None else self.to_value(sequences.array_operand(self, v, node, what), node)
            for v in (a, b_)
        )
        a, b_ = (
            v
            if v is None or v.type.dtype not in ("float32", "float16")
            else self.b.cast(v, "float64")
            for v in (a, b_)
        )
        if name == "uniform":
            b_ = self.b.sub(b_ if b_ is not None else self.b.const(1.0), a) if a is not None else b_
        size = values.get("size")
        if size is None:
            arrays = [v for v in (a, b_) if v is not None and v.type.rank != 0]
            if len(arrays) == 2 and arrays[0].type.shape != arrays[1].type.shape:
                size = self.b.shape(self.b.add(*arrays))
            elif arrays:
                size = self.b.shape(arrays[0])
        draw = opcodes.RNG_COMPOSED[name]
        z = self.emit_call(
            draw, [rng] + ([self.to_value(size, node)] if size is not None else []), {}, node
        )
        if b_ is not None:
            z = self.b.mul(b_, z)
        z = self.b.add(a, z) if a is not None else z
        if size is None and z.type.shape == () and z.type.weak is not True:
            z = self.b.pyfloat(z)  # (NumPy's draw of numbers is a Python float, of NumPy
        return z  # scalars too: np.float64 parameters would make it a strong np.float64)


# the parameters of the np.random.Generator methods s2sgrad knows, in NumPy's order
_DRAW_PARAMS = {
    "standard_normal": ("size", "dtype", "out"),
    "random": ("size", "dtype", "out"),
    "integers": ("low", "high", "size", "dtype", "endpoint"),
    "normal": ("loc", "scale", "size"),
    "uniform": ("low", "high", "size"),
}


def _chain_order(items):
    """split(i, j): where np.linalg.multi_dot splits the product of items i..j, by its cost
    model (the fewest scalar multiplications; three arrays by its own comparison) when every
    size is known; None for three arrays of sizes known only at run time (the frontend
    writes NumPy's test there); else k = j - 1 (left to right, for four or more)."""
    dims = [v.type.shape for v in items]
    dims = (
        [(1,) + dims[0] if len(dims[0]) == 1 else dims[0]]
        + dims[1:-1]
        + [dims[-1] + (1,) if len(dims[-1]) == 1 else dims[-1]]
    )
    p = [d[0] for d in dims] + [dims[-1][1]]
    n = len(items)
    if not all(isinstance(n, int) for n in p):
        return None if n == 3 else lambda i, j: j - 1
    if n == 3:
        a0, a1b0, b1c0, c1 = p
        first = a0 * b1c0 * (a1b0 + c1) < a1b0 * c1 * (a0 + b1c0)
        return lambda i, j: (i if not first else j - 1) if (i, j) == (0, 2) else i
    cost, split = {}, {}
    for span in range(1, n):
        for i in range(n - span):
            j = i + span
            cost[i, j] = math.inf
            for k in range(i, j):
                c = cost.get((i, k), 0) + cost.get((k + 1, j), 0) + p[i] * p[k + 1] * p[j + 1]
                if c < cost[i, j]:
                    cost[i, j], split[i, j] = c, k
    return lambda i, j: split[i, j]


def _identity(opcode, t):
    """What np.where puts where a reduction's mask is False: the reduction's identity
    (max and min: the lowest and highest value of the dtype, -inf and inf for floats)."""
    integer = np.dtype(t.dtype).kind in "biu"
    if opcode in ("sum", "mean", "prod"):
        one = 1 if opcode == "prod" else 0
        return one if integer else float(one)
    if integer:
        info = np.iinfo(t.dtype)
        return int(info.min if opcode == "max" else info.max)
    return float("-inf") if opcode == "max" else float("inf")
