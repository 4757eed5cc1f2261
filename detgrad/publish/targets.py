"""detgrad's performance targets per size regime, judged on one run's tidy frame (pure pandas, no TensorFlow).

The targets are the speedups detgrad aims for in regimes where TF's builtin is
known to be slow (tiny matrices, large batches, large n).  For each regime
(n, batch, dtype) and target ``det``:

    builtin  = TF builtin's fastest ok mode
    best     = the fastest ok (method, mode) among detgrad's other methods
    ratio    = builtin / best                         (>= ``min_ratio`` aimed for; the paired
               per-round speedup of ``best`` when the run has it, as elsewhere in the report)
    peer     = the named peer's time (jax or torch); ``best`` must be <= ``peer_factor`` · peer

A target whose cells are missing or failed is reported as ``no data`` (not met).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detgrad.publish.tables import fmt_ratio, fmt_speedup, fmt_time, to_markdown


@dataclass(frozen=True)
class Target:
    n: int
    batch: int
    dtype: str
    min_ratio: float
    peer: str | None = None  # "jax" or "torch"
    peer_factor: float = 1.0  # best <= peer_factor * peer time


def _targets() -> tuple[Target, ...]:
    out: list[Target] = []
    for dt in ("float32", "float64"):
        out += [Target(2, 1, dt, 2.0), Target(3, 1, dt, 2.0), Target(3, 65536, dt, 20.0, "jax"), Target(8, 4096, dt, 2.0)]
        out += [Target(32, 1024, dt, 2.0, "torch"), Target(128, 64, dt, 2.0, "torch")]
        for n in (512, 1024, 2048):
            out.append(Target(n, 1, dt, 4.0, "torch") if dt == "float32" else Target(n, 1, dt, 2.5, "torch", 1.5))
    return tuple(out)


TARGETS: tuple[Target, ...] = _targets()


def _fastest(cells: pd.DataFrame) -> pd.Series | None:
    """The cell with the smallest median time, or None."""
    return None if cells.empty else cells.loc[cells["median_s"].idxmin()]


def _time_and_name(row: pd.Series | None) -> tuple[float, str]:
    return (np.nan, "") if row is None else (float(row["median_s"]), f"{row['method']} ({row['mode']})")


def _speedup(row: pd.Series | None, base: float, best: float) -> tuple[float, float, float]:
    """(ratio, lo, hi) of the fastest cell ``row``: its paired speedup over builtin's fastest mode
    (the number the rest of the report shows) when the run has one, else ``base / best`` without interval."""
    if row is not None and np.isfinite(row.get("speedup_best", np.nan)):
        lo, hi = (float(row.get(c, np.nan)) for c in ("speedup_best_lo", "speedup_best_hi"))
        return float(row["speedup_best"]), lo, hi
    return (base / best if best > 0 else np.nan), np.nan, np.nan


def evaluate(df: pd.DataFrame) -> pd.DataFrame:
    """One row per target present in ``df`` (same n, batch, dtype): times, ratio, verdict."""
    ok = df[df["status"].eq("ok") & df["median_s"].notna() & df["target"].eq("det")]
    rows = []
    for t in TARGETS:
        here = ok[ok["n"].eq(t.n) & ok["batch"].eq(t.batch) & ok["dtype"].eq(t.dtype)]
        if not len(df[df["n"].eq(t.n) & df["batch"].eq(t.batch) & df["dtype"].eq(t.dtype)]):
            continue
        tf_cells = here[here["family"].eq("detgrad")]
        is_builtin = tf_cells["method"].eq("builtin")
        base, _ = _time_and_name(_fastest(tf_cells[is_builtin]))
        best_row = _fastest(tf_cells[~is_builtin])
        best, best_name = _time_and_name(best_row)
        peer = _time_and_name(_fastest(here[here["family"].eq(t.peer)]))[0] if t.peer else np.nan
        ratio, lo, hi = _speedup(best_row, base, best)
        need = f"≥{t.min_ratio:g}×"
        if t.peer:
            need += f", ≤ {t.peer_factor:g}·{t.peer}" if t.peer_factor != 1.0 else f", ≤ {t.peer}"
        if np.isnan(ratio) or (t.peer and np.isnan(peer)):
            verdict = "no data"
        else:
            met = ratio >= t.min_ratio and (not t.peer or best <= t.peer_factor * peer)
            verdict = "met" if met else "not met"
        rows.append(
            {
                "n": t.n, "batch": t.batch, "dtype": t.dtype, "aim": need, "builtin": fmt_time(base),
                "best detgrad": best_name or "—", "best time": fmt_time(best), "ratio": fmt_speedup(ratio, lo, hi),
                "peer": f"{t.peer} {fmt_time(peer)}" if t.peer else "—",
                "vs peer": fmt_ratio(best / peer) if t.peer and peer > 0 and best > 0 else "—",
                "verdict": verdict,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def markdown_section(df: pd.DataFrame) -> list[str]:
    """The report section (Markdown lines) for the tidy frame ``df``.

    Regimes without data in this run are left out; no section at all when none has data
    (a run that does not cover the regimes has nothing to say about them).
    """
    table = evaluate(df) if len(df) else pd.DataFrame()
    if table.empty:
        return []
    table = table[table["verdict"].ne("no data")]
    if table.empty:
        return []
    met = int(table["verdict"].eq("met").sum())
    return [
        "## Fastest detgrad method against the builtin, by regime",
        "",
        f"Speedups aimed for by the fastest detgrad method (any method, any mode; the default's own goals are in "
        f"'What the default costs'), in the regimes this run covers: {met} of {len(table)} met.  ratio = TF builtin's fastest "
        "mode / detgrad's fastest (method, mode), value + gradient of det per call, same run (the median of per-round "
        "ratios with its 95 % interval when the run was timed in paired rounds); `vs peer` = detgrad's time "
        "/ the peer's time (<1: detgrad faster).",
        "",
        to_markdown(table),
    ]
