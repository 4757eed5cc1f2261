"""What the default method costs against TF's builtin, per compile mode (pure pandas, no TensorFlow).

The default (``auto``) is what a user gets from ``detgrad.det(a)``.  For every problem
where both it and TF's builtin were measured and right:

    ratio = t(default) / t(builtin)      (< 1: the default is faster)

eager and graph cells against the builtin in the same mode; XLA cells against the builtin's
fastest mode (the builtin has no XLA kernel).  With paired rounds the ratio is the median of
the per-round ratios and carries its 95 % interval (the inverse of the speedup columns of
:func:`detgrad.publish.aggregate.tidy`).  Problems where the builtin's gradient is wrong
(complex det) have no ratio: there the default is the only right answer of the two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detgrad.catalog import DEFAULT_METHOD
from detgrad.publish.aggregate import main_condition
from detgrad.publish.tables import to_markdown

DEFAULT = DEFAULT_METHOD
COLUMNS = ["mode", "dtype", "target", "n", "batch", "ratio", "ratio_lo", "ratio_hi"]


def default_cost(df: pd.DataFrame, default: str = DEFAULT) -> pd.DataFrame:
    """One row per measured (mode, problem) of the default: ``ratio`` = t(default)/t(builtin) and its interval.

    Where a problem was swept at several condition numbers, only the sweep's main one counts
    (:func:`detgrad.publish.aggregate.main_condition`).
    """
    cells = df[df["family"].eq("detgrad") & df["method"].eq(default) & df["status"].eq("ok")]
    cells, _ = main_condition(cells)  # a cond axis would list one problem once per condition number
    if cells.empty:
        return pd.DataFrame(columns=COLUMNS)
    xla = cells["mode"].eq("xla")
    speed = cells["speedup"].where(~xla, cells["speedup_best"])
    lo = cells.get("speedup_lo", pd.Series(np.nan, index=cells.index)).where(~xla, cells.get("speedup_best_lo"))
    hi = cells.get("speedup_hi", pd.Series(np.nan, index=cells.index)).where(~xla, cells.get("speedup_best_hi"))
    out = cells[["mode", "dtype", "target", "n", "batch"]].copy()
    out["ratio"], out["ratio_lo"], out["ratio_hi"] = 1.0 / speed, 1.0 / hi, 1.0 / lo
    return out[out["ratio"].notna()].sort_values(["mode", "dtype", "target", "n", "batch"]).reset_index(drop=True)


def summary(cost: pd.DataFrame) -> pd.DataFrame:
    """Per (mode, dtype, target): problems, median and 90th percentile of the ratio, and the worst problem."""
    rows = []
    for (mode, dtype, target), grp in cost.groupby(["mode", "dtype", "target"], sort=True):
        worst = grp.loc[grp["ratio"].idxmax()]
        rows.append(
            {
                "mode": mode,
                "dtype": dtype,
                "target": target,
                "problems": len(grp),
                "median": f"{grp['ratio'].median():.2f}",
                "90th percentile": f"{grp['ratio'].quantile(0.9):.2f}",
                "worst (n x batch)": f"{worst['ratio']:.2f} ({int(worst['n'])} x {int(worst['batch'])})",
            }
        )
    return pd.DataFrame(rows)


# The default's speed goals, t(default) / t(builtin) at most this much; None: no bound there.
# n <= 3: at least as fast as the builtin in eager and graph mode.  XLA: the builtin has no XLA
# kernel, so its fastest mode is the yardstick, and the bound holds up to n = 128.
GOALS = {"eager": 1.5, "graph": 1.1, "xla": 2.0}
SMALL_N, SMALL_N_GOAL, XLA_GOAL_MAX_N = 3, 1.0, 128
FULL_TABLE_MAX_ROWS = 60


def goal(mode: str, n: int) -> float | None:
    """The largest t(default) / t(builtin) the default aims for in ``mode`` at size n (None: no bound)."""
    if mode == "xla":
        return GOALS["xla"] if SMALL_N < n <= XLA_GOAL_MAX_N else None
    if n <= SMALL_N:
        return SMALL_N_GOAL
    return GOALS.get(mode)


def against_goals(cost: pd.DataFrame) -> pd.DataFrame:
    """The det rows of :func:`default_cost` that have a goal, with the goal and a verdict."""
    rows = cost[cost["target"].eq("det")].copy()
    rows["goal"] = [goal(m, int(n)) for m, n in zip(rows["mode"], rows["n"], strict=True)]
    rows = rows[rows["goal"].notna()]
    rows["verdict"] = np.where(rows["ratio"] <= rows["goal"], "met", "not met")
    return rows.reset_index(drop=True)


def _goals_table(rows: pd.DataFrame) -> pd.DataFrame:
    def interval(lo, hi):
        return f"[{lo:.2f}, {hi:.2f}]" if np.isfinite(lo) and np.isfinite(hi) else ""

    return pd.DataFrame(
        {
            "mode": rows["mode"],
            "dtype": rows["dtype"],
            "n x batch": [f"{int(n)} x {int(b)}" for n, b in zip(rows["n"], rows["batch"], strict=True)],
            "t(default) / t(builtin)": [
                f"{r:.2f} {interval(lo, hi)}".strip()
                for r, lo, hi in zip(rows["ratio"], rows["ratio_lo"], rows["ratio_hi"], strict=True)
            ],
            "goal": [f"≤ {g:g}" for g in rows["goal"]],
            "verdict": rows["verdict"],
        }
    )


def goals_lines(cost: pd.DataFrame) -> list[str]:
    """Markdown lines: how many problems meet the default's goals, and the table (every row, or the misses)."""
    rows = against_goals(cost)
    if rows.empty:
        return []
    misses = rows[rows["verdict"].eq("not met")]
    shown = rows if len(rows) <= FULL_TABLE_MAX_ROWS else misses
    head = (
        f"Against the default's goals (t(default) / t(builtin) at most {GOALS['eager']:g} in eager mode, "
        f"{GOALS['graph']:g} in a graph, {SMALL_N_GOAL:g} in both for n <= {SMALL_N}, and {GOALS['xla']:g} under XLA "
        f"for {SMALL_N + 1} <= n <= {XLA_GOAL_MAX_N}): {len(rows) - len(misses)} of {len(rows)} "
        "det problems met; the brackets are the 95 % interval of the per-round ratios, so a ratio whose interval "
        "straddles the goal is within this run's noise."
    )
    if shown is misses:
        head += " The problems that miss:" if len(misses) else ""
    lines = ["", head, ""]
    return lines + ([to_markdown(_goals_table(shown)), ""] if len(shown) else [])


def markdown_section(df: pd.DataFrame, default: str = DEFAULT) -> list[str]:
    """The report's section on the default's cost; empty when the run did not measure the default."""
    cost = default_cost(df, default)
    if cost.empty:
        return []
    text = (
        f"`detgrad.det(a)` runs `{default}`.  t({default}) / t(builtin), value + gradient, on every problem where "
        "both were measured and right (< 1: the default is faster); eager and graph against the builtin in the "
        "same mode, XLA against the builtin's fastest mode (it has no XLA kernel).  All rows: `tables/default_cost.csv`."
    )
    return ["## What the default costs", "", text, "", to_markdown(summary(cost)), *goals_lines(cost)]
