"""The report's "Devices compared" section: every device of a run against the first (pure pandas).

A "device" is a device label (:func:`detgrad.publish.aggregate.device_label`): another machine,
a GPU, or the same CPU with a fixed number of intra-op threads.  Per matched cell the speedup
is t(first device) / t(other device), > 1: the other device is faster; per method and mode the
median over the cells both measured.  The two devices were timed in different stretches of the
run (one worker configuration at a time), so the cells' own spread is the interval and a verdict
within 10 % reads "within noise".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detgrad.publish.compare import compare_frames, display
from detgrad.publish.tables import to_markdown

NOISE_BAND = 0.10  # a median speedup within 10 % of parity is not called a difference


def _verdict(speedup: float) -> str:
    if not np.isfinite(speedup):
        return "-"
    if abs(np.log(speedup)) <= np.log1p(NOISE_BAND):
        return "within noise"
    return "faster" if speedup > 1 else "slower"


def per_method(cmp: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, mode): cells, median speedup (other over first device), its range, verdict."""
    ok = cmp[cmp["speedup"].notna()]
    rows = []
    for (series, mode), grp in ok.groupby(["series", "mode"], sort=True):
        med = float(grp["speedup"].median())
        rows.append(
            {
                "method": series,
                "mode": mode,
                "cells": len(grp),
                "median speedup": f"{med:.2f}×",
                "range": f"{grp['speedup'].min():.2f}–{grp['speedup'].max():.2f}×",
                "verdict": _verdict(med),
            }
        )
    return pd.DataFrame(rows)


def device_tables(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``{"devices_1": every matched cell of the second device against the first, ...}`` (for tables/)."""
    devices = sorted(df["device_label"].dropna().unique())
    base = df[df["device_label"].eq(devices[0])] if devices else df
    out = {}
    for i, dev in enumerate(devices[1:], start=1):
        cmp = compare_frames(base, df[df["device_label"].eq(dev)], by="device")
        out[f"devices_{i}"] = display(cmp[cmp["speedup"].notna()], by="device")
    return out


def markdown_section(df: pd.DataFrame, chart_stems: dict[str, str] | None = None) -> list[str]:
    """Markdown lines; empty when the run has one device.  ``chart_stems`` maps a device to its chart's PNG name;
    every cell's speedup is in ``tables/devices_<i>.csv`` (:func:`device_tables`)."""
    devices = sorted(df["device_label"].dropna().unique())
    if len(devices) < 2:
        return []
    base_label = devices[0]
    base = df[df["device_label"].eq(base_label)]
    compared = {dev: compare_frames(base, df[df["device_label"].eq(dev)], by="device") for dev in devices[1:]}
    if not any(cmp["speedup"].notna().any() for cmp in compared.values()):
        return []  # e.g. runs of different problems on two machines: nothing to set side by side
    lines = [
        "## Devices compared",
        "",
        f"Each device against `{base_label}`: speedup = t({base_label}) / t(device), value + gradient, per cell both "
        f'measured (> 1: the device is faster); per method and mode the median over those cells, "within noise" '
        f"when within {100 * NOISE_BAND:.0f} % of parity (the devices ran in different stretches of the run).",
        "",
    ]
    for i, dev in enumerate(devices[1:], start=1):
        cmp = compared[dev]
        both = cmp[cmp["speedup"].notna()]
        lines += [f"### `{dev}`", ""]
        if both.empty:
            lines += ["No cell was measured on both devices.", ""]
            continue
        if chart_stems and dev in chart_stems:
            lines += [f"![speedup of {dev} over {base_label}](charts/{chart_stems[dev]})", ""]
        lines += [to_markdown(per_method(both)), "", f"Every cell: [tables/devices_{i}.md](tables/devices_{i}.md).", ""]
    return lines
