"""TensorFlow helpers shared by the numerical tests (imported only by tests that already need TF)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from detgrad.api import in_mode, value_and_gradient

__all__ = ["in_mode", "det_and_gradient", "graph_value_gradient_hvp"]


def det_and_gradient(a: np.ndarray, mode: str, method: str | None = None, cotangent=None) -> tuple[np.ndarray, np.ndarray]:
    """det(A) and d<cotangent, det A>/dA (cotangent 1 when None) through ``detgrad.det``, as numpy arrays."""
    d, g = value_and_gradient(method, "det", mode, cotangent=cotangent)(tf.constant(a))
    return d.numpy(), g.numpy()


def graph_value_gradient_hvp(scalar_fn):
    """A ``tf.function(x, v) -> (f(x), df/dx, d<df/dx, v>/dx)``: reverse over reverse by nested tapes in one graph.

    ``scalar_fn`` maps the watched input to the value (summed by the inner tape's gradient).
    """

    @tf.function
    def run(x, v):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                value = scalar_fn(x)
            grad = inner.gradient(value, x)
        return value, grad, outer.gradient(grad, x, output_gradients=v)

    return run
