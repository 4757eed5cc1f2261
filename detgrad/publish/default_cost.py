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

from detgrad.publish.tables import to_markdown

DEFAULT = "auto"
COLUMNS = ["mode", "dtype", "target", "n", "batch", "ratio", "ratio_lo", "ratio_hi"]


def default_cost(df: pd.DataFrame, default: str = DEFAULT) -> pd.DataFrame:
    """One row per measured (mode, problem) of the default: ``ratio`` = t(default)/t(builtin) and its interval."""
    cells = df[df["family"].eq("detgrad") & df["method"].eq(default) & df["status"].eq("ok")]
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
    return ["## What the default costs", "", text, "", to_markdown(summary(cost))]
