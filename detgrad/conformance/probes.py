"""TF computations the conformance check runs for each case kind.

Each probe takes a method name and numpy inputs, builds the TF computation
(value and derivatives) and runs it eagerly, as a ``tf.function`` graph or
XLA-compiled, returning a dict of numpy arrays.  Nothing here knows the
expected answers; :mod:`detgrad.conformance` compares against
:mod:`detgrad.conformance.reference`.
"""

from __future__ import annotations

import logging

import numpy as np
import tensorflow as tf

from detgrad.api import det, in_mode, logdet, slogdet, value_and_gradient
from detgrad.catalog import PD_TARGET


class _NoRetracingWarning(logging.Filter):
    """Drops TF's "triggered tf.function retracing" warning: every probe builds its own
    ``tf.function`` on purpose (one per case, method and mode), so the warning only alarms."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_NoRetracingWarning())


def target_function(method: str, target: str = "det"):
    """The function a case differentiates: ``det(A)``, or for :data:`PD_TARGET` ``logdet(S(X))``, S(X) = (X + X^H)/2.

    The Cholesky methods read only the lower triangle of their input; differentiating through the Hermitian
    part makes the derivative the same for every method (and equal to TF's Hermitian convention).
    """
    if target == PD_TARGET:
        return lambda x: logdet((x + tf.linalg.adjoint(x)) / 2, method=method)
    return lambda x: det(x, method=method)


def _value_grad_probe(method: str, target: str, cotangent=None):
    """det or log|det| and its gradient, built as the sweep builds its timed call."""
    vg = value_and_gradient(method, target, "eager", cotangent=cotangent)

    def run(a):
        value, grad = vg(a)
        return {"value": value, "grad": grad}

    return run


def _pd_value_grad_probe(f):
    """f(X) and the gradient of sum f(X) (``pd_logdet``: log det S(X) and S(X)^{-1})."""

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = f(x)
            loss = tf.reduce_sum(value)
        return {"value": value, "grad": tape.gradient(loss, x)}

    return run


def _abs2_probe(method: str):
    def run(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            value = det(a, method=method)
            loss = tf.reduce_sum(tf.math.real(value * tf.math.conj(value)))
        return {"grad": tape.gradient(loss, a)}

    return run


def _phase_probe(method: str):
    def run(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            sign, _ = slogdet(a, method=method)
            loss = tf.reduce_sum(tf.math.imag(sign))
        return {"grad": tape.gradient(loss, a)}

    return run


def _hess_rr_probe(f, tangent):
    def run(a):
        with tf.GradientTape() as outer:
            outer.watch(a)
            with tf.GradientTape() as inner:
                inner.watch(a)
                value = f(a)
            grad = inner.gradient(value, a)
        # Hessian-vector product H·V = d<grad, V>/dA (H is symmetric)
        return {"hvp": outer.gradient(grad, a, output_gradients=tangent)}

    return run


def _hess_fwd_probe(f, tangent):
    def run(a):
        with tf.autodiff.ForwardAccumulator(a, tangent) as acc:
            with tf.GradientTape() as tape:
                tape.watch(a)
                value = f(a)
            grad = tape.gradient(value, a)
        return {"hvp": acc.jvp(grad)}

    return run


def _hess_ff_probe(f, tangent):
    def run(a):
        with tf.autodiff.ForwardAccumulator(a, tangent) as outer:
            with tf.autodiff.ForwardAccumulator(a, tangent) as inner:
                value = f(a)
            first = inner.jvp(value)
        # d²/dt² f(A + tV) at t = 0 = V:H:V
        return {"vhv": outer.jvp(first)}

    return run


def _jvp_probe(f, tangent):
    def run(a):
        with tf.autodiff.ForwardAccumulator(a, tangent) as acc:
            value = f(a)
        return {"jvp": acc.jvp(value)}

    return run


def _jacobian_hessian_probe(f, pfor: bool, batch: bool):
    """The Hessian as a jacobian of the gradient, the way TF's guide takes it."""

    def run(a):
        # TF requires a persistent tape for a jacobian without pfor in eager mode
        with tf.GradientTape(persistent=not pfor) as outer:
            outer.watch(a)
            with tf.GradientTape() as inner:
                inner.watch(a)
                value = f(a)
            grad = inner.gradient(value, a)
        if batch:
            return {"hess": outer.batch_jacobian(grad, a, experimental_use_pfor=pfor)}
        return {"hess": outer.jacobian(grad, a, experimental_use_pfor=pfor)}

    return run


def _batch_jacobian_grad_probe(f):
    def run(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            value = f(a)[:, None]  # batch_jacobian wants (B, ...)
        return {"grads": tape.batch_jacobian(value, a)[:, 0]}

    return run


def _vectorized_map_grad_probe(f):
    def one(m):
        with tf.GradientTape() as tape:
            tape.watch(m)
            value = f(m)
        return tape.gradient(value, m)

    def run(a):
        return {"grads": tf.vectorized_map(one, a)}

    return run


def _seed_probe(method: str):
    def run(point):
        with tf.GradientTape() as tape:
            tape.watch(point)
            x, y = point[0], point[1]
            zero = tf.zeros_like(x)
            a = tf.stack([tf.stack([tf.sin(x), zero]), tf.stack([zero, tf.cos(y)])])
            loss = det(a, method=method) ** 2
        return {"grad": tape.gradient(loss, point)}

    return run


def run_probe(
    kind: str, method: str, mode: str, a: np.ndarray, cotangent=None, tangent=None, target: str = "det"
) -> dict[str, np.ndarray]:
    """Compute what ``kind`` asks for with ``method`` in ``mode``, differentiating ``target`` (see
    :func:`target_function`; ``det``, ``abs2``, ``phase``, ``logdet`` and ``seed`` fix their own function); numpy outputs."""
    f = target_function(method, target)

    def tangent_tensor():
        return tf.constant(tangent, dtype=a.dtype)

    builders = {
        "det": lambda: _value_grad_probe(method, "det", None if cotangent is None else tf.constant(cotangent, dtype=a.dtype)),
        "value_grad": lambda: _pd_value_grad_probe(f),
        "abs2": lambda: _abs2_probe(method),
        "phase": lambda: _phase_probe(method),
        "logdet": lambda: _value_grad_probe(method, "logdet"),
        "hess_rr": lambda: _hess_rr_probe(f, tangent_tensor()),
        "hess_fwd": lambda: _hess_fwd_probe(f, tangent_tensor()),
        "hess_ff": lambda: _hess_ff_probe(f, tangent_tensor()),
        "jvp": lambda: _jvp_probe(f, tangent_tensor()),
        "jac_hess": lambda: _jacobian_hessian_probe(f, pfor=True, batch=False),
        "jac_hess_loop": lambda: _jacobian_hessian_probe(f, pfor=False, batch=False),
        "bjac_hess": lambda: _jacobian_hessian_probe(f, pfor=True, batch=True),
        "bjac_hess_loop": lambda: _jacobian_hessian_probe(f, pfor=False, batch=True),
        "bjac_grad": lambda: _batch_jacobian_grad_probe(f),
        "vmap_grad": lambda: _vectorized_map_grad_probe(f),
        "seed": lambda: _seed_probe(method),
    }
    fn = in_mode(builders[kind](), mode)
    outputs = fn(tf.constant(a))
    return {k: np.asarray(v) if v is not None else None for k, v in outputs.items()}
