"""The default's cost against the builtin under several TensorFlow versions, one run per version (no TensorFlow).

Each run is one sweep under one TensorFlow.  Inside a run the default and the builtin were
timed side by side in interleaved rounds, so its speedup t(builtin)/t(auto) (with its 95 %
interval, :func:`detgrad.publish.default_cost.default_cost`) is as trustworthy as the run;
lining the runs up then shows how that speedup moves with the TF version.  The builtin's
own time across versions is a comparison *across runs* (other load, other moment) and is
left to ``detgrad compare OLD NEW --mode absolute``, whose interval carries a run-to-run floor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detgrad.catalog import MODES
from detgrad.publish.default_cost import default_cost

PROBLEM = ["mode", "dtype", "target", "n", "batch"]


def version_of(header: dict) -> str:
    """The TensorFlow version a run's header records (``?`` when absent)."""
    return str((header.get("environment") or {}).get("tf_version", "?"))


def speedups_by_version(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tidy frames keyed by TF version -> one row per (version, problem): ``speedup``, ``lo``, ``hi`` (> 1: auto faster)."""
    parts = []
    for version, df in frames.items():
        cost = default_cost(df)
        if cost.empty:
            continue
        speed = {"speedup": 1.0 / cost["ratio"], "lo": 1.0 / cost["ratio_hi"], "hi": 1.0 / cost["ratio_lo"]}
        parts.append(cost[PROBLEM].assign(version=version, **speed))
    if not parts:
        return pd.DataFrame(columns=["version", *PROBLEM, "speedup", "lo", "hi"])
    return pd.concat(parts, ignore_index=True)


def _cell(row: pd.Series) -> str:
    if not np.isfinite(row["speedup"]):
        return "-"
    if np.isfinite(row["lo"]) and np.isfinite(row["hi"]):
        return f"{row['speedup']:.2f}× [{row['lo']:.2f}–{row['hi']:.2f}]"
    return f"{row['speedup']:.2f}×"


def side_by_side(speed: pd.DataFrame, versions: list[str]) -> pd.DataFrame:
    """Problems as rows, one ``TF <version>`` column per version (speedup [interval]); ``-`` where not measured."""
    if speed.empty:
        return pd.DataFrame(columns=PROBLEM)
    text = speed.assign(text=speed.apply(_cell, axis=1))
    wide = text.pivot_table(index=PROBLEM, columns="version", values="text", aggfunc="first").reset_index()
    wide = wide.rename(columns={v: f"TF {v}" for v in versions})
    for v in versions:
        wide[f"TF {v}"] = wide.get(f"TF {v}", pd.Series("-", index=wide.index)).fillna("-")
    order = {"eager": 0, "graph": 1, "xla": 2}
    wide = wide.sort_values(["mode", "dtype", "n", "batch"], key=lambda c: c.map(order) if c.name == "mode" else c)
    return wide[[*PROBLEM, *[f"TF {v}" for v in versions]]].reset_index(drop=True)


def median_lines(speed: pd.DataFrame, versions: list[str]) -> list[str]:
    """Per mode: the median speedup over the problems measured under every version, version by version."""
    lines = []
    for mode in MODES:
        sub = speed[speed["mode"].eq(mode)]
        if sub.empty:
            continue
        common = sub.groupby(PROBLEM)["version"].nunique()
        keys = set(common[common.eq(len(versions))].index)
        if not keys:
            continue
        rows = sub[[k in keys for k in map(tuple, sub[PROBLEM].to_numpy())]]
        medians = ", ".join(f"TF {v}: {rows.loc[rows['version'].eq(v), 'speedup'].median():.2f}×" for v in versions)
        lines.append(f"- {mode}: median speedup over the {len(keys)} problems measured under every version: {medians}")
    return lines
