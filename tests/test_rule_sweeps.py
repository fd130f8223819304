"""Sweeps of every elementwise rule and every rule of an op with an `axis`.

The ops come from the op table (`OPS[op].elementwise`, or an `axis` attribute among
`OPS[op].params`, and a rule in `RULES`), so a new op with a rule is swept, or fails
here until it gets a domain (`ELEMENTWISE`) or a call (`AXIS_OPS`), or is excluded
with a reason.

1. Elementwise ops: operand shapes drawn by Hypothesis, mutually broadcastable
   (rank 0 to 3, sides 1 to 3; a rank-0 operand is sometimes a Python float),
   values from each operand's domain.
2. Ops with an axis: every axis form the op takes (None, an int, a negative int, a
   pair of axes) with keepdims False and True where it has keepdims, over the shapes
   (), (4,), (1, 3), (3, 2), (2, 1, 3) where NumPy takes the call.

Each point is differentiated in float64 and compared with float64 central
differences (`numeric.central_difference`), then in float32 (the arrays rounded to
float32 beforehand, so both runs are at the same point): the float32 gradient is
float32 and agrees with the float64 one to `RTOL_F32` (docs/contract.md). A
weighted sum (elementwise) or np.sin (axis ops) makes the cotangent non-uniform,
so a transposed or mis-broadcast adjoint shows.

s2sgrad reads source, so the functions are written as a module into a temporary
directory when this file is imported (`MODULE_TEXT`), and imported from there.
"""

import atexit
import importlib.util
import shutil
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from numeric import RTOL_F32, central_difference

import s2sgrad
from s2sgrad import transform
from s2sgrad.ir.opcodes import ATTR, OPERAND, OPS
from s2sgrad.rules import RULES

# ---- 1. elementwise ops -----------------------------------------------------------------

ANY = dict(lo=-2.0, hi=2.0)
POS = dict(lo=0.5, hi=2.0)  # log, sqrt, bases of powers
UNIT = dict(lo=-0.9, hi=0.9)  # arcsin, arccos, arctanh
AWAY = dict(lo=0.5, hi=2.0, signed=True)  # |x| >= 0.5: divisors, kinks and poles at 0
COND = "condition"  # a bool array, not differentiated

# op -> the domain of each operand. Kinks and ties are left to chance where they have
# measure zero (maximum/minimum/fmax/fmin ties, clip at its bounds, x % y where x / y is
# an integer): values are continuous, and a point within eps (1e-6) of one is ~1e-5 likely.
ELEMENTWISE = {
    "add": (ANY, ANY),
    "sub": (ANY, ANY),
    "mul": (ANY, ANY),
    "div": (ANY, AWAY),
    "pow": (POS, dict(lo=-1.5, hi=1.5)),
    "mod": (ANY, AWAY),  # jumps where x / y is an integer: measure zero
    "neg": (ANY,),
    "pos": (ANY,),
    "exp": (ANY,),
    "expm1": (ANY,),
    "exp2": (ANY,),
    "log": (POS,),
    "log2": (POS,),
    "log10": (POS,),
    "log1p": (dict(lo=-0.5, hi=2.0),),
    "sqrt": (POS,),
    "cbrt": (AWAY,),  # cbrt's slope is infinite at 0
    "square": (ANY,),
    "reciprocal": (AWAY,),
    "abs": (AWAY,),
    "fabs": (AWAY,),  # kink at 0
    "sin": (ANY,),
    "cos": (ANY,),
    "tan": (dict(lo=-1.2, hi=1.2),),  # poles at +-pi/2
    "arcsin": (UNIT,),
    "arccos": (UNIT,),
    "arctan": (ANY,),
    "sinh": (ANY,),
    "cosh": (ANY,),
    "tanh": (ANY,),
    "arcsinh": (ANY,),
    "arccosh": (dict(lo=1.1, hi=3.0),),
    "arctanh": (UNIT,),
    "deg2rad": (dict(lo=-120.0, hi=120.0),),
    "rad2deg": (ANY,),
    "maximum": (ANY, ANY),
    "minimum": (ANY, ANY),
    "fmax": (ANY, ANY),
    "fmin": (ANY, ANY),
    "arctan2": (AWAY, ANY),  # arctan2(y, x) jumps by 2 pi across y = 0, x < 0
    "logaddexp": (ANY, ANY),
    "logaddexp2": (ANY, ANY),
    "float_power": (POS, dict(lo=-1.5, hi=1.5)),
    "where": (COND, ANY, ANY),
    "clip": (ANY, dict(lo=-1.5, hi=-0.2), dict(lo=0.2, hi=1.5)),  # lo < hi
    "conj": (ANY,),
    "nan_to_num": (ANY,),
    "copysign": (AWAY, AWAY),  # |x1| sign(x2): a kink at x1 = 0, a jump at x2 = 0
    "heaviside": (AWAY, ANY),  # a step at x1 = 0, where it is x2 (rules_cases: heaviside)
}
# op -> why it is not swept (none today: every elementwise op with a rule is)
ELEMENTWISE_EXCLUDED = {}


def elementwise_ops():
    """The elementwise ops with a rule, from the op table."""
    return sorted(op for op, d in OPS.items() if d.elementwise and op in RULES)


def n_operands(op):
    form = OPS[op].form[0]
    if form == "binop":
        return 2
    if form == "unop":
        return 1
    return sum(1 for p in OPS[op].params if p[1] == OPERAND)


def expression(op, args):
    """The op applied to `args` (names), as the table writes it in source."""
    kind, text = OPS[op].form[:2]
    if kind == "binop":
        return f"({args[0]} {text} {args[1]})"
    if kind == "unop":
        return f"({text}{args[0]})"
    assert kind == "call", f"{op}: form {OPS[op].form}"
    return f"{text}({', '.join(args)})"


def _elementwise_source(op):
    args = [f"x{i}" for i in range(len(ELEMENTWISE[op]))]
    return f"def ew_{op}({', '.join(args)}, w):\n    return np.sum({expression(op, args)} * w)\n"


# ---- 2. ops with an axis ------------------------------------------------------------------


def _numpy_call(name, rest=""):
    return f"np.{name}(x{rest}, axis={{axis}}{{keepdims}})"


# op -> [(variant, call)]: the call writes {axis} and {keepdims} (", keepdims=True" or "").
# A call whose result is a list of arrays (np.split) is marked "parts".
AXIS_OPS = {
    name: [(name, _numpy_call(name))]
    for name in (
        "sum",
        "prod",
        "mean",
        "max",
        "min",
        "ptp",
        "var",
        "std",
        "nansum",
        "nanmean",
        "cumsum",
        "cumprod",
        "flip",
        "sort",
        "expand_dims",
        "squeeze",
        "nanmax",
        "nanmin",
        "nanprod",
        "nanvar",
        "nanstd",
        "nancumsum",
        "median",
    )
}
AXIS_OPS.update(
    {
        "norm": [
            (f"norm_{label}", f"np.linalg.norm(x, ord={ord_}, axis={{axis}}{{keepdims}})")
            for label, ord_ in (
                ("none", "None"),
                ("1", "1"),
                ("2", "2"),
                ("3", "3"),
                ("inf", "np.inf"),
                ("minus_inf", "-np.inf"),
            )
        ],
        "roll": [("roll", _numpy_call("roll", ", 1"))],
        "sum_where": [("sum_where", "np.sum(x, where=x > 0.0, axis={axis}{keepdims})")],
        "quantile": [("quantile", _numpy_call("quantile", ", 0.3"))],
        "percentile": [("percentile", _numpy_call("percentile", ", 70.0"))],
        "repeat": [("repeat", _numpy_call("repeat", ", 2"))],
        "take": [("take", _numpy_call("take", ", [0, -1, 0]"))],  # a repeated index adds up
        "take_along_axis": [
            ("take_along_axis", "np.take_along_axis(x, np.argsort(x, axis={axis}), axis={axis})")
        ],
        "concatenate": [("concatenate", "np.concatenate([x, 2.0 * x], axis={axis}{keepdims})")],
        "split": [("split", "parts:np.split(x, [1], axis={axis}{keepdims})")],
        "array_split": [("array_split", "parts:np.array_split(x, 2, axis={axis}{keepdims})")],
    }
)
# op -> why it is not swept here
AXIS_EXCLUDED = {
    "linear_scan": "the scan cumprod's rules emit (_linear_scan), never written "
    "in source; tests/rules_cases.py (linear_scan, at zeros too) "
    "runs its rules through nested gradients of np.cumprod",
    "list_stack": "np.stack of a list built with append, which this sweep's "
    "calls do not build; tests/rules_cases.py (list_append) and "
    "tests/test_python_constructs.py stack one at axis 0 and 1",
}

AXES = {"none": None, "0": 0, "1": 1, "minus_1": -1, "pair": (0, -1)}
# The axis forms each op takes (NumPy refuses the others; test_axis_forms_are_numpys checks)
TUPLE_AXES = set(AXIS_OPS) - {  # (these take one axis at a time)
    "array_split",
    "concatenate",
    "cumprod",
    "cumsum",
    "median",
    "nancumsum",
    "percentile",
    "quantile",
    "repeat",
    "sort",
    "split",
    "take",
    "take_along_axis",
}
NO_NONE = {"split", "array_split", "expand_dims"}
# forms NumPy takes and s2sgrad refuses with a located error (docs/limitations.md)
REFUSED_FORMS = {
    op: {"pair": "np.median/np.quantile/np.percentile take axis None or one int"}
    for op in ("median", "quantile", "percentile")
}
NO_PAIR = {"norm_3"}  # a pair of axes is a matrix norm, and 3 is no matrix norm's order
SHAPES = [(), (4,), (1, 3), (3, 2), (2, 1, 3)]
EXTRA_SHAPES = {"squeeze": [(3, 1), (1, 2, 1)]}  # size 1 at the last axis, and at both ends


def axis_ops():
    """The ops with an `axis` attribute and a rule, from the op table."""
    return sorted(
        op
        for op, d in OPS.items()
        if op in RULES and any(p[0] == "axis" and p[1] == ATTR for p in d.params)
    )


def axis_forms(op, variant=None):
    forms = [f for f in AXES if f != "pair" or op in TUPLE_AXES and variant not in NO_PAIR]
    return [f for f in forms if f != "none" or op not in NO_NONE]


def has_keepdims(op):
    return any(p[0] == "keepdims" and p[1] == ATTR for p in OPS[op].params)


def _axis_name(variant, form, keepdims):
    return f"ax_{variant}_{form}" + ("_keepdims" if keepdims else "")


def _axis_source(op, variant, call, form, keepdims):
    text = call.format(axis=repr(AXES[form]), keepdims=", keepdims=True" if keepdims else "")
    name = _axis_name(variant, form, keepdims)
    if text.startswith("parts:"):
        return (
            f"def {name}(x):\n"
            f"    first, second = {text[len('parts:') :]}\n"
            f"    return np.sum(np.sin(first)) + np.sum(np.sin(2.0 * second))\n"
        )
    return f"def {name}(x):\n    return np.sum(np.sin({text}))\n"


def axis_functions():
    """(op, variant, axis form, keepdims) of every generated function."""
    out = []
    for op in sorted(AXIS_OPS):
        for variant, call in AXIS_OPS[op]:
            for form in axis_forms(op, variant):
                for keepdims in (False, True) if has_keepdims(op) else (False,):
                    out.append((op, variant, call, form, keepdims))
    return out


# ---- the generated module ---------------------------------------------------------------


def _module_text():
    parts = [
        '"""Written by tests/test_rule_sweeps.py: one function a swept op."""\n\n'
        "import numpy as np\n"
    ]
    parts += ["\n\n" + _elementwise_source(op) for op in sorted(ELEMENTWISE)]
    parts += ["\n\n" + _axis_source(*f) for f in axis_functions()]
    return "".join(parts)


MODULE_TEXT = _module_text()
_DIR = Path(tempfile.mkdtemp(prefix="s2sgrad_sweeps_"))
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
_FILE = _DIR / "s2sgrad_swept_ops.py"
_FILE.write_text(MODULE_TEXT)
_spec = importlib.util.spec_from_file_location("s2sgrad_swept_ops", _FILE)
M = importlib.util.module_from_spec(_spec)
sys.modules["s2sgrad_swept_ops"] = M
_spec.loader.exec_module(M)

_GRADS = {}


def grad_of(name, wrt):
    """One grad object a generated function, reused by every example."""
    if name not in _GRADS:
        _GRADS[name] = s2sgrad.grad(getattr(M, name), wrt=tuple(wrt))
    return _GRADS[name]


@pytest.fixture(autouse=True, scope="module")
def verify_ir():
    """Run the IR verifier after every stage while these tests build gradients."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transform, "VERIFY", True)
        yield


def to_float32(values):
    """Float arrays rounded to float32 (Python floats and bool arrays as they are)."""
    return [
        v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
        for v in values
    ]


def check_float32(g, values, wrt, g64, what):
    """The gradient at the float32 point `values` (arrays float32) is float32 (a Python
    float for a Python float) and agrees with the float64 gradient `g64` there."""
    g32 = g(*values)
    g32 = g32 if isinstance(g32, tuple) else (g32,)
    for i, a, b in zip(wrt, g32, g64):
        x = values[i]
        if isinstance(x, float):
            assert isinstance(a, float), f"{what}: argument {i}: {type(a).__name__} in float32"
        else:
            assert np.result_type(a) == np.float32, f"{what}: argument {i}: {np.result_type(a)}"
            assert np.shape(a) == np.shape(x)
        scale = np.max(np.abs(b), initial=0.0)
        np.testing.assert_allclose(
            a,
            b,
            rtol=RTOL_F32,
            atol=RTOL_F32 * scale,
            err_msg=f"{what}: float32 gradient of argument {i}",
        )


def check_float64(fn, g, values, wrt, what):
    """The gradient at `values` (float64 arrays) has the arguments' shapes and types and
    matches central differences; returns it."""
    grads = g(*values)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(wrt)
    for i, gi in zip(wrt, grads):
        x = values[i]
        if isinstance(x, float):
            assert isinstance(gi, float), f"{what}: argument {i}: {type(gi).__name__}"
        else:
            assert np.shape(gi) == x.shape, f"{what}: argument {i}: shape {np.shape(gi)}"
            assert np.result_type(gi) == np.float64, f"{what}: argument {i}: {np.result_type(gi)}"
        np.testing.assert_allclose(
            gi,
            central_difference(fn, values, i, 1e-6),
            rtol=1e-6,
            atol=1e-7,
            err_msg=f"{what}: gradient of argument {i}",
        )
    return grads


# ---- 1. the elementwise sweep ----------------------------------------------------------


def draw_value(rng, shape, dom, python_float):
    lo, hi = dom["lo"], dom["hi"]
    v = rng.uniform(lo, hi, size=shape)
    if dom.get("signed"):
        v = v * rng.choice([-1.0, 1.0], size=shape)
    v = (
        np.float32(v).astype(np.float64) if shape == () else v.astype(np.float32).astype(np.float64)
    )  # float32-representable: float32 runs at this point
    return float(v) if python_float else np.asarray(v)


@st.composite
def elementwise_point(draw, op):
    domains = ELEMENTWISE[op]
    shapes = draw(
        mutually_broadcastable_shapes(
            num_shapes=len(domains), min_dims=0, max_dims=3, min_side=1, max_side=3
        )
    )
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = []
    for shape, dom in zip(shapes.input_shapes, domains):
        if dom is COND:
            values.append(rng.random(shape) < 0.5)
        else:
            python_float = shape == () and draw(st.booleans())
            values.append(draw_value(rng, shape, dom, python_float))
    w = rng.uniform(-1.0, 1.0, size=shapes.result_shape)  # the cotangent of the op's result
    values.append(np.asarray(w.astype(np.float32).astype(np.float64)))
    return values


@pytest.mark.parametrize("op", elementwise_ops())
@settings(max_examples=12, deadline=None, derandomize=True)
@given(data=st.data())
def test_elementwise_rule(op, data):
    assert op in ELEMENTWISE, (
        f"{op!r} is elementwise and has a rule: give it the domain of each operand in "
        f"ELEMENTWISE (or a reason in ELEMENTWISE_EXCLUDED)"
    )
    values = data.draw(elementwise_point(op))
    fn = getattr(M, f"ew_{op}")
    wrt = tuple(i for i, dom in enumerate(ELEMENTWISE[op]) if dom is not COND)
    g = grad_of(f"ew_{op}", wrt)
    what = f"{op} of shapes {[np.shape(v) for v in values[:-1]]}"
    grads = check_float64(fn, g, values, wrt, what)
    if any(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in values):
        check_float32(g, to_float32(values), wrt, grads, what)


def test_elementwise_sweep_covers_the_table():
    ops = set(elementwise_ops())
    assert not set(ELEMENTWISE) & set(ELEMENTWISE_EXCLUDED)
    assert set(ELEMENTWISE) | set(ELEMENTWISE_EXCLUDED) == ops, (
        f"without a domain: {sorted(ops - set(ELEMENTWISE) - set(ELEMENTWISE_EXCLUDED))}; "
        f"not elementwise ops with a rule: {sorted(set(ELEMENTWISE) - ops)}"
    )
    for op, doms in ELEMENTWISE.items():
        assert len(doms) == n_operands(op), f"{op}: {len(doms)} domains"
    assert all(ELEMENTWISE_EXCLUDED.values()), "every exclusion says why"


# ---- 2. the axis sweep ---------------------------------------------------------------------


def _group_size(shape, axis):
    """How many elements go into one element of a reduction over `axis`."""
    if axis is None or shape == ():  # (NumPy reads an int axis of a 0-d array as None)
        return int(np.prod(shape))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return int(np.prod([shape[a] for a in axes]))


def axis_cases():
    """(function name, op, shape) for every generated function and every shape NumPy takes."""
    cases = []
    for op, variant, call, form, keepdims in axis_functions():
        name = _axis_name(variant, form, keepdims)
        for shape in SHAPES + EXTRA_SHAPES.get(op, []):
            try:
                with np.errstate(all="ignore"):
                    getattr(M, name)(np.ones(shape))
            except (ValueError, TypeError, IndexError, np.exceptions.AxisError):
                continue
            if op in ("std", "nanstd") and _group_size(shape, AXES[form]) == 1:
                continue  # std = 0 there: not differentiable (the rule gives nan, as JAX)
            cases.append(pytest.param(name, op, shape, id=f"{name}-{shape}"))
    return cases


AXIS_CASES = axis_cases()


@pytest.mark.parametrize("name, op, shape", AXIS_CASES)
def test_axis_rule(name, op, shape):
    rng = np.random.default_rng(zlib.crc32(f"{name}{shape}".encode()))
    x = rng.uniform(0.3, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    x = np.asarray(x.astype(np.float32).astype(np.float64))  # no ties, no zeros
    fn = getattr(M, name)
    g = grad_of(name, (0,))
    what = f"{name} of shape {shape}"
    grads = check_float64(fn, g, [x], (0,), what)
    check_float32(g, to_float32([x]), (0,), grads, what)


def test_axis_sweep_covers_the_table():
    ops = set(axis_ops())
    assert not set(AXIS_OPS) & set(AXIS_EXCLUDED)
    assert set(AXIS_OPS) | set(AXIS_EXCLUDED) == ops, (
        f"without a call: {sorted(ops - set(AXIS_OPS) - set(AXIS_EXCLUDED))}; "
        f"not ops with an axis and a rule: {sorted(set(AXIS_OPS) - ops)}"
    )
    assert all(AXIS_EXCLUDED.values()), "every exclusion says why"
    # every axis form of every op meets at least one shape NumPy takes
    seen = {(p.values[0]) for p in AXIS_CASES}
    for op, variant, call, form, keepdims in axis_functions():
        assert _axis_name(variant, form, keepdims) in seen, (op, form, keepdims)


@pytest.mark.parametrize("op", sorted(AXIS_OPS))
def test_axis_forms_are_numpys(op):
    """The forms an op is swept with are the ones NumPy takes for a rank-3 array."""
    variant, call = AXIS_OPS[op][0]
    x = np.ones((1, 1, 1) if op == "squeeze" else (2, 1, 3))
    for form, axis in AXES.items():
        text = call.format(axis=repr(axis), keepdims="").removeprefix("parts:")
        try:
            eval(text, {"np": np, "x": x})
            takes = True
        except (ValueError, TypeError, np.exceptions.AxisError):
            takes = False
        if takes and form in REFUSED_FORMS.get(op, ()):
            continue
        assert takes == (form in axis_forms(op)), f"{op}: axis {axis!r}"


@pytest.mark.parametrize("op", sorted(REFUSED_FORMS))
def test_refused_axis_forms_are_refused(op, tmp_path):
    """What NumPy takes and s2sgrad refuses (docs/limitations.md) is a located error."""
    variant, call = AXIS_OPS[op][0]
    for form in REFUSED_FORMS[op]:
        path = tmp_path / f"refused_{op}_{form}.py"
        path.write_text(
            _axis_source(op, variant, call, form, False).replace(
                "def ", "import numpy as np\n\n\ndef ", 1
            )
        )
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        fn = getattr(module, _axis_name(variant, form, False))
        with pytest.raises(s2sgrad.UnsupportedError, match=f"{path.name}:"):
            s2sgrad.grad(fn)(np.ones((2, 1, 3)))


def test_generated_functions_are_in_a_file():
    """s2sgrad reads the generated functions' source from the written module."""
    assert _FILE.read_text() == MODULE_TEXT
    assert M.ew_exp.__code__.co_filename == str(_FILE)
