"""check_grads: the derivatives s2sgrad generates for a function, against central
differences of the function itself (as autograd's `check_grads` and torch's
`gradcheck`), and reverse mode against forward mode by the dot-product test.

What is compared, for f at a point, with respect to the arguments `wrt` (each float
leaf of them on its own, so a failure names one leaf):

- "rev": J^T u against the float64 central differences of <u, f>: the gradient from
  `s2sgrad.grad` when f returns a scalar (u = 1), else `s2sgrad.vjp` with a random
  cotangent u; entry by entry when the leaves have at most `max_elements` elements
  together (two evaluations of f per element), else as <J^T u, v> along a random
  direction v of each leaf;
- "fwd": J v from `s2sgrad.jvp` (v random, one leaf at a time) against the central
  differences of f along v, entry by entry over f's output;
- both: <u, J v> (jvp) against <J^T u, v> (grad or vjp), which no rounding of f's
  differences enters;
- order k > 1: the same checks, recursively, of each `grad(f, wrt=i)` (s2sgrad's own
  higher-order derivatives, `s2sgrad.vjp`/`jvp` of a gradient), as autograd recurses.

The numerical side runs f in plain Python (f itself when f is a plain function), on
private copies of the arguments (a generator argument draws the same numbers at every
evaluation), with every float32 array or scalar among them widened to float64.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import api
from .errors import GradientCheckError, InvalidArgumentError
from .frontend import pytrees
from .traceback_util import api_boundary

EPS = 1e-6  # the step's scale: h = EPS * max(1, |x|)
EPS_LOW = 1e-3  # ... when f's output is float32 at the float64 point
MAX_ELEMENTS = 100  # at most this many elements in wrt: entry by entry
# (rtol, atol) by the precision of the derivatives checked: an entry passes when
# |analytic - numeric| <= atol * max(1, scale) + rtol * |numeric| (see check_grads)
TOLERANCES = {"float64": (1e-5, 1e-6), "float32": (1e-3, 1e-4)}

_MODES = ("rev", "fwd")


@api_boundary
def check_grads(
    f: Callable[..., Any],
    wrt: int | str | Sequence[int | str] | None = 0,
    *args: Any,
    order: int = 1,
    modes: Sequence[str] = _MODES,
    eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
    max_elements: int = MAX_ELEMENTS,
) -> None:
    """Check the derivatives s2sgrad generates for `f` at `args` against central
    differences, and reverse mode against forward mode; raise on the worst disagreement.

    Parameters
    ----------
    f : the function, as `s2sgrad.grad` takes it (a plain function s2sgrad can read,
        or one s2sgrad made, `s2sgrad.grad(g)`); it returns one array or number.
    wrt : the arguments checked: an index, a parameter name, or a tuple of them (as
        for `s2sgrad.grad`); None for every float argument. A pytree argument is
        checked leaf by leaf (its float leaves).
    *args : the point: f's positional arguments (arrays, Python or NumPy floats,
        pytrees of them, static ints/strs, generators).
    order : 1 checks f's first derivatives; k > 1 also checks each `grad(f, wrt=i)`
        to order k - 1 (f must then return a scalar, and so must each derivative
        below the last: a gradient taken again needs a scalar argument).
    modes : "rev" (`s2sgrad.grad` of a scalar f, `s2sgrad.vjp` of an array f), "fwd"
        (`s2sgrad.jvp`), or both (then also the
        dot-product test). A function calling a custom rule has reverse mode only:
        pass `modes=("rev",)`.
    eps : the step scale; an element x gets the step `eps * max(1, |x|)` (default
        1e-6; a random direction v, `eps * max(1, max|x|) / max|v|`).
    rtol, atol : an entry passes when `|analytic - numeric| <= atol * max(1, scale)
        + rtol * |numeric|`, scale being the largest |numeric| entry of the array
        compared (the sum of the terms' magnitudes for an inner product). When `atol`
        is given it is used as it is (no scale). Defaults: rtol 1e-5, atol 1e-6 for
        float64; rtol 1e-3, atol 1e-4 when a checked leaf or f's output is float32
        (the analytic side is float32, the numeric one float64).
    seed : seeds the random cotangent u and directions v.
    max_elements : the most elements (of all wrt leaves together) checked entry by
        entry in reverse mode; above it, along one random direction per leaf.

    Returns
    -------
    None, when every check passes.

    Raises
    ------
    GradientCheckError
        An AssertionError: the worst entry of the first check that
        fails: which check ("rev", "fwd", "dot"), the function, the argument (a
        pytree's path, `params['W1']`), the entry's index, the analytic and numeric
        values, the absolute and relative errors and the tolerance.
    InvalidArgumentError
        A ValueError: bad `wrt`, `order` or `modes`, a `wrt`
        argument that is not float, f returning something other than one array or
        number; s2sgrad's own errors (an unsupported construct) as they are.

    Example
    -------
    >>> import numpy as np, s2sgrad
    >>> def loss(W, x):
    ...     return np.sum(np.tanh(x @ W) ** 2)
    >>> s2sgrad.check_grads(loss, 0, np.ones((3, 2)), np.arange(3.0))          # W
    >>> s2sgrad.check_grads(loss, ("W", "x"), np.ones((3, 2)), np.arange(3.0), order=2)
    """
    order = _check_options(order, modes)
    fn = api._plain(f)
    params = list(inspect.signature(fn).parameters)
    if len(args) > len(params):
        raise InvalidArgumentError(
            f"check_grads: {len(args)} arguments given, {_name(f)} takes {len(params)}",
            hint="pass f's positional arguments after wrt",
        )
    args = api._bound(f, args, {})
    if wrt is None:
        positions = tuple(i for i, a in enumerate(args) if api._differentiable(a))
    else:
        positions = api._positions(f, params, wrt)[0]
    for i in positions:
        if not api._differentiable(args[i]):
            raise InvalidArgumentError(
                f"check_grads: argument {params[i]!r} of {_name(f)} is not a float (it is "
                f"{type(args[i]).__name__} {args[i]!r}), so it has no derivative",
                hint="pass a float (1.0, not 1) or leave it out of wrt",
            )
    if not positions:
        raise InvalidArgumentError(f"check_grads: {_name(f)} has no float argument to check")
    settings = _Settings(
        tuple(modes),
        None if eps is None else float(eps),
        rtol,
        atol,
        max_elements,
        np.random.default_rng(seed),
        seed,
    )
    given = positions if wrt is None else tuple(wrt) if isinstance(wrt, list) else wrt
    _check(f, _name(f), params, args, positions, given, order, 1, settings)


@dataclass
class _Settings:
    modes: tuple
    eps: float | None
    rtol: float | None
    atol: float | None
    max_elements: int
    rng: np.random.Generator
    seed: int


def _check_options(order, modes):
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise InvalidArgumentError(f"check_grads: order={order!r} is not a positive integer")
    if isinstance(modes, str) or not modes or any(m not in _MODES for m in modes):
        raise InvalidArgumentError(
            f"check_grads: modes={modes!r} is not a tuple of 'rev' and 'fwd'",
            hint='modes=("rev", "fwd"), or ("rev",)',
        )
    return order


def _name(f):
    return getattr(f, "__name__", "the function")


def _check(f, label, params, args, positions, wrt, order, depth, settings):
    """The first-order checks of f, then, for order > 1, those of each grad(f, wrt=i)."""
    out = _check_first(f, label, params, args, positions, wrt, depth, settings)
    if order > 1:
        if out.ndim:
            raise InvalidArgumentError(
                f"check_grads: order={order + depth - 1} differentiates {label} again with "
                f"s2sgrad.grad, which needs a scalar, and {label} returns an array of shape "
                f"{out.shape}",
                hint="check a scalar function (np.sum(u * f(x)) for a fixed "
                "u), or a gradient with respect to a scalar argument",
            )
        for i in positions:
            inner = _grad(f, i)
            _check(
                inner,
                f"grad({label}, wrt={params[i]!r})",
                params,
                args,
                positions,
                positions,
                order - 1,
                depth + 1,
                settings,
            )


# ---- the leaves checked -----------------------------------------------------------


@dataclass
class _Leaf:
    """One float leaf of a wrt argument: the argument's position, the leaf's index in
    the argument's flattening (None for an argument that is not a pytree), its path
    text (`params['W1']`) and its value in float64."""

    position: int
    index: int | None
    path: str
    x64: np.ndarray
    dtype: np.dtype

    def size(self):
        return self.x64.size


def _leaves(params, args, positions):
    out = []
    for i in positions:
        a = args[i]
        if type(a) in api._TREES:
            treedef, leaves = pytrees.flatten(a)
            for j, (path, leaf) in enumerate(zip(pytrees.paths(treedef), leaves)):
                if api._differentiable(leaf):
                    out.append(
                        _Leaf(
                            i,
                            j,
                            pytrees.path_text(params[i], path),
                            np.asarray(leaf, dtype=np.float64),
                            _dtype(leaf),
                        )
                    )
        else:
            out.append(_Leaf(i, None, params[i], np.asarray(a, dtype=np.float64), _dtype(a)))
    return out


def _dtype(x):
    return np.dtype(np.float64) if isinstance(x, float) else np.asarray(x).dtype


def _widened(args):
    """args with every float array and NumPy float scalar of less than 64 bits in float64
    (in pytrees too): the numerical side's point, the same values computed wider."""

    def widen(x):
        if (
            isinstance(x, (np.ndarray, np.floating))
            and x.dtype.kind == "f"
            and x.dtype.itemsize < 8
        ):
            return x.astype(np.float64)
        return x

    return tuple(pytrees.map_leaves(widen, a) if type(a) in api._TREES else widen(a) for a in args)


def _with_leaf(args, leaf, value):
    """Private copies of args (api._own) with the leaf replaced by `value` (float64)."""
    vals = list(api._own(args))
    a = vals[leaf.position]
    if leaf.index is None:
        vals[leaf.position] = _as_number(value, a)
    else:
        treedef, leaves = pytrees.flatten(a)
        leaves[leaf.index] = _as_number(value, leaves[leaf.index])
        vals[leaf.position] = pytrees.unflatten(treedef, leaves)
    return vals


def _as_number(value, like):
    """value (float64) in like's kind: a Python float for a float, float64 otherwise."""
    if isinstance(like, float):
        return float(value)
    if isinstance(like, np.generic):
        return np.float64(value)
    return np.asarray(value, dtype=np.float64)


def _evaluate(f, vals, label):
    out = f(*vals)
    if (
        isinstance(out, (bool, np.bool_))
        or not isinstance(out, (float, int, np.ndarray, np.generic))
        or np.asarray(out).dtype.kind not in "iuf"
    ):
        raise InvalidArgumentError(
            f"check_grads: {label} returns {type(out).__name__}; it must return one array "
            "or number of floats",
            hint="order > 1 checks grad(f, wrt=i) of each argument i: "
            "a pytree argument's gradient is a pytree, so check it at order 1"
            if label.startswith("grad(")
            else "check each output separately (a function "
            "returning that one), or their weighted sum",
        )
    return np.asarray(out)


# ---- the checks ---------------------------------------------------------------------


def _check_first(f, label, params, args, positions, wrt, depth, settings):
    """The first-order checks of f; `wrt` as the caller wrote it (grad gets it as it is).
    Returns f's output (float64)."""
    leaves = _leaves(params, args, positions)
    raw = _evaluate(f, api._own(args), label)
    out = raw.astype(np.float64)
    rng = settings.rng
    u = np.ones(()) if out.ndim == 0 else rng.standard_normal(out.shape)
    u = (
        u.astype(raw.dtype).astype(np.float64) if raw.dtype.kind == "f" else u
    )  # (exact in f's dtype)
    vs = [rng.standard_normal(leaf.x64.shape) for leaf in leaves]
    vs = [v.astype(leaf.dtype).astype(np.float64) for v, leaf in zip(vs, leaves)]
    per_element = sum(leaf.size() for leaf in leaves) <= settings.max_elements
    ctx = _Context(label, depth, out.ndim == 0, settings)
    numeric, steps, low_numeric = _numerics(
        f, args, leaves, vs, per_element, out.shape, label, settings
    )
    rev = (
        _reverse(f, args, positions, wrt, leaves, u, out, ctx) if "rev" in settings.modes else None
    )
    fwd, low_fwd = _forward(f, args, leaves, vs, out) if "fwd" in settings.modes else (None, False)
    ctx.tolerances(
        settings,
        _low(raw) or low_numeric or low_fwd or any(leaf.dtype.itemsize < 8 for leaf in leaves),
    )
    for k, leaf in enumerate(leaves):
        _compare(
            ctx,
            leaf,
            numeric[k],
            steps[k],
            vs[k],
            u,
            out.shape,
            per_element,
            None if rev is None else rev[k],
            None if fwd is None else fwd[k],
        )
    return out


def _numerics(f, args, leaves, vs, per_element, out_shape, label, settings):
    """The central differences for each leaf (see _numeric), the step scale each used,
    and whether f returned less than float64 at the widened point (its step is then
    EPS_LOW unless `eps` was given)."""
    numeric, steps, low = [], [], False
    wide = _widened(args)
    for leaf, v in zip(leaves, vs):
        eps = EPS if settings.eps is None else settings.eps
        num, low_here = _numeric(f, wide, leaf, v, per_element, eps, label, out_shape)
        if low_here:  # f rounds to float32 whatever its inputs: a float32 step
            low = True
            if settings.eps is None:
                eps = EPS_LOW
                num = _numeric(f, wide, leaf, v, per_element, eps, label, out_shape)[0]
        numeric.append(num)
        steps.append(eps)
    return numeric, steps, low


def _reverse(f, args, positions, wrt, leaves, u, out, ctx):
    """J^T u for each leaf (float64): grad's gradient when f returns a scalar (u = 1:
    the code users call most), vjp's otherwise."""
    if out.ndim == 0:
        ctx.rev = "s2sgrad.grad"
        grads = _grad(f, wrt)(*api._own(args))
        grads = grads if isinstance(wrt, tuple) else (grads,)
        return [ctx.leaf_of(grads[positions.index(leaf.position)], leaf, args) for leaf in leaves]
    out_rev, back = api.vjp(f, *api._own(args))
    floats = [k for k, a in enumerate(args) if api._differentiable(a)]
    cts = back(_cotangent(u, out_rev))
    return [ctx.leaf_of(cts[floats.index(leaf.position)], leaf, args) for leaf in leaves]


def _forward(f, args, leaves, vs, out):
    """J v for each leaf along its v (float64), one jvp each; and whether jvp's output
    is less than float64."""
    fwd, low = [], False
    for leaf, v in zip(leaves, vs):
        tangents = [None] * len(args)
        tangents[leaf.position] = _tangent(args[leaf.position], leaf, v)
        out_fwd, t_out = api.jvp(f, api._own(args), tangents)
        low = low or _low(out_fwd)
        fwd.append(np.zeros(out.shape) if t_out is None else np.asarray(t_out, dtype=np.float64))
    return fwd, low


def _compare(ctx, leaf, num, step, v, u, out_shape, per_element, rev, fwd):
    """The checks of one leaf, in order: rev, fwd, the dot-product test."""
    if rev is not None:
        ctx.shape("rev", leaf, rev, leaf.x64.shape)
        if per_element:
            n = np.tensordot(num, u, axes=u.ndim) if u.ndim else num * u
            ctx.compare(
                "rev",
                leaf,
                rev,
                n,
                np.abs(n).max(initial=0.0),
                f"central difference, step {step:g} * max(1, |x|)",
            )
        else:
            terms = u * num
            ctx.compare(
                "rev",
                leaf,
                np.sum(rev * v),
                np.sum(terms),
                np.abs(terms).sum(),
                "<u, central difference along v>",
                scalar=True,
            )
    if fwd is not None:
        jv = np.tensordot(v, num, axes=v.ndim) if per_element else num
        ctx.shape("fwd", leaf, fwd, out_shape)
        ctx.compare(
            "fwd",
            leaf,
            fwd,
            jv,
            np.abs(jv).max(initial=0.0),
            "central difference along v",
            output=True,
        )
    if rev is not None and fwd is not None:
        terms = u * fwd
        ctx.compare(
            "dot",
            leaf,
            np.sum(rev * v),
            np.sum(terms),
            np.abs(terms).sum(),
            "<u, J v> from s2sgrad.jvp",
            scalar=True,
            names=("<J^T u, v>:", "<u, J v>: "),
        )


_GRADS: dict = {}  # (f, wrt) -> grad(f, wrt): built once, as s2sgrad.vjp's are


def _grad(f, wrt):
    key = (f, wrt)
    if key not in _GRADS:
        _GRADS[key] = api.grad(f, wrt=wrt)
    return _GRADS[key]


def _numeric(f, args, leaf, v, per_element, eps, label, out_shape):
    """Central differences of f (float64) with respect to one leaf: per element, the
    array of columns d f / d x_k shaped leaf.shape + out.shape; otherwise the derivative
    along v, shaped like the output. And whether f returned less than float64."""
    x = leaf.x64
    low = False

    def diff(up, down, step):
        nonlocal low
        a = _evaluate(f, _with_leaf(args, leaf, up), label)
        b = _evaluate(f, _with_leaf(args, leaf, down), label)
        low = low or _low(a)
        return (a.astype(np.float64) - b.astype(np.float64)) / step

    if not per_element:
        t = (
            eps
            * max(1.0, float(np.abs(x).max(initial=0.0)))
            / max(float(np.abs(v).max(initial=0.0)), 1e-300)
        )
        return diff(x + t * v, x - t * v, 2 * t), low
    cols = []
    with np.errstate(invalid="ignore"):  # (an inf or nan element: a nan column)
        for idx in np.ndindex(x.shape):
            h = eps * max(1.0, abs(float(x[idx])))
            up, down = x.copy(), x.copy()
            up[idx] += h
            down[idx] -= h
            cols.append(diff(up, down, float(up[idx]) - float(down[idx])))  # (the step taken)
    if not cols:  # (an empty leaf: no column)
        return np.zeros(x.shape + out_shape), low
    return np.array(cols).reshape(x.shape + cols[0].shape), low


def _low(out):
    return np.asarray(out).dtype.kind == "f" and np.asarray(out).dtype.itemsize < 8


def _cotangent(u, out):
    if isinstance(out, np.ndarray):
        return u.astype(out.dtype)
    if isinstance(out, np.generic):
        return out.dtype.type(u)
    return float(u)


def _tangent(arg, leaf, v):
    """A tangent of the argument holding v at the leaf (None at the other leaves)."""
    if leaf.index is None:
        return api._like(v, arg)
    treedef, leaves = pytrees.flatten(arg)
    return api._like(
        pytrees.unflatten(treedef, [v if j == leaf.index else None for j in range(len(leaves))]),
        arg,
    )


# ---- comparing, and the message ----------------------------------------------------------

_CHECKS = {
    "rev": "reverse mode ({rev}) disagrees with central differences",
    "fwd": "forward mode (s2sgrad.jvp: J v) disagrees with central differences",
    "dot": "the dot-product test <u, J v> (s2sgrad.jvp) = <J^T u, v> (s2sgrad.vjp) fails",
}


class _Context:
    """What a failure message says besides the entry: the function, the order, u."""

    def __init__(self, label, depth, scalar_out, settings):
        self.label, self.depth, self.scalar_out, self.settings = label, depth, scalar_out, settings
        self.rtol = self.atol = None
        self.rev = "s2sgrad.vjp: J^T u"

    def tolerances(self, settings, low):
        rtol, atol = TOLERANCES["float32" if low else "float64"]
        self.rtol = rtol if settings.rtol is None else settings.rtol
        self.atol = atol if settings.atol is None else settings.atol
        self.atol_scaled = settings.atol is None

    def leaf_of(self, ct, leaf, args):
        """The leaf's entry of a gradient (float64), after checking that a pytree
        argument's gradient has the argument's structure."""
        if leaf.index is not None:
            want = pytrees.flatten(args[leaf.position])[0]
            got = pytrees.flatten(ct)[0] if type(ct) in api._TREES else None
            if got != want:
                self.fail(
                    "rev",
                    leaf,
                    "the gradient of the argument is not a tree of its "
                    f"structure: {got} for {want}",
                    None,
                )
            ct = pytrees.flatten(ct)[1][leaf.index]
        return np.zeros(leaf.x64.shape) if ct is None else np.asarray(ct, dtype=np.float64)

    def shape(self, check, leaf, analytic, want):
        if np.shape(analytic) != tuple(want):
            self.fail(
                check,
                leaf,
                f"the derivative has shape {np.shape(analytic)}, expected {tuple(want)}",
                None,
            )

    def compare(
        self,
        check,
        leaf,
        analytic,
        numeric,
        scale,
        how,
        scalar=False,
        output=False,
        names=("analytic:", "numeric: "),
    ):
        a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
        atol = self.atol * max(1.0, float(scale)) if self.atol_scaled else self.atol
        tol = atol + self.rtol * np.abs(n)
        with np.errstate(invalid="ignore"):
            err = np.abs(a - n)
            same = (a == n) | (np.isnan(a) & np.isnan(n))  # (inf == inf, nan "==" nan)
            bad = ~same & ~(err <= tol)
        if not bad.any():
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            excess = np.where(bad, np.nan_to_num(err / tol, nan=np.inf, posinf=np.inf), -1.0)
        idx = (
            tuple(int(k) for k in np.unravel_index(int(np.argmax(excess)), a.shape))
            if a.ndim
            else ()
        )
        self.fail(
            check,
            leaf,
            None,
            {
                "index": None if scalar else idx,
                "output": output,
                "analytic": float(a[idx]),
                "numeric": float(n[idx]),
                "abs_error": float(err[idx]),
                "tolerance": float(tol[idx]),
                "atol": atol,
                "count": int(bad.sum()),
                "size": int(a.size),
                "how": how,
                "names": names,
            },
        )

    def fail(self, check, leaf, problem, entry):
        s = self.settings
        lines = [f"check_grads({self.label}): {_CHECKS[check].format(rev=self.rev)}"]
        where = f"argument {leaf.path}"
        if entry is None:
            lines.append(f"  {where}: {problem}")
            raise GradientCheckError(
                "\n".join(lines), check=check, function=self.label, argument=leaf.path
            )
        idx = entry["index"]
        if idx is None:
            where += ", along a random direction v"
        elif entry["output"]:
            where += f", direction v; worst output entry {list(idx)}"
        elif idx:
            where += f", worst entry {list(idx)}"
        rel = entry["abs_error"] / abs(entry["numeric"]) if entry["numeric"] else float("inf")
        if entry["size"] > 1:
            where += f" ({entry['count']} of {entry['size']} entries out of tolerance)"
        lines.append(f"  {where}")
        first, second = entry["names"]
        lines.append(f"  {first} {entry['analytic']!r}")
        lines.append(f"  {second} {entry['numeric']!r} ({entry['how']})")
        lines.append(
            f"  abs error {entry['abs_error']:.3g}, rel error {rel:.3g}; tolerance "
            f"{entry['tolerance']:.3g} = atol {entry['atol']:.3g} + rtol {self.rtol:g} "
            f"* |{second.strip().rstrip(':')}|"
        )
        u = "u = 1 (f returns a scalar)" if self.scalar_out else "u: a random cotangent"
        lines.append(f"  (order {self.depth}; {u}; seed {s.seed})")
        raise GradientCheckError(
            "\n".join(lines),
            check=check,
            function=self.label,
            argument=leaf.path,
            index=idx,
            analytic=entry["analytic"],
            numeric=entry["numeric"],
            abs_error=entry["abs_error"],
            rel_error=rel,
            tolerance=entry["tolerance"],
        )
