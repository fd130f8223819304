"""Array-API code (`s2sgrad emit --xp`, `grad(f, xp=True)`; codegen_xp.py): the same
gradients on NumPy, array_api_strict and Dask arrays (and on a dask.distributed cluster),
each equal to the NumPy module's, in the input's library; a Dask input gives a lazy Dask
result. CuPy is tested only where it is installed (a GPU)."""

import ast
import os
import sys

import numpy as np
import pytest

pytest.importorskip("array_api_compat")
xs = pytest.importorskip("array_api_strict")
da = pytest.importorskip("dask.array")

import s2sgrad  # noqa: E402
from s2sgrad import cli  # noqa: E402
from s2sgrad.errors import InvalidArgumentError, UnsupportedError  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import workloads as W  # noqa: E402


def _np(a):
    """a as a NumPy array: a Dask array computed, a strict array converted."""
    if hasattr(a, "compute"):
        a = a.compute()
    return np.asarray(a) if not isinstance(a, float) else a


def _close(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(_np(g), w, rtol=1e-12, atol=1e-12)


def mlp_args(n=96, d=5, h=8, k=3):
    rng = np.random.default_rng(0)
    labels = np.eye(k)[rng.integers(0, k, n)]
    return [rng.standard_normal(s) for s in [(n, d), (d, h), (h,), (h, k), (k,)]] + [labels]


def _dask(a, rows=32):
    """a as a Dask array chunked by rows (a scalar or a short vector in one chunk)."""
    return da.from_array(
        a, chunks=(rows,) + a.shape[1:] if a.ndim and a.shape[0] > rows else a.shape
    )


LIBRARIES = {"numpy": lambda a: a.copy(), "array_api_strict": xs.asarray, "dask": _dask}


def cumprod_rows(x):
    return np.sum(np.sin(np.cumprod(x, axis=1))) + np.sum(np.cumprod(x[0]) ** 2)


@pytest.mark.parametrize("library", sorted(LIBRARIES))
@pytest.mark.parametrize("n", [1, 2, 5, 17])
def test_cumprod_scan_in_array_api_code(library, n):
    """cumprod's rules are a linear scan (rules/scan.py), written _linear_scan(xp, ...)
    in array-API code: equal to the NumPy module's, zeros included, for lengths that
    are and are not powers of two (the standard has no slice past the end)."""
    x = np.random.default_rng(n).standard_normal((3, n))
    x[1, n // 2] = 0.0
    want = s2sgrad.grad(cumprod_rows)(x)
    got = s2sgrad.grad(cumprod_rows, xp=True)(LIBRARIES[library](x))
    assert library != "dask" or isinstance(got, da.Array)
    np.testing.assert_allclose(_np(got), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("library", sorted(LIBRARIES))
@pytest.mark.parametrize("workload", ["mlp", "logsumexp"])
def test_workload_gradients_equal_numpy(workload, library):
    args = mlp_args() if workload == "mlp" else [np.random.default_rng(1).standard_normal((80, 7))]
    f = getattr(W, workload)
    wrt = tuple(range(len(args)))
    want = s2sgrad.grad(f, wrt=wrt)(*[a.copy() for a in args])
    given = [LIBRARIES[library](a) for a in args]
    got = s2sgrad.grad(f, wrt=wrt, xp=True)(*given)
    for g in got:  # arrays of the input's library
        assert type(g) is type(given[0]), (type(g), type(given[0]))
    _close(got, want)


def test_dask_gives_a_lazy_result_over_several_chunks():
    args = mlp_args(n=96)
    given = [_dask(a) for a in args]
    assert given[0].numblocks[0] == 3  # (bigger than one chunk)
    got = s2sgrad.grad(W.mlp, wrt=(1, 2, 3, 4), xp=True)(*given)
    assert all(isinstance(g, da.Array) for g in got)  # nothing computed yet
    want = s2sgrad.grad(W.mlp, wrt=(1, 2, 3, 4))(*args)
    _close(da.compute(*got), want)


def test_dask_distributed_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    args = mlp_args(n=64)
    want = s2sgrad.grad(W.mlp, wrt=(1, 3))(*args)
    import dask

    # (its scratch space in tmp_path, not in the system's temporary directory)
    with dask.config.set({"temporary-directory": str(tmp_path)}):
        cluster = distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            local_directory=str(tmp_path),
        )
        try:
            with distributed.Client(cluster) as client:
                got = s2sgrad.grad(W.mlp, wrt=(1, 3), xp=True)(*[_dask(a) for a in args])
                assert all(isinstance(g, da.Array) for g in got)
                futures = client.compute(list(got))
                _close(client.gather(futures), want)
                x = np.random.default_rng(2).standard_normal((64, 5))
                (g,) = [client.compute(s2sgrad.grad(W.logsumexp, xp=True)(_dask(x))).result()]
                np.testing.assert_allclose(g, s2sgrad.grad(W.logsumexp)(x), rtol=1e-12, atol=1e-12)
        finally:
            cluster.close()


def test_cupy_where_a_gpu_is_present():
    cp = pytest.importorskip("cupy")
    x = np.random.default_rng(3).standard_normal((16, 4))
    g = s2sgrad.grad(W.logsumexp, xp=True)(cp.asarray(x))
    assert isinstance(g, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(g), s2sgrad.grad(W.logsumexp)(x), rtol=1e-12)


@pytest.mark.parametrize("library", ["array_api_strict", "dask"])
def test_value_and_grad_vjp_jvp(library):
    conv = LIBRARIES[library]
    x = np.random.default_rng(4).standard_normal((40, 6))
    v0, g0 = s2sgrad.value_and_grad(W.logsumexp)(x)
    v, g = s2sgrad.value_and_grad(W.logsumexp, xp=True)(conv(x))
    np.testing.assert_allclose(_np(v), v0, rtol=1e-12)
    _close([g], [g0])

    out, vjp_fn = s2sgrad.vjp(W.logsumexp, conv(x), xp=True)
    np.testing.assert_allclose(_np(out), v0, rtol=1e-12)
    seed = conv(np.array(2.0))
    (gv,) = vjp_fn(seed)
    _close([gv], [2.0 * g0])

    t = np.random.default_rng(5).standard_normal(x.shape)
    o, dot = s2sgrad.jvp(W.logsumexp, (conv(x),), (conv(t),), xp=True)
    o0, dot0 = s2sgrad.jvp(W.logsumexp, (x,), (t,))
    np.testing.assert_allclose(_np(o), o0, rtol=1e-12)
    np.testing.assert_allclose(_np(dot), dot0, rtol=1e-12, atol=1e-12)
    if library == "dask":
        assert all(isinstance(a, da.Array) for a in (v, g, out, gv, o, dot))


# A sample of the rules table's cases (tests/rules_cases.py): elementwise, reductions,
# broadcasting, matmul, shapes, indexing, where/clip/max masks, loops; on array_api_strict
# (which refuses what the standard lacks) against the NumPy module.
SAMPLE = [
    "exp",
    "log1p",
    "tanh",
    "arcsin",
    "logsumexp",
    "maximum_col_row",
    "clip",
    "where",
    "pow_col_row",
    "dot_matrix_vector",
    "dot_vector_vector",
    "sum_axis_tuple",
    "mean_keepdims",
    "max_axis_ties",
    "prod_axis",
    "var_axis_ddof",
    "cumsum_axis",
    "transpose_axes",
    "T",
    "squeeze",
    "expand_dims_tuple_axis",
    "broadcast_to",
    "reshape",
    "index_slices_steps",
    "index_static_int_and_bounds",
    "index_mask",
    "index_gather_repeated",
    "setitem_augmented",
    "setitem_mask",
    "masked_reductions",
    "concatenate_runtime_sizes",
    "stack_hstack_vstack",
    "list_append",
    "inv",
]


@pytest.mark.parametrize("name", SAMPLE)
def test_rules_cases_on_array_api_strict(name):
    import rules_cases as C

    case = {c.name: c for c in C.CASES}[name]
    values = [a.make(np.random.default_rng(6)) for a in case.args]
    wrt = tuple(i for i, a in enumerate(case.args) if a.is_float)
    want = s2sgrad.grad(case.fn, wrt=wrt)(*values)
    got = s2sgrad.grad(case.fn, wrt=wrt, xp=True)(
        *[xs.asarray(v) if isinstance(v, np.ndarray) else v for v in values]
    )
    _close(got, want)


# ---- the module ----------------------------------------------------------------------


def _emit(tmp_path, source, *args):
    path = tmp_path / "f.py"
    path.write_text(source)
    return cli.emit_text(f"{path}::f", *args, xp=True)


def test_emitted_module_takes_its_namespace_from_its_arrays():
    text = cli.emit_text(os.path.join(ROOT, "tools", "workloads.py") + "::mlp", xp=True)
    tree = ast.parse(text)
    imports = [
        ast.unparse(n) for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
    ]
    assert imports == ["from array_api_compat import array_namespace"]
    assert "    xp = array_namespace(x, W1, b1, W2, b2, labels)\n" in text
    code = "\n".join(line.split("#")[0] for line in text.splitlines())  # (not the comments)
    assert "np." not in code and "out=" not in code and "*=" not in code and "+=" not in code
    assert "  # workloads.py:51" in text
    assert cli.emit_text(os.path.join(ROOT, "tools", "workloads.py") + "::mlp") != text
    # the NumPy module is unchanged by the option's existence: it still writes in place
    assert "out=" in cli.emit_text(os.path.join(ROOT, "tools", "workloads.py") + "::logsumexp")


def test_cli_flag(tmp_path, capsys):
    from s2sgrad.cli import main

    path = tmp_path / "f.py"
    path.write_text("import numpy as np\n\ndef f(x: 'float64[n]'):\n    return np.sum(np.exp(x))\n")
    assert main(["emit", f"{path}::f", "--xp"]) == 0
    out = capsys.readouterr().out
    assert "xp.exp(x)" in out and "array_namespace(x)" in out


def test_an_op_the_standard_lacks_is_refused_at_its_line(tmp_path):
    src = (
        "import numpy as np\n\n\ndef f(x: 'float64[n, k]'):\n    y = np.sin(x)\n"
        "    return np.sum(np.median(y, axis=0))\n"
    )
    with pytest.raises(UnsupportedError) as e:
        _emit(tmp_path, src)
    msg = str(e.value)
    assert "f.py:6:" in msg and "np.median" in msg and "array API" in msg
    assert "return np.sum(np.median(y, axis=0))" in msg
    assert "without --xp" in msg  # what to do instead


def test_a_scalar_only_function_is_refused(tmp_path):
    src = "import numpy as np\n\n\ndef f(x: float):\n    return x * x\n"
    with pytest.raises(UnsupportedError, match="takes no array argument"):
        _emit(tmp_path, src)


def test_float_of_an_array_is_refused(tmp_path):
    src = "import numpy as np\n\n\ndef f(x: 'float64[n]'):\n    return np.sum(x) * x[0].item()\n"
    with pytest.raises(UnsupportedError, match="computes the array") as e:
        _emit(tmp_path, src)
    assert "f.py:5:" in str(e.value)


def test_non_numpy_array_without_xp_says_pass_xp():
    with pytest.raises(InvalidArgumentError, match="pass xp=True"):
        s2sgrad.grad(W.logsumexp)(xs.asarray(np.ones((3, 2))))


def test_dask_array_of_unknown_chunks_is_refused():
    x = da.from_array(np.arange(1.0, 13.0).reshape(6, 2), chunks=3)
    rows = x[x[:, 0] > 3.0]  # (nan chunk sizes)
    with pytest.raises(InvalidArgumentError, match="unknown shape") as e:
        s2sgrad.grad(W.logsumexp, xp=True)(rows)
    assert "compute_chunk_sizes" in str(e.value)


def test_the_key_holds_the_library():
    """One transformed function called on NumPy, then strict, then NumPy again: each call
    returns its input's library (the lean call path checks the type too)."""
    g = s2sgrad.grad(W.logsumexp, xp=True)
    x = np.random.default_rng(7).standard_normal((5, 3))
    a = g(x)
    b = g(x)  # (the lean call path, after a call needing no checks)
    c = g(xs.asarray(x))
    d = g(x)
    assert type(a) is type(b) is type(d) is np.ndarray
    assert type(c) is type(xs.asarray(x))
    _close([b, c, d], [a, a, a])


def test_repeated_positions_add_up_on_dask(tmp_path):
    """x[idx] with idx repeating: its adjoint adds rows (np.add.at in NumPy), written as a
    product with idx's one-hot matrix; on Dask too, lazily."""
    import rules_cases as C

    case = {c.name: c for c in C.CASES}["index_gather_repeated"]
    values = [a.make(np.random.default_rng(9)) for a in case.args]
    want = s2sgrad.grad(case.fn, wrt=(0, 1))(*values)
    got = s2sgrad.grad(case.fn, wrt=(0, 1), xp=True)(*[_dask(v, rows=2) for v in values])
    assert all(isinstance(g, da.Array) for g in got)
    _close(got, want)
    assert "xp.arange" in s2sgrad.source(s2sgrad.grad(case.fn, wrt=(0, 1), xp=True), *values)


def test_a_number_shaped_argument_gets_a_0d_array_of_its_library():
    """The NumPy module hands back a Python float for a 0-d argument; array-API code
    keeps it an array of the input's library (float() of a Dask array would compute it)."""
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    import logistic

    rng = np.random.default_rng(8)
    w, b, X = rng.standard_normal(4), np.array(0.3), rng.standard_normal((30, 4))
    y = (rng.random(30) > 0.5).astype(np.float64)
    want = s2sgrad.grad(logistic.loss, wrt=(0, 1))(w, b, X, y, 0.01)
    for conv in (xs.asarray, _dask):
        dw, db = s2sgrad.grad(logistic.loss, wrt=(0, 1), xp=True)(
            conv(w), conv(b), conv(X), conv(y), 0.01
        )
        assert type(db) is type(conv(b)) and tuple(db.shape) == ()
        _close((dw, db), want)


def sin_loop(a):
    s = a
    for i in range(3):
        s = np.sin(s) * a
    return s


def test_second_order_through_a_loop_keeps_xp():
    # (hunt 13: forward over reverse dropped xp=True, and refused the strict array
    # asking for xp=True, which was given)
    want = s2sgrad.grad(s2sgrad.grad(sin_loop))(0.7)
    got = s2sgrad.grad(s2sgrad.grad(sin_loop, xp=True), xp=True)(xs.asarray(0.7))
    assert float(got) == pytest.approx(want, rel=1e-12)


def abs_power(a, b):
    return np.abs(a) ** 1.5 * b


def test_second_order_of_a_power_on_the_strict_library():
    # (hunt 13: the exponent's `where` mixed an int64 array with a Python float, which
    # array_api_strict refuses)
    want = s2sgrad.grad(s2sgrad.grad(abs_power))(0.7, 1.3)
    got = s2sgrad.grad(s2sgrad.grad(abs_power, xp=True), xp=True)(xs.asarray(0.7), xs.asarray(1.3))
    assert float(got) == pytest.approx(want, rel=1e-12)
