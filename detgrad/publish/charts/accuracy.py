"""Accuracy chart: relative gradient error vs condition number per method, against the u·κ line."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from detgrad.publish.charts import style as look

UNIT_ROUNDOFF = {"float32": 2.0**-24, "complex64": 2.0**-24, "float64": 2.0**-53, "complex128": 2.0**-53}


def condition_dtypes(df: pd.DataFrame, target: str = "det") -> list[str]:
    """The dtypes of ``target`` measured at two or more condition numbers (an accuracy chart needs a κ axis)."""
    sub = df[df["target"].eq(target) & df["cond"].notna()]
    counts = sub.groupby("dtype")["cond"].nunique()
    return look.ordered([d for d, k in counts.items() if k > 1], look.DTYPE_ORDER)


@look.styled
def grad_accuracy(df: pd.DataFrame, target: str = "det") -> Figure:
    """Relative gradient error vs condition number per method (log-log), columns dtype, rows device.

    The dashed grey line is u·κ (unit roundoff times condition number), the error a backward-stable method can reach.
    Only dtypes measured at two or more condition numbers get a panel (see :func:`condition_dtypes`).
    Gradients that failed the check are crosses at their error; non-finite ones are listed under the panel;
    unsupported cells are left out (they have no gradient to judge).
    """
    sub = df[df["target"].eq(target) & ~df["status"].isin(["unsupported", "oom", "timeout", "error"])]
    dtypes, devices = condition_dtypes(df, target), sorted(sub["device_label"].unique())
    fig, axes = look.subplots(max(len(devices), 1), max(len(dtypes), 1), sharex=True, sharey=True)
    seen, statuses = set(), set()
    for r, dev in enumerate(devices):
        for c, dt in enumerate(dtypes):
            ax = axes[r, c]
            panel = sub[sub["device_label"].eq(dev) & sub["dtype"].eq(dt) & sub["cond"].notna()]
            for s in look.series_order(panel["series"]):
                rows = panel[panel["series"].eq(s)]
                good = rows[rows["grad_rel_err"].gt(0) & ~rows["status"].eq("wrong")]
                kw = look.style(s) | {"linestyle": "none", "alpha": 0.75}
                ax.plot(good["cond"], good["grad_rel_err"], **kw)
                wrong = rows[rows["status"].eq("wrong") & rows["grad_rel_err"].gt(0)]
                ax.plot(wrong["cond"], wrong["grad_rel_err"], color=kw["color"], linestyle="none", marker="x", markersize=7)
                if len(wrong):
                    statuses.add("failed")
                seen.add(s)
            kappa = np.logspace(0, max(np.log10(max(panel["cond"].max(), 10.0)) if len(panel) else 1, 1), 50)
            ax.plot(kappa, UNIT_ROUNDOFF.get(dt, 2.0**-53) * kappa, color="0.5", linestyle="--", linewidth=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{dt} · {dev}")
            ax.set_xlabel("condition number κ(A)" if r == len(devices) - 1 else "")
            ax.set_ylabel("relative gradient error" if c == 0 else "")
            nonfinite = panel[panel["grad_rel_err"].isna() | panel["status"].eq("nonfinite")]
            look.note_missing(ax, look.missing_lines(nonfinite.assign(status="no finite gradient"), "cond", panel["cond"], "κ"))
    handles, labels = look.legend_handles(seen)
    for h in handles:
        h.set_linestyle("none")
    handles.append(Line2D([], [], color="0.5", linestyle="--", linewidth=1))
    labels.append("u·κ (unit roundoff × κ)")
    if statuses:
        handles.append(Line2D([], [], color="0.35", linestyle="none", marker="x", markersize=7))
        labels.append("failed the accuracy check")
    look.outside_legend(fig, handles, labels, title="method")
    what = "∇det(A)" if target == "det" else "∇log|det(A)|"
    return look.finish(fig, f"Accuracy of {what} vs conditioning (all modes and sizes); lower is better")
