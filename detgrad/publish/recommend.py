"""Recommendations: per problem, the fastest method that is right for the input class *and* singular-safe.

Pure pandas on the tidy frame of :mod:`detgrad.publish.aggregate`.  A method is a
candidate for a problem (:data:`~detgrad.publish.aggregate.PROBLEM_AXES`) when

* its cell is ``ok`` (value and gradient passed the accuracy check), and
* none of its modes failed the accuracy check on that problem (``wrong`` or
  ``nonfinite``): one failing mode means the gradient is not right for that input
  class, whichever mode is timed, and
* it is not TF's builtin on a complex determinant (TF's det gradient misses the
  complex conjugate there, whatever a single check happened to see).

The answer (``best``) is the fastest candidate whose ``singular_safe`` flag is set.
A faster candidate that is not singular-safe is reported separately (``unsafe``),
never as the answer.  With ``mode`` given, only that compile mode counts (the answer
for a user fixed to eager, graph or XLA) and speedups are against builtin in the
same mode; otherwise each method runs at its fastest mode and speedups are against
builtin's fastest mode.  Interval columns (``*_lo`` / ``*_hi``, the 95 % interval of
the per-round paired speedup) are used when the tidy frame has them and they are
finite; they are NaN otherwise.

A problem that the run measured in one compile mode only, while it measured other modes
elsewhere (a preset that sweeps eager only for some sizes), gets ``not_measured``: the
modes its answer never competed with.  A mode counts as measured for a problem when at
least one of its cells there ran (any status but ``unsupported``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detgrad.catalog import MODES
from detgrad.publish import methods
from detgrad.publish.aggregate import BASELINE, DETGRAD, PROBLEM_AXES

ACCURACY_FAILED = ("wrong", "nonfinite")
COLUMNS = [
    *PROBLEM_AXES, "scope", "best", "best_mode", "best_s", "vs_builtin", "vs_builtin_lo", "vs_builtin_hi", "builtin_status",
    "runner_up", "runner_up_mode", "runner_up_s", "margin", "unsafe", "unsafe_mode", "unsafe_s", "unsafe_vs_builtin",
    "unsafe_vs_builtin_lo", "unsafe_vs_builtin_hi", "not_measured",
]  # fmt: skip


def _key(values: tuple) -> tuple:
    """A problem key with NaN replaced by None, so equal keys compare equal."""
    return tuple(None if isinstance(v, float) and np.isnan(v) else v for v in values)


def known_wrong(df: pd.DataFrame) -> pd.Series:
    """Rows whose gradient is known to be wrong regardless of the check: TF builtin's det of complex input."""
    return (
        df["family"].eq(DETGRAD)
        & df["method"].eq(BASELINE)
        & df["target"].eq("det")
        & df["dtype"].astype(str).str.startswith("complex")
    )


def _failed_keys(df: pd.DataFrame) -> set[tuple]:
    """(series, problem) pairs where some mode failed the accuracy check, or known wrong."""
    bad = df[df["status"].isin(ACCURACY_FAILED) | known_wrong(df)]
    return {_key(tuple(row)) for row in bad[["series", *PROBLEM_AXES]].itertuples(index=False)}


def _interval(row: pd.Series, col: str) -> tuple[float, float]:
    lo, hi = row.get(f"{col}_lo", np.nan), row.get(f"{col}_hi", np.nan)
    try:
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        return np.nan, np.nan
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else (np.nan, np.nan)


def measured_modes(df: pd.DataFrame) -> dict[tuple, tuple[str, ...]]:
    """Per problem key, the compile modes (eager, graph, xla order) in which at least one of its cells ran."""
    ran = df[df["status"].ne("unsupported")]
    return {
        _key(key): tuple(m for m in MODES if m in set(grp["mode"]))
        for key, grp in ran.groupby(PROBLEM_AXES, dropna=False, sort=False)
    }


def _not_measured(problem_modes: tuple[str, ...], run_modes: set[str]) -> str | None:
    """``"graph,xla"``: the run's other modes, for a problem measured in one mode only; None otherwise."""
    if len(problem_modes) != 1:
        return None
    missing = [m for m in MODES if m in run_modes and m not in problem_modes]
    return ",".join(missing) or None


def _builtin_status(rows: pd.DataFrame, failed: set[tuple], key: tuple) -> str | None:
    if rows.empty:
        return None
    if _key((BASELINE, *key)) in failed:
        return "wrong"
    statuses = set(rows["status"])
    return "ok" if "ok" in statuses else "/".join(sorted(statuses))


def _speed(row: pd.Series, prefix: str, col: str, builtin_ok: bool) -> dict[str, float]:
    """Speedup over builtin and its interval, NaN when builtin has no right, ok cell to compare with."""
    value = float(row[col]) if builtin_ok else np.nan
    lo, hi = _interval(row, col) if builtin_ok else (np.nan, np.nan)
    return {f"{prefix}vs_builtin": value, f"{prefix}vs_builtin_lo": lo, f"{prefix}vs_builtin_hi": hi}


def recommend(df: pd.DataFrame, include_peers: bool = False, mode: str | None = None) -> pd.DataFrame:
    """One row per problem with an ok candidate: the singular-safe answer, its runner-up and a faster unsafe method.

    Args:
        df: the tidy frame (:func:`detgrad.publish.aggregate.tidy`).
        include_peers: let jax / torch / numpy cells compete (they are not TensorFlow options; off by default).
        mode: ``"eager"``, ``"graph"`` or ``"xla"`` to answer for that compile mode only; ``None``: any mode.

    Returns:
        Columns :data:`COLUMNS`: ``best`` / ``best_mode`` / ``best_s`` (None when no singular-safe method passed),
        ``vs_builtin`` (builtin's time / best's time; NaN when builtin has no right, ok cell) with its interval,
        ``builtin_status`` (``ok``, ``wrong``, ``unsupported``, ...), ``runner_up`` and ``margin`` (runner-up time /
        best time - 1, among singular-safe methods), and ``unsafe*``: the fastest candidate when it is not
        singular-safe and faster than ``best``; ``not_measured`` (any mode only): the modes the run measured but
        not for this problem, comma-separated, when the problem was measured in one mode only (else None).
    """
    if "singular_safe" not in df.columns:  # a frame not made by aggregate.tidy: the built-in table
        df = df.assign(singular_safe=[methods.singular_safe({}, f, m) for f, m in zip(df["family"], df["method"], strict=True)])
    pool = df if include_peers else df[df["family"].eq(DETGRAD)]
    failed = _failed_keys(pool)
    measured = measured_modes(pool) if mode is None else {}
    run_modes = {m for modes in measured.values() for m in modes}
    if mode is not None:
        pool = pool[pool["mode"].eq(mode)]
    speed_col = "speedup_best" if mode is None else "speedup"
    ok = pool[pool["status"].eq("ok") & pool["median_s"].notna()]
    if len(ok):
        keys = [_key(tuple(r)) for r in ok[["series", *PROBLEM_AXES]].itertuples(index=False)]
        ok = ok[[k not in failed for k in keys]]
    if ok.empty:
        return pd.DataFrame(columns=COLUMNS)
    ok = ok.loc[ok.groupby(["series", *PROBLEM_AXES], dropna=False)["median_s"].idxmin()]
    base = pool[pool["family"].eq(DETGRAD) & pool["method"].eq(BASELINE)]
    base_by = {_key(k): g for k, g in base.groupby(PROBLEM_AXES, dropna=False)}
    rows = []
    for key, grp in ok.groupby(PROBLEM_AXES, dropna=False, sort=True):
        key = _key(key)
        grp = grp.sort_values(["median_s", "series"])
        safe = grp[grp["singular_safe"].eq(True)]
        status = _builtin_status(base_by.get(key, pd.DataFrame()), failed, key)
        row = dict(zip(PROBLEM_AXES, key, strict=True), scope=mode or "any", builtin_status=status)
        row["not_measured"] = _not_measured(measured.get(key, ()), run_modes)

        best = safe.iloc[0] if len(safe) else None
        if best is not None:
            row.update(
                best=best["series"],
                best_mode=best["mode"],
                best_s=best["median_s"],
                **_speed(best, "", speed_col, status == "ok"),
            )
            if len(safe) > 1:
                second = safe.iloc[1]
                row.update(runner_up=second["series"], runner_up_mode=second["mode"], runner_up_s=second["median_s"])
                row["margin"] = second["median_s"] / best["median_s"] - 1.0
        first = grp.iloc[0]
        if not bool(first["singular_safe"]) and (best is None or first["median_s"] < best["median_s"]):
            row.update(
                unsafe=first["series"],
                unsafe_mode=first["mode"],
                unsafe_s=first["median_s"],
                **_speed(first, "unsafe_", speed_col, status == "ok"),
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def by_mode(df: pd.DataFrame, include_peers: bool = False) -> dict[str, pd.DataFrame]:
    """:func:`recommend` for each compile mode present in ``df`` (eager, graph, xla order)."""
    present = set(df["mode"].dropna())
    return {m: recommend(df, include_peers, mode=m) for m in MODES if m in present}
