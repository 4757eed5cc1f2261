"""Public entry points: :func:`det` and :func:`slogdet`; and :func:`value_and_gradient`, the one builder of the
value + gradient computation that the sweep, the conformance check and ``detgrad probe`` time and check."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from detgrad.impls.base import TF_HIDES_NONFINITE_INPUT, as_square_matrices, nan_where_input_nonfinite
from detgrad.impls.registry import get_method


def det(a, method: str | None = None) -> tf.Tensor:
    """Determinant of a batch of square matrices, differentiable to second order.

    Args:
        a: ``(..., N, N)`` float32, float64, complex64 or complex128.
        method: one of :data:`detgrad.METHODS`; ``None`` is the default
            (``"auto"``: picks by size, batch and execution mode the fastest method
            that is right at singular matrices and compiles under XLA).

    Returns:
        ``(...)`` tensor of determinants.  Its gradient is
        ``g · conj(adj(A)^T)`` (TF's complex convention).

    Raises:
        DetgradError: not a ``(..., N, N)`` float/complex input, unknown method.
        UnsupportedError: the method does not handle this dtype or size.

    Example:
        >>> detgrad.det(tf.constant([[1.0, 2.0], [3.0, 4.0]]))  # -2.0
    """
    impl = get_method(method)
    x = as_square_matrices(a, impl)
    if TF_HIDES_NONFINITE_INPUT and impl.name != "builtin":
        return nan_where_input_nonfinite(x, impl.det(x))[0]
    return impl.det(x)


def slogdet(a, method: str | None = None) -> tuple[tf.Tensor, tf.Tensor]:
    """Sign and log|det| of a batch of square matrices, differentiable.

    Args:
        a: ``(..., N, N)`` float32, float64, complex64 or complex128.
        method: one of :data:`detgrad.METHODS`; ``None`` is the default.

    Returns:
        ``(sign, logabsdet)``, each ``(...)``; ``sign`` has the dtype of
        ``a`` (a unit complex number for complex input, 0 when singular),
        ``logabsdet`` the real dtype.  Gradients: ``w · A^{-H}`` with
        ``w = g_logabsdet + i·Im(g_sign·conj(sign))``, so the phase of a
        complex sign is differentiable.
    """
    impl = get_method(method)
    x = as_square_matrices(a, impl)
    if TF_HIDES_NONFINITE_INPUT and impl.name != "builtin":
        return nan_where_input_nonfinite(x, *impl.slogdet(x))
    return impl.slogdet(x)


def in_mode(fn: Callable, mode: str) -> Callable:
    """``fn`` run eagerly (``"eager"``), as a ``tf.function`` (``"graph"``) or XLA-compiled (``"xla"``)."""
    if mode == "eager":
        return fn
    return tf.function(fn, jit_compile=(mode == "xla"), reduce_retracing=False)


def value_and_gradient(
    method: str | None = None,
    target: str = "det",
    mode: str = "eager",
    *,
    cotangent: tf.Tensor | None = None,
    validate: bool = True,
) -> Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]:
    """``a -> (v, dL/dA)`` for one method, target and mode: what the sweep times and the checks compare.

    ``target="det"``: ``v = det(A)`` ``(...)`` and the gradient ``g·conj(cof A)`` with upstream ``g =
    cotangent`` (ones when None: the gradient of ``sum Re v``); ``target="logdet"``: ``v = log|det A|``
    (real) and the gradient of ``sum v``, ``A^{-H}``.  The gradient has A's shape ``(..., n, n)``
    (TF's complex-gradient convention).

    Args:
        method: a name in :data:`detgrad.METHODS` (None: the default).
        target: ``"det"`` or ``"logdet"``.
        mode: ``"eager"``, ``"graph"`` or ``"xla"`` (see :func:`in_mode`).
        cotangent: the upstream gradient of ``v`` (det only); None: ones.
        validate: go through :func:`det` / :func:`slogdet` (input checks, as users call them); False
            calls the method directly on an already valid ``(..., n, n)`` tensor (the sweep's timed call).
    """
    impl = get_method(method)
    if validate:
        det_fn, slogdet_fn = (lambda x: det(x, method=impl.name)), (lambda x: slogdet(x, method=impl.name))
    else:
        det_fn, slogdet_fn = impl.det, impl.slogdet

    def run(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(a)
            if target == "det":
                value = det_fn(a)
                loss = None if cotangent is not None else tf.reduce_sum(tf.math.real(value))
            else:
                _, value = slogdet_fn(a)
                loss = tf.reduce_sum(value)
        if loss is None:
            return value, tape.gradient(value, a, output_gradients=cotangent)
        return value, tape.gradient(loss, a)

    return in_mode(run, mode)
