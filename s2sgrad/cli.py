"""The `s2sgrad` command: write gradient modules from source files, never executing them.

    s2sgrad emit FILE::FUNC [--wrt a,b] [--order N] [--signature SIG] [--checkpoint sqrt] [-o OUT]
    s2sgrad emit FILE::FUNC --mode fwd [--wrt a,b] [--signature SIG] [-o OUT]
    s2sgrad emit FILE [-o OUT]                every @s2sgrad.function of FILE
    s2sgrad emit ... --html OUT.html          the source beside the module, linked (html.py)
    s2sgrad emit ... --xp                     array-API code (docs/xp.md)
    s2sgrad show FILE::FUNC [--ir [--stage STAGE]] [--wrt ...] [--order N] [--signature SIG]
    s2sgrad help [TOPIC]                      the documentation that ships with s2sgrad
    s2sgrad --version                         (`python -m s2sgrad` is the same command)

A plain FUNC gets its gradient module (`grad_FUNC`, with respect to --wrt, by
default every float parameter). A FUNC decorated with @s2sgrad.function is
written with its `gradients(...)` calls expanded. Parameter types come from
annotations (`x: "float64[n, d]"`, `x: float`) or --signature
("x: float64[n, d], W: float64[d, h], use_zero=True"); an unannotated
parameter is a float64 array of unknown rank; a function s2sgrad generated
takes the types its docstring names (`Specialised for (x: float64[n0])`).
--order N writes the N-th derivative (`--order 2`: grad of grad, built on the
IR, each level with respect to --wrt; every level but the last must return a
scalar). --mode fwd writes the forward-mode module instead: `jvp_FUNC(<FUNC's
parameters>, d_x, ...)` returning `(out, d_out)`, the derivative along the
tangents d_x, ... of the --wrt parameters. --checkpoint sqrt checkpoints the loops'
reverse sweeps (as grad(f, checkpoint="sqrt")). A generated module is itself accepted
as FILE (loop-free code: the list tapes of a loop's reverse sweep are refused).

`show` prints what `emit` would write, or with --ir the IR after a stage.

Errors go to stderr as FILE:LINE:COL: error: ..., with exit status 1 and no output
file; a usage error (an unknown option) exits with 2, as argparse does.
"""

import argparse
import ast
import os
import sys
import tempfile
import textwrap
from dataclasses import replace

import gast

from . import codegen, docs, html, transform
from .errors import InvalidArgumentError, Loc, S2SGradError, UnsupportedError
from .frontend import pytrees
from .frontend import source as S
from .frontend.lower import Static
from .ir import types as T
from .ir.printer import print_function


def _split_top(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_signature(text):
    """'x: float64[n, d], flag=True' -> {name: Type | Static}."""
    out = {}
    for part in _split_top(text or ""):
        if "=" in part and ":" not in part.split("=")[0]:
            name, _, value = part.partition("=")
            try:
                out[name.strip()] = Static(ast.literal_eval(value.strip()))
            except (ValueError, SyntaxError):
                raise InvalidArgumentError(
                    f"--signature: cannot read the value of {part!r}",
                    hint="write NAME=True, NAME=3 or NAME='text'",
                ) from None
            continue
        name, sep, typ = part.partition(":")
        if not sep:
            raise InvalidArgumentError(
                f"--signature: {part!r} is not 'name: type' or 'name=value'",
                hint="e.g. --signature 'x: float64[n, 3], W: float64[3, k]'",
            )
        try:
            typ = typ.strip()
            out[name.strip()] = (
                pytrees.parse(typ, T.parse_signature_type)
                if typ[:1] in "{[("
                else T.parse_signature_type(typ)
            )
        except TypeError as e:
            raise InvalidArgumentError(
                f"--signature: unknown type {typ.strip()!r} ({e})",
                hint="use float, int, bool, float64[n, 3], float32[...], "
                "or a pytree of them: {'W': float64[n, h], 'b': "
                "float64[h]}",
            ) from None
    return out


def annotation_types(parsed):
    out = {}
    for arg in parsed.node.args.args:
        ann = arg.annotation
        if ann is None:
            continue
        text = None
        if isinstance(ann, gast.Constant) and isinstance(ann.value, str):
            text = ann.value
        elif isinstance(ann, gast.Name) and ann.id in ("float", "int", "bool"):
            text = ann.id
        elif isinstance(ann, (gast.Dict, gast.List, gast.Tuple)):  # a pytree of types
            try:
                out[arg.id] = pytrees.from_node(ann, T.parse_signature_type)
            except TypeError as e:
                raise InvalidArgumentError(
                    f"annotation of {arg.id!r}: {e}",
                    loc=parsed.loc(ann),
                    hint="annotate a pytree with a display of type "
                    "strings: {'W': \"float64[n, h]\", 'b': "
                    '"float64[h]"}',
                ) from None
            continue
        if text is None:
            continue
        try:
            out[arg.id] = T.parse_signature_type(text)
        except TypeError as e:
            raise InvalidArgumentError(
                f"annotation of {arg.id!r}: unknown type {text!r} ({e})",
                loc=parsed.loc(ann),
                hint="use float, int, bool, float64[n, 3], float32[...]",
            ) from None
    return out


def generated_types(parsed):
    """The types in the docstring of a function s2sgrad generated
    (its docstring `Specialised for (x: float64[n0], n=3).`), so a generated module
    is differentiated again for the signature it was made for; {} otherwise."""
    body = parsed.node.body
    doc = (
        body[0].value.value
        if body
        and isinstance(body[0], gast.Expr)
        and isinstance(body[0].value, gast.Constant)
        and isinstance(body[0].value.value, str)
        else ""
    )
    if not (doc.startswith("Specialised for (") and doc.endswith(").")):
        return {}
    try:
        return parse_signature(doc[len("Specialised for (") : -2])
    except InvalidArgumentError as e:
        raise InvalidArgumentError(
            f"the docstring of {parsed.node.name}: {e.message}",
            loc=parsed.loc(body[0]),
            hint="pass --signature to say the parameter types",
        ) from None


def default_types(parsed):
    """{name: type} of the parameters with a literal default value (`scale=2.0` a float,
    `n=3`, `flag=True`, `act='relu'`, `w=None` static values, as the API's call with the
    default would give them), which an annotation or --signature overrides."""
    a = parsed.node.args
    out = {}
    for arg, d in zip(a.args[len(a.args) - len(a.defaults) :], a.defaults):
        literal = S.literal_value(d)
        if literal is None or isinstance(literal[0], complex):
            continue
        v = literal[0]
        out[arg.id] = T.PY_FLOAT if type(v) is float else Static(v)
    return out


def arg_types(parsed, signature):
    types_ = {a.id: T.Type(dtype="float64") for a in parsed.node.args.args}
    types_.update(default_types(parsed))
    types_.update({k: v for k, v in generated_types(parsed).items() if k in types_})
    types_.update(annotation_types(parsed))
    try:
        given = parse_signature(signature)
    except InvalidArgumentError as e:  # report it at the function it is about
        raise InvalidArgumentError(e.message, loc=parsed.loc(parsed.node), hint=e.hint) from None
    unknown = set(given) - set(types_)
    if unknown:
        raise InvalidArgumentError(
            f"--signature names {', '.join(sorted(unknown))}, not parameters of {parsed.node.name}",
            loc=parsed.loc(parsed.node),
            hint=f"its parameters: {', '.join(types_) or 'none'}",
        )
    types_.update(given)
    return types_


def _differentiable(t):
    """A parameter's type that a gradient is taken of when --wrt is left out: a float
    (not a static value, not integers); a pytree with a float leaf."""
    if isinstance(t, pytrees.Tree):
        return any(_differentiable(leaf) for leaf in t.leaves)
    return not isinstance(t, Static) and not t.is_integer


def request_for(parsed, types_, wrt, order=1, mode="rev", has_aux=False, checkpoint=None):
    if checkpoint is not None and (mode == "fwd" or S.is_decorated(parsed.node, parsed.resolver)):
        raise InvalidArgumentError(
            "--checkpoint applies to the gradient module (grad_FUNC) of a plain function",
            loc=parsed.loc(parsed.node),
            hint="leave out --checkpoint (in a decorated function, "
            "pass checkpoint='sqrt' to its gradients(...) call)",
        )
    if has_aux and (mode == "fwd" or order != 1 or S.is_decorated(parsed.node, parsed.resolver)):
        raise InvalidArgumentError(
            "--has-aux applies to the gradient module (grad_FUNC) of a plain function, first order",
            loc=parsed.loc(parsed.node),
            hint="leave out --has-aux",
        )
    if mode == "fwd" and (order != 1 or S.is_decorated(parsed.node, parsed.resolver)):
        raise InvalidArgumentError(
            "--mode fwd writes the forward-mode module of a plain function: "
            + (
                "--order does not apply"
                if order != 1
                else f"{parsed.node.name} is decorated with @s2sgrad.function"
            ),
            loc=parsed.loc(parsed.node),
            hint="leave out --order (jvp_FUNC gives first derivatives along the tangents passed in)"
            if order != 1
            else "emit the undecorated function with --mode fwd",
        )
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise InvalidArgumentError(
            f"--order must be a positive integer, got {order!r}",
            loc=parsed.loc(parsed.node),
            hint="--order 2 for second derivatives",
        )
    if S.is_decorated(parsed.node, parsed.resolver):
        if wrt or order != 1:
            raise InvalidArgumentError(
                f"{parsed.node.name} is decorated with @s2sgrad.function: its gradients(...) "
                f"calls say what to differentiate, so {'--wrt' if wrt else '--order'} does "
                "not apply",
                loc=parsed.loc(parsed.node),
                hint="leave it out (nest gradients calls for higher derivatives)",
            )
        return transform.Request("function")
    if wrt:
        names = tuple(w.strip() for w in wrt.split(",") if w.strip())
    else:
        names = tuple(n for n, t in types_.items() if _differentiable(t))
    if mode == "fwd":  # jvp_FUNC(<FUNC's parameters>, d_x, ...) -> (out, d_out)
        return transform.Request("jvp", names)
    request = None
    for _ in range(order):  # --order 2: grad of grad, each with respect to --wrt
        request = transform.Request(
            "grad",
            names,
            wrt_is_tuple=len(names) != 1,
            inner=request,
            has_aux=has_aux,
            checkpoint=checkpoint,
        )
    return request


def _targets(spec):
    path, sep, func = spec.partition("::")
    if sep:
        return path, [func]
    tree, _ = S.functions_in_file(path)
    resolver = S.module_resolver(tree)
    funcs = [
        s.name for s in tree.body if isinstance(s, gast.FunctionDef) and S.is_decorated(s, resolver)
    ]
    if not funcs:
        raise InvalidArgumentError(
            f"{path} has no function decorated with @s2sgrad.function",
            loc=Loc(path, 0, 0),
            hint="name one: s2sgrad emit FILE::FUNC --wrt x",
        )
    return path, funcs


def emit_text(
    target, wrt=None, signature=None, order=1, mode="rev", has_aux=False, checkpoint=None, xp=False
):
    """The module `s2sgrad emit TARGET` writes, as text (with `xp`, array-API code:
    codegen_xp.py)."""
    _, fns, header = _emitted(target, wrt, signature, order, mode, has_aux, checkpoint, xp)
    return codegen.module(fns, header, verify=transform.VERIFY)


def emit_html(
    target, wrt=None, signature=None, order=1, mode="rev", has_aux=False, checkpoint=None, xp=False
):
    """(the module, the page `s2sgrad emit TARGET --html OUT.html` writes: the source
    file beside the module, each generated line linked to its source line)."""
    path, fns, header = _emitted(target, wrt, signature, order, mode, has_aux, checkpoint, xp)
    text, links = codegen.module_links(fns, header, verify=transform.VERIFY)
    return text, html.page(S.read_file(path), path, text, links)


def _emitted(target, wrt, signature, order, mode, has_aux, checkpoint, xp=False):
    """(the source file, the IR functions of TARGET's module, its header lines)."""
    path, funcs = _targets(target)
    fns, header = [], []
    for func in funcs:
        parsed = S.from_file(path, func)
        types_ = arg_types(parsed, signature)
        request = replace(request_for(parsed, types_, wrt, order, mode, has_aux, checkpoint), xp=xp)
        fn = transform.build_ir(parsed, types_, request)
        fns.append(fn)
        header += transform.header_lines(fn, request)
    return path, fns, header


# transform.build_ir's stages, then out-of-SSA's decisions on the final IR
STAGES = (
    "lower",
    "inline",
    "shift",
    "attach",
    "unconnected",
    "reverse",
    "forward",
    "loop_stack",
    "loop_accumulate",
    "cse",
    "broadcast",
    "ones",
    "negation",
    "scatter",
    "hoist_invariant",
    "dce",
    "pymath",
    "out_of_ssa",
)
# (inline: --order 2 of a function calling helpers)


def show_text(
    target,
    wrt=None,
    signature=None,
    stage="dce",
    order=1,
    mode="rev",
    checkpoint=None,
    has_aux=False,
    xp=False,
):
    """What `s2sgrad show TARGET --ir --stage STAGE` prints: one stage's IR; with
    'all' or a tuple of stage names, each stage under a `// after NAME` line."""
    path, funcs = _targets(target)
    wanted = None if stage == "all" else (stage,) if isinstance(stage, str) else tuple(stage)
    out = []
    for func in funcs:
        parsed = S.from_file(path, func)
        types_ = arg_types(parsed, signature)
        request = replace(request_for(parsed, types_, wrt, order, mode, has_aux, checkpoint), xp=xp)
        stages = []
        transform.build_ir(parsed, types_, request, stages)
        stages.append(("out_of_ssa", stages[-1][1]))
        for name, fn in stages:
            if wanted is None or name in wanted:
                if wanted is None or len(wanted) > 1:
                    out.append(f"// after {name}\n")
                out.append(print_function(fn, codegen.plan_notes if name == "out_of_ssa" else None))
    return "".join(out)


def _request(args):
    """The options emit_text, emit_html and (with --ir) show_text take, by name."""
    return dict(
        wrt=args.wrt,
        signature=args.signature,
        order=args.order,
        mode=args.mode,
        has_aux=args.has_aux,
        checkpoint=args.checkpoint,
        xp=args.xp,
    )


def cmd_emit(args):
    if args.html:  # the page; the module too with -o (on stdout only without --html)
        text, page = emit_html(args.target, **_request(args))
        outputs = [(args.html, page)] + ([(args.output, text)] if args.output else [])
    else:
        text = emit_text(args.target, **_request(args))
        outputs = [(args.output, text)] if args.output else []
    if outputs:
        _write_outputs(outputs)
    else:
        sys.stdout.write(text)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_outputs(outputs):
    """Write every (path, text), or none: each into a temporary file beside its path,
    renamed into place once all are written."""
    temps = []
    try:
        for path, text in outputs:
            fd, tmp = tempfile.mkstemp(
                dir=os.path.dirname(os.path.abspath(path)),
                prefix=".s2sgrad-",
                suffix=os.path.splitext(path)[1],
            )
            temps.append(tmp)
            os.chmod(tmp, 0o666 & ~_umask())  # (mkstemp's file is 0600: as open() would)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        for (path, _), tmp in zip(outputs, temps):
            os.replace(tmp, path)
    except OSError as e:
        raise InvalidArgumentError(
            f"cannot write {path}: {e.strerror}",
            hint="check that its directory exists and is writable",
        ) from None
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def cmd_show(args):
    if args.ir or args.stage is not None:
        text = show_text(args.target, stage=args.stage or "dce", **_request(args))
    else:
        text = emit_text(args.target, **_request(args))
    sys.stdout.write(text)


def cmd_help(args):
    if args.topic is None:
        sys.stdout.write(docs.index())
    else:
        sys.stdout.write(docs.page(args.topic))


_DESCRIPTIONS = {
    "emit": "Write the gradient module of FUNC: grad_FUNC, the gradient with respect to "
    "--wrt (or, with --mode fwd, jvp_FUNC, forward mode). FILE is read, never run: "
    'parameter types come from annotations (x: "float64[n, d]"), --signature, or '
    "default to float64 arrays. The module imports only numpy and math "
    "(array_api_compat with --xp).",
    "show": "Print the module `emit` would write (to stdout), or with --ir the IR behind it: "
    "after the final stage, or after --stage STAGE (all: after every stage).",
}

EXAMPLES = {
    "emit": """examples:
  s2sgrad emit examples/mlp.py::loss --wrt W1,b1,W2,b2 -o mlp_grad.py
  s2sgrad emit model.py::loss --wrt x --signature 'x: float64[n, 3], flag=True'
  s2sgrad emit model.py::loss --wrt x --order 2          (grad of grad)
  s2sgrad emit model.py::loss --wrt x --mode fwd         (jvp_loss: forward mode)
  s2sgrad emit model.py                  (every @s2sgrad.function of model.py)
  s2sgrad emit examples/rnn.py::loss --wrt Wx,Wh -o g.py --html g.html   (side by side)""",
    "show": """examples:
  s2sgrad show examples/mlp.py::loss --wrt W1,b1      (the module, as emit writes it)
  s2sgrad show examples/mlp.py::loss --wrt W1 --ir    (the final IR)
  s2sgrad show examples/mlp.py::loss --wrt W1 --ir --stage all   (after every stage)""",
    "help": """examples:
  s2sgrad help                  (the topics)
  s2sgrad help limitations      (what s2sgrad accepts, and what to write instead)""",
}

EXIT_CODES = """exit status:
  0  done
  1  an error in the source or the arguments, printed to stderr as
     FILE:LINE:COL: error: ... (no output file is left behind)
  2  a usage error (an unknown option, a missing argument)"""


def _parser():
    from . import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="s2sgrad",
        formatter_class=fmt,
        description="Write gradient modules from Python/NumPy source files, never executing "
        "them.\nThe modules are plain NumPy: read them, ship them, step through "
        "them in pdb.",
        epilog=EXAMPLES["emit"].replace("examples:", "examples:", 1)
        + "\n\n"
        + EXIT_CODES
        + "\n\n`s2sgrad COMMAND --help` tells more; `s2sgrad help` lists the documentation.",
    )
    parser.add_argument("--version", action="version", version=f"s2sgrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    about = {
        "emit": "write the gradient module of FUNC (or the forward-mode one)",
        "show": "print the module emit would write, or the IR behind it (--ir)",
        "help": "print the documentation that ships with s2sgrad",
    }
    for name in ("emit", "show"):
        p = sub.add_parser(
            name,
            help=about[name],
            description=textwrap.fill(_DESCRIPTIONS[name], 79),
            epilog=EXAMPLES[name] + "\n\n" + EXIT_CODES,
            formatter_class=fmt,
        )
        p.add_argument(
            "target",
            metavar="FILE::FUNC",
            help="the function (FILE alone: every @s2sgrad.function in it)",
        )
        p.add_argument(
            "--wrt",
            metavar="X,Y",
            help="comma-separated parameters to differentiate with respect to "
            "(default: every float parameter)",
        )
        p.add_argument(
            "--signature",
            metavar="SIG",
            help="parameter types, e.g. 'x: float64[n, 3], flag=True' (default: "
            "annotations, else float64 arrays)",
        )
        p.add_argument(
            "--order",
            type=int,
            default=1,
            metavar="N",
            help="2 for the gradient of the gradient (second derivative), 3 ...; "
            "each with respect to --wrt (default: 1)",
        )
        p.add_argument(
            "--mode",
            choices=("rev", "fwd"),
            default="rev",
            help="rev: the gradient module (grad_FUNC); fwd: the forward-mode module "
            "jvp_FUNC(<FUNC's parameters>, d_x, ...) -> (out, d_out)",
        )
        p.add_argument(
            "--checkpoint",
            choices=("sqrt",),
            default=None,
            help="sqrt: each for loop over a range() keeps its carried values every "
            "~sqrt(T) steps and its reverse sweep recomputes the steps between "
            "(as grad(f, checkpoint='sqrt'))",
        )
        p.add_argument(
            "--has-aux",
            action="store_true",
            help="FUNC returns (value, aux): grad_FUNC returns (gradient, aux), "
            "aux not differentiated (as grad(f, has_aux=True))",
        )
        p.add_argument(
            "--xp",
            action="store_true",
            help="array-API code: its namespace taken from its array arguments "
            "(NumPy, array_api_strict, CuPy, Dask; s2sgrad help xp)",
        )
        if name == "emit":
            p.add_argument(
                "-o", "--output", metavar="OUT.py", help="write the module here (default: stdout)"
            )
            p.add_argument(
                "--html",
                metavar="OUT.html",
                help="write a page showing the source beside the module, each "
                "generated line linked to its source line (the module goes "
                "to -o only)",
            )
        else:
            p.add_argument("--ir", action="store_true", help="print the IR instead of the module")
            p.add_argument(
                "--stage",
                default=None,
                choices=list(STAGES) + ["all"],
                metavar="STAGE",
                help="with --ir: the stage whose IR to print, or all (default: dce, "
                "the final one but for pymath's marks); one of " + ", ".join(STAGES),
            )
    p = sub.add_parser(
        "help",
        help=about["help"],
        formatter_class=fmt,
        description="Print a page of s2sgrad's documentation (it ships with the package).",
        epilog=EXAMPLES["help"],
    )
    p.add_argument("topic", nargs="?", help="one of: " + ", ".join(docs.topics()))
    return parser


def main(argv=None):
    """The `s2sgrad` command; returns its exit status."""
    args = _parser().parse_args(argv)
    run = {"emit": cmd_emit, "show": cmd_show, "help": cmd_help}[args.command]
    try:
        run(args)
    except S2SGradError as e:
        msg = str(e)
        if e.loc is None:
            msg = f"s2sgrad: error: {msg}"
        print(msg, file=sys.stderr)
        return 1
    except BrokenPipeError:  # `s2sgrad show ... | head`
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "emit_text", "emit_html", "show_text", "UnsupportedError"]
