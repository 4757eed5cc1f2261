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
from detgrad.impls.eigen.logdomain import make_slogdet
from detgrad.impls.live import live
from detgrad.impls.tf_internals.mode import refuse_forward_mode


@tf.custom_gradient
def _det(x):
    value = tf.linalg.det(x)

    def grad(g):
        value_live = live(value, x, _det)
        scaled = g * tf.math.conj(value_live)
        return scaled[..., None, None] * tf.linalg.adjoint(tf.linalg.inv(x))

    return value, grad


def det(a: tf.Tensor) -> tf.Tensor:
    """det with the Jacobi-formula gradient: ``(..., N, N) -> (...)``."""
    if a.shape[-1] == 0:
        return empty_matrix_det(a)
    refuse_forward_mode(a, "inverse")
    return _det(a)


slogdet = make_slogdet(lambda x: tf.linalg.matrix_transpose(tf.linalg.inv(x)), name="inverse")
slogdet.__doc__ = """(sign, log|det|) with gradient ``w · A^{-H}`` via ``tf.linalg.inv``."""
