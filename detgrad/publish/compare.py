"""Compare two sets of cells: regressions between runs, or one device against another.

``compare_frames(base, new)`` matches cells by their key and reports the ratio
NEW/BASE of median times with a two-sided Mann–Whitney U test on the raw
samples.  A change counts only when ``p < alpha`` and both sides have at least
``min_samples`` samples; everything else is "not significant" or "too few
samples".  With ``by="device"`` cells are matched on every axis except the
device (and thread count), and ``speedup`` = BASE time / NEW time says how much
faster NEW's device is.  Never imports TensorFlow.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from detgrad.errors import DetgradError
from detgrad.publish.aggregate import CELL_AXES

BY_CHOICES = ("device",)
FAIL_METRICS = ("median",)


def match_axes(base: pd.DataFrame, new: pd.DataFrame, by: str | None) -> list[str]:
    """Columns that identify the same cell on both sides."""
    if by is None:
        if base["key"].notna().all() and new["key"].notna().all() and len(base) and len(new):
            return ["key"]
        return list(CELL_AXES)
    if by not in BY_CHOICES:
        raise DetgradError(f"unknown --by {by!r}; valid: {', '.join(BY_CHOICES)}")
    return [a for a in CELL_AXES if a not in ("device", "threads")]


def mwu_p(a: object, b: object, min_samples: int = 3) -> float:
    """Two-sided Mann–Whitney U p-value of two sample lists; NaN when either has fewer than ``min_samples``."""
    a = np.asarray(a if isinstance(a, list) else [], dtype=float)
    b = np.asarray(b if isinstance(b, list) else [], dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < min_samples or len(b) < min_samples:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def _verdict(row: pd.Series, alpha: float) -> str:
    bs, ns = row["base_status"], row["new_status"]
    if pd.isna(bs):
        return "only in new"
    if pd.isna(ns):
        return "only in base"
    if bs != "ok" or ns != "ok":
        return f"{ns} (both)" if bs == ns else f"status changed: {bs}→{ns}"
    if pd.isna(row["p_value"]):
        return "too few samples"
    if row["p_value"] >= alpha:
        return "not significant"
    return "slower" if row["ratio"] > 1 else "faster"


def _side(df: pd.DataFrame, axes: list[str], name: str) -> pd.DataFrame:
    dup = df.duplicated(axes, keep="last")
    if dup.any():
        warnings.warn(f"{name}: {int(dup.sum())} duplicate cells, keeping the last of each", UserWarning, stacklevel=3)
    cols = ["median_s", "samples_s", "status", "device_label", "series"]
    side = df.loc[~dup, [*dict.fromkeys([*axes, *CELL_AXES])] + cols]
    return side.rename(columns={c: f"{name}_{c}" for c in [*cols, *[a for a in CELL_AXES if a not in axes]]})


def compare_frames(
    base: pd.DataFrame, new: pd.DataFrame, by: str | None = None, alpha: float = 0.05, min_samples: int = 3
) -> pd.DataFrame:
    """Per matched cell: base/new median, ``ratio`` = new/base, ``speedup`` = base/new, ``p_value`` and ``verdict``.

    ``base`` and ``new`` are tidy frames (:func:`detgrad.publish.aggregate.tidy`).
    """
    axes = match_axes(base, new, by)
    merged = _side(base, axes, "base").merge(_side(new, axes, "new"), on=axes, how="outer")
    for col in ("series", "family", "method", "mode", "target", "n", "batch", "dtype"):
        if col not in merged.columns:
            merged[col] = merged[f"base_{col}"].combine_first(merged[f"new_{col}"])
    merged["series"] = merged["base_series"].combine_first(merged["new_series"])
    ok = merged["base_status"].eq("ok") & merged["new_status"].eq("ok")
    merged["ratio"] = (merged["new_median_s"] / merged["base_median_s"]).where(ok)
    merged["speedup"] = 1.0 / merged["ratio"]
    merged["change_pct"] = 100.0 * (merged["ratio"] - 1.0)
    merged["p_value"] = [
        mwu_p(a, b, min_samples) if good else float("nan")
        for a, b, good in zip(merged["base_samples_s"], merged["new_samples_s"], ok, strict=True)
    ]
    merged["verdict"] = merged.apply(_verdict, axis=1, alpha=alpha) if len(merged) else []
    merged["base_device"] = merged["base_device_label"]
    merged["new_device"] = merged["new_device_label"]
    keep = ["series", "family", "method", "mode", "target", "dtype", "n", "batch", "base_device", "new_device",
            "base_median_s", "new_median_s", "ratio", "speedup", "change_pct", "p_value", "verdict", "base_status",
            "new_status"]  # fmt: skip
    if "key" in merged.columns:
        keep.insert(0, "key")
    out = merged[keep].sort_values(["target", "dtype", "series", "mode", "n", "batch"], na_position="last")
    return out.reset_index(drop=True)


def parse_fail_on(text: str) -> tuple[str, float]:
    """``"median:10%"`` -> ``("median", 0.10)``; also accepts ``median:0.1``."""
    m = re.fullmatch(r"\s*(\w+)\s*:\s*([0-9]*\.?[0-9]+)\s*(%?)\s*", text or "")
    if not m or m.group(1) not in FAIL_METRICS:
        raise DetgradError(
            f"bad --fail-on {text!r}; expected METRIC:THRESHOLD like 'median:10%' (metrics: {', '.join(FAIL_METRICS)})"
        )
    value = float(m.group(2))
    return m.group(1), value / 100.0 if m.group(3) or value >= 1 else value


def regressions(cmp: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Significant slowdowns beyond ``threshold`` (0.10 = 10 %) and cells that stopped working (ok -> failure)."""
    slower = cmp["verdict"].eq("slower") & (cmp["ratio"] > 1.0 + threshold)
    broke = cmp["base_status"].eq("ok") & cmp["new_status"].notna() & ~cmp["new_status"].eq("ok")
    return cmp[slower | broke]


def summary(cmp: pd.DataFrame) -> str:
    """One line: how many cells were compared and how many got faster, slower, ..."""
    counts = cmp["verdict"].map(lambda v: v.split(":")[0]).value_counts()
    parts = [f"{int(c)} {v}" for v, c in counts.items()]
    return f"{len(cmp)} cells compared: " + ", ".join(parts)


def display(cmp: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Formatted table for the terminal or Markdown."""
    from detgrad.publish.tables import fmt_ratio, fmt_time

    out = pd.DataFrame(
        {
            "method": cmp["series"],
            "mode": cmp["mode"],
            "target": cmp["target"],
            "dtype": cmp["dtype"],
            "n": cmp["n"].astype("Int64"),
            "batch": cmp["batch"].astype("Int64"),
            "base": cmp["base_median_s"].map(fmt_time),
            "new": cmp["new_median_s"].map(fmt_time),
        }
    )
    if by == "device":
        out["speedup (base/new)"] = cmp["speedup"].map(fmt_ratio)
    else:
        out["change"] = cmp["change_pct"].map(lambda c: "" if pd.isna(c) else f"{c:+.1f}%")
    out["p"] = cmp["p_value"].map(lambda p: "" if pd.isna(p) else f"{p:.3g}")
    out["verdict"] = cmp["verdict"]
    return out
