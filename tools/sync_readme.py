"""Rewrites the generated-module blocks of README.md (those preceded by
`<!-- readme-test: generated FILE::FUNC ARGS... -->`) with what `s2sgrad emit`
writes today; tests/test_readme.py fails while one is stale.

    python tools/sync_readme.py
"""

import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(
    r"(<!-- readme-test: generated (?P<args>[^>]*?) -->\n```python\n)(?P<body>.*?)(```)", re.S
)


def main():
    path = os.path.join(ROOT, "README.md")
    text = open(path, encoding="utf-8").read()

    def fresh(m):
        out = subprocess.run(
            [sys.executable, "-m", "s2sgrad.cli", "emit", *shlex.split(m.group("args"))],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return m.group(1) + out + m.group(4)

    new = BLOCK.sub(fresh, text)
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
        print("wrote README.md")


if __name__ == "__main__":
    main()
