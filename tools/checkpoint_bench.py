"""Loop checkpointing against the full tape: peak memory and time of one gradient.

    PYTHONPATH=. python tools/checkpoint_bench.py [--steps 100000] [--size 100] [--runs 5]

The workload is issue 9's: `for t in range(T): h = np.tanh(W @ h + b)`, loss
`sum(h ** 2)`, the gradient with respect to h0, W and b, taken by `s2sgrad.grad`
with the full tape (default) and with `checkpoint="sqrt"`. Peak memory is
tracemalloc's peak during one call (after a first call that generates the
module), time the best of --runs calls of each, interleaved (tracemalloc off).
The gradients must be equal, bit for bit. Also printed: the bytes a step of
the tape holds for `x = np.sin(x) * w` and for the RNN (from the peaks at T and
2T), which a tape holding each value once brings near the step's array.
"""

import argparse
import time
import tracemalloc

import numpy as np

import s2sgrad


def rnn(h, W, b, T):
    for _t in range(T):
        h = np.tanh(W @ h + b)
    return np.sum(h**2)


def sin_loop(x, w, T):
    for _t in range(T):
        x = np.sin(x) * w
    return np.sum(x)


def peak(g, *args):
    tracemalloc.start()
    try:
        g(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    n = a.size
    h = rng.standard_normal(n)
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    b = rng.standard_normal(n) * 0.1
    full = s2sgrad.grad(rnn, (0, 1, 2))
    ckpt = s2sgrad.grad(rnn, (0, 1, 2), checkpoint="sqrt")
    args = (h, W, b, a.steps)
    g_full, g_ckpt = full(*args), ckpt(*args)  # (the modules generated)
    # (equal to rounding: passes/loop_accumulate.py sums the full tape's outer products
    # as one matrix product, the checkpointed segments step by step)
    rel = max(
        float(np.max(np.abs(x - y))) / max(float(np.max(np.abs(x))), 1e-300)
        for x, y in zip(g_full, g_ckpt)
    )
    same = rel <= 1e-12
    m_full, m_ckpt = peak(full, *args), peak(ckpt, *args)
    t_full = t_ckpt = float("inf")
    for _ in range(a.runs):
        for g, which in ((full, "full"), (ckpt, "ckpt")):
            t0 = time.perf_counter()
            g(*args)
            dt = time.perf_counter() - t0
            if which == "full":
                t_full = min(t_full, dt)
            else:
                t_ckpt = min(t_ckpt, dt)
    print(f"RNN h = tanh(W @ h + b), T = {a.steps}, h of {n} float64; gradient wrt h0, W, b")
    print(f"  {'':22}{'peak memory':>14}{'time (best of ' + str(a.runs) + ')':>22}")
    print(f"  {'full tape':22}{m_full / 1e6:>11.2f} MB{t_full:>20.3f} s")
    label = 'checkpoint="sqrt"'
    print(f"  {label:22}{m_ckpt / 1e6:>11.2f} MB{t_ckpt:>20.3f} s")
    print(
        f"  ratio ckpt/full: memory {m_ckpt / m_full:.4f}, time {t_ckpt / t_full:.2f}; "
        f"gradients {'equal' if same else 'DIFFERENT'} (largest difference {rel:.1e} "
        "of the largest entry)"
    )

    print("bytes a step of the tape holds (peak at 2T minus peak at T, over T; T = 1000):")
    x, w = rng.standard_normal(n), rng.uniform(-0.9, 0.9, n)
    for name, f, make in (
        ("x = np.sin(x) * w", sin_loop, lambda T: (x, w, T)),
        ("h = np.tanh(W @ h + b)", rnn, lambda T: (h, W, b, T)),
    ):
        g = s2sgrad.grad(f, (0, 1))
        g(*make(10))
        per = (peak(g, *make(2000)) - peak(g, *make(1000))) / 1000
        print(f"  {name:28}{per:8.0f} B (the step's array: {8 * n} B of data)")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
