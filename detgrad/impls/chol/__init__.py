"""The Cholesky family: log det of Hermitian positive-definite matrices (``detgrad.logdet``).

For ``A = L L^H`` (L lower triangular with a real positive diagonal)

    log det A = 2 · sum_i log L_ii,      d log det A / dA = A^{-1}   (TF's convention: the
                                                                     gradient of a real loss)

A Cholesky factorization costs n³/3, half an LU, and needs no pivoting.  Its members compute only
``log det`` of positive-definite input (the contract of ``tf.linalg.logdet``): they read the lower
triangle, and a matrix that is not positive definite gives NaN for that batch member (the API
turns that into a ``DetgradError`` in eager mode).  They have no ``det`` / ``slogdet``.

* :mod:`.cholesky`: TF's Cholesky (Eigen), its factor shared by the value and the gradient;
* :mod:`.blocked`: a recursive, matmul-based Cholesky in TF ops, fast under XLA (whose own CPU
  Cholesky is 7-50x slower than a graph's ``slogdet``);
* :mod:`.builtin_logdet`: ``tf.linalg.logdet`` with TF's registered gradient (the second baseline).

Shared here: :func:`log_det_from_factor` and :func:`empty_matrix_logdet`.
"""

from __future__ import annotations

import tensorflow as tf


def log_det_from_factor(factor: tf.Tensor) -> tf.Tensor:
    """``2 · sum log Re(L_ii)``: ``(..., N, N)`` Cholesky factor -> ``(...)`` real log det.

    NaN where a diagonal entry is NaN (a failed factorization), never a finite value.
    """
    diagonal = tf.math.real(tf.linalg.diag_part(factor))
    return 2.0 * tf.reduce_sum(tf.math.log(diagonal), axis=-1)


def empty_matrix_logdet(a: tf.Tensor) -> tf.Tensor:
    """log det of ``(..., 0, 0)`` matrices: 0, kept connected to ``a`` so gradients are zeros."""
    return tf.zeros(tf.shape(a)[:-2], dtype=a.dtype.real_dtype) + tf.math.real(tf.reduce_sum(a, axis=[-2, -1]))


def upstream_as(g: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
    """The real cotangent ``g (...)`` of log det as ``(..., 1, 1)`` in the input's dtype."""
    return tf.cast(g, dtype)[..., None, None]
