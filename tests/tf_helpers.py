"""TensorFlow helpers shared by the numerical tests (imported only by tests that already need TF)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

import detgrad


def in_mode(fn: Callable, mode: str) -> Callable:
    """``fn`` as run in ``mode``: itself (eager), a ``tf.function`` (graph) or an XLA-compiled one (xla)."""
    return fn if mode == "eager" else tf.function(fn, jit_compile=mode == "xla")


def det_and_gradient(a: np.ndarray, mode: str, method: str | None = None, cotangent=None) -> tuple[np.ndarray, np.ndarray]:
    """det(A) and d<cotangent, det A>/dA (cotangent 1 when None) from ``detgrad.det``, as numpy arrays."""

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            d = detgrad.det(x, method=method)
        return d, tape.gradient(d, x, output_gradients=cotangent)

    d, g = in_mode(run, mode)(tf.constant(a))
    return d.numpy(), g.numpy()
