"""guarded's inverse comes from det's own LU; in a graph one matrix with n >= SPLIT_MIN_N solves two halves.

References are float64 numpy (det·A^{-T}, A^{-T}, the cofactors of a matrix with a zero
column from the minors' determinants), adjugates built from an SVD (numerically singular
matrices), and central finite differences for second order.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from detgrad.impls.eigen import det_lu_inverse, guarded

N = det_lu_inverse.SPLIT_MIN_N + 2


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
    assert "Lu" in op_types and "MatrixInverse" not in op_types
    below_split = _matrix(det_lu_inverse.SPLIT_MIN_N - 1)
    # the split ran: two halves of two solves each, more than below the split (the singular branch adds the same to both)
    assert _triangular_solves(guarded.det, tf.constant(a)) > _triangular_solves(guarded.det, tf.constant(below_split))
    want = np.linalg.det(a)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
    np.testing.assert_allclose(value, np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(grad, want, rtol=1e-9, atol=1e-12 * np.abs(want).max())


def _triangular_solves(fn, x: tf.Tensor) -> int:
    @tf.function(autograph=False)
    def vg(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            value = fn(a)
        return tape.gradient(value, a)

    graph = vg.get_concrete_function(x).graph
    nodes = [op.type for op in graph.get_operations()]
    for f in graph._functions.values():
        nodes += [node.op for node in f.definition.node_def]
    return nodes.count("MatrixTriangularSolve")


def test_batched_input_solves_once():
    batch = np.stack([_matrix(), _matrix(seed=1)])
    one = _matrix(det_lu_inverse.SPLIT_MIN_N - 1)
    assert _triangular_solves(guarded.det, tf.constant(batch)) == _triangular_solves(guarded.det, tf.constant(one))


@pytest.mark.parametrize(
    "dtype, n, uses_inv",
    [("float64", 16, True), ("float32", 4, True), ("float64", 17, False), ("complex128", 4, False), ("complex64", 2, False)],
)
def test_inv_only_where_it_shares_dets_lu(dtype, n, uses_inv):
    assert det_lu_inverse.inverse_shares_det_lu(tf.as_dtype(dtype), n) is uses_inv
    a = _matrix(n).astype(dtype)
    _, _, op_types = _graph_value_and_grad(guarded.det, tf.constant(a))
    assert ("MatrixInverse" in op_types) is uses_inv and ("Lu" in op_types) is not uses_inv


def _adjugate_transpose_by_svd(a: np.ndarray) -> np.ndarray:
    """adj(A)^T of a rank n-1 matrix from its SVD (independent of any LU): adj(A) = det(U)det(V^H)·V diag(prod_{j!=i} s_j) U^H."""
    u, s, vh = np.linalg.svd(a)
    others = np.array([np.prod(np.delete(s, i)) for i in range(len(s))])
    adj = np.linalg.det(u) * np.linalg.det(vh) * (vh.conj().T * others) @ u.conj().T
    return adj.T


def _rank_deficient(n: int, complex_: bool, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if complex_ else 0)
    a[:, -1] = a[:, 0] + (1 + 2j if complex_ else 0.5) * a[:, 1]  # rank n-1 up to rounding
    return a


@pytest.mark.parametrize("mode", ["eager", "graph"])
@pytest.mark.parametrize("n, complex_", [(4, True), (5, True), (20, False), (20, True), (70, False)])
def test_gradient_at_rank_n_minus_1_up_to_rounding(mode, n, complex_):
    """det·A^{-1} from two different LUs was off by 0.3-2 here (complex n = 4-5, real n = 20, 70)."""
    errors = []
    for seed in range(3):
        a = _rank_deficient(n, complex_, seed)
        want = np.conj(_adjugate_transpose_by_svd(a))  # TF's convention: conj of the holomorphic derivative

        def grad(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                value = guarded.det(x)
            return tape.gradient(value, x)

        got = (grad if mode == "eager" else tf.function(grad, autograph=False))(tf.constant(a)).numpy()
        errors.append(np.abs(got - want).max() / np.abs(want).max())
    assert max(errors) < 1e-11, errors


def test_slogdet_gradient_is_the_inverse_transpose():
    a = _matrix(seed=2)
    logabs, grad, op_types = _graph_value_and_grad(lambda x: guarded.slogdet(x)[1], tf.constant(a))
    assert "Lu" in op_types
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
