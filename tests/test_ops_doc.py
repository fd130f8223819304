"""docs/ops.md is generated from the opcode and rules tables and must be current."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ops_doc_is_current():
    r = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "ops_doc.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def test_every_numpy_spelling_is_documented():
    from s2sgrad.ir import opcodes

    text = open(os.path.join(ROOT, "docs", "ops.md"), encoding="utf-8").read()
    for name in opcodes.NUMPY:
        assert f"`np.{name}`" in text
