"""Side-by-side time ratios of value + gradient of det: methods vs TF's builtin, one process.

    python bench/ratio_probe.py --mode graph --sizes 2x1,3x1,8x4096 --dtypes float32,float64 \
        --methods auto,builtin [--rounds 7] [--target logdet]

For each (mode, n, batch, dtype) every method runs in interleaved rounds (A B A B ...); a round
times a block of calls (grown to about --block-s seconds) per method.  Printed: the median over
rounds of time(method) / time(builtin) with the min-max of the per-round ratios, never absolute
times compared across runs (this is a shared, noisy machine).  Under ``--mode xla`` the builtin
(no XLA kernel) is timed in graph mode.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import tensorflow as tf

import detgrad


def make_fn(method: str, mode: str, target: str = "det"):
    def value_and_grad(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            d = detgrad.det(a, method=method) if target == "det" else detgrad.slogdet(a, method=method)[1]
        return d, tape.gradient(d, a)

    if mode == "eager":
        return value_and_grad
    return tf.function(value_and_grad, jit_compile=(mode == "xla"))


def inputs(n: int, batch: int, dtype: str, count: int = 3) -> list[tf.Tensor]:
    rng = np.random.default_rng(n * 1000 + batch)
    shape = (n, n) if batch == 1 else (batch, n, n)
    return [tf.constant((np.eye(n) + rng.standard_normal(shape) / (2 * np.sqrt(n))).astype(dtype)) for _ in range(count)]


def time_block(fn, xs, calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        d, g = fn(xs[i % len(xs)])
    g.numpy()
    return (time.perf_counter() - start) / calls


def measure(methods, mode, n, batch, dtype, rounds, block_s, target="det"):
    xs = inputs(n, batch, dtype)
    methods = [m for m in methods if m == "builtin" or not detgrad.get_method(m).support_problem(n, dtype, mode)]
    # the builtin has no XLA kernel: under XLA its graph mode is the yardstick
    fns = {m: make_fn(m, "graph" if m == "builtin" and mode == "xla" else mode, target) for m in methods}
    calls = {}
    for m, fn in fns.items():  # warm up (tracing, compilation) and size the blocks
        fn(xs[0])
        fn(xs[1])
        one = time_block(fn, xs, 1)
        calls[m] = max(1, int(block_s / max(one, 1e-6)))
    per_round = {m: [] for m in methods}
    for r in range(rounds):
        order = methods if r % 2 == 0 else methods[::-1]
        for m in order:
            per_round[m].append(time_block(fns[m], xs, calls[m]))
    base = per_round["builtin"]
    out = {}
    for m in methods:
        ratios = [t / b for t, b in zip(per_round[m], base, strict=True)]
        out[m] = (statistics.median(ratios), min(ratios), max(ratios), statistics.median(per_round[m]))
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="graph")
    p.add_argument("--sizes", default="2x1,3x1,3x65536,8x4096,32x1024,128x64,512x1,1024x1")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--methods", default="auto,builtin")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--block-s", type=float, default=0.05)
    p.add_argument("--target", choices=["det", "logdet"], default="det", help="det, or log|det| from slogdet")
    args = p.parse_args()
    methods = args.methods.split(",")
    if "builtin" not in methods:
        methods.append("builtin")
    rounds = f"median over {args.rounds} interleaved rounds of t(method)/t(builtin) [min-max]"
    print(f"mode {args.mode}, {args.target}; ratio = {rounds}")
    for size in args.sizes.split(","):
        n, batch = (int(v) for v in size.split("x"))
        for dtype in args.dtypes.split(","):
            res = measure(methods, args.mode, n, batch, dtype, args.rounds, args.block_s, args.target)
            cols = "  ".join(f"{m} {r:.2f} [{lo:.2f}-{hi:.2f}]" for m, (r, lo, hi, _) in res.items() if m != "builtin")
            print(f"n={n:5d} batch={batch:6d} {dtype}: {cols}   (builtin {res['builtin'][3] * 1e3:.3f} ms)", flush=True)


if __name__ == "__main__":
    main()
