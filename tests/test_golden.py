"""Golden cases: golden/<case>/{ir.txt,grad.py} are what s2sgrad makes of input.py.

Per case: (a) the files on disk are exactly what tools/regen_golden.py makes
(`--check`, in-process); (b) the generated grad.py computes the right
gradients, checked against float64 central differences of the input function
(or hand-computed values for the SPEC seed examples); (c) grad.py imports only
numpy (and math).
"""

import ast
import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numeric import central_difference

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import regen_golden as regen  # noqa: E402

from s2sgrad import cli  # noqa: E402
from s2sgrad.frontend import pytrees  # noqa: E402
from s2sgrad.frontend import source as S  # noqa: E402
from s2sgrad.frontend.lower import Static  # noqa: E402

CASES = regen.case_names()


def case_dir(case):
    return ROOT / regen.GOLDEN / case


def load(path, name):
    """Import a file as a module without writing __pycache__ into golden/."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    old, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = old
    return module


def modules(case):
    d = case_dir(case)
    if regen.parse_header((d / "input.py").read_text()).xp:
        pytest.importorskip("array_api_compat")  # (an --xp module's one import)
    return load(d / "input.py", f"golden_input_{case}"), load(d / "grad.py", f"golden_grad_{case}")


# ---- (a) the files are up to date ----------------------------------------------------


def test_there_are_cases():
    assert len(CASES) >= 24


@pytest.mark.parametrize("case", CASES)
def test_golden_up_to_date(case):
    diff = regen.diff_case(case)
    assert diff == "", f"golden/{case} is stale; run python tools/regen_golden.py\n{diff}"


def test_check_reports_missing_and_stale_files(tmp_path):
    src = case_dir("broadcast_outer")
    dst = tmp_path / regen.GOLDEN / "broadcast_outer"
    dst.mkdir(parents=True)
    (dst / "input.py").write_text((src / "input.py").read_text())
    (dst / "grad.py").write_text((src / "grad.py").read_text())
    (dst / "old.txt").write_text("left over\n")
    diff = regen.diff_case("broadcast_outer", root=tmp_path)
    assert "+++ b/golden/broadcast_outer/ir.txt" in diff  # missing: diffed from /dev/null
    assert "--- a/golden/broadcast_outer/old.txt" in diff  # stale: diffed to /dev/null
    assert "grad.py" not in diff
    regen.write_case("broadcast_outer", root=tmp_path)
    assert sorted(p.name for p in dst.iterdir()) == ["grad.py", "input.py", "ir.txt"]
    assert regen.diff_case("broadcast_outer", root=tmp_path) == ""
    (dst / "grad.py").write_text((src / "grad.py").read_text().replace("d_b", "d_bb"))
    diff = regen.diff_case("broadcast_outer", root=tmp_path)
    assert "-    d_bb = " in diff and "+    d_b = " in diff  # - on disk, + expected


def test_header_is_the_command_line():
    cmd = regen.parse_header(
        '# s2sgrad: emit f --wrt a,b\n# s2sgrad: --signature "x: float64[n, 3]"\n'
    )
    assert cmd == regen.Command("f", "a,b", "x: float64[n, 3]")
    assert regen.parse_header("# s2sgrad: emit f --wrt x --order 2\n").order == 2
    assert regen.parse_header("# s2sgrad: emit\nimport numpy\n") == regen.Command("")
    for bad in ("import numpy\n", "# s2sgrad: show f --ir\n", "# s2sgrad: emit f --stage dce\n"):
        with pytest.raises(regen.CaseError):
            regen.parse_header(bad)


def test_check_is_independent_of_hash_seed():
    env = dict(os.environ, PYTHONHASHSEED="12345")
    run = subprocess.run(
        [sys.executable, "tools/regen_golden.py", "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("case", CASES)
def test_no_absolute_paths(case):
    for name in regen.GENERATED:
        text = (case_dir(case) / name).read_text()
        assert str(ROOT) not in text and "/home/" not in text and "/tmp/" not in text


# ---- (c) standalone: numpy only ------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_imports_only_numpy(case):
    tree = ast.parse((case_dir(case) / "grad.py").read_text())
    if regen.parse_header((case_dir(case) / "input.py").read_text()).xp:
        # array-API code (--xp): its one import is array_namespace, never NumPy
        imports = [
            ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
        ]
        assert imports == ["from array_api_compat import array_namespace"], imports
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):  # (math's functions by name: `from math import sin`)
            if node.module != "math" or any(
                a.asname or not callable(getattr(math, a.name, None)) for a in node.names
            ):
                pytest.fail(f"grad.py has 'from {node.module} import ...'")
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert (alias.name, alias.asname) in {("numpy", "np"), ("math", None)}, (
                    f"grad.py imports {alias.name}"
                )


# ---- (b) the gradients are right ---------------------------------------------------------------


def close(actual, expected, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol, atol=atol)


def assert_owned(grads, inputs):
    """Each gradient array is its own: shares memory with no input and no other gradient."""
    arrays = [g for g in grads if isinstance(g, np.ndarray)]
    for i, g in enumerate(arrays):
        assert g.flags.writeable
        for other in arrays[i + 1 :] + [x for x in inputs if isinstance(x, np.ndarray)]:
            assert not np.shares_memory(g, other)


# Inputs for plain (grad_FUNC) cases: drawn from the signature; these adjust the draw.
POSITIVE = {"div_pow_broadcast", "cf_while"}
SHAPES = {"unknown_rank": {"x": (2, 3), "a": (3,), "c": (2, 1)}}


def plain_inputs(case, parsed, types_, rng):
    sizes = {}
    args = []

    def draw(name, t):
        if isinstance(t, Static):
            return t.value
        if isinstance(t, pytrees.Tree):
            return pytrees.unflatten(t.treedef, [draw(None, x) for x in t.leaves])
        shape = SHAPES.get(case, {}).get(name)
        if shape is None:
            shape = tuple(
                d if isinstance(d, int) else sizes.setdefault(d, 2 + len(sizes)) for d in t.shape
            )
        if np.dtype(t.dtype).kind in "iub":
            value = rng.integers(0, 4, size=shape).astype(t.dtype)
        elif case in POSITIVE:
            value = rng.uniform(0.5, 1.5, size=shape).astype(t.dtype)
        else:
            value = rng.standard_normal(shape).astype(t.dtype)
        return (
            (int(value) if np.dtype(t.dtype).kind in "iub" else float(value))
            if t.weak
            else value[()]
            if shape == ()
            else value
        )

    for name in _params(parsed):
        args.append(draw(name.id, types_[name.id]))
    return args


def _function(inp, cmd):
    """The case's function: FUNC of input.py, or the method OBJECT.METHOD bound to its
    module-level object."""
    f = inp
    for part in cmd.func.split("."):
        f = getattr(f, part)
    return f


def _parsed(case, inp, cmd):
    if "." in cmd.func:
        return S.from_function(_function(inp, cmd))
    return S.from_file(str(case_dir(case) / "input.py"), cmd.func)


def _params(parsed):
    """The parameters the generated function takes (a bound method's self is its object)."""
    args = parsed.node.args.args
    return args[1:] if getattr(parsed, "bound_self", None) is not None else args


def _copy(a):
    return (
        pytrees.map_leaves(np.copy, a)
        if pytrees.is_tree(a)
        else np.copy(a)
        if isinstance(a, np.ndarray)
        else a
    )


def _leaves(a):
    return pytrees.flatten(a)[1] if pytrees.is_tree(a) else [a]


def check_plain(case, inp, grad):
    """grad_FUNC against central differences of FUNC, for each --wrt parameter (leaf by
    leaf for a pytree: its gradient has its structure, None for int leaves)."""
    cmd = regen.parse_header((case_dir(case) / "input.py").read_text())
    parsed = _parsed(case, inp, cmd)
    types_ = cli.arg_types(parsed, cmd.signature)
    wrt = cli.request_for(parsed, types_, cmd.wrt).wrt
    args = plain_inputs(case, parsed, types_, np.random.default_rng(0))
    names = [a.id for a in _params(parsed)]
    result = getattr(grad, "grad_" + cmd.func.split(".")[-1])(*[_copy(a) for a in args])
    result = result if len(wrt) != 1 else (result,)
    assert len(result) == len(wrt)
    assert_owned(
        [leaf for g in result for leaf in _leaves(g)], [leaf for a in args for leaf in _leaves(a)]
    )
    f = _function(inp, cmd)
    check_value(f, args, wrt)
    for name, g in zip(wrt, result):
        x = args[names.index(name)]
        k = names.index(name)
        if pytrees.is_tree(x):
            treedef, leaves = pytrees.flatten(x)
            assert pytrees.flatten(g)[0] == treedef, name
            for j, (leaf, gl) in enumerate(zip(leaves, pytrees.flatten(g)[1])):
                if (
                    isinstance(leaf, (bool, int, str))
                    or leaf is None
                    or np.asarray(leaf).dtype.kind != "f"
                ):
                    assert gl is None, (name, j)
                    continue

                def at_leaf(v, j=j, treedef=treedef, leaves=leaves):
                    moved = list(args)
                    moved[k] = pytrees.unflatten(
                        treedef, [v if i == j else _copy(u) for i, u in enumerate(leaves)]
                    )
                    return f(*moved)

                assert np.shape(gl) == np.shape(leaf), (name, j)
                close(gl, central_difference(at_leaf, [leaf], 0))
            continue
        assert np.shape(g) == np.shape(x), name
        single = np.asarray(x).dtype == np.float32
        if single:
            assert np.asarray(g).dtype == np.float32, name
        in64 = [
            a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
            for a in args
        ]  # the reference in float64, also for float32 inputs
        close(
            g,
            central_difference(f, in64, names.index(name)),
            rtol=2e-3 if single else 1e-6,
            atol=1e-4 if single else 1e-8,
        )


def check_forward(case, inp, grad):
    """jvp_FUNC (--mode fwd) against central differences of FUNC along random tangents of
    the --wrt parameters; its value is FUNC's."""
    cmd = regen.parse_header((case_dir(case) / "input.py").read_text())
    parsed = _parsed(case, inp, cmd)
    types_ = cli.arg_types(parsed, cmd.signature)
    wrt = cli.request_for(parsed, types_, cmd.wrt, mode="fwd").wrt
    args = plain_inputs(case, parsed, types_, np.random.default_rng(0))
    names = [a.id for a in _params(parsed)]
    rng = np.random.default_rng(1)

    def dot(a):
        if isinstance(a, (bool, int, str)) or a is None:
            return None
        return float(rng.normal()) if isinstance(a, float) else rng.normal(size=np.shape(a))

    dots = [pytrees.map_leaves(dot, args[names.index(n)]) for n in wrt]
    f = _function(inp, cmd)
    out, tangent = getattr(grad, "jvp_" + cmd.func.split(".")[-1])(*[_copy(a) for a in args], *dots)
    close(out, f(*[_copy(a) for a in args]), rtol=1e-12, atol=1e-14)

    def moved_by(a, d, t):
        treedef, leaves = pytrees.flatten(a)
        return pytrees.unflatten(
            treedef, [u if e is None else u + t * e for u, e in zip(leaves, pytrees.flatten(d)[1])]
        )

    def along(t):
        moved = list(args)
        for n, d in zip(wrt, dots):
            moved[names.index(n)] = moved_by(args[names.index(n)], d, t)
        return np.asarray(f(*moved), dtype=float)

    eps = 1e-6
    close(tangent, (along(eps) - along(-eps)) / (2 * eps), rtol=1e-6, atol=1e-8)


def check_value(f, args, wrt):
    """The value the generated code computes (value_and_grad) is plain Python's."""
    import s2sgrad

    copies = [_copy(a) for a in args]
    value, _ = s2sgrad.value_and_grad(f, wrt=tuple(wrt))(*copies)
    close(value, f(*[_copy(a) for a in args]), rtol=1e-12, atol=1e-14)


def check_spec_example(inp, grad):
    assert grad.example() == [1.0, 1.0]


def check_spec_total(inp, grad):
    assert grad.total() == [3.0, 1.0]


def check_spec_stopped(inp, grad):
    assert grad.stopped() == [1.0, 1.0]


def check_spec_unconnected_zero(inp, grad):
    (g,) = grad.unconnected(True)
    assert g.shape == (1, 2) and g.dtype == np.float64 and not g.any()


def check_spec_unconnected_none(inp, grad):
    assert grad.unconnected(False) == [None]


def check_spec_backprop(inp, grad):
    assert grad.backprop() == (3.0, 1.0)


def _check_energy(inp, grad):
    x = np.random.default_rng(1).standard_normal(5)

    def energy(x):
        u = np.sin(x)
        return np.sum(u * u + np.exp(u) + 3.0 * u + np.cos(u))

    e, d_x = grad.energy(x.copy())
    close(e, energy(x))
    close(d_x, central_difference(energy, [x], 0))
    u = np.sin(x)
    close(d_x, (2 * u + np.exp(u) + 3.0 - np.sin(u)) * np.cos(x), rtol=1e-12)


check_aggregation_add_n = check_aggregation_tree = check_aggregation_accumulate_n = _check_energy


def check_gate_gradients(inp, grad):
    rng = np.random.default_rng(2)
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)

    def loss(x, W, b):
        z = x @ W + b
        return np.sum(z * z)

    d_W, d_b = grad.affine_grads(x, W, b)
    close(d_W, central_difference(loss, [x, W, b], 1))
    close(d_b, central_difference(loss, [x, W, b], 2))


def check_named_gradients(inp, grad):
    rng = np.random.default_rng(3)
    X, w, y, lam = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(5), 0.3

    def loss(X, w, y, lam):
        r = X @ w - y
        return 0.5 * np.sum(r * r) + lam * np.sum(w * w)

    value, d_w = grad.ridge(X, w, y, lam)
    close(value, loss(X, w, y, lam))
    close(d_w, central_difference(loss, [X, w, y, lam], 1))


def check_grad_ys(inp, grad):
    rng = np.random.default_rng(4)
    x, W, g = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal((4, 2))

    def weighted(x, W):
        return np.sum(g * np.tanh(x @ W))

    d_x, d_W = grad.layer_vjp(x, W, g)
    close(d_x, central_difference(weighted, [x, W], 0))
    close(d_W, central_difference(weighted, [x, W], 1))


def check_stop_gradients_intermediate(inp, grad):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal(4), rng.standard_normal(4)

    def z(x, y, h):  # h independent of x and y: partial derivatives
        return np.sum(h * x + np.sin(y))

    d_x, d_y, d_h = grad.partial(x, y)
    args = [x, y, x * y]
    for i, d in enumerate((d_x, d_y, d_h)):
        close(d, central_difference(z, args, i))


def check_stop_gradient_call(inp, grad):
    rng = np.random.default_rng(6)
    w, phi, phi_next, r = (
        rng.standard_normal(3),
        rng.standard_normal((5, 3)),
        rng.standard_normal((5, 3)),
        rng.standard_normal(5),
    )
    gamma = 0.9
    target = r + gamma * (phi_next @ w)  # constant: the semi-gradient

    def loss(w):
        return 0.5 * np.mean((target - phi @ w) ** 2)

    value, d_w = grad.td_loss(w, phi, phi_next, r, gamma)
    close(value, loss(w))
    close(d_w, central_difference(loss, [w], 0))


def check_integer_constant(inp, grad):
    x, counts = np.array([0.5, -1.0, 2.0]), np.array([1, 0, 3])
    d_x, d_w, d_counts = grad.weighted(x, counts)
    close(d_x, 2.0 * counts, rtol=0)
    assert d_x.dtype == np.float64
    assert d_w is None and d_counts is None


def check_second_order(inp, grad):
    x = np.random.default_rng(7).standard_normal(4)
    dy, d2y = grad.cube_curvature(x)
    close(dy, 3 * x**2, rtol=1e-12)
    close(d2y, 6 * x, rtol=1e-12)
    close(d2y, central_difference(lambda x: np.sum(grad.cube_curvature(x)[0]), [x], 0))


def check_decorated_module(inp, grad):
    rng = np.random.default_rng(8)
    r, delta = 2 * rng.standard_normal(6), 1.0

    def huber(r):
        a = np.abs(r)
        quad = np.minimum(a, delta)
        return np.sum(0.5 * quad**2 + delta * (a - quad))

    (d_r,) = grad.huber_grad(r, delta)
    close(d_r, central_difference(huber, [r], 0))
    close(d_r, np.clip(r, -delta, delta), rtol=1e-12)

    pred, y = rng.standard_normal(5), rng.standard_normal(5)

    def rmse(pred, y):
        return np.sqrt(np.mean((pred - y) ** 2))

    d_pred, d_y = grad.rmse_grad(pred, y)
    close(d_pred, central_difference(rmse, [pred, y], 0))
    close(d_y, central_difference(rmse, [pred, y], 1))


def check_shared_adjoint(inp, grad):
    rng = np.random.default_rng(9)
    a, b, w = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(4)

    def f(a, b, w):
        return np.sum(np.tanh(a + b) * w)

    grads = grad.mix_grads(a, b, w)
    assert_owned(grads, [a, b, w])
    for i, g in enumerate(grads):
        close(g, central_difference(f, [a, b, w], i))


def check_second_order_grad_grad(inp, grad):
    rng = np.random.default_rng(10)
    w, x = 0.4, rng.standard_normal(6)
    d2 = grad.grad_grad_logistic_nll(w, x)
    assert type(d2) is float
    sig = 1 / (1 + np.exp(-w * x))
    close(d2, np.sum(x * x * sig * (1 - sig)), rtol=1e-12)

    def slope(w):
        return -np.sum(x / (1 + np.exp(w * x)))

    close(slope(w), central_difference(inp.logistic_nll, [w, x], 0))
    close(d2, central_difference(slope, [w], 0))


def check_second_order_helper(inp, grad):
    rng = np.random.default_rng(13)
    k, x = 0.7, rng.standard_normal(5)
    d2 = grad.grad_grad_energy(k, x)
    assert type(d2) is float

    def s1(c):  # spring'(c), spring''(c)
        return np.sum(x * x * (1 - c) * np.exp(-c))

    def s2(c):
        return np.sum(x * x * (c - 2) * np.exp(-c))

    close(d2, s2(k) + 2 * s1(k * k) + 4 * k * k * s2(k * k), rtol=1e-12)

    def slope(k):
        return central_difference(inp.energy, [k, x], 0)

    close(d2, central_difference(slope, [k], 0, eps=1e-4), rtol=1e-5)


def check_second_order_loop(inp, grad):
    rng = np.random.default_rng(14)
    x, c = 0.6, rng.uniform(-1.2, 1.2, 5)
    d2 = grad.grad_grad_chain(x, c)
    assert type(d2) is float
    P = [np.prod(c[t + 1 :]) for t in range(5)]  # s = sin(x) P0' + x sum_t t P[t]
    a, b = np.prod(c), sum(t * P[t] for t in range(5))
    s, ds, d2s = np.sin(x) * a + x * b, np.cos(x) * a + b, -np.sin(x) * a
    close(d2, 2 * ds * ds + 2 * s * d2s, rtol=1e-12)

    def slope(x):
        return central_difference(inp.chain, [x, c], 0)

    close(d2, central_difference(slope, [x], 0, eps=1e-4), rtol=1e-5)


def check_hvp(inp, grad):
    rng = np.random.default_rng(11)
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    p = np.exp(x) / np.sum(np.exp(x))
    close(grad.hvp(x, v), (np.diag(p) - np.outer(p, p)) @ v, rtol=1e-12)

    def lse_slope_dot_v(x):
        return np.sum(np.exp(x) / np.sum(np.exp(x)) * v)

    close(grad.hvp(x, v), central_difference(lse_slope_dot_v, [x], 0))


def check_index_second_order(inp, grad):
    rng = np.random.default_rng(12)
    x, v = rng.standard_normal(4), rng.standard_normal(4)

    def y(x):
        return np.sum(np.sin(x[[0, 2, 2]]) * x[1:])

    def dv(x):  # the directional derivative d . v, by central differences
        return np.sum(central_difference(y, [x], 0) * v)

    d, h = grad.hvp(x.copy(), v)
    close(d, central_difference(y, [x], 0))
    expected = np.zeros(4)  # by hand: d = scatter of cos(x[i]) x[1:] at i, plus sin(x[i]) at 1:
    np.add.at(expected, [0, 2, 2], np.cos(x[[0, 2, 2]]) * x[1:])
    expected[1:] += np.sin(x[[0, 2, 2]])
    close(d, expected, rtol=1e-12)
    close(h, central_difference(dv, [x], 0, eps=1e-4), rtol=1e-4, atol=1e-6)


def check_assigned_in_while(inp, grad):
    """The read after the loop: the gradient through the last trip's value, and Python's
    UnboundLocalError when the loop's test is false before it."""
    x = np.array([0.3, -0.1, 0.5])
    close(grad.grad_f(x.copy()), central_difference(inp.f, [x], 0))
    with pytest.raises(UnboundLocalError, match="'z'"):
        inp.f(-x)
    with pytest.raises(UnboundLocalError, match="'z'"):
        grad.grad_f(-x)


def check_add_at(inp, grad):
    """Repeated indices add up (np.add.at is unbuffered); gradients against differences."""
    rng = np.random.default_rng(5)
    E, w, idx = rng.standard_normal((4, 3)), rng.standard_normal(3), np.array([1, 1, 3, 0, 1])
    d_E, d_w = grad.grad_embed(E.copy(), w.copy(), idx)
    close(d_E, central_difference(inp.embed, [E, w, idx], 0))
    close(d_w, central_difference(inp.embed, [E, w, idx], 1))


def check_index_after_loop(inp, grad):
    """The loop indices read after their loops: the last index (after `break` too), and
    UnboundLocalError, as Python raises it, when a loop runs no time."""
    rng = np.random.default_rng(13)
    for n in range(5):
        x = rng.standard_normal(4) * 0.5
        try:
            inp.f(x.copy(), n)
        except UnboundLocalError as e:
            assert n < 2
            with pytest.raises(UnboundLocalError, match=str(e).split(" where")[0]):
                grad.grad_f(x.copy(), n)
            continue
        close(grad.grad_f(x.copy(), n), central_difference(inp.f, [x, n], 0))


def check_default_args(inp, grad):
    """grad_loss keeps loss's defaults: called with x alone, it is the gradient of loss(x)."""
    x = np.random.default_rng(14).standard_normal(5)
    dx, dscale = grad.grad_loss(x.copy())
    close(dx, central_difference(inp.loss, [x], 0))
    close(dscale, central_difference(lambda s: inp.loss(x, s), [2.0], 0))
    assert grad.grad_loss.__defaults__ == inp.loss.__defaults__


@pytest.mark.parametrize("case", CASES)
def test_gradients_are_right(case):
    inp, grad = modules(case)
    check = globals().get("check_" + case)
    cmd = regen.parse_header((case_dir(case) / "input.py").read_text())
    if check is None:
        parsed = _parsed(case, inp, cmd) if cmd.func else None
        assert parsed is not None and not S.is_decorated(parsed.node, parsed.resolver), (
            f"golden/{case} expands @s2sgrad.function: write check_{case} in this file"
        )
        (check_forward if cmd.mode == "fwd" else check_plain)(case, inp, grad)
    else:
        check(inp, grad)


def test_names_do_not_depend_on_the_session(tmp_path):
    """A REPL or doctest binds builtins._ and IPython binds display: generated names are
    the same there as in a script (a loop counter is `_`, not `__1`). Run where both
    are bound before s2sgrad is imported."""
    script = (
        "import builtins, sys\n"
        "builtins._ = 1\n"
        "builtins.display = print\n"
        "from s2sgrad import cli\n"
        "sys.stdout.write(cli.emit_text('golden/cf_while/input.py::sqrt_newton', wrt='a',"
        " signature='a: float64[n]'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    with open(os.path.join(ROOT, "golden", "cf_while", "grad.py"), encoding="utf-8") as f:
        assert out.stdout == f.read()
