"""detgrad.logdet: values and gradients against numpy float64, the not-positive-definite contract, second order."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tf_helpers import graph_value_gradient_hvp

import detgrad
from detgrad import DetgradError, UnsupportedError
from detgrad.sweep.inputs import make_matrices
from detgrad.sweep.spec import parse_spec

CHOLESKY_FAMILY = ("auto", "cholesky", "blockchol", "builtin_logdet")
MODES = ("eager", "graph", "xla")


def positive_definite(shape: tuple[int, ...], complex_: bool = False, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    m = rng.standard_normal(shape)
    if complex_:
        m = m + 1j * rng.standard_normal(shape)
    n = shape[-1]
    return m @ np.conj(np.swapaxes(m, -1, -2)) / n + np.eye(n)


def value_and_gradient(method: str, mode: str):
    def run(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            value = detgrad.logdet(a, method=method)
            loss = tf.reduce_sum(value)
        return value, tape.gradient(loss, a)

    return run if mode == "eager" else tf.function(run, jit_compile=mode == "xla")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", CHOLESKY_FAMILY)
@pytest.mark.parametrize(("shape", "complex_"), [((1, 1), False), ((2, 3, 5, 5), False), ((2, 9, 9), True), ((20, 20), False)])
def test_value_and_gradient_match_numpy(method, mode, shape, complex_):
    a = positive_definite(shape, complex_, seed=len(shape))
    value, grad = value_and_gradient(method, mode)(tf.constant(a))
    assert value.shape == shape[:-2] and value.dtype == tf.float64
    np.testing.assert_allclose(value, np.linalg.slogdet(a)[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, np.linalg.inv(a), rtol=1e-9, atol=1e-11)  # A^{-1}: Hermitian, TF's convention


@pytest.mark.parametrize("mode", ["graph", "xla"])
def test_blockchol_beyond_the_unrolled_leaves(mode):
    """n = 200: leaves of 13 columns run as while loops (more than 16 leaves of 8 otherwise); float32 too."""
    a = positive_definite((200, 200), seed=3)
    value, grad = value_and_gradient("blockchol", mode)(tf.constant(a))
    np.testing.assert_allclose(value, np.linalg.slogdet(a)[1], rtol=1e-11)
    np.testing.assert_allclose(grad, np.linalg.inv(a), rtol=1e-8, atol=1e-10)
    value32, _ = value_and_gradient("blockchol", mode)(tf.constant(a.astype(np.float32)))
    np.testing.assert_allclose(value32, np.linalg.slogdet(a)[1], rtol=1e-4)


NOT_POSITIVE_DEFINITE = np.stack([2 * np.eye(3), np.diag([1.0, -1.0, -1.0]), np.eye(3) + 0.1])  # member 1: det 1 > 0


@pytest.mark.parametrize("method", CHOLESKY_FAMILY)
def test_eager_names_the_member_that_is_not_positive_definite(method):
    with pytest.raises(DetgradError, match=r"batch member\(s\) 1 are not \(its Cholesky factorization failed\)") as info:
        detgrad.logdet(NOT_POSITIVE_DEFINITE, method=method)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("mode", ["graph", "xla"])
@pytest.mark.parametrize("method", CHOLESKY_FAMILY)
def test_graph_and_xla_give_nan_for_that_member_only(method, mode):
    value = tf.function(lambda a: detgrad.logdet(a, method=method), jit_compile=mode == "xla")(tf.constant(NOT_POSITIVE_DEFINITE))
    assert np.isnan(value[1])
    np.testing.assert_allclose(np.asarray(value)[[0, 2]], np.linalg.slogdet(NOT_POSITIVE_DEFINITE[[0, 2]])[1], rtol=1e-12)


def test_general_methods_check_only_the_sign_of_det():
    """An LU method's logdet is log|det| with NaN where det <= 0: diag(1, -1, -1) (det 1) passes, as documented."""
    value = tf.function(lambda a: detgrad.logdet(a, method="guarded"))(tf.constant(NOT_POSITIVE_DEFINITE))
    np.testing.assert_allclose(value, [np.log(8.0), 0.0, np.linalg.slogdet(NOT_POSITIVE_DEFINITE[2])[1]], rtol=1e-12)
    with pytest.raises(DetgradError, match="its det is <= 0"):
        detgrad.logdet(-np.eye(3), method="guarded")


@pytest.mark.parametrize("fn", [detgrad.det, detgrad.slogdet])
def test_cholesky_family_refuses_det_in_one_line(fn):
    with pytest.raises(UnsupportedError, match="only the log det of Hermitian positive-definite matrices") as info:
        fn(np.eye(3), method="cholesky")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["auto", "cholesky", "blockchol"])
def test_hessian_vector_product_through_a_hermitian_parameterization(method, mode):
    """f(X) = log det((X + X^T)/2): d/dt grad f(X + tV) = -A^{-1} S A^{-1} with S = (V + V^T)/2 (closed form)."""
    x = positive_definite((4, 4), seed=5)
    v = np.random.default_rng(6).standard_normal((4, 4))

    def hvp(x_, v_):
        with tf.GradientTape() as outer:
            outer.watch(x_)
            with tf.GradientTape() as inner:
                inner.watch(x_)
                value = detgrad.logdet((x_ + tf.transpose(x_)) / 2, method=method)
            grad = inner.gradient(value, x_)
        return grad, outer.gradient(grad, x_, output_gradients=v_)

    run = hvp if mode == "eager" else tf.function(hvp, jit_compile=mode == "xla")
    grad, got = run(tf.constant(x), tf.constant(v))
    inv = np.linalg.inv(x)
    np.testing.assert_allclose(grad, inv, rtol=1e-10)
    np.testing.assert_allclose(got, -inv @ ((v + v.T) / 2) @ inv, rtol=1e-8, atol=1e-12)


def test_auto_picks_cholesky_blockchol_and_the_nested_kernel_by_mode_and_shape():
    from detgrad.impls.chol import blocked, cholesky
    from detgrad.impls.dispatch import auto, nested_xla

    assert auto.pick_logdet(64, 1, "eager") is cholesky and auto.pick_logdet(64, 64, "graph") is cholesky
    assert auto.pick_logdet(8, 4096, "xla") is blocked and auto.pick_logdet(2048, 1, "xla") is blocked
    assert auto.pick_logdet(auto.LOGDET_NESTED_MIN_N, 1, "graph") is nested_xla
    assert auto.pick_logdet(auto.LOGDET_NESTED_MIN_N, 2, "graph") is cholesky


def test_nested_kernel_value_gradient_and_hessian_in_a_graph():
    """One matrix at LOGDET_NESTED_MIN_N in a graph: the nested XLA kernel, and reverse over reverse through it."""
    from detgrad.impls.dispatch import auto

    n = auto.LOGDET_NESTED_MIN_N
    x = positive_definite((n, n), seed=8)
    v = np.random.default_rng(9).standard_normal((n, n))

    run = graph_value_gradient_hvp(lambda x_: detgrad.logdet((x_ + tf.transpose(x_)) / 2))

    graph = run.get_concrete_function(tf.constant(x), tf.constant(v)).graph
    assert any(op.get_attr("_XlaMustCompile") for op in graph.get_operations() if "_XlaMustCompile" in op.node_def.attr)
    value, grad, hvp = run(tf.constant(x), tf.constant(v))
    inv = np.linalg.inv(x)
    np.testing.assert_allclose(value, np.linalg.slogdet(x)[1], rtol=1e-12)
    np.testing.assert_allclose(grad, inv, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(hvp, -inv @ ((v + v.T) / 2) @ inv, rtol=1e-6, atol=1e-10)


def test_positive_definite_inputs_are_hermitian_with_det_one_and_the_asked_condition():
    a = make_matrices(3, 6, "complex128", cond=1e4, seed=1, positive_definite=True)
    np.testing.assert_array_equal(a, np.conj(np.swapaxes(a, -1, -2)))
    assert np.all(np.linalg.eigvalsh(a) > 0)
    np.testing.assert_allclose(np.linalg.cond(a), 1e4, rtol=1e-8)
    np.testing.assert_allclose(np.linalg.slogdet(a)[1], 0.0, atol=1e-10)
    b = make_matrices(2, 5, "float32", seed=2, positive_definite=True)
    assert b.dtype == np.float32 and np.all(np.linalg.eigvalsh(b.astype(np.float64)) > 0)
    np.testing.assert_allclose(np.linalg.slogdet(b.astype(np.float64))[1], 0.0, atol=1e-5)


def test_method_all_in_a_spec_keeps_the_methods_of_its_targets():
    det_only = parse_spec({"axes": {"method": "all", "n": [4], "batch": [1], "target": ["det"]}})
    assert "cholesky" not in det_only.axes["method"] and "guarded" in det_only.axes["method"]
    with_pd = parse_spec({"axes": {"method": "all", "n": [4], "batch": [1], "target": ["det", "pd_logdet"]}})
    assert {"cholesky", "blockchol", "builtin_logdet", "guarded"} <= set(with_pd.axes["method"])
