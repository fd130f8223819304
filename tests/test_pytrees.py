"""Pytrees (SPEC.md, "The functional form"): dict/list/tuple arguments are
differentiated leaf by leaf, and each gradient has its argument's structure."""

import collections
import subprocess
import sys

import numpy as np
import pytest
from numeric import central_difference

import s2sgrad
from s2sgrad import transform
from s2sgrad.frontend import pytrees


def tree_central_difference(f, args, k):
    """Central differences of sum(f) with respect to each float leaf of args[k], as a
    tree of args[k]'s structure (None at the other leaves)."""
    treedef, leaves = pytrees.flatten(args[k])
    out = []
    for j, leaf in enumerate(leaves):
        if isinstance(leaf, (bool, int)) or np.asarray(leaf).dtype.kind != "f":
            out.append(None)
            continue

        def at(v, j=j):
            moved = list(args)
            moved[k] = pytrees.unflatten(
                treedef, [v if i == j else u for i, u in enumerate(leaves)]
            )
            return f(*moved)

        out.append(central_difference(at, [leaf], 0))
    return pytrees.unflatten(treedef, out)


def assert_tree_close(actual, expected, rtol=1e-6, atol=1e-8):
    adef, aleaves = pytrees.flatten(actual)
    edef, eleaves = pytrees.flatten(expected)
    assert adef == edef
    for a, e in zip(aleaves, eleaves):
        if e is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


# ---- point 1 of issue 8: an MLP with dict params (examples/classifier.py), trained ------


def _classifier():
    import importlib.util
    import os

    path = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "classifier.py"
    )
    spec = importlib.util.spec_from_file_location("classifier", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mlp_with_dict_params_trains_200_steps_with_has_aux():
    example = _classifier()
    params, x, labels = example.data(n=64)
    step = s2sgrad.value_and_grad(example.loss, has_aux=True)
    (loss0, aux0), grads = step(params, x, labels)
    assert list(grads) == ["W1", "b1", "W2", "b2"]  # same keys, same order
    assert set(aux0) == {"accuracy"}
    assert loss0 == pytest.approx(example.loss(params, x, labels)[0], rel=1e-12)
    expected = tree_central_difference(
        lambda p, x, y: example.loss(p, x, y)[0], [params, x, labels], 0
    )
    assert_tree_close(grads, expected)
    losses, accuracies = [loss0], [aux0["accuracy"]]
    for _ in range(200):
        (loss, aux), grads = step(params, x, labels)
        params = {k: params[k] - 0.5 * grads[k] for k in params}
        losses.append(loss)
        accuracies.append(aux["accuracy"])
    assert losses[-1] < 0.5 * losses[0]
    assert accuracies[-1] > accuracies[0]
    assert len(s2sgrad.api.transformed(step).cache) == 1  # one specialisation for the whole run


# ---- structure ---------------------------------------------------------------------------


def nested(params, x):
    s = 0.0
    for W, b in params["layers"]:
        x = np.tanh(x @ W + b)
    for name, v in params["extra"].items():
        s = s + np.sum(v**2)
    for i in range(len(params["layers"])):
        s = s + np.sum(params["layers"][i][0]) * params["scale"]
    return np.sum(x**2) + s * params["n"]


def _nested_params(rng):
    return {
        "layers": [(rng.normal(size=(3, 4)), np.zeros(4)), (rng.normal(size=(4, 2)), np.ones(2))],
        "extra": {"a": rng.normal(size=3), "c": 1.5, "ints": np.arange(3)},
        "scale": 0.3,
        "n": 2,
    }


def test_nested_tree_gradient_has_the_structure_and_none_for_int_leaves():
    rng = np.random.default_rng(1)
    params, x = _nested_params(rng), rng.normal(size=(5, 3))
    g = s2sgrad.grad(nested)(params, x)
    assert g["n"] is None and g["extra"]["ints"] is None
    assert type(g["layers"]) is list and type(g["layers"][0]) is tuple
    assert isinstance(g["scale"], float) and isinstance(g["extra"]["c"], float)
    assert_tree_close(g, tree_central_difference(nested, [params, x], 0))
    assert np.all(params["layers"][1][1] == 1.0)  # the caller's tree is unchanged


def test_vjp_and_jvp_take_trees():
    rng = np.random.default_rng(2)
    params, x = _nested_params(rng), rng.normal(size=(5, 3))
    out, back = s2sgrad.vjp(nested, params, x)
    assert out == pytest.approx(nested(params, x))
    d_params, d_x = back(1.0)
    assert_tree_close(d_params, s2sgrad.grad(nested)(params, x))
    assert d_x.shape == x.shape
    tangent = pytrees.map_leaves(
        lambda v: (
            None
            if isinstance(v, int) or np.asarray(v).dtype.kind != "f"
            else np.full(np.shape(v), 0.1)
            if np.ndim(v)
            else 0.1
        ),
        params,
    )
    value, dot = s2sgrad.jvp(nested, (params, x), (tangent, None))
    assert value == pytest.approx(out)
    expected = sum(
        np.sum(np.asarray(g) * np.asarray(t))
        for g, t in zip(pytrees.flatten(d_params)[1], pytrees.flatten(tangent)[1])
        if t is not None
    )
    assert dot == pytest.approx(expected, rel=1e-9)
    assert "def jvp_nested(params, x, d_params):" in s2sgrad.source(nested, mode="fwd")


def pair_loss(pair, scale):
    a, b = pair
    return np.sum(a * b) * scale


def test_tuples_and_lists_as_arguments():
    a, b = np.arange(3.0), np.ones(3)
    g = s2sgrad.grad(pair_loss)((a, b), 2.0)
    assert type(g) is tuple
    np.testing.assert_allclose(g[0], 2 * b)
    g = s2sgrad.grad(pair_loss, wrt=(0, 1))([a, b], 2.0)
    assert type(g[0]) is list and g[1] == pytest.approx(np.sum(a * b))


def zipped(ws, xs):
    s = 0.0
    for i, (w, v) in enumerate(zip(ws, xs)):
        s = s + (i + 1) * np.sum(w * v)
    return s


def test_zip_and_enumerate_over_lists_are_unrolled():
    ws = [np.ones(2), np.full(2, 2.0), np.full(2, 3.0)]
    xs = [np.arange(2.0), np.arange(2.0) + 1, np.arange(2.0) + 2]
    g = s2sgrad.grad(zipped)(ws, xs)
    for i in range(3):
        np.testing.assert_allclose(g[i], (i + 1) * xs[i])


def dense(layer, x):
    return np.tanh(x @ layer["W"] + layer["b"])


def stats(h):
    return {"mean": np.mean(h), "sq": np.sum(h**2)}


def with_helpers(params, x):
    h = dense(params["l1"], x)
    s = stats(h)
    return s["sq"] + s["mean"]


def test_helpers_take_and_return_dicts():
    rng = np.random.default_rng(3)
    params = {"l1": {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}}
    x = rng.normal(size=(4, 3))
    # the gradient is a tree of params' structure, each leaf against central differences
    s2sgrad.check_grads(with_helpers, 0, params, x, modes=("rev",), rtol=1e-6, atol=1e-8)


@s2sgrad.function
def decorated(params, x):
    y = np.sum(params["W"] * x) + params["b"]
    gW, gb = s2sgrad.gradients(y, [params["W"], params["b"]])
    return {"y": y, "grads": {"W": gW, "b": gb}}


def test_decorated_function_takes_and_returns_dicts():
    out = decorated({"W": np.ones(3), "b": 2.0}, np.arange(3.0))
    assert list(out) == ["y", "grads"] and out["y"] == 5.0
    np.testing.assert_allclose(out["grads"]["W"], np.arange(3.0))
    assert out["grads"]["b"] == 1.0


def test_structure_is_part_of_the_specialisation(monkeypatch):
    count = []
    real = transform.generate
    monkeypatch.setattr(transform, "generate", lambda *a, **k: count.append(1) or real(*a, **k))
    f = s2sgrad.grad(lambda_free_sum)
    f({"a": np.ones(2), "b": np.ones(2)})
    f({"a": np.zeros(2), "b": np.ones(2)})
    assert len(count) == 1
    g = f({"b": np.ones(2), "a": np.ones(2)})  # other order: other structure
    assert list(g) == ["b", "a"] and len(count) == 2
    f({"a": np.ones(2), "b": np.ones(2), "c": np.ones(2)})
    assert len(count) == 3


def lambda_free_sum(d):
    s = 0.0
    for v in d.values():
        s = s + np.sum(v)
    return s


def layer(p, x):
    return np.tanh(x @ p["W"] + p["b"]) * p["s"]


def layer_loss(p, x):
    return np.sum(layer(p, x) ** 2) + p["s"] ** 3 * np.sum(p["b"])


def test_jacobian_and_hessian_of_a_tree_are_trees():
    rng = np.random.default_rng(5)
    p = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=2), "s": 1.3, "n": 2}
    x = rng.normal(size=(4, 3))
    jacobians = [s2sgrad.jacobian(layer, mode=m)(p, x) for m in ("fwd", "rev", "auto")]
    for J in jacobians:
        assert list(J) == list(p) and J["n"] is None
        assert np.shape(J["W"]) == (4, 2, 3, 2) and np.shape(J["s"]) == (4, 2)
        for k in ("W", "b", "s"):
            np.testing.assert_allclose(J[k], jacobians[0][k], rtol=1e-12, atol=1e-14)
    for k in ("W", "b", "s"):
        np.testing.assert_allclose(
            jacobians[0][k],
            central_difference_of_array(lambda v, k=k: layer({**p, k: v}, x), p[k]),
            rtol=1e-6,
            atol=1e-8,
        )
    H = s2sgrad.hessian(layer_loss)(p, x)
    assert list(H) == list(p) and H["n"] is None and H["W"]["n"] is None
    assert np.shape(H["W"]["b"]) == (3, 2, 2) and np.shape(H["b"]["W"]) == (2, 3, 2)
    np.testing.assert_allclose(H["W"]["b"], np.transpose(H["b"]["W"], (1, 2, 0)), atol=1e-12)
    g = s2sgrad.grad(layer_loss)
    for k in ("W", "b", "s"):  # each column of H: central differences of the gradient
        for j in ("W", "b", "s"):

            def gj(v, k=k, j=j):
                return g({**p, k: v}, x)[j]

            np.testing.assert_allclose(
                H[j][k], central_difference_of_array(gj, p[k]), rtol=1e-5, atol=1e-7
            )


def central_difference_of_array(f, x, eps=1e-6):
    """d f(x) / dx for an array-valued f: f's shape + x's shape."""
    x = np.asarray(x, dtype=float)
    cols = []
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        cols.append(
            (
                np.asarray(f(up if up.ndim else float(up)))
                - np.asarray(f(down if down.ndim else float(down)))
            )
            / (2 * eps)
        )
    return np.stack(cols, axis=-1).reshape(np.shape(cols[0]) + x.shape)


# ---- refusals ------------------------------------------------------------------------


def writes_dict(p):
    p["W"] = p["W"] * 2  # dict-write
    return np.sum(p["W"])


def missing_key(p):
    return np.sum(p["V"])  # missing-key


def dynamic_key(p, k):
    return np.sum(p[k])  # dynamic-key


def dict_as_array(p):
    return np.sum(p)  # dict-value


@pytest.mark.parametrize(
    "f, args, marker, fragment",
    [
        (writes_dict, ({"W": np.ones(2)},), "dict-write", "build a new dict"),
        (missing_key, ({"W": np.ones(2)},), "missing-key", "has no key 'V'"),
        (dynamic_key, ({"W": np.ones(2)}, np.ones(2)), "dynamic-key", "constant key"),
        (dict_as_array, ({"W": np.ones(2)},), "dict-value", "is a dict"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_what_a_tree_cannot_do_is_a_located_error(f, args, marker, fragment):
    with pytest.raises(s2sgrad.UnsupportedError) as info:
        s2sgrad.grad(f)(*args)
    msg = str(info.value)
    assert fragment in msg
    line = next(
        n for n, text in enumerate(open(__file__), 1) if text.rstrip().endswith(f"# {marker}")
    )
    assert f"test_pytrees.py:{line}:" in msg


def test_argument_errors():
    Point = collections.namedtuple("Point", "x y")
    with pytest.raises(s2sgrad.InvalidArgumentError, match="namedtuple"):
        s2sgrad.grad(pair_loss)(Point(np.ones(2), np.ones(2)), 1.0)
    with pytest.raises(s2sgrad.InvalidArgumentError, match="str or an int"):
        s2sgrad.grad(lambda_free_sum)({(1, 2): np.ones(2)})
    with pytest.raises(s2sgrad.InvalidArgumentError, match="structure"):
        s2sgrad.jvp(lambda_free_sum, ({"a": np.ones(2)},), ({"b": np.ones(2)},))


# ---- the command line ----------------------------------------------------------------

SOURCE = """
import numpy as np


def loss(params, x):
    h = x
    for W, b in params["layers"]:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2) * params["scale"]
"""


def test_cli_signature_takes_a_tree_and_the_module_runs_standalone(tmp_path):
    src = tmp_path / "model.py"
    src.write_text(SOURCE)
    out = tmp_path / "grad_model.py"
    sig = (
        "params: {'layers': [(float64[d, h], float64[h]), (float64[h, k], float64[k])], "
        "'scale': float}, x: float64[n, d]"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "s2sgrad.cli",
            "emit",
            f"{src}::loss",
            "--wrt",
            "params",
            "--signature",
            sig,
            "-o",
            str(out),
        ],
        check=True,
    )
    rng = np.random.default_rng(4)
    params = {
        "layers": [
            (rng.normal(size=(3, 4)), rng.normal(size=4)),
            (rng.normal(size=(4, 2)), rng.normal(size=2)),
        ],
        "scale": 0.7,
    }
    x = rng.normal(size=(5, 3))
    script = (
        f"import sys, pickle; sys.modules['s2sgrad'] = None\n"
        f"import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('g', {str(out)!r})\n"
        f"m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"params, x = pickle.load(sys.stdin.buffer)\n"
        f"sys.stdout.buffer.write(pickle.dumps(m.grad_loss(params, x)))\n"
    )
    import pickle

    run = subprocess.run(
        [sys.executable, "-c", script],
        input=pickle.dumps((params, x)),
        capture_output=True,
        check=True,
    )
    g = pickle.loads(run.stdout)
    ns = {}
    exec(SOURCE, ns)
    assert_tree_close(g, tree_central_difference(ns["loss"], [params, x], 0))


def test_cli_without_wrt_differentiates_a_tree_parameter(tmp_path):
    # (every float parameter, a tree with a float leaf among them: it raised AttributeError)
    src = tmp_path / "tree_model.py"
    src.write_text(
        "import numpy as np\n\n"
        "def loss(p: {'w': 'float64[n]'}, x: 'float64[n]', k: int):\n"
        "    return np.sum(p['w'] * x) * k\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "s2sgrad.cli",
            "emit",
            f"{src}::loss",
            "--signature",
            "p: {'w': float64[n]}, x: float64[n], k=2",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "# grad_loss: grad with respect to p, x\n" in run.stdout
    assert "return {'w': d_p_w}, d_x" in run.stdout
