"""The ``"eigenlu"`` method: one Eigen partial-pivoting LU (``tf.linalg.lu``) shared by value and gradient.

Forward: ``A[p] = L U`` (``tf.linalg.lu``), det A = sign(p) · prod(diag U), where sign(p) is
the parity of the number of inversions of the row permutation p.

Backward: d det/dA = det(A) · A^{-T} and d log|det A|/dA = A^{-T}, with A^{-1} from the same
factors by two triangular solves (``tf.linalg.lu_solve`` against the identity): no second LU.
TF's builtin gradient factors A again inside ``matrix_inverse``:

    builtin:  LU (2/3 n³) + LU again (2/3 n³) + inverse solves (2 n³)   ≈ 3.3 n³
    eigenlu:  LU (2/3 n³)                     + inverse solves (2 n³)   ≈ 2.7 n³

(the solves do not exploit the identity's structure; 4/3 n³ would be the floor).

Not singular-safe and loud about it: ``tf.linalg.lu`` raises ``InvalidArgumentError`` on an
exactly singular matrix.  No XLA kernel for ``Lu`` on CPU in TF 2.21.  Second derivatives: the
cached A^{-T} and det carry explicit VJPs in plain TF ops (:func:`_attach`; ``tf.linalg.inv`` and
``tf.linalg.det`` of A, evaluated only when a second derivative is asked for), so reverse-over-reverse
Hessians are right; under a forward-mode accumulator (detected at run/trace time) the backward is
recomputed from A with ``tf.linalg.det``/``inv`` so forward-over-reverse is right too.  The LU
runs on ``stop_gradient(A)`` so forward mode (which in eager TF 2.21 goes through the custom
gradients) never asks for the Lu op's missing gradient.

References: M. Giles, "An extended collection of matrix derivative results for forward and
reverse mode AD" (2008).
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.impls.base import det_over_batch, slogdet_over_batch
from detgrad.impls.live import live, log_cotangent
from detgrad.impls.tf_internals.mode import forward_mode_active, refuse_forward_mode
from detgrad.impls.tf_lu.lu_factor import pivot_product


def _parity_sign(perm: tf.Tensor, dtype: tf.DType) -> tf.Tensor:
    """(-1)^(inversions of perm), shape (B,); O(n²) compares per matrix."""
    greater = perm[:, :, None] > perm[:, None, :]  # (B, i, j): p_i > p_j
    n = perm.shape[-1]
    upper = tf.linalg.band_part(tf.ones([n, n], tf.int32), 0, -1) - tf.eye(n, dtype=tf.int32)  # i < j
    inversions = tf.reduce_sum(tf.cast(greater, tf.int32) * upper[None], axis=[1, 2])
    return tf.cast(1 - 2 * (inversions % 2), dtype)


def _factor(x: tf.Tensor):
    # stop_gradient: the Lu op has no registered gradient, and a forward-mode accumulator would
    # otherwise ask for one; tangents flow through the custom gradients instead.
    lu, perm = tf.linalg.lu(tf.stop_gradient(x))
    diag = tf.linalg.diag_part(lu)
    return lu, perm, diag, _parity_sign(perm, x.dtype)


def _inverse_transpose(lu: tf.Tensor, perm: tf.Tensor) -> tf.Tensor:
    eye = tf.broadcast_to(tf.eye(lu.shape[-1], dtype=lu.dtype), tf.shape(lu))
    return tf.linalg.matrix_transpose(tf.linalg.lu_solve(lu, perm, eye))


def _attach(value: tf.Tensor, x: tf.Tensor, vjp) -> tf.Tensor:
    """``value`` (a function of ``x`` computed without a tape) with the explicit VJP ``vjp(x, upstream)``.

    Unlike :func:`detgrad.impls.live.live` the VJP is plain TF ops of ``x`` (no nested tape), so a
    forward-mode accumulator can push tangents through it (TF computes the JVP of a custom gradient
    by differentiating its backward function), and reverse-over-reverse sees it too.  It only runs
    when second derivatives are asked for.
    """

    @tf.custom_gradient
    def attach(x_):
        return tf.identity(value), lambda up: vjp(x_, up)

    return attach(x)


def _vjp_inv_t(x: tf.Tensor, up: tf.Tensor) -> tf.Tensor:
    # d(A^{-T}) = -(A^{-1} dA A^{-1})^T  ->  VJP U -> -(A^{-1} U A^{-1})^T  (conj'd for TF's complex convention)
    inv = tf.linalg.inv(x)
    return tf.math.conj(-tf.linalg.matrix_transpose(inv @ tf.math.conj(up) @ inv))


def _vjp_det(x: tf.Tensor, up: tf.Tensor) -> tf.Tensor:
    # d det = det · tr(A^{-1} dA)  ->  VJP u -> u · conj(det · A^{-T})  (TF's complex convention)
    cof = tf.linalg.det(x)[:, None, None] * tf.linalg.matrix_transpose(tf.linalg.inv(x))
    return tf.cast(up, x.dtype)[:, None, None] * tf.math.conj(cof)


def _cofactor_plain(x: tf.Tensor) -> tf.Tensor:
    return tf.linalg.det(x)[:, None, None] * tf.linalg.matrix_transpose(tf.linalg.inv(x))


@tf.custom_gradient
def _det_flat(x):
    lu, perm, diag, sign = _factor(x)
    value = sign * pivot_product(diag)

    def grad(g):
        if forward_mode_active(x):
            cofactor = _cofactor_plain(x)
        else:
            inv_t = _attach(_inverse_transpose(lu, perm), x, _vjp_inv_t)
            cofactor = _attach(value, x, _vjp_det)[:, None, None] * inv_t
        return tf.cast(g, x.dtype)[:, None, None] * tf.math.conj(cofactor)

    return value, grad


@tf.custom_gradient
def _slogdet_flat(x):
    lu, perm, diag, sign = _factor(x)
    magnitude = tf.abs(diag)
    phase = diag / tf.cast(magnitude, diag.dtype)
    sign = sign * tf.reduce_prod(phase, axis=-1)
    logabs = tf.reduce_sum(tf.math.log(magnitude), axis=-1)

    def grad(g_sign, g_logabs):
        # a real sign is piecewise constant (derivative 0); a complex one needs its phase derivative
        sign_live = live(sign, x, lambda y: _slogdet_flat(y)[0]) if x.dtype.is_complex else sign
        w = tf.cast(log_cotangent(sign_live, g_sign, g_logabs), x.dtype)
        if forward_mode_active(x):
            inv_t = tf.linalg.matrix_transpose(tf.linalg.inv(x))
        else:
            inv_t = _attach(_inverse_transpose(lu, perm), x, _vjp_inv_t)
        return w[:, None, None] * tf.math.conj(inv_t)

    return (sign, logabs), grad


def det(a: tf.Tensor) -> tf.Tensor:
    """det of a validated ``(..., N, N)`` tensor, shape ``(...)``; raises on exactly singular input."""
    refuse_forward_mode(a, "eigenlu")
    return det_over_batch(a, _det_flat)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) of a validated ``(..., N, N)`` tensor, each ``(...)``."""
    refuse_forward_mode(a, "eigenlu")
    return slogdet_over_batch(a, _slogdet_flat)
