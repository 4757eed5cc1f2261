"""Timing charts from the tidy frame: time vs n, time vs batch, speedup heatmaps.

More charts (compile time, accuracy, device comparison, loss curve) are in
:mod:`detgrad.charts_more`; the shared style is :mod:`detgrad.charts_style`.
All functions return a matplotlib Figure (Agg); save with
:func:`detgrad.charts_style.save`.  Never imports TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from detgrad.aggregate import best_modes, main_condition
from detgrad.charts_more import DTYPE_ORDER, compile_time, device_speedup, grad_accuracy, loss_curve, ordered
from detgrad.charts_style import (
    finish,
    legend_handles,
    log_int_axis,
    log_time_axis,
    mark_status,
    outside_legend,
    reserve_bottom,
    series_order,
    style,
    styled,
    subplots,
)

__all__ = [
    "time_vs_n", "time_vs_batch", "speedup_heatmap", "compile_time", "grad_accuracy", "device_speedup", "loss_curve", "select",
]  # fmt: skip


def select(df: pd.DataFrame, mode: str, target: str, batch: int | None = None) -> tuple[pd.DataFrame, str]:
    """Cells of one mode (or each method's fastest mode when ``mode == "best"``) and target; returns (frame, mode text)."""
    sub, cond_text = main_condition(df[df["target"].eq(target)])
    if batch is not None:
        sub = sub[sub["batch"].eq(batch)]
    if mode == "best":
        return best_modes(sub), "fastest mode per method" + cond_text
    return sub[sub["mode"].eq(mode)], f"{mode} mode" + cond_text


def _quartiles(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = [], []
    for samples, med, iqr in zip(rows["samples_s"], rows["median_s"], rows["iqr_s"], strict=True):
        if isinstance(samples, list) and len(samples) >= 2:
            q1, q3 = np.percentile(samples, [25, 75])
        else:
            half = 0.0 if pd.isna(iqr) else iqr / 2
            q1, q3 = med - half, med + half
        lo.append(q1)
        hi.append(q3)
    return np.asarray(lo), np.asarray(hi)


def _draw_series(ax, panel: pd.DataFrame, x: str, y: str, band: bool) -> tuple[set[str], set[str]]:
    """Lines (with IQR band) for every series in ``panel``; non-ok cells at the axis edge."""
    seen, statuses, failing = set(), set(), 0
    for s in series_order(panel["series"]):
        rows = panel[panel["series"].eq(s)].sort_values(x)
        ok = rows[rows["status"].eq("ok") & rows[y].notna()]
        if len(ok):
            ax.plot(ok[x], ok[y], **style(s))
            if band and y == "median_s":
                lo, hi = _quartiles(ok)
                ax.fill_between(ok[x], lo, hi, color=style(s)["color"], alpha=0.18, linewidth=0)
            seen.add(s)
        bad = rows[~rows["status"].eq("ok")]
        if len(bad):
            statuses |= mark_status(ax, bad[x], s, bad["status"], edge=0.03 + 0.035 * failing)
            failing += 1
            seen.add(s)
    reserve_bottom(ax, failing > 0)
    return seen, statuses


@styled
def time_vs_n(df: pd.DataFrame, mode: str = "best", target: str = "det", batch: int | None = None) -> Figure:
    """Time per call vs n (log-log) per method with IQR bands; columns dtype, rows device.

    ``batch`` defaults to the smallest swept batch; ``mode="best"`` takes each method's fastest mode per point.
    """
    batch = int(df["batch"].min()) if batch is None else batch
    sub, mode_text = select(df, mode, target, batch)
    dtypes, devices = ordered(sub["dtype"], DTYPE_ORDER), sorted(sub["device_label"].unique())
    fig, axes = subplots(max(len(devices), 1), max(len(dtypes), 1), sharex=True)
    seen, statuses = set(), set()
    for r, dev in enumerate(devices):
        for c, dt in enumerate(dtypes):
            ax = axes[r, c]
            panel = sub[sub["device_label"].eq(dev) & sub["dtype"].eq(dt)]
            s, st = _draw_series(ax, panel, "n", "median_s", band=True)
            seen, statuses = seen | s, statuses | st
            log_int_axis(ax, sub["n"], "x")
            log_time_axis(ax)
            ax.set_title(f"{dt} · {dev}")
            ax.set_xlabel("matrix size n" if r == len(devices) - 1 else "")
            ax.set_ylabel("time per call (median)" if c == 0 else "")
    outside_legend(fig, *legend_handles(seen, statuses), title="method")
    what = "det(A) + gradient" if target == "det" else "log|det(A)| + gradient"
    return finish(fig, f"Time per call of {what} vs n — batch {batch}, {mode_text}; bands: interquartile range")


@styled
def time_vs_batch(
    df: pd.DataFrame, mode: str = "best", target: str = "det", dtype: str = "float64", ns: list[int] | None = None
) -> Figure:
    """Time per matrix vs batch size (log-log) per method; columns n (up to four), rows device."""
    sub, mode_text = select(df[df["dtype"].eq(dtype)], mode, target)
    batches_per_n = sub.groupby("n")["batch"].nunique()
    all_n = sorted(int(n) for n, k in batches_per_n.items() if k > 1) or sorted(int(n) for n in batches_per_n.index)
    if ns is None:  # up to four sizes spread over those measured at more than one batch size
        ns = all_n if len(all_n) <= 4 else [all_n[int(round(i))] for i in np.linspace(0, len(all_n) - 1, 4)]
    devices = sorted(sub["device_label"].unique())
    fig, axes = subplots(max(len(devices), 1), max(len(ns), 1), sharex=True)
    seen, statuses = set(), set()
    for r, dev in enumerate(devices):
        for c, n in enumerate(ns):
            ax = axes[r, c]
            panel = sub[sub["device_label"].eq(dev) & sub["n"].eq(n)]
            s, st = _draw_series(ax, panel, "batch", "time_per_matrix_s", band=False)
            seen, statuses = seen | s, statuses | st
            log_int_axis(ax, sub["batch"], "x")
            log_time_axis(ax)
            ax.set_title(f"n = {n} · {dev}")
            ax.set_xlabel("batch size (matrices per call)" if r == len(devices) - 1 else "")
            ax.set_ylabel("time per matrix (median / batch)" if c == 0 else "")
    outside_legend(fig, *legend_handles(seen, statuses), title="method")
    return finish(fig, f"Time per matrix vs batch size — {dtype}, target {target}, {mode_text}; lower is better")


@styled
def speedup_heatmap(df: pd.DataFrame, device: str, mode: str = "best", target: str = "det", dtype: str = "float64") -> Figure:
    """Speedup over builtin (n rows x batch columns) per method, annotated; non-ok cells grey with their status.

    With ``mode="best"`` both sides use their fastest mode; otherwise both use ``mode``.
    """
    sub, mode_text = select(df[df["dtype"].eq(dtype) & df["device_label"].eq(device)], mode, target)
    col = "speedup_best" if mode == "best" else "speedup"
    methods = [s for s in series_order(sub["series"]) if s != "builtin"]
    ns = sorted(int(n) for n in sub["n"].dropna().unique())
    batches = sorted(int(b) for b in sub["batch"].dropna().unique())
    ncols = min(3, max(len(methods), 1))
    nrows = max(1, math.ceil(len(methods) / ncols))
    fig, axes = subplots(nrows, ncols, width=0.75 * len(batches) + 1.6, height=0.45 * len(ns) + 1.3, layout="constrained")
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
        ax.set_title(m, color=style(m)["color"], fontweight="bold")
        ax.set_xlabel("batch size" if i + ncols >= len(methods) else "")
        ax.set_ylabel("matrix size n" if i % ncols == 0 else "")
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes.flat), shrink=0.8, pad=0.02)
        ticks = [t for t in range(-int(lim), int(lim) + 1)]
        bar.set_ticks(ticks, labels=[f"{2**t}×" if t >= 0 else f"1/{2**-t}×" for t in ticks])
        bar.set_label("speedup over builtin (>1: faster)")
    fig.suptitle(f"Speedup over TF builtin — {dtype}, target {target}, {mode_text}\n{device}", fontsize=11, fontweight="bold")
    fig.supxlabel("grey: measured, not ok (status shown) · –: not in this sweep", fontsize=8, color="0.35")
    return fig


def _grey_cell(x: int, y: int):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor="0.85", edgecolor="white", zorder=0.5)
