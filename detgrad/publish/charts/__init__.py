"""Charts (matplotlib, Agg) from the tidy frame of :mod:`detgrad.publish.aggregate`, one module per chart kind.

``relative`` (the headline: speed relative to the builtin vs n per mode),
``time_vs_size`` (time per call vs n, per matrix vs batch), ``speedup``
(heatmaps over builtin, device vs device), ``compile_time``, ``accuracy``
(gradient error vs condition number) and ``loss`` (training curves); the
shared look (rc, axes, notes listing cells without a measurement, each
method's colour and marker from :data:`detgrad.publish.methods.LOOKS`) and
:func:`save` (PNG + SVG) are in ``style``.  Every
function returns a Figure; unsupported and failed cells are listed under their
panel (or shown as grey heatmap cells), never drawn where a measurement could be
and never dropped.  Never imports
TensorFlow.
"""

from detgrad.publish.charts.accuracy import condition_dtypes, grad_accuracy
from detgrad.publish.charts.compile_time import compile_time
from detgrad.publish.charts.loss import loss_curve
from detgrad.publish.charts.relative import relative_to_builtin
from detgrad.publish.charts.speedup import device_speedup, speedup_heatmap
from detgrad.publish.charts.style import DTYPE_ORDER, MODE_ORDER, ordered, save
from detgrad.publish.charts.time_vs_size import select, time_vs_batch, time_vs_n

__all__ = [
    "time_vs_n", "time_vs_batch", "speedup_heatmap", "compile_time", "grad_accuracy", "device_speedup", "loss_curve", "select",
    "save", "ordered", "condition_dtypes", "DTYPE_ORDER", "MODE_ORDER", "relative_to_builtin",
]  # fmt: skip
