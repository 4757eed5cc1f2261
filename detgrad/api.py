"""Public entry points: :func:`det`, :func:`slogdet` and :func:`logdet`; and :func:`value_and_gradient`, the one builder of the
value + gradient computation that the sweep, the conformance check and ``detgrad probe`` time and check."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from detgrad.catalog import PD_TARGET
from detgrad.errors import DetgradError
from detgrad.impls.base import TF_HIDES_NONFINITE_INPUT, as_square_matrices, nan_where_input_nonfinite
from detgrad.impls.registry import get_method
from detgrad.impls.tf_internals.mode import execution_mode

BASELINES = ("builtin", "builtin_logdet")  # TF's own, returned unchanged


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
    x = as_square_matrices(a, impl, "det")
    if TF_HIDES_NONFINITE_INPUT and impl.name not in BASELINES:
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
    x = as_square_matrices(a, impl, "logdet")
    if TF_HIDES_NONFINITE_INPUT and impl.name not in BASELINES:
        return nan_where_input_nonfinite(x, *impl.slogdet(x))
    return impl.slogdet(x)


def logdet(a, method: str | None = None) -> tf.Tensor:
    """log det of a batch of Hermitian positive-definite matrices (the contract of ``tf.linalg.logdet``).

    Args:
        a: ``(..., N, N)`` float32, float64, complex64 or complex128, Hermitian positive definite;
            only its lower triangle is read by the Cholesky methods.
        method: ``None`` (the default ``"auto"``: ``cholesky`` in eager mode and in a graph,
            ``blockchol`` under XLA), one of the Cholesky family (``cholesky``, ``blockchol``,
            ``builtin_logdet``) or any general method of :data:`detgrad.METHODS` (its log|det|, for comparison).

    Returns:
        ``(...)`` real tensor.  Gradient ``g · A^{-1}`` (Hermitian; TF's convention for complex input),
        differentiable again by every TF autodiff API.

    Raises:
        DetgradError: in eager mode, a member that is not positive definite (the message names it);
            also bad shapes or dtypes as :func:`det`.  In a ``tf.function`` and under XLA nothing can
            raise: such a member's log det is NaN, the other members are unaffected.  The general
            methods check only that det > 0 (a matrix with det > 0 that is not positive definite gets its
            log|det|); the Cholesky family checks definiteness.
        UnsupportedError: the method does not handle this dtype or size.

    Example:
        >>> detgrad.logdet(tf.constant([[2.0, 1.0], [1.0, 2.0]]))  # log 3 = 1.0986
    """
    impl = get_method(method)
    x = as_square_matrices(a, impl, PD_TARGET)
    value = impl.logdet(x)
    if TF_HIDES_NONFINITE_INPUT and impl.name not in BASELINES:
        value = nan_where_input_nonfinite(x, value)[0]
    if execution_mode() == "eager":
        _raise_if_not_positive_definite(x, value, impl.family in ("chol", "dispatch"))  # auto: the Cholesky family
    return value


def _raise_if_not_positive_definite(a: tf.Tensor, value: tf.Tensor, checks_definiteness: bool) -> None:
    """Eager mode: a DetgradError naming the members whose log det is NaN although their entries are finite."""
    failed = np.isnan(value.numpy())
    if not failed.any():
        return
    finite_input = np.all(np.isfinite(a.numpy()), axis=(-2, -1))
    members = np.argwhere(failed & finite_input)
    if not len(members):
        return  # NaN in, NaN out
    shown = ", ".join(str(tuple(int(i) for i in m)) if m.size != 1 else str(int(m[0])) for m in members[:5])
    more = f" and {len(members) - 5} more" if len(members) > 5 else ""
    where = "the matrix is" if value.shape.rank == 0 else f"batch member(s) {shown}{more} are"
    why = "its Cholesky factorization failed" if checks_definiteness else "its det is <= 0"
    raise DetgradError(
        f"logdet needs Hermitian positive-definite matrices, but {where} not ({why}); for general matrices use detgrad.slogdet"
    )


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
    (real) and the gradient of ``sum v``, ``A^{-H}``; ``target="pd_logdet"``: ``v = log det A`` of a
    Hermitian positive-definite A (:func:`logdet`) and the gradient of ``sum v``, ``A^{-1}``.  The
    gradient has A's shape ``(..., n, n)`` (TF's complex-gradient convention).

    Args:
        method: a name in :data:`detgrad.METHODS` (None: the default).
        target: ``"det"``, ``"logdet"`` or ``"pd_logdet"``.
        mode: ``"eager"``, ``"graph"`` or ``"xla"`` (see :func:`in_mode`).
        cotangent: the upstream gradient of ``v`` (det only); None: ones.
        validate: go through :func:`det` / :func:`slogdet` (input checks, as users call them); False
            calls the method directly on an already valid ``(..., n, n)`` tensor (the sweep's timed call).
    """
    impl = get_method(method)
    if validate:
        det_fn, slogdet_fn = (lambda x: det(x, method=impl.name)), (lambda x: slogdet(x, method=impl.name))
        logdet_fn = lambda x: logdet(x, method=impl.name)  # noqa: E731
    else:
        det_fn, slogdet_fn, logdet_fn = impl.det, impl.slogdet, impl.logdet

    def run(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(a)
            if target == "det":
                value = det_fn(a)
                loss = None if cotangent is not None else tf.reduce_sum(tf.math.real(value))
            elif target == PD_TARGET:
                value = logdet_fn(a)
                loss = tf.reduce_sum(value)
            else:
                _, value = slogdet_fn(a)
                loss = tf.reduce_sum(value)
        if loss is None:
            return value, tape.gradient(value, a, output_gradients=cotangent)
        return value, tape.gradient(loss, a)

    return in_mode(run, mode)
