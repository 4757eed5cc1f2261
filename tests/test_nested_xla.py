"""Graph mode: ``auto`` runs blocklu (n = 512 or small batches) or tiny (n <= 3) as a nested XLA kernel.

Most conformance cases are matrices that ``auto`` does not send down this path, so the whole
conformance suite is run here with the graph table patched to take it for every single matrix
from n = 2; then one real n = 512 call is checked against float64 numpy.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tf_helpers import graph_value_gradient_hvp

import detgrad
from detgrad.conformance import reference
from detgrad.conformance.cases import CASES
from detgrad.conformance.runner import run_cell
from detgrad.impls.dispatch import auto, nested_xla
from detgrad.impls.eigen import guarded


def test_auto_picks_nested_xla_for_one_large_matrix_in_a_graph():
    assert auto.pick(512, 1, "graph") is nested_xla and auto.pick(2048, 1, "graph") is guarded
    assert auto.pick(511, 1, "graph") is guarded and auto.pick(513, 1, "graph") is guarded
    assert auto.pick(1024, 4, "graph") is guarded and auto.pick(1024, None, "graph") is guarded
    assert auto.pick(1024, 1, "eager") is guarded and auto.pick(1024, 1, "xla") is not nested_xla
    assert auto.pick(4, 64, "graph") is nested_xla and auto.pick(6, 4096, "graph") is nested_xla
    assert auto.pick(8, 256, "graph") is nested_xla and auto.pick(8, 512, "graph") is guarded
    assert auto.pick(4, 16, "graph") is guarded and auto.pick(9, 256, "graph") is guarded
    assert auto.pick(4, None, "graph") is nested_xla  # an unknown batch counts as large


def test_batch_of_small_matrices_with_singular_members_against_mpmath():
    """n = 4, batch 64 in a graph (nested blocklu): regular, rank n-1 and rank n-2 members."""
    rng = np.random.default_rng(8)
    a = rng.standard_normal((64, 4, 4))
    a[3, :, 1] = 0.0  # zero column: rank 3
    a[7, :, 2] = a[7, :, 0]  # repeated column: rank 3
    a[9, :, 1] = 0.0
    a[9, :, 3] = 2.0 * a[9, :, 0]  # rank 2: gradient 0
    d, g = _value_and_grad_plain_graph(tf.constant(a))
    np.testing.assert_allclose(d.numpy(), reference.det(a), atol=1e-13)
    np.testing.assert_allclose(g.numpy(), reference.cofactor(a), atol=1e-12)


def test_unknown_batch_in_a_graph():
    """n <= 3 with an unknown batch takes the nested tiny kernel, compiled for the shape it meets."""
    f = tf.function(lambda x: _value_and_grad_plain(x), input_signature=[tf.TensorSpec([None, 3, 3], tf.float64)])
    a = np.random.default_rng(2).standard_normal((5, 3, 3))
    d, g = f(tf.constant(a))
    np.testing.assert_allclose(d.numpy(), np.linalg.det(a), rtol=1e-12)
    want = np.linalg.det(a)[:, None, None] * np.transpose(np.linalg.inv(a), (0, 2, 1))
    np.testing.assert_allclose(g.numpy(), want, rtol=1e-10)


@tf.function(autograph=False)
def _value_and_grad_plain_graph(x):
    return _value_and_grad_plain(x)


def _value_and_grad_plain(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        d = detgrad.det(x)
    return d, tape.gradient(d, x)


@pytest.fixture
def nested_from_n_2(monkeypatch):
    rows = (auto.Row(auto.ANY, 1, nested_xla, min_n=2, max_batch=1), *auto.TABLE["graph"])
    monkeypatch.setitem(auto.TABLE, "graph", rows)


def _one_matrix(case) -> bool:
    return case.kind != "seed" and case.build().ndim == 2 and case.build().shape[-1] >= 2


@pytest.mark.parametrize("case", [c for c in CASES if _one_matrix(c)], ids=lambda c: c.name)
def test_conformance_cases_pass_on_the_nested_path(nested_from_n_2, case):
    assert auto.pick(case.build().shape[-1], 1, "graph") is nested_xla
    outcome = run_cell(case, "auto", "graph")
    assert outcome.verdict == "pass", outcome


def _value_and_grad(a):
    @tf.function(autograph=False)
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            d = detgrad.slogdet(x)[1] if x.dtype.is_complex else detgrad.det(x)
        return d, tape.gradient(d, x)

    return f(a)


def test_n_512_against_float64_numpy():
    rng = np.random.default_rng(5)
    a = np.eye(512) + rng.standard_normal((512, 512)) / (2 * np.sqrt(512))
    d, g = _value_and_grad(tf.constant(a))
    want_d = np.linalg.det(a)
    np.testing.assert_allclose(d.numpy(), want_d, rtol=1e-9)
    np.testing.assert_allclose(g.numpy(), want_d * np.linalg.inv(a).T, rtol=1e-7, atol=1e-9 * abs(want_d))


def test_hessian_by_nested_tapes_at_n_512():
    """Reverse over reverse through the nested kernel at n = 512 (blocklu's panel loops inside): -(A^{-1} V A^{-1})^T.

    It raised before the kernel's input was cut from the tapes: recorded by two tapes, the call got a forward
    function exporting its loops' intermediates, which XLA cannot compile (FakeParam in a cond)."""
    n = 512
    rng = np.random.default_rng(12)
    x, v = rng.standard_normal((n, n)), rng.standard_normal((n, n))

    run = graph_value_gradient_hvp(lambda x_: detgrad.slogdet(x_)[1])
    assert auto.pick(n, 1, "graph") is nested_xla
    inv = np.linalg.inv(x)
    np.testing.assert_allclose(run(tf.constant(x), tf.constant(v))[2], -(inv @ v @ inv).T, rtol=1e-7, atol=1e-9)


def test_value_only_call_is_one_eigen_det_with_no_xla_kernel():
    x = tf.TensorSpec((512, 512), tf.float64)
    graph = tf.function(lambda a: detgrad.det(a), autograph=False).get_concrete_function(x).graph
    ops = {op.type for op in graph.get_operations()}
    assert "MatrixDeterminant" in ops and not ops & {"PartitionedCall", "StatefulPartitionedCall"}


@pytest.mark.parametrize("shape", [(1, 5, 5), (1, 1, 3, 3)])
def test_a_batch_of_one_runs_as_one_matrix_in_a_graph(shape):
    """(1, ..., 1, N, N) in a graph is run as the (N, N) matrix (batched kernels are slower for one)."""
    a = np.random.default_rng(4).standard_normal(shape)

    @tf.function(autograph=False)
    def f(x):
        assert auto._unit_batch(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            d = detgrad.det(x)
            _, log_abs = detgrad.slogdet(x)
        return d, log_abs, tape.gradient(d, x)

    d, log_abs, g = (t.numpy() for t in f(tf.constant(a)))
    assert d.shape == log_abs.shape == shape[:-2] and g.shape == shape
    np.testing.assert_allclose(d, np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(log_abs, np.linalg.slogdet(a)[1], rtol=1e-12)
    np.testing.assert_allclose(g, np.linalg.det(a)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-10)
    assert not auto._unit_batch(tf.constant(a))  # eager keeps the shape
