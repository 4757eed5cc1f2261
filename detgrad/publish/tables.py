"""Tables from the tidy frame: Markdown, CSV and a coloured terminal table (rich).

Formatting only; the numbers come from :mod:`detgrad.publish.aggregate`.  Colours are
used only when the stream is a TTY and ``NO_COLOR`` is unset.
"""

from __future__ import annotations

import io
import math
import os
import sys
from pathlib import Path
from typing import IO, Any

import pandas as pd
from rich.box import Box

from detgrad.publish.aggregate import PROBLEM_AXES, SECONDARY_AXES, best_modes
from detgrad.publish.methods import series_order

# Only a rule under the header (ASCII, so CI logs read the same as a terminal): rich box rows are
# top, head, head_row, mid, row, foot_row, foot, bottom; each is left, horizontal, divider, right.
_HEADER_RULE = Box("    \n    \n -  \n    \n    \n    \n    \n    \n", ascii=True)
STATUS_COLOR = {  # rich style per status / verdict prefix
    "ok": "green", "unsupported": "dim", "error": "red", "oom": "red", "timeout": "red", "nonfinite": "magenta",
    "wrong": "magenta", "slower": "red", "faster": "green", "same": "dim", "too few samples": "dim",
    "not significant": "dim", "status changed": "magenta", "only in base": "yellow", "only in new": "yellow",
}  # fmt: skip


def use_color(stream: IO[str] | None = None) -> bool:
    """True when ``stream`` (default stdout) is a TTY and ``NO_COLOR`` is not set."""
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and bool(getattr(stream, "isatty", lambda: False)())


def fmt_time(seconds: Any) -> str:
    """``1.23 ms`` style, three significant digits; empty for missing values."""
    if seconds is None or not isinstance(seconds, (int, float)) or math.isnan(seconds):
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if abs(seconds) >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"
    return ""  # pragma: no cover


def fmt_ratio(x: Any, suffix: str = "×") -> str:
    """``2.1×``; empty for missing values."""
    if x is None or not isinstance(x, (int, float)) or math.isnan(x):
        return ""
    return f"{x:.3g}{suffix}"


def fmt_num(x: Any, digits: int = 3) -> str:
    """Generic number with ``digits`` significant digits."""
    if x is None or isinstance(x, str):
        return "" if x is None else x
    if isinstance(x, float) and math.isnan(x):
        return ""
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def headline(df: pd.DataFrame) -> pd.DataFrame:
    """Rows (device, dtype, target, batch, n) x columns method: ``time (speedup vs best builtin, mode)`` or the status.

    Each method appears with its fastest mode; the speedup is against builtin's fastest mode.
    """
    best = best_modes(df)

    def cell(r: pd.Series) -> str:
        if r["status"] != "ok" or pd.isna(r["median_s"]):
            return str(r["status"])
        sp = fmt_ratio(r["speedup_best"])
        return f"{fmt_time(r['median_s'])} ({sp + ', ' if sp else ''}{r['mode']})"

    best = best.assign(text=best.apply(cell, axis=1) if len(best) else [])
    extra = varying_axes(best)
    best = best.assign(**{a: best[a].map(fmt_num) for a in extra})  # labels: NaN would drop the row from the pivot
    index = ["device_label", "dtype", "target", "batch", "n", *extra]
    table = best.pivot_table(index=index, columns="series", values="text", aggfunc="first").reset_index()
    table.columns.name = None
    order = [c for c in _series_order(best["series"]) if c in table.columns]
    return table.rename(columns={"device_label": "device"})[["device", "dtype", "target", "batch", "n", *extra, *order]]


def varying_axes(df: pd.DataFrame) -> list[str]:
    """The secondary problem axes (threads, cond) that take more than one value in ``df``."""
    return [a for a in SECONDARY_AXES if a in df.columns and df[a].nunique(dropna=False) > 1]


def _series_order(series: pd.Series) -> list[str]:
    return series_order(series.unique())


def fmt_speedup(x: Any, lo: Any = None, hi: Any = None) -> str:
    """``1.32× [1.25–1.40]`` with a finite interval, ``1.32×`` without one; empty for missing values."""
    text = fmt_ratio(x)
    finite = [v for v in (lo, hi) if isinstance(v, (int, float)) and not math.isnan(v)]
    if text and len(finite) == 2:
        text += f" [{lo:.3g}–{hi:.3g}]"
    return text


def speedup_verdict(lo: Any, hi: Any) -> str:
    """``faster`` / ``slower`` when a speedup's interval lies beyond 1, else ``within noise``; empty without a finite interval."""
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (lo, hi)):
        return ""
    return "faster" if lo > 1 else "slower" if hi < 1 else "within noise"


MODE_LABEL = {"eager": "eager", "graph": "graph", "xla": "XLA"}
UNSAFE_COLUMN = "fastest if your matrices are never singular"


def _pick(name: Any, mode: Any) -> str:
    return f"{name} ({mode})" if isinstance(name, str) else ""


def fmt_not_measured(modes: Any) -> str:
    """``graph and xla not measured`` from :func:`~detgrad.publish.recommend.recommend`'s ``not_measured``; empty if None."""
    names = [m for m in modes.split(",") if m] if isinstance(modes, str) else []
    return f"{' and '.join(names)} not measured" if names else ""


def fmt_answer(name: Any, mode: Any, not_measured: Any = None) -> str:
    """``auto (eager)``, or ``auto (eager; graph and xla not measured)`` for a problem measured in that mode only."""
    note = fmt_not_measured(not_measured)
    return f"{name} ({mode}{'; ' + note if note else ''})" if isinstance(name, str) else ""


NO_SAFE = "no singular-safe method passed"


def _unsafe(name: Any, mode: Any, seconds: Any, sp: Any, lo: Any, hi: Any) -> str:
    """``eigenlu (graph) 1.48×``; builtin itself (or no speedup to show) with its time instead."""
    if not isinstance(name, str):
        return ""
    if name == "builtin":  # TF's own gradient: silently wrong near singular, not merely raising at singular input
        return f"{_pick(name, mode)} {fmt_time(seconds)}, silently wrong near singular"
    return f"{_pick(name, mode)} {fmt_speedup(sp, lo, hi) or fmt_time(seconds)}"


def _vs_builtin(sp: Any, lo: Any, hi: Any, status: Any) -> str:
    text = fmt_speedup(sp, lo, hi)
    if text:
        return text
    if not isinstance(status, str):  # None, or NaN once pandas has held it: the problem has no builtin cell
        return "no builtin"
    return f"builtin {status}" if status != "ok" else ""


def _problem(values: tuple) -> tuple:
    return tuple(None if isinstance(v, float) and math.isnan(v) else v for v in values)


def _mode_answer(best: Any, best_s: Any, unsafe: Any) -> str:
    """``lu 250 µs``: a mode's singular-safe answer and its time (or the unsafe method when no safe one passed)."""
    if isinstance(best, str):
        return f"{best} {fmt_time(best_s)}"
    return f"none safe ({unsafe} not singular-safe)" if isinstance(unsafe, str) else "—"


def recommendation(rec: pd.DataFrame, per_mode: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Readable recommendation table from :func:`detgrad.publish.recommend.recommend`.

    One row per problem: ``use`` (fastest singular-safe method that passed the check, at its fastest mode, and which
    of the run's modes were not measured for a problem measured in one mode only), its time per call, ``vs builtin``
    (speedup over builtin's fastest mode, with its interval when measured paired; or why there is none),
    :data:`UNSAFE_COLUMN` (a faster method that is not singular-safe, with its speedup) and, with
    ``per_mode`` (``{mode: recommend(df, mode=mode)}``), one column per compile mode naming that mode's answer and
    its time.  The device column is left out when there is one device.
    """
    axes = varying_axes(rec)
    out = pd.DataFrame(
        {
            "device": rec["device_label"],
            "dtype": rec["dtype"],
            "target": rec["target"],
            "n": rec["n"],
            "batch": rec["batch"],
            **{a: rec[a].map(fmt_num) for a in axes},
            "use": [
                fmt_answer(b, m, nm) or (f"{NO_SAFE} ({fmt_not_measured(nm)})" if isinstance(nm, str) else NO_SAFE)
                for b, m, nm in zip(rec["best"], rec["best_mode"], rec["not_measured"], strict=True)
            ],
            "time/call": rec["best_s"].map(fmt_time),
            "vs builtin": [
                _vs_builtin(*v)
                for v in zip(rec["vs_builtin"], rec["vs_builtin_lo"], rec["vs_builtin_hi"], rec["builtin_status"], strict=True)
            ],
            UNSAFE_COLUMN: [
                _unsafe(u, m, t, sp, lo, hi)
                for u, m, t, sp, lo, hi in zip(
                    rec["unsafe"],
                    rec["unsafe_mode"],
                    rec["unsafe_s"],
                    rec["unsafe_vs_builtin"],
                    rec["unsafe_vs_builtin_lo"],
                    rec["unsafe_vs_builtin_hi"],
                    strict=True,
                )  # fmt: skip
            ],
        }
    )
    if per_mode and len(per_mode) > 1:
        index = [_problem(r) for r in rec[PROBLEM_AXES].itertuples(index=False)]
        for mode, frame in per_mode.items():
            answers = {
                _problem(r[:-3]): _mode_answer(*r[-3:])
                for r in frame[[*PROBLEM_AXES, "best", "best_s", "unsafe"]].itertuples(index=False)
            }
            out[MODE_LABEL.get(mode, mode)] = [answers.get(k, "—") for k in index]
    if out["device"].nunique() <= 1:
        out = out.drop(columns="device")
    sort = [c for c in ["device", "dtype", "target", "n", "batch", *axes] if c in out.columns]
    real_first = {d: i for i, d in enumerate(("float32", "float64", "complex64", "complex128"))}
    out = out.assign(_dtype_rank=out["dtype"].map(lambda d: real_first.get(d, len(real_first))))
    sort = ["_dtype_rank" if c == "dtype" else c for c in sort]
    return out.sort_values(sort).drop(columns="_dtype_rank").reset_index(drop=True)


def complexity(fit: pd.DataFrame) -> pd.DataFrame:
    """Readable complexity-fit table (exponent k of time ∝ n^k)."""
    if fit.empty:
        return pd.DataFrame(columns=["device", "dtype", "target", "batch", "mode", "series", "k", "r2", "n range", "points"])
    out = fit.rename(columns={"device_label": "device"}).copy()
    out["k"] = out["k"].map(lambda k: f"{k:.2f}")
    out["r2"] = out["r2"].map(lambda r: f"{r:.3f}")
    out["n range"] = out["n_min"].astype(str) + "–" + out["n_max"].astype(str)
    return out[["device", "dtype", "target", "batch", "mode", "series", "k", "r2", "n range", "points"]]


def cells(df: pd.DataFrame) -> pd.DataFrame:
    """The numeric per-cell table written to CSV (raw samples left out)."""
    cols = ["run_id", "device_label", "family", "series", "mode", "target", "n", "batch", "dtype", "threads", "status",
            "reason", "median_s", "iqr_s", "min_s", "noisy", "time_per_matrix_s", "matrices_per_s", "gflops", "pct_peak",
            "speedup", "speedup_best", "trace_s", "value_rel_err", "grad_rel_err", "cond", "peak_mem_bytes"]  # fmt: skip
    return df[[c for c in cols if c in df.columns]].sort_values([c for c in ["series", *PROBLEM_AXES, "mode"] if c in df.columns])


def _escape_md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(df: pd.DataFrame, floatfmt: int = 3) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned, ``floatfmt`` significant digits)."""
    if df.empty:
        return "_(no rows)_\n"
    head = [str(c) for c in df.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    lines = ["| " + " | ".join(_escape_md(h) for h in head) + " |"]
    lines.append("|" + "|".join("---:" if num else "---" for num in numeric) + "|")
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_escape_md(fmt_num(v, floatfmt)) for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as CSV (no index) and return the path."""
    path = Path(path)
    df.to_csv(path, index=False)
    return path


def terminal(df: pd.DataFrame, color: bool | None = None, status_columns: tuple[str, ...] = ("status", "verdict")) -> str:
    """An aligned text table (rich); status-like columns coloured when ``color`` (default: :func:`use_color`)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if color is None:
        color = use_color()
    if df.empty:
        return "(no rows)"
    table = Table(box=_HEADER_RULE, show_edge=False, pad_edge=False, collapse_padding=True, header_style="bold")
    for c in df.columns:
        table.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(df[c]) else "left", no_wrap=True)
    status_at = [str(c) in status_columns for c in df.columns]
    for row in df.itertuples(index=False):
        texts = [fmt_num(v) for v in row]
        table.add_row(
            *(Text(t, style=(_status_color(t) or "") if is_status else "") for t, is_status in zip(texts, status_at, strict=True))
        )
    buf = io.StringIO()
    console = Console(
        file=buf, width=100_000, force_terminal=color, color_system="standard" if color else None, no_color=not color
    )
    console.print(table)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines())


def _status_color(text: str) -> str | None:
    for key, col in STATUS_COLOR.items():
        if text.startswith(key):
            return col
    return None
