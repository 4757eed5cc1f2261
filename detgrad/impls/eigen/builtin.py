"""The ``"builtin"`` method: ``tf.linalg.det`` / ``tf.linalg.slogdet`` as TF ships them.

This is the baseline.  Its registered gradient g·det(A)·inv(A)^H misses
the conjugate of det for complex input (TF issue 49946), raises on singular
input, refactors the matrix in the backward pass, ignores the phase of a
complex slogdet sign, and has no XLA kernel in TF 2.21.  Kept unchanged so
those failures show.
"""

from __future__ import annotations

import tensorflow as tf


def det(a: tf.Tensor) -> tf.Tensor:
    """``tf.linalg.det(a)``: ``(..., N, N) -> (...)``."""
    return tf.linalg.det(a)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """``tf.linalg.slogdet(a)``: ``(..., N, N) -> (sign (...), logabsdet (...))``, logabsdet real-typed.

    TF types logabsdet complex for complex input (imaginary part 0); taking the real part
    leaves TF's registered gradient as it is.
    """
    sign, logabs = tf.linalg.slogdet(a)
    return sign, tf.math.real(logabs)
