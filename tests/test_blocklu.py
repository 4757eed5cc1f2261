"""The ``blocklu`` method against numpy float64, closed forms and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tf_helpers import det_and_gradient, in_mode

import detgrad
from detgrad.conformance.cases import RANK_N_MINUS_2, SINGULAR_FIRST, SINGULAR_LAST, SINGULAR_MIDDLE, running_product_out_of_range
from detgrad.impls.tf_lu import blocklu_factor, triangular

MODES = ("eager", "graph", "xla")


def cofactor_by_minors(a: np.ndarray) -> np.ndarray:
    """adj(A)^T of one matrix from numpy determinants of its minors (float64)."""
    n = a.shape[-1]
    out = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, 0), j, 1)
            out[i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


def _random(shape, seed, complex_=False):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if complex_:
        a = a + 1j * rng.standard_normal(shape)
    return a


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [4, 13, 70])  # unrolled (n <= 8), one panel, panels + padded block solves
def test_value_and_gradient_against_numpy(n, mode):
    a = _random((2, n, n), n)
    d, g = det_and_gradient(a, mode, method="blocklu")
    want = np.linalg.det(a)
    np.testing.assert_allclose(d, want, rtol=1e-11)
    want_grad = want[:, None, None] * np.linalg.inv(a).transpose(0, 2, 1)  # det(A)·A^{-T}, A invertible
    np.testing.assert_allclose(g, want_grad, rtol=1e-9, atol=1e-12 * np.abs(want_grad).max())


@pytest.mark.parametrize("mode", MODES)
def test_complex_gradient_is_conjugated_cofactor(mode):
    a = _random((2, 5, 5), 1, complex_=True)
    d, g = det_and_gradient(a, mode, method="blocklu")
    np.testing.assert_allclose(d, np.linalg.det(a), rtol=1e-12)
    want = np.stack([np.conj(cofactor_by_minors(m)) for m in a])  # TF's convention: g·conj(adj(A)^T)
    np.testing.assert_allclose(g, want, rtol=1e-10)


@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_complex64_and_float32_values(mode):
    for dtype, tol in (("complex64", 1e-4), ("float32", 1e-4)):
        a = _random((3, 6, 6), 2, complex_=dtype == "complex64").astype(dtype)
        d, _ = det_and_gradient(a, mode, method="blocklu")
        np.testing.assert_allclose(d, np.linalg.det(a.astype(np.complex128)), rtol=tol)


SINGULAR = {
    "zero pivot first": SINGULAR_FIRST,
    "zero pivot middle": SINGULAR_MIDDLE,
    "zero pivot last": SINGULAR_LAST,
    "zero pivot last, transposed": SINGULAR_LAST.T,
    "rank n-2": RANK_N_MINUS_2,
    "zero column in the middle": np.array([[1.0, 0, 2, 3], [4, 0, 5, 6], [7, 0, 8, 10], [1, 0, 1, 1]]),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_exactly_singular(name, mode):
    a = SINGULAR[name]
    d, g = det_and_gradient(a, mode, method="blocklu")
    assert abs(d) < 1e-12
    np.testing.assert_allclose(g, cofactor_by_minors(a), atol=1e-12 * max(1.0, np.abs(a).max() ** 3))


@pytest.mark.parametrize("mode", MODES)
def test_mixed_batch_regular_and_singular(mode):
    a = np.stack([np.eye(4) + 0.3 * _random((4, 4), 3), SINGULAR_FIRST, RANK_N_MINUS_2, np.zeros((4, 4)), SINGULAR_LAST.T])
    d, g = det_and_gradient(a, mode, method="blocklu")
    np.testing.assert_allclose(d, [np.linalg.det(a[0]), 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(g, np.stack([cofactor_by_minors(m) for m in a]), atol=1e-11)


@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_numerically_singular_rank_n_minus_1(mode):
    rng = np.random.default_rng(4)
    u, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    v, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    s = np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.0])
    a = (u * s) @ v.T
    # adj(A)^T = det(U)det(V)·prod(s_1..s_{n-1})·u_n v_n^T for A = U diag(s) V^T with s_n = 0
    want = np.linalg.det(u) * np.linalg.det(v) * np.prod(s[:-1]) * np.outer(u[:, -1], v[:, -1])
    _, g = det_and_gradient(a, mode, method="blocklu")
    np.testing.assert_allclose(g, want, atol=1e-14)


@pytest.mark.parametrize("mode", ["eager", "xla"])
def test_float32_pivot_product_out_of_range(mode):
    a = running_product_out_of_range()
    d, _ = det_and_gradient(a, mode, method="blocklu")
    np.testing.assert_allclose(d, np.linalg.det(a.astype(np.float64)), rtol=1e-4)


@pytest.mark.parametrize("mode", MODES)
def test_slogdet_against_numpy(mode):
    a = _random((2, 12, 12), 5)

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            sign, logabs = detgrad.slogdet(x, method="blocklu")
        return sign, logabs, tape.gradient(logabs, x)

    sign, logabs, g = (t.numpy() for t in in_mode(run, mode)(tf.constant(a)))
    want_sign, want_logabs = np.linalg.slogdet(a)
    np.testing.assert_array_equal(sign, want_sign)
    np.testing.assert_allclose(logabs, want_logabs, rtol=1e-12)
    np.testing.assert_allclose(g, np.linalg.inv(a).transpose(0, 2, 1), rtol=1e-10, atol=1e-13)


def _hvp_by_differences(a, v, h=1e-5):
    return (cofactor_by_minors(a + h * v) - cofactor_by_minors(a - h * v)) / (2 * h)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("which", ["random", "rank n-1"])
def test_reverse_over_reverse(which, mode):
    a = _random((5, 5), 6) if which == "random" else SINGULAR_MIDDLE
    v = _random(a.shape, 7)

    def run(x):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                d = detgrad.det(x, method="blocklu")
            g = inner.gradient(d, x)
        return outer.gradient(g, x, output_gradients=tf.constant(v))

    got = in_mode(run, mode)(tf.constant(a)).numpy()
    np.testing.assert_allclose(got, _hvp_by_differences(a, v), rtol=1e-6, atol=1e-6)


def _second_directional(a, v1, v2, h=1e-3):
    """d²/ds dt det(A + s V1 + t V2) at 0 by central differences (numpy float64)."""
    f = np.linalg.det
    return (f(a + h * v1 + h * v2) - f(a + h * v1 - h * v2) - f(a - h * v1 + h * v2) + f(a - h * v1 - h * v2)) / (4 * h * h)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("which", ["random", "rank n-1", "zero column"])
def test_forward_over_forward(which, mode):
    a = {"random": _random((5, 5), 8), "rank n-1": SINGULAR_MIDDLE, "zero column": SINGULAR["zero column in the middle"]}[which]
    v1, v2 = _random(a.shape, 9), _random(a.shape, 10)

    def run(x):
        with tf.autodiff.ForwardAccumulator(x, tf.constant(v1)) as outer:
            with tf.autodiff.ForwardAccumulator(x, tf.constant(v2)) as inner:
                d = detgrad.det(x, method="blocklu")
            first = inner.jvp(d)
        return first, outer.jvp(first)

    first, second = (t.numpy() for t in in_mode(run, mode)(tf.constant(a)))
    np.testing.assert_allclose(first, np.sum(cofactor_by_minors(a) * v2), rtol=1e-10, atol=1e-10)
    if which == "random":  # closed form: det(A)·[tr(A^-1 V1)·tr(A^-1 V2) - tr(A^-1 V1 A^-1 V2)]
        x1, x2 = np.linalg.solve(a, v1), np.linalg.solve(a, v2)
        want = np.linalg.det(a) * (np.trace(x1) * np.trace(x2) - np.trace(x1 @ x2))
        np.testing.assert_allclose(second, want, rtol=1e-10)
    else:
        np.testing.assert_allclose(second, _second_directional(a, v1, v2), rtol=1e-5, atol=1e-5)


def test_block_solve_against_numpy():
    rng = np.random.default_rng(11)
    n = 37  # three blocks of 16 after padding
    t = np.tril(rng.standard_normal((2, n, n))) + 4 * np.eye(n)
    r = rng.standard_normal((2, n, 5))
    for lower in (True, False):
        m = t if lower else t.transpose(0, 2, 1)
        got = triangular.solve(tf.constant(m), tf.constant(r), lower=lower, block=16).numpy()
        np.testing.assert_allclose(got, np.linalg.solve(m, r), rtol=1e-10)


def test_blocked_factorization_reconstructs_the_matrix():
    a = _random((3, 40, 40), 12)
    f = blocklu_factor.partial_lu(tf.constant(a), panel_width=8, unroll_max_n=0)
    lu = f.lu.numpy()
    lower = np.tril(lu, -1) + np.eye(40)
    upper = np.triu(lu)
    permuted = np.take_along_axis(a, f.rows.numpy()[:, :, None], axis=1)
    np.testing.assert_allclose(lower @ upper, permuted, atol=1e-12)
    assert np.all(np.abs(np.tril(lu, -1)) <= 1.0)  # partial pivoting: multipliers bounded by 1
    parity = np.array([np.linalg.det(np.eye(40)[p]) for p in f.rows.numpy()])
    np.testing.assert_array_equal(f.parity.numpy(), parity)
