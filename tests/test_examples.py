"""The shipped examples: their gradient modules (written by the CLI, checked in
next to them) are current, import only numpy, and match central differences."""

import ast
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from numeric import central_difference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_modules_are_current():
    r = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "regen_examples.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize(
    "name", ["mlp", "logistic", "rnn", "newton", "physics", "custom_rules", "classifier"]
)
def test_generated_module_imports_only_numpy(name):
    tree = ast.parse(open(os.path.join(EXAMPLES, name + "_grad.py")).read())
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [(a.name, a.asname) for n in imports for a in n.names] == [("numpy", "np")]


rng = np.random.default_rng(7)
CASES = {
    "mlp": (
        "loss",
        [rng.standard_normal(s) for s in [(6, 3), (3, 5), (5,), (5, 2), (2,), (6, 2)]],
        (1, 2, 3, 4),
    ),
    "logistic": (
        "loss",
        [
            rng.standard_normal(4),
            0.2,
            rng.standard_normal((9, 4)),
            (rng.random(9) > 0.5).astype(float),
            0.01,
        ],
        (0, 1),
    ),
    # a 50-step sequence
    "rnn": (
        "loss",
        [
            rng.standard_normal((50, 3)),
            rng.standard_normal(4),
            rng.standard_normal((3, 4)) * 0.5,
            rng.standard_normal((4, 4)) * 0.5,
            rng.standard_normal(4),
            rng.standard_normal(4),
            rng.standard_normal(50),
        ],
        (2, 3, 4, 5),
    ),
    "newton": ("cube_root_sum", [rng.uniform(0.5, 3.0, 5), 1e-13], (0,)),
    "physics": ("miss", [np.array([8.0, 9.0]), 0.05, 0.01, 120, np.array([5.0, 0.0])], (0, 1)),
    "custom_rules": (
        "loss",
        [12.0, 1.1, np.linspace(-3.0, 3.0, 13), rng.poisson(5.0, 13) * 1.0],
        (0, 1),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_gradient_matches_central_differences(name):
    func, args, wrt = CASES[name]
    f = getattr(load(name), func)
    grad = getattr(load(name + "_grad"), "grad_" + func)
    got = grad(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args])
    got = got if len(wrt) > 1 else (got,)
    for g, i in zip(got, wrt):
        want = central_difference(f, args, i)
        assert np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-8)


def test_newton_gradient_is_the_implicit_one():
    c = np.array([0.7, 2.0, 5.0])
    grad = load("newton_grad").grad_cube_root_sum
    np.testing.assert_allclose(grad(c, 1e-14), 1.0 / (3.0 * np.cbrt(c) ** 2), rtol=1e-8)


def test_classifier_with_dict_params_trains_and_its_module_matches_differences():
    example = load("classifier")
    params, x, labels = example.data(n=16)
    grads, aux = load("classifier_grad").grad_loss(params, x, labels)
    assert (
        list(grads) == list(params)
        and aux["accuracy"] == example.loss(params, x, labels)[1]["accuracy"]
    )
    for k in params:

        def at(v, k=k):
            return example.loss({**params, k: v}, x, labels)[0]

        np.testing.assert_allclose(
            grads[k], central_difference(at, [params[k]], 0), rtol=1e-6, atol=1e-8
        )
    _, history = example.train(steps=200)
    assert history[-1][0] < 0.25 * history[0][0] and history[-1][1] > history[0][1]
