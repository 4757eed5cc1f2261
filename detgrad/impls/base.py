"""What every determinant method is: a self-describing record plus input checks.

A :class:`Method` bundles the two entry points (``det`` and ``slogdet``)
with the facts that tables and docs are generated from: supported dtypes,
whether the gradient is right at singular matrices, whether it compiles
under XLA, the largest n it supports and its flop count as a function of n.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from detgrad.catalog import ALL_DTYPES, PD_TARGET, TARGETS, MethodFacts
from detgrad.errors import DetgradError, UnsupportedError
from detgrad.impls.tf_internals.mode import execution_mode

DetFn = Callable[[tf.Tensor], tf.Tensor]
SlogdetFn = Callable[[tf.Tensor], "tuple[tf.Tensor, tf.Tensor]"]
LogdetFn = Callable[[tf.Tensor], tf.Tensor]


@dataclass(frozen=True)
class Method:
    """One way to compute det(A), log|det A|, log det of a positive-definite A, and their gradients.

    Attributes:
        name: registry key, e.g. ``"lu"``.
        family: the ``detgrad.impls`` subpackage that implements it.
        summary: one line for tables and docs.
        det: ``(..., N, N) -> (...)`` differentiable determinant (None: a positive-definite-only method).
        slogdet: ``(..., N, N) -> (sign (...), logabsdet (...))``; sign has the input's dtype,
            logabsdet the real dtype (also for complex input); None like ``det``.
        logdet: ``(..., N, N) -> (...)`` real log det of Hermitian positive-definite input, NaN for a
            member that is not (see :func:`logdet_from_slogdet` for the general methods).
        dtypes: dtype names the method accepts.
        singular_safe: the gradient is right at exactly singular input.
        xla: usable inside ``tf.function(jit_compile=True)``.
        xla_reason: why not, when ``xla`` is False.
        max_n: largest supported matrix size, ``None`` for no limit.
        flops: value + gradient flop count for one real n x n matrix.
        shares_factorization: the backward pass reuses the forward factors.
        targets: what it computes (``detgrad.catalog.TARGETS``).
    """

    name: str
    summary: str
    det: DetFn | None
    slogdet: SlogdetFn | None
    dtypes: tuple[str, ...]
    singular_safe: bool
    xla: bool
    flops: Callable[[int], float]
    xla_reason: str = ""
    max_n: int | None = None
    shares_factorization: bool = False
    family: str = ""
    logdet: LogdetFn | None = None
    targets: tuple[str, ...] = TARGETS

    @classmethod
    def from_facts(
        cls, facts: MethodFacts, det: DetFn | None, slogdet: SlogdetFn | None, logdet: LogdetFn | None = None
    ) -> Method:
        """The method of catalog entry ``facts`` implemented by ``det``, ``slogdet`` and ``logdet``
        (None: :func:`logdet_from_slogdet` of ``slogdet``)."""
        code = ("det", "slogdet", "logdet")
        shared = {f.name: getattr(facts, f.name) for f in dataclasses.fields(cls) if f.name not in code}
        if logdet is None and slogdet is not None:
            logdet = logdet_from_slogdet(slogdet)
        return cls(det=det, slogdet=slogdet, logdet=logdet, **shared)

    def support_problem(self, n: int, dtype: str, mode: str = "eager", target: str = "det") -> str | None:
        """Return why this method cannot run the case (``target``: see :data:`detgrad.catalog.TARGETS`), or ``None``."""
        if target not in self.targets:
            return (
                f"method {self.name!r} computes only the log det of Hermitian positive-definite matrices "
                f"(detgrad.logdet, target {PD_TARGET}), not {target}"
            )
        if dtype not in self.dtypes:
            return f"method {self.name!r} does not support dtype {dtype}; supported: {', '.join(self.dtypes)}"
        if self.max_n is not None and n > self.max_n:
            return f"method {self.name!r} supports n <= {self.max_n}, got n = {n}"
        if mode == "xla" and not self.xla:
            return f"method {self.name!r} cannot run under XLA: {self.xla_reason}"
        return None


def logdet_from_slogdet(slogdet: SlogdetFn) -> LogdetFn:
    """A general method's log det of positive-definite input: its log|det|, NaN where det <= 0.

    det > 0 does not prove positive definiteness (diag(-1, -1) has det 1): these methods check
    only the sign; the Cholesky family checks definiteness itself.
    """

    def logdet(a: tf.Tensor) -> tf.Tensor:
        sign, logabs = slogdet(a)
        positive = tf.math.real(tf.stop_gradient(sign)) > 0
        return tf.where(positive, logabs, tf.cast(float("nan"), logabs.dtype))

    return logdet


def as_square_matrices(a, method: Method, target: str = "det") -> tf.Tensor:
    """Convert ``a`` to a tensor and check it is a batch of square matrices.

    Raises:
        DetgradError: rank < 2, non-square, unknown size, integer/bool dtype.
        UnsupportedError: a float dtype the method does not handle, n too big, or XLA (traced
            inside ``tf.function(jit_compile=True)``) for a method without an XLA kernel.
    """
    if not isinstance(a, (tf.Tensor, tf.Variable)):
        try:
            a = tf.convert_to_tensor(a)
        except (TypeError, ValueError) as exc:
            raise DetgradError(f"input is not convertible to a tensor ({exc}); pass a (..., N, N) array") from None
    else:
        a = tf.convert_to_tensor(a)
    shape = a.shape
    if shape.rank is None:
        raise DetgradError("input rank is unknown while tracing; give the tf.function an input_signature with a known rank")
    if shape.rank < 2:
        raise DetgradError(f"input must have rank >= 2 with shape (..., N, N), got shape {tuple(shape)}")
    rows, cols = shape[-2], shape[-1]
    if rows is None or cols is None:
        raise DetgradError(
            f"the matrix size must be known while tracing, got shape {shape}; fix the last two dims in the input_signature"
        )
    if rows != cols:
        raise DetgradError(f"input must be square (..., N, N), got shape {tuple(shape)}")
    dtype = a.dtype.name
    if a.dtype.is_integer or a.dtype.is_bool:
        raise DetgradError(f"input dtype {dtype} is not differentiable; cast to one of {', '.join(ALL_DTYPES)}")
    problem = method.support_problem(rows, dtype, execution_mode(), target)
    if problem:
        raise UnsupportedError(problem)
    return a


def flatten_batch(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Reshape ``(..., N, N)`` to ``(B, N, N)``; also return the batch shape."""
    n = a.shape[-1]
    return tf.reshape(a, [-1, n, n]), tf.shape(a)[:-2]


def empty_matrix_det(a: tf.Tensor) -> tf.Tensor:
    """det of ``(..., 0, 0)`` matrices is 1; kept connected so gradients are zeros."""
    return tf.ones(tf.shape(a)[:-2], dtype=a.dtype) + tf.reduce_sum(a, axis=[-2, -1])


def empty_matrix_slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign 1, log|det| 0) of ``(..., 0, 0)`` matrices, connected like :func:`empty_matrix_det`."""
    one = empty_matrix_det(a)
    return one, tf.math.log(tf.abs(one))


def det_over_batch(a: tf.Tensor, det_flat: Callable[[tf.Tensor], tf.Tensor]) -> tf.Tensor:
    """Apply a ``(B, N, N) -> (B,)`` det to ``(..., N, N)``; 0 x 0 matrices give 1."""
    if a.shape[-1] == 0:
        return empty_matrix_det(a)
    flat, batch_shape = flatten_batch(a)
    return tf.reshape(det_flat(flat), batch_shape)


def slogdet_over_batch(a: tf.Tensor, slogdet_flat: Callable) -> tuple[tf.Tensor, tf.Tensor]:
    """Apply a ``(B, N, N) -> ((B,), (B,))`` slogdet to ``(..., N, N)``; 0 x 0 gives (1, 0)."""
    if a.shape[-1] == 0:
        return empty_matrix_slogdet(a)
    flat, batch_shape = flatten_batch(a)
    sign, logabs = slogdet_flat(flat)
    return tf.reshape(sign, batch_shape), tf.reshape(logabs, batch_shape)


def phase_and_log_abs(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Elementwise (x/|x|, log|x|), same shape as ``x``; phase 0 and -inf where x = 0.

    The division goes through a safe magnitude, so gradients stay finite at x = 0.  Applied to
    a determinant it is its slogdet; applied to LU pivots, the product and sum over the last
    axis give the slogdet.
    """
    magnitude = tf.abs(x)
    safe = tf.where(magnitude == 0, tf.ones_like(magnitude), magnitude)
    phase = tf.where(magnitude == 0, tf.zeros_like(x), x / tf.cast(safe, x.dtype))
    return phase, tf.math.log(magnitude)


# TF 2.16's det and slogdet take a NaN pivot for a zero one: a matrix with a NaN or inf entry gets
# det 0 and slogdet (0, -inf), silently finite (TF 2.17 and later return NaN; found by
# tests/test_properties.py under tox -e oldest).  Only there, the API makes such members NaN again
# for every method but builtin (TF unchanged, the baseline).
TF_HIDES_NONFINITE_INPUT = tuple(int(p) for p in tf.__version__.split(".")[:2]) < (2, 17)


def nan_where_input_nonfinite(a: tf.Tensor, *outputs: tf.Tensor) -> tuple[tf.Tensor, ...]:
    """``outputs`` (each of shape ``a.shape[:-2]``) with NaN for the members of ``a`` holding a NaN or inf entry."""
    # a mask, not a function of a: without stop_gradient nested ForwardAccumulators in a graph fail on TF 2.16
    bad = tf.logical_not(tf.reduce_all(tf.math.is_finite(tf.math.abs(tf.stop_gradient(a))), axis=[-2, -1]))
    return tuple(tf.where(bad, tf.cast(float("nan"), out.dtype), out) for out in outputs)
