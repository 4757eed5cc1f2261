"""Public entry points: :func:`det` and :func:`slogdet`."""

from __future__ import annotations

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
