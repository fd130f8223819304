"""Benchmarks: s2sgrad's generated gradient against a hand-written NumPy gradient.

Each workload times, in one run and interleaved, (a) the gradient module
s2sgrad writes and (b) a gradient written by hand the way a NumPy user would,
and reports the ratio of their best times (lower is better; 1.00 means as
fast as by hand). Machines are shared and noisy: read ratios, not seconds.

    python tools/bench.py [--repeat 30] [--quick]
"""

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))

import s2sgrad  # noqa: E402


def mlp_by_hand(x, W1, b1, W2, b2, y):
    h = np.tanh(x @ W1 + b1)
    out = h @ W2 + b2
    err = out - y
    n = x.shape[0]
    d_out = 2.0 * err / n
    d_W2 = h.T @ d_out + 2e-3 * W2
    d_b2 = d_out.sum(axis=0)
    d_h = d_out @ W2.T
    d_z = d_h * (1.0 - h * h)
    d_W1 = x.T @ d_z + 2e-3 * W1
    d_b1 = d_z.sum(axis=0)
    return d_W1, d_b1, d_W2, d_b2


def logistic_by_hand(w, b, X, y, lam):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    d_z = (p - y) / X.shape[0]
    return X.T @ d_z + 2.0 * lam * w, d_z.sum()


def rnn_by_hand(xs, h0, Wx, Wh, b, Wy, ys):
    T = xs.shape[0]
    hs = [h0]
    errs = []
    for t in range(T):
        hs.append(np.tanh(xs[t] @ Wx + hs[-1] @ Wh + b))
        errs.append(hs[-1] @ Wy - ys[t])
    d_Wx, d_Wh, d_b, d_Wy = (np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b),
                             np.zeros_like(Wy))
    d_h = np.zeros_like(h0)
    for t in reversed(range(T)):
        d_y = 2.0 * errs[t] / T
        d_Wy += d_y * hs[t + 1]
        d_z = (d_h + d_y * Wy) * (1.0 - hs[t + 1] ** 2)
        d_Wx += np.outer(xs[t], d_z)
        d_Wh += np.outer(hs[t], d_z)
        d_b += d_z
        d_h = Wh @ d_z
    return d_Wx, d_Wh, d_b, d_Wy


def workloads(quick):
    import logistic
    import mlp
    import rnn
    rng = np.random.default_rng(0)
    n, d, h, k = (64, 32, 64, 10) if quick else (512, 128, 256, 10)
    mlp_args = (rng.standard_normal((n, d)), rng.standard_normal((d, h)) * 0.1,
                rng.standard_normal(h), rng.standard_normal((h, k)) * 0.1,
                rng.standard_normal(k), rng.standard_normal((n, k)))
    m, dd = (256, 32) if quick else (4096, 256)
    log_args = (rng.standard_normal(dd) * 0.1, 0.3, rng.standard_normal((m, dd)),
                (rng.random(m) > 0.5).astype(float), 1e-3)
    T, d, hh = (20, 8, 16) if quick else (100, 32, 64)
    rnn_args = (rng.standard_normal((T, d)), rng.standard_normal(hh), rng.standard_normal((d, hh)) * 0.1,
                rng.standard_normal((hh, hh)) * 0.1, rng.standard_normal(hh), rng.standard_normal(hh),
                rng.standard_normal(T))
    return [
        ("mlp", s2sgrad.grad(mlp.loss, wrt=(1, 2, 3, 4)), mlp_by_hand, mlp_args),
        ("rnn", s2sgrad.grad(rnn.loss, wrt=(2, 3, 4, 5)), rnn_by_hand, rnn_args),
        ("logistic", s2sgrad.grad(logistic.loss, wrt=(0, 1)), logistic_by_hand, log_args),
    ]


def best_time(fn, args, repeat, inner):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn(*args)
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args(argv)
    print(f"{'workload':<10} {'s2sgrad':>12} {'by hand':>12} {'ratio':>7}  max |diff|")
    for name, gen, hand, inputs in workloads(args.quick):
        got, want = gen(*inputs), hand(*inputs)
        diff = max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in zip(got, want))
        gen(*inputs), hand(*inputs)  # warm
        inner = 5 if not args.quick else 20
        t_gen = t_hand = float("inf")
        for _ in range(args.repeat):      # interleaved, so both see the same machine
            t_gen = min(t_gen, best_time(gen, inputs, 1, inner))
            t_hand = min(t_hand, best_time(hand, inputs, 1, inner))
        print(f"{name:<10} {t_gen * 1e6:>10.1f}us {t_hand * 1e6:>10.1f}us {t_gen / t_hand:>7.2f}  "
              f"{diff:.1e}")


if __name__ == "__main__":
    main()
