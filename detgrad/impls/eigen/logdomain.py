"""The ``"slogdet"`` method: work in the log domain.

    sign, L = slogdet(A);   d L / dA = A^{-T}   (holomorphic, complex phase included)
    det A = sign · exp(L)

The gradient of log|det| and of the phase is ``w · A^{-H}`` computed with a
linear solve against the identity, so it stays finite for float32 matrices
whose determinant overflows (n = 200).  det is composed from (sign, L) and
differentiated through them, so its gradient is g·conj(sign)·exp(L)·A^{-H}:
scaled in the log domain, never through an overflowing det.  Not
singular-safe (log 0 = -inf, inf/NaN gradient: loud).  No XLA kernel for
``LogMatrixDeterminant`` in TF 2.21.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from detgrad.impls.base import empty_matrix_det, empty_matrix_slogdet
from detgrad.impls.live import live, log_cotangent
from detgrad.impls.tf_internals.mode import refuse_forward_mode


def _inverse_transpose(x: tf.Tensor) -> tf.Tensor:
    eye = tf.broadcast_to(tf.eye(x.shape[-1], dtype=x.dtype), tf.shape(x))
    return tf.linalg.matrix_transpose(tf.linalg.solve(x, eye))


def make_slogdet(inverse_transpose: Callable[[tf.Tensor], tf.Tensor], name: str = "slogdet") -> Callable:
    """``tf.linalg.slogdet`` with the gradient ``w · conj(inverse_transpose(A))``.

    ``w`` is the log-determinant cotangent (phase included, see
    :func:`detgrad.impls.live.log_cotangent`); ``inverse_transpose`` maps
    ``(..., N, N) -> A^{-T}`` and is recorded, so second derivatives are right.
    """

    @tf.custom_gradient
    def slogdet_(x):
        sign, logabs = tf.linalg.slogdet(x)
        logabs = tf.math.real(logabs)  # TF types it complex for complex input (imaginary part 0)

        def grad(g_sign, g_logabs):
            sign_live = live(sign, x, lambda y: slogdet_(y)[0])
            w = tf.cast(log_cotangent(sign_live, g_sign, g_logabs), x.dtype)
            return w[..., None, None] * tf.math.conj(inverse_transpose(x))

        return (sign, logabs), grad

    def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(sign, log|det|): ``(..., N, N) -> ((...), (...))``."""
        if a.shape[-1] == 0:
            return empty_matrix_slogdet(a)
        refuse_forward_mode(a, name)
        return slogdet_(a)

    return slogdet


slogdet = make_slogdet(_inverse_transpose)


def det(a: tf.Tensor) -> tf.Tensor:
    """det = sign · exp(log|det|): ``(..., N, N) -> (...)``."""
    if a.shape[-1] == 0:
        return empty_matrix_det(a)
    sign, logabs = slogdet(a)  # refuses graph forward mode
    return sign * tf.cast(tf.exp(logabs), a.dtype)
