"""Logistic regression trained by gradient descent on a Dask array bigger than one chunk,
with the gradient s2sgrad writes as array-API code (`xp=True`; docs/xp.md), next to the
same training on NumPy arrays.

    python examples/dask_train.py [--rows 400000] [--chunk 50000] [--steps 20] [--cluster]

The loss is examples/logistic.py's, written for NumPy. `s2sgrad.grad(loss, xp=True)`
generates code that takes its namespace from its arguments: given Dask arrays it builds
a Dask graph (each chunk of rows a task; the sums over rows a tree reduction), given
NumPy arrays it computes at once. `--cluster` runs the Dask steps on a
`dask.distributed` local cluster started here. Needs dask[array] (and distributed for
--cluster): pip install "s2sgrad[xp]" "dask[array,distributed]".
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import logistic  # noqa: E402

import s2sgrad  # noqa: E402


def data(rows, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, d))
    w_true = rng.standard_normal(d)
    y = (X @ w_true + 0.5 * rng.standard_normal(rows) > 0).astype(np.float64)
    return X, y


def train(grad, X, y, steps, lr, to_array, compute):
    """Gradient descent from zeros; the parameters kept as arrays of X's library
    (`to_array`), each step's gradient computed (`compute`) before the update."""
    d = X.shape[1]
    w, b = np.zeros(d), np.zeros(())
    for _ in range(steps):
        dw, db = compute(grad(to_array(w), to_array(b), X, y, 1e-4))
        w, b = w - lr * np.asarray(dw), b - lr * np.asarray(db)
    return w, b


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=400_000)
    p.add_argument("--features", type=int, default=20)
    p.add_argument("--chunk", type=int, default=50_000)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--cluster", action="store_true", help="a dask.distributed local cluster")
    args = p.parse_args(argv)

    import dask
    import dask.array as da

    X, y = data(args.rows, args.features)
    grad_np = s2sgrad.grad(logistic.loss, wrt=(0, 1))             # the NumPy module
    grad_xp = s2sgrad.grad(logistic.loss, wrt=(0, 1), xp=True)    # array-API code

    client = cluster = None
    if args.cluster:              # (started first: the chunks are persisted on its workers)
        import warnings

        import distributed
        warnings.filterwarnings("ignore", "Sending large graph")    # (the data, sent once)
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=False, dashboard_address=None)
        client = distributed.Client(cluster)
    Xd = da.from_array(X, chunks=(args.chunk, args.features)).persist()
    yd = da.from_array(y, chunks=args.chunk).persist()
    print(f"data: X {X.shape} float64, {X.nbytes / 2**20:.1f} MiB")
    print(f"dask: {Xd.numblocks[0]} chunks of {args.chunk} rows "
          f"({args.chunk * args.features * 8 / 2**20:.1f} MiB each), X.chunks[0][:3] = "
          f"{Xd.chunks[0][:3]}")

    def timed(name, *run_args):
        train(*run_args[:3], 1, *run_args[4:])                      # (built once: the cache)
        t = time.perf_counter()
        w, b = train(*run_args)
        dt = time.perf_counter() - t
        print(f"{name:36s} {args.steps} steps in {dt:7.3f} s ({dt / args.steps * 1e3:7.1f} ms "
              "a step)")
        return w, b

    same = np.asarray
    ref = timed("numpy, NumPy module", grad_np, X, y, args.steps, 0.5, same, tuple)
    via_xp = timed("numpy, array-API module", grad_xp, X, y, args.steps, 0.5, same, tuple)
    try:
        where = "dask.distributed" if args.cluster else "dask (threads)"
        lazy = grad_xp(da.from_array(np.zeros(args.features)), da.from_array(np.zeros(())),
                       Xd, yd, 1e-4)
        print(f"dask gradient before compute(): {type(lazy[0]).__module__}."
              f"{type(lazy[0]).__name__}, {len(lazy[0].dask)} tasks")
        dask_w, dask_b = timed(f"{where}, array-API module", grad_xp, Xd, yd, args.steps, 0.5,
                               da.from_array, lambda g: dask.compute(*g))
    finally:
        if client is not None:
            client.close()
            cluster.close()
    for name, (w, b) in [("array-API on numpy", via_xp), (where, (dask_w, dask_b))]:
        err = max(np.max(np.abs(w - ref[0])), abs(float(b - ref[1])))
        print(f"{name}: weights equal NumPy's to {err:.1e}")
    z = X @ ref[0] + ref[1]
    print(f"training accuracy {np.mean((z > 0) == (y > 0.5)):.3f}, loss "
          f"{logistic.loss(ref[0], ref[1], X, y, 1e-4):.4f}")


if __name__ == "__main__":
    main()
