"""The ``"lu"`` method: one complete-pivoting LU shared by value and gradient.

Forward: ``P A Q = L U`` (see :mod:`detgrad.impls.tf_lu.lu_factor`), then
``det A = det(P)det(Q)·prod(diag U)``.

Backward: the gradient of det is the transposed adjugate, built from the
same factors.  With ``A_pq = P A Q = L U``, ``adj(A_pq) = adj(U)·L^{-1}``
(det L = 1), and for ``U = [[U11, u], [0, d]]``

    adj(U) = p · V^{-1} · diag(d, ..., d, 1),   p = det(U11),

where V is U with its last diagonal entry set to 1.  That is polynomial in
the last pivot d, so it never divides by it: complete pivoting puts the only
zero pivot of a rank n-1 matrix last (gradient rank 1, right), and a rank
<= n-2 matrix has p = 0 (gradient 0, right).  The result is mapped back
through the permutations.  Cost: 2/3·n³ (LU) + 4/3·n³ (two triangular
solves) = 2n³ for value + gradient.

Forward over forward (nested ``tf.autodiff.ForwardAccumulator``s, no tape): a graph's forward
mode differentiates the forward ops and ignores custom gradients, so :func:`det` then runs
:func:`det_plain`, whose ops have right derivatives of first and second order at every rank.

log|det A| has gradient ``A^{-H}`` (complex phase included via
:func:`detgrad.impls.live.log_cotangent`), computed from the same factors.

References: M. Giles, "An extended collection of matrix derivative results
for forward and reverse mode AD" (2008); JAX's ``_cofactor_solve``.
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.impls.base import det_over_batch, phase_and_log_abs, slogdet_over_batch
from detgrad.impls.live import live, log_cotangent
from detgrad.impls.tf_internals.mode import backprop_recording, forward_mode_active
from detgrad.impls.tf_lu.lu_factor import LUFactors, lu_factor, pivot_product, tree_product, unit_lower, unpermute, upper


def _identity_like(lu: tf.Tensor) -> tf.Tensor:
    return tf.broadcast_to(tf.eye(lu.shape[-1], dtype=lu.dtype), tf.shape(lu))


def det_from_factors(f: LUFactors) -> tf.Tensor:
    """det A = parity · prod(diag U), shape (B,)."""
    diag = tf.linalg.diag_part(f.lu)
    return tf.cast(f.parity, diag.dtype) * pivot_product(diag)


def slogdet_from_factors(f: LUFactors) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) from the pivots; sign 0 and -inf at a zero pivot."""
    diag = tf.linalg.diag_part(f.lu)
    phase, log_abs = phase_and_log_abs(diag)
    sign = tf.cast(f.parity, diag.dtype) * tf.reduce_prod(phase, axis=-1)
    return sign, tf.reduce_sum(log_abs, axis=-1)


def adjugate_parts(f: LUFactors) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """``(V, s, p)`` of ``adj(U) = p·V^{-1}·diag(s)`` for the U of ``f`` (see the module docstring).

    V ``(B, N, N)``: U with its last pivot (and any zero pivot before it) set to 1; s ``(B, N)``:
    the last pivot d in every place but the last, which is 1; p ``(B,)``: parity times the
    product of the pivots but the last.  Polynomial in d, so it never divides by it.
    """
    n = f.lu.shape[-1]
    diag = tf.linalg.diag_part(f.lu)
    ones = tf.ones_like(diag)
    is_last = (tf.range(n) == n - 1)[None, :]
    head = tf.where(is_last, ones, diag)
    head_product = pivot_product(head) * tf.cast(f.parity, diag.dtype)
    v = tf.linalg.set_diag(upper(f.lu), tf.where(tf.stop_gradient(head) == 0, ones, head))
    return v, tf.where(is_last, ones, diag[:, -1:] * ones), head_product


def cofactor_from_factors(f: LUFactors) -> tf.Tensor:
    """adj(A)^T = d det(A)/dA (holomorphic), shape (B, N, N); singular-safe."""
    v, scale, head_product = adjugate_parts(f)
    l_inv = tf.linalg.triangular_solve(unit_lower(f.lu), _identity_like(f.lu), lower=True)
    adj_pq = tf.linalg.triangular_solve(v, scale[:, :, None] * l_inv, lower=False)
    adj_pq = adj_pq * head_product[:, None, None]
    return unpermute(tf.linalg.matrix_transpose(adj_pq), f)


def inverse_transpose_from_factors(f: LUFactors) -> tf.Tensor:
    """A^{-T} = d log det(A)/dA (holomorphic), shape (B, N, N); inf/NaN if singular."""
    l_inv = tf.linalg.triangular_solve(unit_lower(f.lu), _identity_like(f.lu), lower=True)
    inv_pq = tf.linalg.triangular_solve(upper(f.lu), l_inv, lower=False)
    return unpermute(tf.linalg.matrix_transpose(inv_pq), f)


def det_plain(flat: tf.Tensor) -> tf.Tensor:
    """det of ``(B, N, N)`` in plain differentiable ops, right to second order at every rank, ``(B,)``.

    N - 2 complete-pivoting steps, then the 2 x 2 Schur complement S by its polynomial:
    det A = parity · d_0 ⋯ d_{N-3} · (S_00 S_11 - S_01 S_10).  The elimination divides only by
    pivots that are non-zero at every rank >= N - 2 (complete pivoting puts zeros last), so its
    derivatives are those of a rational function there, and det(S) is a polynomial: first and
    second derivatives are exact at rank N - 1 and N - 2.  At rank <= N - 3 the first N - 2
    pivots include a 0 and S = 0, so every term of the second derivative has a zero factor:
    0, which is right (all (N-2)-minors vanish).  Cost 2/3·N³ plus the pivot search.
    """
    n = flat.shape[-1]
    if n == 1:
        return flat[:, 0, 0]
    f = lu_factor(flat, steps=n - 2)
    head = tf.linalg.diag_part(f.lu)[:, : n - 2]
    s = f.lu[:, n - 2 :, n - 2 :]
    tail = s[:, 0, 0] * s[:, 1, 1] - s[:, 0, 1] * s[:, 1, 0]
    # complex: reduce_prod's derivative is a Cumprod, which XLA has no complex kernel for
    head_product = tree_product(head) if flat.dtype.is_complex else pivot_product(head)
    return tf.cast(f.parity, flat.dtype) * head_product * tail


def cofactor_plain(flat: tf.Tensor) -> tf.Tensor:
    """adj(A)^T of ``(B, N, N)`` as the derivative of :func:`det_plain`, so differentiable once more at every rank.

    What an outer tape differentiates for second order (via :func:`~detgrad.impls.live.live`).
    :func:`cofactor_from_factors` is right as a value, but its derivative is not at rank <= n-2 with
    an exact zero pivot: it sets that pivot to 1 in V, which drops V's dependence on it
    (measured: Hessian of the 2 x 2 zero matrix 0 instead of the constant [[v11, -v10], [-v01, v00]]).
    """
    with tf.GradientTape() as tape:
        tape.watch(flat)
        value = det_plain(flat)
    gradient = tape.gradient(value, flat)
    if gradient is None:
        # no tape records here: a ForwardAccumulator taking the JVP of a gradient under XLA calls
        # this through live()'s custom gradient with recording off; the factors' cofactor is right
        # there except at rank <= n-2 with an exact zero pivot (tests/test_properties.py)
        return cofactor_from_factors(lu_factor(flat))
    return tf.math.conj(gradient)


@tf.custom_gradient
def _det_flat(x):
    factors = lu_factor(x)

    def grad(g):
        cofactor = live(cofactor_from_factors(factors), x, cofactor_plain)
        return g[:, None, None] * tf.math.conj(cofactor)

    return det_from_factors(factors), grad


@tf.custom_gradient
def _slogdet_flat(x):
    factors = lu_factor(x)
    sign, logabs = slogdet_from_factors(factors)

    def grad(g_sign, g_logabs):
        sign_live = live(sign, x, lambda y: _slogdet_flat(y)[0])
        w = log_cotangent(sign_live, g_sign, g_logabs)
        inv_t = live(inverse_transpose_from_factors(factors), x, lambda y: inverse_transpose_from_factors(lu_factor(y)))
        return tf.cast(w, x.dtype)[:, None, None] * tf.math.conj(inv_t)

    return (sign, logabs), grad


def det(a: tf.Tensor) -> tf.Tensor:
    """det of a validated ``(..., N, N)`` tensor, shape ``(...)``."""
    if forward_mode_active(a) and not backprop_recording(a):
        return det_over_batch(a, det_plain)
    return det_over_batch(a, _det_flat)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) of a validated ``(..., N, N)`` tensor, each ``(...)``."""
    return slogdet_over_batch(a, _slogdet_flat)
