"""Public API: names, shapes, dtypes, one-line errors, registry facts."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import detgrad
from detgrad import DetgradError, UnsupportedError
from detgrad.impls.registry import DET_METHODS


def test_public_names():
    assert set(("builtin", "inverse", "lu", "slogdet", "closed")) <= set(detgrad.METHODS)
    assert issubclass(UnsupportedError, DetgradError)
    assert detgrad.DEFAULT_METHOD in detgrad.METHODS


@pytest.mark.parametrize("method", ["lu", "inverse", "slogdet", "builtin"])
def test_shapes_and_values_against_numpy(method):
    a = np.random.default_rng(0).standard_normal((2, 3, 5, 5))
    value = detgrad.det(a, method=method)
    sign, logabs = detgrad.slogdet(tf.constant(a), method=method)
    assert value.shape == (2, 3)
    np.testing.assert_allclose(value, np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(sign, np.linalg.slogdet(a)[0])
    np.testing.assert_allclose(logabs, np.linalg.slogdet(a)[1], rtol=1e-10)


@pytest.mark.parametrize("method", sorted(DET_METHODS))
def test_complex_slogdet_has_real_logabsdet_and_its_gradient(method):
    rng = np.random.default_rng(1)
    a = tf.constant(rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)))
    with tf.GradientTape() as tape:
        tape.watch(a)
        sign, logabs = detgrad.slogdet(a, method=method)
    assert sign.dtype == tf.complex128 and logabs.dtype == tf.float64
    want_sign, want_logabs = np.linalg.slogdet(a.numpy())
    np.testing.assert_allclose(logabs, want_logabs, rtol=1e-12)
    np.testing.assert_allclose(sign, want_sign, rtol=1e-12)
    # d log|det A| / dA = A^{-H} (TF's cotangent convention), from numpy's inverse, not from detgrad
    np.testing.assert_allclose(tape.gradient(logabs, a), np.linalg.inv(a.numpy()).conj().T, rtol=1e-10)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.ones(3), "rank >= 2"),
        (np.ones((2, 3)), "square"),
        (np.ones((2, 2), dtype=np.int32), "int32 is not differentiable"),
        (np.ones((2, 2), dtype=bool), "bool is not differentiable"),
        (np.ones((2, 2), dtype=np.float16), "does not support dtype float16"),
    ],
)
def test_bad_input_one_line_error(bad, message):
    with pytest.raises(DetgradError, match=message) as info:
        detgrad.det(bad)
    assert "\n" not in str(info.value)


def test_unknown_method_lists_valid_ones():
    with pytest.raises(DetgradError, match="valid methods: lu, closed"):
        detgrad.det(np.eye(2), method="qr")


def test_closed_form_refuses_large_n_with_unsupported_error():
    with pytest.raises(UnsupportedError, match="n <= 3"):
        detgrad.det(np.eye(4), method="closed")


def test_unsupported_error_survives_tf_function_tracing():
    @tf.function
    def f(a):
        return detgrad.det(a, method="closed")

    with pytest.raises(UnsupportedError, match="n <= 3"):
        f(tf.eye(5))


def test_unknown_static_size_is_a_clear_error():
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float64)])
    def f(a):
        return detgrad.det(a)

    with pytest.raises(DetgradError, match="matrix size must be known"):
        f.get_concrete_function()


def test_builtin_really_has_no_xla_kernel():
    """The registry says builtin cannot run under XLA; check that is true (the raw method, past the API's check)."""
    assert not detgrad.get_method("builtin").xla
    f = tf.function(lambda a: detgrad.get_method("builtin").det(a), jit_compile=True)
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(tf.eye(3, dtype=tf.float64))


@pytest.mark.parametrize("method", [m for m in detgrad.METHODS if not detgrad.get_method(m).xla])
def test_method_without_xla_kernel_is_one_line_error_under_xla(method):
    """Under jit_compile a method the registry marks non-XLA raises UnsupportedError while tracing, not TF's traceback."""
    f = tf.function(lambda a: detgrad.det(a, method=method), jit_compile=True)
    with pytest.raises(UnsupportedError, match="cannot run under XLA") as info:
        f(tf.eye(3, dtype=tf.float64))
    assert "\n" not in str(info.value)


def test_default_method_compiles_for_large_n():
    """XLA-compiled value + gradient at n = 64 (the while-loop LU path)."""
    a = np.random.default_rng(1).standard_normal((64, 64))

    @tf.function(jit_compile=True)
    def value_and_grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, logabs = detgrad.slogdet(x)
        return logabs, tape.gradient(logabs, x)

    logabs, grad = value_and_grad(tf.constant(a))
    np.testing.assert_allclose(logabs, np.linalg.slogdet(a)[1], rtol=1e-10)
    np.testing.assert_allclose(grad, np.linalg.inv(a).T, rtol=1e-8, atol=1e-10)


def test_method_descriptions_are_complete():
    for name in detgrad.METHODS:
        m = detgrad.get_method(name)
        assert m.summary and m.dtypes and m.flops(min(10, m.max_n or 10)) > 0
        assert m.xla or m.xla_reason


def test_lazy_names_are_listed_and_importing_detgrad_leaves_tensorflow_alone():
    """dir() and tab completion show det/slogdet before first use; `import detgrad` alone never imports TF."""
    import subprocess
    import sys

    code = "import sys, detgrad; print(sorted({'det', 'slogdet', 'METHODS'} & set(dir(detgrad))), 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    assert out == "['METHODS', 'det', 'slogdet'] False"


def test_numpy_too_new_for_the_installed_tensorflow_is_one_clear_line(monkeypatch):
    """TF < 2.18 under numpy 2 fails deep inside TF; detgrad names the conflict and the fix instead."""
    import importlib.metadata

    import detgrad

    versions = {"numpy": "2.4.6", "tensorflow-cpu": "2.16.2"}

    def fake_version(name):
        if name in versions:
            return versions[name]
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", fake_version)
    text = detgrad._numpy_conflict()
    assert text.startswith("tensorflow-cpu 2.16.2 needs numpy < 2, but numpy 2.4.6 is installed")
    assert 'pip install "detgrad[cpu]" tensorflow-cpu==2.16.2' in text and "\n" not in text
    versions.update(numpy="1.26.4")
    assert detgrad._numpy_conflict() is None
    versions.update({"numpy": "2.1.0", "tensorflow-cpu": "2.18.0"})
    assert detgrad._numpy_conflict() is None


@pytest.mark.parametrize("method", [None, "guarded", "inverse", "slogdet", "lu"])
@pytest.mark.parametrize("mode", ["eager", "graph"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_entry_gives_nan_for_that_member_only(bad, mode, method):
    """TF 2.16's det/slogdet return 0 and (0, -inf) for a NaN entry; detgrad must not (TF >= 2.17 gives NaN)."""
    a = np.stack([np.eye(3), 2 * np.eye(3)])
    a[0, 1, 2] = bad

    def both(x):
        return (detgrad.det(x, method=method), *detgrad.slogdet(x, method=method))

    fn = both if mode == "eager" else tf.function(both)
    d, sign, logabs = (t.numpy() for t in fn(tf.constant(a)))
    assert np.isnan(d[0]) and not (np.isfinite(sign[0]) and np.isfinite(logabs[0]))
    np.testing.assert_allclose([d[1], sign[1], logabs[1]], [8.0, 1.0, np.log(8.0)], rtol=1e-12)


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_value_and_gradient_builder_against_numpy(mode):
    """The builder the sweep, the checks and `detgrad probe` share: TF's complex convention conj(cof A) for det,
    A^{-H} for log|det|, a cotangent scales the det gradient by its conjugate, validate=False gives the same numbers."""
    from detgrad.api import value_and_gradient

    rng = np.random.default_rng(7)
    a = np.eye(3) + 0.3 * (rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3)))
    cof = np.linalg.det(a)[:, None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
    for validate in (True, False):
        v, g = value_and_gradient("lu", "det", mode, validate=validate)(tf.constant(a))
        np.testing.assert_allclose(v.numpy(), np.linalg.det(a), rtol=1e-12)
        np.testing.assert_allclose(g.numpy(), np.conj(cof), rtol=1e-10, atol=1e-12)
    w = np.array([2.0 - 1.0j, 0.5j])
    _, g = value_and_gradient("lu", "det", mode, cotangent=tf.constant(w))(tf.constant(a))
    np.testing.assert_allclose(g.numpy(), w[:, None, None] * np.conj(cof), rtol=1e-10, atol=1e-12)
    v, g = value_and_gradient(None, "logdet", mode)(tf.constant(a))
    np.testing.assert_allclose(v.numpy(), np.log(np.abs(np.linalg.det(a))), rtol=1e-12)
    np.testing.assert_allclose(g.numpy(), np.conj(np.swapaxes(np.linalg.inv(a), -1, -2)), rtol=1e-10, atol=1e-12)
