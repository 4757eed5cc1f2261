"""Graph mode, one matrix with n >= SPLIT_MIN_N: guarded's inverse runs as two half-solves.

References are float64 numpy (det·A^{-T}, A^{-T}, the cofactors of a matrix with a zero
column from the minors' determinants) and central finite differences for second order.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from detgrad.impls import guarded, two_core_inverse

N = two_core_inverse.SPLIT_MIN_N + 2


def _matrix(n: int = N, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(n) + rng.standard_normal((n, n)) / (2 * np.sqrt(n))


def _graph_value_and_grad(fn, x: tf.Tensor):
    @tf.function(autograph=False)
    def vg(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            value = fn(a)
        return value, tape.gradient(value, a)

    op_types = {op.type for op in vg.get_concrete_function(x).graph.get_operations()}
    for f in vg.get_concrete_function(x).graph._functions.values():  # the tf.cond branches
        op_types |= {node.op for node in f.definition.node_def}
    value, grad = vg(x)
    return value.numpy(), grad.numpy(), op_types


@pytest.mark.parametrize("shape", [(N, N), (1, N, N)])
def test_det_gradient_of_one_large_matrix_takes_the_split_path(shape):
    a = _matrix().reshape(shape)
    value, grad, op_types = _graph_value_and_grad(guarded.det, tf.constant(a))
    assert "MatrixSolve" in op_types  # the split ran, not MatrixInverse alone
    want = np.linalg.det(a)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
    np.testing.assert_allclose(value, np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(grad, want, rtol=1e-9, atol=1e-12 * np.abs(want).max())


def test_small_or_batched_input_keeps_one_inverse():
    for a in (_matrix(two_core_inverse.SPLIT_MIN_N - 1), np.stack([_matrix(), _matrix(seed=1)])):
        _, _, op_types = _graph_value_and_grad(guarded.det, tf.constant(a))
        assert "MatrixSolve" not in op_types and "MatrixInverse" in op_types


def test_slogdet_gradient_is_the_inverse_transpose():
    a = _matrix(seed=2)
    logabs, grad, op_types = _graph_value_and_grad(lambda x: guarded.slogdet(x)[1], tf.constant(a))
    assert "MatrixSolve" in op_types
    want_logabs = np.linalg.slogdet(a)[1]
    np.testing.assert_allclose(logabs, want_logabs, rtol=1e-12)
    np.testing.assert_allclose(grad, np.linalg.inv(a).T, rtol=1e-9, atol=1e-12)


def test_second_order_against_finite_differences():
    """Reverse over reverse: d/dt grad det(A + tV) at t = 0, against central differences of numpy's gradient."""
    a, v = _matrix(seed=3), _matrix(seed=4) - np.eye(N)

    @tf.function(autograph=False)
    def hvp(x, direction):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                value = guarded.det(x)
            grad = inner.gradient(value, x)
            along = tf.reduce_sum(grad * direction)
        return outer.gradient(along, x)

    def numpy_grad(m):
        return np.linalg.det(m) * np.linalg.inv(m).T

    h = 1e-5
    # d/dt <grad(A + tV), V>... the Hessian is symmetric, so H·V is d/dt grad(A + tV)
    want = (numpy_grad(a + h * v) - numpy_grad(a - h * v)) / (2 * h)
    got = hvp(tf.constant(a), tf.constant(v)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())


def test_singular_matrix_never_reaches_the_solves():
    """A zero column: det 0, the gradient is the cofactor column (minors' dets); rank n-2: gradient 0."""
    a = _matrix(seed=5)
    a[:, 7] = 0.0
    value, grad, _ = _graph_value_and_grad(guarded.det, tf.constant(a))
    assert value == 0.0
    minors = [np.linalg.det(np.delete(np.delete(a, i, 0), 7, 1)) for i in range(N)]
    want = np.zeros_like(a)
    want[:, 7] = [(-1) ** (i + 7) * m for i, m in enumerate(minors)]
    np.testing.assert_allclose(grad, want, rtol=1e-8, atol=1e-10 * np.abs(want).max())
    a[:, 9] = 0.0
    _, grad, _ = _graph_value_and_grad(guarded.det, tf.constant(a))
    assert not grad.any()
