"""The differential fuzzer: finds "wrong number, no error" bugs by itself.

Draws random programs (tools/progen.py) and checks each against two oracles
that need no trust in s2sgrad:

- the **value** `s2sgrad.value_and_grad(f, wrt=...)` returns equals plain
  Python's `f(...)` (rtol 1e-9, atol 1e-12), and the call leaves the
  arguments as they were (plain Python runs on copies: f may write into
  its arguments, s2sgrad's code never does), and no gradient shares memory
  with an argument or with another gradient (`aliased gradient`: each is an
  array of its own, which the caller may write into);
- the **gradient** equals float64 central differences of `f` (rtol 1e-5,
  atol 1e-7). A sample point near a discontinuity (a branch, a `while` trip
  count, a kink) is skipped: the differences at eps=1e-6 and eps=1e-5 must
  agree. A gradient that disagrees with them is confirmed against a
  fourth-order five-point difference before it counts as wrong.

The same call made again runs `grad`'s fast code (the generated function's body
inlined behind its tests): it must give the first call's numbers bit for bit.

A program passing both is checked in forward mode (jvp: its tangent against the
differences along a random direction), then at second order, with respect to its
first parameter: forward over reverse (`jvp(grad(f))`, a Hessian-vector product)
against central differences of s2sgrad's gradient (checked above) along a random
direction, and reverse over reverse (`vjp(grad(f))`, where supported) against that
by the dot-product test <u, H v> = <H^T u, v>. A second-order mismatch is a `wrong
tangent`.

Each program ends in one of STATUSES. A `crash` is any exception from
s2sgrad or the code it generates other than a located UnsupportedError (an
InternalError from the IR verifier, which runs after every stage, is a
crash); located UnsupportedErrors count as `unsupported`, with their
messages tallied (those in DOCUMENTED_LIMITS are limitations the docs list).

    python tools/fuzz.py --n 20000 --seed 1 [--out DIR] [--max-stmts 7] [--jobs 2]
                         [--xp] [--float32]
    python tools/fuzz.py --replay FILE.py [FILE.py ...]

`--xp` also runs each passing program as array-API code (check_xp); `--float32` with
its arrays float32 (check_float32). Every value the generated code assigns is checked
against its static type as it runs (codegen.CHECK_TYPES, set in each worker): a type
the value has not is a crash.

Program i of a run is drawn from random.Random(f"{seed}:{i}"), so it does not
depend on --n or --jobs. Failing programs are written to DIR (default
fuzz_failures/ under the system temp dir) as standalone modules whose header
comments hold the verdict, `n` and the arguments; `--replay` checks such a
file again (edit it to minimise a failure by hand). The exit status is 1
when any program is wrong, crashes or is invalid.
"""

import argparse
import collections
import contextlib
import hashlib
import importlib.util
import inspect
import json
import multiprocessing
import os
import random
import re
import signal
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import progen  # noqa: E402

import s2sgrad  # noqa: E402
from s2sgrad import codegen, transform  # noqa: E402
from s2sgrad.errors import NoGradientError, UnsupportedError  # noqa: E402

STATUSES = (
    "passed",
    "wrong value",
    "wrong gradient",
    "wrong tangent",
    "mutated argument",
    "aliased gradient",
    "crash",
    "invalid program",
    "unsupported",
    "skipped",
)
FAILURES = tuple(s for s in STATUSES if s not in ("passed", "unsupported", "skipped"))

# UnsupportedError messages that are documented limitations (docs/limitations.md)
DOCUMENTED_LIMITS = (
    "where s2sgrad needs a type only that later binding gives",  # `x[k]` before `k = i`
    "range() bounds must be integers",  # a loop over a float accumulator that became an array
    "cannot make",  # `z = y` (or a view, or an argument) before a write into y it cannot see
    "s2sgrad reads the rows of the array the loop began with",  # `for e in a` writing a
    "may share memory with",  # `b = a` on one path of a branch, then a write into a
    "may be one array when the next iteration",  # `x1 = x0` carried, `x0 += v` next time
    "writes into its parameter",  # a helper writing into an array of its caller
    "may be an array or a number here",  # `v = a[0, ...]; v += 1` (a 0-d view), s = 1.0 or x
    "that may be a 0-d array hands",  # min(a[0, ...], c): the 0-d array itself
    "Python reads that value after the write",  # a[0], a[1] = a[1], a[0] of rows
    "rank s2sgrad cannot know",  # a write into np.squeeze(...), a matmul of acc = 0.0
    "needs its items to have one shape s2sgrad knows",  # out[i] of items of an unknown shape
    "needs its items' rank",  # np.stack(out, axis=1) of items of an unknown rank
    "cannot carry a list built with append",  # out[-1] in a s2sgrad.checkpointed loop
    "to be a float array of at least one axis (it is",  # np.tanh(t, out=t): an int, a number
    "is not supported in this form",  # min(a, b, c), max of one array
    "a checkpointed loop cannot draw random numbers",  # rng in s2sgrad.checkpointed(...)
    "has a test known when transformed",  # `if n == 1: v = ...` (n static), v read after
    "may be unassigned here: it is first assigned",  # one branch of an `if` with a return
    "only one branch of the `if` at line",  # a tuple, or an array of a computed shape
)

TIMEOUT = 60  # seconds for s2sgrad to build and run one program's gradient


# ---- checking one program ------------------------------------------------------------------


@dataclass
class Outcome:
    """The verdict on one program: a status of STATUSES, what went wrong (or
    the first line of the unsupported message), and the UnsupportedError."""

    status: str
    detail: str = ""
    error: Exception = None
    forward: str = None  # a program passed in reverse mode: 'passed' or 'unsupported' in
    forward_detail: str = ""  # forward mode (jvp), with the unsupported message
    second: str = None  # then second order: 'passed', 'unsupported' or 'skipped'
    second_detail: str = ""  # (with the first line of each unsupported message)
    xp: str = None  # with --xp, a program passing in reverse mode, as array-API
    xp_detail: str = ""  # code on array_api_strict: 'passed', 'unsupported' or 'error'


def load(src, directory):
    """Write `src` to a .py file in `directory` (named after its hash) and import it."""
    name = "_s2s_fuzz_" + hashlib.sha1(src.encode()).hexdigest()[:16]
    path = Path(directory) / f"{name}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copies(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def unchanged(args, before):
    return all(np.array_equal(a, b) for a, b in zip(args, before))


def _arrays(v):
    if isinstance(v, np.ndarray):
        return [v]
    if isinstance(v, (tuple, list)):
        return [a for x in v for a in _arrays(x)]
    if isinstance(v, dict):
        return [a for x in v.values() for a in _arrays(x)]
    return []


def aliased(args, grads):
    """A gradient array that shares memory with an argument's array or with another
    gradient: each gradient s2sgrad hands back is an array of its own, which the caller
    may write into (the reverse transform copies what it would borrow)."""
    inputs, outs = _arrays(args), _arrays(grads)
    for k, g in enumerate(outs):
        for other in inputs + outs[:k]:
            if np.shares_memory(g, other):
                return True
    return False


def central(f, prog, eps):
    """d f / d each float argument by central differences (one step size)."""
    return derivative(f, prog, lambda at, x, e: (at(x + e) - at(x - e)) / (2 * e), eps)


def five_point(f, prog, eps=1e-3):
    """The same by the fourth-order five-point stencil: a second opinion."""

    def stencil(at, x, e):
        return (at(x - 2 * e) - 8 * at(x - e) + 8 * at(x + e) - at(x + 2 * e)) / (12 * e)

    return derivative(f, prog, stencil, eps)


def plain(f, prog, args=None):
    """Plain Python's f(*args, n) as a float, on copies (f may write into its arguments);
    args packed into f's pytree if it takes one."""
    return float(f(*prog.call_args(copies(prog.args if args is None else args)), prog.n))


def derivative(f, prog, rule, eps):
    out = []
    for k, x in enumerate(prog.args):

        def at(v, k=k):
            args = list(prog.args)
            args[k] = v
            return plain(f, prog, args)

        if isinstance(x, float):
            out.append(rule(at, x, eps))
            continue
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[idx] = 1.0
            g[idx] = rule(lambda v, x=x, step=step: at(x + v * step), 0.0, eps)
        out.append(g)
    return out


def close(a, b, rtol=1e-5, atol=1e-7):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=atol)


@contextlib.contextmanager
def deadline(seconds):
    """Raise TimeoutError in the block after `seconds` (where SIGALRM exists)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check(prog, directory):
    """Check one program (a progen.Program) against both oracles; an Outcome."""
    try:
        f = load(prog.source, directory).f
    except Exception as e:
        return Outcome("invalid program", "plain Python raised " + crash_text(e))
    try:
        value = plain(f, prog)
    except (NameError, AssertionError) as e:  # a loop's index (or a name it assigns first)
        # read after a loop that ran no time: UnboundLocalError (NameError of a free
        # variable in a comprehension, which s2sgrad's UnboundLocalError, a NameError,
        # stands for); an assert whose test is false
        return check_unbound(f, prog, e)
    except Exception as e:
        return Outcome("invalid program", "plain Python raised " + crash_text(e))
    if not (np.isfinite(value) and abs(value) < 1e6):
        return Outcome("skipped", f"f = {value}")
    try:
        num = central(f, prog, 1e-6)
        near = central(f, prog, 1e-5)
    except (NameError, AssertionError):  # (a read, or a failing assert, that a nearby
        # point's branch makes)
        return Outcome("skipped", "near a point where Python raises")
    if not all(close(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(num, near)):
        return Outcome("skipped", "near a discontinuity")
    before = copies(prog.args)
    derivative_fn = s2sgrad.value_and_grad(f, wrt=prog.params if prog.tree is None else "p")
    try:
        with deadline(TIMEOUT):
            if prog.tree is None:
                got, grads = derivative_fn(*prog.args, prog.n)
            else:
                got, grads = derivative_fn(*prog.call_args(), prog.n)
    except UnsupportedError as e:
        if e.loc is not None or documented(e):
            return Outcome("unsupported", e.message.splitlines()[0], e)
        return Outcome("crash", crash_text(e))
    except Exception as e:
        return Outcome("crash", crash_text(e))
    if not unchanged(prog.args, before):
        return Outcome("mutated argument", "value_and_grad wrote into an argument")
    if aliased(prog.args, grads):
        return Outcome("aliased gradient", "a gradient shares memory with an argument or another")
    # the same call again runs the fast code (api._CallPath: the generated function's body
    # inlined behind its tests): it must give the first call's numbers, bit for bit
    try:
        with deadline(TIMEOUT):
            again = derivative_fn(*(prog.args if prog.tree is None else prog.call_args()), prog.n)
    except Exception as e:
        return Outcome("crash", "the second call: " + crash_text(e))
    if not same_numbers((got, grads), again):
        return Outcome("wrong value", f"the second call gave {again!r}, the first {(got, grads)!r}")
    if prog.tree is not None:
        try:
            grads = unpacked(prog, grads)
        except AssertionError as e:
            return Outcome("wrong gradient", str(e))
    if not close(got, value, rtol=1e-9, atol=1e-12):
        return Outcome("wrong value", f"f = {value!r}, value_and_grad gave {got!r}")
    outcome = compare_gradients(f, prog, grads, num)
    if outcome.status == "passed" and prog.tree is None:
        outcome = check_grad_only(f, prog, num)
    if outcome.status == "passed" and "default-arg" in prog.constructs:
        outcome = check_defaults(f, prog, derivative_fn, got, grads, directory)
    if FLOAT32 and outcome.status == "passed" and any(isinstance(a, np.ndarray) for a in prog.args):
        outcome = check_float32(f, prog, num, derivative_fn)
    outcome = check_forward(f, prog, value, num) if outcome.status == "passed" else outcome
    if XP and outcome.status == "passed" and prog.tree is None:
        check_xp(f, prog, got, grads, outcome)
    return outcome


def check_float32(f, prog, num, derivative_fn):
    """The program again with its arrays float32 (Python floats stay: NEP 50 mixes the
    two, and the module's float64 constants promote): value_and_grad's value must be
    plain Python's, of its type and (rtol 1e-9) its number, and each gradient of its
    argument's dtype, near the float64 central differences (float32 rounds: rtol 2e-3,
    atol 2e-4 of the largest entry)."""
    args = tuple(a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in prog.args)
    try:
        want = f(*prog.call_args(copies(args)), prog.n)
    except Exception:
        return Outcome("passed")  # (float32 may overflow where float64 did not)
    if not np.isfinite(want):
        return Outcome("passed")
    try:
        with deadline(TIMEOUT):
            got, grads = derivative_fn(*prog.call_args(copies(args)), prog.n)
    except UnsupportedError as e:
        if e.loc is not None or documented(e):
            return Outcome("passed")  # (refused at its line: float32 is not the question)
        return Outcome("crash", "float32: " + crash_text(e))
    except Exception as e:
        return Outcome("crash", "float32: " + crash_text(e))
    if (
        type(got) is not type(want)
        or np.asarray(got).dtype != np.asarray(want).dtype
        or not close(got, want, rtol=1e-9, atol=1e-12)
    ):
        return Outcome(
            "wrong value", f"float32 arguments: f gives {want!r}, value_and_grad {got!r}"
        )
    if prog.tree is not None:
        try:
            grads = unpacked(prog, grads)
        except AssertionError as e:
            return Outcome("wrong gradient", "float32: " + str(e))
    grads = grads if isinstance(grads, tuple) else (grads,)
    for k, (a, g, want_g) in enumerate(zip(args, grads, num)):
        if g is None:
            continue
        if isinstance(a, np.ndarray) and (
            not isinstance(g, np.ndarray) or g.dtype != a.dtype or g.shape != a.shape
        ):
            return Outcome(
                "wrong gradient",
                f"float32: the gradient of {prog.params[k]} is {fmt(g)}, not a float32 "
                f"array of its shape",
            )
        scale = float(np.max(np.abs(want_g))) if np.size(want_g) else 0.0
        if not np.allclose(np.asarray(g, float), want_g, rtol=2e-3, atol=2e-4 * max(scale, 1)):
            return Outcome(
                "wrong gradient",
                f"float32: the gradient of {prog.params[k]} is {fmt(g)}, the float64 central "
                f"differences {fmt(want_g)}",
            )
    return Outcome("passed")


def same_numbers(a, b):
    """Two results (nested tuples, lists, dicts of arrays and numbers) hold the same
    numbers, bit for bit (nan where nan), of the same types."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_numbers(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_numbers(a[k], b[k]) for k in a)
    if a is None:
        return True
    x, y = np.asarray(a), np.asarray(b)
    return x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y, equal_nan=True)


FLOAT32 = False  # --float32: also run each passing program on float32 arrays (check_float32)
XP = False  # --xp: also run each passing program's array-API code (check_xp)


def check_xp(f, prog, value, grads, outcome):
    """The program's value_and_grad as array-API code (xp=True) on array_api_strict arrays
    (Python floats stay floats): its value and gradients must be the NumPy module's (rtol
    1e-9, atol 1e-12). A located refusal is 'unsupported'; an error raised by the
    generated code or the library is 'error' (docs/limitations.md, *Array-API code*,
    lists what the standard refuses at run time), a different number a `wrong gradient`."""
    import array_api_strict as xs

    args = [xs.asarray(a) if isinstance(a, np.ndarray) else a for a in prog.args]
    try:
        with deadline(TIMEOUT):
            got, xgrads = s2sgrad.value_and_grad(f, wrt=prog.params, xp=True)(*args, prog.n)
    except UnsupportedError as e:
        outcome.xp, outcome.xp_detail = "unsupported", e.message.splitlines()[0]
        return
    except Exception as e:
        outcome.xp, outcome.xp_detail = "error", crash_text(e)
        return
    xgrads = xgrads if isinstance(xgrads, tuple) else (xgrads,)
    same = close(np.asarray(got), value, rtol=1e-9, atol=1e-12) and all(
        (g is None) == (x is None) and (g is None or close(np.asarray(x), g, 1e-9, 1e-12))
        for g, x in zip(grads if isinstance(grads, tuple) else (grads,), xgrads)
    )
    if not same:
        outcome.status = "wrong gradient"
        outcome.detail = (
            f"xp=True on array_api_strict gave {got!r}, {fmt(xgrads)}; the NumPy "
            f"module {value!r}, {fmt(grads)}"
        )
        return
    outcome.xp = "passed"


def check_grad_only(f, prog, num):
    """`grad` against the same differences: no value is returned, so what rounds as the
    chain rule does may reach more there (passes/hoist_invariant.py computes a loop's
    products before it, passes/loop_stack.py batches the loop's read-outs after it,
    passes/pymath.py uses math.tanh)."""
    try:
        with deadline(TIMEOUT):
            grads = s2sgrad.grad(f, wrt=prog.params)(*prog.args, prog.n)
    except Exception as e:
        return Outcome("crash", "grad: " + crash_text(e))
    return compare_gradients(f, prog, grads if isinstance(grads, tuple) else (grads,), num)


def check_unbound(f, prog, error):
    """Python raises UnboundLocalError (a loop's index read after a loop that ran no time,
    nothing bound before it) or AssertionError: value_and_grad and jvp must raise it too,
    never give a number."""
    expected = AssertionError if isinstance(error, AssertionError) else NameError
    dots = [0.5 if isinstance(x, float) else np.ones(np.shape(x)) for x in prog.args]
    wrt = prog.params if prog.tree is None else "p"
    calls = (
        ("value_and_grad", lambda: s2sgrad.value_and_grad(f, wrt=wrt)(*prog.call_args(), prog.n)),
        ("jvp", lambda: s2sgrad.jvp(f, (*prog.call_args(), prog.n), (*prog.call_args(dots), None))),
    )
    for what, call in calls:
        try:
            with deadline(TIMEOUT):
                call()
        except expected:  # (UnboundLocalError is a NameError)
            continue
        except UnsupportedError as e:
            if e.loc is None and not documented(e):
                return Outcome("crash", crash_text(e))
            if what == "jvp":  # (reverse mode raised as Python does: forward mode refused,
                # as through a custom rule, is the forward outcome, as in `check`)
                return Outcome(
                    "passed", forward="unsupported", forward_detail=e.message.splitlines()[0]
                )
            return Outcome("unsupported", e.message.splitlines()[0], e)
        except Exception as e:
            return Outcome("crash", f"{what}: " + crash_text(e))
        return Outcome("wrong value", f"Python raises {error!r}; {what} gave a value")
    return Outcome("passed", forward="passed")


def check_defaults(f, prog, derivative_fn, got, grads, directory):
    """The generated module keeps f's default values: its value_and_grad_f called without
    the arguments that have one (as f is called) gives what value_and_grad gave."""
    module = load(s2sgrad.source(derivative_fn), directory)
    generated = module.value_and_grad_f
    params = inspect.signature(generated).parameters
    defaults = {k: p.default for k, p in params.items() if p.default is not p.empty}
    source = {
        k: p.default for k, p in inspect.signature(f).parameters.items() if p.default is not p.empty
    }
    if "c" in source and defaults.get("c", None) != source["c"]:
        return Outcome(
            "wrong value", f"the generated def keeps the defaults {defaults}, not f's {source}"
        )
    given = (*prog.call_args(copies(prog.args)), prog.n)[: len(params) - len(defaults)]
    value, gs = generated(*given)
    if prog.tree is not None:  # (as the gradient checked: one per name of params)
        gs = unpacked(prog, gs)
    if not close(value, got, rtol=1e-12, atol=0) or not all(
        close(a, b, rtol=1e-12, atol=0) for a, b in zip(gs, grads) if a is not None
    ):
        return Outcome(
            "wrong value",
            f"value_and_grad_f{tuple(params)} called with "
            f"{len(given)} arguments gave {value!r}, value_and_grad gave {got!r}",
        )
    return Outcome("passed")


def check_forward(f, prog, value, num):
    """Forward mode (jvp) along a random direction: the value is plain Python's, and the
    tangent is the directional derivative sum_k <df/dx_k, v_k> of the differences."""
    r = np.random.default_rng(len(prog.source))
    dots = [
        float(r.normal()) if isinstance(x, float) else r.normal(size=np.shape(x)) for x in prog.args
    ]
    before = copies(prog.args)
    try:
        with deadline(TIMEOUT):
            got, tangent = s2sgrad.jvp(
                f, (*prog.call_args(), prog.n), (*prog.call_args(dots), None)
            )
    except UnsupportedError as e:
        if e.loc is not None or documented(e):
            return Outcome(
                "passed", forward="unsupported", forward_detail=e.message.splitlines()[0]
            )
        return Outcome("crash", "jvp: " + crash_text(e))
    except Exception as e:
        return Outcome("crash", "jvp: " + crash_text(e))
    if not unchanged(prog.args, before):
        return Outcome("mutated argument", "jvp wrote into an argument")
    if not close(got, value, rtol=1e-9, atol=1e-12):
        return Outcome("wrong value", f"f = {value!r}, jvp gave {got!r}")
    want = sum(float(np.sum(g * d)) for g, d in zip(num, dots))
    if not close(tangent, want):
        second = sum(float(np.sum(g * d)) for g, d in zip(five_point(f, prog), dots))
        if not close(tangent, second):
            return Outcome(
                "wrong tangent", f"along {fmt(dots)}: expected {want!r}, jvp gave {tangent!r}"
            )
    if prog.tree is not None:  # (second order takes arrays: hessian, jvp of a grad
        return Outcome("passed", forward="passed")  # returning a dict is not checked)
    second, detail = check_second(f, prog)
    if second in FAILURES:
        return Outcome(second, detail)
    return Outcome("passed", forward="passed", second=second, second_detail=detail)


def check_second(f, prog):
    """(status, detail): second derivatives with respect to the first parameter. Forward
    over reverse, `jvp(grad(f))` along v, against central differences of the gradient
    s2sgrad generated (already checked against f's) along v; reverse over reverse,
    `vjp(grad(f))(u)`, against it by the dot-product test <u, H v> = <H^T u, v>. Status
    'passed', 'unsupported' (the messages in detail, '; '-joined), 'skipped' (the
    gradient is not smooth here) or a failure of FAILURES."""
    r = np.random.default_rng(len(prog.source) + 1)
    dots = [
        float(r.normal()) if isinstance(x, float) else r.normal(size=np.shape(x)) for x in prog.args
    ]
    g = s2sgrad.grad(f, wrt=prog.params[0])

    def along(e):
        up = [x + e * d for x, d in zip(prog.args, dots)]
        down = [x - e * d for x, d in zip(prog.args, dots)]
        return (np.asarray(g(*up, prog.n)) - np.asarray(g(*down, prog.n))) / (2 * e)

    try:
        want, coarse = along(1e-5), along(1e-4)
    except Exception as e:
        return "crash", "grad: " + crash_text(e)
    if not np.all(np.isfinite(want)) or not close(want, coarse, rtol=1e-3, atol=1e-5):
        return "skipped", ""
    before = copies(prog.args)
    unsupported = []

    def attempt(label, run):
        """(run()'s result or None when refused, a crash (status, detail) or None)."""
        try:
            with deadline(TIMEOUT):
                return run(), None
        except (UnsupportedError, NoGradientError) as e:
            # (NoGradientError: a second derivative through a custom rule, documented)
            if e.loc is None and not documented(e):
                return None, ("crash", f"{label}: " + crash_text(e))
            unsupported.append(e.message.splitlines()[0])
            return None, None
        except Exception as e:
            return None, ("crash", f"{label}: " + crash_text(e))

    hv, crashed = attempt(
        "jvp(grad(f))", lambda: s2sgrad.jvp(g, (*prog.args, prog.n), (*dots, None))[1]
    )
    if crashed:
        return crashed
    if hv is not None and not (
        close(hv, want, rtol=1e-4, atol=1e-6) or close(hv, coarse, rtol=1e-4, atol=1e-6)
    ):
        return "wrong tangent", (
            f"second order, jvp(grad(f)) along {fmt(dots)}: expected {fmt(want)}, got {fmt(hv)}"
        )

    def reverse_over_reverse():
        out, back = s2sgrad.vjp(g, *prog.args, prog.n)
        u = r.normal(size=np.shape(out)) if np.ndim(out) else float(r.normal())
        return u, back(u)

    pair, crashed = attempt("vjp(grad(f))", reverse_over_reverse)
    if crashed:
        return crashed
    u, hu = pair if pair is not None else (None, None)
    if not unchanged(prog.args, before):
        return "mutated argument", "a second derivative wrote into an argument"
    if hu is not None:
        lhs = sum(float(np.sum(a * d)) for a, d in zip(hu, dots))
        ref = hv if hv is not None else want
        rhs = float(np.sum(u * ref))
        if not close(lhs, rhs, rtol=1e-4, atol=1e-6) and not close(
            lhs, float(np.sum(u * coarse)), rtol=1e-4, atol=1e-6
        ):
            return "wrong tangent", (
                f"second order, vjp(grad(f)): <H^T u, v> = {lhs!r}, <u, H v> = {rhs!r}"
            )
    return ("unsupported", "; ".join(unsupported)) if unsupported else ("passed", "")


def unpacked(prog, grads):
    """The gradients of a pytree argument, one per name of prog.params (in its order);
    a structure other than the argument's is a wrong gradient (an AssertionError)."""
    names = progen.tree_names(prog.tree)
    got = pytree_leaves(grads, prog.tree)
    by_name = dict(zip(names, got))
    return tuple(by_name[p] for p in prog.params)


def pytree_leaves(value, tree):
    """value's leaves, checking it has tree's structure (same containers, keys, lengths)."""
    if type(tree) is dict:
        if type(value) is not dict or list(value) != list(tree):
            raise AssertionError(f"a gradient of structure {value!r} for the pytree {tree!r}")
        return [x for k in tree for x in pytree_leaves(value[k], tree[k])]
    if type(tree) in (list, tuple):
        if type(value) is not type(tree) or len(value) != len(tree):
            raise AssertionError(f"a gradient of structure {value!r} for the pytree {tree!r}")
        return [x for v, t in zip(value, tree) for x in pytree_leaves(v, t)]
    return [value]


def documented(error):
    """Whether an UnsupportedError (or its message) is a documented limitation."""
    return any(m in str(error) for m in DOCUMENTED_LIMITS)


def compare_gradients(f, prog, grads, num):
    """`passed`, or `wrong gradient` listing each parameter whose gradient
    disagrees with both the central and the five-point differences."""
    grads = [np.zeros_like(x) if g is None else g for x, g in zip(prog.args, grads)]
    wrong = [k for k, (g, want) in enumerate(zip(grads, num)) if not close(g, want)]
    if wrong:  # (each element against either oracle: a steep element can spoil the
        second = five_point(f, prog)  # five-point stencil, roundoff the central one)
        wrong = [
            k
            for k in wrong
            if np.shape(grads[k]) != np.shape(num[k])
            or not np.all(
                np.isclose(grads[k], num[k], rtol=1e-5, atol=1e-7)
                | np.isclose(grads[k], second[k], rtol=1e-5, atol=1e-7)
            )
        ]
    if not wrong:
        return Outcome("passed")
    lines = [f"d {prog.params[k]}: expected {fmt(num[k])}, got {fmt(grads[k])}" for k in wrong]
    return Outcome("wrong gradient", "\n".join(lines))


def fmt(x):
    return np.array2string(np.asarray(x), precision=8, separator=", ").replace("\n", "")


def crash_text(e):
    """The exception and the traceback's last frames (generated code included)."""
    frames = traceback.format_tb(e.__traceback__)[-3:]
    return f"{type(e).__name__}: {e}\n" + "".join(frames).rstrip()


def first_line(detail):
    """A tally key: the first line, with the names the program chose made alike
    ('x0', 'sa3' -> 'name'; h1_2, d_v12 -> h#, d_v#); names s2sgrad made up
    ('_seq0' -> '_seq#') keep their stem, as they should not reach a message."""
    line = detail.splitlines()[0] if detail else ""
    line = re.sub(r"'[A-Za-z]\w*'", "'name'", line)
    return re.sub(r"(?<=[A-Za-z_])\d+(_\d+)*\b", "#", line)


# ---- a run ---------------------------------------------------------------------------------


def program(seed, index, max_stmts):
    """Program `index` of run `seed`."""
    return progen.draw_program(progen.RandomChooser(random.Random(f"{seed}:{index}")), max_stmts)


def work(task):
    """Check one program in a worker: (index, Outcome without its exception,
    constructs, the Program if it failed)."""
    seed, index, max_stmts, directory, xp, float32 = task
    global XP, FLOAT32
    XP, FLOAT32 = xp, float32
    prog = program(seed, index, max_stmts)
    outcome = check(prog, directory)
    outcome.error = None  # exceptions do not always pickle
    return index, outcome, prog.constructs, prog if outcome.status in FAILURES else None


def start_worker():
    """Every stage's IR verified, and every value the generated code assigns checked
    against its static type as it runs (codegen.CHECK_TYPES: a type the value has not
    is a crash, before any number is wrong); warnings (overflow in a skipped program)
    quiet."""
    transform.VERIFY = True
    codegen.CHECK_TYPES = True
    warnings.simplefilter("ignore")


class Tally:
    """Counts of a run: statuses, unsupported and crash messages, constructs."""

    def __init__(self):
        self.status = collections.Counter()
        self.messages = {"unsupported": collections.Counter(), "crash": collections.Counter()}
        self.constructs = collections.Counter()
        self.failed_with = collections.Counter()
        self.forward = collections.Counter()
        self.forward_messages = collections.Counter()
        self.second = collections.Counter()
        self.second_messages = collections.Counter()
        self.second_with = collections.Counter()  # construct -> programs passing 2nd order
        self.xp = collections.Counter()
        self.xp_messages = collections.Counter()

    def add(self, outcome, constructs):
        self.status[outcome.status] += 1
        if outcome.forward:
            self.forward[outcome.forward] += 1
            if outcome.forward == "unsupported":
                self.forward_messages[first_line(outcome.forward_detail)] += 1
        if outcome.second:
            self.second[outcome.second] += 1
            if outcome.second == "unsupported":
                self.second_messages.update(
                    first_line(m) for m in set(outcome.second_detail.split("; "))
                )
            elif outcome.second == "passed":
                self.second_with.update(constructs)
        if outcome.xp:
            self.xp[outcome.xp] += 1
            if outcome.xp != "passed":
                self.xp_messages[f"{outcome.xp}: {first_line(outcome.xp_detail)}"] += 1
        if outcome.status in self.messages:
            self.messages[outcome.status][first_line(outcome.detail)] += 1
        self.constructs.update(constructs)
        if outcome.status in FAILURES:
            self.failed_with.update(constructs)

    def report(self, n, seconds, out):
        lines = [f"{n} programs in {seconds:.1f} s"]
        lines += [f"  {s:<17}{self.status[s]:>7}" for s in STATUSES]
        for kind, counter in self.messages.items():
            if counter:
                lines.append(f"{kind}, by message:")
                lines += [
                    f"  {c:>6}  {m}{'  (documented)' if documented(m) else ''}"
                    for m, c in counter.most_common()
                ]
        lines.append(
            f"forward mode (jvp) of the programs passing in reverse mode: "
            f"{self.forward['passed']} passed, {self.forward['unsupported']} unsupported"
        )
        lines += [f"  {c:>6}  {m}" for m, c in self.forward_messages.most_common()]
        lines.append(
            f"second order (jvp and vjp of grad) of the programs passing forward mode: "
            f"{self.second['passed']} passed, {self.second['unsupported']} with one "
            f"form unsupported, {self.second['skipped']} skipped (not smooth)"
        )
        lines += [f"  {c:>6}  {m}" for m, c in self.second_messages.most_common()]
        if self.xp:
            lines.append(
                f"array-API code (--xp) on array_api_strict of the programs passing: "
                f"{self.xp['passed']} passed, {self.xp['unsupported']} unsupported, "
                f"{self.xp['error']} raised"
            )
            lines += [f"  {c:>6}  {m}" for m, c in self.xp_messages.most_common()]
        if self.second_with:
            lines.append(
                "  passing second order with: "
                + ", ".join(f"{c} {k}" for c, k in sorted(self.second_with.items()))
            )
        lines.append("construct mix: programs containing each (of them failing)")
        lines += [
            f"  {c:<20}{k:>7}  ({self.failed_with[c]})" for c, k in sorted(self.constructs.items())
        ]
        if any(self.status[s] for s in FAILURES):
            lines.append(f"failing programs written to {out}")
        return "\n".join(lines)


def failure_file(prog, outcome, seed, index):
    """A standalone module: the verdict, n and the arguments in its header comments."""
    args = {
        p: a.tolist() if isinstance(a, np.ndarray) else a for p, a in zip(prog.params, prog.args)
    }
    head = [
        f"s2sgrad fuzz: {outcome.status} (seed {seed}, program {index}); "
        "check again with python tools/fuzz.py --replay THIS_FILE"
    ]
    head += outcome.detail.splitlines()
    head += [f"n = {prog.n}", f"args = {json.dumps(args)}"]
    if prog.tree is not None:
        head.append(f"tree = {json.dumps(prog.tree)}")
    return "".join(f"# {ln}\n" for ln in head) + prog.source


def replay_program(path):
    """The Program of a file written by failure_file (as edited since)."""
    text = Path(path).read_text()
    n = int(re.search(r"^# n = (\d+)$", text, re.M).group(1))
    args = json.loads(re.search(r"^# args = (.*)$", text, re.M).group(1))
    values = tuple(np.array(v) if isinstance(v, list) else float(v) for v in args.values())
    tree = re.search(r"^# tree = (.*)$", text, re.M)
    return progen.Program(
        text, tuple(args), values, n, frozenset(), json.loads(tree.group(1)) if tree else None
    )


def replay(paths):
    """Check failure files again, printing each verdict; 1 if any still fails."""
    global FLOAT32
    start_worker()
    bad = 0
    with tempfile.TemporaryDirectory() as directory:
        for path in paths:
            FLOAT32 = "\n# float32" in Path(path).read_text()  # (a --float32 failure)
            outcome = check(replay_program(path), directory)
            print(f"{path}: {outcome.status}\n{outcome.detail}".rstrip())
            bad += outcome.status in FAILURES
    return 1 if bad else 0


def run(n, seed, max_stmts, jobs, out, xp=False, float32=False):
    """Check programs 0..n-1 of `seed` in `jobs` processes; print the tally; 1 if any failed."""
    out.mkdir(parents=True, exist_ok=True)
    tally, start = Tally(), time.time()
    with (
        tempfile.TemporaryDirectory() as directory,
        multiprocessing.Pool(jobs, start_worker, maxtasksperchild=200) as pool,
    ):
        tasks = ((seed, i, max_stmts, directory, xp, float32) for i in range(n))
        for done, (index, outcome, constructs, prog) in enumerate(
            pool.imap_unordered(work, tasks, chunksize=4), 1
        ):
            tally.add(outcome, constructs)
            if outcome.status in FAILURES:
                name = f"seed{seed}_{index:05d}_{outcome.status.replace(' ', '-')}.py"
                (out / name).write_text(failure_file(prog, outcome, seed, index))
            if done % 1000 == 0:
                print(f"... {done} programs, {time.time() - start:.0f} s", file=sys.stderr)
    print(tally.report(n, time.time() - start, out))
    return 1 if any(tally.status[s] for s in FAILURES) else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="how many programs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "fuzz_failures",
        help="where failing programs are written",
    )
    ap.add_argument("--max-stmts", type=int, default=7, help="statements per program, at most")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--replay", nargs="+", metavar="FILE", help="check these failure files again")
    ap.add_argument(
        "--xp",
        action="store_true",
        help="also run each passing program's "
        "array-API code (xp=True) on array_api_strict arrays against NumPy's",
    )
    ap.add_argument(
        "--float32",
        action="store_true",
        help="also run each passing program with its arrays float32 (check_float32): "
        "value and gradient dtypes, values against plain Python's",
    )
    a = ap.parse_args(argv)
    if a.replay:
        return replay(a.replay)
    return run(a.n, a.seed, a.max_stmts, a.jobs, a.out, a.xp, a.float32)


if __name__ == "__main__":
    sys.exit(main())
