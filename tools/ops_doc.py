"""Writes docs/ops.md, the table of ops s2sgrad knows, from the op definitions
(spellings, traits) and the rules table (`--check` exits non-zero when the file
is stale).

    python tools/ops_doc.py [--check]
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from s2sgrad import rules  # noqa: E402
from s2sgrad.frontend import lower  # noqa: E402
from s2sgrad.ir import opcodes  # noqa: E402

PATH = os.path.join(ROOT, "docs", "ops.md")


def cases():
    """op -> the names of the numerical cases (tests/rules_cases.py) sending a gradient
    through it, or checking that it gives none."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    try:
        import rules_cases as C
    finally:
        sys.path.pop(0)
    out = {}
    for case in C.CASES:
        for op in case.rules:
            out.setdefault(op, []).append(case.name)
    for ops, fn in C.NONDIFF_CASES:
        for op in ops:
            out.setdefault(op, []).append(fn.__name__)
    return out


def case_list(names, most=3):
    shown = ", ".join(f"`{n}`" for n in names[:most])
    return shown + (f" (+{len(names) - most})" if len(names) > most else "")


def spellings(op):
    d = opcodes.OPS[op]
    out = [f"`{way}`" for way in d.syntax]
    if d.form[0] in ("binop", "cmp", "unop"):
        out.append(f"`{d.form[1].strip()}`" if d.form[1].strip() != "not" else "`not`")
    out += [f"`np.{n}`" for n, o in sorted(opcodes.NUMPY.items()) if o == op]
    out += [f"`x.{n}(...)`" for n, o in sorted(opcodes.METHODS.items()) if o == op]
    out += [f"`x.{n}`" for n, o in sorted(opcodes.ATTRIBUTES.items()) if o == op]
    out += [f"`np.{n}` (as {op})" for n, o in sorted(opcodes.NUMPY_COMPOSED.items()) if o == op]
    out += [f"`x.{n}()` (as {op})" for n, o in sorted(opcodes.METHODS_COMPOSED.items()) if o == op]
    out += [f"`rng.{n}(...)`" for n, o in sorted(opcodes.RNG_METHODS.items()) if o == op]
    out += [f"`rng.{n}(...)` (as {op})" for n, o in sorted(opcodes.RNG_COMPOSED.items()) if o == op]
    out += [f"`math.{n}`" for n, o in sorted(math_ops().items()) if o == op]
    return ", ".join(out) or "(internal)"


def xp_spelling(op):
    """How array-API code (--xp) writes the op (OpDef.xp)."""
    form = opcodes.OPS[op].xp
    if form is None:
        return "**refused**"
    return {"same": "as NumPy", "special": "codegen_xp"}.get(
        form[0], f"`{form[1]}`" if form[0] == "call" else ""
    )


def math_ops():
    """math.<name> -> opcode, for the math functions lowered as NumPy's."""
    import math

    names = set(lower._MATH_AS_NUMPY) | {
        n for n, to in lower._MATH.items() if to in lower._MATH_AS_NUMPY
    }
    return {n: opcodes.NUMPY[lower._MATH.get(n, n)] for n in names if hasattr(math, n)}


def counts():
    """(differentiable spellings: np functions, array methods, math functions; constants)."""

    def split(table):
        ops = opcodes.OPS
        return (
            {n for n, o in table.items() if o in rules.RULES},
            {n for n, o in table.items() if ops[o].constant},
        )

    (np_d, np_c), (m_d, m_c), (math_d, _) = (
        split({**opcodes.NUMPY, **opcodes.NUMPY_COMPOSED}),
        split({**opcodes.METHODS, **opcodes.METHODS_COMPOSED}),
        split(math_ops()),
    )
    return len(np_d), len(m_d), len(math_d), len(np_c) + len(m_c)


TRAITS = [
    ("new", "makes a new array or number"),
    ("view", "its result is its first operand or a view of it"),
    ("maybe view", "a view or a copy, as run-time layout, shape or dtype decide"),
    (
        "view or new",
        "depends on the operands (basic indexing views, advanced copies; a "
        "cast to the dtype it has is the array itself)",
    ),
    ("holds", "its result may be or hold any operand (containers, tape items)"),
    (
        "foreign",
        "a value the function did not make (constants, a callee's result, a "
        "tuple's item): never written in place",
    ),
    ("write", "its first operand with items written (in place or on a copy)"),
    ("read-only", "a view NumPy makes read-only"),
    ("metadata", "reads only its operands' shape and dtype"),
    (
        "effect: ...",
        "what it does to a loop tape (new, update, consume), or `draw`: it "
        "advances a random generator (never removed, merged, recomputed or moved)",
    ),
    ("elementwise", "acts element by element, operands broadcast together"),
    ("cheap", "recomputed in a backward region rather than saved on a tape"),
    ("literal", "a constant or display, printed where it is used"),
    ("statement", "written as a statement of its own"),
    ("no inline", "never printed inside another expression"),
]


def traits(op):
    """The traits of an op, as the words TRAITS explains."""
    d = opcodes.OPS[op]
    memory = {"maybe": "maybe view", "write": "write"}.get(d.memory, d.memory)
    out = ["view or new" if callable(d.memory) else memory] if d.memory else []
    out += [word for word, flag in [("read-only", d.read_only), ("metadata", d.metadata)] if flag]
    if d.effect:
        out.append(f"effect: {d.effect}")
    out += [
        word
        for word, flag in [
            ("elementwise", d.elementwise),
            ("cheap", d.cheap),
            ("literal", d.literal),
            ("statement", d.statement),
            ("no inline", not d.inline),
        ]
        if flag
    ]
    return ", ".join(out)


def text():
    lines = [
        "# Ops",
        "",
        "Every op s2sgrad knows, how it is written in source, and its gradient.",
        "Written by `tools/ops_doc.py` from the opcode table (`s2sgrad/ir/opcodes.py`)",
        "and the rules table (`s2sgrad/rules/`); do not edit by hand.",
        "",
        "- **rule**: differentiable; the column gives the rule's math.",
        "- **constant**: declared non-differentiable (its result carries no gradient,",
        "  as integer values never do).",
        "- **structural**: moves Python structure (tuples, constants), never numbers.",
        "- An op with none of these raises `LookupError` when a gradient must flow",
        "  through it; add one with `@s2sgrad.register_gradient(np.<name>, override=True)`",
        "  (*Custom rules* in contract.md).",
        "",
        "The traits are what the passes ask of an op (`OpDef` in `s2sgrad/ir/opcodes.py`",
        "says what each means):",
        "",
    ]
    lines += [f"- `{name}`: {what}" for name, what in TRAITS]
    n_np, n_methods, n_math, n_const = counts()
    lines += [
        "",
        "## Coverage",
        "",
        f"Differentiable (a spelling whose op has a rule): {n_np + n_methods + n_math} "
        f"spellings: {n_np} NumPy functions, {n_methods} array methods, {n_math} `math` "
        f"functions. Constants (no gradient): {n_const} NumPy functions and methods. "
        f"Draws from a `np.random.Generator` argument: {len(opcodes.RNG_METHODS)} "
        f"methods as ops, {len(opcodes.RNG_COMPOSED)} (`normal`, `uniform`) written "
        "with them, differentiable in their parameters. "
        f"Ops: {sum(1 for o in opcodes.OPS if o in rules.RULES)} with rules, "
        f"{sum(1 for d in opcodes.OPS.values() if d.constant)} constant, "
        f"{sum(1 for d in opcodes.OPS.values() if d.structural)} structural.",
        "",
        "## The ops",
    ]
    lines += [
        "",
        "Numerical cases: the functions of `tests/rules_cases.py` that check the op "
        "against central differences (in float64 and float32), or that its result "
        "carries no gradient.",
        "",
    ]
    lines += [
        (
            "Array API (`--xp`, docs/xp.md): how array-API code writes the op: the "
            "standard's function, `as NumPy` (an operator, indexing, Python structure), "
            "`codegen_xp` (a form `s2sgrad/codegen_xp.py` writes), or **refused** (the "
            "standard has none: an error at the line)."
        ),
        "",
    ]
    lines += [
        "| op | written as | gradient | traits | array API | numerical cases |",
        "|---|---|---|---|---|---|",
    ]
    checked = cases()
    for op in sorted(opcodes.OPS):
        if op in rules.RULES:
            doc = (rules.RULES[op].fn.__doc__ or "").strip().split("\n\n")[0]
            grad = "rule: " + " ".join(line.strip() for line in doc.splitlines())
        elif opcodes.OPS[op].constant:
            grad = "constant"
        elif opcodes.OPS[op].structural:
            grad = "structural"
        else:
            grad = "**none** (LookupError)"
        grad = grad.replace("|", "\\|")
        lines.append(
            f"| `{op}` | {spellings(op).replace('|', chr(92) + '|')} | {grad} | "
            f"{traits(op)} | {xp_spelling(op)} | {case_list(checked.get(op, []))} |"
        )
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
