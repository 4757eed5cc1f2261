"""Triangular solves ``T X = R`` by block substitution in ``tf.matmul``s, for XLA on CPU.

XLA expands ``tf.linalg.triangular_solve`` into loops of small steps: on CPU in TF 2.21 a
128 x 128 solve with a full right-hand side takes about 4 ms at batch 1 (TF's Eigen kernel
outside XLA: 0.2 ms).  Here the diagonal blocks (size ``block``) of every matrix are
inverted at once by one batched ``triangular_solve`` of small blocks, and the rest is block
substitution (Golub & Van Loan, *Matrix Computations*, 4th ed., 3.1.4: block-row forward
and back substitution):

    lower:  X_i = T_ii^{-1} (R_i - sum_{k<i} T_ik X_k),  i = 0, 1, ...
    upper:  X_i = T_ii^{-1} (R_i - sum_{k>i} T_ik X_k),  i = last, ..., 0

a Python loop of n / block steps, each two ``tf.matmul``s, with static shapes.  n³ flops
for a full ``(n, n)`` right-hand side.  Plain differentiable TF ops (forward and reverse).
"""

from __future__ import annotations

import tensorflow as tf

# Diagonal block size.  Measured with the former bench/xla_ab.py at 128x64, 32x1024, 64x1, 128x1
# (float64, t(blocklu under XLA) / t(builtin in graph mode), median of per-round ratios; compile s;
# now `detgrad probe --mode xla --methods blocklu --set triangular.SOLVE_BLOCK=B`):
# B = 16: 2.59, 3.98, 1.69, 1.89 (10.4 s at 128x64);
# B = 32: 2.07, 3.37, 1.50, 1.24 (7.2 s); B = 64: 2.00, 3.33, 1.86, 1.39 (4.0 s).
SOLVE_BLOCK = 32
MAX_BLOCKS = 8  # the block grows to ceil(n / MAX_BLOCKS): at most 8 substitution steps to compile


def _diagonal_block_inverses(t: tf.Tensor, block: int, lower: bool) -> tf.Tensor:
    """Inverses of the ``block x block`` diagonal blocks of ``(B, N, N)`` t, shape ``(B, N/block, block, block)``."""
    n = t.shape[-1]
    count = n // block
    blocks = tf.reshape(t, [-1, count, block, count, block])
    blocks = tf.transpose(blocks, [0, 2, 4, 1, 3])  # (B, block, block, count, count)
    blocks = tf.transpose(tf.linalg.diag_part(blocks), [0, 3, 1, 2])  # (B, count, block, block)
    eye = tf.eye(block, batch_shape=[1, 1], dtype=t.dtype)
    return tf.linalg.triangular_solve(blocks, tf.broadcast_to(eye, tf.shape(blocks)), lower=lower)


def solve(t: tf.Tensor, rhs: tf.Tensor, lower: bool, block: int | None = None) -> tf.Tensor:
    """X with ``t @ X = rhs``; t ``(B, N, N)`` triangular (non-zero diagonal), rhs ``(B, N, K)``.

    Only the ``lower`` (or upper) triangle of t is read, like ``tf.linalg.triangular_solve``.
    """
    n = t.shape[-1]
    block = block or max(SOLVE_BLOCK, -(-n // MAX_BLOCKS))
    if n <= block:
        return tf.linalg.triangular_solve(t, rhs, lower=lower)
    t = tf.linalg.band_part(t, -1, 0) if lower else tf.linalg.band_part(t, 0, -1)
    pad = -n % block
    if pad:
        t = tf.pad(t, [[0, 0], [0, pad], [0, pad]])
        t = tf.linalg.set_diag(t, tf.concat([tf.linalg.diag_part(t)[:, :n], tf.ones_like(t[:, 0, :pad])], axis=1))
        rhs = tf.pad(rhs, [[0, 0], [0, pad], [0, 0]])
    size = n + pad
    inverses = _diagonal_block_inverses(t, block, lower)
    count = size // block
    order = range(count) if lower else range(count - 1, -1, -1)
    solved: list[tf.Tensor] = []  # block rows of X in solving order
    for step, i in enumerate(order):
        r = rhs[:, i * block : (i + 1) * block, :]
        if step:
            known = tf.concat(solved, axis=1) if lower else tf.concat(solved[::-1], axis=1)
            coupling = (
                t[:, i * block : (i + 1) * block, : i * block] if lower else t[:, i * block : (i + 1) * block, (i + 1) * block :]
            )
            r = r - tf.matmul(coupling, known)
        solved.append(tf.matmul(inverses[:, i], r))
    x = tf.concat(solved if lower else solved[::-1], axis=1)
    return x[:, :n, :] if pad else x
