"""Writes docs/ops.md, the table of ops s2sgrad knows, from the opcode and rules
tables (`--check` exits non-zero when the file is stale).

    python tools/ops_doc.py [--check]
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from s2sgrad import rules  # noqa: E402
from s2sgrad.ir import opcodes  # noqa: E402

PATH = os.path.join(ROOT, "docs", "ops.md")


# ops written with Python syntax rather than a name (the frontend lowers them itself)
SYNTAX = {"index": "`x[key]`", "setitem": "`y[key] = v`, `y[key] += v` (any `op=`)"}


def spellings(op):
    out = [SYNTAX[op]] if op in SYNTAX else []
    d = opcodes.OPS[op]
    if d.form[0] in ("binop", "cmp", "unop"):
        out.append(f"`{d.form[1].strip()}`" if d.form[1].strip() != "not" else "`not`")
    out += [f"`np.{n}`" for n, o in sorted(opcodes.NUMPY.items()) if o == op]
    out += [f"`x.{n}(...)`" for n, o in sorted(opcodes.METHODS.items()) if o == op]
    out += [f"`x.{n}`" for n, o in sorted(opcodes.ATTRIBUTES.items()) if o == op]
    return ", ".join(out) or "(internal)"


def text():
    lines = ["# Ops", "",
             "Every op s2sgrad knows, how it is written in source, and its gradient.",
             "Written by `tools/ops_doc.py` from the opcode table (`s2sgrad/ir/opcodes.py`)",
             "and the rules table (`s2sgrad/rules/`); do not edit by hand.", "",
             "- **rule**: differentiable; the column gives the rule's math.",
             "- **constant**: declared non-differentiable (its result carries no gradient,",
             "  as integer values never do).",
             "- **structural**: moves Python structure (tuples, constants), never numbers.",
             "- An op with none of these raises `LookupError` when a gradient must flow",
             "  through it; add one with `@s2sgrad.register_gradient(op)`.", "",
             "| op | written as | gradient |", "|---|---|---|"]
    for op in sorted(opcodes.OPS):
        if op in rules.RULES:
            doc = (rules.RULES[op].fn.__doc__ or "").strip().splitlines()[0]
            grad = f"rule: {doc}"
        elif op in rules.NONDIFFERENTIABLE:
            grad = "constant"
        elif op in rules.STRUCTURAL:
            grad = "structural"
        else:
            grad = "**none** (LookupError)"
        grad = grad.replace("|", "\\|")
        lines.append(f"| `{op}` | {spellings(op)} | {grad} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    new = text()
    if "--check" in argv:
        old = open(PATH, encoding="utf-8").read() if os.path.exists(PATH) else ""
        if old != new:
            print("docs/ops.md is stale: run python tools/ops_doc.py", file=sys.stderr)
            return 1
        return 0
    os.makedirs(os.path.dirname(PATH), exist_ok=True)
    with open(PATH, "w", encoding="utf-8") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
