"""The frontend's fast ast -> gast translation and its walk equal gast's own."""

import ast
import glob
import os

import gast
import pytest

from s2sgrad.frontend.lower import local_names
from s2sgrad.frontend.source import MARKED, to_gast, to_gast_names, walk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = sorted(
    p
    for p in glob.glob(os.path.join(ROOT, "**", "*.py"), recursive=True)
    if not p.endswith("grad.py")
) + [ast.__file__]  # (not the generated modules)


def dump(node):
    return gast.dump(node, include_attributes=True)


@pytest.mark.parametrize("path", FILES, ids=lambda p: os.path.relpath(p, ROOT))
def test_to_gast_equals_gast(path):
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    node, names, _, _ = to_gast_names(tree)
    assert dump(node) == dump(gast.ast_to_gast(tree))
    mine, theirs = list(walk(node)), list(gast.walk(node))
    assert len(mine) == len(theirs) and all(a is b for a, b in zip(mine, theirs))
    # the names found while translating are Parsed.names: every gast.Name's identifier
    assert names == {n.id for n in theirs if type(n) is gast.Name}


def _where(table):
    return {
        k: (type(v).__name__, getattr(v, "lineno", 0), getattr(v, "col_offset", 0))
        for k, v in table.items()
    }


@pytest.mark.parametrize("path", FILES, ids=lambda p: os.path.relpath(p, ROOT))
def test_local_names_found_while_translating(path):
    """to_gast_names's local names of each function equal local_names's walk."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node, names, local, marks = to_gast_names(fn)
            assert names == {n.id for n in gast.walk(node) if type(n) is gast.Name}
            assert _where(local) == _where(local_names(node)), fn.name
            # and each statement's marked nodes are the walk's, in its order
            stmts = [n for n in gast.walk(node) if isinstance(n, gast.stmt)]
            assert set(marks) == {id(n) for n in stmts}
            for n in stmts:
                assert marks[id(n)][0] is n
                assert marks[id(n)][1] == [m for m in walk(n) if isinstance(m, tuple(MARKED))]


def test_to_gast_every_kind_of_node():
    src = """
import a.b as c
from . import d
@dec(1, *xs, k=2, **kw)
async def f(p, /, q: int = 1, *r, s, t=2, **u) -> "x":
    global g
    x: int = 1
    y = [i async for i in z if i] + {k: v for k, v in w} + {i for i in z} + (i for i in z)
    del x[1:2:3, ...]
    try:
        pass
    except (E, F) as e:
        raise X from e
    except Exception:
        pass
    else:
        pass
    finally:
        pass
    async with a as b, c:
        await b
    while not a < b <= c is not d:
        yield from x
        break
    match x:
        case [1, *rest] | {"k": v, **kw} | Point(x=0) if rest:
            pass
    lambda a, *b, c=1: (a if b else c, f"{a!r:>{b}}", -a ** ~b, a @ b // c % d)
class K(B, metaclass=M):
    def m(self):
        nonlocal q
        return super().m()
"""
    tree = ast.parse(src)
    node = to_gast(tree)
    assert dump(node) == dump(gast.ast_to_gast(tree))
    assert [id(n) for n in walk(node)] == [id(n) for n in gast.walk(node)]


def test_def_parsed_from_its_own_lines_equals_the_files():
    """_def_in_block (a def parsed from its own lines, for a cold call's speed) gives the
    node the whole file's tree has, positions included, or None (the caller then parses
    the file): on every def of the project and of the standard library's ast.py, and on
    layouts that go back to the def's column (a string, a continuation, `):`)."""
    import linecache

    from s2sgrad.frontend.source import _def_in_block

    found = fell_back = 0
    for path in FILES:
        lines = linecache.getlines(path)
        tree = ast.parse("".join(lines))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            got = _def_in_block(lines, first, node.name)
            if got is None:
                fell_back += 1
                continue
            found += 1
            assert ast.dump(got, include_attributes=True) == ast.dump(
                node, include_attributes=True
            ), (path, node.lineno)
    assert found > 20 * max(fell_back, 1)
    odd = [
        "import numpy as np\n",
        "\n",
        "class A:\n",
        "    @staticmethod\n",
        "    @decorate(\n",
        "        1)\n",
        "    def f(x,\n",
        "    ):\n",
        '        s = """\n',
        "text at column 0\n",
        '"""\n',
        "        return x\n",
        "# a comment at column 0\n",
        "    def g(x): return x\n",
        "def h(x):\n",
        "    y = x + \\\n",
        "1\n",
        "    return y\n",
    ]
    assert _def_in_block(odd, 4, "f") is None  # (the string: the file is parsed)
    g = _def_in_block(odd, 14, "g")
    assert g is not None and (g.lineno, g.col_offset, g.end_lineno) == (14, 4, 14)
    assert _def_in_block(odd, 15, "h") is None  # (the continuation)
    assert _def_in_block(odd, 14, "f") is None  # (another name: no such def there)
    # a form feed at a line's start is not column 0 to Python: the file is parsed
    feed = ["def k(x):\n", "    y = x\n", "\x0c\n", "\x0c    return y * 2\n"]
    assert _def_in_block(feed, 1, "k") is None


def test_form_feed_in_a_body_keeps_the_whole_body(tmp_path, monkeypatch):
    """A form feed before a body line (as some editors write page breaks) leaves the
    line in the def: the gradient is the whole function's, not a truncated one's."""
    import importlib

    import numpy as np

    import s2sgrad

    (tmp_path / "paged.py").write_text(
        "import numpy as np\n\n\ndef f(x):\n    y = np.sin(x)\n\x0c\n\x0c    return np.sum(y * y)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    paged = importlib.import_module("paged")
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(s2sgrad.grad(paged.f)(x), 2 * np.sin(x) * np.cos(x))
