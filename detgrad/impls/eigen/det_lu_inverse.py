"""A^{-1} from the very LU that ``tf.linalg.det`` computes, so det·A^{-1} is the cofactor matrix.

Why: the gradient det(A)·A^{-T} is the (transposed) adjugate only if det and A^{-1} come from one
factorization, so that their rounding cancels at a matrix that is singular up to rounding
(det ~ eps, A^{-1} ~ 1/eps).  TF 2.21's CPU kernels (``determinant_op.cc``, ``lu_op.cc``,
``matrix_inverse_op.cc``) all run Eigen's ``PartialPivLU``, but not on the same matrix type:

    MatrixDeterminant, LogMatrixDeterminant, Lu   PartialPivLU of a column-major copy
    MatrixInverse, MatrixSolve                    PartialPivLU of a row-major matrix

Eigen factors a matrix of size <= 16 unblocked, and for real scalars the two storage orders then
run the same scalar operations: ``inv`` shares det's pivots bit for bit
(:func:`inverse_shares_det_lu`).  From n = 17 Eigen's blocked algorithm orders the updates by
storage, and for complex scalars the vectorized products round differently at any n: there
det·inv(A) was measured wrong by 0.3-2 (relative) at rank n-1 up to rounding, real n = 20 and
70 and complex n = 4-5, and ``inv`` even raised "Input is not invertible" where det was 1e-15.

``Lu`` copies its input column-major exactly as ``MatrixDeterminant`` does, so its pivots are
det's bit for bit, and it raises exactly where det is 0 (an exact zero pivot).  This module
inverts from those factors, ``P A = L U``:

    A^{-1} = U^{-1} (L^{-1} P)        two triangular solves against the permuted identity

(2/3·n³ for the LU and 2·n³ for the solves: MatrixInverse's count).  In a graph, one matrix of
n >= :data:`SPLIT_MIN_N` solves the two column halves of P as independent ops that TF runs on two
cores (TF's own det gradient overlaps det and inverse; a guarded gradient must wait for det).

The gradient is MatrixInverse's, -A^{-H} G A^{-H}, from the computed inverse (``Lu`` has none).
"""

from __future__ import annotations

import functools

import tensorflow as tf

from detgrad.impls.tf_internals import raw_ops

# Eigen's PartialPivLU factors a matrix with at most this many rows unblocked (Eigen/src/LU/PartialPivLU.h).
EIGEN_UNBLOCKED_MAX_N = 16

# One matrix from this n inverts as two half-solves on two cores in a graph.  Measured (value +
# gradient of guarded.det in a tf.function, t / t(builtin), median of 9 interleaved rounds,
# float32/float64, one inverse -> split): n = 128: 1.27/1.30 -> 1.15/1.12; 256: 1.26/1.38 ->
# 1.03/1.10; 384: 1.23/1.29 -> 1.03/0.97; n = 80-96 and batches of 16 gained nothing.
SPLIT_MIN_N = 128


def inverse_shares_det_lu(dtype: tf.DType, n: int) -> bool:
    """Whether ``tf.linalg.inv`` factors an ``n x n`` matrix bit for bit like ``tf.linalg.det`` (see module docstring)."""
    return not dtype.is_complex and n <= EIGEN_UNBLOCKED_MAX_N


@functools.lru_cache(maxsize=64)
def _eye(n: int, dtype: tf.DType) -> tf.Tensor:
    with tf.init_scope():  # an eager constant, shared by every graph and call
        return tf.eye(n, dtype=dtype)


@functools.lru_cache(maxsize=1)
def _axis0() -> tf.Tensor:
    with tf.init_scope():
        return tf.constant(0, tf.int32)


@functools.lru_cache(maxsize=64)
def _eager_ones(shape: tuple[int, ...], dtype: tf.DType) -> tf.Tensor:
    return tf.ones(shape, dtype)


def _ones_like_diagonal(lu: tf.Tensor) -> tf.Tensor:
    """Ones of shape ``(..., N)``: a cached constant in eager mode (each Python op there costs ~20 µs)."""
    if tf.executing_eagerly():
        return _eager_ones(tuple(lu.shape[:-1]), lu.dtype)
    return tf.ones(tf.shape(lu)[:-1], lu.dtype)


def _solve_from_factors(lu: tf.Tensor, perm: tf.Tensor, columns: slice | None = None) -> tf.Tensor:
    """U^{-1} L^{-1} P[:, columns]: ``(..., N, N)`` factors, ``(..., N)`` perm -> ``(..., N, K)``."""
    n = lu.shape[-1]
    eye = _eye(n, lu.dtype)
    if columns is not None:
        eye = eye[:, columns]
    permuted = raw_ops.gather_v2(eye, perm, _axis0())  # row i of P is row perm[i] of I
    unit_lower = raw_ops.matrix_set_diag_v3(lu, _ones_like_diagonal(lu), _axis0(), align="RIGHT_LEFT")
    below = raw_ops.matrix_triangular_solve(unit_lower, permuted, lower=True, adjoint=False)
    return raw_ops.matrix_triangular_solve(lu, below, lower=False, adjoint=False)


def _one_matrix(x: tf.Tensor) -> bool:
    lead = x.shape[:-2]
    return lead.is_fully_defined() and lead.num_elements() == 1


def _raw_inverse(x: tf.Tensor) -> tf.Tensor:
    """A^{-1} from ``Lu``'s factors, no gradient; raises exactly where ``tf.linalg.det`` is 0."""
    lu, perm = raw_ops.lu(x, output_idx_type=tf.int32)
    n = x.shape[-1]
    if tf.executing_eagerly() or n < SPLIT_MIN_N or not _one_matrix(x):
        return _solve_from_factors(lu, perm)
    h = n // 2
    return tf.concat([_solve_from_factors(lu, perm, slice(None, h)), _solve_from_factors(lu, perm, slice(h, None))], -1)


@tf.custom_gradient
def _inverse_with_gradient(x: tf.Tensor) -> tf.Tensor:
    inv = _raw_inverse(x)

    def grad(g: tf.Tensor) -> tf.Tensor:  # TF's MatrixInverse gradient
        return -tf.matmul(inv, tf.matmul(g, inv, adjoint_b=True), adjoint_a=True)

    return inv, grad


def inverse(x: tf.Tensor, differentiable: bool = True) -> tf.Tensor:
    """A^{-1} of ``(..., N, N)`` matrices whose ``tf.linalg.det`` is non-zero, from det's own LU.

    ``tf.linalg.inv`` where it shares that LU (real, N <= 16), else ``Lu`` and two triangular
    solves.  ``differentiable=False`` skips the custom-gradient wrapper (eager first order: fewer
    ops); then the result must not be differentiated.  Same shape as ``x``.
    """
    if inverse_shares_det_lu(x.dtype, x.shape[-1]):
        return raw_ops.matrix_inverse(x, adjoint=False) if not differentiable else tf.linalg.inv(x)
    return _inverse_with_gradient(x) if differentiable else _raw_inverse(x)
