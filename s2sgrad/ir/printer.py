"""The stable text form of the IR, one op a line (the golden format).

Names are given at print time, numbered in program order per hint
(`%h`, `%h.1`, ...); attributes are printed sorted; nothing depends on ids,
hashing or the environment. Example::

    %h = tanh(%t)  : float64[n0, n2]  # mlp.py:14
"""

import os

from .core import def_map


class Names:
    def __init__(self):
        self.names = {}
        self.counts = {}

    def __call__(self, v):
        if v not in self.names:
            hint = v.hint.lstrip("~")
            n = self.counts.get(hint, 0)
            self.counts[hint] = n + 1
            self.names[v] = f"%{hint}" if n == 0 else f"%{hint}.{n}"
        return self.names[v]


def format_attr(v):
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, tuple):
        return "(" + ", ".join(format_attr(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return repr(v)


def print_function(fn, notes=None):
    """The function, then each function it calls (named by `callee` attributes).
    `notes(fn)`, when given, returns a function `(op or region) -> text` whose text
    is appended to each op's line and each region's header (out-of-SSA's decisions)."""
    text = _print_one(fn, notes(fn) if notes else None)
    for c in fn.callees:
        text += "\n" + _print_one(c, notes(c) if notes else None)
    return text


def _print_one(fn, note=None):
    names = Names()
    params = ", ".join(f"{names(p)}: {p.type}" for p in fn.params)
    lines = [f"func {fn.name}({params}) {{"]
    _print_region(fn.body, names, lines, "  ", note)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _print_region(region, names, lines, indent, note=None):
    for op in region.ops:
        lines.append(indent + print_op(op, names) + (note(op) if note else ""))
        for i, r in enumerate(op.regions):
            args = ", ".join(names(a) for a in r.args)
            lines.append(f"{indent}  region {i}({args}) {{" + (note(r) if note else ""))
            _print_region(r, names, lines, indent + "    ", note)
            lines.append(indent + "  }")
    lines.append(f"{indent}yield {', '.join(names(v) for v in region.yields)}")


def print_op(op, names=None):
    names = names or Names()
    operands = ", ".join(names(v) for v in op.operands)
    attrs = ""
    if op.attrs:
        attrs = " {" + ", ".join(f"{k}={format_attr(v)}" for k, v in op.attrs) + "}"
    results = ", ".join(names(r) for r in op.results)
    types = ", ".join(str(r.type) for r in op.results)
    where = ""
    if op.loc is not None:
        where = f"  # {os.path.basename(op.loc.file)}:{op.loc.line}"
    if op.tag and op.tag != "fwd":
        where += f" [{op.tag}]"
    return f"{results} = {op.opcode}({operands}){attrs}  : {types}{where}"


__all__ = ["print_function", "print_op", "def_map"]
