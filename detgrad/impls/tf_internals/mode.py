"""Where the current TF code runs, and which autodiff is watching: decided while tracing.

    execution_mode()          "eager"  ops run one by one (``tf.executing_eagerly()``)
                              "xla"    traced inside ``tf.function(jit_compile=True)``, also in a
                                       plain ``tf.function`` or a ``tf.cond`` branch called from it
                              "graph"  traced inside a plain ``tf.function`` otherwise
    forward_mode_active(x)    a ``tf.autodiff.ForwardAccumulator`` tracks ``x`` (eager, or while
                              tracing a graph with the accumulator inside it)
    backprop_recording(x)     a ``tf.GradientTape`` records operations on ``x`` right now
    inside_vectorized_loop()  being traced as the body of ``tf.vectorized_map`` (pfor's "loop_body")

Each is one call to the helper TF's own code uses for the same decision (TF's ``while_loop``
and ``tf.function`` use them), all private APIs: ``control_flow_util.GraphOrParentsInXlaContext``
walks the graph and its outer graphs for an XLA context, ``forwardprop_util.pack_tangents`` is
how ``tf.function`` finds forward accumulators, ``record.should_record_backprop`` how it finds
tapes.  ``tests/test_mode.py`` pins their behaviour, so a TF release that changes them fails a
test instead of silently sending a method down the wrong path.

A caveat from TF itself: a plain ``tf.function`` traced once is reused from a different context
(TF 2.21 does not key its trace cache on XLA), so a function first traced under ``jit_compile``
and then called from a plain graph keeps its XLA-path code (right, slower), and the reverse fails
loudly (no XLA kernel for the Eigen ops).
"""

from __future__ import annotations

import tensorflow as tf
from tensorflow.python.eager import forwardprop_util, record
from tensorflow.python.framework import ops
from tensorflow.python.ops import control_flow_util

from detgrad.catalog import Mode
from detgrad.errors import UnsupportedError


def execution_mode() -> Mode:
    """``"eager"``, ``"graph"`` or ``"xla"`` for the code running (or being traced) now."""
    if tf.executing_eagerly():
        return "eager"
    if control_flow_util.GraphOrParentsInXlaContext(ops.get_default_graph()):
        return "xla"
    return "graph"


def forward_mode_active(x: tf.Tensor) -> bool:
    """Whether any ``tf.autodiff.ForwardAccumulator`` carries a tangent for ``x``."""
    return bool(forwardprop_util.pack_tangents([x]).tangents)


def backprop_recording(x: tf.Tensor) -> bool:
    """Whether any active ``tf.GradientTape`` records operations on ``x``."""
    return bool(record.should_record_backprop([x]))


def inside_vectorized_loop() -> bool:
    """Whether the code is being traced as the loop body of ``tf.vectorized_map`` / pfor.

    pfor traces the mapped function under the name scope ``loop_body`` and then vectorizes it; a
    ``tf.cond`` whose predicate differs between iterations becomes a dynamic partition and stitch,
    which XLA (TF 2.21) gets wrong (measured: blocklu's zero-pivot fallback, gradient off by 38).
    """
    return not tf.executing_eagerly() and "loop_body" in ops.get_name_scope().split("/")


def refuse_forward_mode(x: tf.Tensor, method: str) -> None:
    """Raise UnsupportedError for forward mode without a tape inside a ``tf.function`` or on complex input.

    Inside a graph TF's accumulator differentiates the forward ops and ignores custom gradients,
    so a method whose forward ops are Eigen kernels gets TF's own det/Lu derivatives (none, or
    wrong at singular and complex input) instead of its own.  For complex input the eager
    results of ``inverse``, ``slogdet`` and ``eigenlu`` are wrong too (measured: first-order JVP
    of ``inverse``, second order of the others).  Better loud than silently wrong.
    """
    if forward_mode_active(x) and not backprop_recording(x) and (execution_mode() != "eager" or x.dtype.is_complex):
        raise UnsupportedError(
            f"method {method!r} has no forward mode (ForwardAccumulator without a tape) inside tf.function "
            "or for complex input; use 'auto', 'lu' or 'guarded'"
        )
