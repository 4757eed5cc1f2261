"""The ``"blocklu"`` method: blocked partial-pivoting LU, built to be fast under XLA.

Forward: ``P A = L U`` by :func:`detgrad.impls.tf_lu.blocklu_factor.partial_lu` (trailing-block
updates only; ``tf.matmul`` panels for large n), then ``det A = det(P)·prod(diag U)`` through
:func:`~detgrad.impls.tf_lu.lu_factor.pivot_product` (safe from float32 under/overflow of the
running product).

Backward: the same adjugate formula as ``"lu"`` (:func:`detgrad.impls.tf_lu.lu.cofactor_from_factors`,
Giles 2008): with ``U = [[U11, u], [0, d]]``, ``adj(U) = det(U11)·V^{-1}·diag(d, ..., d, 1)``
where V is U with its last pivot set to 1, so it never divides by the last pivot.  It is
right whenever the only zero pivot is the last one: every invertible matrix, and every
exactly singular one whose zero shows up last under partial pivoting (a generic rank n-1
matrix).  A zero pivot *before* the last one (a zero column, rank <= n-2, structured rank
n-1) sends the batch (``tf.cond`` on "any such zero"; eager runs one branch) to the
rank-revealing complete-pivoting factorization of :mod:`detgrad.impls.tf_lu.lu_factor`, which
puts the zero pivots last.  Tiny non-zero pivots stay on the fast path: the formula is a
polynomial in the factors of a backward-stable LU, so ``det(U11)`` cancels their size.
log|det| has gradient ``A^{-T}`` (conj for complex) from the same factors.  Both solves
(``L^{-1}P`` with the row pivots P as a one-hot right-hand side, then ``V^{-1}``) are block
substitutions in ``tf.matmul`` (:mod:`detgrad.impls.tf_lu.triangular`): XLA's own TriangularSolve
is slow on CPU.

Second order differentiates a factorization, and partial pivoting's factors have derivatives
of size 1/d at a tiny pivot d before the last one (a numerically singular matrix), which the
Hessian then loses to cancellation.  So derivatives beyond the first go through the complete-
pivoting elimination of :func:`detgrad.impls.tf_lu.lu.det_plain` (right to second order at every rank):
forward mode (nested ``tf.autodiff.ForwardAccumulator``s included) runs it from the start, and
reverse over reverse recomputes the gradient as its derivative under a tape only when asked
(:func:`detgrad.impls.live.live`, :func:`detgrad.impls.tf_lu.lu.cofactor_plain`).
Value + first-order gradient never pay for them.
Cost: 2/3·n³ (LU) + 2·n³ (two solves with a full right-hand side, the triangular
structure of ``L^{-1}P`` unused) = 8/3·n³ for value + gradient.

References: G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed. (2013), 3.4.7
(block LU with partial pivoting); M. Giles, "An extended collection of matrix derivative
results for forward and reverse mode AD" (2008).
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.impls.base import det_over_batch, slogdet_over_batch
from detgrad.impls.live import live, log_cotangent
from detgrad.impls.tf_internals.mode import backprop_recording, execution_mode, forward_mode_active, inside_vectorized_loop
from detgrad.impls.tf_lu.blocklu_factor import partial_lu
from detgrad.impls.tf_lu.lu import (
    adjugate_parts,
    cofactor_plain,
    det_from_factors,
    det_plain,
    inverse_transpose_from_factors,
    slogdet_from_factors,
)
from detgrad.impls.tf_lu.lu_factor import LUFactors, lu_factor, unit_lower, upper
from detgrad.impls.tf_lu.triangular import solve


def _from_pivoted(x: tf.Tensor, f: LUFactors, complete) -> tf.Tensor:
    """``Q x`` (rows gathered by the inverse column pivots), then transposed, ``(B, N, N)``.

    ``complete``: whether ``f.cols`` may differ from the identity (Python bool, or a scalar
    bool tensor for a ``tf.cond``); partial pivoting's Q = I costs nothing.
    """

    def gathered():
        return tf.gather(x, tf.argsort(f.cols, axis=-1), axis=1, batch_dims=1)

    if isinstance(complete, bool):
        x = gathered() if complete else x
    else:
        x = tf.cond(complete, gathered, lambda: x)
    return tf.linalg.matrix_transpose(x)


def _l_inv_p(f: LUFactors) -> tf.Tensor:
    """L^{-1} P with P the row pivots as a one-hot matrix (P A = A[rows]), ``(B, N, N)``."""
    p = tf.one_hot(f.rows, f.lu.shape[-1], dtype=f.lu.dtype)
    return solve(unit_lower(f.lu), p, lower=True)


def cofactor(f: LUFactors, complete) -> tf.Tensor:
    """adj(A)^T from ``P A Q = L U``, ``(B, N, N)``.

    :func:`detgrad.impls.tf_lu.lu.cofactor_from_factors`'s formula, ``adj(A) = Q·p·V^{-1}·S·L^{-1}·P``,
    with the permutations folded into the solves (P as the one-hot right-hand side) and the
    two triangular solves done by :func:`detgrad.impls.tf_lu.triangular.solve`.
    """
    v, scale, head_product = adjugate_parts(f)
    adj = solve(v, scale[:, :, None] * _l_inv_p(f), lower=False) * head_product[:, None, None]
    return _from_pivoted(adj, f, complete)


def inverse_transpose(f: LUFactors, complete) -> tf.Tensor:
    """A^{-T} = (Q U^{-1} L^{-1} P)^T from the factors, ``(B, N, N)``; inf/NaN if singular."""
    return _from_pivoted(solve(upper(f.lu), _l_inv_p(f), lower=False), f, complete)


def _needs_complete_pivoting(f: LUFactors) -> tf.Tensor:
    """Scalar bool: some matrix has a zero pivot before its last one."""
    head = tf.stop_gradient(tf.linalg.diag_part(f.lu)[:, :-1])
    return tf.reduce_any(head == 0)


def factor(x: tf.Tensor):
    """Factors of a ``(B, N, N)`` batch whose only zero pivot, if any, is the last one.

    Partial pivoting (fast); the whole batch is refactored with complete pivoting when some
    matrix has an earlier zero pivot, and whenever a forward-mode accumulator tracks ``x``.
    Returns ``(LUFactors, complete)``, complete a bool or scalar bool tensor.
    """
    if x.shape[-1] < 2:
        return partial_lu(x), False
    if forward_mode_active(x):
        # Forward mode differentiates the factorization itself: partial pivoting's factors have
        # derivatives of size 1/d at a tiny (or zero) pivot d before the last one, complete
        # pivoting's do not.  (Also, tf.cond under nested accumulators fails to trace in TF 2.21.)
        return lu_factor(x), True
    if inside_vectorized_loop() and execution_mode() == "xla":
        # tf.vectorized_map under XLA: pfor turns a per-member tf.cond into a partition that XLA gets
        # wrong (mode.inside_vectorized_loop), so every member takes the complete pivoting, right everywhere
        return lu_factor(x), True
    partial = partial_lu(x)
    flag = _needs_complete_pivoting(partial)
    if tf.executing_eagerly():
        return (lu_factor(x), True) if bool(flag) else (partial, False)
    return LUFactors(*tf.cond(flag, lambda: tuple(lu_factor(x)), lambda: tuple(partial))), flag


@tf.custom_gradient
def _det_flat(x):
    factors, complete = factor(x)

    def grad(g):
        cof = live(cofactor(factors, complete), x, cofactor_plain)
        return g[:, None, None] * tf.math.conj(cof)

    return det_from_factors(factors), grad


@tf.custom_gradient
def _slogdet_flat(x):
    factors, complete = factor(x)
    sign, logabs = slogdet_from_factors(factors)

    def grad(g_sign, g_logabs):
        sign_live = live(sign, x, lambda y: _slogdet_flat(y)[0])
        w = log_cotangent(sign_live, g_sign, g_logabs)
        inv_t = live(inverse_transpose(factors, complete), x, lambda y: inverse_transpose_from_factors(lu_factor(y)))
        return tf.cast(w, x.dtype)[:, None, None] * tf.math.conj(inv_t)

    return (sign, logabs), grad


def det(a: tf.Tensor) -> tf.Tensor:
    """det of a validated ``(..., N, N)`` tensor, shape ``(...)``.

    Forward mode without a tape (nested ``ForwardAccumulator``s) differentiates the forward ops:
    they are lu's :func:`~detgrad.impls.tf_lu.lu.det_plain`, whose derivatives of first and second
    order are right at every rank (elimination alone is not at rank n-2).
    """
    if forward_mode_active(a) and not backprop_recording(a):
        return det_over_batch(a, det_plain)
    return det_over_batch(a, _det_flat)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) of a validated ``(..., N, N)`` tensor, each ``(...)``; sign has a's dtype."""
    return slogdet_over_batch(a, _slogdet_flat)
