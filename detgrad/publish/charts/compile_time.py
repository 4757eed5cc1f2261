"""Compile-time chart: the one-off tracing + XLA compile time of the first call vs n (never part of per-call times)."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from detgrad.publish.aggregate import main_condition
from detgrad.publish.charts import style as look


@look.styled
def compile_time(df: pd.DataFrame, target: str = "det", dtype: str = "float64", batch: int | None = None) -> Figure:
    """Tracing + XLA compile time of the first call (``trace_s``) vs n; columns compile mode, rows device.

    Each panel's time axis reaches a labelled 1-2-5 step at or above its largest compile time
    (e.g. ``20 s`` for 14 s), so the slowest compile can be read off the axis.
    """
    sub, _ = main_condition(df[df["target"].eq(target) & df["dtype"].eq(dtype) & ~df["mode"].eq("eager")])
    batch = int(sub["batch"].min()) if batch is None and len(sub) else batch
    sub = sub[sub["batch"].eq(batch)]
    modes = look.ordered(sub.loc[sub["trace_s"].notna() | ~sub["status"].eq("ok"), "mode"], look.MODE_ORDER)
    devices = sorted(sub["device_label"].unique())
    fig, axes = look.subplots(max(len(devices), 1), max(len(modes), 1))
    seen = set()
    for r, dev in enumerate(devices):
        for c, mode in enumerate(modes):
            ax = axes[r, c]
            panel = sub[sub["device_label"].eq(dev) & sub["mode"].eq(mode)]
            for s in look.series_order(panel["series"]):
                rows = panel[panel["series"].eq(s)].sort_values("n")
                ok = rows[rows["trace_s"].notna()]
                if len(ok):
                    ax.plot(ok["n"], ok["trace_s"], **look.style(s))
                    seen.add(s)
            xlabel = "matrix size n" if r == len(devices) - 1 else ""
            ylabel = "trace + compile time (first call)" if c == 0 else ""
            look.time_axes(ax, sub["n"], f"{mode} · {dev}", xlabel, ylabel, label_top=True)
            bad = panel[~panel["status"].eq("ok") & panel["trace_s"].isna()]
            look.note_missing(ax, look.missing_lines(bad, "n", panel["n"], "n"))
    look.outside_legend(fig, *look.legend_handles(seen), title="method")
    return look.finish(
        fig, f"One-off tracing / XLA compile time vs n — {dtype}, target {target}, batch {batch}; not in per-call times"
    )
