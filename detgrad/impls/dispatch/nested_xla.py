"""Graph mode: value and gradient as one nested XLA kernel (``blocklu``; for n <= 3 a polynomial).

:mod:`~detgrad.impls.dispatch.auto` uses it where its table says so: one large matrix, batches of small
ones (n = 4-8), and n <= 3 (the ratios that set each row are next to it there).

Why: in a plain graph TF's own gradient runs its MatrixDeterminant (forward) and
MatrixInverse (backward) kernels side by side, one core each, and the inverse (2n³ flops)
sets the time.  :mod:`~detgrad.impls.eigen.guarded` must wait for det before it may call the
inverse (its guard), so for one large matrix it takes det + inverse = 2.7n³ in a row: 1.35-1.4x
the builtin at n = 1024-2048.  With a batch, Eigen's kernels already keep both cores busy and
guarded matches the builtin (1024 x 4 float64: 1.01).

What: when a tape watches the input, one ``tf.function(jit_compile=True)`` call inside the
graph computes det (or slogdet) and its gradient at cotangent 1 by :mod:`~detgrad.impls.tf_lu.blocklu`,
the partial-pivoting blocked LU whose ``tf.matmul`` updates XLA runs on every core; blocklu is
right at every conformance case under XLA (singular input included: an early zero pivot takes
the complete-pivoting branch).  The custom gradient scales that gradient by the cotangent.
Without a tape (a value-only call, or forward mode) this module is :mod:`~detgrad.impls.eigen.guarded`:
one MatrixDeterminant op.  Compile time, once per shape: 3.5-3.8 s at n = 512-1024.

For n <= 3 the inner method is a polynomial: one XLA kernel and a few ops around it replace the
34-82 graph ops of tiny's value and gradient, which is what a small call costs in a graph (the
ratios are in :mod:`~detgrad.impls.dispatch.auto`'s table).  At n = 2 it is :mod:`~detgrad.impls.poly.tiny`;
at n = 3 :mod:`~detgrad.impls.poly.closed`, the same cofactor expansion, whose per-entry slices XLA
compiles into a faster loop than tiny's flat (B, 9) layout and its transposes (t / t(builtin),
graph, float32/float64, closed inside against tiny inside: 3x1 1.02/1.04 vs 1.03/1.03, 3x16
0.98/0.97 vs 1.38/1.39, 3x256 0.72/0.61 vs 0.87/0.88, 3x4096 0.17/0.18 vs 0.22/0.26).

Second order: reverse over reverse recomputes the gradient under the outer tape with the inner
method in the graph (:func:`detgrad.impls.live.live`); only then is it paid for.

Where it pays (``detgrad probe`` runs cited in :mod:`.auto`'s table): one matrix at n = 512,
where it is 0.90-1.12x the builtin against guarded's 0.87-0.99x; from n = 576 to 2048 blocklu's
matmul panels lose to Eigen's kernels (0.32-0.91x against guarded's 0.67-1.14x), so ``auto`` keeps
guarded there.  The same serialization costs guarded 0.5-0.6x the builtin for batches of 4 x 4 to
8 x 8 matrices from batch 256, where blocklu's unrolled elimination, compiled, is 0.8-1.8x.
"""

from __future__ import annotations

import functools

import tensorflow as tf

from detgrad.impls.chol import blocked, cholesky
from detgrad.impls.eigen import guarded
from detgrad.impls.live import live, log_cotangent
from detgrad.impls.poly import closed, tiny
from detgrad.impls.tf_internals.mode import backprop_recording, forward_mode_active
from detgrad.impls.tf_lu import blocklu


def _det_and_gradient(x: tf.Tensor, inner) -> tuple[tf.Tensor, tf.Tensor]:
    """(det, d det / dA at cotangent 1) by ``inner``: ``(...)`` and conj(adj(A)^T) ``(..., N, N)``."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = inner.det(x)
    return value, tape.gradient(value, x)


def _slogdet_and_gradient(x: tf.Tensor, inner) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """(sign, log|det|, d log|det| / dA at cotangent 1 = A^{-H}) by ``inner``."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        sign, log_abs = inner.slogdet(x)
    return sign, log_abs, tape.gradient(log_abs, x)


@functools.cache
def _compiled(inner):
    """The nested XLA kernels of one inner method: (det, gradient) and (sign, log|det|, gradient)."""

    def kernel(fn):
        return tf.function(lambda x: fn(x, inner), jit_compile=True, autograph=False)

    return kernel(_det_and_gradient), kernel(_slogdet_and_gradient)


def _det_taped(x, inner):
    @tf.custom_gradient
    def taped(x):
        value, gradient_at_one = _compiled(inner)[0](tf.stop_gradient(x))  # see _logdet_taped

        def grad(g):
            return g[..., None, None] * live(gradient_at_one, x, lambda y: _det_and_gradient(y, inner)[1])

        return value, grad

    return taped(x)


def _slogdet_taped(x, inner):
    @tf.custom_gradient
    def taped(x):
        sign, log_abs, inv_h = _compiled(inner)[1](tf.stop_gradient(x))  # see _logdet_taped

        def grad(g_sign, g_log_abs):
            sign_now = live(sign, x, lambda y: inner.slogdet(y)[0]) if x.dtype.is_complex else sign
            w = tf.cast(log_cotangent(sign_now, g_sign, g_log_abs), x.dtype)
            return w[..., None, None] * live(inv_h, x, lambda y: _slogdet_and_gradient(y, inner)[2])

        return (sign, log_abs), grad

    return taped(x)


def _logdet_and_gradient(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(log det, d log det / dA at cotangent 1 = A^{-1}) of positive-definite ``x`` by :mod:`~detgrad.impls.chol.blocked`."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = blocked.logdet(x)
    return value, tape.gradient(value, x)


_compiled_logdet = tf.function(_logdet_and_gradient, jit_compile=True, autograph=False)


@tf.custom_gradient
def _logdet_taped(x):
    # stop_gradient: in a graph custom_gradient leaves the tapes on, and a call recorded by two of them (a Hessian)
    # gets a forward function exporting its while loops' accumulators, which cannot leave an XLA kernel
    value, inverse = _compiled_logdet(tf.stop_gradient(x))

    def grad(g):
        return tf.cast(g, x.dtype)[..., None, None] * live(inverse, x, lambda y: _logdet_and_gradient(y)[1])

    return value, grad


def _plain_tape(a: tf.Tensor) -> bool:
    """A tape records ``a`` and no forward-mode accumulator tracks it (guarded owns forward mode)."""
    return backprop_recording(a) and not forward_mode_active(a)


def _inner(n: int):
    """The method inside the nested kernel: closed at n = 3 (see the module docstring), tiny below."""
    if n == closed.MAX_N:
        return closed
    return tiny if n <= tiny.MAX_N else blocklu


def _untaped(n: int):
    """The method for calls no tape watches (value only, or forward mode): no XLA kernel at all."""
    return tiny if n <= tiny.MAX_N else guarded


def det(a: tf.Tensor) -> tf.Tensor:
    """det of a validated ``(..., N, N)`` tensor, shape ``(...)``; right at singular input."""
    n = a.shape[-1]
    if n == 0 or not _plain_tape(a):
        return _untaped(n).det(a)
    return _det_taped(a, _inner(n))


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) of a validated ``(..., N, N)`` tensor, each ``(...)``; gradient ``w·A^{-H}``."""
    n = a.shape[-1]
    if n == 0 or not _plain_tape(a):
        return _untaped(n).slogdet(a)
    return _slogdet_taped(a, _inner(n))


def logdet(a: tf.Tensor) -> tf.Tensor:
    """log det of a validated positive-definite ``(..., N, N)`` tensor, ``(...)`` real: blockchol's value and
    gradient as one XLA kernel when a tape watches ``a``, else :mod:`~detgrad.impls.chol.cholesky` (no kernel)."""
    if a.shape[-1] == 0 or not _plain_tape(a):
        return cholesky.logdet(a)
    return _logdet_taped(a)
