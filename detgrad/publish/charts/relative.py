"""The headline figure: speed relative to TF's builtin, t_builtin / t, vs n, one panel per mode.

perfplot's "relative" view: the ratio on a log axis with parity (1) marked, the 95 % interval
of the per-round ratio as error bars, singular-safe methods only (what a user may take), the
default drawn thickest.  XLA panels compare with the builtin's fastest mode (it has no XLA
kernel).  Lines join only neighbouring sizes both measured.  Never imports TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from detgrad.catalog import CATALOG, DEFAULT_METHOD, PD_TARGET
from detgrad.publish.aggregate import main_condition
from detgrad.publish.charts import style as look

DEFAULT = DEFAULT_METHOD


def _y_limits(cells: pd.DataFrame) -> tuple[float, float]:
    """Zoomed on the default: from half its slowest point (at most 0.5×) to its fastest and the others' top."""
    main = cells[cells["series"].eq(DEFAULT)]
    low = main["rel_lo"].fillna(main["rel"]) if len(main) else cells["rel"]
    lo = min(0.5, float(low.min()) / 1.5) if len(low) else 0.5
    hi = max(2.0, float(cells["rel_hi"].fillna(cells["rel"]).max()) * 1.3) if len(cells) else 2.0
    return 2.0 ** np.floor(np.log2(lo)), 2.0 ** np.ceil(np.log2(hi))  # powers of 2: the limits are tick labels


def _positive_definite_series(method: str) -> bool:
    """For ``pd_logdet``: the default and the Cholesky family (the LU methods stay in the per-mode charts)."""
    return method == DEFAULT or (method in CATALOG and CATALOG[method].family == "chol")


def relative_cells(df: pd.DataFrame, target: str, batch: int) -> pd.DataFrame:
    """ok cells of singular-safe detgrad methods (builtin excluded) at ``batch`` with ``rel``, ``rel_lo``, ``rel_hi``;
    for ``pd_logdet`` (never singular) the default and the Cholesky family."""
    sub, _ = main_condition(df[df["target"].eq(target) & df["batch"].eq(batch)])
    if target == PD_TARGET:
        safe = sub["method"].map(_positive_definite_series).astype(bool)
    else:
        safe = sub["singular_safe"].eq(True) if "singular_safe" in sub else False
    sub = sub[sub["family"].eq("detgrad") & sub["method"].ne("builtin") & safe & sub["status"].eq("ok")]
    xla = sub["mode"].eq("xla")

    def column(name: str) -> pd.Series:
        same = sub[name] if name in sub else pd.Series(np.nan, index=sub.index)
        best = sub[name.replace("speedup", "speedup_best")] if name.replace("speedup", "speedup_best") in sub else same
        return same.where(~xla, best)

    return sub.assign(rel=column("speedup"), rel_lo=column("speedup_lo"), rel_hi=column("speedup_hi")).dropna(subset=["rel"])


@look.styled
def relative_to_builtin(df: pd.DataFrame, target: str = "det", batch: int | None = None) -> Figure:
    """t_builtin / t vs n (log-log): columns mode, rows dtype (real first); 1 = parity, error bars = 95 % interval."""
    batch = int(df["batch"].min()) if batch is None else batch
    cells = relative_cells(df, target, batch)
    modes = look.ordered(cells["mode"], look.MODE_ORDER) or ["graph"]
    dtypes = look.ordered(cells["dtype"], look.DTYPE_ORDER) or ["float64"]
    fig, axes = look.subplots(len(dtypes), len(modes), sharex=True, sharey=True)
    grid = sorted(df.loc[df["target"].eq(target) & df["batch"].eq(batch), "n"].dropna().unique())
    seen = set()
    y_lo, y_hi = _y_limits(cells)
    for r, dt in enumerate(dtypes):
        for c, mode in enumerate(modes):
            ax = axes[r, c]
            panel = cells[cells["dtype"].eq(dt) & cells["mode"].eq(mode)]
            for s in look.series_order(panel["series"]):
                rows = panel[panel["series"].eq(s)].sort_values("n")
                kw = look.style(s)
                main = s == DEFAULT
                kw.update(linewidth=2.8 if main else 1.2, alpha=1.0 if main else 0.75, zorder=3 if main else 2)
                look.plot_measured(ax, rows["n"], rows["rel"], grid, **kw)
                look.interval_bars(ax, rows["n"], rows["rel"], rows["rel_lo"], rows["rel_hi"], kw["color"], kw["alpha"])
                seen.add(s)
            look.ratio_axis(ax, y_lo, y_hi)
            below = [s for s in look.series_order(panel["series"]) if (panel.loc[panel["series"].eq(s), "rel"] < y_lo).any()]
            if below:
                slower = f"{', '.join(below)}: slower than {look.ratio_label(y_lo)} at some n"
                look.note_missing(ax, [slower], prefix="off the axis")
            look.log_int_axis(ax, grid, "x")
            vs = "builtin's fastest mode" if mode == "xla" else f"builtin, {mode}"
            ax.set_title(f"{dt} · {mode} (vs {vs})")
            ax.set_xlabel("matrix size n" if r == len(dtypes) - 1 else "")
            ax.set_ylabel("speed vs builtin (×, > 1 faster)" if c == 0 else "")
    pd_input = target == PD_TARGET
    look.outside_legend(fig, *look.legend_handles(seen), title="method" if pd_input else "singular-safe method")
    what = {"det": "det(A) + gradient", PD_TARGET: "log det(A) + gradient, A positive definite (builtin: slogdet)"}.get(
        target, "log|det(A)| + gradient"
    )
    return look.finish(fig, f"Speed relative to TF's builtin, {what}, batch {batch}: t_builtin / t (log); bars: 95 % interval")
