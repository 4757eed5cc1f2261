"""The default's speed relative to the builtin, t_builtin / t_auto vs n, one line per TensorFlow version.

Input: :func:`detgrad.publish.versions.speedups_by_version`.  Rows are dtypes (real first),
columns modes; the log axis has parity (1) marked and the per-round 95 % intervals as error
bars.  A line joins only neighbouring sizes of the grid measured under that version.
Never imports TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from detgrad.publish.charts import style as look

VERSION_COLORS = ["#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377"]
VERSION_MARKERS = ["o", "s", "^", "D", "v", "P"]


@look.styled
def speedup_by_version(speed: pd.DataFrame, versions: list[str], target: str = "det", batch: int | None = None) -> Figure:
    """One panel per (dtype, mode); in each, the default's speedup over the builtin vs n for every TF version."""
    sub = speed[speed["target"].eq(target)]
    batch = int(sub["batch"].min()) if batch is None and len(sub) else batch
    sub = sub[sub["batch"].eq(batch)]
    modes = look.ordered(sub["mode"], look.MODE_ORDER) or ["graph"]
    dtypes = look.ordered(sub["dtype"], look.DTYPE_ORDER) or ["float64"]
    fig, axes = look.subplots(len(dtypes), len(modes), sharex=True, sharey=True)
    grid = sorted(sub["n"].unique())
    finite = sub[["lo", "speedup", "hi"]].to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    lo = min(0.5, float(finite.min()) / 1.3) if finite.size else 0.5
    hi = max(2.0, float(finite.max()) * 1.3) if finite.size else 2.0
    y_lo, y_hi = 2.0 ** np.floor(np.log2(lo)), 2.0 ** np.ceil(np.log2(hi))
    for r, dtype in enumerate(dtypes):
        for c, mode in enumerate(modes):
            ax = axes[r, c]
            panel = sub[sub["dtype"].eq(dtype) & sub["mode"].eq(mode)]
            for i, version in enumerate(versions):
                rows = panel[panel["version"].eq(version)].sort_values("n")
                kw = {"color": VERSION_COLORS[i % len(VERSION_COLORS)], "marker": VERSION_MARKERS[i % len(VERSION_MARKERS)]}
                look.plot_measured(ax, rows["n"], rows["speedup"], grid, linewidth=1.6, **kw)
                look.interval_bars(ax, rows["n"], rows["speedup"], rows["lo"], rows["hi"], kw["color"])
            look.ratio_axis(ax, y_lo, y_hi)
            look.log_int_axis(ax, grid, "x")
            vs = "builtin's fastest mode" if mode == "xla" else f"builtin, {mode}"
            ax.set_title(f"{dtype} · {mode} (vs {vs})")
            ax.set_xlabel("matrix size n" if r == len(dtypes) - 1 else "")
            ax.set_ylabel("auto's speed vs builtin (×)" if c == 0 else "")
    handles = [
        Line2D([], [], color=VERSION_COLORS[i % len(VERSION_COLORS)], marker=VERSION_MARKERS[i % len(VERSION_MARKERS)])
        for i in range(len(versions))
    ]
    look.outside_legend(fig, handles, [f"TF {v}" for v in versions], title="TensorFlow")
    what = "det(A) + gradient" if target == "det" else "log|det(A)| + gradient"
    title = f"auto vs TF's builtin per TensorFlow version, {what}, batch {batch}: t_builtin / t_auto (> 1: faster)"
    return look.finish(fig, title)
