"""The ``"builtin_logdet"`` method: ``tf.linalg.logdet`` as TF ships it (the positive-definite baseline).

``tf.linalg.logdet(A) = 2 · sum log diag(cholesky(A))``, differentiated by TF's registered
Cholesky gradient (which symmetrizes), so the backward pass solves with the factor the forward
pass made.  Under XLA on CPU its Cholesky is slow.  Kept unchanged so its cost shows.
"""

from __future__ import annotations

import tensorflow as tf


def logdet(a: tf.Tensor) -> tf.Tensor:
    """``tf.linalg.logdet(a)``: ``(..., N, N) -> (...)``, real-typed (TF's is complex for complex input)."""
    return tf.math.real(tf.linalg.logdet(a))
