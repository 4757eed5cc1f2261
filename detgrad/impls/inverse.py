"""The ``"inverse"`` method: Jacobi's formula through an explicit inverse.

    d det(A)/dA = det(A) · A^{-T}   (holomorphic derivative)

so with TF's complex convention the input gradient is
``g · conj(det A) · A^{-H}`` (the conjugate TF 2.21 forgets).  The value
comes from ``tf.linalg.det``, the inverse from ``tf.linalg.inv``: two
factorizations, about 2/3·n³ + 2n³ flops.  Not singular-safe: the inverse
of a singular matrix raises (eager) or is inf/NaN (graph), which is loud.
No XLA kernel for ``MatrixDeterminant`` in TF 2.21.
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.impls.base import empty_matrix_det
from detgrad.impls.live import live, log_cotangent


@tf.custom_gradient
def _det(x):
    value = tf.linalg.det(x)

    def grad(g):
        value_live = live(value, x, _det)
        scaled = g * tf.math.conj(value_live)
        return scaled[..., None, None] * tf.linalg.adjoint(tf.linalg.inv(x))

    return value, grad


@tf.custom_gradient
def _slogdet(x):
    sign, logabs = tf.linalg.slogdet(x)

    def grad(g_sign, g_logabs):
        sign_live = live(sign, x, lambda y: _slogdet(y)[0])
        w = tf.cast(log_cotangent(sign_live, g_sign, g_logabs), x.dtype)
        return w[..., None, None] * tf.linalg.adjoint(tf.linalg.inv(x))

    return (sign, logabs), grad


def det(a: tf.Tensor) -> tf.Tensor:
    """det with the Jacobi-formula gradient: ``(..., N, N) -> (...)``."""
    if a.shape[-1] == 0:
        return empty_matrix_det(a)
    return _det(a)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) with gradient ``w · A^{-H}`` via ``tf.linalg.inv``."""
    if a.shape[-1] == 0:
        one = empty_matrix_det(a)
        return one, tf.math.log(tf.abs(one))
    return _slogdet(a)
