"""Partial-pivoting LU with work limited to the trailing block, in XLA-compilable TF ops.

``P A = L U`` for a ``(B, N, N)`` batch, each matrix with its own row pivots.

n <= UNROLL_MAX_N: right-looking elimination unrolled in Python on a shrinking trailing block (static
slice shapes), so step k touches only the ``(N-k) x N`` rows still being eliminated.

Otherwise: the blocked right-looking algorithm (Golub & Van Loan, *Matrix Computations*, 4th
ed., section 3.4.7 "block Gaussian elimination with partial pivoting"): for each panel of
width nb (a Python loop with static, shrinking shapes)

    P_k [A11; A21] = [L11; L21] U11          panel factored by one tf.while_loop
    rows of the rest gathered by P_k         one batched gather per panel
    U12 = L11^{-1} A12                       tf.linalg.triangular_solve
    A22 <- A22 - L21 U12                     tf.matmul: where the 2/3·n³ flops go

Row swaps are ``tf.where`` selects of two rows (exact, element-wise, fusable); pivot choice
and zero tests read ``tf.stop_gradient`` copies, because TF 2.21 forward mode in a graph
raises ``IndexError`` on an op with no differentiable output (ArgMax, Equal) whose input
carries tangents of two nested ``tf.autodiff.ForwardAccumulator``s.  Everything else is plain
differentiable ops, so forward-mode tangents of the factors are exact to any order.

A zero pivot is divided as 1 (its multipliers are 0, as the column below it is 0); the
caller decides what to do with matrices that have a zero pivot before the last one.
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.impls.tf_lu.lu_factor import LUFactors, unit_lower

# Chosen with the former bench/xla_ab.py (float64; ratio = blocklu under XLA / builtin in graph mode,
# value + gradient, median of per-round ratios, the inverse of a probe's speedup; compile s in brackets).
# Re-measure with `detgrad probe --mode xla --points ... --methods blocklu --set blocklu_factor.NAME=V`:
#   UNROLL_MAX_N, points 8x4096, 16x256:  8 -> 1.10, 1.76 (7.7 s)   0 (loop) -> 1.89, 2.73   16 -> 1.15, 1.58 (13.1 s)
#   PANEL_WIDTH (SOLVE_BLOCK 16), points 32x1024, 128x64:  32 -> 3.40, 2.06 (6.2 s)   16 -> 3.13, 2.01 (16.5 s)
#     8 -> 3.07, 1.78 (27 s)
#   SMALL_N (nb 8 up to it), points 32x1024, 32x1, 16x1, 16x256, 24x512:
#     0 -> 3.08, 0.93, 0.80, 2.38, 3.13   32 -> 2.68, 1.21, 1.07, 1.87, 2.69 (3.8 s at 32x1024)
#   MAX_PANELS (and triangular.MAX_BLOCKS), points 512x1, 1024x1:  16 -> 0.89, 0.61 (18.4, 14.8 s)   8 -> 1.00, 1.19 (7.4 s)
UNROLL_MAX_N = 8  # n <= this: one unrolled pass on shrinking blocks (XLA compiles ~0.1-0.3 s per step)
PANEL_WIDTH = 32  # nb; each panel is factored by one tf.while_loop (n <= nb: the whole matrix)
MAX_PANELS = 8  # nb grows to ceil(n / MAX_PANELS): compile time stays under 10 s up to n = 1024
SMALL_N = 32  # n <= SMALL_N uses panels of SMALL_PANEL_WIDTH (memory-bound masked loops: shorter is better)
SMALL_PANEL_WIDTH = 8


def _safe(pivot: tf.Tensor) -> tf.Tensor:
    return tf.where(tf.stop_gradient(pivot) == 0, tf.ones_like(pivot), pivot)


def _flip(p: tf.Tensor, at, dtype: tf.DType) -> tf.Tensor:
    """+1 where the pivot row is the diagonal row, -1 where a swap happened, shape (B,)."""
    return tf.where(p == at, tf.ones([], dtype), -tf.ones([], dtype))


def _swap_rows(x: tf.Tensor, k, p: tf.Tensor, is_k: tf.Tensor, is_p: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Swap row k with row p[b] of each ``(B, M, W)`` matrix; also return the new row k, (B, W).

    ``is_k``: (M,) bool, ``is_p``: (B, M) bool.  Exact: rows are selected, never added.
    """
    zeros = tf.zeros_like(x)
    row_p = tf.reduce_sum(tf.where(is_p[:, :, None], x, zeros), axis=1)
    row_k = x[:, k, :] if isinstance(k, int) else tf.gather(x, k, axis=1)
    swapped = tf.where(is_k[None, :, None], row_p[:, None, :], tf.where(is_p[:, :, None], row_k[:, None, :], x))
    return swapped, row_p


def _swap_perm(perm: tf.Tensor, k, p: tf.Tensor, is_k: tf.Tensor, is_p: tf.Tensor) -> tf.Tensor:
    perm_p = tf.reduce_sum(tf.where(is_p, perm, tf.zeros_like(perm)), axis=1)
    perm_k = perm[:, k] if isinstance(k, int) else tf.gather(perm, k, axis=1)
    return tf.where(is_k[None, :], perm_p[:, None], tf.where(is_p, perm_k[:, None], perm))


def _panel_unrolled(panel: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Factor a ``(B, M, W)`` panel (M >= W) by W unrolled steps on shrinking row blocks.

    Returns the compact factors ``(B, M, W)`` (unit L below the diagonal, U on and above),
    the local row permutation ``(B, M)`` int32 and its parity ``(B,)`` (real dtype).
    """
    m, w = panel.shape[1], panel.shape[2]
    batch = tf.shape(panel)[0]
    perm = tf.tile(tf.range(m)[None, :], [batch, 1])
    parity = tf.ones([batch], panel.dtype.real_dtype)
    done, done_perm = [], []
    work = panel
    for k in range(min(w, m - 1)):
        rows = m - k
        col = tf.abs(tf.stop_gradient(work[:, :, k]))
        p = tf.argmax(col, axis=1, output_type=tf.int32)
        idx = tf.range(rows)
        is_k, is_p = idx == 0, idx[None, :] == p[:, None]
        work, top = _swap_rows(work, 0, p, is_k, is_p)
        perm = _swap_perm(perm, 0, p, is_k, is_p)
        parity = parity * _flip(p, 0, parity.dtype)
        below = work[:, 1:, :]
        mult = below[:, :, k] / _safe(top[:, k])[:, None]
        trail = below[:, :, k + 1 :] - mult[:, :, None] * top[:, None, k + 1 :]
        work = tf.concat([below[:, :, :k], mult[:, :, None], trail], axis=2)
        done.append(top[:, None, :])
        done_perm.append(perm[:, :1])
        perm = perm[:, 1:]
    return tf.concat(done + [work], axis=1), tf.concat(done_perm + [perm], axis=1), parity


def _panel_loop(panel: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Same contract as :func:`_panel_unrolled`, one ``tf.while_loop`` over the W columns.

    Static ``(B, M, W)`` shape with masked updates: O(M·W) per step, a few ops to compile.
    """
    m, w = panel.shape[1], panel.shape[2]
    batch = tf.shape(panel)[0]
    idx, cidx = tf.range(m), tf.range(w)

    def body(k, x, perm, parity):
        col = tf.where(idx[None, :] >= k, tf.abs(tf.stop_gradient(tf.gather(x, k, axis=2))), -tf.ones([], x.dtype.real_dtype))
        p = tf.argmax(col, axis=1, output_type=tf.int32)
        is_k, is_p = idx == k, idx[None, :] == p[:, None]
        x, top = _swap_rows(x, k, p, is_k, is_p)
        perm = _swap_perm(perm, k, p, is_k, is_p)
        parity = parity * _flip(p, k, parity.dtype)
        below = (idx > k)[None, :]
        zeros = tf.zeros_like(x[:, :, 0])
        mult = tf.where(below, tf.gather(x, k, axis=2) / _safe(tf.gather(top, k, axis=1))[:, None], zeros)
        tail = tf.where((cidx > k)[None, :], top, tf.zeros_like(top))
        x = x - mult[:, :, None] * tail[:, None, :]
        x = tf.where((below[0][:, None] & (cidx == k)[None, :])[None], mult[:, :, None], x)
        return k + 1, x, perm, parity

    start = (tf.constant(0), panel, tf.tile(idx[None, :], [batch, 1]), tf.ones([batch], panel.dtype.real_dtype))
    steps = min(w, m - 1)
    _, x, perm, parity = tf.while_loop(lambda k, *_: k < steps, body, start, maximum_iterations=steps)
    return x, perm, parity


def _gather_rows(x: tf.Tensor, perm: tf.Tensor) -> tf.Tensor:
    return tf.gather(x, perm, axis=1, batch_dims=1)


def partial_lu(flat: tf.Tensor, panel_width: int | None = None, unroll_max_n: int | None = None) -> LUFactors:
    """Partial-pivoting LU of a ``(B, N, N)`` batch (N static, >= 1), as :class:`LUFactors`.

    ``A[b][rows[b]] = L[b] @ U[b]``; ``cols`` is the identity.  About 2/3·N³ flops per matrix,
    in ``tf.matmul`` for all but the O(N²·nb) panel work when N > ``unroll_max_n``.
    """
    if not panel_width:
        panel_width = SMALL_PANEL_WIDTH if flat.shape[-1] <= SMALL_N else max(PANEL_WIDTH, -(-flat.shape[-1] // MAX_PANELS))
    unroll_max_n = UNROLL_MAX_N if unroll_max_n is None else unroll_max_n
    n = flat.shape[-1]
    batch = tf.shape(flat)[0]
    identity = tf.tile(tf.range(n)[None, :], [batch, 1])
    if n <= unroll_max_n:
        lu, rows, parity = _panel_unrolled(flat)
        return LUFactors(lu, rows, identity, parity)
    parity = tf.ones([batch], flat.dtype.real_dtype)
    done, done_rows = [], []
    work, rows = flat, identity
    for j in range(0, n, panel_width):
        w = min(panel_width, n - j)
        panel, p, panel_parity = _panel_loop(work[:, :, j : j + w])
        parity = parity * panel_parity
        rows = _gather_rows(rows, p)
        left = _gather_rows(work[:, :, :j], p) if j else work[:, :, :0]
        right = work[:, :, j + w :]
        if j + w < n:
            right = _gather_rows(right, p)
            u12 = tf.linalg.triangular_solve(unit_lower(panel[:, :w, :]), right[:, :w, :], lower=True)
            a22 = right[:, w:, :] - tf.matmul(panel[:, w:, :], u12)
        else:
            u12, a22 = right[:, :w, :], right[:, w:, :]
        done.append(tf.concat([left[:, :w, :], panel[:, :w, :], u12], axis=2))
        done_rows.append(rows[:, :w])
        work = tf.concat([left[:, w:, :], panel[:, w:, :], a22], axis=2)
        rows = rows[:, w:]
    return LUFactors(tf.concat(done, axis=1), tf.concat(done_rows, axis=1), identity, parity)
