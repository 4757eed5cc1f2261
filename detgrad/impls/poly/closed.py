"""The ``"closed"`` method: explicit polynomials for n <= 3.

    n = 1: a
    n = 2: a00·a11 - a01·a10
    n = 3: cofactor expansion along the first row

det is a polynomial in the entries, so plain TF autodiff gives exact
derivatives of every order at any rank, in eager, graph, XLA and forward
mode.  log|det| = log(abs(det)); its gradient is inf/NaN at det = 0 (loud).
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.catalog import POLYNOMIAL_MAX_N
from detgrad.impls.base import empty_matrix_det, phase_and_log_abs

MAX_N = POLYNOMIAL_MAX_N


def det(a: tf.Tensor) -> tf.Tensor:
    """Closed-form det for ``(..., N, N)`` with N <= 3, shape ``(...)``."""
    n = a.shape[-1]
    if n == 0:
        return empty_matrix_det(a)
    if n == 1:
        return a[..., 0, 0]
    if n == 2:
        return a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]
    e = [[a[..., i, j] for j in range(3)] for i in range(3)]
    return (
        e[0][0] * (e[1][1] * e[2][2] - e[1][2] * e[2][1])
        - e[0][1] * (e[1][0] * e[2][2] - e[1][2] * e[2][0])
        + e[0][2] * (e[1][0] * e[2][1] - e[1][1] * e[2][0])
    )


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(det/|det|, log|det|) from the closed-form det; sign 0 at det = 0."""
    return phase_and_log_abs(det(a))
