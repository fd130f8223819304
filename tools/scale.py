"""Transform time against program size: straight-line functions of N statements
and loops whose bodies have N statements, N in 100, 300, 1000, 3000.

    python tools/scale.py [--sizes 100,300,1000,3000]

Each program is `f(x, w)` over a (4,) array and a weight used by every
statement; its first call through `s2sgrad.grad` (parse, IR, reverse,
passes, out-of-SSA, codegen, compile) is timed, once per program, each in a
fresh Python process (as a user's first call is: nothing cached, no heap left
by earlier transforms), for `--repeat` programs of each size and shape: the
table gives the fastest and the slowest. Prints a table and the log-log
slope of time against N for each shape (1.0 is linear).

Shared machines run at different speeds from one minute to the next: the
table ends with the time of a reference loop of pure Python (ten million
additions) measured in the same run, to compare figures across machines.
"""

import argparse
import importlib.util
import math
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import numpy as np  # noqa: E402

import s2sgrad  # noqa: E402

OPS = [
    "v{i} = np.sin(v{j}) * w + v{k}",
    "v{i} = np.tanh(v{j} * 0.5) - v{k} * w",
    "v{i} = v{j} * v{k} * 0.1 + w",
    "v{i} = np.cos(v{j} + w) * 0.5",
]


def body(n, indent):
    lines = []
    for i in range(1, n + 1):
        j, k = max(0, i - 1), max(0, i - 1 - (i * 7) % 5)
        lines.append(indent + OPS[i % len(OPS)].format(i=i, j=j, k=k))
    return lines


def straight(n):
    return "\n".join(
        ["import numpy as np", "", "def f(x, w):", "    v0 = x * 1.0"]
        + body(n, "    ")
        + [f"    return np.sum(v{n})", ""]
    )


def loop(n):
    return "\n".join(
        ["import numpy as np", "", "def f(x, w):", "    v0 = x * 1.0", "    for t in range(3):"]
        + body(n, "        ")
        + [f"        v0 = v{n} * 0.5", "    return np.sum(v0)", ""]
    )


def first_call_fresh(shape, n, name):
    """first_call of scale.<shape>(n), in a new Python process."""
    code = (
        f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
        f"import scale; print(scale.first_call(scale.{shape}({n}), {name!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def first_call(src, name):
    d = tempfile.mkdtemp()
    path = os.path.join(d, f"{name}.py")
    with open(path, "w") as fh:
        fh.write(src)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    g = s2sgrad.grad(mod.f, (0, 1))
    x = np.linspace(0.1, 0.4, 4)
    t0 = time.perf_counter()
    g(x, 0.3)
    return time.perf_counter() - t0


def slope(ns, ts):
    xs, ys = [math.log(n) for n in ns], [math.log(t) for t in ts]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / sum((a - mx) ** 2 for a in xs)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,300,1000,3000")
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="programs timed per size and shape (each a new function); the "
        "table gives the fastest, as timeit does, and the slowest",
    )
    args = ap.parse_args(argv)
    ns = [int(s) for s in args.sizes.split(",")]
    print(f"{'N':>6} {'straight (s)':>13} {'(slowest)':>10} {'loop (s)':>10} {'(slowest)':>10}")
    rows = {"straight": [], "loop": []}
    for n in ns:
        ts, tl = [], []
        for k in range(args.repeat):
            ts.append(first_call_fresh("straight", n, f"straight_{n}_{k}"))
            tl.append(first_call_fresh("loop", n, f"loop_{n}_{k}"))
        rows["straight"].append(min(ts))
        rows["loop"].append(min(tl))
        print(
            f"{n:>6} {min(ts):>13.3f} {max(ts):>10.3f} {min(tl):>10.3f} {max(tl):>10.3f}",
            flush=True,
        )
    for shape, ts in rows.items():
        if len(ns) > 1:
            print(f"log-log slope, {shape}: {slope(ns, ts):.2f}")
    print(f"reference loop (10**7 additions in pure Python): {reference():.3f} s")


def reference():
    t0 = time.perf_counter()
    s = 0
    for i in range(10**7):
        s += i
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
