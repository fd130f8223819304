"""Properties every generated module has (over all golden cases and examples):
no dead assignments, no name assigned in two unrelated places, and it compiles."""

import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = sorted(glob.glob(os.path.join(ROOT, "golden", "*", "grad.py")) +
                 glob.glob(os.path.join(ROOT, "examples", "*_grad.py")))


def rel(path):
    return os.path.relpath(path, ROOT)


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_no_dead_assignments(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    stored, loaded = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                stored.setdefault(node.id, node.lineno)
            else:
                loaded.add(node.id)
    loop_indices = {n.target.id for n in ast.walk(tree)
                    if isinstance(n, ast.For) and isinstance(n.target, ast.Name)}
    dead = {name: line for name, line in stored.items()
            if name not in loaded and name not in loop_indices}
    assert not dead, f"{rel(path)}: assigned but never read: {dead}"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_compiles(path):
    compile(open(path, encoding="utf-8").read(), path, "exec")
