"""More charts: XLA compile time, gradient accuracy vs condition number, device comparison, loss curves.

Same conventions as :mod:`detgrad.charts`: each returns a Figure in the shared
style; unsupported/failed cells appear at the axis edge.  Never imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from detgrad.aggregate import main_condition
from detgrad.charts_style import (
    MODE_LINESTYLE,
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

DTYPE_ORDER = ["float32", "float64", "complex64", "complex128"]
MODE_ORDER = ["eager", "graph", "xla"]
UNIT_ROUNDOFF = {"float32": 2.0**-24, "complex64": 2.0**-24, "float64": 2.0**-53, "complex128": 2.0**-53}


def ordered(values: Iterable[str], order: Sequence[str]) -> list[str]:
    """Unique ``values`` in ``order`` first, unknown ones after, alphabetically."""
    vals = {v for v in values if isinstance(v, str)}
    return [v for v in order if v in vals] + sorted(vals - set(order))


@styled
def compile_time(df: pd.DataFrame, target: str = "det", dtype: str = "float64", batch: int | None = None) -> Figure:
    """Tracing + XLA compile time of the first call (``trace_s``) vs n; columns compile mode, rows device."""
    sub, _ = main_condition(df[df["target"].eq(target) & df["dtype"].eq(dtype) & ~df["mode"].eq("eager")])
    batch = int(sub["batch"].min()) if batch is None and len(sub) else batch
    sub = sub[sub["batch"].eq(batch)]
    modes = ordered(sub.loc[sub["trace_s"].notna() | ~sub["status"].eq("ok"), "mode"], MODE_ORDER)
    devices = sorted(sub["device_label"].unique())
    fig, axes = subplots(max(len(devices), 1), max(len(modes), 1))
    seen, statuses = set(), set()
    for r, dev in enumerate(devices):
        for c, mode in enumerate(modes):
            ax = axes[r, c]
            panel = sub[sub["device_label"].eq(dev) & sub["mode"].eq(mode)]
            for i, s in enumerate(series_order(panel["series"])):
                rows = panel[panel["series"].eq(s)].sort_values("n")
                ok = rows[rows["trace_s"].notna()]
                if len(ok):
                    ax.plot(ok["n"], ok["trace_s"], **style(s))
                bad = rows[~rows["status"].eq("ok")]
                statuses |= mark_status(ax, bad["n"], s, bad["status"], edge=0.03 + 0.035 * i)
                seen.add(s)
            reserve_bottom(ax, panel["status"].ne("ok").any())
            log_int_axis(ax, sub["n"], "x")
            log_time_axis(ax)
            ax.set_title(f"{mode} · {dev}")
            ax.set_xlabel("matrix size n" if r == len(devices) - 1 else "")
            ax.set_ylabel("trace + compile time (first call)" if c == 0 else "")
    outside_legend(fig, *legend_handles(seen, statuses), title="method")
    return finish(
        fig, f"One-off tracing / XLA compile time vs n — {dtype}, target {target}, batch {batch}; not in per-call times"
    )


@styled
def grad_accuracy(df: pd.DataFrame, target: str = "det") -> Figure:
    """Relative gradient error vs condition number per method (log-log), columns dtype, rows device.

    The dashed grey line is u·κ (unit roundoff times condition number), the error a backward-stable method can reach.
    Non-finite gradients are drawn at the top edge; unsupported cells are left out (they have no gradient to judge).
    """
    sub = df[df["target"].eq(target) & ~df["status"].isin(["unsupported", "oom", "timeout", "error"])]
    dtypes, devices = ordered(sub["dtype"], DTYPE_ORDER), sorted(sub["device_label"].unique())
    fig, axes = subplots(max(len(devices), 1), max(len(dtypes), 1), sharex=True, sharey=True)
    seen, statuses = set(), set()
    for r, dev in enumerate(devices):
        for c, dt in enumerate(dtypes):
            ax = axes[r, c]
            panel = sub[sub["device_label"].eq(dev) & sub["dtype"].eq(dt) & sub["cond"].notna()]
            for s in series_order(panel["series"]):
                rows = panel[panel["series"].eq(s)]
                good = rows[rows["grad_rel_err"].gt(0) & ~rows["status"].eq("wrong")]
                kw = style(s) | {"linestyle": "none", "alpha": 0.75}
                ax.plot(good["cond"], good["grad_rel_err"], **kw)
                wrong = rows[rows["status"].eq("wrong") & rows["grad_rel_err"].gt(0)]
                ax.plot(wrong["cond"], wrong["grad_rel_err"], color=kw["color"], linestyle="none", marker="x", markersize=7)
                nonfinite = rows[rows["grad_rel_err"].isna() | rows["status"].eq("nonfinite")]
                if len(nonfinite):  # an empty unclipped line would still stretch the layout
                    trans = ax.get_xaxis_transform()
                    ax.plot(nonfinite["cond"], [0.97] * len(nonfinite), transform=trans, color=kw["color"], linestyle="none",
                            marker="x", markersize=7, clip_on=False)  # fmt: skip
                if len(wrong) or len(nonfinite):
                    statuses.add("failed")
                seen.add(s)
            kappa = np.logspace(0, max(np.log10(max(panel["cond"].max(), 10.0)) if len(panel) else 1, 1), 50)
            ax.plot(kappa, UNIT_ROUNDOFF.get(dt, 2.0**-53) * kappa, color="0.5", linestyle="--", linewidth=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{dt} · {dev}")
            ax.set_xlabel("condition number κ(A)" if r == len(devices) - 1 else "")
            ax.set_ylabel("relative gradient error" if c == 0 else "")
    handles, labels = legend_handles(seen)
    for h in handles:
        h.set_linestyle("none")
    handles.append(Line2D([], [], color="0.5", linestyle="--", linewidth=1))
    labels.append("u·κ (unit roundoff × κ)")
    if statuses:
        handles.append(Line2D([], [], color="0.35", linestyle="none", marker="x", markersize=7))
        labels.append("wrong / non-finite (top edge)")
    outside_legend(fig, handles, labels, title="method")
    what = "∇det(A)" if target == "det" else "∇log|det(A)|"
    return finish(fig, f"Accuracy of {what} vs conditioning (all modes and sizes); lower is better")


@styled
def device_speedup(cmp: pd.DataFrame, batch: int | None = None) -> Figure:
    """Speedup of the NEW device over the BASE device per cell vs n, from :func:`detgrad.compare.compare_frames` ``by="device"``.

    Columns dtype; line style = mode; one batch (default: the smallest).  Pairs where either side failed sit at the axis edge.
    """
    sub = cmp[cmp["base_status"].notna() & cmp["new_status"].notna()]  # cells present on both devices
    batch = int(sub["batch"].min()) if batch is None and len(sub) else batch
    sub = sub[sub["batch"].eq(batch)]
    dtypes = ordered(sub["dtype"], DTYPE_ORDER)
    fig, axes = subplots(1, max(len(dtypes), 1), sharey=True)
    seen, statuses, modes = set(), set(), set()
    for c, dt in enumerate(dtypes):
        ax = axes[0, c]
        panel = sub[sub["dtype"].eq(dt)]
        for i, s in enumerate(series_order(panel["series"])):
            for mode in ordered(panel["mode"], MODE_ORDER):
                rows = panel[panel["series"].eq(s) & panel["mode"].eq(mode)].sort_values("n")
                ok = rows[rows["speedup"].gt(0)]
                if len(ok):
                    ax.plot(ok["n"], ok["speedup"], **(style(s) | {"linestyle": MODE_LINESTYLE.get(mode, "-")}))
                    modes.add(mode)
                bad = rows[~rows["speedup"].gt(0)]
                why = bad["new_status"].where(bad["new_status"].ne("ok"), bad["base_status"])
                statuses |= mark_status(ax, bad["n"], s, why, edge=0.03 + 0.035 * i)
                seen.add(s)
        ax.axhline(1.0, color="0.4", linewidth=1)
        log_int_axis(ax, sub["n"], "x")
        ax.set_yscale("log", base=2)
        ax.yaxis.set_major_formatter(lambda v, _p: f"{v:g}×")
        ax.set_title(dt)
        ax.set_xlabel("matrix size n")
        ax.set_ylabel("speedup (BASE time / NEW time)" if c == 0 else "")
    handles, labels = legend_handles(seen, statuses)
    for mode in ordered(modes, MODE_ORDER):
        handles.append(Line2D([], [], color="0.3", linestyle=MODE_LINESTYLE.get(mode, "-")))
        labels.append(f"{mode} mode")
    outside_legend(fig, handles, labels, title="method")
    base = ", ".join(sub["base_device"].dropna().unique()) or "BASE"
    new = ", ".join(sub["new_device"].dropna().unique()) or "NEW"
    return finish(fig, f"Speedup of {new} over {base} — batch {batch}; above 1: NEW is faster")


@styled
def loss_curve(losses: Mapping[str, Sequence[float]], title: str = "Training loss per method", ylabel: str = "loss") -> Figure:
    """Loss per optimisation step for each method (a dict ``method -> list of losses``); log y when all losses are positive."""
    fig, axes = subplots(1, 1, width=5.5, height=3.4)
    ax = axes[0, 0]
    positive = all(v > 0 for vals in losses.values() for v in vals if np.isfinite(v))
    for s in series_order(losses):
        vals = np.asarray(losses[s], dtype=float)
        kw = style(s)
        ax.plot(np.arange(len(vals)), vals, color=kw["color"], linestyle=kw["linestyle"], label=s,
                marker=kw["marker"], markevery=max(1, len(vals) // 10))  # fmt: skip
    if positive:
        ax.set_yscale("log")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel(ylabel + (" (log scale)" if positive else ""))
    outside_legend(fig, *ax.get_legend_handles_labels(), title="method")
    return finish(fig, title)
