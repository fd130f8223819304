"""An error from a call of s2sgrad's API shows the user's frames and the located message,
not s2sgrad's own frames (s2sgrad/traceback_util.py); S2SGRAD_TRACEBACK_FILTERING=off
keeps them. Run as a user runs a script: a subprocess, its traceback read from stderr."""

import os
import subprocess
import sys
import textwrap

import pytest

import s2sgrad
from s2sgrad import traceback_util

PACKAGE = os.path.dirname(os.path.abspath(s2sgrad.__file__))

UNSUPPORTED = """\
import numpy as np
import s2sgrad

def loss(x):
    total = 0.0
    with open("data.txt") as fh:
        total = total + np.sum(x)
    return total

g = s2sgrad.grad(loss)
g(np.ones(3))
"""

DECORATED = """\
import numpy as np
import s2sgrad

@s2sgrad.function
def step(x):
    y = np.sum(x ** 2)
    global counter
    return s2sgrad.gradients(y, [x])

step(np.ones(3))
"""

IN_GENERATED_CODE = """\
import numpy as np
import s2sgrad

def loss(x, i):
    return np.sum(x[i] ** 2)

g = s2sgrad.grad(loss)
g(np.ones(3), 1)
g(np.ones(3), 7)
"""

RULE = """\
import numpy as np
import s2sgrad

@s2sgrad.register_gradient(np.exp)
def _(g, ans, x):
    return (g * ans,)
"""


def run_script(tmp_path, text, env=None):
    path = tmp_path / "user_script.py"
    path.write_text(text)
    full = dict(os.environ)
    full.pop(traceback_util.ENV, None)
    full["PYTHONPATH"] = os.pathsep.join(  # (this checkout's s2sgrad, not another install)
        [os.path.dirname(PACKAGE)] + [p for p in [full.get("PYTHONPATH")] if p]
    )
    full.update(env or {})
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path, env=full
    )
    assert out.returncode != 0
    return path, out.stderr


def frames(stderr):
    return [line.strip() for line in stderr.splitlines() if line.strip().startswith('File "')]


@pytest.mark.parametrize(
    "text, what, line",
    [
        (UNSUPPORTED, "UnsupportedError", 6),
        (DECORATED, "UnsupportedError", 7),
    ],
)
def test_located_error_shows_the_users_frame_only(tmp_path, text, what, line):
    path, err = run_script(tmp_path, text)
    assert frames(err) and all(str(path) in f for f in frames(err)), err
    assert PACKAGE not in err, err
    assert f"s2sgrad.{what}: {path}:{line}:" in err  # the located message, by its name
    assert traceback_util.NOTE in err
    assert len(err.splitlines()) <= 12, err  # short: a user reads it whole


def test_an_error_in_the_generated_module_keeps_its_frame(tmp_path):
    """An IndexError inside the generated module: the user's frame and the module's
    line (a file a user can read and step through), not the API's frames."""
    path, err = run_script(tmp_path, IN_GENERATED_CODE)
    assert "IndexError" in err and PACKAGE not in err
    assert str(path) in frames(err)[0] and len(frames(err)) == 2, err
    assert "grad_loss" in frames(err)[1], err


IN_THE_FAST_CODE = """\
import numpy as np
import s2sgrad

def loss(x, i):
    return np.sum(x[i] ** 2)

g = s2sgrad.grad(loss)
g(np.ones(3), np.array([1]))
g(np.ones(3), np.array([7]))
"""


def test_an_error_in_the_inlined_fast_code_shows_the_modules_line(tmp_path):
    """The second call runs the fast code, the generated function's body inlined: the
    traceback is the user's frame and the module's line, as a call of it shows."""
    path, err = run_script(tmp_path, IN_THE_FAST_CODE)
    assert "IndexError" in err and PACKAGE not in err
    assert str(path) in frames(err)[0] and len(frames(err)) == 2, err
    assert "<s2sgrad:grad_loss" in frames(err)[1] and "in grad_loss" in frames(err)[1], err


def test_registration_error(tmp_path):
    path, err = run_script(tmp_path, RULE)
    assert "ValueError" in err and "override=True" in err
    assert PACKAGE not in err and all(str(path) in f for f in frames(err)), err


def test_environment_variable_keeps_every_frame(tmp_path):
    _, err = run_script(tmp_path, UNSUPPORTED, env={traceback_util.ENV: "off"})
    assert PACKAGE in err and traceback_util.NOTE not in err
    assert len(frames(err)) > 5


def test_internal_errors_keep_their_frames():
    """A broken invariant is a bug to report: its traceback is left whole."""

    def inner():
        raise s2sgrad.errors.InternalError("broken")

    try:
        traceback_util.api_boundary(inner)()
    except s2sgrad.errors.InternalError as e:
        assert "inner" in [f.name for f in __import__("traceback").extract_tb(e.__traceback__)]
        assert not getattr(e, "__notes__", None)


def test_fast_call_path_filters_too(tmp_path):
    """The second call goes through api._CallPath's fast code: same result."""
    text = textwrap.dedent("""\
        import numpy as np
        import s2sgrad

        def loss(x):
            return np.sum(np.log(x))

        g = s2sgrad.grad(loss)
        g(np.ones(3))
        g(np.ones(3), 1, 2)
    """)
    path, err = run_script(tmp_path, text)
    assert "TypeError" in err and PACKAGE not in err and "<s2sgrad call" not in err, err
    assert all(str(path) in f for f in frames(err)), err
