"""Loss-curve chart: training loss per optimisation step for each method (the seed problem)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from detgrad.publish.charts import style as look


@look.styled
def loss_curve(losses: Mapping[str, Sequence[float]], title: str = "Training loss per method", ylabel: str = "loss") -> Figure:
    """Loss per optimisation step for each method (a dict ``method -> list of losses``); log y when all losses are positive."""
    fig, axes = look.subplots(1, 1, width=5.5, height=3.4)
    ax = axes[0, 0]
    positive = all(v > 0 for vals in losses.values() for v in vals if np.isfinite(v))
    for s in look.series_order(losses):
        vals = np.asarray(losses[s], dtype=float)
        kw = look.style(s)
        ax.plot(np.arange(len(vals)), vals, color=kw["color"], linestyle=kw["linestyle"], label=s,
                marker=kw["marker"], markevery=max(1, len(vals) // 10))  # fmt: skip
    if positive:
        ax.set_yscale("log")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel(ylabel + (" (log scale)" if positive else ""))
    look.outside_legend(fig, *ax.get_legend_handles_labels(), title="method")
    return look.finish(fig, title)
