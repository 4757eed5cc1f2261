"""Paired speedups: ratios of cells timed in the same rounds, with a 95 % interval (no TensorFlow).

Cells of one problem measured together (same ``group_id``, run-file schema v2) have one
sample per round, so round r of builtin and round r of a method were timed seconds apart
under the same machine state.  The speedup of a method over builtin is then computed per
round, ``builtin[r] / method[r]``, and reported as the median of those ratios with a
distribution-free interval for that median (:func:`median_interval`).  Cells that were not
measured together (v1 runs, a group split by ``--resume``) get the ratio of the two medians
and a NaN interval.

Columns :func:`add_speedups` adds to the tidy frame:

``speedup``, ``speedup_lo``, ``speedup_hi``                 vs builtin in the same mode
``speedup_best``, ``speedup_best_lo``, ``speedup_best_hi``  vs builtin's fastest mode (the headline)
``speedup_paired``                                         True when ``speedup_best`` came from paired rounds
``builtin_s``, ``builtin_best_s``                          the builtin medians used

A cell leaves the rounds when it has spent its own sampling budget, so two cells of a group
may have different numbers of samples; their ratios use the rounds both took part in
(sample r of each comes from round r).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

SPEEDUP_COLUMNS = ["speedup", "speedup_lo", "speedup_hi", "speedup_best", "speedup_best_lo", "speedup_best_hi"]


def median_interval(x: Any, level: float = 0.95) -> tuple[float, float, float]:
    """``(median, lo, hi)``: the sample median and an order-statistic interval for the true median.

    With m values sorted, ``[x_(l), x_(m+1-l)]`` covers the median with probability
    ``1 - 2 P(B <= l - 1)``, B ~ Binomial(m, 1/2); l is the largest index keeping that
    >= ``level`` (m = 10: l = 2, coverage 97.9 %).  For m <= 5 no pair reaches 95 % and the
    interval is ``[min, max]`` (coverage 1 - 2^(1-m)).  NaN for no values; NaN bounds for one.
    """
    x = np.sort(np.asarray(x, dtype=float))
    x = x[np.isfinite(x)]
    m = len(x)
    if m == 0:
        return (np.nan, np.nan, np.nan)
    med = float(np.median(x))
    if m == 1:
        return (med, np.nan, np.nan)
    j = np.arange(m)
    ok = j[binom.cdf(j, m, 0.5) <= (1.0 - level) / 2.0]
    lo = int(ok.max()) + 1 if len(ok) else 1  # 1-based order statistic
    return (med, float(x[lo - 1]), float(x[m - lo]))


def paired_ratio(num: Any, den: Any, level: float = 0.95) -> tuple[float, float, float]:
    """Median and interval of ``num[r] / den[r]`` over the rounds r both took part in (a common prefix)."""
    r = min(len(num), len(den))
    a, b = np.asarray(num[:r], dtype=float), np.asarray(den[:r], dtype=float)
    if not r:
        return (np.nan, np.nan, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return median_interval(a / b, level)


def _samples(value: Any) -> np.ndarray | None:
    return np.asarray(value, dtype=float) if isinstance(value, (list, tuple, np.ndarray)) and len(value) else None


def add_speedups(df: pd.DataFrame, problem_axes: list[str], baseline: str = "builtin", family: str = "detgrad") -> pd.DataFrame:
    """Add the speedup columns (see the module docstring) to a tidy frame with ``median_s`` set for ok cells."""
    df = df.copy()
    ok = df["status"].eq("ok") & (df["median_s"] > 0)
    t = df["median_s"].where(ok)
    base = df[ok & df["family"].eq(family) & df["method"].eq(baseline)]
    same_mode = base.groupby([*problem_axes, "mode"], dropna=False)["median_s"].min().rename("builtin_s")
    best_mode = base.groupby(problem_axes, dropna=False)["median_s"].min().rename("builtin_best_s")
    df = df.drop(columns=["builtin_s", "builtin_best_s"], errors="ignore")
    df = df.join(same_mode, on=[*problem_axes, "mode"]).join(best_mode, on=problem_axes)
    out = {c: (df["builtin_s"] / t if c == "speedup" else df["builtin_best_s"] / t) for c in ("speedup", "speedup_best")}
    for c in SPEEDUP_COLUMNS[1:3] + SPEEDUP_COLUMNS[4:]:
        out[c] = pd.Series(np.nan, index=df.index)
    paired = pd.Series(False, index=df.index)
    # the builtin cells of each measured group: group_id -> {mode: samples}, and its fastest mode
    groups: dict[str, dict[str, np.ndarray]] = {}
    fastest: dict[str, str] = {}
    gid = df["group_id"] if "group_id" in df.columns else pd.Series(None, index=df.index)
    for i in base.index:
        s = _samples(df.at[i, "samples_s"])
        if s is not None and isinstance(gid[i], str):
            groups.setdefault(gid[i], {})[df.at[i, "mode"]] = s
            f = fastest.get(gid[i])
            if f is None or np.median(s) < np.median(groups[gid[i]][f]):
                fastest[gid[i]] = df.at[i, "mode"]
    for i in df.index[ok]:
        g = groups.get(gid[i]) if isinstance(gid[i], str) else None
        s = _samples(df.at[i, "samples_s"])
        if g is None or s is None:
            continue
        for col, mode in (("speedup", df.at[i, "mode"]), ("speedup_best", fastest[gid[i]])):
            if mode in g:
                out[col][i], out[f"{col}_lo"][i], out[f"{col}_hi"][i] = paired_ratio(g[mode], s)
                paired[i] = paired[i] or col == "speedup_best"
    for c in SPEEDUP_COLUMNS:
        df[c] = out[c]
    df["speedup_paired"] = paired
    return df


def round_index_samples(df: pd.DataFrame) -> pd.Series:
    """Each ok cell's samples divided by its group's per-round speed index (a list per row, or None).

    The index of round r is the median, over the *other* cells of the same ``group_id`` that took
    part in round r, of their time in round r / their own median time: above 1 when the machine
    was slower than usual for the whole group in that round.  Cells with fewer than two other
    cells in their group keep their samples.
    """
    out = pd.Series([s if isinstance(s, list) else None for s in df["samples_s"]], index=df.index, dtype=object)
    if "group_id" not in df.columns:
        return out
    ok = df["status"].eq("ok") & df["group_id"].notna()
    for _, idx in df[ok].groupby("group_id").groups.items():
        rows = [i for i in idx if _samples(df.at[i, "samples_s"]) is not None]
        if len(rows) < 3:
            continue
        m = np.full((len(rows), max(len(df.at[i, "samples_s"]) for i in rows)), np.nan)
        for j, i in enumerate(rows):
            m[j, : len(df.at[i, "samples_s"])] = df.at[i, "samples_s"]
        norm = m / np.nanmedian(m, axis=1, keepdims=True)
        for j, i in enumerate(rows):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # rounds no other cell took part in
                index = np.nanmedian(np.delete(norm, j, axis=0), axis=0)
            r = len(df.at[i, "samples_s"])
            out[i] = list(m[j, :r] / np.where(np.isfinite(index[:r]), index[:r], 1.0))
    return out
