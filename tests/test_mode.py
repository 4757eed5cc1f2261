"""Pin the private TF helpers behind detgrad.impls.mode: a TF release that changes them fails here.

auto picks its method by execution mode, and guarded/lu/eigenlu pick their forward-mode path by
whether an accumulator or a tape watches the input; a wrong answer from these helpers would send
a call down a path that raises (Eigen ops under XLA) or is silently wrong (forward mode).
"""

from __future__ import annotations

import tensorflow as tf

from detgrad.impls.mode import backprop_recording, execution_mode, forward_mode_active


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
