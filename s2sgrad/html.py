"""A side-by-side HTML view of a generated module and its source (`s2sgrad emit --html`).

One self-contained page (inline CSS and script, no external resource): the source
file on the left, each line with the id `src-L<n>`; the generated module on the
right, each line `gen-L<n>`. A generated line that comes from a line of the source
file links to it (its number, and the `file:line` its comment names) and carries
`data-src` (that line) and `data-blk` (its block: the lines under one `# grad of:`
comment, or one forward statement's). Hovering a generated line highlights its
block and its source line; hovering a source line highlights every generated line
made from it; clicking either scrolls the other pane to it. The URL fragment does
the same (`page.html#src-L15`: line 15 and its lines, shown on load).

The links come from codegen.module_links (each line's op's location), not from
reading the comments back. Output is a pure function of the arguments: no
timestamps, and the source file is named by its base name only.
"""

import html
import io
import keyword
import os
import tokenize

_CSS = """
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { display: flex; flex-direction: column; font: 13px/1.45 "DejaVu Sans Mono", Menlo,
       Consolas, monospace; color: #1d1d1d; background: #fff; }
header { padding: 6px 12px; background: #f3f3f0; border-bottom: 1px solid #ccc;
         font-family: sans-serif; font-size: 13px; }
header b { font-family: monospace; }
main { flex: 1; display: grid; grid-template-columns: 1fr 1fr; min-height: 0; }
section { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
section + section { border-left: 2px solid #bbb; }
h2 { margin: 0; padding: 4px 12px; font: bold 12px sans-serif; background: #e8e8e4;
     border-bottom: 1px solid #ccc; }
.pane { flex: 1; overflow: auto; padding: 4px 0 40vh 0; }
.ln { display: flex; white-space: pre; min-height: 1.45em; }
.no { flex: none; width: 4.5em; padding-right: 0.8em; text-align: right; color: #999;
      user-select: none; text-decoration: none; }
a.no { color: #5a7fb0; }
.code { flex: 1; padding-right: 12px; }
.cm { color: #6b6b6b; font-style: italic; }
.cm a { color: #2f5f9f; }
.st { color: #8a4b08; }
.kw { color: #7a1f80; font-weight: bold; }
.g-grad { background: #f6f8ff; }
.g-seed, .g-out { background: #f4fbf4; }
.from { background: #fbfbf2; }
.g-grad.first { box-shadow: inset 0 1px #d3dbef; }
.ln.hl { background: #ffe58a; }
.ln.hl .no { color: #5b4500; }
#src .ln.hl { box-shadow: inset 4px 0 #d9a400; }
"""

# Hover and click on either pane, and the URL fragment, highlight a source line
# with the generated lines made from it, or a generated block with its source line.
_SCRIPT = """
(function () {
  var lit = [];
  function rows(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function clear() { lit.forEach(function (e) { e.classList.remove("hl"); }); lit = []; }
  function light(els) {
    els.forEach(function (e) { if (e) { e.classList.add("hl"); lit.push(e); } });
  }
  function ofSource(n) {
    clear(); light([document.getElementById("src-L" + n)]);
    light(rows('#gen .ln[data-src="' + n + '"]'));
  }
  function ofBlock(row) {
    clear(); light(rows('#gen .ln[data-blk="' + row.dataset.blk + '"]'));
    light([document.getElementById("src-L" + row.dataset.src)]);
  }
  function show(el) { if (el) el.scrollIntoView({block: "center"}); }
  function fromHash() {
    var m = /^#(src|gen)-L(\\d+)$/.exec(location.hash), row;
    if (!m) { clear(); return; }
    row = document.getElementById(m[1] + "-L" + m[2]);
    if (m[1] === "src") {
      ofSource(m[2]); show(row);
      show(document.querySelector('#gen .ln[data-src="' + m[2] + '"]'));
    } else if (row && row.dataset.src) {
      ofBlock(row); show(row); show(document.getElementById("src-L" + row.dataset.src));
    }
  }
  function rowOf(e, pane) {
    var row = e.target.closest(".ln");
    return row && row.parentNode.id === pane ? row : null;
  }
  document.getElementById("gen").addEventListener("mouseover", function (e) {
    var row = rowOf(e, "gen");
    if (row && row.dataset.src) ofBlock(row);
  });
  document.getElementById("src").addEventListener("mouseover", function (e) {
    var row = rowOf(e, "src");
    if (row && row.classList.contains("from")) ofSource(row.id.slice(5));
  });
  rows(".pane").forEach(function (p) { p.addEventListener("mouseleave", fromHash); });
  document.getElementById("gen").addEventListener("click", function (e) {
    var row = rowOf(e, "gen");
    if (row && row.dataset.src && !e.target.closest("a")) {
      history.replaceState(null, "", "#" + row.id); fromHash();
    }
  });
  document.getElementById("src").addEventListener("click", function (e) {
    var row = rowOf(e, "src");
    if (row && row.classList.contains("from")) {
      history.replaceState(null, "", "#" + row.id); fromHash();
    }
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
"""


_HELP = (
    "hover a generated line for its block and its source line, a source line for the "
    "lines made from it; click to pin (the URL's #src-L&lt;n&gt; pins one on load)"
)


def page(source_text, source_file, module_text, links, title=None):
    """The page: source_text (the file `source_file`) beside module_text, whose lines'
    links (codegen.module_links: a SourceLink or None each) into source_file become
    anchors. Links into other files (a helper imported from another module) are named
    in a tooltip only."""
    name = os.path.basename(source_file)
    mod_lines = module_text.splitlines()
    here = [k if k is not None and _same_file(k.file, source_file) else None for k in links]
    used = {k.line for k in here if k is not None}
    src_lines = source_text.splitlines()
    title = title or f"{name}: generated module"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<header><b>{_e(title)}</b> &mdash; {_HELP}</header>",
        "<main>",
        f'<section><h2>source: {_e(name)}</h2><div class="pane" id="src">',
    ]
    for n, (line, spans) in enumerate(zip(src_lines, _spans(src_lines)), 1):
        cls = "ln from" if n in used else "ln"
        out.append(
            f'<div class="{cls}" id="src-L{n}"><span class="no">{n}</span>'
            f'<span class="code">{_code(line, spans)}</span></div>'
        )
    out.append("</div></section>")
    out.append('<section><h2>generated module</h2><div class="pane" id="gen">')
    prev = None
    for n, (line, spans) in enumerate(zip(mod_lines, _spans(mod_lines)), 1):
        link = here[n - 1] if n - 1 < len(here) else None
        other = links[n - 1] if n - 1 < len(links) and link is None else None
        first = link is not None and (prev is None or prev.block != link.block)
        out.append(_generated_row(n, line, spans, link, other, name, first))
        prev = link
    out += ["</div></section>", "</main>", f"<script>{_SCRIPT}</script>", "</body>", "</html>", ""]
    return "\n".join(out)


def _generated_row(n, line, spans, link, other, name, first):
    """One line of the module: linked to its source line when it has one in the file
    (`first`: the first line of its block)."""
    if link is None:
        tip = f' title="{_e(os.path.basename(other.file))}:{other.line}"' if other else ""
        return (
            f'<div class="ln" id="gen-L{n}"{tip}><span class="no">{n}</span>'
            f'<span class="code">{_code(line, spans)}</span></div>'
        )
    where = f"{name}:{link.line}"
    code = _code(line, spans, (where, f"#src-L{link.line}"))
    return (
        f'<div class="ln g-{_e(link.role)}{" first" if first else ""}" id="gen-L{n}" data-src="{link.line}" '
        f'data-blk="{link.block}"><a class="no" href="#src-L{link.line}" '
        f'title="{_e(where)}">{n}</a><span class="code">{code}</span></div>'
    )


def _same_file(a, b):
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _e(text):
    return html.escape(str(text), quote=True)


def _code(line, spans, anchor=None):
    """The escaped line with its comments, strings and keywords in spans; `anchor`
    (text, href): that text inside a comment becomes a link (the `file:line` that
    codegen writes in `# grad of: ... [file:line]` and `# file:line`)."""
    out, pos = [], 0
    for start, end, cls in spans:
        out.append(_e(line[pos:start]))
        piece = line[start:end]
        if cls == "cm" and anchor and anchor[0] in piece:
            before, _, after = piece.rpartition(anchor[0])
            inner = f'{_e(before)}<a href="{anchor[1]}">{_e(anchor[0])}</a>{_e(after)}'
        else:
            inner = _e(piece)
        out.append(f'<span class="{cls}">{inner}</span>')
        pos = end
    out.append(_e(line[pos:]))
    return "".join(out)


def _spans(lines):
    """For each line, its (start, end, class) spans: comments `cm`, strings `st`,
    keywords `kw`, from Python's tokenizer (so a `#` in a string is not a comment);
    none at all for text the tokenizer refuses."""
    spans = [[] for _ in lines]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return spans
    for tok in tokens:
        cls = {tokenize.COMMENT: "cm", tokenize.STRING: "st"}.get(tok.type)
        if cls is None and tok.type == tokenize.NAME and keyword.iskeyword(tok.string):
            cls = "kw"
        if cls is None:
            continue
        (r0, c0), (r1, c1) = tok.start, tok.end
        for r in range(r0, r1 + 1):  # a string over several lines: a span on each
            if r - 1 < len(lines):
                spans[r - 1].append(
                    (c0 if r == r0 else 0, c1 if r == r1 else len(lines[r - 1]), cls)
                )
    return spans


__all__ = ["page"]
