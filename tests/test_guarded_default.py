"""``guarded`` (Eigen kernels, singular-safe) and ``auto`` (the default) against independent references.

Every expectation comes from an independent reference: numpy float64 (LAPACK), exact rational
cofactors and Hessians (detgrad.reference, no TF), or central finite differences of numpy's det.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tf_helpers import det_and_gradient, in_mode

import detgrad
from detgrad.conformance import reference
from detgrad.conformance.cases import RANK_N_MINUS_2, SINGULAR_FIRST, SINGULAR_LAST, SINGULAR_MIDDLE, running_product_out_of_range
from detgrad.impls.dispatch import auto, nested_xla
from detgrad.impls.eigen import guarded
from detgrad.impls.poly import closed, tiny
from detgrad.impls.tf_lu import blocklu, lu

RNG = np.random.default_rng(2026)
MODES = ("eager", "graph")


def _regular(shape, dtype="float64"):
    n = shape[-1]
    a = np.eye(n) + RNG.standard_normal(shape) / (2 * np.sqrt(n))
    if np.dtype(dtype).kind == "c":
        a = a + 1j * RNG.standard_normal(shape) / (2 * np.sqrt(n))
    return a.astype(dtype)


def _numpy_grad(a):
    """d det/dA = det·A^{-T} (numpy float64/complex128), for regular a."""
    wide = a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)
    return np.linalg.det(wide)[..., None, None] * np.swapaxes(np.linalg.inv(wide), -1, -2)


def test_auto_is_the_default():
    assert detgrad.DEFAULT_METHOD == "auto"
    a = _regular((3, 5, 5))
    np.testing.assert_allclose(detgrad.det(a).numpy(), np.linalg.det(a), rtol=1e-12)


@pytest.mark.parametrize("method", ["guarded", "auto"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (6, 4, 4), (2, 3, 9, 9), (40, 40)])
def test_regular_value_and_gradient(method, mode, shape):
    a = _regular(shape)
    d, g = det_and_gradient(a, mode, method)
    np.testing.assert_allclose(d, np.linalg.det(a), rtol=1e-11)
    np.testing.assert_allclose(g, _numpy_grad(a), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("mode", ("eager", "graph", "xla"))
def test_auto_float32_and_cotangent(mode):
    a = _regular((3, 5, 5), "float32")
    cot = np.array([2.0, -0.5, 3.0], np.float32)
    d, g = det_and_gradient(a, mode, "auto", tf.constant(cot))
    np.testing.assert_allclose(d, np.linalg.det(a.astype(np.float64)), rtol=1e-5)
    np.testing.assert_allclose(g, cot[:, None, None] * _numpy_grad(a), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("method", ["guarded", "auto"])
@pytest.mark.parametrize("mode", MODES)
def test_mixed_batch_regular_and_exactly_singular(method, mode):
    """Singular members (zero pivot first/middle/last, rank n-2, zero) never reach inv; adjugate gradient."""
    batch = np.stack(
        [_regular((4, 4)), SINGULAR_FIRST, SINGULAR_MIDDLE, SINGULAR_MIDDLE.T, SINGULAR_LAST.T, RANK_N_MINUS_2, np.zeros((4, 4))]
    )
    d, g = det_and_gradient(batch, mode, method)
    np.testing.assert_allclose(d, reference.det(batch), atol=1e-12)
    expected = reference.cofactor(batch)  # exact rationals
    scale = np.maximum(np.abs(expected).max(axis=(-2, -1), keepdims=True), 1.0)
    assert np.all(np.abs(g - expected) <= 1e-12 * scale)
    assert np.all(g[5:] == 0)  # rank <= n-2: exactly 0


@pytest.mark.parametrize("mode", MODES)
def test_guarded_single_singular_matrices(mode):
    for a in ([[0.0]], [[1.0, 2.0], [2.0, 4.0]], np.zeros((3, 3))):
        a = np.array(a)
        d, g = det_and_gradient(a, mode, "guarded")
        assert d == 0
        np.testing.assert_array_equal(g, reference.cofactor(a))


@pytest.mark.parametrize("method", ["guarded", "auto"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype, n, tol", [("complex128", 4, 1e-11), ("complex64", 3, 1e-4), ("complex128", 2, 1e-11)])
def test_complex_gradient_has_tf_convention(method, mode, dtype, n, tol):
    """grad of sum |det|² = 2·det·conj(d det/dA) (∂L/∂Re + i∂L/∂Im), vs numpy."""
    a = _regular((2, n, n), dtype)

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            d = detgrad.det(x, method=method)
            loss = tf.reduce_sum(tf.math.real(d * tf.math.conj(d)))
        return tape.gradient(loss, x)

    g = in_mode(run, mode)(tf.constant(a)).numpy()
    d = np.linalg.det(a.astype(np.complex128))
    expected = 2 * d[:, None, None] * np.conj(_numpy_grad(a))
    np.testing.assert_allclose(g, expected, rtol=tol, atol=tol * np.abs(expected).max())


@pytest.mark.parametrize("method", ["guarded", "auto"])
@pytest.mark.parametrize("mode", MODES)
def test_float32_pivot_product_out_of_range(method, mode):
    a = running_product_out_of_range()
    d, g = det_and_gradient(a, mode, method)
    wide = a.astype(np.float64)
    np.testing.assert_allclose(d, np.linalg.det(wide), rtol=1e-5)
    np.testing.assert_allclose(g, _numpy_grad(wide), rtol=1e-3, atol=1e-4 * np.abs(_numpy_grad(wide)).max())


@pytest.mark.parametrize("method", ["guarded", "auto"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(0, 0), (0, 3, 3), (2, 0, 0), (2, 3, 0, 0)])
def test_empty(method, mode, shape):
    d, g = det_and_gradient(np.zeros(shape), mode, method)
    np.testing.assert_array_equal(d, np.ones(shape[:-2]))
    np.testing.assert_array_equal(g, np.zeros(shape))


def _hvp_reference(a, v):
    return np.einsum("ijkm,km->ij", reference.hessian(a), v)


def _second_order(kind, method, a, v):
    def run(x):
        t = tf.constant(v)
        if kind == "rr":
            with tf.GradientTape() as outer:
                outer.watch(x)
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    d = detgrad.det(x, method=method)
                g = inner.gradient(d, x)
            return outer.gradient(g, x, output_gradients=t)
        if kind == "fr":
            with tf.autodiff.ForwardAccumulator(x, t) as acc:
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    d = detgrad.det(x, method=method)
                g = tape.gradient(d, x)
            return acc.jvp(g)
        with tf.autodiff.ForwardAccumulator(x, t) as outer:
            with tf.autodiff.ForwardAccumulator(x, t) as inner:
                d = detgrad.det(x, method=method)
            first = inner.jvp(d)
        return outer.jvp(first)

    return run


SECOND_ORDER = [
    (kind, which)
    for kind in ("rr", "fr", "ff")
    for which in ("random", "rank n-1", "rank n-2")
    if kind == "ff" or which != "rank n-2"  # rank n-2 rr/fr: the conformance cases cover rank n-1
]


# auto runs guarded in eager/graph at n = 4, so (guarded, eager/graph) + (auto, xla) cover both
@pytest.mark.parametrize("method, mode", [("guarded", "eager"), ("guarded", "graph"), ("auto", "xla")])
@pytest.mark.parametrize("kind, which", SECOND_ORDER)
def test_second_order(method, mode, kind, which):
    a = {"random": _regular((4, 4)), "rank n-1": SINGULAR_MIDDLE, "rank n-2": RANK_N_MINUS_2}[which]
    v = RNG.standard_normal((4, 4))
    out = in_mode(_second_order(kind, method, a, v), mode)(tf.constant(a)).numpy()
    hvp = _hvp_reference(a, v)
    expected = np.sum(hvp * v) if kind == "ff" else hvp
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10 * max(1.0, np.abs(hvp).max()))


def test_forward_over_forward_matches_finite_differences():
    """d²/dt² det(A + tV) by a central difference of numpy's det (independent of the exact Hessian)."""
    a, v = _regular((5, 5)), RNG.standard_normal((5, 5))

    def central(h):
        return (np.linalg.det(a + h * v) - 2 * np.linalg.det(a) + np.linalg.det(a - h * v)) / h**2

    # Richardson: the O(h²) truncation error of one central difference reached 1.7e-5 for some
    # draws of a and v (RNG is module-level, so the draw depends on which tests ran before)
    fd = (4 * central(5e-4) - central(1e-3)) / 3
    for mode in MODES:  # XLA: test_second_order
        out = in_mode(_second_order("ff", "auto", a, v), mode)(tf.constant(a)).numpy()
        np.testing.assert_allclose(out, fd, rtol=1e-5)


@pytest.mark.parametrize("method", ["eigenlu", "inverse", "slogdet"])
def test_tapeless_forward_mode_in_graph_or_complex_is_refused(method):
    a = _regular((4, 4))
    with pytest.raises(detgrad.UnsupportedError, match="no forward mode"):
        tf.function(_second_order("ff", method, a, a))(tf.constant(a))
    c = _regular((3, 3), "complex128")
    with pytest.raises(detgrad.UnsupportedError, match="no forward mode"):
        _second_order("ff", method, c, c)(tf.constant(c))
    _second_order("ff", method, a, a)(tf.constant(a))  # real, eager: right (conformance), allowed


@pytest.mark.parametrize("mode", ("eager", "graph", "xla"))
def test_auto_complex_forward_over_forward(mode):
    a, v = _regular((3, 3), "complex128"), _regular((3, 3), "complex128")
    expected = np.einsum("ijkm,ij,km->", reference.hessian(a), v, v)
    out = in_mode(_second_order("ff", "auto", a, v), mode)(tf.constant(a)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-10)


@pytest.mark.parametrize("mode", MODES)
def test_guarded_slogdet(mode):
    a = _regular((3, 4, 4), "complex128")

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            sign, logabs = detgrad.slogdet(x, method="guarded")
            loss = tf.reduce_sum(logabs) + tf.reduce_sum(tf.math.imag(sign))
        return sign, logabs, tape.gradient(loss, x)

    sign, logabs, g = in_mode(run, mode)(tf.constant(a))
    ref_sign, ref_logabs = np.linalg.slogdet(a)
    np.testing.assert_allclose(sign, ref_sign, rtol=1e-12)
    np.testing.assert_allclose(logabs, ref_logabs, rtol=1e-12)
    inv_h = np.conj(np.swapaxes(np.linalg.inv(a), -1, -2))
    w = 1 + 1j * np.cos(np.angle(ref_sign))  # d/dθ Im(e^{iθ}) = cos θ
    np.testing.assert_allclose(g, w[:, None, None] * inv_h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_guarded_slogdet_singular_is_loud_not_raising(mode):
    a = np.stack([SINGULAR_FIRST, _regular((4, 4))])

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            _, logabs = detgrad.slogdet(x, method="guarded")
        return tape.gradient(logabs, x)

    g = in_mode(run, mode)(tf.constant(a)).numpy()
    assert np.isnan(g[0]).all()
    np.testing.assert_allclose(g[1], np.linalg.inv(a[1]).T, rtol=1e-10)


def test_auto_dispatch_table():
    assert auto.pick(2, 1, "eager") is guarded and auto.pick(64, 64, "eager") is guarded
    assert auto.pick(2, 1 << 20, "eager") is tiny and auto.pick(3, None, "eager") is tiny
    assert auto.pick(2, 1, "graph") is tiny and auto.pick(2, 64, "graph") is tiny and auto.pick(4, 1, "graph") is guarded
    assert auto.pick(3, 1, "graph") is nested_xla and auto.pick(3, 64, "graph") is nested_xla
    assert auto.pick(2, 1024, "graph") is nested_xla and nested_xla._inner(3) is closed and nested_xla._inner(2) is tiny
    assert auto.pick(3, 1, "xla") is closed and auto.pick(2, 1, "xla") is tiny and auto.pick(4, 1, "xla") is blocklu


def test_auto_under_xla_compiles_and_is_right_at_n_64():
    a = _regular((2, 64, 64))
    d, g = det_and_gradient(a, "xla", "auto")
    np.testing.assert_allclose(d, np.linalg.det(a), rtol=1e-10)
    np.testing.assert_allclose(g, _numpy_grad(a), rtol=1e-8, atol=1e-12)


def test_guarded_eager_gradient_is_one_inverse():
    """The eager fast path is det + the five raw backward ops; no complete-pivoting work."""
    a = tf.constant(_regular((4, 4)))
    with tf.GradientTape() as tape:
        tape.watch(a)
        d = guarded.det(a)
    calls = []
    original = lu.lu_factor

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    guarded.lu_factor, saved = spy, guarded.lu_factor
    try:
        tape.gradient(d, a)
    finally:
        guarded.lu_factor = saved
    assert calls == []


@pytest.mark.parametrize("dtype", ["complex128", "float32"])
def test_guarded_graph_large_batch_fused_tail(dtype):
    """B·N² >= guarded.XLA_TAIL_MIN_ELEMENTS: scale and conj-transpose fused by XLA inside the graph."""
    a = _regular((guarded.XLA_TAIL_MIN_ELEMENTS // 16, 4, 4), dtype)
    a[7] = SINGULAR_MIDDLE  # the masked path, at the same size
    d, g = det_and_gradient(a, "graph", "guarded")
    wide = a.astype(np.complex128 if dtype.startswith("complex") else np.float64)
    tol = 1e-10 if dtype == "complex128" else 1e-4
    np.testing.assert_allclose(d, np.linalg.det(wide), rtol=tol, atol=tol)
    regular = np.arange(len(a)) != 7
    np.testing.assert_allclose(g[regular], np.conj(_numpy_grad(wide[regular])), rtol=tol, atol=tol)
    np.testing.assert_allclose(g[7], reference.cofactor(SINGULAR_MIDDLE), atol=tol)


def test_guarded_graph_large_batch_second_order():
    """Reverse over reverse through the fused tail, vs central differences of numpy's gradient."""
    a = _regular((guarded.XLA_TAIL_MIN_ELEMENTS // 9, 3, 3))
    v = RNG.standard_normal(a.shape)
    out = tf.function(_second_order("rr", "guarded", a, v))(tf.constant(a)).numpy()
    h = 1e-5
    fd = (_numpy_grad(a + h * v) - _numpy_grad(a - h * v)) / (2 * h)
    np.testing.assert_allclose(out, fd, rtol=1e-6, atol=1e-7)


def test_graph_singular_branch_is_a_call_tf_does_not_inline():
    """Inlined, the guard's rarely taken branch (lu's factorization loop) slows every graph call."""
    x = tf.TensorSpec((4, 4), tf.float64)
    concrete = guarded._masked_cofactor_conj_call.get_concrete_function(x, tf.TensorSpec((), tf.float64))
    assert concrete.function_def.attr["_noinline"].b


def test_eager_slogdet_first_and_second_order_against_numpy():
    """The eager log-det fast path (one tape record, raw ops) and its fallback for a recording outer tape."""
    rng = np.random.default_rng(11)
    a = np.eye(4) + 0.3 * rng.standard_normal((4, 4))
    x = tf.constant(a)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            _, logabs = detgrad.slogdet(x)
        g = inner.gradient(logabs, x)
        probe = tf.reduce_sum(g * tf.constant(np.arange(16.0).reshape(4, 4)))
    hvp = outer.gradient(probe, x).numpy()
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(g.numpy(), inv.T, rtol=1e-12)
    with tf.GradientTape() as tape:  # no outer tape: the raw-op path
        tape.watch(x)
        _, logabs = detgrad.slogdet(x)
    np.testing.assert_allclose(
        tape.gradient(logabs, x, output_gradients=tf.constant(3.0, tf.float64)).numpy(), 3 * inv.T, rtol=1e-12
    )
    # d/dA <V, A^{-T}> = -A^{-T} V^T A^{-T}
    v = np.arange(16.0).reshape(4, 4)
    np.testing.assert_allclose(hvp, -inv.T @ v.T @ inv.T, rtol=1e-10)


def test_eager_slogdet_singular_is_loud_and_sign_only_gradient_is_zero():
    x = tf.constant([[1.0, 2.0], [2.0, 4.0]], tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        sign, logabs = detgrad.slogdet(x)
    assert sign.numpy() == 0 and logabs.numpy() == -np.inf
    assert np.isnan(tape.gradient(logabs, x).numpy()).all()
    y = tf.constant([[2.0, 1.0], [1.0, 3.0]], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(y)
        sign, _ = detgrad.slogdet(y)
    np.testing.assert_array_equal(tape.gradient(sign, y).numpy(), np.zeros((2, 2)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_guarded_slogdet_forward_mode(mode, dtype):
    """Tangents along V, vs numpy: d log|det| = Re tr(A^{-1}V), d sign = i·sign·Im tr(A^{-1}V) (0 for real A).

    A singular member (zero first pivot) keeps sign 0 and log|det| = -inf, with a non-finite tangent (loud).
    """
    a = np.concatenate([_regular((2, 4, 4), dtype), SINGULAR_FIRST[None].astype(dtype)])
    v = _regular((3, 4, 4), dtype) - np.eye(4)

    def run(x):
        with tf.autodiff.ForwardAccumulator(x, tf.constant(v)) as acc:
            sign, logabs = detgrad.slogdet(x, method="guarded")
        return sign, logabs, acc.jvp(sign), acc.jvp(logabs)

    sign, logabs, d_sign, d_logabs = (t.numpy() for t in in_mode(run, mode)(tf.constant(a)))
    ref_sign, ref_logabs = np.linalg.slogdet(a[:2])
    trace = np.trace(np.linalg.inv(a[:2]) @ v[:2], axis1=-2, axis2=-1)
    np.testing.assert_allclose(sign[:2], ref_sign, rtol=1e-12)
    np.testing.assert_allclose(logabs[:2], ref_logabs, rtol=1e-12)
    np.testing.assert_allclose(d_logabs[:2], trace.real, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d_sign[:2], 1j * ref_sign * trace.imag, rtol=1e-10, atol=1e-12)
    assert sign[2] == 0 and logabs[2] == -np.inf and not np.isfinite(d_logabs[2])


# Written against mutants of impls/eigen/guarded.py that survived `tox -e mutation` (docs/mutation-testing.md).

# Rank 2 (B·C with B 3x2, C 2x3): Eigen's LU of A meets an exact zero pivot (slogdet sign 0), that of A^T
# does not (sign 1): TF's slogdet derivative, which inverts A^H, would give a finite 4.8e16 here.
ZERO_PIVOT_IN_A_ONLY = np.array(
    [
        [2.3333333333333335, -1.0, -2.333333333333333],
        [-0.3333333333333333, -0.3333333333333333, 1.0],
        [1.6666666666666667, -1.6666666666666665, -0.3333333333333333],
    ]
)  # the exact doubles: one ulp elsewhere and the zero pivot moves


def test_guarded_slogdet_forward_mode_is_loud_when_only_a_has_a_zero_pivot():
    x = tf.constant(ZERO_PIVOT_IN_A_ONLY)
    assert tf.linalg.slogdet(x)[0].numpy() == 0 and tf.linalg.slogdet(tf.transpose(x))[0].numpy() != 0
    with tf.autodiff.ForwardAccumulator(x, tf.constant(np.arange(1.0, 10.0).reshape(3, 3))) as acc:
        sign, logabs = detgrad.slogdet(x, method="guarded")
    assert sign.numpy() == 0 and logabs.numpy() == -np.inf and not np.isfinite(acc.jvp(logabs).numpy())


@pytest.mark.parametrize("target", ["det", "logdet"])
@pytest.mark.parametrize("mode", MODES)
def test_guarded_forward_mode_with_two_batch_axes(mode, target):
    a = np.eye(3) + 0.3 * np.random.default_rng(5).standard_normal((2, 4, 3, 3))
    v = np.random.default_rng(6).standard_normal((2, 4, 3, 3))

    def run(x):
        with tf.autodiff.ForwardAccumulator(x, tf.constant(v)) as acc:
            out = detgrad.det(x, method="guarded") if target == "det" else detgrad.slogdet(x, method="guarded")[1]
        return acc.jvp(out)

    trace = np.trace(np.linalg.inv(a) @ v, axis1=-2, axis2=-1)  # d log|det| = tr(A^{-1} V), d det = det · that
    expected = trace if target == "logdet" else np.linalg.det(a) * trace
    np.testing.assert_allclose(in_mode(run, mode)(tf.constant(a)).numpy(), expected, rtol=1e-10)


def _logabs_hvp(a, v):
    inv = np.linalg.inv(a)
    return -inv.T @ v.T @ inv.T  # d/dt A^{-T}(A + tV), A^{-T} the gradient of log|det A|


@pytest.mark.parametrize(
    ("target", "hvp"),
    [(lambda x: detgrad.det(x, method="guarded"), _hvp_reference),
     (lambda x: detgrad.slogdet(x, method="guarded")[1], _logabs_hvp)],
    ids=["det", "logdet"],
)  # fmt: skip
def test_guarded_eager_forward_over_reverse_hessian(target, hvp):
    """ForwardAccumulator over a GradientTape in eager mode, against exact Hessians (det) and -A^{-T} V^T A^{-T} (log|det|)."""
    a = np.eye(4) + 0.3 * np.random.default_rng(12).standard_normal((4, 4))
    v = np.arange(16.0).reshape(4, 4)
    x = tf.constant(a)
    with tf.autodiff.ForwardAccumulator(x, tf.constant(v)) as acc:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = target(x)
        g = tape.gradient(y, x)
    np.testing.assert_allclose(acc.jvp(g).numpy(), hvp(a, v), rtol=1e-10, atol=1e-12)


def test_guarded_forward_mode_when_only_a_h_has_a_zero_pivot():
    """The transpose of the case above: A's LU is clean, A^H's meets the zero pivot, where TF's slogdet
    derivative (it inverts A^H) raises "Input is not invertible"; guarded takes the adjugate path instead."""
    a = ZERO_PIVOT_IN_A_ONLY.T.copy()
    x, v = tf.constant(a), tf.constant(np.arange(1.0, 10.0).reshape(3, 3))
    assert tf.linalg.slogdet(x)[0].numpy() != 0 and tf.linalg.slogdet(tf.transpose(x))[0].numpy() == 0
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        d = detgrad.det(x, method="guarded")
    np.testing.assert_allclose(acc.jvp(d).numpy(), np.sum(np.array(reference.cofactor(a), float) * v.numpy()), rtol=1e-12)
    with tf.autodiff.ForwardAccumulator(x, v) as acc:
        sign, logabs = detgrad.slogdet(x, method="guarded")
    assert sign.numpy() == 1.0 and np.isfinite(logabs.numpy()) and np.isfinite(acc.jvp(logabs).numpy())


@pytest.mark.parametrize("mode", MODES)
def test_guarded_det_gradient_under_vectorized_map(mode):
    """tf.vectorized_map runs guarded's no-cond branch: each member keeps its own gradient, a singular one too."""
    a = np.stack([np.eye(4) + 0.3 * RNG.standard_normal((4, 4)), SINGULAR_MIDDLE, np.diag([2.0, 3.0, 0.5, 1.5])])
    g = np.array([2.0, -1.0, 0.5])

    def one(args):
        m, w = args
        with tf.GradientTape() as tape:
            tape.watch(m)
            d = detgrad.det(m, method="guarded")
        return tape.gradient(d, m, output_gradients=w)

    got = in_mode(lambda x, w: tf.vectorized_map(one, (x, w)), mode)(tf.constant(a), tf.constant(g)).numpy()
    expected = g[:, None, None] * np.stack([np.array(reference.cofactor(m), float) for m in a])
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def _phase_gradient(a: np.ndarray) -> np.ndarray:
    """TF-convention gradient of L = Im(sign det A) for complex A: i·cos(θ)·conj(A^{-T}), θ = arg det A.

    (dL = cos θ · Im tr(A^{-1} dA) = Re Σ conj(G) ⊙ dA for that G.)"""
    theta = np.angle(np.linalg.det(a))
    return 1j * np.cos(theta) * np.conj(np.linalg.inv(a).T)


@pytest.mark.parametrize("mode", MODES)
def test_guarded_complex_phase_gradient_and_its_derivative(mode):
    """Reverse over reverse through the sign of a complex slogdet: the gradient of Im(sign) against its closed
    form, and its derivative along dA against central differences of that closed form (numpy)."""
    rng = np.random.default_rng(11)
    a = np.eye(3) + 0.4 * (rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)))
    w = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    da = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))

    def run(x):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                sign, _ = detgrad.slogdet(x, method="guarded")
                loss = tf.math.imag(sign)
            g = inner.gradient(loss, x)
        return g, outer.gradient(g, x, output_gradients=tf.constant(w))

    g, r = (t.numpy() for t in in_mode(run, mode)(tf.constant(a)))
    np.testing.assert_allclose(g, _phase_gradient(a), rtol=1e-10, atol=1e-12)
    h = 1e-6
    dg = (_phase_gradient(a + h * da) - _phase_gradient(a - h * da)) / (2 * h)
    # the VJP r of g with cotangent w: Re Σ conj(w) ⊙ dg = Re Σ conj(r) ⊙ dA for every direction dA
    np.testing.assert_allclose(np.real(np.sum(np.conj(r) * da)), np.real(np.sum(np.conj(w) * dg)), rtol=1e-6)


def test_guarded_slogdet_of_empty_matrices():
    sign, logabs = detgrad.slogdet(tf.zeros((2, 0, 0), tf.complex128), method="guarded")
    assert sign.dtype == tf.complex128 and logabs.dtype == tf.float64
    np.testing.assert_array_equal(sign.numpy(), [1, 1])
    np.testing.assert_array_equal(logabs.numpy(), [0, 0])


@pytest.mark.parametrize("mode", MODES)
def test_guarded_one_by_one_matrices(mode):
    """n = 1 is the smallest non-empty case (not the empty one): det(a) = a, log|det| = log|a|, gradients 1 and 1/a."""
    a = np.array([[[5.0]], [[-0.5]], [[2.0]]])

    def run(x):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            d = detgrad.det(x, method="guarded")
            sign, logabs = detgrad.slogdet(x, method="guarded")
        return d, sign, logabs, tape.gradient(d, x), tape.gradient(logabs, x)

    d, sign, logabs, gd, gl = (t.numpy() for t in in_mode(run, mode)(tf.constant(a)))
    np.testing.assert_allclose(d, a[:, 0, 0])
    np.testing.assert_allclose(sign, np.sign(a[:, 0, 0]))
    np.testing.assert_allclose(logabs, np.log(np.abs(a[:, 0, 0])))
    np.testing.assert_allclose(gd, np.ones_like(a))
    np.testing.assert_allclose(gl, 1 / a)
