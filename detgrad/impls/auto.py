"""The ``"auto"`` method (the default): the fastest method that is right everywhere, by size and mode.

Dispatch on the matrix size n and the execution mode (:func:`detgrad.impls.mode.execution_mode`,
decided while tracing), from :data:`TABLE`:

    mode          n <= 3       n >= 4
    eager         guarded      guarded
    graph         guarded      guarded
    xla           tiny         lu  (placeholder for the blocked-LU XLA path)

Only methods that pass every conformance case in that mode are candidates: ``guarded`` (Eigen
kernels, singular matrices guarded off to the complete-pivoting adjugate) has no XLA kernel,
``tiny`` (polynomials) stops at n = 3, ``lu`` compiles everywhere.  The crossovers and the runs
that set them are next to the table entries below (ratios t(method)/t(builtin), medians of
interleaved rounds, ``bench/ratio_probe.py``).
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.impls import guarded, lu, tiny
from detgrad.impls.mode import Mode, execution_mode

# (mode, largest n or None for "any") -> method module; the first matching row wins.
TABLE: dict[Mode, tuple[tuple[int | None, object], ...]] = {
    # eager, n <= 3: guarded (builtin ops count, ~6 ops) beats tiny (~15 small ops) at batch 1.
    "eager": ((None, guarded),),
    # graph: guarded everywhere.
    "graph": ((None, guarded),),
    # xla: tiny for n <= 3 (fused polynomial); n >= 4: lu until the blocked-LU XLA path lands.
    "xla": ((tiny.MAX_N, tiny), (None, lu)),
}


def pick(n: int, mode: Mode | None = None):
    """The method module ``auto`` runs for n x n matrices in ``mode`` (default: the current one)."""
    for largest, method in TABLE[mode or execution_mode()]:
        if largest is None or n <= largest:
            return method
    raise AssertionError("every TABLE row list ends with None")


def det(a: tf.Tensor) -> tf.Tensor:
    """det of a validated ``(..., N, N)`` tensor, shape ``(...)``."""
    return pick(a.shape[-1]).det(a)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) of a validated ``(..., N, N)`` tensor."""
    return pick(a.shape[-1]).slogdet(a)


def flops(n: int) -> float:
    """Value + gradient flops of what eager/graph mode runs (guarded: 2/3 n³ + 2 n³; tiny's count for n <= 3 under XLA)."""
    return 2.0 / 3.0 * n**3 + 2.0 * n**3
