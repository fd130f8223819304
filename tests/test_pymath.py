"""passes/pymath.py: `math` for Python floats, where it changes nothing but the time.

What it relies on is checked here on the machine that runs the tests: math.<name> gives
NumPy's float64 value bit for bit wherever it gives one (`OPS[op].math`, but for the
ops that round differently, `math_rounds`, which only gradients read), and a function
whose math raises gives NumPy's value (and warning), its NumPy twin's. Then that the
generated code keeps its values, types and errors where a Python float would behave
differently from a NumPy float64."""

import builtins
import importlib.util
import math
import re
import sys
import warnings

import numpy as np
import pytest

import s2sgrad
from s2sgrad import cli
from s2sgrad.ir.opcodes import OPS
from s2sgrad.passes import pymath

MATH_OPS = sorted(name for name, d in OPS.items() if d.math and not d.math_rounds)


def _inputs():
    rng = np.random.default_rng(7)
    edges = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        1e-300,
        5e-324,
        -5e-324,
        1e300,
        -1e300,
        709.0,
        709.78,
        710.0,
        -745.2,
        -746.0,
        1023.9,
        1024.0,
        math.pi,
        -math.pi,
        math.inf,
        -math.inf,
        math.nan,
        1.0 - 1e-16,
        -1.0 + 1e-16,
        1.0 + 1e-15,
    ]
    sample = np.concatenate(
        [
            rng.standard_normal(3000),
            rng.standard_normal(3000) * 50,
            np.exp(rng.uniform(-700, 700, 3000)) * rng.choice([-1, 1], 3000),
            rng.uniform(-1.0, 1.0, 3000),
        ]
    )
    return edges + sample.tolist()


INPUTS = _inputs()


def _same(a, b):
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b) or a != a and b != b


@pytest.mark.parametrize("opcode", MATH_OPS)
def test_math_gives_numpys_value_wherever_it_gives_one(opcode):
    name, raises = OPS[opcode].math
    f, g = getattr(math, name), getattr(np, opcode)
    exceptions = tuple(
        getattr(__builtins__, e) if isinstance(__builtins__, type(sys)) else __builtins__[e]
        for e in raises
    )
    with np.errstate(all="ignore"):
        for x in INPUTS:
            want = g(x)
            try:
                got = f(x)
            except exceptions:
                assert not np.isfinite(want), (
                    f"math.{name}({x!r}) raises; np.{opcode} gives {want!r}"
                )
                continue
            assert type(got) is float
            assert _same(got, float(want)), f"math.{name}({x!r}) = {got!r}, np.{opcode}: {want!r}"


@pytest.mark.parametrize("opcode", [o for o in MATH_OPS if OPS[o].math[1]])
def test_where_math_raises_the_function_is_its_numpy_twin(opcode, tmp_path, monkeypatch):
    path = tmp_path / f"uses_{opcode}.py"
    path.write_text(f"import numpy as np\n\n\ndef f(x):\n    return float(np.{opcode}(x) * 2.0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location(f"uses_{opcode}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    f = s2sgrad.function(module.f)
    for x in [math.inf, -math.inf, math.nan, -1.0, 0.0, -2.0, 710.0, 1e300, 0.5]:
        got, got_warnings = _call(f, (x,))
        want, want_warnings = _call(lambda v: float(getattr(np, opcode)(v) * 2.0), (x,))
        assert type(got) is type(want) and _same(float(got), float(want)), (opcode, x)
        assert set(got_warnings) <= set(want_warnings)  # (Python's * gives inf silently)
        assert [w for w in got_warnings if "multiply" not in w] == [
            w for w in want_warnings if "multiply" not in w
        ]
    assert "_f_numpy" in s2sgrad.source(f)


@pytest.mark.parametrize("opcode", sorted(n for n, d in OPS.items() if d.math and d.math_rounds))
def test_math_that_rounds_differently_is_within_a_few_ulps(opcode):
    name, raises = OPS[opcode].math
    f, g = getattr(math, name), getattr(np, opcode)
    exceptions = tuple(getattr(builtins, e) for e in raises)
    with np.errstate(all="ignore"):
        for x in INPUTS:
            want = float(g(x))
            try:
                got = f(x)
            except exceptions:
                assert not np.isfinite(want), (x, want)
                continue
            assert _same(got, want) or abs(got - want) <= 4 * math.ulp(want), (x, got, want)


# ---- the generated code ----------------------------------------------------------


def smooth(x, y):
    a = np.sin(x) * np.cos(y)
    return a * np.exp(-y * y) + np.arctan(x)


def test_python_floats_are_written_with_math():
    g = s2sgrad.grad(smooth, wrt=(0, 1))
    d_x, d_y = g(0.3, -0.7)
    text = s2sgrad.source(g)
    assert "from math import cos, exp, sin\n" in text and " sin(x)" in text and "atan(" not in text
    assert "import math\n" not in text  # (every math function by its name)
    assert "return _grad_smooth_numpy(x, y)" in text
    assert type(d_x) is float and type(d_y) is float
    a = math.sin(0.3) * math.cos(-0.7)
    b = math.exp(-0.49)
    assert d_x == pytest.approx(math.cos(0.3) * math.cos(-0.7) * b + 1 / 1.09, rel=1e-14)
    assert d_y == pytest.approx(-math.sin(0.3) * math.sin(-0.7) * b + a * b * 1.4, rel=1e-14)


def shadowing(sin, x):
    cos = np.cos(x) * sin
    return np.sin(cos) + np.exp(x)


def test_math_functions_are_imported_by_name_unless_a_name_is_taken():
    g = s2sgrad.grad(shadowing, wrt=(0, 1))
    d_sin, d_x = g(0.3, 0.7)
    text = s2sgrad.source(g)
    # sin is a parameter: math.sin; cos a local variable, renamed: cos_1
    assert "from math import cos, exp\nimport math\n" in text
    assert "math.sin(x)" in text and "cos_1 = " in text and " cos(cos_1)" in text
    c = math.cos(0.7) * 0.3
    assert d_sin == pytest.approx(math.cos(c) * math.cos(0.7), rel=1e-14)
    assert d_x == pytest.approx(math.exp(0.7) - math.cos(c) * 0.3 * math.sin(0.7), rel=1e-14)


def _unmarked(monkeypatch, request, fn, args):
    """What the module written without passes/pymath gives (values, types, warnings)."""
    with monkeypatch.context() as m:
        m.setattr(pymath, "run", lambda f: f)
        return _call(request(fn), args)


def _call(f, args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = f(*args)
    return out, [str(w.message) for w in caught]


def _identical(a, b):
    if isinstance(a, tuple):
        return type(b) is tuple and len(a) == len(b) and all(map(_identical, a, b))
    return (
        type(a) is type(b)
        and np.shape(a) == np.shape(b)
        and np.result_type(a) == np.result_type(b)
        and all(_same(float(x), float(y)) for x, y in zip(np.ravel(a), np.ravel(b)))
    )


@pytest.mark.parametrize(
    "args",
    [(np.float64(0.3), np.float64(-0.7)), (np.array(0.3), np.array(-0.7)), (0.3, np.float32(-0.7))],
)
def test_numpy_scalars_and_arrays_get_what_they_got(monkeypatch, args):
    def request(fn):
        return s2sgrad.grad(fn, wrt=(0, 1))

    assert _identical(
        _call(request(smooth), args)[0], _unmarked(monkeypatch, request, smooth, args)[0]
    )


def overflow(x):
    return np.exp(x) * 2.0


def not_finite(x):
    return np.sin(x) * 3.0


def test_where_math_raises_numpy_gives_its_value_and_warning():
    with pytest.warns(RuntimeWarning, match="overflow"):
        assert s2sgrad.grad(overflow)(1000.0) == math.inf
    assert " exp(x)" in s2sgrad.source(s2sgrad.grad(overflow), 1.0)
    with pytest.warns(RuntimeWarning, match="invalid"):
        assert math.isnan(s2sgrad.grad(not_finite)(math.inf))


def reciprocal(x):
    return 1.0 / np.sin(x)


def promoted(x, v):
    return np.sum(v * np.cos(x))


def compared(x):
    c = np.exp(x)
    if c > 2.0:
        c = c * 2.0
    return c


def no_twin(x, y):
    c = np.tanh(x * y)
    return c * c + np.maximum(x, y) * 2.0


def no_twin_divisor(x, y):
    c = np.tanh(x * y)
    return c * c - 1.0 / c


def test_tanh_is_maths_only_where_the_result_does_not_read_it():
    g = s2sgrad.grad(no_twin, wrt=(0, 1))
    g(0.5, 0.25)
    assert " tanh(x * y)" in s2sgrad.source(g)  # (a gradient alone reads it)
    g = s2sgrad.value_and_grad(no_twin, wrt=(0, 1))
    g(0.5, 0.25)
    assert "c = np.tanh(x * y)" in s2sgrad.source(g)  # (the value is NumPy's)
    g = s2sgrad.grad(no_twin_divisor, wrt=(0, 1))
    g(0.5, 0.25)
    body = s2sgrad.source(g).split("return")[0]
    assert all(  # (float() only of a gradient handed back: no NumPy function wrapped)
        re.match(r"\s*d_\w+ = float\(", line) for line in body.splitlines() if "float(" in line
    )
    assert "float(np." not in body


CASES = [
    (no_twin, (0.5, 0.25)),
    (no_twin, (math.inf, 1.0)),
    (no_twin_divisor, (0.0, 1.0)),
    (no_twin_divisor, (0.5, 0.25)),
    (reciprocal, (0.0,)),
    (reciprocal, (1.0,)),
    (promoted, (0.5, np.ones(3, np.float32))),
    (compared, (1.0,)),
    (compared, (0.1,)),
    (smooth, (0.3, -0.7)),
    (overflow, (800.0,)),
    (not_finite, (-math.inf,)),
    (smooth, (math.nan, 1.0)),
]


@pytest.mark.parametrize("fn, args", CASES)
@pytest.mark.parametrize("kind", ["grad", "value_and_grad"])
def test_what_the_unmarked_module_gives(monkeypatch, fn, args, kind):
    def request(f):
        return getattr(s2sgrad, kind)(f, wrt=tuple(range(len(args))))

    got, got_warnings = _call(request(fn), args)
    want, want_warnings = _unmarked(monkeypatch, request, fn, args)
    if kind == "grad" and fn in (no_twin, no_twin_divisor):  # (math.tanh: the gradient
        assert type(got) is type(want) and np.allclose(got, want, rtol=1e-13, equal_nan=True)
    else:  # may round differently)
        assert _identical(got, want)
    # (Python's float arithmetic makes inf and nan without NumPy's RuntimeWarning:
    # warnings may be dropped, never added; docs/architecture.md)
    assert set(got_warnings) <= set(want_warnings)
    if kind == "value_and_grad":
        value, _ = _call(fn, args)
        assert _identical(got[0], value)


def test_a_generated_module_reads_back(tmp_path, monkeypatch):
    """grad of a generated module's function: its helpers read back as the ops."""
    path = tmp_path / "smooth_grad.py"
    path.write_text(cli.emit_text(f"{__file__}::smooth", wrt="x", signature="x: float, y: float"))
    assert " cos(" in path.read_text() and "_grad_smooth_numpy" in path.read_text()
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location("smooth_grad", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    second = s2sgrad.grad(module.grad_smooth)(0.3, -0.7)
    want = -math.sin(0.3) * math.cos(-0.7) * math.exp(-0.49) - 2 * 0.3 / 1.09**2
    assert second == pytest.approx(want, rel=1e-12)
