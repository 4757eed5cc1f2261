"""Deriving a tuned dispatch table from a ``detgrad tune`` run (no TensorFlow).

The run times, at each grid point (mode, n, batch) and dtype, every candidate path of ``auto`` as a
method ``auto@<path>`` in one group of paired, interleaved rounds.  At each point the *built-in* path
(what ``auto``'s built-in table takes there) is the incumbent; a candidate replaces it only if, in every
dtype measured, it is faster beyond noise: the 95 % interval of the per-round ratios
t(incumbent) / t(candidate) lies above 1 (:func:`detgrad.publish.paired.paired_ratio`).  Of several such
candidates the one with the largest worst-dtype median ratio wins.  A candidate that is not eligible in
that mode (it fails a conformance case there) is never chosen, whatever it measured; a point whose
incumbent or candidate did not run ok in every dtype keeps the built-in path.

Each change becomes a row covering the point's region of the grid: n and batch from the geometric
midpoint with the previous grid value to the one with the next; the largest batch of the grid extends
to every larger (and unknown) batch, the smallest and largest n of the grid end at themselves.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from detgrad.publish.paired import paired_ratio

PREFIX = "auto@"


@dataclass
class Comparison:
    """One candidate against the incumbent at one point and dtype: median speedup and its 95 % interval."""

    candidate: str
    dtype: str
    speedup: float
    lo: float
    hi: float
    problem: str = ""  # why there is no ratio (a cell that did not run ok)


@dataclass
class PointVerdict:
    """The decision at one grid point: the built-in path, the chosen path and the comparisons behind it."""

    mode: str
    n: int
    batch: int
    builtin_path: str
    chosen: str
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.chosen != self.builtin_path


def _bounds(values: list[int], i: int, open_top: bool) -> tuple[int, int | None]:
    lo = values[i] if i == 0 else math.ceil(math.sqrt(values[i - 1] * values[i]))
    if i == len(values) - 1:
        return lo, (None if open_top else values[i])
    return lo, math.ceil(math.sqrt(values[i] * values[i + 1])) - 1


def region(ns: list[int], batches: list[int], n: int, batch: int) -> dict[str, int | None]:
    """The n and batch bounds of grid point (n, batch) in sorted grids ``ns`` and ``batches`` (see the module docstring)."""
    min_n, max_n = _bounds(ns, ns.index(n), open_top=False)
    min_batch, max_batch = _bounds(batches, batches.index(batch), open_top=True)
    return {"min_n": min_n, "max_n": max_n, "min_batch": 0 if batch == batches[0] else min_batch, "max_batch": max_batch}


def _ok_samples(record: dict[str, Any] | None) -> list[float] | None:
    if not record or record.get("status") != "ok" or not record.get("samples_s"):
        return None
    return list(record["samples_s"])


def decide(
    records: Iterable[dict[str, Any]],
    builtin_path: Callable[[str, int, int], str],
    eligible: dict[str, Iterable[str]],
) -> list[PointVerdict]:
    """One verdict per (mode, n, batch) point of a tune run's det records (``auto@<path>`` methods)."""
    cells: dict[tuple[str, int, int], dict[str, dict[str, dict[str, Any]]]] = {}
    for r in records:
        method = str(r.get("method", ""))
        if r.get("kind", "cell") != "cell" or not method.startswith(PREFIX):
            continue
        point = (r["mode"], int(r["n"]), int(r["batch"]))
        cells.setdefault(point, {}).setdefault(r["dtype"], {})[method.removeprefix(PREFIX)] = r
    verdicts = []
    for (mode, n, batch), by_dtype in sorted(cells.items()):
        incumbent = builtin_path(mode, n, batch)
        allowed = set(eligible.get(mode, ()))
        candidates = sorted({p for paths in by_dtype.values() for p in paths} - {incumbent})
        verdict = PointVerdict(mode, n, batch, incumbent, incumbent)
        best, best_score = incumbent, 1.0
        for cand in candidates:
            scores = []
            for dtype in sorted(by_dtype):
                base, other = by_dtype[dtype].get(incumbent), by_dtype[dtype].get(cand)
                t_base, t_other = _ok_samples(base), _ok_samples(other)
                if t_base is None or t_other is None:
                    missing = "built-in path" if t_base is None else "candidate"
                    status = (base if t_base is None else other) or {}
                    why = f"{missing} {status.get('status', 'not measured')}"
                    verdict.comparisons.append(Comparison(cand, dtype, math.nan, math.nan, math.nan, why))
                    scores.append(None)
                    continue
                if base.get("group_id") != other.get("group_id"):
                    verdict.comparisons.append(Comparison(cand, dtype, math.nan, math.nan, math.nan, "not timed together"))
                    scores.append(None)
                    continue
                med, lo, hi = paired_ratio(t_base, t_other)
                verdict.comparisons.append(Comparison(cand, dtype, med, lo, hi))
                scores.append(med if lo > 1.0 else None)  # NaN lo (too few rounds) compares False: not beyond noise
            if cand in allowed and scores and all(s is not None for s in scores) and min(scores) > best_score:
                best, best_score = cand, min(scores)
        verdict.chosen = best
        verdicts.append(verdict)
    return verdicts


def table_rows(verdicts: list[PointVerdict]) -> dict[str, list[dict[str, Any]]]:
    """The tuned table's rows per mode: one per changed point, over its region of that mode's grid."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for mode in sorted({v.mode for v in verdicts}):
        mine = [v for v in verdicts if v.mode == mode]
        ns, batches = sorted({v.n for v in mine}), sorted({v.batch for v in mine})
        rows[mode] = [dict(region(ns, batches, v.n, v.batch), path=v.chosen) for v in mine if v.changed]
    return rows


def fmt_comparison(c: Comparison) -> str:
    if c.problem:
        return f"{c.candidate} {c.dtype}: {c.problem}"
    return f"{c.candidate} {c.dtype} {c.speedup:.2f} [{c.lo:.2f}, {c.hi:.2f}]"


def verdict_lines(verdicts: list[PointVerdict]) -> list[str]:
    """One line per point: the built-in path, each candidate's speedup over it per dtype, and what the table does."""
    lines = ["speedup = t(built-in path) / t(candidate) per round, median [95 % interval]; a change needs > 1 beyond noise "
             "in every dtype"]  # fmt: skip
    for v in verdicts:
        action = f"-> {v.chosen} (changed)" if v.changed else "keep"
        detail = "; ".join(fmt_comparison(c) for c in v.comparisons) or "no other candidate"
        lines.append(f"{v.mode:<5} n={v.n:<5} batch={v.batch:<6} built-in {v.builtin_path:<8} {action:<22} {detail}")
    return lines


def tuned_vs_builtin(df, tuned: str = "auto", builtin: str = "auto@builtin") -> tuple[list[str], dict[str, int]]:
    """Lines comparing the default under a tuned table with the default under the built-in table, timed together.

    ``df`` is the tidy frame (:func:`detgrad.publish.aggregate.tidy`) of a run of the ``tuned-vs-builtin`` preset:
    per det problem and mode, the paired ratio t(built-in) / t(tuned) with its 95 % interval and a verdict, then
    the default's goals against TF's builtin (:mod:`detgrad.publish.default_cost`) met under each table.
    Returns the lines and the counts (faster, slower, within noise; goals missed under each table).
    """
    from detgrad.publish.default_cost import against_goals, default_cost
    from detgrad.publish.tables import speedup_verdict

    ok = df[df["status"].eq("ok") & df["target"].eq("det") & df["method"].isin([tuned, builtin])]
    cells: dict[tuple, dict[str, Any]] = {}
    for _, r in ok.iterrows():
        cells.setdefault((r["mode"], int(r["n"]), int(r["batch"]), r["dtype"]), {})[r["method"]] = r
    counts = {"faster": 0, "slower": 0, "within noise": 0, "problems": 0}
    detail = []
    for (mode, n, batch, dtype), pair in sorted(cells.items()):
        a, b = pair.get(tuned), pair.get(builtin)
        if a is None or b is None or a["group_id"] != b["group_id"]:
            continue
        med, lo, hi = paired_ratio(list(b["samples_s"]), list(a["samples_s"]))
        verdict = speedup_verdict(lo, hi) or "within noise"  # no interval (too few rounds): no claim either way
        counts["problems"] += 1
        counts[verdict] += 1
        if verdict != "within noise":
            detail.append(f"  {mode:<5} {dtype:<8} {n:>4} x {batch:<5} {med:.2f} [{lo:.2f}, {hi:.2f}] {verdict}")
    goals = {}
    for name, method in (("tuned", tuned), ("built-in", builtin)):
        rows = against_goals(default_cost(df, method))
        goals[name] = int(rows["verdict"].eq("not met").sum())
        goals[f"{name} problems"] = len(rows)
    lines = [
        f"tuned vs built-in table, det problems timed together: speedup = t(built-in) / t(tuned) per round, median "
        f"[95 % interval]; {counts['problems']} problems: {counts['faster']} faster, {counts['slower']} slower beyond "
        f"noise, {counts['within noise']} within noise",
        *detail,
        f"default's goals against TF's builtin missed: {goals['built-in']} of {goals['built-in problems']} with the "
        f"built-in table, {goals['tuned']} of {goals['tuned problems']} with the tuned table",
    ]
    counts.update({f"missed {k}": v for k, v in goals.items() if "problems" not in k})
    return lines, counts
