"""README.md stays true: its runnable examples run, and the generated module it
shows is what `s2sgrad emit` writes today.

A fenced block preceded by `<!-- readme-test: run -->` is written to a file
and run with this Python (s2sgrad reads source from files) in a scratch
directory holding a copy of examples/. A block preceded by
`<!-- readme-test: generated FILE::FUNC ARGS... -->` must be exactly the
output of `s2sgrad emit FILE::FUNC ARGS...`.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")

BLOCK = re.compile(
    r"<!-- readme-test: (?P<kind>\w+)(?P<args>[^>]*)-->\n```(?P<lang>\w*)\n"
    r"(?P<body>.*?)\n```",
    re.S,
)


def blocks(kind):
    with open(README, encoding="utf-8") as f:
        text = f.read()
    found = []
    for m in BLOCK.finditer(text):
        if m["kind"] == kind:
            line = text.count("\n", 0, m.start()) + 1
            found.append(pytest.param(m["args"].strip(), m["body"] + "\n", id=f"README.md:{line}"))
    return found


RUN = blocks("run")
GENERATED = blocks("generated")


def test_readme_has_tested_blocks():
    assert len(RUN) >= 3 and len(GENERATED) >= 1


@pytest.mark.parametrize("args, body", RUN)
def test_runnable_block(tmp_path, args, body):
    shutil.copytree(os.path.join(ROOT, "examples"), tmp_path / "examples")
    script = tmp_path / "readme_example.py"
    script.write_text(body)
    # (ROOT too: the s2sgrad of this checkout, not whichever one is installed)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    out = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("args, body", GENERATED)
def test_generated_module_is_current(args, body):
    out = subprocess.run(
        [sys.executable, "-m", "s2sgrad.cli", "emit", *shlex.split(args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert body == out.stdout, (
        "README.md shows an out-of-date generated module; paste:\n" + out.stdout
    )


def test_readme_commands_are_what_ci_runs():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    commands = re.findall(r"```sh\n(python3 -m venv .*)\n```", text)
    assert len(commands) == 2
    assert "s2sgrad emit examples/" in commands[0]
    assert commands[1].endswith("pip install -e '.[test]' && .venv/bin/python -m pytest -q")
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as f:
        ci = f.read()
    assert "pip install -e '.[test]'" in ci and "python -m pytest -q" in ci
