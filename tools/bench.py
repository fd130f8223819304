"""Benchmarks: s2sgrad's gradients against an expert's hand-written NumPy gradients.

Six workloads (tools/workloads.py): a function of three Python floats, a chain of
elementwise ops on a 1e6-vector, a max-stabilised logsumexp of a 1000x1000 matrix,
logistic regression (examples/logistic.py), a two-layer MLP with a softmax
cross-entropy loss, and a 50-step RNN (examples/rnn.py). In one run, interleaved
(every round times each contender in turn, so all see the same machine), it
reports the best time of the plain function f, the hand-written gradient, the
gradient s2sgrad writes (called through `s2sgrad.grad(f, wrt=...)`, as users call
it) and, where installed (`pip install -e '.[bench]'`), `autograd.grad` and
`jax.jit(jax.grad)` of the same source run on their own NumPy (float64). Then the
cold first call (transform + first run, each in a fresh interpreter) of s2sgrad
and jax.jit, and the peak memory (tracemalloc; NumPy reports its buffers to it)
of each gradient next to the hand-written one's. Machines are shared and noisy:
read ratios, not seconds. Every contender runs on one CPU, in one thread. The header
names the kernel NumPy's OpenBLAS chose: the matrix products (of NumPy, so of the
hand-written and the generated gradients alike) depend on it, and OpenBLAS may
choose an older one than the CPU has (`OPENBLAS_CORETYPE=SkylakeX` overrides it on
an AVX-512 machine; docs/performance.md).

    python tools/bench.py [--quick] [--markdown] [--rounds N] [--only NAME,...]
"""

import argparse
import gc
import json
import math
import os
import platform
import subprocess
import sys
import time
import tracemalloc
import types

# One core for every contender: the machines this runs on are shared, and a second
# thread fighting for a busy core makes a matmul's time vary tenfold (set them to
# override). XLA's CPU client starts threads of its own whatever XLA_FLAGS says (jax
# 0.10 took 1.7 cores of CPU time for a matmul here), so the process, and the fresh
# interpreters of the cold calls, run on one CPU (S2SGRAD_BENCH_CPUS=all to leave it).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
if os.environ.get("S2SGRAD_BENCH_CPUS") != "all" and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tools"))

import workloads as W  # noqa: E402

import s2sgrad  # noqa: E402

# ---- the peers, on the same source ----------------------------------------------


def _rebind(f, module):
    """f with `np` in its globals bound to `module` (autograd.numpy, jax.numpy)."""
    return types.FunctionType(
        f.__code__, dict(f.__globals__, np=module), f.__name__, f.__defaults__, f.__closure__
    )


def _autograd():
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None
    return lambda w: autograd.grad(_rebind(w.f, anp), argnum=w.wrt)


def _jax():
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_grad(jax, w, inputs):
    """jax.jit(jax.grad(f)) and the inputs placed on the device (its arrays), blocking
    until the result is ready (JAX dispatches asynchronously)."""
    import jax.numpy as jnp

    g = jax.jit(jax.grad(_rebind(w.f, jnp), argnums=w.wrt))
    args = tuple(jax.device_put(a) if isinstance(a, np.ndarray) else a for a in inputs)
    jax.block_until_ready(args)
    return (lambda *a: jax.block_until_ready(g(*a))), args


# ---- measuring ------------------------------------------------------------------


def _sample(fn, args, inner):
    t0 = time.perf_counter()
    for _ in range(inner):
        fn(*args)
    return (time.perf_counter() - t0) / inner


def _calibrate(fn, args, target):
    """The number of calls that take about `target` seconds (at least one)."""
    inner = 1
    while True:
        t = _sample(fn, args, inner) * inner
        if t >= target or inner >= 1 << 20:
            return max(1, int(inner * target / max(t, 1e-9)))
        inner *= 4 if t < target / 8 else 2


def interleaved(contenders, rounds, target):
    """{name: best seconds per call}: every round times each contender once (in an order
    rotated from round to round), with the garbage collector off during a sample."""
    names = list(contenders)
    inner = {n: _calibrate(*contenders[n], target) for n in names}
    best = {n: math.inf for n in names}
    for r in range(rounds):
        for n in names[r % len(names) :] + names[: r % len(names)]:
            fn, args = contenders[n]
            gc.disable()
            try:
                best[n] = min(best[n], _sample(fn, args, inner[n]))
            finally:
                gc.enable()
    return best


def peak_memory(fn, args):
    """Bytes allocated at the peak of one call, above what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn(*args)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del out
    return peak


def max_diff(got, want):
    return max(
        float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))
        for a, b in zip(got, want)
    )


def max_rel(got, want):
    return max(
        float(
            np.max(
                np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))
                / (1e-12 + np.max(np.abs(np.asarray(b, dtype=float))))
            )
        )
        for a, b in zip(got, want)
    )


# ---- the cold first call, in a fresh interpreter --------------------------------


def cold_one(name, tool, quick):
    """Seconds from nothing built to the first gradient (the transform, or jax's trace
    and compile, and the first run); the imports and the inputs are made before."""
    w = W.by_name(name)
    inputs = W.arguments(w, quick)
    if tool == "s2sgrad":
        t0 = time.perf_counter()
        s2sgrad.grad(w.f, wrt=w.wrt)(*inputs)
        return time.perf_counter() - t0
    g, args = _jax_grad(_jax(), w, inputs)  # (jax.jit traces and compiles at the first call)
    t0 = time.perf_counter()
    g(*args)
    return time.perf_counter() - t0


def cold(name, tool, quick):
    cmd = [sys.executable, os.path.abspath(__file__), "--cold-one", f"{name}:{tool}"]
    cmd += ["--quick"] if quick else []
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        ),
    )
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if out.returncode:
        return None, out.stderr.strip().splitlines()[-1:]
    return json.loads(out.stdout)["seconds"], None


# ---- one workload ---------------------------------------------------------------


def run_workload(w, opts, autograd_grad, jax):
    inputs = W.arguments(w, opts.quick)
    gen = s2sgrad.grad(w.f, wrt=w.wrt)
    want = w.hand(*inputs)
    got = gen(*inputs)
    row = {"name": w.name, "diff": max_diff(got, want), "notes": []}
    contenders = {"f": (w.f, inputs), "hand": (w.hand, inputs), "gen": (gen, inputs)}
    if autograd_grad is not None and not opts.no_peers:
        ag = autograd_grad(w)
        if max_rel(ag(*inputs), want) > 1e-8:
            row["notes"].append("autograd's gradient differs from the hand-written one")
        contenders["autograd"] = (ag, inputs)
    if jax is not None and not opts.no_peers:
        jg, jargs = _jax_grad(jax, w, inputs)
        if max_rel([np.asarray(a) for a in jg(*jargs)], want) > 1e-8:
            row["notes"].append("jax's gradient differs from the hand-written one")
        contenders["jax"] = (jg, jargs)
    row["time"] = interleaved(contenders, opts.rounds, 0.002 if opts.quick else 0.01)
    row["peak"] = {"gen": peak_memory(gen, inputs), "hand": peak_memory(w.hand, inputs)}
    if not opts.no_cold:
        row["cold"] = {}
        tools = ["s2sgrad"] + (["jax"] if jax is not None and not opts.no_peers else [])
        for tool in tools:
            row["cold"][tool], err = cold(w.name, tool, opts.quick)
            if err:
                row["notes"].append(f"cold {tool}: {' '.join(err)}")
    return row


# ---- the report -----------------------------------------------------------------


def _us(t):
    return "—" if t is None else f"{t * 1e6:.1f} µs" if t < 1e-3 else f"{t * 1e3:.2f} ms"


def _ms(t):
    return "—" if t is None else f"{t * 1e3:.1f} ms" if t < 10 else f"{t:.1f} s"


def _mb(n):
    return f"{n / 1e6:.2f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def _ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}"


def tables(rows):
    """[(title, header, body rows)] of the report."""
    speed = []
    for r in rows:
        t = r["time"]
        speed.append(
            [
                r["name"],
                _us(t["f"]),
                _us(t["hand"]),
                _us(t["gen"]),
                _ratio(t["gen"], t["hand"]),
                _ratio(t["gen"], t["f"]),
                _ratio(t.get("autograd"), t["gen"]),
                _ratio(t.get("jax"), t["gen"]),
                f"{r['diff']:.1e}",
            ]
        )
    geo = math.exp(sum(math.log(r["time"]["gen"] / r["time"]["hand"]) for r in rows) / len(rows))
    speed.append(["geomean", "", "", "", f"{geo:.2f}", "", "", "", ""])
    out = [
        (
            "Warm time per call (best of the interleaved rounds); max abs diff: s2sgrad's "
            "gradient against the hand-written one",
            [
                "workload",
                "f",
                "by hand",
                "s2sgrad",
                "gen/hand",
                "gen/f",
                "autograd/gen",
                "jax.jit/gen",
                "max abs diff",
            ],
            speed,
        )
    ]
    if all("cold" in r for r in rows):
        out.append(
            (
                "Cold first call (transform or trace + compile, and the first run; a fresh "
                "interpreter each)",
                ["workload", "s2sgrad", "jax.jit", "jax.jit/s2sgrad"],
                [
                    [
                        r["name"],
                        _ms(r["cold"].get("s2sgrad")),
                        _ms(r["cold"].get("jax")),
                        _ratio(r["cold"].get("jax"), r["cold"].get("s2sgrad")),
                    ]
                    for r in rows
                ],
            )
        )
    out.append(
        (
            "Peak memory of one gradient call (tracemalloc)",
            ["workload", "by hand", "s2sgrad", "gen/hand"],
            [
                [
                    r["name"],
                    _mb(r["peak"]["hand"]),
                    _mb(r["peak"]["gen"]),
                    _ratio(r["peak"]["gen"], r["peak"]["hand"]),
                ]
                for r in rows
            ],
        )
    )
    return out


def render(report, markdown):
    lines = []
    for title, header, body in report:
        if markdown:
            lines += [
                f"**{title}**",
                "",
                "| " + " | ".join(header) + " |",
                "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
            ]
            lines += ["| " + " | ".join(row) + " |" for row in body]
        else:
            widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
            lines += [
                title,
                "  ".join(
                    h.rjust(n) if i else h.ljust(n) for i, (h, n) in enumerate(zip(header, widths))
                ),
            ]
            lines += [
                "  ".join(
                    str(x).rjust(n) if i else str(x).ljust(n)
                    for i, (x, n) in enumerate(zip(row, widths))
                )
                for row in body
            ]
        lines.append("")
    return "\n".join(lines)


def environment(autograd_grad, jax):
    import importlib.metadata as md

    peers = []
    for name, there in (("autograd", autograd_grad), ("jax", jax)):
        peers.append(f"{name} {md.version(name)}" if there else f"{name} not installed")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return (
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"s2sgrad {md.version('s2sgrad')}, {', '.join(peers)}; "
        f"{platform.machine()}, {os.cpu_count()} CPUs, run on {cpus or '?'}; "
        f"OpenBLAS kernel {blas_core() or 'unknown'}"
    )


def blas_core():
    """The kernel NumPy's OpenBLAS chose for this CPU (OPENBLAS_CORETYPE overrides its
    choice), or None: its matrix products' speed depends on it."""
    import ctypes
    import glob

    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        lib = ctypes.CDLL(path)
        for name in (
            "scipy_openblas_get_corename64_",
            "openblas_get_corename64_",
            "scipy_openblas_get_corename",
            "openblas_get_corename",
        ):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--quick", action="store_true", help="small sizes and few rounds, for a smoke run"
    )
    ap.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    ap.add_argument(
        "--rounds", type=int, default=None, help="interleaved rounds (default 15, 3 with --quick)"
    )
    ap.add_argument("--only", default=None, help="comma-separated workload names")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold first calls")
    ap.add_argument("--no-peers", action="store_true", help="skip autograd and jax")
    ap.add_argument("--cold-one", default=None, help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if opts.cold_one:
        name, tool = opts.cold_one.split(":")
        print(json.dumps({"seconds": cold_one(name, tool, opts.quick)}))
        return
    if opts.rounds is None:
        opts.rounds = 3 if opts.quick else 15
    chosen = W.WORKLOADS if opts.only is None else [W.by_name(n) for n in opts.only.split(",")]
    autograd_grad, jax = _autograd(), _jax()
    rows = []
    for w in chosen:
        print(f"... {w.name}", file=sys.stderr, flush=True)
        rows.append(run_workload(w, opts, autograd_grad, jax))
    print(environment(autograd_grad, jax) + ("\n" if opts.markdown else ""))
    print(render(tables(rows), opts.markdown))
    for r in rows:
        for note in r["notes"]:
            print(f"note: {r['name']}: {note}")


if __name__ == "__main__":
    main()
