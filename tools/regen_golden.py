"""Rewrite golden/ from its cases, or check that it is up to date.

    python tools/regen_golden.py [CASE ...]            rewrite the generated files
    python tools/regen_golden.py --check [CASE ...]    exit 1 with a unified diff if
                                                       anything differs, is missing or stale

A case is a directory `golden/<case>/` holding one hand-written file and two
generated ones:

    input.py   the source. Its first lines say how to run s2sgrad on it, as the
               command line would be written with FILE left out:

                   # s2sgrad: emit loss --wrt W1,b1 --signature "x: float64[n, d]"
                   # s2sgrad: emit cube --wrt x --order 2     (grad of grad)
                   # s2sgrad: emit rnn --wrt W --mode fwd     (forward mode: jvp_rnn)
                   # s2sgrad: emit                 (every @s2sgrad.function of the file)

               Several `# s2sgrad:` lines at the top are joined with spaces (for
               long signatures). Only `emit [FUNC] [--wrt ...] [--order N]
               [--signature ...] [--mode ...] [--checkpoint sqrt] [--xp]` is accepted;
               FUNC is a top-level function of input.py, or `OBJECT.METHOD`, a method bound to a module-level
               object (a bound method, as `s2sgrad.grad(model.loss)` takes it:
               input.py is imported for it, and the functions behind the command
               line are run on the method's parsed source).
    ir.txt     `s2sgrad show golden/<case>/input.py::FUNC --ir --stage lower`
               then `--stage dce` (the final IR), each under `// after STAGE`
    grad.py    `s2sgrad emit golden/<case>/input.py::FUNC ...`

Both are made in-process by the functions behind the command line
(`s2sgrad.cli.show_text` and `s2sgrad.cli.emit_text`), from the repository root
with relative paths, so they are the CLI's bytes exactly. Nothing else writes
into golden/: review a golden diff like code.
"""

import argparse
import contextlib
import difflib
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = "golden"
INPUT = "input.py"
GENERATED = ("ir.txt", "grad.py")
IR_STAGES = ("lower", "dce")
HEADER = "# s2sgrad:"
IGNORED = frozenset({"__pycache__"})

if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))


class CaseError(Exception):
    """A case directory or its header is malformed, or s2sgrad failed on it."""


@dataclass(frozen=True)
class Command:
    func: str  # '' for every decorated function of the file
    wrt: str = None
    signature: str = None
    order: int = 1
    mode: str = "rev"  # 'fwd': the forward-mode module (jvp_FUNC)
    checkpoint: str = None  # 'sqrt': --checkpoint sqrt (loops checkpointed)
    xp: bool = False  # --xp: array-API code (docs/xp.md)


def parse_header(text, where=INPUT):
    """The Command in the leading `# s2sgrad:` lines of an input file."""
    parts = []
    for line in text.splitlines():
        if not line.startswith(HEADER):
            break
        parts.append(line[len(HEADER) :].strip())
    if not parts:
        raise CaseError(
            f"{where}: the first line must be '{HEADER} emit [FUNC] [--wrt ...] [--signature ...]'"
        )
    try:
        words = shlex.split(" ".join(parts))
    except ValueError as e:
        raise CaseError(f"{where}: cannot read the {HEADER} header: {e}") from None
    if not words or words[0] != "emit":
        raise CaseError(f"{where}: the {HEADER} header must start with 'emit'")
    parser = argparse.ArgumentParser(prog=f"{HEADER} emit", add_help=False, exit_on_error=False)
    parser.add_argument("func", nargs="?", default="")
    parser.add_argument("--wrt")
    parser.add_argument("--signature")
    parser.add_argument("--order", type=int, default=1)
    parser.add_argument("--mode", choices=("rev", "fwd"), default="rev")
    parser.add_argument("--checkpoint", choices=("sqrt",), default=None)
    parser.add_argument("--xp", action="store_true")
    try:
        ns, rest = parser.parse_known_args(words[1:])
    except argparse.ArgumentError as e:
        raise CaseError(f"{where}: {e}") from None
    if rest:
        raise CaseError(f"{where}: unexpected in the {HEADER} header: {' '.join(rest)}")
    return Command(ns.func, ns.wrt, ns.signature, ns.order, ns.mode, ns.checkpoint, ns.xp)


def case_names(root=ROOT):
    """Every case directory of golden/, sorted."""
    base = Path(root) / GOLDEN
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and p.name not in IGNORED)


def generate(case, root=ROOT):
    """{file name: text} of the generated files of one case, made in memory."""
    from s2sgrad import cli
    from s2sgrad.errors import S2SGradError

    rel = f"{GOLDEN}/{case}/{INPUT}"
    path = Path(root) / rel
    if not path.is_file():
        raise CaseError(f"{GOLDEN}/{case}: no {INPUT}")
    cmd = parse_header(path.read_text(encoding="utf-8"), rel)
    target = f"{rel}::{cmd.func}" if cmd.func else rel
    with contextlib.chdir(root):  # relative paths only: nothing absolute leaks out
        try:
            if "." in cmd.func:
                out = _generate_method(rel, cmd)
            else:
                out = {
                    "ir.txt": cli.show_text(
                        target,
                        cmd.wrt,
                        cmd.signature,
                        IR_STAGES,
                        cmd.order,
                        cmd.mode,
                        checkpoint=cmd.checkpoint,
                        xp=cmd.xp,
                    ),
                    "grad.py": cli.emit_text(
                        target,
                        cmd.wrt,
                        cmd.signature,
                        cmd.order,
                        cmd.mode,
                        checkpoint=cmd.checkpoint,
                        xp=cmd.xp,
                    ),
                }
        except S2SGradError as e:
            raise CaseError(f"{rel}: s2sgrad failed:\n{e}") from None
    for name, text in out.items():
        if str(Path(root).resolve()) in text:
            raise CaseError(f"{GOLDEN}/{case}/{name} would contain an absolute path")
    return out


def bound_method(rel, func):
    """The method `OBJECT.METHOD` of input.py's module-level object, input.py imported."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("golden_" + rel.split("/")[1], rel)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    obj = module
    for part in func.split("."):
        obj = getattr(obj, part)
    return obj


def _generate_method(rel, cmd):
    """ir.txt and grad.py of a bound method, by the command line's own functions on its
    parsed source (cli.emit_text and cli.show_text read a file's functions)."""
    from s2sgrad import cli, codegen, transform
    from s2sgrad.frontend import source as S
    from s2sgrad.ir.printer import print_function

    parsed = S.from_function(bound_method(rel, cmd.func))
    parsed.file = rel
    types_ = cli.arg_types(parsed, cmd.signature)
    request = cli.request_for(
        parsed, types_, cmd.wrt, cmd.order, cmd.mode, checkpoint=cmd.checkpoint
    )
    stages = []
    fn = transform.build_ir(parsed, types_, request, stages)
    ir = "".join(
        f"// after {name}\n" + print_function(f) for name, f in stages if name in IR_STAGES
    )
    return {
        "ir.txt": ir,
        "grad.py": codegen.module([fn], transform.header_lines(fn, request), verify=True),
    }


def diff_case(case, root=ROOT):
    """The unified diff between golden/<case>/ on disk and what it should be ('' if none)."""
    case_dir = Path(root) / GOLDEN / case
    expected = generate(case, root)
    chunks = []
    for name, text in expected.items():
        rel = f"{GOLDEN}/{case}/{name}"
        p = case_dir / name
        old = p.read_text(encoding="utf-8") if p.is_file() else None
        if old == text:
            continue
        chunks += difflib.unified_diff(
            [] if old is None else old.splitlines(keepends=True),
            text.splitlines(keepends=True),
            "/dev/null" if old is None else f"a/{rel}",
            f"b/{rel}",
        )
    for extra in _stale(case_dir):
        rel = f"{GOLDEN}/{case}/{extra.name}"
        try:
            lines = extra.read_text(encoding="utf-8").splitlines(keepends=True)
        except (UnicodeDecodeError, IsADirectoryError):
            lines = [f"(stale {'directory' if extra.is_dir() else 'binary file'})\n"]
        chunks += difflib.unified_diff(lines, [], f"a/{rel}", "/dev/null")
    return "".join(
        c if c.endswith("\n") else c + "\n\\ No newline at end of file\n" for c in chunks
    )


def write_case(case, root=ROOT):
    """Rewrite golden/<case>/'s generated files; remove stale ones. Returns the paths changed."""
    case_dir = Path(root) / GOLDEN / case
    changed = []
    for name, text in generate(case, root).items():
        p = case_dir / name
        if not p.is_file() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8", newline="\n")
            changed.append(p)
    for extra in _stale(case_dir):
        if extra.is_dir():
            raise CaseError(
                f"{GOLDEN}/{case}/{extra.name}: unexpected directory; remove it by hand"
            )
        extra.unlink()
        changed.append(extra)
    return changed


def _stale(case_dir):
    keep = {INPUT, *GENERATED} | IGNORED
    return sorted(p for p in case_dir.iterdir() if p.name not in keep)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a unified diff if golden/ is out of date",
    )
    parser.add_argument("cases", nargs="*", help="case names (default: every case in golden/)")
    args = parser.parse_args(argv)
    cases = args.cases or case_names()
    unknown = sorted(set(cases) - set(case_names()))
    if unknown:
        print(f"regen_golden: no such case: {', '.join(unknown)}", file=sys.stderr)
        return 2
    failed = 0
    for case in cases:
        try:
            if args.check:
                d = diff_case(case)
                if d:
                    sys.stdout.write(d)
                    failed += 1
            else:
                for p in write_case(case):
                    print(
                        f"wrote {p.relative_to(ROOT)}"
                        if p.exists()
                        else f"removed {p.relative_to(ROOT)}"
                    )
        except CaseError as e:
            print(f"regen_golden: {e}", file=sys.stderr)
            failed += 1
    if args.check and failed:
        print(
            f"regen_golden: {failed} of {len(cases)} case(s) out of date; "
            "run python tools/regen_golden.py and review the diff",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
