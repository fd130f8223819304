"""`s2sgrad emit ... --html OUT.html`: the source beside the generated module (html.py).

The page is read back with html.parser: both panes, every source line under its id
with its text, every generated line with its text (the module's, byte for byte), every
`# grad of:` block and `# file:line` comment linked to the source line it names (whose
text is the line the comment quotes), ids unique, every link a fragment of the page,
no external resource, `<` and `&` escaped. With Chromium installed, its script is run
in the browser: hovering and the URL's fragment highlight a block with its source line.
"""

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from s2sgrad import cli, codegen, html

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RNN = os.path.join(ROOT, "examples", "rnn.py")
GOLDEN = os.path.join(ROOT, "golden")
GRAD_OF = re.compile(r"# grad of: (?P<text>.*)  \[(?P<file>[^\[\]:]+):(?P<line>\d+)\]$")
FWD_WHERE = re.compile(r"  # (?P<file>[\w.]+\.py):(?P<line>\d+)$")


class Page(HTMLParser):
    """The page's rows: {pane id: [(row id, row attrs, code text, [hrefs in the row])]},
    every id, every attribute of every tag, and the text of <style> and <script>."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.panes, self.ids, self.attrs, self.raw = {}, [], [], {"style": "", "script": ""}
        self._pane = self._row = self._in = None
        self._depth, self._code_depth, self._raw_tag = 0, None, None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if tag in ("style", "script"):
            self._raw_tag = tag
        if tag not in ("div", "span", "a"):
            return
        self._depth += 1
        classes = (a.get("class") or "").split()
        if "pane" in classes:
            self._pane = a["id"]
            self.panes[self._pane] = []
        elif "ln" in classes and self._pane:
            self._row = (a["id"], a, [], [])
            self.panes[self._pane].append(self._row)
        elif "code" in classes and self._row:
            self._code_depth = self._depth
        if tag == "a" and self._row:
            self._row[3].append(a.get("href"))

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._raw_tag = None
        if tag not in ("div", "span", "a"):
            return
        if self._code_depth == self._depth:
            self._code_depth = None
        self._depth -= 1

    def handle_data(self, data):
        if self._raw_tag:
            self.raw[self._raw_tag] += data
        elif self._code_depth is not None and self._row:
            self._row[2].append(data)

    def rows(self, pane):
        return [(rid, a, "".join(text), hrefs) for rid, a, text, hrefs in self.panes[pane]]


def run(*args, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=ROOT)  # this checkout's s2sgrad, from any directory
    return subprocess.run(
        [sys.executable, "-m", "s2sgrad", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def rnn(tmp_path_factory):
    """(page text, module text) of `s2sgrad emit examples/rnn.py::loss ... --html -o`."""
    out = tmp_path_factory.mktemp("html")
    result = run(
        "emit",
        "examples/rnn.py::loss",
        "--wrt",
        "Wx,Wh,b,Wy",
        "--html",
        out / "rnn.html",
        "-o",
        out / "rnn_grad.py",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    return (out / "rnn.html").read_text(encoding="utf-8"), (out / "rnn_grad.py").read_text(
        encoding="utf-8"
    )


def check_structure(page_text, source_text, module_text, source_name):
    """Everything the page promises about its panes and links; returns the parsed page."""
    p = Page(page_text)
    assert set(p.panes) == {"src", "gen"}
    assert len(p.ids) == len(set(p.ids)), "ids are unique"
    src = p.rows("src")
    assert [r[0] for r in src] == [f"src-L{n}" for n in range(1, len(src) + 1)]
    assert [r[2] for r in src] == source_text.splitlines()  # escaped, read back whole
    source_line = {r[0]: r[2] for r in src}
    gen = p.rows("gen")
    assert [r[2] for r in gen] == module_text.splitlines()
    grad_blocks = 0
    for k, (rid, attrs, text, hrefs) in enumerate(gen):
        for pattern in (GRAD_OF, FWD_WHERE):
            m = pattern.search(text)
            if not m or m["file"] != source_name:
                continue
            target = f"#src-L{m['line']}"
            assert hrefs and set(hrefs) == {target}, (rid, text, hrefs)  # number and comment
            assert attrs["data-src"] == m["line"]
            if pattern is GRAD_OF:  # the line it quotes is the line it links to
                grad_blocks += 1
                assert source_line[target[1:]].strip() == m["text"]
                nxt = gen[k + 1][1]  # the block goes on under the comment
                assert nxt.get("data-blk") == attrs["data-blk"], (rid, text)
        if "data-src" in attrs:
            assert hrefs[0] == f"#src-L{attrs['data-src']}"
    for tag, attrs in p.attrs:  # links stay in the page, nothing is fetched
        assert "src" not in attrs, (tag, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed"), tag
        href = attrs.get("href")
        assert href is None or href.startswith("#") and href[1:] in p.ids, href
    assert "url(" not in p.raw["style"] and "@import" not in p.raw["style"]
    assert "http" not in p.raw["script"] and "http" not in p.raw["style"]
    return p, grad_blocks


def test_rnn_page_links_every_block_to_its_source_line(rnn):
    page_text, module_text = rnn
    with open(os.path.join(ROOT, "examples", "rnn_grad.py"), encoding="utf-8") as f:
        assert module_text == f.read()  # -o beside --html: the module as without it
    with open(RNN, encoding="utf-8") as f:
        source_text = f.read()
    p, grad_blocks = check_structure(page_text, source_text, module_text, "rnn.py")
    assert grad_blocks == module_text.count("# grad of:") == 6
    # each source line the module comes from is marked; line 15 has forward and backward lines
    gen = p.rows("gen")
    from15 = [r[0] for r in gen if r[1].get("data-src") == "15"]
    assert {"gen-L11", "gen-L14", "gen-L15", "gen-L29", "gen-L30", "gen-L36"} <= set(from15)
    assert {r[0] for r in p.rows("src") if "from" in r[1]["class"]} == {
        f"src-L{n}"
        for n in (14, 15, 16, 17)  # (the seed and 1 / T: numbers, printed inline)
    }


def test_page_is_deterministic_and_names_the_file_by_its_base_name(rnn, tmp_path):
    result = run(
        "emit", RNN + "::loss", "--wrt", "Wx,Wh,b,Wy", "--html", tmp_path / "p.html", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # without -o the page alone is written
    assert (tmp_path / "p.html").read_text(encoding="utf-8") == rnn[0]
    assert ROOT not in rnn[0] and str(tmp_path) not in rnn[0]


def golden_page(case, **options):
    path = os.path.join("golden", case, "input.py")
    old = os.getcwd()
    os.chdir(ROOT)  # (relative paths, as tools/regen_golden.py)
    try:
        func = options.pop("func", None)
        module_text, page_text = cli.emit_html(f"{path}::{func}" if func else path, **options)
    finally:
        os.chdir(old)
    with open(os.path.join(GOLDEN, case, "grad.py"), encoding="utf-8") as f:
        assert module_text == f.read()  # the golden module, with its page
    with open(os.path.join(GOLDEN, case, "input.py"), encoding="utf-8") as f:
        return page_text, f.read(), module_text


@pytest.mark.parametrize(
    "case, options, blocks",
    [
        ("cf_nested_loops", {"func": "nested", "wrt": "x", "signature": "n=3, m=2"}, 6),
        ("second_order_loop", {"func": "chain", "wrt": "x", "order": 2}, None),
        ("fwd_lists", {"func": "f", "wrt": "x", "mode": "fwd"}, 0),
        ("decorated_module", {}, None),
    ],
)
def test_golden_pages(case, options, blocks):
    page_text, source_text, module_text = golden_page(case, **options)
    p, grad_blocks = check_structure(page_text, source_text, module_text, "input.py")
    assert grad_blocks == module_text.count("# grad of:")
    if blocks is not None:
        assert grad_blocks == blocks
    linked = [r for r in p.rows("gen") if "data-src" in r[1]]
    assert len(linked) > len(p.rows("gen")) // 2  # most lines come from a source line


def test_less_than_and_ampersand_are_escaped():
    page_text, source_text, module_text = golden_page("cf_ifexp_boolop", func="choose", wrt="x")
    check_structure(page_text, source_text, module_text, "input.py")
    assert "b < 100" in source_text and "b < 100" not in page_text
    assert "b &lt; 100" in page_text


def test_markup_in_the_source_stays_text(tmp_path):
    src = tmp_path / "tricky.py"
    src.write_text(
        'import numpy as np\n\n\ndef f(x: "float64[n]"):\n'
        '    """<b>bold</b> & </script><script>alert(1)</script>"""\n'
        "    y = x * 2.0  # a < b && c > d\n"
        "    return np.sum(y * y)\n",
        encoding="utf-8",
    )
    module_text, page_text = cli.emit_html(f"{src}::f", wrt="x")
    check_structure(page_text, src.read_text(encoding="utf-8"), module_text, "tricky.py")
    assert page_text.count("<script>") == page_text.count("</script>") == 1
    assert (
        "<b>bold" not in page_text and "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;/script&gt;" in page_text
    )


def test_links_into_another_file_are_named_not_linked(tmp_path):
    text = "# Generated\nx = 1  # other.py:3\n"
    links = (None, codegen.SourceLink(str(tmp_path / "other.py"), 3, 0, "fwd"))
    page_text = html.page("a = 1\n", str(tmp_path / "mine.py"), text, links)
    p = Page(page_text)
    row = p.rows("gen")[1]
    assert row[3] == [] and "data-src" not in row[1] and row[1]["title"] == "other.py:3"


@pytest.mark.parametrize(
    "args, where",
    [
        (["examples/rnn.py::loss", "--wrt", "W3"], "examples/rnn.py:"),
        (["examples/rnn.py::nope"], "examples/rnn.py:"),
    ],
)
def test_errors_write_no_page(tmp_path, args, where):
    out = tmp_path / "page.html"
    result = run("emit", *args, "--html", out)
    assert result.returncode == 1
    assert result.stderr.startswith(where) and ": error: " in result.stderr
    assert not out.exists() and result.stdout == ""


def test_unwritable_module_writes_no_page_either(tmp_path):
    page, module = tmp_path / "page.html", tmp_path / "missing_dir" / "g.py"
    result = run("emit", "examples/rnn.py::loss", "--wrt", "Wx", "--html", page, "-o", module)
    assert result.returncode == 1
    assert f"cannot write {module}" in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither file, nor a temporary one


def test_unwritable_page_is_an_error(tmp_path):
    out = tmp_path / "missing_dir" / "page.html"
    result = run("emit", "examples/rnn.py::loss", "--wrt", "Wx", "--html", out)
    assert result.returncode == 1
    assert "cannot write" in result.stderr and str(out) in result.stderr
    assert list(tmp_path.iterdir()) == []


# ---- in a browser -------------------------------------------------------------------------


def chromium_dom(page_text, tmp_path, fragment="", then=""):
    """The DOM headless Chromium holds after loading the page (at #fragment) and running
    the script `then` (events dispatched as a user's would be)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed")
    path = tmp_path / "page.html"
    path.write_text(
        page_text.replace("</body>", f"<script>{then}</script></body>"), encoding="utf-8"
    )
    env = dict(os.environ, HOME=str(tmp_path), TMPDIR=str(tmp_path))
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            path.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return Page(result.stdout)


def lit(p):
    return {
        rid
        for pane in ("src", "gen")
        for rid, a, _, _ in p.rows(pane)
        if "hl" in a["class"].split()
    }


def test_browser_highlights_a_block_and_its_source_line(rnn, tmp_path):
    over = (
        'document.getElementById("gen-L38").dispatchEvent('
        'new MouseEvent("mouseover", {bubbles: true}));'
    )
    p = chromium_dom(rnn[0], tmp_path, then=over)
    assert lit(p) == {"src-L15", "gen-L36", "gen-L37", "gen-L38", "gen-L39", "gen-L40"}


def test_browser_highlights_a_source_line_and_its_lines(rnn, tmp_path):
    expected = {"src-L16"} | {
        r[0] for r in Page(rnn[0]).rows("gen") if r[1].get("data-src") == "16"
    }
    over = (
        'document.getElementById("src-L16").dispatchEvent('
        'new MouseEvent("mouseover", {bubbles: true}));'
    )
    assert lit(chromium_dom(rnn[0], tmp_path, then=over)) == expected
    assert lit(chromium_dom(rnn[0], tmp_path, fragment="#src-L16")) == expected
    assert len(expected) == 4  # y = h @ Wy: the forward line, its grad block's two lines
