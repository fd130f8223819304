"""Properties every generated module has (over all golden cases and examples):
no dead assignments, no name assigned in two unrelated places, and it compiles."""

import ast
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = sorted(
    glob.glob(os.path.join(ROOT, "golden", "*", "grad.py"))
    + glob.glob(os.path.join(ROOT, "examples", "*_grad.py"))
)


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
    loop_indices = {
        n.target.id
        for n in ast.walk(tree)
        if isinstance(n, ast.For) and isinstance(n.target, ast.Name)
    }
    dead = {
        name: line
        for name, line in stored.items()  # (`_, f_back = vjp_f(x)`:
        if name not in loaded
        and name not in loop_indices  # `_` takes what nothing reads)
        and not re.fullmatch(r"_(_\d+)?", name)
    }
    assert not dead, f"{rel(path)}: assigned but never read: {dead}"


@pytest.mark.parametrize("path", MODULES, ids=rel)
def test_compiles(path):
    compile(open(path, encoding="utf-8").read(), path, "exec")


def test_fast_renderer_writes_what_astunparse_writes():
    """codegen._text (the fast path of codegen.render) against astunparse on
    expressions that need parentheses, constants, calls, subscripts, tuples;
    and CHECK_RENDER catches a renderer that disagrees."""
    import ast

    import pytest

    from s2sgrad import codegen
    from s2sgrad.errors import InternalError

    sources = [
        "y = -(a * b) ** 2 + (c - d) - (e - f)",
        "y = a ** -b ** c",
        "y = np.sum(x, axis=(0, 1), keepdims=True)",
        "y = x[1:, None, ::2]",
        "y = x[(0,)]",
        "y = (a,)",
        "a, b = (b, a + b)",
        "y = a if b < c <= d else -1.5",
        "y = not a and (b or c)",
        "y = [a, -0.0, 1e+300, None, True, 'q']",
        "y = (a + b).T",
        "return x, y",
        "y = f(*a)",
        "y = float('inf') * 1e400",
    ]
    for src in sources:
        node = ast.parse(src if not src.startswith("return") else f"def f():\n {src}").body[0]
        if isinstance(node, ast.FunctionDef):
            node = node.body[0]
        assert codegen._text(node) == codegen._render_slow(node), src
    node = ast.parse("y = a - (b - c)").body[0]
    node.value.right = ast.BinOp(
        left=ast.Name(id="b", ctx=ast.Load()), op=ast.Sub(), right=ast.Name(id="c", ctx=ast.Load())
    )
    saved = codegen._BINOP
    try:
        codegen._BINOP = dict(saved, Sub="+")
        with pytest.raises(InternalError, match="astunparse writes"):
            codegen.render(node)
    finally:
        codegen._BINOP = saved
