"""The only place in detgrad that touches TensorFlow's private modules (``tensorflow.python.*``).

* :mod:`.mode`: where code runs (eager, graph, XLA) and which autodiff watches a tensor, decided
  while tracing, with the helpers TF's own ``while_loop`` and ``tf.function`` use;
* :mod:`.raw_ops`: the generated op wrappers and tape hooks ``guarded`` calls in eager mode.

Everything here is pinned by ``tests/test_mode.py``, so a TensorFlow release that moves or changes
one of them fails a test instead of sending a method down the wrong path.  A test checks that no
module outside this package imports ``tensorflow.python``.
"""
