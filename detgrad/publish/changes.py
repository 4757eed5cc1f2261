"""Statistics of one cell's change between two runs (no TensorFlow); used by :mod:`detgrad.publish.compare`.

The values compared per side (:func:`side_values`: raw seconds, seconds over the group's
per-round speed index, or over the canary), the choice of mode (:func:`resolve_mode`), the
log median with its bootstrap error and per-round spread (:func:`log_median_se`), the
run-to-run floor (:func:`floor_of`) and the change relative to the other methods of the
same group (:func:`group_centred`).  The reasoning is in :mod:`detgrad.publish.compare`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detgrad.errors import DetgradError
from detgrad.publish.paired import round_index_samples

MODES = ("auto", "relative", "canary", "absolute")
MIN_FLOOR_CELLS = 8
BOOTSTRAP = 2000
SPREAD_SHARE = 1.0  # share of the per-round spread added to a side's error (see detgrad.publish.compare)


def rounds_of(values: object) -> np.ndarray:
    """The finite, positive per-round values of one side of a cell."""
    x = np.asarray(values if isinstance(values, list) else [], dtype=float)
    return x[np.isfinite(x) & (x > 0)]


def side_values(df: pd.DataFrame, mode: str) -> pd.Series:
    """Per cell the per-round values compared: seconds (absolute), seconds / the canary's
    (canary), or seconds / the group's per-round speed index (relative)."""
    if mode == "relative":
        return round_index_samples(df)
    if mode == "canary":
        pairs = zip(df["samples_s"], df["canary_s"], strict=True)
        ratios = [
            list(np.divide(s, c)) if isinstance(s, list) and isinstance(c, list) and len(s) == len(c) else None for s, c in pairs
        ]
        return pd.Series(ratios, index=df.index, dtype=object)
    return df["samples_s"]


def log_median_se(x: np.ndarray, seed: int = 0) -> tuple[float, float, float]:
    """``(log median, its bootstrap standard error, spread)`` of per-round values (fixed seed);
    spread is the IQR of the log values / 1.349 (a standard deviation if they were normal)."""
    if not len(x):
        return (np.nan, np.nan, np.nan)
    idx = np.random.default_rng(seed).integers(0, len(x), size=(BOOTSTRAP, len(x)))
    q25, q75 = np.percentile(np.log(x), [25, 75])
    return float(np.log(np.median(x))), float(np.std(np.log(np.median(x[idx], axis=1)))), float((q75 - q25) / 1.349)


def has_canary(df: pd.DataFrame) -> bool:
    """True when every ok cell with samples has a canary aligned with them (schema v2)."""
    ok = df[df["status"].eq("ok")]
    return bool(len(ok)) and all(
        isinstance(c, list) and isinstance(s, list) and len(c) == len(s) > 0
        for s, c in zip(ok["samples_s"], ok["canary_s"], strict=True)
    )


def floor_of(d: np.ndarray, se_within: np.ndarray) -> tuple[float, int]:
    """Run-to-run floor (log scale) from the log changes of matched cells; see the module docstring."""
    good = np.isfinite(d) & np.isfinite(se_within)
    if good.sum() < MIN_FLOOR_CELLS:
        return 0.0, int(good.sum())
    mad = 1.4826 * float(np.median(np.abs(d[good] - np.median(d[good]))))
    return float(np.sqrt(max(0.0, mad**2 - float(np.median(se_within[good] ** 2))))), int(good.sum())


def _paired_run(df: pd.DataFrame) -> bool:
    """True when the ok cells were timed in groups (run-file schema v2: a ``group_id`` each)."""
    ok = df[df["status"].eq("ok")]
    return "group_id" in df.columns and bool(len(ok)) and bool(ok["group_id"].notna().all())


def resolve_mode(base: pd.DataFrame, new: pd.DataFrame, mode: str, by: str | None) -> str:
    """``relative``, ``canary`` or ``absolute`` for ``mode`` (auto: relative when both runs are paired)."""
    if mode not in MODES:
        raise DetgradError(f"unknown --mode {mode!r}; valid: {', '.join(MODES)}")
    paired = by is None and _paired_run(base) and _paired_run(new)
    canary = by is None and all("canary_s" in df.columns and has_canary(df) for df in (base, new))
    if (mode == "relative" and not paired) or (mode == "canary" and not canary):
        why = "--by device compares two devices" if by == "device" else "a run was not timed in rounds (a schema-v1 run?)"
        raise DetgradError(f"--mode {mode} needs both runs timed in paired rounds, but {why}; use --mode absolute")
    if mode == "auto":
        return "relative" if paired else "absolute"
    return mode


def group_centred(merged: pd.DataFrame, d: np.ndarray) -> np.ndarray:
    """Each cell's log change ``d`` minus the median of the other cells' of its problem (NaN with fewer than 2 others)."""
    keys = merged["key"] if "key" in merged.columns else pd.Series(None, index=merged.index)
    group = pd.Series([k.split("/", 3)[3] if isinstance(k, str) and k.count("/") >= 3 else None for k in keys])
    d = np.asarray(d, dtype=float)
    out = np.full(len(d), np.nan)
    for _, idx in group.groupby(group, dropna=True).groups.items():
        members = [i for i in idx if np.isfinite(d[i])]
        for i in members:
            others = [d[j] for j in members if j != i]
            if len(others) >= 2:
                out[i] = d[i] - float(np.median(others))
    return out
