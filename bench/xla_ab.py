"""A/B ratio of one method under XLA against TF's builtin det in plain graph mode.

Value + gradient per call, both forced to numpy.  The two functions run interleaved in rounds
(A block, B block, ...) in one process; the ratio is taken per round and the median reported,
because absolute times drift on a shared machine.  Also prints B's first-call (trace + XLA
compile) time.  Knobs of ``blocklu_factor`` can be overridden to compare settings::

    python bench/xla_ab.py --points 8x4096,32x1024,128x64 --dtype float64
    python bench/xla_ab.py --points 128x64 --set UNROLL_MAX_N=16 --set triangular.SOLVE_BLOCK=32
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time

import numpy as np
import tensorflow as tf

import detgrad
from detgrad.impls.tf_lu import blocklu_factor


def _value_and_grad(method: str):
    def run(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            d = detgrad.det(a, method=method)
        return d, tape.gradient(d, a)

    return run


def _block(fn, inputs, reps: int) -> float:
    start = time.perf_counter()
    for i in range(reps):
        d, g = fn(inputs[i % len(inputs)])
        d.numpy(), g.numpy()
    return (time.perf_counter() - start) / reps


def measure(n: int, batch: int, dtype: str, method: str, rounds: int, budget: float) -> dict:
    rng = np.random.default_rng(n * 7919 + batch)
    inputs = [tf.constant((np.eye(n) + rng.standard_normal((batch, n, n)) / (2 * np.sqrt(n))).astype(dtype)) for _ in range(3)]
    base = tf.function(_value_and_grad("builtin"))
    new = tf.function(_value_and_grad(method), jit_compile=True)
    start = time.perf_counter()
    new(inputs[0])[1].numpy()
    compile_s = time.perf_counter() - start
    base(inputs[0])[1].numpy()
    one = max(_block(base, inputs, 1), _block(new, inputs, 1))
    reps = max(1, int(budget / one))
    ratios, t_base, t_new = [], [], []
    for _ in range(rounds):
        a = _block(base, inputs, reps)
        b = _block(new, inputs, reps)
        t_base.append(a)
        t_new.append(b)
        ratios.append(b / a)
    return {
        "ratio": statistics.median(ratios),
        "lo": min(ratios),
        "hi": max(ratios),
        "base_ms": 1e3 * statistics.median(t_base),
        "new_ms": 1e3 * statistics.median(t_new),
        "compile_s": compile_s,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--points", default="8x4096,32x1024,128x64", help="comma-separated NxBATCH")
    p.add_argument("--dtype", default="float64")
    p.add_argument("--method", default="blocklu")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--budget", type=float, default=0.15, help="seconds per block")
    p.add_argument("--set", action="append", default=[], help="NAME=INT knob of blocklu_factor, or module.NAME=INT")
    args = p.parse_args()
    for item in args.set:
        name, value = item.split("=")
        module = blocklu_factor
        if "." in name:
            module_name, name = name.split(".")
            module = importlib.import_module(f"detgrad.impls.tf_lu.{module_name}")
        setattr(module, name, int(value))
    print(f"method {args.method} (XLA) / builtin (graph), {args.dtype}, {args.rounds} rounds, knobs {args.set or 'default'}")
    print("    n  batch  ratio  [min  max]   builtin_ms  method_ms  compile_s")
    for point in args.points.split(","):
        n, batch = (int(v) for v in point.split("x"))
        r = measure(n, batch, args.dtype, args.method, args.rounds, args.budget)
        print(
            f"{n:5d} {batch:6d}  {r['ratio']:5.2f}  [{r['lo']:.2f} {r['hi']:.2f}]  {r['base_ms']:10.3f}  {r['new_ms']:9.3f}"
            f"  {r['compile_s']:9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
