"""The end-of-sweep terminal summary: status counts, noise, the top recommendations, where the files are.

At most a screenful (:data:`MAX_LINES`); the full cell table stays in the report
(and behind ``detgrad sweep --table``).  Pure pandas on the tidy frame; never
imports TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from detgrad.publish.aggregate import main_condition
from detgrad.publish.recommend import recommend
from detgrad.publish.tables import fmt_speedup, fmt_time

MAX_LINES = 25
MAX_ROWS = 12  # recommendation rows (dtype x target x batch [x device])
MAX_SIZES = 4  # n columns


def _status_line(df: pd.DataFrame, elapsed_s: float | None) -> str:
    counts = df["status"].value_counts()
    order = ["ok", "unsupported", "wrong", "nonfinite", "error", "oom", "timeout"]
    parts = [f"{int(counts[s])} {s}" for s in order if s in counts] + [
        f"{int(c)} {s}" for s, c in counts.items() if s not in order
    ]
    took = ""
    if elapsed_s is not None:
        took = f" in {int(elapsed_s // 60)}m{int(elapsed_s % 60):02d}s"
    line = f"{len(df)} cells{took}: " + ", ".join(parts)
    measured = df[df["status"].eq("ok") & df["median_s"].notna()]
    if len(measured):
        noisy = int(measured["noisy"].eq(True).sum())
        line += f"; {noisy} of {len(measured)} timings noisy ({noisy / len(measured):.0%})"
        if noisy / len(measured) > 0.2:
            line += "\n(a longer budget_s, --threads N or an idle machine reduce the noise)"
    return line


def _short(label: str) -> str:
    """``CPU:0 @ host`` from a device label ``CPU:0 <hardware> @ host``."""
    return f"{label.split()[0]} @ {label.rsplit('@', 1)[-1].strip()}" if "@" in label else label.split()[0]


def _spread(values: list, k: int) -> list:
    if len(values) <= k:
        return values
    return [values[int(round(i))] for i in np.linspace(0, len(values) - 1, k)]


def _entry(row: pd.Series) -> str:
    if not isinstance(row["best"], str):
        text = "no safe method"
    else:
        speed = fmt_speedup(row["vs_builtin"], row["vs_builtin_lo"], row["vs_builtin_hi"])
        if not speed:
            status = row["builtin_status"]
            speed = f"(builtin {status})" if isinstance(status, str) and status != "ok" else fmt_time(row["best_s"])
        text = f"{row['best']}/{row['best_mode']} {speed}"
    return text + (" *" if isinstance(row["unsafe"], str) else "")


def _problem_lines(rec: pd.DataFrame, max_rows: int, multi_device: bool) -> list[str]:
    """One line per problem (dtype, target, n, batch), at most ``max_rows`` spread over the problems."""
    ordered = rec.sort_values(["device_label", "dtype", "target", "n", "batch"])
    picked = _spread(list(range(len(ordered))), max_rows)
    lines = ["Fastest singular-safe method (method/mode, speedup over TF builtin in its fastest mode):"]
    for i in picked:
        r = ordered.iloc[i]
        where = f" {_short(r['device_label'])}" if multi_device else ""
        lines.append(f"  {r['dtype']} {r['target']} n={int(r['n'])} batch={int(r['batch'])}{where}: {_entry(r)}")
    if len(ordered) > len(picked):
        lines.append(f"  ... {len(ordered) - len(picked)} more problems in the report")
    if rec["unsafe"].notna().any():
        lines.append("  * a faster method exists that is not singular-safe (see the report's recommendations)")
    return lines


def recommendation_lines(df: pd.DataFrame, max_rows: int = MAX_ROWS) -> list[str]:
    """A small aligned table: rows (dtype, target, batch[, device]), columns a few n, cells ``method/mode speedup``."""
    ok = df[df["family"].eq("detgrad")]
    if ok.empty:
        return []
    sub, _ = main_condition(ok)
    threads = sorted(sub["threads"].dropna().unique())
    if len(threads) > 1:
        sub = sub[sub["threads"].eq(threads[0])]
    rec = recommend(sub)
    if rec.empty:
        return ["No recommendation: no method passed the accuracy check."]
    devices = sorted(rec["device_label"].unique())
    group_keys = ["device_label", "dtype", "target"]
    groups = rec.groupby(group_keys, sort=True).ngroups
    lo = rec.groupby(group_keys)["batch"].transform("min")
    hi = rec.groupby(group_keys)["batch"].transform("max")
    two = rec["batch"].nunique() > 1 and 2 * groups <= max_rows  # smallest and largest batch of each group
    full = rec
    rec = rec[rec["batch"].eq(lo) | (rec["batch"].eq(hi) if two else False)]
    shown_batches = sorted(rec["batch"].unique())
    sizes = _spread(sorted(int(n) for n in rec["n"].unique()), MAX_SIZES)
    rows = []
    for (dev, dt, tgt, b), grp in rec.groupby(["device_label", "dtype", "target", "batch"], sort=True):
        label = (
            f"{dt} {tgt}"
            + (f" batch {int(b)}" if len(shown_batches) > 1 else "")
            + (f" {_short(dev)}" if len(devices) > 1 else "")
        )
        by_n = {int(r["n"]): _entry(r) for _, r in grp.iterrows()}
        rows.append([label, *(by_n.get(n, "—") for n in sizes)])
    if any(c == "—" for r in rows for c in r[1:]):  # not a full size x batch grid: one line a problem
        return _problem_lines(full, max_rows, multi_device=len(devices) > 1)
    more = len(rows) - max_rows
    rows = rows[:max_rows]
    head = ["", *(f"n={n}" for n in sizes)]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    batch_text = "" if len(shown_batches) > 1 else f", batch {int(shown_batches[0])}"
    lines = [f"Fastest singular-safe method (method/mode, speedup over TF builtin in its fastest mode{batch_text}):"]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]
    if more > 0:
        lines.append(f"  ... {more} more rows in the report")
    if rec["unsafe"].notna().any():
        lines.append("  * a faster method exists that is not singular-safe (see the report's recommendations)")
    return lines


def sweep_summary(
    df: pd.DataFrame,
    run_path: str | Path,
    report_path: str | Path | None = None,
    elapsed_s: float | None = None,
    html_path: str | Path | None = None,
) -> str:
    """The summary printed when ``detgrad sweep`` ends (at most :data:`MAX_LINES` lines).

    ``html_path``: the one-file HTML copy of the report, named on the report's line.
    """
    lines = [_status_line(df, elapsed_s), ""]
    rec_lines = recommendation_lines(df)
    if rec_lines:
        lines += [*rec_lines, ""]
    lines.append(f"run file: {run_path}")
    if report_path is not None:
        lines.append(f"report:   {report_path}" + (f" (one file to share: {html_path})" if html_path else ""))
    else:
        lines.append(f"report:   not written; detgrad report {run_path} --out DIR (or sweep with --report)")
    return "\n".join(lines[:MAX_LINES])
