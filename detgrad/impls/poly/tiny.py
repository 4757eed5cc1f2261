"""The ``"tiny"`` method: the n <= 3 polynomials on a flat ``(B, n·n)`` layout, built for speed.

Same mathematics as ``"closed"`` (cofactor expansion; exact derivatives of every order at any
rank, because det is a polynomial and plain autodiff differentiates it), but laid out so the
whole value + gradient is a handful of element-wise ops over the batch:

    e_k = A.reshape(B, n·n).T[k]                      (one transpose, one unstack: contiguous rows)
    n = 2: det = e0·e3 - e1·e2
    n = 3: m0 = e4·e8 - e5·e7, m1 = e3·e8 - e5·e6, m2 = e3·e7 - e4·e6
           det = e0·m0 - e1·m1 + e2·m2                 (the 2x2 minors are shared)

The gradient of the unstack is one stack (and one transpose), so TF's autodiff writes the (B, n, n) gradient once
instead of summing n² padded strided-slice gradients (what ``"closed"`` does: ~n² full-size
buffers).  Under XLA the value and gradient fuse into one loop over the batch; at batch 1 the
call is dispatch-bound and the op count (about 30 ops for n = 3) is what matters.
log|det| = log(abs(det)); its gradient is inf/NaN at det = 0 (loud), as for ``"closed"``.
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.catalog import POLYNOMIAL_MAX_N
from detgrad.impls.base import empty_matrix_det, phase_and_log_abs

MAX_N = POLYNOMIAL_MAX_N


def _det_entries(e: list[tf.Tensor], n: int) -> tf.Tensor:
    if n == 1:
        return e[0]
    if n == 2:
        return e[0] * e[3] - e[1] * e[2]
    m0 = e[4] * e[8] - e[5] * e[7]
    m1 = e[3] * e[8] - e[5] * e[6]
    m2 = e[3] * e[7] - e[4] * e[6]
    return e[0] * m0 - e[1] * m1 + e[2] * m2


def det(a: tf.Tensor) -> tf.Tensor:
    """Closed-form det of ``(..., N, N)`` with N <= 3, shape ``(...)``."""
    n = a.shape[-1]
    if n == 0:
        return empty_matrix_det(a)
    batch_shape = tf.shape(a)[:-2]
    rows = tf.transpose(tf.reshape(a, [-1, n * n]))  # (n·n, B): each entry contiguous over the batch
    value = _det_entries(tf.unstack(rows, axis=0), n)
    return tf.reshape(value, batch_shape)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(det/|det|, log|det|); sign 0 and log|det| = -inf at det = 0."""
    return phase_and_log_abs(det(a))
