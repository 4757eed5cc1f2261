"""TensorFlow helpers shared by the numerical tests (imported only by tests that already need TF)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from detgrad.api import in_mode, value_and_gradient

__all__ = ["in_mode", "det_and_gradient"]


def det_and_gradient(a: np.ndarray, mode: str, method: str | None = None, cotangent=None) -> tuple[np.ndarray, np.ndarray]:
    """det(A) and d<cotangent, det A>/dA (cotangent 1 when None) through ``detgrad.det``, as numpy arrays."""
    d, g = value_and_gradient(method, "det", mode, cotangent=cotangent)(tf.constant(a))
    return d.numpy(), g.numpy()
