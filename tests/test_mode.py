"""Pin the private TF helpers behind detgrad.impls.tf_internals.mode: a TF release that changes them fails here.

auto picks its method by execution mode, and guarded/lu/eigenlu pick their forward-mode path by
whether an accumulator or a tape watches the input; a wrong answer from these helpers would send
a call down a path that raises (Eigen ops under XLA) or is silently wrong (forward mode).
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.impls.tf_internals.mode import backprop_recording, execution_mode, forward_mode_active


def _seen_mode():
    seen = []

    def record(x):
        seen.append(execution_mode())
        return x + 1

    return seen, record


def test_eager():
    assert execution_mode() == "eager"


def test_plain_tf_function_is_graph():
    seen, record = _seen_mode()
    tf.function(record)(tf.constant(1.0))
    assert seen == ["graph"]


def test_jit_compile_is_xla():
    seen, record = _seen_mode()
    tf.function(record, jit_compile=True)(tf.constant(1.0))
    assert seen == ["xla"]


def test_plain_function_called_inside_jit_compile_is_xla():
    seen, record = _seen_mode()
    inner = tf.function(record)

    @tf.function(jit_compile=True)
    def outer(x):
        return inner(x)

    outer(tf.constant(1.0))
    assert seen == ["xla"]


def test_cond_branch_inside_jit_compile_is_xla():
    seen, record = _seen_mode()

    @tf.function(jit_compile=True)
    def outer(x):
        return tf.cond(x > 0, lambda: record(x), lambda: x)

    outer(tf.constant(1.0))
    assert seen == ["xla"]


def test_jit_compile_inside_plain_function_is_xla_and_outer_stays_graph():
    seen, record = _seen_mode()
    inner = tf.function(record, jit_compile=True)

    @tf.function
    def outer(x):
        seen.append(execution_mode())
        return inner(x)

    outer(tf.constant(1.0))
    assert seen == ["graph", "xla"]


def _watchers(x):
    return forward_mode_active(x), backprop_recording(x)


def test_watchers_eager():
    x = tf.constant([1.0, 2.0])
    assert _watchers(x) == (False, False)
    with tf.GradientTape() as tape:
        tape.watch(x)
        assert _watchers(x) == (False, True)
        assert _watchers(tf.constant(3.0)) == (False, False)  # not watched
    with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)):
        assert _watchers(x) == (True, False)
        with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)):
            assert _watchers(x) == (True, False)


def test_watchers_while_tracing():
    seen = []

    @tf.function
    def f(x):
        seen.append(_watchers(x))
        with tf.autodiff.ForwardAccumulator(x, tf.ones_like(x)):
            seen.append(_watchers(x))
            with tf.GradientTape() as tape:
                tape.watch(x)
                seen.append(_watchers(x))
        return x

    f(tf.constant([1.0]))
    assert seen == [(False, False), (True, False), (True, True)]


def test_tape_inside_backward_pass_is_seen():
    """Reverse over reverse: while the inner gradient runs, the outer tape records x."""
    seen = []

    @tf.custom_gradient
    def square(x):
        def grad(g):
            seen.append(backprop_recording(x))
            return 2 * g * x

        return x * x, grad

    x = tf.constant(3.0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = square(x)
        inner.gradient(y, x)
    with tf.GradientTape() as only:
        only.watch(x)
        y = square(x)
    only.gradient(y, x)
    assert seen == [True, False]


def test_raw_ops_are_the_kernels_they_name():
    """Each raw op re-exported for guarded's eager path computes what its name says (a moved or renamed op fails here)."""
    import numpy as np

    from detgrad.impls.tf_internals import raw_ops

    a = tf.constant([[4.0, 3.0], [6.0, 3.0]], tf.float64)
    np.testing.assert_allclose(raw_ops.matrix_determinant(a).numpy(), -6.0)
    sign, logabs = raw_ops.log_matrix_determinant(a)
    assert sign.numpy() == -1.0 and np.isclose(logabs.numpy(), np.log(6.0))
    inv = np.linalg.inv(a.numpy())
    np.testing.assert_allclose(raw_ops.matrix_inverse(a, adjoint=False).numpy(), inv)
    lu, perm = raw_ops.lu(a, output_idx_type=tf.int32)
    assert list(perm.numpy()) == [1, 0] and np.allclose(np.diag(lu.numpy()), [6.0, 1.0])
    upper = tf.constant([[2.0, 1.0], [0.0, 4.0]], tf.float64)
    np.testing.assert_allclose(
        raw_ops.matrix_triangular_solve(upper, tf.eye(2, dtype=tf.float64), lower=False, adjoint=False).numpy(),
        np.linalg.inv(upper.numpy()),
    )
    np.testing.assert_allclose(raw_ops.transpose(a, [1, 0]).numpy(), a.numpy().T)
    c = tf.constant([[1 + 2j]], tf.complex128)
    assert raw_ops.conjugate_transpose(c, [1, 0]).numpy()[0, 0] == 1 - 2j and raw_ops.conj(c).numpy()[0, 0] == 1 - 2j
    assert raw_ops.real(c, Tout=tf.float64).numpy()[0, 0] == 1.0
    assert raw_ops.mul(a, raw_ops.reshape(tf.constant(2.0, tf.float64), [1, 1])).numpy()[1, 0] == 12.0
    assert list(raw_ops.gather_v2(tf.constant([5, 6, 7]), [2, 0], 0).numpy()) == [7, 5]
    set_diag = raw_ops.matrix_set_diag_v3(a, tf.constant([1.0, 1.0], tf.float64), 0, align="RIGHT_LEFT")
    np.testing.assert_allclose(np.diag(set_diag.numpy()), [1.0, 1.0])

    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        with raw_ops.stop_recording():
            y = x * x
        raw_ops.record_operation("Square", [y], [x], lambda g: [g * 7.0])
    assert tape.gradient(y, x).numpy() == 7.0  # the hooked backward, not 2x
    assert raw_ops.NOINLINE == {"_noinline": True}


def test_only_tf_internals_imports_private_tensorflow():
    """TF's private modules are reached through detgrad.impls.tf_internals alone, so a TF upgrade has one place to check."""
    from pathlib import Path

    import detgrad

    root = Path(detgrad.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "tensorflow.python" in p.read_text(encoding="utf-8") and "tf_internals" not in p.parts
    ]
    assert offenders == []
