"""Compare two sets of cells: regressions between runs, or one device against another.

``compare_frames(base, new)`` matches cells by their key and reports, per cell, the change
``new / base - 1`` of its time with a 95 % interval that accounts for run-to-run variation,
not only for the samples inside one run (which say little about the next run):

1. **Drift correction** (``mode="relative"``, the default when both runs were timed in paired
   rounds, run-file schema v2): each round's time is divided by the group's speed index for
   that round (:func:`detgrad.publish.paired.round_index_samples`: the median over the other
   cells of the group of their time in that round / their usual time), and the cell's change
   is taken beyond the median change of the other methods of its group.  Whatever slowed a
   whole group, for a round or for the whole run, cancels; a change shared by every method
   of a group cancels too (``mode="absolute"`` shows it; the summary gives the median
   absolute change of all cells).  ``mode="canary"`` divides by the canary timed in each round
   instead; in A/A pairs on a loaded 2-core machine it spread the cells' changes 2-3x wider
   than ``relative`` (the 0.2 ms eager matmul is disturbed in its own way), so it is not the
   default.  ``mode="absolute"`` compares raw times (the only choice for v1 runs).
2. **Within-run error**: per side, the standard error of log(median) over rounds (a
   bootstrap with a fixed seed), plus :data:`SPREAD_SHARE` x the per-round spread of log
   times (IQR / 1.349): rounds of one run are not independent evidence about the next run
   (its share of preempted rounds differs).  The share is 1.0: on two A/A pairs of quick-preset
   runs (10 ms sample blocks) 3.3 % and 4.3 % of the ok cells fell outside their 95 %
   interval with 1.0, 6.5 % and 6.9 % with 0.7 (which three A/A pairs with 1 ms blocks had
   suggested), and an injected 20 % slowdown of one method still showed in 25-29 of its 36
   cells and in its pooled change (+21 % to +25 %).
3. **Run-to-run floor**: what the cells' log changes spread beyond those errors, estimated
   robustly from this comparison: ``s_floor^2 = max(0, (1.4826 MAD)^2 - median(u^2))`` over
   all matched ok cells, u the error of step 2 (MAD of log changes about their median; a
   real change in fewer than half the cells does not inflate it).  With fewer than
   :data:`MIN_FLOOR_CELLS` cells it is not estimated (0).

The interval is ``exp(d ± z sqrt(u^2 + s_floor^2)) - 1`` with d the log ratio of the two
medians.  :func:`method_changes` pools the cells of each method: per cell its log change
minus the median log change of the *other* cells of its group (the same problem, timed in
the same rounds: whatever slowed the whole group cancels), then the median over the method's
cells with an order-statistic interval (cells as replicates).  That catches a change every
cell of one method shares but no single cell's interval can prove; a change shared by all
methods of a group is invisible there (see the cells, or ``mode="absolute"``).
``verdict`` is "slower" / "faster" when the interval excludes 0, "not significant"
otherwise.  :func:`regressions` (``--fail-on median:10%``) keeps cells (or methods) whose
lower bound lies above +10 %, and cells that stopped working; for that gate the lower bound
(``gate_lo_pct``) is widened for the number of cells (methods) compared (Bonferroni), so an
A/A pair of 200 cells fails with about ``alpha`` probability, not with 200 chances of 2.5 %.

With ``by="device"`` cells are matched on every axis except the device (and thread count),
times are absolute, there is no floor (the two sides are different machines), and
``speedup`` = BASE time / NEW time says how much faster NEW's device is.  Never imports
TensorFlow.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm

from detgrad.errors import DetgradError
from detgrad.publish.aggregate import CELL_AXES
from detgrad.publish.changes import (
    MIN_FLOOR_CELLS,
    SPREAD_SHARE,
    floor_of,
    group_centred,
    log_median_se,
    resolve_mode,
    rounds_of,
    side_values,
)
from detgrad.publish.paired import median_interval

BY_CHOICES = ("device",)
FAIL_METRICS = ("median",)
MIN_METHOD_CELLS = 6  # fewer cells give no 95 % order-statistic interval for their median


def match_axes(base: pd.DataFrame, new: pd.DataFrame, by: str | None) -> list[str]:
    """Columns that identify the same cell on both sides."""
    if by is None:
        if base["key"].notna().all() and new["key"].notna().all() and len(base) and len(new):
            return ["key"]
        return list(CELL_AXES)
    if by not in BY_CHOICES:
        raise DetgradError(f"unknown --by {by!r}; valid: {', '.join(BY_CHOICES)}")
    return [a for a in CELL_AXES if a not in ("device", "threads")]


def _verdict(row: pd.Series, min_samples: int) -> str:
    bs, ns = row["base_status"], row["new_status"]
    if pd.isna(bs):
        return "only in new"
    if pd.isna(ns):
        return "only in base"
    if bs != "ok" or ns != "ok":
        return f"{ns} (both)" if bs == ns else f"status changed: {bs}→{ns}"
    if min(row["base_rounds"], row["new_rounds"]) < min_samples or pd.isna(row["change_lo_pct"]):
        return "too few samples"
    return _interval_verdict(row["change_lo_pct"], row["change_hi_pct"])


def _side(df: pd.DataFrame, axes: list[str], name: str) -> pd.DataFrame:
    dup = df.duplicated(axes, keep="last")
    if dup.any():
        warnings.warn(f"{name}: {int(dup.sum())} duplicate cells, keeping the last of each", UserWarning, stacklevel=3)
    cols = ["median_s", "values", "status", "device_label", "series"]
    side = df.loc[~dup, [*dict.fromkeys([*axes, *CELL_AXES])] + cols]
    return side.rename(columns={c: f"{name}_{c}" for c in [*cols, *[a for a in CELL_AXES if a not in axes]]})


def compare_frames(
    base: pd.DataFrame,
    new: pd.DataFrame,
    by: str | None = None,
    alpha: float = 0.05,
    min_samples: int = 3,
    mode: str = "auto",
) -> pd.DataFrame:
    """Per matched cell: medians, ``ratio`` = new/base, ``change_pct`` with ``change_lo_pct`` ..
    ``change_hi_pct`` (the 1 - ``alpha`` interval), ``speedup`` = 1/ratio and ``verdict``.

    ``base`` and ``new`` are tidy frames (:func:`detgrad.publish.aggregate.tidy`).  The result's
    ``attrs`` hold ``mode`` (relative/absolute), ``floor`` (the run-to-run floor, log scale)
    and ``floor_cells`` (how many cells it was estimated from).
    """
    used = resolve_mode(base, new, mode, by)
    base, new = base.assign(values=side_values(base, used)), new.assign(values=side_values(new, used))
    axes = match_axes(base, new, by)
    merged = _side(base, axes, "base").merge(_side(new, axes, "new"), on=axes, how="outer")
    for col in ("series", "family", "method", "mode", "target", "n", "batch", "dtype"):
        if col not in merged.columns:
            merged[col] = merged[f"base_{col}"].combine_first(merged[f"new_{col}"])
    ok = merged["base_status"].eq("ok") & merged["new_status"].eq("ok")
    stats = {}
    for side in ("base", "new"):
        x = [rounds_of(v) if good else np.array([]) for v, good in zip(merged[f"{side}_values"], ok, strict=True)]
        merged[f"{side}_rounds"] = [len(v) for v in x]
        stats[side] = np.array([log_median_se(v) if len(v) >= min_samples else (np.nan,) * 3 for v in x]).reshape(-1, 3)
    raw = stats["new"][:, 0] - stats["base"][:, 0]
    centred = group_centred(merged, raw)
    # relative: the change beyond the median change of the other methods of the group (whatever slowed
    # the whole group in one run cancels); cells without two matched neighbours keep their own change
    d = np.where(np.isfinite(centred), centred, raw) if used == "relative" else raw
    b, n = stats["base"], stats["new"]
    se_within = np.sqrt(b[:, 1] ** 2 + n[:, 1] ** 2 + SPREAD_SHARE**2 * (b[:, 2] ** 2 + n[:, 2] ** 2))
    floor, floor_cells = (0.0, 0) if by == "device" else floor_of(d, se_within)
    scale = np.sqrt(se_within**2 + floor**2)
    half = norm.ppf(1.0 - alpha / 2.0) * scale
    family = max(1, int(np.isfinite(d).sum()))  # the --fail-on gate holds for all cells at once (Bonferroni)
    merged["gate_lo_pct"] = 100.0 * (np.exp(d - norm.ppf(1.0 - alpha / family) * scale) - 1.0)
    absolute = (merged["new_median_s"] / merged["base_median_s"]).where(ok)
    merged["ratio"] = absolute
    if used != "absolute":  # the drift-corrected ratio
        merged["ratio"] = pd.Series(np.exp(d), index=merged.index).where(np.isfinite(d), absolute)
    merged["speedup"] = 1.0 / merged["ratio"]
    merged["change_pct"] = 100.0 * (merged["ratio"] - 1.0)
    merged["change_lo_pct"] = 100.0 * (np.exp(d - half) - 1.0)
    merged["change_hi_pct"] = 100.0 * (np.exp(d + half) - 1.0)
    merged["log_change"] = np.where(ok, raw, np.nan)
    merged["group_change"] = centred
    merged["verdict"] = merged.apply(_verdict, axis=1, min_samples=min_samples) if len(merged) else []
    merged["base_device"] = merged["base_device_label"]
    merged["new_device"] = merged["new_device_label"]
    keep = ["series", "family", "method", "mode", "target", "dtype", "n", "batch", "base_device", "new_device",
            "base_median_s", "new_median_s", "ratio", "speedup", "change_pct", "change_lo_pct", "change_hi_pct",
            "gate_lo_pct", "log_change", "group_change", "verdict", "base_status", "new_status", "base_rounds",
            "new_rounds"]  # fmt: skip
    if "key" in merged.columns:
        keep.insert(0, "key")
    out = merged[keep].sort_values(["target", "dtype", "series", "mode", "n", "batch"], na_position="last")
    out = out.reset_index(drop=True)
    drift = float(np.nanmedian(np.log(absolute))) if absolute.notna().any() else np.nan
    out.attrs.update(mode=used, floor=floor, floor_cells=floor_cells, level=1.0 - alpha, drift=drift)
    return out


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
    """Slowdowns whose whole interval lies beyond ``threshold`` (0.10 = +10 %) and cells that stopped working.

    Works on the cells of :func:`compare_frames` and on the methods of :func:`method_changes`."""
    if "base_status" not in cmp.columns:
        return cmp[cmp["verdict"].eq("slower") & (cmp["gate_lo_pct"] > 100.0 * threshold)]
    slower = cmp["verdict"].eq("slower") & (cmp["gate_lo_pct"] > 100.0 * threshold)
    broke = cmp["base_status"].eq("ok") & cmp["new_status"].notna() & ~cmp["new_status"].eq("ok")
    return cmp[slower | broke]


def _interval_verdict(lo: float, hi: float) -> str:
    return "slower" if lo > 0 else "faster" if hi < 0 else "not significant"


def method_changes(cmp: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per method (series): the median over its cells of their change relative to their group, with an interval.

    Columns ``series``, ``cells``, ``change_pct``, ``change_lo_pct``, ``change_hi_pct``, ``verdict``
    ("too few cells" below :data:`MIN_METHOD_CELLS`).
    """
    rows = []
    pooled = cmp[cmp["group_change"].notna()]
    family = max(1, pooled["series"].nunique())
    for series, grp in pooled.groupby("series", sort=True):
        med, lo, hi = median_interval(grp["group_change"], 1.0 - alpha)
        gate = median_interval(grp["group_change"], 1.0 - 2.0 * alpha / family)[1]
        few = len(grp) < MIN_METHOD_CELLS
        verdict = "too few cells" if few else _interval_verdict(lo, hi)
        lo, hi = (np.nan, np.nan) if few else (lo, hi)
        rows.append(dict(series=series, cells=len(grp), change_pct=100 * np.expm1(med), change_lo_pct=100 * np.expm1(lo),
                         change_hi_pct=100 * np.expm1(hi), gate_lo_pct=100 * np.expm1(gate if not few else np.nan),
                         verdict=verdict))  # fmt: skip
    cols = ["series", "cells", "change_pct", "change_lo_pct", "change_hi_pct", "gate_lo_pct", "verdict"]
    return pd.DataFrame(rows, columns=cols)


def summary(cmp: pd.DataFrame) -> str:
    """How many cells were compared and got faster, slower, ...; the mode and run-to-run floor used."""
    counts = cmp["verdict"].map(lambda v: v.split(":")[0]).value_counts()
    parts = [f"{int(c)} {v}" for v, c in counts.items()]
    text = f"{len(cmp)} cells compared: " + ", ".join(parts)
    a = cmp.attrs
    if "mode" in a:
        how = {
            "relative": "each cell's change beyond the median change of the other methods timed in the same rounds",
            "canary": "time relative to the canary timed in the same rounds",
        }.get(a["mode"], "absolute time")
        if a["floor_cells"] < MIN_FLOOR_CELLS:
            floor = "no run-to-run floor (too few cells to estimate it)"
        elif a["floor"] > 0:
            floor = f"run-to-run floor ±{100 * np.expm1(a['floor']):.1f} % (1 s.d.) from {a['floor_cells']} cells"
        else:
            floor = f"no run-to-run floor needed (the rounds' spread covers the changes of {a['floor_cells']} cells)"
        text += f"\n{100 * a['level']:.0f} % intervals of {how}; {floor}"
        if np.isfinite(a.get("drift", np.nan)):
            text += f"; absolute times moved by a median of {100 * np.expm1(a['drift']):+.1f} % over all cells"
    return text


def format_change(c: float, lo: float, hi: float) -> str:
    """``+3.1% [-2.0, +8.5]`` (change and interval in percent); no interval when it is NaN."""
    if pd.isna(c):
        return ""
    return f"{c:+.1f}%" if pd.isna(lo) else f"{c:+.1f}% [{lo:+.1f}, {hi:+.1f}]"


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
        cols = zip(cmp["change_pct"], cmp["change_lo_pct"], cmp["change_hi_pct"], strict=True)
        out[f"change [{100 * cmp.attrs.get('level', 0.95):.0f}% interval]"] = [format_change(c, lo, hi) for c, lo, hi in cols]
    out["verdict"] = cmp["verdict"]
    return out
