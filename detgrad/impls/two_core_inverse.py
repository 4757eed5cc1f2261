"""A^{-1} of one large matrix in a graph as two half-solves that run on two cores at once.

TF's gradient of det (and of slogdet) starts ``inv(A)`` as soon as A exists, so on a 2-core
machine the Eigen inverse runs beside the forward det.  ``guarded`` cannot: ``inv`` raises on
an exact zero pivot, so it must wait for det's verdict, and its critical path is det + inv.
For one matrix (batch 1: TF's linear-algebra kernels spread a batch over threads, not one
matrix) the inverse is split by columns,

    A^{-1} = [ solve(A, I[:, :h]) | solve(A, I[:, h:]) ],   h = N // 2,

two independent ops that TF's executor runs side by side.  Each repeats the partial-pivoting LU
(Eigen's inverse is that LU followed by a solve against I, so the same factorization, bit for
bit, and ``solve`` raises exactly where ``inv`` does); the halves' solves cost half as much.
Measured in a tf.function, n = 256 float64: det 0.90 ms, inv 1.78 ms, one half 1.18 ms, both
halves 1.33 ms (median of 15 blocks of 20 calls).

The gradient is ``inv``'s own (-A^{-H} G A^{-H}), not the two solves' (each would factorize
A^H, another LU that can meet a zero pivot where A's did not).  A ``ForwardAccumulator`` in a
graph ignores that custom gradient and pushes tangents through the solves' registered ones, so
a forward-over-reverse Hessian here factorizes A^H: right for every regular matrix, and an
error (never a wrong number) at a numerically singular one whose det is not exactly 0.

Where it pays (value + gradient of ``guarded.det`` in a tf.function, t / t(builtin), median
of 9 interleaved rounds, float32/float64; plain inverse -> split):
n = 80: 1.37/1.35 -> 1.36/1.19; 96: 1.32/1.28 -> 1.36/1.27; 128: 1.27/1.30 -> 1.15/1.12;
192: 1.32/1.31 -> 1.26/1.11; 256: 1.26/1.38 -> 1.03/1.10; 384: 1.23/1.29 -> 1.03/0.97;
batches of 16 matrices (n = 16-64) gained nothing.  Hence :data:`SPLIT_MIN_N`.
"""

from __future__ import annotations

import tensorflow as tf

SPLIT_MIN_N = 128


def _one_matrix(x: tf.Tensor) -> bool:
    """True for a statically known ``(N, N)`` or ``(1, ..., 1, N, N)`` tensor."""
    lead = x.shape[:-2]
    return lead.is_fully_defined() and lead.num_elements() == 1


@tf.custom_gradient
def _split_inverse(m: tf.Tensor) -> tf.Tensor:
    n = m.shape[-1]
    eye = tf.eye(n, dtype=m.dtype)
    h = n // 2
    inv = tf.concat([tf.linalg.solve(m, eye[:, :h]), tf.linalg.solve(m, eye[:, h:])], axis=-1)

    def grad(g: tf.Tensor) -> tf.Tensor:  # TF's MatrixInverse gradient
        return -tf.matmul(inv, tf.matmul(g, inv, adjoint_b=True), adjoint_a=True)

    return inv, grad


def inverse(x: tf.Tensor) -> tf.Tensor:
    """A^{-1} of a ``(..., N, N)`` tensor whose matrices are all regular (``inv`` must not raise).

    Inside a graph, for one matrix with N >= :data:`SPLIT_MIN_N`, two half-solves on two
    cores; otherwise ``tf.linalg.inv``.  Same shape as ``x``.
    """
    n = x.shape[-1]
    if tf.executing_eagerly() or n is None or n < SPLIT_MIN_N or not _one_matrix(x):
        return tf.linalg.inv(x)
    return tf.reshape(_split_inverse(tf.reshape(x, [n, n])), tf.shape(x))
