"""The ``"auto"`` method (the default): the fastest method that is right everywhere, by size, batch and mode.

Dispatch on the matrix size n, the batch size B (when static; an unknown batch counts as
large) and the execution mode (:func:`detgrad.impls.tf_internals.mode.execution_mode`, decided while
tracing).  Only methods that pass every conformance case in that mode are candidates:
``guarded`` (Eigen kernels, singular matrices guarded off to the complete-pivoting adjugate;
no XLA kernel), ``tiny`` (polynomials, n <= 3), ``blocklu`` (blocked partial-pivoting LU in
TF ops for XLA, complete pivoting behind an early zero pivot) and, for one large matrix in a
graph, :mod:`~detgrad.impls.dispatch.nested_xla` (blocklu as one XLA kernel nested in the graph).

Every crossover in :data:`TABLE` was set by the measurement written next to it: value +
gradient, ``python bench/ratio_probe.py --mode MODE --sizes ... --methods guarded,tiny,builtin``,
ratio = median over interleaved rounds of t(method) / t(builtin), float64, 2-core VM.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from detgrad.impls.dispatch import nested_xla
from detgrad.impls.eigen import guarded
from detgrad.impls.poly import closed, tiny
from detgrad.impls.tf_internals.mode import Mode, execution_mode
from detgrad.impls.tf_lu import blocklu

ANY = None


@dataclass(frozen=True)
class Row:
    """``method`` for n in [min_n, max_n] and batch in [min_batch, max_batch] (ANY = None: no bound)."""

    max_n: int | None
    min_batch: int
    method: object
    min_n: int = 0
    max_batch: int | None = None

    def matches(self, n: int, batch: int | None) -> bool:
        if n < self.min_n or (self.max_n is not ANY and n > self.max_n):
            return False
        if batch is None:  # unknown batch: counts as large
            return self.max_batch is ANY
        return batch >= self.min_batch and (self.max_batch is ANY or batch <= self.max_batch)


# mode -> rows; the first row that matches wins; the last row of each mode matches everything.
TABLE: dict[Mode, tuple[Row, ...]] = {
    "eager": (
        # python bench/ratio_probe.py --mode eager --sizes 2x1024,2x2048,2x4096,2x8192
        #   --dtypes float64 --methods guarded,tiny: tiny/builtin 1.78, 1.20, 0.77, 0.42;
        #   guarded/builtin 1.34, 1.13, 1.13, 1.15 -> tiny from B = 4096 at n <= 2
        Row(2, 4096, tiny),
        # same, --sizes 3x4096,3x8192,3x16384,3x65536: tiny 1.23, 0.64, 0.38, 0.29;
        #   guarded 1.09, 1.10, 1.13, 1.01 -> tiny from B = 8192 at n = 3
        Row(3, 8192, tiny),
        # same, --sizes 2x1,3x1,2x64,3x64: guarded 0.95, 0.98, 0.93, 0.86; tiny 3.3, 8.6, 2.5, 6.3
        #   (eager pays per op: tiny runs ~40 small ops) -> guarded below those batches, and
        #   for every n >= 4 (the only other candidate there, lu, is 30-40x builtin at n = 2, 3)
        Row(ANY, 0, guarded),
    ),
    "graph": (
        # python bench/ratio_probe.py --mode graph --sizes 2x1,3x1,2x64,3x1024 --dtypes float64
        #   --methods guarded,tiny --rounds 11: tiny 1.02, 1.08, 0.87, 0.49; guarded 1.11, 1.12,
        #   1.13, 1.15 (--sizes 3x65536: tiny 0.10-0.12, guarded 0.99-1.02) -> tiny for n <= 3;
        #   and tiny as one nested XLA kernel (nested_xla: ~16 graph ops instead of 34-82) where that
        #   is faster: --sizes 2x1,3x1,3x64,2x1024,3x1024,2x65536 --methods auto,tiny --rounds 11,
        #   float32/float64, nested 1.05/1.04, 1.04/1.04, 0.94/0.91, 0.43/0.41, 0.52/0.52, 0.03/0.04;
        #   tiny 1.03/1.01, 1.07/1.07, 0.95/0.91, 0.65/0.74, 0.63/0.70, 0.04/0.05 (at 3x64 nested was
        #   1.19-1.24 in another run) -> nested at n = 3 batch 1 and n <= 3 from batch 1024
        #   n = 3 nested runs closed inside (see nested_xla), at every batch: --sizes
        #   3x1,3x4,3x16,3x256,3x1024,3x4096 --methods auto,tiny --rounds 9, float32/float64: auto 1.04/1.05,
        #   1.03/1.03, 1.00/1.01, 0.83/0.64, 0.46/0.42, 0.18/0.19; tiny 1.07/1.09, 1.15/1.09, 1.18/1.08,
        #   1.34/0.71, 0.75/0.83, 0.32/0.44
        Row(3, 1, nested_xla, min_n=3),
        Row(3, 1024, nested_xla),
        Row(3, 0, tiny),
        # one matrix from n = 512: TF's gradient runs det and inverse side by side on 2 cores, guarded
        #   must run them in a row (its guard).  python bench/ratio_probe.py --mode graph
        #   --sizes 512x1,768x1,1024x1,2048x1,1024x4 --methods auto,guarded, float32/float64:
        #   nested_xla 0.77/1.07 at 512x1, 1.11/1.38 at 768x1, 0.83/0.97 at 1024x1, 0.56/0.81 at
        #   2048x1; guarded 1.33-1.48 there; at 1024x4 guarded is 1.01/0.96 (Eigen's batched
        #   kernels use both cores) and nested_xla 2.1 (earlier probe) -> batch 1 only
        Row(ANY, 1, nested_xla, min_n=512, max_batch=1),
        # small matrices in batches: the same serialization (det before inv) costs 1.4-1.6x at
        #   n = 4-8 x 256; blocklu unrolled for n <= 8 in one nested XLA kernel beats it there.
        #   --sizes 4x16,4x64,4x256,4x1024,4x4096,6x256,8x16,8x64,8x256,8x1024,8x4096 --methods
        #   auto,guarded --rounds 9, float32/float64, nested: 1.04/1.07, 0.94/0.98, 0.80/0.77,
        #   0.68/0.66, 0.68/0.87, 0.88/0.93, 1.50/1.50, 1.19/1.26, 0.84/1.11, 1.00/1.38, 1.04/1.39;
        #   guarded: 1.07/1.05, 1.07/1.03, 1.59/1.38, 1.60/1.45, 1.20/1.24, 1.52/1.42, 1.49/1.05,
        #   1.50/1.39, 1.51/1.41, 1.14/1.14, 1.01/1.08 (n = 16: nested 1.3-2.5, guarded 1.1-1.5)
        #   -> nested for n = 4-6 from batch 64, n = 7-8 at batch 64-256; checked by --sizes
        #   5x64,7x64,7x256,8x512: nested 1.12/0.98, 1.12/1.24, 0.87/1.04, 1.17/1.20 against guarded
        #   1.50/1.06, 1.51/1.43, 1.53/1.47, 1.28/1.24
        Row(6, 64, nested_xla, min_n=4),
        Row(8, 64, nested_xla, min_n=7, max_batch=256),
        # n >= 4: guarded is the only candidate with Eigen speed (lu: 12-100x builtin in graph).
        #   One matrix from n = 128: its inverse as two half-solves on two cores (det_lu_inverse; measured
        #   when each half ran its own MatrixSolve);
        #   --sizes 128x1,192x1,256x1,384x1 --methods auto --rounds 9, float32/float64: 1.18/1.10,
        #   1.22/1.11, 1.05/1.15, 1.04/1.02 (one inverse: 1.23-1.42); --target logdet 128x1,256x1:
        #   1.23/1.17, 1.11/1.25.  512x1-1024x1 rechecked with it: guarded 1.02-1.19, nested 0.61-1.00
        Row(ANY, 0, guarded),
    ),
    "xla": (
        # guarded has no XLA kernel; tiny fuses into one loop (the closed forms' XLA speed,
        # results/cpu: 1.2-1.5x builtin at batch 1, 10-11x at n = 2 batch 4096); unchanged
        # n = 3: closed's per-entry slices compile to a faster loop than tiny's flat layout from
        #   batch 16 (python bench/ratio_probe.py --mode xla, builtin timed in graph mode, --sizes
        #   2x1,2x4096,3x1,3x16,3x256,3x4096,3x65536 --methods tiny,closed --rounds 9, float32/float64:
        #   tiny 0.53/0.54, 0.09/0.10, 0.54/0.54, 1.05/1.04, 0.64/0.64, 0.17/0.18, 0.06/0.10; closed
        #   0.54/0.53, 0.09/0.10, 0.53/0.53, 0.51/0.51, 0.38/0.32, 0.10/0.10, 0.02/0.03)
        Row(3, 0, closed, min_n=3),
        Row(3, 0, tiny),
        # n >= 4: blocklu, partial pivoting on the trailing block with matmul panels (lu's
        #   complete pivoting only behind an early zero pivot).  python bench/xla_ab.py, idle
        #   machine, float64, t(blocklu XLA) / t(builtin graph): 8x4096 1.10, 32x1024 3.82,
        #   128x64 2.20, 32x1 1.30, 128x1 1.36, 512x1 0.88, 1024x1 0.99, 2048x1 0.82; the old lu
        #   in the same setup: 8.1 at 32x1024, 20 at 128x64, minutes per call at n >= 512
        Row(ANY, 0, blocklu),
    ),
}


def pick(n: int, batch: int | None = None, mode: Mode | None = None):
    """The method module ``auto`` runs for a batch of ``batch`` n x n matrices in ``mode``.

    ``batch`` None (unknown) counts as large; ``mode`` None is the current execution mode.
    """
    for row in TABLE[mode or execution_mode()]:
        if row.matches(n, batch):
            return row.method
    raise AssertionError("the last row of every TABLE mode matches everything")


def _static_batch(a: tf.Tensor) -> int | None:
    batch_shape = a.shape[:-2]
    return batch_shape.num_elements() if batch_shape.is_fully_defined() else None


def _unit_batch(a: tf.Tensor) -> bool:
    """A ``(1, ..., 1, N, N)`` tensor in a graph or under XLA: run as the one ``(N, N)`` matrix it is.

    Kernels differ for a batch of one: blocklu's batched matmuls, nested in a graph, took 1.23x
    the builtin at (1, 512, 512) float64 against 0.70x at (512, 512) (sweep vs probe, same
    machine); guarded 1.28x against 1.18x at (1, 128, 128) float32.  Eager mode keeps the shape
    (two reshapes and their gradients are ~4 more dispatched ops).
    """
    return a.shape.rank > 2 and _static_batch(a) == 1 and execution_mode() != "eager"


def det(a: tf.Tensor) -> tf.Tensor:
    """det of a validated ``(..., N, N)`` tensor, shape ``(...)``."""
    if _unit_batch(a):
        n = a.shape[-1]
        return tf.reshape(det(tf.reshape(a, [n, n])), a.shape[:-2])
    return pick(a.shape[-1], _static_batch(a)).det(a)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) of a validated ``(..., N, N)`` tensor."""
    if _unit_batch(a):
        n = a.shape[-1]
        sign, log_abs = slogdet(tf.reshape(a, [n, n]))
        return tf.reshape(sign, a.shape[:-2]), tf.reshape(log_abs, a.shape[:-2])
    return pick(a.shape[-1], _static_batch(a)).slogdet(a)
