"""Time charts from the tidy frame: time per call vs n and time per matrix vs batch size.

Lines per method with IQR bands; cells without a measurement are listed under their panel.  :func:`select`
picks one mode (or each method's fastest) and the main condition number.
Never imports TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from detgrad.publish.aggregate import best_modes, main_condition
from detgrad.publish.charts import style as look


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


def _draw_series(ax, panel: pd.DataFrame, x: str, y: str, band: bool) -> tuple[set[str], pd.DataFrame]:
    """Lines (with IQR band) for every series in ``panel``, broken at sizes the series did not measure;
    returns the series drawn and the non-ok cells."""
    seen = set()
    grid = panel[x].dropna().unique()
    for s in look.series_order(panel["series"]):
        rows = panel[panel["series"].eq(s)].sort_values(x)
        ok = rows[rows["status"].eq("ok") & rows[y].notna()]
        if len(ok):
            look.plot_measured(ax, ok[x], ok[y], grid, **look.style(s))
            if band and y == "median_s":
                lo, hi = _quartiles(ok)
                for run in look.measured_runs(list(ok[x]), grid):
                    xs = ok[x].to_numpy()[run]
                    ax.fill_between(xs, lo[run], hi[run], color=look.style(s)["color"], alpha=0.18, linewidth=0)
            seen.add(s)
    return seen, panel[~panel["status"].eq("ok")]


def _time_grid(sub: pd.DataFrame, by: str, columns: list, x: str, y: str, title: str, labels: tuple[str, str]) -> Figure:
    """Rows device x one column per value of ``by``: lines of ``y`` vs ``x`` per method (IQR band for median_s).

    Cells without a measurement (unsupported, failed) are listed under their panel.
    """
    devices = sorted(sub["device_label"].unique())
    fig, axes = look.subplots(max(len(devices), 1), max(len(columns), 1), sharex=True)
    seen = set()
    for r, dev in enumerate(devices):
        for c, value in enumerate(columns):
            ax = axes[r, c]
            panel = sub[sub["device_label"].eq(dev) & sub[by].eq(value)]
            drawn, bad = _draw_series(ax, panel, x, y, band=y == "median_s")
            seen |= drawn
            xlabel, ylabel = labels[0] if r == len(devices) - 1 else "", labels[1] if c == 0 else ""
            look.time_axes(ax, sub[x], title.format(value, dev), xlabel, ylabel)
            look.note_missing(ax, look.missing_lines(bad, x, panel[x], x))
    look.outside_legend(fig, *look.legend_handles(seen), title="method")
    return fig


@look.styled
def time_vs_n(df: pd.DataFrame, mode: str = "best", target: str = "det", batch: int | None = None) -> Figure:
    """Time per call vs n (log-log) per method with IQR bands; columns dtype, rows device.

    ``batch`` defaults to the smallest swept batch; ``mode="best"`` takes each method's fastest mode per point.
    """
    batch = int(df["batch"].min()) if batch is None else batch
    sub, mode_text = select(df, mode, target, batch)
    dtypes = look.ordered(sub["dtype"], look.DTYPE_ORDER)
    fig = _time_grid(sub, "dtype", dtypes, "n", "median_s", "{} · {}", ("matrix size n", "time per call (median)"))
    what = "det(A) + gradient" if target == "det" else "log|det(A)| + gradient"
    return look.finish(fig, f"Time per call of {what} vs n — batch {batch}, {mode_text}; bands: interquartile range")


@look.styled
def time_vs_batch(
    df: pd.DataFrame, mode: str = "best", target: str = "det", dtype: str = "float64", ns: list[int] | None = None
) -> Figure:
    """Time per matrix vs batch size (log-log) per method; columns n (up to four), rows device."""
    sub, mode_text = select(df[df["dtype"].eq(dtype)], mode, target)
    batches_per_n = sub.groupby("n")["batch"].nunique()
    all_n = sorted(int(n) for n, k in batches_per_n.items() if k > 1) or sorted(int(n) for n in batches_per_n.index)
    if ns is None:  # up to four sizes spread over those measured at more than one batch size
        ns = all_n if len(all_n) <= 4 else [all_n[int(round(i))] for i in np.linspace(0, len(all_n) - 1, 4)]
    labels = ("batch size (matrices per call)", "time per matrix (median / batch)")
    fig = _time_grid(sub, "n", ns, "batch", "time_per_matrix_s", "n = {} · {}", labels)
    return look.finish(fig, f"Time per matrix vs batch size — {dtype}, target {target}, {mode_text}; lower is better")
