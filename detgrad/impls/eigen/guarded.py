"""The ``"guarded"`` method: TF's Eigen kernels for value and gradient, kept away from singular input.

Value: ``tf.linalg.det`` (one Eigen partial-pivoting LU; TF computes it as sign·exp(log|det|), so
a pivot product that leaves the float range is no problem).  Eigen's det is exactly 0 when that
LU meets an exact zero pivot, and that is the only case in which ``tf.linalg.inv`` of the same
matrix (the same LU, bit for bit) raises "Input is not invertible".

Gradient (Jacobi, TF's complex convention): for ``(..., N, N)`` input and cotangent g ``(...)``

    d det/dA = det(A)·A^{-T}              (holomorphic derivative)
    grad     = g·conj(det A)·A^{-H}       = (g·conj(det))[..., None, None] * adjoint(A^{-1})

with A^{-1} from the very LU that ``tf.linalg.det`` computed (:mod:`detgrad.impls.eigen.det_lu_inverse`:
``inv`` for real n <= 16, where Eigen's kernels share det's pivots bit for bit; ``Lu`` and two
triangular solves otherwise), so that det's rounding cancels against the inverse's at a matrix
singular up to rounding.  TF's own gradient inverts A^H (``inv(A, adjoint=True)``), another LU
whose rounding does not cancel: it is wrong at a numerically singular matrix for that reason.
Flops: LU 2/3·n³ (det) + LU 2/3·n³ and solves 2·n³, the builtin's count.

The guard: a matrix whose det is not a finite non-zero number (0, NaN) never reaches ``inv``.
Such matrices (rare) take the masked path: ``inv`` of the batch with them replaced by I, and
their gradient from the rank-revealing complete-pivoting adjugate of :mod:`detgrad.impls.tf_lu.lu`
(rank n-1 right, rank <= n-2 exactly 0).  In eager mode a numpy check on det decides (no extra
TF op); in a graph a ``tf.cond`` on ``reduce_all(|det| > 0)``.  Op count, which is what eager
mode pays for (~5-30 µs per op): the forward is one MatrixDeterminant op recorded on the tape
directly (no ``tf.custom_gradient`` wrapping), the backward five raw ops (inverse, transpose,
two multiplies, a reshape), the builtin's count (four more where ``Lu`` and solves replace
``inv``).  In a graph the inverse of one large matrix runs as two half-solves on two cores
(:mod:`detgrad.impls.eigen.det_lu_inverse`): TF's own gradient overlaps det and inverse, the guard cannot.
TF's Transpose of a large (B, N, N) batch is slow
(4x an XLA transpose), so from :data:`XLA_TAIL_MIN_ELEMENTS` the scale-and-conj-transpose runs
as one small XLA kernel inside the graph.  The guard runs in the backward
pass only, so a value-only call is one ``MatrixDeterminant`` op.

Second order: when an outer tape or accumulator watches the gradient being built, the gradient
is that of :func:`detgrad.impls.tf_lu.lu.det_plain` (complete-pivoting elimination in plain ops), whose
derivatives are right to second order at every rank; the derivative of det·A^{-T} itself loses
everything to cancellation at a matrix singular up to rounding.  Forward mode: a graph's
``ForwardAccumulator`` differentiates the forward ops and ignores custom gradients, so whenever
an accumulator tracks A (any mode) the value is ``det_plain`` too (slower than Eigen, right: TF's
own slogdet derivative inverts A^H, an LU that does not share det's rounding).

Eigen only: no XLA kernel for MatrixDeterminant / MatrixInverse in TF 2.21 (``auto`` uses other
methods under XLA).

References: M. Giles, "An extended collection of matrix derivative results for forward and
reverse mode AD" (2008).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from detgrad.impls.base import empty_matrix_det, empty_matrix_slogdet, phase_and_log_abs
from detgrad.impls.eigen import det_lu_inverse
from detgrad.impls.live import live, log_cotangent
from detgrad.impls.tf_internals import raw_ops
from detgrad.impls.tf_internals.mode import backprop_recording, execution_mode, forward_mode_active, inside_vectorized_loop
from detgrad.impls.tf_lu.lu import cofactor_from_factors, det_plain
from detgrad.impls.tf_lu.lu_factor import lu_factor


def _regular(value: tf.Tensor) -> tf.Tensor:
    """|det| > 0 elementwise: False at 0 and NaN (the inputs ``inv`` may refuse)."""
    return tf.abs(value) > 0


def _all_regular_now(value: tf.Tensor) -> bool:
    """Eager guard: one host-side numpy check, no TF op."""
    return bool(np.all(np.abs(value.numpy()) > 0))


def _split(flat: tf.Tensor, ok: tf.Tensor, fast: Callable, slow: Callable, compact: bool = True) -> tf.Tensor:
    """``fast`` on the batch with the not-ok matrices replaced by I, ``slow`` on the not-ok ones.

    ``flat`` is ``(B, N, N)``, ``ok`` ``(B,)``; both functions map ``(K, N, N)`` to ``(K, ...)``.
    ``compact``: ``slow`` sees only the gathered not-ok matrices (cheap when they are few);
    otherwise the whole batch with the ok ones replaced by I (no gather/scatter, whose
    gradients a forward-mode accumulator cannot push tangents through).
    """
    eye = tf.eye(flat.shape[-1], batch_shape=[1], dtype=flat.dtype)
    fast_out = fast(tf.where(ok[:, None, None], flat, eye))
    ok_b = tf.reshape(ok, [-1] + [1] * (fast_out.shape.rank - 1))
    if not compact:
        return tf.where(ok_b, fast_out, slow(tf.where(ok[:, None, None], eye, flat)))
    merged = tf.where(ok_b, fast_out, tf.zeros_like(fast_out))
    bad = tf.cast(tf.where(~ok), tf.int32)  # (K, 1); int32: pfor cannot convert int64 scatter indices
    return tf.tensor_scatter_nd_update(merged, bad, slow(tf.gather_nd(flat, bad)))


def _adjoint_inverse(x: tf.Tensor) -> tf.Tensor:
    """A^{-H} from the LU that ``tf.linalg.det`` of A computes (see module docstring)."""
    return tf.linalg.adjoint(det_lu_inverse.inverse(x))


def _masked_cofactor_conj(x: tf.Tensor, det_now: tf.Tensor) -> tf.Tensor:
    """conj(adj(A)^T) for a batch with singular members, ``(..., N, N)``."""
    n = x.shape[-1]
    flat = tf.reshape(x, [-1, n, n])
    d = tf.reshape(det_now, [-1])
    ok = _regular(tf.stop_gradient(d))

    def fast(y):
        return tf.math.conj(tf.where(ok, d, tf.ones_like(d)))[:, None, None] * _adjoint_inverse(y)

    def slow(y):
        return tf.math.conj(cofactor_from_factors(lu_factor(y)))

    # one matrix (what tf.vectorized_map traces): no gather of the singular ones, whose tf.where
    # pfor turns into a loop that cannot stack an empty result
    compact = flat.shape[0] != 1
    return tf.reshape(_split(flat, ok, fast, slow, compact=compact), tf.shape(x))


@functools.lru_cache(maxsize=64)
def _int_constant(values: tuple[int, ...]) -> tf.Tensor:
    """A cached int32 eager constant: raw ops given Python lists leave TF's C fast path (~30 µs each).

    Created eagerly (``init_scope``) even when first asked for inside a graph (an eager tape's
    backward run by ``jacobian``'s pfor), so a later graph never sees another graph's tensor.
    """
    with tf.init_scope():
        return tf.constant(values, tf.int32)


def _eager_scaled_adjoint_inverse(x: tf.Tensor, scale: tf.Tensor) -> tf.Tensor:
    """scale·A^{-H} for a regular batch at first order, scale ``(...)``, in raw ops (eager pays ~5-20 µs per Python wrapper).

    Four ops where ``inv`` shares det's LU (real, n <= 16), eight otherwise (``Lu`` and two
    triangular solves: :mod:`detgrad.impls.eigen.det_lu_inverse`); not differentiable again.
    """
    rank = x.shape.rank
    perm = _int_constant((*range(rank - 2), rank - 1, rank - 2))
    inv = det_lu_inverse.inverse(x, differentiable=False)
    if x.dtype.is_complex:
        inv_h = raw_ops.conjugate_transpose(inv, perm)
    else:
        inv_h = raw_ops.transpose(inv, perm)
    return raw_ops.mul(raw_ops.reshape(scale, _int_constant((*x.shape[:-2], 1, 1))), inv_h)


def _eager_cotangent(x: tf.Tensor, g: tf.Tensor, det_now: tf.Tensor) -> tf.Tensor:
    """g·conj(det)·A^{-H} for a regular batch in five raw ops (nine without a shared ``inv``)."""
    if x.dtype.is_complex:
        det_now = raw_ops.conj(det_now)
    return _eager_scaled_adjoint_inverse(x, raw_ops.mul(g, det_now))


def _higher_order(x: tf.Tensor) -> bool:
    """An outer tape or accumulator will differentiate the gradient being built (second order)."""
    return backprop_recording(x) or forward_mode_active(x)


def _cofactor_conj_plain(x: tf.Tensor) -> tf.Tensor:
    """conj(adj(A)^T), ``(..., N, N)``, as the gradient of :func:`det_plain`: right to second order at every rank.

    The second derivative of det·A^{-T} (det·tr(A^{-1}dA)·A^{-T} - det·A^{-T}dA^T A^{-T}) is two
    terms of size 1/σ_min that cancel at a matrix singular up to rounding (measured: Hessian off by
    0.9 at an SVD-built rank n-1 6 x 6); det_plain's elimination has no such cancellation.
    """
    n = x.shape[-1]
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = det_plain(tf.reshape(x, [-1, n, n]))
    return tape.gradient(value, x)


def _det_eager_backward(x: tf.Tensor, value: tf.Tensor, g: tf.Tensor) -> tf.Tensor:
    if _higher_order(x):
        return g[..., None, None] * _cofactor_conj_plain(x)
    if _all_regular_now(value):
        return _eager_cotangent(x, g, value)
    return g[..., None, None] * _masked_cofactor_conj(x, value)


def _det_eager(x: tf.Tensor) -> tf.Tensor:
    """Eager det with the guarded gradient, recorded as one tape operation (what
    ``tf.custom_gradient`` does, without its identity op and Python wrapping)."""
    with raw_ops.stop_recording():
        value = raw_ops.matrix_determinant(x)
    raw_ops.record_operation("GuardedDet", [value], [x], lambda g: [_det_eager_backward(x, value, g)])
    return value


# B·N² from which the graph path fuses conj-transpose and scaling in one XLA kernel: TF's
# Transpose of a (B, N, N) batch is slow.  Measured in tf.functions, medians of 7 rounds, 2-core
# VM: (1024, 32, 32) float64 Transpose 5.1 ms, XLA transpose 1.35 ms, a multiply 1.0 ms (the
# builtin's whole value + gradient: ~14 ms); (4096, 8, 8): 0.33 ms vs 0.24 ms.
XLA_TAIL_MIN_ELEMENTS = 65536


# In a graph the singular branch of the guard's tf.cond is one function call that TF may not
# inline: inlined, its hundreds of ops (lu's factorization loop) sit dead in the graph and slow
# every call, singular or not.  ``raw_ops.NOINLINE`` is the attribute TF's own function inliner reads.
# Measured (tf.function, value + gradient, 32 x 1 float64, 11 interleaved rounds, t / t(builtin)):
# the branch inlined 1.13, as a non-inlined call 1.01, a trivial branch 1.04.
_masked_cofactor_conj_call = tf.function(_masked_cofactor_conj, autograph=False, experimental_attributes=raw_ops.NOINLINE)


@tf.function(jit_compile=True, autograph=False)
def _scaled_adjoint_xla(scale: tf.Tensor, inv: tf.Tensor) -> tf.Tensor:
    return scale[..., None, None] * tf.linalg.adjoint(inv)


def _scaled_adjoint(scale: tf.Tensor, inv: tf.Tensor) -> tf.Tensor:
    """``scale[..., None, None] * adjoint(inv)``: ``(...)``, ``(..., N, N)`` -> ``(..., N, N)``."""
    if inv.shape.is_fully_defined() and inv.shape.num_elements() >= XLA_TAIL_MIN_ELEMENTS:
        return _scaled_adjoint_xla(scale, inv)
    return scale[..., None, None] * tf.linalg.adjoint(inv)


def _det_fast_fn(x):
    """Graph det with the guarded gradient (``value, grad``), wrapped by :func:`tf.custom_gradient` below."""
    value = tf.linalg.det(x)

    def grad(g):
        if execution_mode() == "eager":
            return _det_eager_backward(x, value, g)
        if _higher_order(x):
            return g[..., None, None] * _cofactor_conj_plain(x)
        if inside_vectorized_loop():
            # tf.vectorized_map: no tf.cond, whose branch pfor cannot convert when no member takes it (TF 2.16:
            # "Tried to stack elements of an empty list"); both paths run, each member keeps its own (one matrix)
            return g[..., None, None] * _masked_cofactor_conj(x, value)
        return tf.cond(
            tf.reduce_all(_regular(value)),
            lambda: _scaled_adjoint(g * tf.math.conj(value), det_lu_inverse.inverse(x)),
            lambda: g[..., None, None] * _masked_cofactor_conj_call(x, value),
        )

    return value, grad


# tf.custom_gradient applied as a call, not as a decorator: the same function, and mutation testing
# (mutmut 3, docs/mutation-testing.md), which skips decorated functions, reaches the graph guard
_det_fast = tf.custom_gradient(_det_fast_fn)


def _forward_ok(flat: tf.Tensor) -> tf.Tensor:
    """(B,) bool: neither the LU of A nor that of A^H has a zero pivot (TF's slogdet gradient inverts A^H)."""
    sign, _ = tf.linalg.slogdet(tf.stop_gradient(flat))
    sign_h, _ = tf.linalg.slogdet(tf.linalg.adjoint(tf.stop_gradient(flat)))
    return (tf.abs(sign) > 0) & (tf.abs(sign_h) > 0)


def _det_forward_mode(x: tf.Tensor) -> tf.Tensor:
    """det from ops with right registered derivatives of every order (see module docstring)."""
    n = x.shape[-1]
    return tf.reshape(det_plain(tf.reshape(x, [-1, n, n])), tf.shape(x)[:-2])


def det(a: tf.Tensor) -> tf.Tensor:
    """det of a validated ``(..., N, N)`` tensor, shape ``(...)``; right at singular input."""
    if a.shape[-1] == 0:
        return empty_matrix_det(a)
    if forward_mode_active(a):
        return _det_forward_mode(a)
    if tf.executing_eagerly():
        return _det_eager(a)
    return _det_fast(a)


def _slogdet_cotangent(x: tf.Tensor, sign: tf.Tensor, g_sign, g_logabs) -> tf.Tensor:
    """w·A^{-H}, w the log-det cotangent (:func:`log_cotangent`); NaN for a singular matrix (loud)."""
    sign_now = live(sign, x, lambda y: _slogdet_fast(y)[0]) if x.dtype.is_complex else sign
    w = tf.cast(log_cotangent(sign_now, g_sign, g_logabs), x.dtype)
    ok = _regular(sign)
    if execution_mode() == "eager" and _all_regular_now(sign):
        inv_h = _adjoint_inverse(x)
    else:  # singular: log|det| = -inf, its gradient is infinite: NaN there (loud), never a raise
        eye = tf.eye(x.shape[-1], dtype=x.dtype)
        inv_h = _adjoint_inverse(tf.where(ok[..., None, None], x, eye))
        inv_h = tf.where(ok[..., None, None], inv_h, tf.constant(np.nan, x.dtype))
    return w[..., None, None] * inv_h


def _slogdet_fast_fn(x):
    """Graph slogdet with the guarded gradient, wrapped by :func:`tf.custom_gradient` below (see ``_det_fast``)."""
    sign, logabs = tf.linalg.slogdet(x)
    logabs = tf.math.real(logabs)  # TF types it complex for complex input (imaginary part 0)
    return (sign, logabs), lambda g_sign, g_logabs: _slogdet_cotangent(x, sign, g_sign, g_logabs)


_slogdet_fast = tf.custom_gradient(_slogdet_fast_fn)


def _slogdet_eager_backward(x: tf.Tensor, sign: tf.Tensor, g_sign, g_logabs) -> tf.Tensor:
    """First order at a regular batch: w·A^{-H} in a few raw ops; otherwise :func:`_slogdet_cotangent`."""
    if backprop_recording(x) or forward_mode_active(x) or not _all_regular_now(sign):
        return _slogdet_cotangent(x, sign, g_sign, g_logabs)
    if not x.dtype.is_complex and g_logabs is not None:
        return _eager_scaled_adjoint_inverse(x, g_logabs)
    return _eager_scaled_adjoint_inverse(x, tf.cast(log_cotangent(sign, g_sign, g_logabs), x.dtype))


def _slogdet_eager(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Eager slogdet recorded as one tape operation (see :func:`_det_eager`)."""
    with raw_ops.stop_recording():
        sign, logabs = raw_ops.log_matrix_determinant(x)
        if x.dtype.is_complex:  # TF types log|det| complex for complex input (imaginary part 0)
            logabs = raw_ops.real(logabs, Tout=x.dtype.real_dtype)
    raw_ops.record_operation(
        "GuardedSlogdet", [sign, logabs], [x], lambda g_sign, g_logabs: [_slogdet_eager_backward(x, sign, g_sign, g_logabs)]
    )
    return sign, logabs


def _slogdet_forward_mode(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) from ops with right registered derivatives (forward-mode path).

    The complex phase: TF's slogdet gradient treats its log-det output as the holomorphic
    log det (value log|det|, derivative tr(A^{-1} dA)), so sign·exp(i·Im(logdet)) has the
    value sign and the phase derivative.  Singular matrices: det_plain, log|0| = -inf with a
    non-finite derivative (loud).
    """
    n = x.shape[-1]
    flat = tf.reshape(x, [-1, n, n])
    ok = _forward_ok(flat)

    def fast_sign(y):
        sign, logdet = tf.linalg.slogdet(y)
        if y.dtype.is_complex:
            sign = sign * tf.exp(tf.complex(tf.zeros_like(tf.math.real(logdet)), tf.math.imag(logdet)))
        return sign

    def fast_logabs(y):
        return tf.math.real(tf.linalg.slogdet(y)[1])

    sign = _split(flat, ok, fast_sign, lambda y: phase_and_log_abs(det_plain(y))[0], compact=False)
    logabs = _split(flat, ok, fast_logabs, lambda y: phase_and_log_abs(det_plain(y))[1], compact=False)
    batch_shape = tf.shape(x)[:-2]
    return tf.reshape(sign, batch_shape), tf.reshape(logabs, batch_shape)


def slogdet(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(sign, log|det|) of a validated ``(..., N, N)`` tensor, each ``(...)``; gradient ``w·A^{-H}``."""
    if a.shape[-1] == 0:
        return empty_matrix_slogdet(a)
    if forward_mode_active(a):
        return _slogdet_forward_mode(a)
    if tf.executing_eagerly():
        return _slogdet_eager(a)
    return _slogdet_fast(a)
