"""Speedup charts: heatmaps of each method's speedup over TF builtin, and one device over another.

Cells that are not ok are shown with their status (grey heatmap cell, or listed
under the panel), never dropped.  Never imports TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from detgrad.publish.charts import style as look
from detgrad.publish.charts.time_vs_size import select


@look.styled
def speedup_heatmap(df: pd.DataFrame, device: str, mode: str = "best", target: str = "det", dtype: str = "float64") -> Figure:
    """Speedup over builtin (n rows x batch columns) per method, annotated; non-ok cells grey with their status.

    With ``mode="best"`` both sides use their fastest mode; otherwise both use ``mode``.
    """
    sub, mode_text = select(df[df["dtype"].eq(dtype) & df["device_label"].eq(device)], mode, target)
    col = "speedup_best" if mode == "best" else "speedup"
    methods = [s for s in look.series_order(sub["series"]) if s != "builtin"]
    ns = sorted(int(n) for n in sub["n"].dropna().unique())
    batches = sorted(int(b) for b in sub["batch"].dropna().unique())
    ncols = min(3, max(len(methods), 1))
    nrows = max(1, math.ceil(len(methods) / ncols))
    fig, axes = look.subplots(nrows, ncols, width=0.75 * len(batches) + 1.6, height=0.45 * len(ns) + 1.3, layout="constrained")
    vals = sub.loc[sub["series"].isin(methods), col].dropna()
    lim = max(float(np.abs(np.log2(vals[vals > 0])).max()) if len(vals) else 1.0, 1.0)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim)
    image = None
    for i, ax in enumerate(axes.flat):
        if i >= len(methods):
            ax.set_visible(False)
            continue
        m = methods[i]
        grid = np.full((len(ns), len(batches)), np.nan)
        panel = sub[sub["series"].eq(m)]
        ax.set_facecolor("white")
        for row in panel.itertuples(index=False):
            y, x = ns.index(int(row.n)), batches.index(int(row.batch))
            value = getattr(row, col)
            if row.status == "ok" and not pd.isna(value) and value > 0:
                grid[y, x] = np.log2(value)
                text, dark = f"{value:.2g}×", abs(np.log2(value)) > 0.6 * lim
                ax.text(x, y, text, ha="center", va="center", fontsize=7.5, color="white" if dark else "black")
            else:
                label = row.status if row.status != "ok" else "no builtin"
                ax.add_patch(_grey_cell(x, y))
                ax.text(x, y, label, ha="center", va="center", fontsize=6.5, color="0.15", style="italic")
        image = ax.imshow(grid, cmap="PuOr", norm=norm, aspect="auto", origin="lower")
        for x in range(len(batches)):
            for y in range(len(ns)):
                if np.isnan(grid[y, x]) and not ((panel["n"] == ns[y]) & (panel["batch"] == batches[x])).any():
                    ax.text(x, y, "–", ha="center", va="center", fontsize=8, color="0.5")
        ax.set_xticks(range(len(batches)), [str(b) for b in batches])
        ax.set_yticks(range(len(ns)), [str(n) for n in ns])
        ax.grid(False)
        unsafe = "singular_safe" in panel and panel["family"].eq("detgrad").all() and not panel["singular_safe"].eq(True).any()
        ax.set_title(m + (" (not singular-safe)" if unsafe else ""), color=look.text_color(m), fontweight="bold")
        ax.set_xlabel("batch size" if i + ncols >= len(methods) else "")
        ax.set_ylabel("matrix size n" if i % ncols == 0 else "")
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes.flat), shrink=0.8, pad=0.02)
        ticks = [t for t in range(-int(lim), int(lim) + 1)]
        bar.set_ticks(ticks, labels=[f"{2**t}×" if t >= 0 else f"1/{2**-t}×" for t in ticks])
        bar.set_label("speedup over builtin (>1: faster)")
    fig.suptitle(f"Speedup over TF builtin — {dtype}, target {target}, {mode_text}\n{device}", fontsize=11, fontweight="bold")
    fig.supxlabel("grey: no usable measurement (status shown) · –: not in this sweep", fontsize=8, color="0.35")
    return fig


def _grey_cell(x: int, y: int):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor="0.85", edgecolor="white", zorder=0.5)


def _device_ratio_range(values: pd.Series) -> tuple[float, float]:
    """The y range of a device chart: the data's positive ratios with a margin, at least 0.8×-1.25×."""
    ok = values[values.gt(0)]
    lo, hi = (float(ok.min()), float(ok.max())) if len(ok) else (1.0, 1.0)
    return min(lo / 1.1, 0.8), max(hi * 1.1, 1.25)


@look.styled
def device_speedup(cmp: pd.DataFrame, batch: int | None = None) -> Figure:
    """Speedup of the NEW device over the BASE one per cell vs n, from :func:`~detgrad.publish.compare.compare_frames` by device.

    Columns dtype; line style = mode; one batch (default: the smallest).
    Pairs where either side failed are listed under the panel.
    """
    sub = cmp[cmp["base_status"].notna() & cmp["new_status"].notna()]  # cells present on both devices
    batch = int(sub["batch"].min()) if batch is None and len(sub) else batch
    sub = sub[sub["batch"].eq(batch)]
    dtypes = look.ordered(sub["dtype"], look.DTYPE_ORDER)
    fig, axes = look.subplots(1, max(len(dtypes), 1), sharey=True)
    seen, modes = set(), set()
    for c, dt in enumerate(dtypes):
        ax = axes[0, c]
        panel = sub[sub["dtype"].eq(dt)]
        for s in look.series_order(panel["series"]):
            for mode in look.ordered(panel["mode"], look.MODE_ORDER):
                rows = panel[panel["series"].eq(s) & panel["mode"].eq(mode)].sort_values("n")
                ok = rows[rows["speedup"].gt(0)]
                if len(ok):
                    kw = look.style(s) | {"linestyle": look.MODE_LINESTYLE.get(mode, "-")}
                    look.plot_measured(ax, ok["n"], ok["speedup"], sorted(sub["n"].unique()), **kw)
                    modes.add(mode)
                    seen.add(s)
        look.log_int_axis(ax, sub["n"], "x")
        look.ratio_axis(ax, *_device_ratio_range(sub["speedup"]), ticks=look.FINE_RATIO_TICKS)
        ax.set_title(dt)
        ax.set_xlabel("matrix size n")
        ax.set_ylabel("speedup (time on BASE / time on NEW)" if c == 0 else "")
        bad = panel[~panel["speedup"].gt(0)]
        bad = bad.assign(status=bad["new_status"].where(bad["new_status"].ne("ok"), bad["base_status"]))
        look.note_missing(ax, look.missing_lines(bad, "n", panel["n"], "n"))
    handles, labels = look.legend_handles(seen)
    for mode in look.ordered(modes, look.MODE_ORDER):
        handles.append(Line2D([], [], color="0.3", linestyle=look.MODE_LINESTYLE.get(mode, "-")))
        labels.append(f"{mode} mode")
    look.outside_legend(fig, handles, labels, title="method")
    base = ", ".join(sub["base_device"].dropna().unique()) or "BASE"
    new = ", ".join(sub["new_device"].dropna().unique()) or "NEW"
    return look.finish(fig, f"Speedup of {new} (NEW) over {base} (BASE), batch {batch}; above 1×: NEW is faster")
