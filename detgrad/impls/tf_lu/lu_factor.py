"""LU factorization with complete pivoting, written in XLA-compilable TF ops.

TF 2.21 has no XLA kernel for ``Lu``, ``MatrixDeterminant`` or
``LogMatrixDeterminant``, and ``tf.linalg.lu`` raises on an exactly singular
matrix.  This module factors ``P A Q = L U`` with plain gathers, ``argmax``
and rank-1 updates, so it compiles under ``jit_compile=True``, never raises,
and is differentiable in forward and reverse mode (the pivot choice is
piecewise constant).

Complete pivoting makes the factorization rank revealing: once the largest
remaining entry is zero the whole trailing block is zero, so an exactly
singular matrix of rank r has non-zero pivots ``d_0 .. d_{r-1}`` followed by
zeros.  That is what lets :mod:`detgrad.impls.tf_lu.lu` build the adjugate from
the factors without dividing by a zero (or tiny) last pivot.

Small matrices (n <= ``UNROLL_MAX_N``) are unrolled in Python; larger ones
use ``tf.while_loop`` with ``maximum_iterations`` so reverse mode works
under XLA too.
"""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf

UNROLL_MAX_N = 12


class LUFactors(NamedTuple):
    """Compact complete-pivoting LU of a batch flattened to ``(B, N, N)``.

    ``A[b][rows[b]][:, cols[b]] = L[b] @ U[b]`` with ``L`` unit lower
    triangular (strictly lower part of ``lu``) and ``U`` the upper part.
    ``parity`` is det(P)·det(Q) = ±1 in the real dtype of ``lu``.
    """

    lu: tf.Tensor  # (B, N, N)
    rows: tf.Tensor  # (B, N) int32
    cols: tf.Tensor  # (B, N) int32
    parity: tf.Tensor  # (B,) real


def _swap_indices(idx: tf.Tensor, k, other: tf.Tensor) -> tf.Tensor:
    """(B, N) permutation vectors that swap position k with other[b]."""
    idx_b = idx[None, :]
    other_b = other[:, None]
    return tf.where(idx_b == k, other_b, tf.where(idx_b == other_b, k, idx_b))


def _eliminate(k, lu, rows, cols, parity):
    """One pivoting + elimination step at column k of a (B, N, N) batch.

    Pivot choice and zero test read ``tf.stop_gradient`` copies: in a graph, TF 2.21 forward
    mode raises ``IndexError`` on an op without differentiable outputs (ArgMax, Equal) whose
    input carries the tangents of two nested ``tf.autodiff.ForwardAccumulator``s.
    """
    n = lu.shape[-1]
    batch = tf.shape(lu)[0]
    idx = tf.range(n)
    active = idx >= k
    # stop_gradient: the pivot choice is piecewise constant, and a forward-mode accumulator inside
    # a graph would otherwise try (and fail) to push tangents into argmax
    magnitude = tf.abs(tf.stop_gradient(lu))
    candidates = tf.where((active[:, None] & active[None, :])[None], magnitude, -tf.ones_like(magnitude))
    best = tf.argmax(tf.reshape(candidates, [batch, n * n]), axis=1, output_type=tf.int32)
    pivot_row, pivot_col = best // n, best % n
    swap_rows = _swap_indices(idx, k, pivot_row)
    swap_cols = _swap_indices(idx, k, pivot_col)
    lu = tf.gather(lu, swap_rows, axis=1, batch_dims=1)
    lu = tf.gather(lu, swap_cols, axis=2, batch_dims=1)
    rows = tf.gather(rows, swap_rows, axis=1, batch_dims=1)
    cols = tf.gather(cols, swap_cols, axis=1, batch_dims=1)
    one = tf.ones_like(parity)
    parity = parity * tf.where(pivot_row == k, one, -one) * tf.where(pivot_col == k, one, -one)

    pivot = lu[:, k, k]
    safe_pivot = tf.where(tf.stop_gradient(pivot) == 0, tf.ones_like(pivot), pivot)
    below = (idx > k)[None, :]
    zeros = tf.zeros_like(lu[:, :, 0])
    multipliers = tf.where(below, lu[:, :, k] / safe_pivot[:, None], zeros)
    pivot_row_tail = tf.where(below, lu[:, k, :], zeros)
    lu = lu - multipliers[:, :, None] * pivot_row_tail[:, None, :]
    store = (below[0][:, None] & (idx == k)[None, :])[None]
    lu = tf.where(store, multipliers[:, :, None], lu)
    return lu, rows, cols, parity


def lu_factor(flat: tf.Tensor, steps: int | None = None) -> LUFactors:
    """Factor a ``(B, N, N)`` batch with complete pivoting (N static, >= 1).

    ``steps`` (default N - 1) elimination steps are taken; with fewer, the trailing
    ``(N - steps) x (N - steps)`` block of ``lu`` is the Schur complement, not yet factored.
    Cost: about 2/3·N³ flops for the updates plus O(N³) comparisons for the
    pivot search, per matrix.
    """
    n = flat.shape[-1]
    steps = n - 1 if steps is None else steps
    batch = tf.shape(flat)[0]
    idx = tf.range(n)
    rows = tf.tile(idx[None, :], [batch, 1])
    cols = tf.tile(idx[None, :], [batch, 1])
    parity = tf.ones([batch], dtype=flat.dtype.real_dtype)
    state = (flat, rows, cols, parity)
    if n <= UNROLL_MAX_N:
        for k in range(steps):
            state = _eliminate(k, *state)
    else:

        def body(k, lu, rows, cols, parity):
            return (k + 1, *_eliminate(k, lu, rows, cols, parity))

        _, *state = tf.while_loop(
            lambda k, *_: k < steps,
            body,
            (tf.constant(0), *state),
            maximum_iterations=steps,
        )
    return LUFactors(*state)


def unit_lower(lu: tf.Tensor) -> tf.Tensor:
    """The unit lower-triangular L of a compact LU, shape (B, N, N)."""
    strict = tf.linalg.band_part(lu, -1, 0) - tf.linalg.band_part(lu, 0, 0)
    return strict + tf.eye(lu.shape[-1], dtype=lu.dtype)


def upper(lu: tf.Tensor) -> tf.Tensor:
    """The upper-triangular U of a compact LU, shape (B, N, N)."""
    return tf.linalg.band_part(lu, 0, -1)


def unpermute(x_pq: tf.Tensor, factors: LUFactors) -> tf.Tensor:
    """Map a derivative w.r.t. the pivoted matrix ``A[rows][:, cols]`` back to A.

    ``out[b, r, c] = x_pq[b, rows_inv[r], cols_inv[c]]``, shape (B, N, N).
    """
    rows_inv = tf.argsort(factors.rows, axis=-1)
    cols_inv = tf.argsort(factors.cols, axis=-1)
    out = tf.gather(x_pq, rows_inv, axis=1, batch_dims=1)
    return tf.gather(out, cols_inv, axis=2, batch_dims=1)


def tree_product(x: tf.Tensor) -> tf.Tensor:
    """prod(x) over the last axis, ``(B, N) -> (B,)``, by log2(N) halvings of plain multiplies; 1 for N = 0.

    Unlike ``tf.reduce_prod`` its second derivatives are right where an entry is exactly 0
    (TF 2.21 forward-over-forward through ``Prod`` is wrong there: a rank n-1 matrix's det).
    """
    while x.shape[-1] > 1:
        half = x.shape[-1] // 2
        rest = x[:, 2 * half :]
        x = x[:, :half] * x[:, half : 2 * half]
        if rest.shape[-1]:
            x = tf.concat([x, rest], axis=-1)
    return x[:, 0] if x.shape[-1] == 1 else tf.ones(tf.shape(x)[:1], x.dtype)


def pivot_product(diag: tf.Tensor) -> tf.Tensor:
    """prod(diag) over the last axis, ``(B, N) -> (B,)``, safe from under/overflow in the running product.

    The pivots of a well-scaled matrix can have a running product that leaves the
    floating-point range even when the determinant is near 1 (n = 512 float32:
    XLA's reduction order gives exactly 0 for det = -1).  Where the direct
    product is 0 with no zero pivot, not finite, or disagrees with the
    log-domain value ``prod(d/|d|)·exp(sum log|d|)`` by more than 1 %, the
    log-domain value is taken (relative error about |sum log|d||·u).
    """
    direct = tree_product(diag)
    magnitude = tf.abs(diag)
    # comparisons on stop_gradient: piecewise constant, and a graph's forward-mode accumulator
    # cannot push tangents into them
    is_zero = tf.stop_gradient(magnitude) == 0
    has_zero = tf.reduce_any(is_zero, axis=-1)
    safe = tf.where(is_zero, tf.ones_like(magnitude), magnitude)
    phase = tf.where(is_zero, tf.ones_like(diag), diag / tf.cast(safe, diag.dtype))
    via_log_abs = tf.exp(tf.reduce_sum(tf.math.log(safe), axis=-1))
    via_log = tf.reduce_prod(phase, axis=-1) * tf.cast(via_log_abs, diag.dtype)
    # the branch choice reads stop_gradient copies (no tangents on bool ops, see _eliminate)
    direct_abs, log_abs = tf.stop_gradient(tf.abs(direct)), tf.stop_gradient(via_log_abs)
    lost = (direct_abs == 0) & ~has_zero
    lost |= ~tf.math.is_finite(direct_abs) & tf.math.is_finite(log_abs)
    lost |= tf.math.is_finite(log_abs) & (tf.abs(direct_abs - log_abs) > 0.01 * log_abs)
    return tf.where(lost & ~has_zero, via_log, direct)
