"""The `s2sgrad` command line, run as a subprocess as a user would run it.

emit writes a standalone module (imports only numpy) without executing the
input file; errors go to stderr as FILE:LINE:COL: error: ..., exit non-zero
and leave no output file; the output is the same bytes under any
PYTHONHASHSEED.
"""

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numeric import central_difference

from s2sgrad.errors import UnsupportedError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MLP = os.path.join(ROOT, "examples", "mlp.py")
CLI = [sys.executable, "-m", "s2sgrad.cli"]
ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): error: (?P<what>.+)$")


def run(*args, cwd=None, env=None, check=False):
    full_env = dict(os.environ)
    full_env.update(env or {})
    out = subprocess.run(
        CLI + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=full_env
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def load(path):
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def imports_of(text):
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


def mlp_args():
    rng = np.random.default_rng(42)
    n, d, h, k = 5, 4, 6, 3
    return (
        rng.normal(size=(n, d)),
        rng.normal(size=(d, h)),
        rng.normal(size=(h,)),
        rng.normal(size=(h, k)),
        rng.normal(size=(k,)),
        rng.normal(size=(n, k)),
    )


# ---- emit FILE::FUNC --wrt ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def mlp_grad(tmp_path_factory):
    out = tmp_path_factory.mktemp("emit") / "mlp_grad.py"
    result = run("emit", f"{MLP}::loss", "--wrt", "W1,b1,W2,b2", "-o", out, check=True)
    assert result.stdout == "" and result.stderr == ""
    return out


def test_emit_imports_only_numpy(mlp_grad):
    text = mlp_grad.read_text()
    assert imports_of(text) == {"numpy"}
    assert "def grad_loss(x, W1, b1, W2, b2, y):" in text
    assert "# grad of: h = np.tanh(x @ W1 + b1)" in text


def test_emitted_gradient_matches_central_differences(mlp_grad):
    loss = load(MLP).loss
    grad_loss = load(str(mlp_grad)).grad_loss
    args = mlp_args()
    grads = grad_loss(*args)
    assert len(grads) == 4
    for g, i in zip(grads, (1, 2, 3, 4)):
        assert g.shape == args[i].shape and g.dtype == np.float64
        np.testing.assert_allclose(g, central_difference(loss, args, i), rtol=1e-6, atol=1e-8)


def test_emitted_module_runs_without_s2sgrad(mlp_grad):
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import mlp_grad
        rng = np.random.default_rng(0)
        args = [rng.normal(size=s) for s in [(2, 4), (4, 3), (3,), (3, 2), (2,), (2, 2)]]
        grads = mlp_grad.grad_loss(*args)
        assert [g.shape for g in grads] == [(4, 3), (3,), (3, 2), (2,)]
        assert not [m for m in sys.modules if m.startswith("s2sgrad")]
        print("ok")
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=mlp_grad.parent, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "ok\n"


def test_emit_to_stdout_is_the_same_module(mlp_grad):
    out = run("emit", f"{MLP}::loss", "--wrt", "W1,b1,W2,b2", check=True)
    assert out.stdout == mlp_grad.read_text()


def test_emit_default_wrt_is_every_float_parameter(tmp_path):
    out = run("emit", f"{MLP}::loss", check=True)
    assert "grad with respect to x, W1, b1, W2, b2, y" in out.stdout


def test_emit_with_signature(tmp_path):
    src = tmp_path / "poly.py"
    src.write_text("import numpy as np\n\n\ndef f(x, c):\n    return np.sum(np.sin(x) * c)\n")
    out = run(
        "emit", f"{src}::f", "--wrt", "x", "--signature", "x: float64[n], c: float", check=True
    )
    assert "(x: float64[n], c: py_float64)" in out.stdout
    namespace = {}
    exec(out.stdout, namespace)
    x = np.array([0.1, 0.5])
    np.testing.assert_allclose(namespace["grad_f"](x, 3.0), 3.0 * np.cos(x))


# ---- emit FILE: every decorated function --------------------------------------------------------

DECORATED = """\
import numpy as np
import s2sgrad


@s2sgrad.function
def example():
    a = np.float64(0.)
    b = 2 * a
    return s2sgrad.gradients(a + b, [a, b], stop_gradients=[a, b])


@s2sgrad.function
def backprop():
    Ws = np.float64(0.)
    bs = 2 * Ws
    cost = Ws + bs
    dCost_dW, dCost_db = s2sgrad.gradients(cost, [Ws, bs])
    return dCost_dW, dCost_db


def not_decorated(x):
    return x


@s2sgrad.function
def unconnected(use_zero):
    a = np.ones([1, 2])
    b = np.ones([3, 1])
    if use_zero:
        return s2sgrad.gradients([b], [a], unconnected_gradients='zero')
    else:
        return s2sgrad.gradients([b], [a], unconnected_gradients='none')
"""


def test_emit_file_writes_every_decorated_function(tmp_path):
    src = tmp_path / "spec_funcs.py"
    src.write_text(DECORATED.split("@s2sgrad.function\ndef unconnected")[0])
    out = tmp_path / "spec_grads.py"
    run("emit", src, "-o", out, check=True)
    text = out.read_text()
    assert imports_of(text) == {"numpy"}
    assert "s2sgrad.gradients" not in text and "not_decorated" not in text
    module = load(str(out))
    assert repr(module.example()) == "[1.0, 1.0]"
    assert repr(module.backprop()) == "(3.0, 1.0)"


@pytest.mark.parametrize(
    "use_zero, expected", [("True", "[array([[0., 0.]])]"), ("False", "[None]")]
)
def test_emit_decorated_with_static_signature(tmp_path, use_zero, expected):
    src = tmp_path / "spec_funcs.py"
    src.write_text(DECORATED)
    out = tmp_path / f"unconnected_{use_zero}.py"
    run("emit", f"{src}::unconnected", "--signature", f"use_zero={use_zero}", "-o", out, check=True)
    assert repr(load(str(out)).unconnected(use_zero == "True")) == expected


# ---- show --ir ------------------------------------------------------------------------------------


def test_show_ir():
    out = run("show", f"{MLP}::loss", "--ir", "--wrt", "W1", check=True)
    assert out.stdout.startswith("func grad_loss(%x: float64[n, d], %W1: float64[d, h]")
    assert "%h = tanh(" in out.stdout and "# mlp.py:11" in out.stdout
    assert out.stdout.rstrip().endswith("}")


def test_show_ir_every_stage():
    from s2sgrad import cli

    out = run("show", f"{MLP}::loss", "--ir", "--stage", "all", check=True)
    stages = re.findall(r"^// after (\w+)$", out.stdout, re.M)
    assert stages == [s for s in cli.STAGES if s not in ("forward", "inline")]  # (--mode fwd's,
    # and a second derivative's of a function calling helpers)
    assert stages[:5] == ["lower", "shift", "attach", "unconnected", "reverse"]
    fwd = run("show", f"{MLP}::loss", "--ir", "--stage", "all", "--mode", "fwd", check=True)
    assert re.findall(r"^// after (\w+)$", fwd.stdout, re.M)[:3] == ["lower", "shift", "forward"]
    dumps = dict(part.split("\n", 1) for part in out.stdout.split("// after ")[1:])
    assert "gradients(" not in dumps["lower"] and "gradients(" in dumps["attach"]
    assert dumps["unconnected"] == dumps["attach"]  # every parameter reaches the loss
    assert "gradients(" not in dumps["dce"]  # expanded into adjoint ops


def test_show_unconnected_stage(tmp_path):
    """`show --stage unconnected`: an x with no path to the y has left the gradients op,
    its gradient already the policy's value (zeros for grad)."""
    path = tmp_path / "f.py"
    path.write_text("import numpy as np\n\ndef f(x, w):\n    return np.sum(np.sin(x))\n")
    out = run("show", f"{path}::f", "--ir", "--stage", "attach", check=True).stdout
    assert re.search(r"= gradients\(%\S+, %x, %w\) \{.*n_xs=2", out)
    out = run("show", f"{path}::f", "--ir", "--stage", "unconnected", check=True).stdout
    assert re.search(r"= gradients\(%\S+, %x\) \{.*n_xs=1", out)
    assert re.search(r"%d_w = zeros_like\(%w\) .*\[out:gradients\]", out)
    assert "%w" not in out.split("gradients(")[1].split(")")[0]


# ---- errors -----------------------------------------------------------------------------------------

UNSUPPORTED = """\
import numpy as np


def looped(x):
    for i in range(3):
        return np.sum(x * 2.0), 1.0
    return np.sum(x)
"""


def check_error(out, file, line=None, what=None):
    assert out.returncode != 0
    assert out.stdout == ""
    first = out.stderr.splitlines()[0]
    m = ERROR_LINE.match(first)
    assert m, out.stderr
    assert m["file"] == str(file)
    if line is not None:
        assert int(m["line"]) == line, out.stderr
    if what is not None:
        assert what in m["what"], out.stderr
    assert "Traceback" not in out.stderr
    return out.stderr


def no_leftovers(directory, before):
    assert sorted(os.listdir(directory)) == before


def test_error_missing_file(tmp_path):
    out_file = tmp_path / "g.py"
    out = run("emit", "no_such_file.py::loss", "--wrt", "W1", "-o", out_file, cwd=tmp_path)
    check_error(out, "no_such_file.py", 1, "cannot read no_such_file.py")
    no_leftovers(tmp_path, [])


def test_error_unsupported_syntax(tmp_path):
    src = tmp_path / "looped.py"
    src.write_text(UNSUPPORTED)
    out = run("emit", "looped.py::looped", "-o", "g.py", cwd=tmp_path)
    err = check_error(out, "looped.py", 6, "this `return` inside a loop returns a tuple")
    assert ":6:9: error:" in err
    assert "    return np.sum(x * 2.0), 1.0" in err  # the quoted line
    assert "from both places" in err.splitlines()[-1]  # what to do
    no_leftovers(tmp_path, ["looped.py"])


def test_error_unknown_function(tmp_path):
    shutil.copy(MLP, tmp_path / "mlp.py")
    out = run("emit", "mlp.py::nope", "-o", "g.py", cwd=tmp_path)
    err = check_error(out, "mlp.py", what="no top-level function 'nope'")
    assert "functions defined there: loss" in err
    no_leftovers(tmp_path, ["mlp.py"])


@pytest.mark.parametrize(
    "signature, what",
    [
        ("x float64", "is not 'name: type' or 'name=value'"),
        ("x: floaty[n]", "unknown type 'floaty[n]'"),
        ("x: str", "unknown type 'str'"),
        ("x: datetime64[n]", "unknown type 'datetime64[n]'"),
        ("zz: float64[n]", "--signature names zz"),
        ("flag=nope", "cannot read the value"),
        # (hunt 17: an unclosed bracket swallowed the next names, and any text was a size)
        ("x: float64[n, W: float32[m, n]", "in one pair of brackets"),
        ("x: float64[n]]", "in one pair of brackets"),
        ("x: float64[n m]", "'n m' is not a size"),
        ("x: float64[3.5]", "'3.5' is not a size"),
        ("x: float64[-2]", "'-2' is not a size"),
    ],
)
def test_error_bad_signature(tmp_path, signature, what):
    shutil.copy(MLP, tmp_path / "mlp.py")
    out = run("emit", "mlp.py::loss", "--signature", signature, "-o", "g.py", cwd=tmp_path)
    check_error(out, "mlp.py", 9, what)
    no_leftovers(tmp_path, ["mlp.py"])


def test_error_bad_wrt(tmp_path):
    shutil.copy(MLP, tmp_path / "mlp.py")
    out = run("emit", "mlp.py::loss", "--wrt", "W3", "-o", "g.py", cwd=tmp_path)
    check_error(out, "mlp.py", 9, "wrt names 'W3'")
    no_leftovers(tmp_path, ["mlp.py"])


def test_error_invalid_python(tmp_path):
    (tmp_path / "broken.py").write_text("import numpy as np\ndef f(x):\n    return np.sum(x\n")
    out = run("emit", "broken.py::f", "-o", "g.py", cwd=tmp_path)
    check_error(out, "broken.py", what="invalid Python")
    no_leftovers(tmp_path, ["broken.py"])


def test_error_no_decorated_function(tmp_path):
    shutil.copy(MLP, tmp_path / "mlp.py")
    out = run("emit", "mlp.py", "-o", "g.py", cwd=tmp_path)
    check_error(out, "mlp.py", what="no function decorated with @s2sgrad.function")
    no_leftovers(tmp_path, ["mlp.py"])


def test_error_leaves_an_existing_output_untouched(tmp_path):
    src = tmp_path / "looped.py"
    src.write_text(UNSUPPORTED)
    (tmp_path / "g.py").write_text("previous\n")
    out = run("emit", "looped.py::looped", "-o", "g.py", cwd=tmp_path)
    check_error(out, "looped.py", 6)
    assert (tmp_path / "g.py").read_text() == "previous\n"
    no_leftovers(tmp_path, ["g.py", "looped.py"])


def test_error_unwritable_output(tmp_path):
    out = run("emit", f"{MLP}::loss", "-o", tmp_path / "missing_dir" / "g.py")
    assert out.returncode != 0 and "cannot write" in out.stderr and "Traceback" not in out.stderr


def test_usage_error_exits_two():
    out = run("emit", f"{MLP}::loss", "--no-such-option")
    assert out.returncode == 2 and "--no-such-option" in out.stderr


# ---- the command itself: python -m s2sgrad, --version, --help, show, help -----------------------


def test_python_m_s2sgrad_is_the_command(tmp_path):
    """`python -m s2sgrad` runs the same command as `s2sgrad` (and `python -m s2sgrad.cli`)."""
    out = subprocess.run(
        [sys.executable, "-m", "s2sgrad", "emit", f"{MLP}::loss", "--wrt", "W1"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == run("emit", f"{MLP}::loss", "--wrt", "W1", check=True).stdout
    assert "def grad_loss(" in out.stdout


def test_version_is_the_package_version():
    import s2sgrad

    for cli in (CLI, [sys.executable, "-m", "s2sgrad"]):
        out = subprocess.run(cli + ["--version"], capture_output=True, text=True)
        assert out.returncode == 0 and out.stdout == f"s2sgrad {s2sgrad.__version__}\n"


@pytest.mark.parametrize("command", [None, "emit", "show", "help"])
def test_help_has_a_description_and_examples(command):
    out = run(*([command] if command else []), "--help", check=True).stdout
    assert "examples:" in out and "s2sgrad " in out.split("examples:")[1], out
    description = out.split("\n\n")[1]  # (argparse: usage, blank line, description)
    assert len(description.split()) >= 8, out
    if command in (None, "emit", "show"):
        assert "exit status:" in out and "FILE:LINE:COL" in out


def test_show_prints_the_module_and_the_ir_with_ir():
    module = run("show", f"{MLP}::loss", "--wrt", "W1", check=True).stdout
    assert module == run("emit", f"{MLP}::loss", "--wrt", "W1", check=True).stdout
    ir = run("show", f"{MLP}::loss", "--wrt", "W1", "--ir", check=True).stdout
    assert ir.startswith("func grad_loss(") and "def grad_loss" not in ir
    assert run(
        "show", f"{MLP}::loss", "--wrt", "W1", "--stage", "lower", check=True
    ).stdout.startswith("func loss(")  # (--stage implies --ir)


def test_help_prints_the_pages_that_ship():
    index = run("help", check=True).stdout
    for topic in ("contract", "limitations", "ops", "architecture", "performance"):
        assert f"  {topic} " in index
    page = run("help", "limitations", check=True).stdout
    with open(os.path.join(ROOT, "docs", "limitations.md"), encoding="utf-8") as f:
        assert page == f.read()
    out = run("help", "no_such_page")
    assert out.returncode == 1 and "no documentation page 'no_such_page'" in out.stderr
    assert "limitations" in out.stderr


def test_hints_name_shipped_documentation_not_a_path():
    """A pip user has no docs/ folder: a hint names `s2sgrad help TOPIC` instead."""
    for folder, _, files in os.walk(os.path.join(ROOT, "s2sgrad")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    code = f.read()
                for m in re.finditer(r"hint=[^)]*?docs/\w+\.md", code):
                    pytest.fail(f"{name}: a hint names a docs/ path: {m.group(0)!r}")


# ---- FILE is never executed ---------------------------------------------------------------------------

HOSTILE = """\
import numpy as np
import s2sgrad

open("EXECUTED", "w").write("the input file was executed")
raise SystemExit("the input file was executed")


@s2sgrad.function
def f(x: "float64[n]"):
    y = np.sum(np.exp(x))
    return s2sgrad.gradients(y, [x])


def g(x: "float64[n]"):
    return np.sum(x * x)
"""


@pytest.mark.parametrize("target", ["hostile.py", "hostile.py::f", "hostile.py::g"])
def test_input_file_is_never_executed(tmp_path, target):
    (tmp_path / "hostile.py").write_text(HOSTILE)
    out = run("emit", target, "-o", "out.py", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "EXECUTED").exists()
    show = run("show", target if "::" in target else "hostile.py::f", "--ir", cwd=tmp_path)
    assert show.returncode == 0, show.stderr
    assert not (tmp_path / "EXECUTED").exists()
    module = load(str(tmp_path / "out.py"))
    x = np.array([0.5, 1.5])
    if target == "hostile.py::g":
        np.testing.assert_allclose(module.grad_g(x), 2 * x)
    else:
        np.testing.assert_allclose(module.f(x)[0], np.exp(x))


# ---- determinism ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["mlp", "decorated"])
def test_same_bytes_under_any_hash_seed(tmp_path, target):
    if target == "mlp":
        args = [f"{MLP}::loss", "--wrt", "W1,b1,W2,b2"]
    else:
        src = tmp_path / "spec_funcs.py"
        src.write_text(DECORATED.split("@s2sgrad.function\ndef unconnected")[0])
        args = [str(src)]
    outputs = []
    for seed in ("0", "12345"):
        out_file = tmp_path / f"out_{seed}.py"
        run("emit", *args, "-o", out_file, env={"PYTHONHASHSEED": seed}, check=True)
        outputs.append(out_file.read_bytes())
    assert outputs[0] == outputs[1]
    assert str(tmp_path).encode() not in outputs[0]  # no absolute paths in the output


# ---- the installed console script -------------------------------------------------------------------------


def test_console_script(tmp_path):
    script = shutil.which("s2sgrad", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the s2sgrad console script is not installed next to this python")
    out = subprocess.run(
        [script, "emit", f"{MLP}::loss", "--wrt", "W1,b1,W2,b2", "-o", str(tmp_path / "g.py")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert imports_of((tmp_path / "g.py").read_text()) == {"numpy"}


def test_show_out_of_ssa_stage():
    """`show --stage out_of_ssa`: each result's Python name, what is inlined, the
    writes that go in place, and a loop's carried variables."""
    from s2sgrad import cli

    text = cli.show_text("golden/ssa_swap/input.py::fib", wrt="a,b", stage="out_of_ssa")
    assert "region 0(%i, %a.2, %b.2) {  => (i, a, b)" in text
    assert "%b.3 = add(%a.2, %b.2)  : py_float64  # input.py:10  => b_1" in text
    assert "=> inline" in text
    writes = cli.show_text("golden/setitem_fill/input.py::summary", wrt="x,w", stage="out_of_ssa")
    assert "in place" in writes


# ---- what the command line reads without running the module (hunt 5) ------------------------


def _emit_in_process(tmp_path, source, target, **kw):
    from s2sgrad import cli

    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(source))
    return cli.emit_text(f"{path}{target}", **kw)


REBOUND = """
    import numpy as np

    K = 1.0
    K += 1.0
    TOL = 0.5
    if True:
        TOL = 2 * TOL

    def h1(a):
        return a * 2.0

    def h2(a):
        return a * 3.0

    h1 = h2

    def f(x: "float64[n]"):
        return np.sum(x * K)

    def g(x: "float64[n]"):
        return np.sum(x * TOL)

    def h(x: "float64[n]"):
        return np.sum(h1(x))
    """


@pytest.mark.parametrize("func, name", [("f", "K"), ("g", "TOL"), ("h", "h1")])
def test_a_name_the_module_binds_twice_is_not_a_constant(tmp_path, func, name):
    """The command line took the first or last literal (K = 1.0, TOL = 0.5, the first
    def h1): silent wrong gradients where Python gives K = 2, TOL = 1, h1 = h2."""
    with pytest.raises(UnsupportedError, match=f"binds '{name}' more than once"):
        _emit_in_process(tmp_path, REBOUND, f"::{func}")


def test_negative_literals_and_imported_constants_are_constants(tmp_path):
    text = _emit_in_process(
        tmp_path,
        """
        import numpy as np
        from math import pi
        from numpy import e as E

        EPS = -2.0

        def f(x: "float64[n]"):
            return np.sum(x * EPS) * pi + E
        """,
        "::f",
    )
    namespace = {}
    exec(compile(text, "g.py", "exec"), namespace)
    np.testing.assert_allclose(namespace["grad_f"](np.ones(3)), [-2.0 * np.pi] * 3)


def test_helpers_specialised_differently_keep_their_own_names(tmp_path):
    """`emit FILE` of two functions calling helper(x, True) and helper(x, False)
    wrote one vjp_helper for both: f2 computed tanh (hunt 5)."""
    text = _emit_in_process(
        tmp_path,
        """
        import numpy as np
        import s2sgrad

        def helper(a, act):
            if act:
                return np.tanh(a)
            return a * 3.0

        @s2sgrad.function
        def f1(x: "float64[n]"):
            y = np.sum(helper(x, True))
            return y, s2sgrad.gradients(y, [x])[0]

        @s2sgrad.function
        def f2(x: "float64[n]"):
            y = np.sum(helper(x, False))
            return y, s2sgrad.gradients(y, [x])[0]
        """,
        "",
    )
    namespace = {}
    exec(compile(text, "g.py", "exec"), namespace)
    x = np.array([0.1, 0.2])
    y1, d1 = namespace["f1"](x)
    y2, d2 = namespace["f2"](x)
    np.testing.assert_allclose([y1, y2], [np.sum(np.tanh(x)), 0.9])
    np.testing.assert_allclose(d1, 1 - np.tanh(x) ** 2)
    np.testing.assert_allclose(d2, [3.0, 3.0])


def test_a_decorator_other_than_s2sgrad_function_is_refused(tmp_path):
    with pytest.raises(UnsupportedError, match="decorator other than @s2sgrad.function"):
        _emit_in_process(
            tmp_path,
            """
            import numpy as np

            def scaled(fn):
                return lambda x: 10.0 * fn(x)

            @scaled
            def f(x: "float64[n]"):
                return np.sum(x ** 2)
            """,
            "::f",
        )


def test_output_file_mode_follows_the_umask(tmp_path):
    """-o and --html write temporary files renamed into place: their mode is what
    open() would give (0644 under umask 022), not mkstemp's 0600."""
    out = subprocess.run(
        ["sh", "-c", 'umask 022 && exec "$@"', "sh"]
        + CLI
        + [
            "emit",
            f"{MLP}::loss",
            "--wrt",
            "W1",
            "-o",
            str(tmp_path / "g.py"),
            "--html",
            str(tmp_path / "g.html"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    for name in ("g.py", "g.html"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
