"""Gradient plumbing shared by the custom-gradient methods.

``tf.custom_gradient`` runs its forward function with tape recording off, so
tensors cached in the forward pass (LU factors, det) are constants to an
outer tape.  A backward pass built only from them would give wrong second
derivatives.  :func:`live` fixes that without paying for the factorization
twice at first order: it returns the cached value, and only when an outer
tape asks for *its* gradient does it recompute the value from the input
under a tape and differentiate that.

Forward mode (``tf.autodiff.ForwardAccumulator``) ignores custom gradients
and differentiates the forward ops, which here are plain differentiable TF
ops, so cached values carry correct tangents there too.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def live(value: tf.Tensor, x: tf.Tensor, recompute: Callable[[tf.Tensor], tf.Tensor]) -> tf.Tensor:
    """Return ``value`` (== ``recompute(x)``) with the gradient of ``recompute`` at ``x``."""

    @tf.custom_gradient
    def attach(x_):
        def grad(upstream):
            with tf.GradientTape() as tape:
                tape.watch(x_)
                again = recompute(x_)
            return tape.gradient(again, x_, output_gradients=upstream)

        return tf.identity(value), grad

    return attach(x)


def has_tangent(x: tf.Tensor) -> bool:
    """Whether a ``tf.autodiff.ForwardAccumulator`` tracks ``x`` right now (eager, or while tracing a graph).

    Uses TF's private ``pywrap_tfe.TFE_Py_PackJVPs``; if that is gone, answers False.
    """
    try:
        from tensorflow.python import pywrap_tfe

        return bool(pywrap_tfe.TFE_Py_PackJVPs([x])[1])
    except (ImportError, AttributeError):  # private API gone: keep the fast path
        return False


def log_cotangent(sign: tf.Tensor, g_sign: tf.Tensor | None, g_logabs: tf.Tensor | None) -> tf.Tensor:
    """Cotangent w of the complex log-determinant h = log|det| + i·arg(det).

    With TF's convention (cotangent = ∂L/∂Re + i ∂L/∂Im) the loss depends on
    h through logabsdet = Re h and on the sign s = exp(i·Im h); since
    ds = i·s·dθ, ∂L/∂θ = Im(g_sign · conj(s)).  Then w = g_logabs + i·∂L/∂θ
    and the input gradient is w · A^{-H}.  For real input the sign is
    piecewise constant and w = g_logabs.  Shapes: all ``(B,)``.
    """
    real_dtype = sign.dtype.real_dtype
    if g_logabs is None:
        g_logabs = tf.zeros_like(tf.math.real(sign))
    g_logabs = tf.cast(g_logabs, real_dtype)
    if not sign.dtype.is_complex:
        return g_logabs
    if g_sign is None:
        g_phase = tf.zeros_like(g_logabs)
    else:
        g_phase = tf.math.imag(g_sign * tf.math.conj(sign))
    return tf.complex(g_logabs, g_phase)
