"""Loss-curve chart: training loss per optimisation step for each method (the seed problem)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from detgrad.publish.charts import style as look


@look.styled
def loss_curve(losses: Mapping[str, Sequence[float]], title: str = "Training loss per method", ylabel: str = "loss") -> Figure:
    """Loss per optimisation step for each method (a dict ``method -> list of losses``); log y when the
    losses are positive and span more than a decade.

    Methods that agree draw one curve over another, so each method's markers sit at steps of their own
    (method ``i`` of ``k`` at steps ``i, i + k, ...``, about ten per curve): every method stays visible and
    tells itself apart by colour and marker even where the curves coincide.
    """
    fig, axes = look.subplots(1, 1, width=5.5, height=3.4)
    ax = axes[0, 0]
    finite = [v for vals in losses.values() for v in vals if np.isfinite(v)]
    # log y when the losses are positive and span more than a decade (else 3.8×10⁻¹-style labels, no gain)
    log_y = bool(finite) and min(finite) > 0 and max(finite) > 10 * min(finite)
    names = look.series_order(losses)
    steps = max((len(v) for v in losses.values()), default=1)
    every = max(len(names), steps // 10, 1)
    for i, s in enumerate(names):
        vals = np.asarray(losses[s], dtype=float)
        kw = look.style(s)
        ax.plot(np.arange(len(vals)), vals, color=kw["color"], linestyle=kw["linestyle"], label=s, linewidth=1.2,
                marker=kw["marker"], markevery=(i * every // len(names), every), markersize=7,
                zorder=2 + i / len(names))  # fmt: skip
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel(ylabel + (" (log scale)" if log_y else ""))
    look.outside_legend(fig, *ax.get_legend_handles_labels(), title="method")
    return look.finish(fig, title)
