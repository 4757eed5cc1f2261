"""The ``"auto"`` method (the default): the fastest method that is right everywhere, by size, batch and mode.

Dispatch on the matrix size n, the batch size B (when static; an unknown batch counts as
large) and the execution mode (:func:`detgrad.impls.tf_internals.mode.execution_mode`, decided while
tracing).  Only methods that pass every conformance case in that mode are candidates:
``guarded`` (Eigen kernels, singular matrices guarded off to the complete-pivoting adjugate;
no XLA kernel), ``tiny`` (polynomials, n <= 3), ``blocklu`` (blocked partial-pivoting LU in
TF ops for XLA, complete pivoting behind an early zero pivot) and, for one large matrix in a
graph, :mod:`~detgrad.impls.dispatch.nested_xla` (blocklu as one XLA kernel nested in the graph).

Every crossover in :data:`TABLE` was checked by the ``detgrad probe`` run written next to it
(the sweep's paired, interleaved timer; speedup = t(builtin) / t(method), > 1: faster), so any row
can be re-measured by the command it cites.  Those crossovers are this 2-core VM's: ``detgrad tune``
measures the same candidates on the user's machine and writes a tuned table whose rows go before
:data:`TABLE`'s when its fingerprint matches (:mod:`~detgrad.impls.dispatch.tuned`; docs/tuning.md).

``logdet`` (positive-definite input, ``detgrad.logdet``) dispatches by mode only, in
:data:`LOGDET_BY_MODE`: the Cholesky family's two members, both checked by the conformance cases.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import tensorflow as tf

from detgrad.impls.chol import blocked, cholesky
from detgrad.impls.dispatch import nested_xla, tuned
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
# Each row cites the `detgrad probe` run that checked it (2026-12-04, this 2-core VM, shared with other
# jobs): value + gradient of det; speedup = t(builtin) / t(method), the median of per-round ratios,
# given as float32/float64; "auto" is the row's own choice.  Its 95 % intervals are in the probe's output.
TABLE: dict[Mode, tuple[Row, ...]] = {
    "eager": (
        # detgrad probe --mode eager --points 2x1024,2x2048,2x4096,2x8192 --methods auto,guarded,tiny
        #   --dtypes float32,float64: tiny 0.71/0.61, 1.03/0.79, 1.64/1.31, 2.75/2.09; guarded
        #   1.01/1.01, 0.97/0.97, 0.99/1.00, 0.98/0.98 -> tiny from B = 4096 at n <= 2 (kept)
        Row(2, 4096, tiny),
        # same, --points 3x4096,3x8192,3x16384,3x65536: tiny 1.20/0.75, 1.47/1.28, 3.3/1.39, 4.56/1.88;
        #   guarded 0.93/0.84, 0.98/1.03, 0.99/0.96, 0.99/0.91 -> tiny from B = 8192 at n = 3 (kept;
        #   at 3x4096 tiny wins in float32 only)
        Row(3, 8192, tiny),
        # same, --points 2x1,2x64,3x1,3x64,4x1,8x64: guarded 1.17/1.25, 1.15/1.21, 1.17/1.28, 1.16/1.20,
        #   1.20/1.27, 0.88/1.06; tiny 0.51/0.38, 0.53/0.43, 0.32/0.19, 0.32/0.20 (eager pays per op:
        #   tiny runs ~40 small ops) -> guarded below those batches and for every n >= 4 (kept)
        Row(ANY, 0, guarded),
    ),
    "graph": (
        # detgrad probe --mode graph --points 2x1,3x1,2x64,3x4,3x16,3x64,3x256,3x1024,3x4096,2x1024,
        #   2x65536,3x65536 --methods auto,tiny,guarded --dtypes float32,float64: at batch 1 tiny
        #   1.00/1.00 (n = 2), 0.94/0.92 (n = 3), guarded 0.88/0.96, 0.87/0.93 -> tiny for n <= 3;
        #   tiny as one nested XLA kernel (nested_xla, closed inside at n = 3) against tiny itself:
        #   3x1 0.89/0.86 vs 0.94/0.92, 3x4 0.89/0.88 vs 0.86/0.90, 3x16 0.94/0.92 vs 0.86/0.94,
        #   3x64 1.04/1.08 vs 1.00/1.06, 3x256 1.25/1.37 vs 0.80/1.43, 3x1024 2.61/2.91 vs 1.66/1.94,
        #   3x4096 4.86/5.98 vs 2.81/2.79, 3x65536 15.1/8.97 vs 5.63/3.75; n = 2: 2x64 (tiny row)
        #   1.04/1.12, 2x1024 2.44/2.13 vs 1.50/1.63, 2x65536 16.8/11.5 vs 6.77/6.22 -> nested for
        #   n = 3 at every batch (within noise of tiny below batch 64, ahead from 256) and for n <= 3
        #   from batch 1024 (kept)
        Row(3, 1, nested_xla, min_n=3),
        Row(3, 1024, nested_xla),
        Row(3, 0, tiny),
        # one matrix at n = 512: TF's gradient runs det and inverse side by side on 2 cores, guarded
        #   must run them in a row (its guard); blocklu as one nested XLA kernel avoids that, but its
        #   matmul panels lose to Eigen beyond.  detgrad probe --mode graph --points 512x1,576x1,640x1,
        #   704x1,768x1,896x1,1024x1,1536x1,2048x1 --methods auto,guarded --dtypes float32,float64,
        #   nested (auto) vs guarded: 512 0.90/1.04 vs 0.90/0.90, 576 0.91/0.56 vs 1.05/0.88, 640
        #   0.81/0.42 vs 1.07/0.79, 704 0.72/0.57 vs 0.96/0.86, 768 0.80/0.58 vs 0.97/0.96, 896
        #   0.46/0.46 vs 0.98/0.91, 1024 0.83/0.41 vs 0.67/0.89, 1536 0.66/0.41 vs 1.14/0.80, 2048
        #   0.39/0.32 vs 0.76/0.82; an earlier probe (512x1-2048x1): 512 1.12/1.07 vs 0.99/0.87, 768
        #   0.76/0.54 vs 1.03/0.89, 2048 0.48/0.32 vs 0.74/0.85; results/headline: 2048 float64 0.47
        #   vs 0.85 -> nested at n = 512 only (was: from n = 512; changed by these runs)
        Row(512, 1, nested_xla, min_n=512, max_batch=1),
        # small matrices in batches: guarded serializes det before its inverse, which costs at
        #   n = 4-8 from batch 256; blocklu unrolled for n <= 8 in one nested XLA kernel does not.
        #   detgrad probe --mode graph --points 4x16,4x64,4x256,4x1024,4x4096,6x64,6x256,7x64,7x256,
        #   8x16,8x64,8x256,8x512,8x1024,8x4096,16x256 --methods auto,guarded --dtypes float32,float64:
        #   nested (auto) vs guarded: 4x64 0.94/0.90 vs 0.89/0.94, 4x256 1.19/0.84 vs 0.61/0.51,
        #   4x1024 1.75/1.65 vs 0.57/0.56, 4x4096 2.15/0.63 vs 0.93/0.90, 6x64 0.78/0.72 vs 0.73/0.92,
        #   6x256 1.23/1.06 vs 0.57/0.60, 7x64 0.79/0.66 vs 0.72/0.73, 7x256 0.80/0.95 vs 0.54/0.54,
        #   8x64 0.80/0.66 vs 0.67/0.65, 8x256 1.11/0.81 vs 0.66/0.73; beyond the rows (guarded both):
        #   4x16 0.84/0.92, 8x16 0.62/0.93, 8x512 0.85/0.84, 8x1024 0.93/0.85, 16x256 0.88/0.87
        #   -> nested for n = 4-6 from batch 64, n = 7-8 at batch 64-256 (kept; exceptions in float64:
        #   4x4096 and 6x64, where guarded measured faster; the rows do not split by dtype)
        Row(6, 64, nested_xla, min_n=4),
        Row(8, 64, nested_xla, min_n=7, max_batch=256),
        # n >= 4: guarded is the only candidate with Eigen speed (lu: 12-100x builtin in graph).
        #   One matrix from n = 128: its inverse as two half-solves on two cores (det_lu_inverse).
        #   detgrad probe --mode graph --points 64x1,128x1,192x1,256x1,384x1 --methods auto,guarded:
        #   guarded 0.65/0.68, 0.73/0.65, 0.66/0.72, 0.65/0.64, 0.95/0.78 (auto: the same path, 0.68/0.69,
        #   0.69/0.70, 0.72/0.73, 0.86/0.65, 0.93/0.77): slower than the builtin in one matrix at
        #   n = 64-384, the default's open gap in a graph (no faster right candidate measured there)
        Row(ANY, 0, guarded),
    ),
    "xla": (
        # guarded has no XLA kernel.  detgrad probe --mode xla --points 2x1,2x4096,3x1,3x16,3x256,
        #   3x4096,3x65536 --methods auto,tiny,closed --dtypes float32,float64 (builtin timed in a
        #   graph): tiny 1.62/1.51, 11.9/11.3, 1.55/1.45, 1.00/1.04, 1.49/1.62, 8.48/5.90, 8.87/8.23;
        #   closed 1.58/1.63, 11.8/11.6, 1.53/1.44, 1.65/1.63, 1.86/2.73, 10.9/11.5, 19.0/13.6
        #   -> closed at n = 3 (its per-entry slices compile to a faster loop from batch 16), tiny
        #   for n <= 2 (within noise of closed) (kept)
        Row(3, 0, closed, min_n=3),
        Row(3, 0, tiny),
        # n >= 4: blocklu, partial pivoting on the trailing block with matmul panels (lu's complete
        #   pivoting only behind an early zero pivot), the only singular-safe method that is fast
        #   under XLA (lu: 8x builtin at 32x1024, minutes per call at n >= 512).  detgrad probe
        #   --mode xla --points 8x4096,32x1024,128x64,32x1,128x1,512x1,1024x1,2048x1 --methods blocklu:
        #   0.41/0.26, 0.24/0.13, 0.69/0.54, 0.81/0.75, 0.65/0.53, 0.93/0.85, 1.09/0.50, 0.45/0.41
        #   (kept: no other candidate; XLA's CPU LU is the default's largest gap)
        Row(ANY, 0, blocklu),
    ),
}


# The paths ``auto`` chooses between, by the names tuned tables and ``detgrad tune`` use (the candidates per
# mode, those that pass every conformance case in it, are :data:`.tuned.CANDIDATES`).
PATHS = {"guarded": guarded, "tiny": tiny, "closed": closed, "blocklu": blocklu, "nested": nested_xla}
PATH_MAX_N = tuned.PATH_MAX_N
BUILTIN_TABLE = "builtin"  # det / slogdet with path=BUILTIN_TABLE: dispatch by TABLE alone, whatever table is in force


def path_name(module) -> str:
    """The :data:`PATHS` name of a method module ``auto`` runs."""
    return next(name for name, m in PATHS.items() if m is module)


def rows(mode: Mode) -> tuple[Row, ...]:
    """The dispatch rows in force for ``mode``: a tuned table's rows (:mod:`.tuned`) before the built-in :data:`TABLE`."""
    tuned_rows = tuned.rows_for(mode)
    return _with_tuned(mode, tuned_rows) if tuned_rows else TABLE[mode]


@functools.lru_cache(maxsize=16)
def _with_tuned(mode: Mode, tuned_rows: tuple) -> tuple[Row, ...]:
    # built once per table and mode, not on every call (eager mode picks on every call)
    return tuple(Row(r.max_n, r.min_batch, PATHS[r.path], r.min_n, r.max_batch) for r in tuned_rows) + TABLE[mode]


def pick(n: int, batch: int | None = None, mode: Mode | None = None, builtin_table: bool = False):
    """The method module ``auto`` runs for a batch of ``batch`` n x n matrices in ``mode``.

    ``batch`` None (unknown) counts as large; ``mode`` None is the current execution mode.  A tuned table
    that fits this machine (:mod:`.tuned`) takes precedence unless ``builtin_table``.
    """
    mode = mode or execution_mode()
    for row in TABLE[mode] if builtin_table else rows(mode):
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


def _chosen(a: tf.Tensor, path: str | None):
    if path and path != BUILTIN_TABLE:
        return PATHS[path]
    return pick(a.shape[-1], _static_batch(a), builtin_table=path == BUILTIN_TABLE)


def det(a: tf.Tensor, path: str | None = None) -> tf.Tensor:
    """det of a validated ``(..., N, N)`` tensor, shape ``(...)``; ``path`` (a :data:`PATHS` name) forces that path,
    :data:`BUILTIN_TABLE` the built-in table."""
    if _unit_batch(a):
        n = a.shape[-1]
        return tf.reshape(det(tf.reshape(a, [n, n]), path), a.shape[:-2])
    return _chosen(a, path).det(a)


def slogdet(a: tf.Tensor, path: str | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) of a validated ``(..., N, N)`` tensor; ``path`` as in :func:`det`."""
    if _unit_batch(a):
        n = a.shape[-1]
        sign, log_abs = slogdet(tf.reshape(a, [n, n]), path)
        return tf.reshape(sign, a.shape[:-2]), tf.reshape(log_abs, a.shape[:-2])
    return _chosen(a, path).slogdet(a)


# log det of Hermitian positive-definite matrices, by mode.  Value + gradient, speedup over slogdet with TF's
# gradient in a graph (this 2-core VM, 2026-12-05, interleaved rounds, points 8x4096 f32, 16x1024 f64, 32x1024
# f32, 64x64 f64, 128x64 f64, 256x1 f64, 512x1 f64): cholesky in a graph 2.11, 1.86, 2.42, 1.49, 1.79, 1.50,
# 1.52; blockchol under XLA 0.98, 0.90, 1.93, 0.84, 1.11, 1.06, 2.26 (tf.linalg.logdet under XLA: 0.03-0.45).
# In a graph one matrix from n = LOGDET_NESTED_MIN_N runs blockchol as one nested XLA kernel (nested_xla.logdet):
#   detgrad probe --mode graph --target pd_logdet --points 256x1,384x1,512x1,768x1,1024x1,2048x1 --methods auto,cholesky
#   --dtypes float32,float64 (nested from 512) vs cholesky: 512 1.94/1.96 vs 1.72/1.41, 768 1.71/1.65 vs 1.48/1.35,
#   1024 1.92/1.90 vs 1.59/1.32, 2048 2.10/1.87 vs 1.52/1.29; the same with --set auto.LOGDET_NESTED_MIN_N=128 and
#   --points 128x1,192x1,256x1,384x1: nested 0.73/0.83, 0.89/0.89, 1.27/1.23, 1.43/1.31 vs cholesky 1.31/1.17,
#   1.44/1.21, 1.54/1.47, 1.49/1.32 -> nested from n = 512.
LOGDET_BY_MODE = {"eager": cholesky, "graph": cholesky, "xla": blocked}
LOGDET_NESTED_MIN_N = 512


def pick_logdet(n: int, batch: int | None = None, mode: Mode | None = None):
    """The module whose ``logdet`` ``auto`` runs for a batch of ``batch`` positive-definite n x n matrices in ``mode``."""
    mode = mode or execution_mode()
    if mode == "graph" and n >= LOGDET_NESTED_MIN_N and batch == 1:
        return nested_xla
    return LOGDET_BY_MODE[mode]


def logdet(a: tf.Tensor) -> tf.Tensor:
    """log det of a validated Hermitian positive-definite ``(..., N, N)`` tensor, ``(...)`` real."""
    return pick_logdet(a.shape[-1], _static_batch(a)).logdet(a)
