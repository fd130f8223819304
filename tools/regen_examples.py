"""Writes the gradient module of each shipped example next to it (examples/*_grad.py),
with the command line its docstring gives; `--check` exits non-zero with a diff
when one is stale.

    python tools/regen_examples.py [--check]
"""

import difflib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from s2sgrad import cli  # noqa: E402

# example file, function, --wrt: each written to examples/<file stem>_grad.py
EXAMPLES = [
    ("mlp.py", "loss", "W1,b1,W2,b2"),
    ("logistic.py", "loss", "w,b"),
    ("rnn.py", "loss", "Wx,Wh,b,Wy"),
    ("newton.py", "cube_root_sum", "c"),
    ("physics.py", "miss", "v0,drag"),
    ("custom_rules.py", "loss", "a,w"),
    ("classifier.py", "loss", "params", "--has-aux"),
]


def outputs():
    os.chdir(ROOT)  # relative paths: the modules name their source by base name only
    for file, func, wrt, *flags in EXAMPLES:
        path = os.path.join("examples", file.replace(".py", "_grad.py"))
        yield path, cli.emit_text(f"examples/{file}::{func}", wrt=wrt, has_aux="--has-aux" in flags)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    stale = False
    for path, text in outputs():
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if "--check" in argv:
            if old != text:
                stale = True
                sys.stdout.writelines(
                    difflib.unified_diff(
                        old.splitlines(True), text.splitlines(True), f"a/{path}", f"b/{path}"
                    )
                )
        elif old != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
