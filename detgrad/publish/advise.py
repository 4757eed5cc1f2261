"""Answer "what should I use for my shapes?" from a run: the nearest measured problem's recommendation.

Pure pandas over :func:`detgrad.publish.aggregate.tidy`'s cells.  The problem asked for is
(dtype, target, n, batch, mode); when the run did not measure it, the nearest measured one of the
same dtype and target is taken (distance in log2 n and log2 batch) and the answer says so.  An answer
from a problem the run measured in one compile mode only names the modes it was not measured in.
Speedups point one way: t(builtin) / t(method), > 1 faster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from detgrad.publish import recommend
from detgrad.publish.tables import fmt_answer, fmt_not_measured, fmt_speedup, fmt_time, speedup_verdict


@dataclass(frozen=True)
class Question:
    """A user's problem; ``mode`` None means any compile mode."""

    n: int
    batch: int = 1
    dtype: str = "float64"
    target: str = "det"
    mode: str | None = None


def _nearest(rec: pd.DataFrame, q: Question) -> pd.Series | None:
    same = rec[rec["dtype"].eq(q.dtype) & rec["target"].eq(q.target)]
    if same.empty:
        return None
    distance = (
        same["n"].map(lambda n: abs(math.log2(n / q.n))) + same["batch"].map(lambda b: abs(math.log2(b / q.batch)))
    ).astype(float)
    return same.loc[distance.idxmin()]


VERDICT_TEXT = {
    "faster": "faster than the builtin beyond noise",
    "slower": "slower than the builtin beyond noise",
    "within noise": "within noise of the builtin",
    "": "",
}


def answer(df: pd.DataFrame, q: Question) -> list[str]:
    """Lines answering ``q`` from the cells ``df``; raises ValueError when the run has nothing of that dtype and target."""
    rec = recommend.recommend(df, mode=q.mode)
    row = _nearest(rec, q)
    if row is None:
        have = sorted({f"{d} {t}" for d, t in zip(rec["dtype"], rec["target"], strict=True)})
        raise ValueError(f"the run measured no {q.dtype} {q.target}; it has: {', '.join(have) or 'nothing'}")
    n, batch = int(row["n"]), int(row["batch"])
    where = f"{q.dtype} {q.target}, n = {n}, batch = {batch}, {q.mode + ' mode' if q.mode else 'any mode'}"
    exact = n == q.n and batch == q.batch
    lines = [f"{where}" + ("" if exact else f"  (nearest measured to n = {q.n}, batch = {q.batch})")]
    if isinstance(row["best"], str):
        speed = fmt_speedup(row["vs_builtin"], row["vs_builtin_lo"], row["vs_builtin_hi"])
        status = row["builtin_status"]
        verdict = VERDICT_TEXT[speedup_verdict(row["vs_builtin_lo"], row["vs_builtin_hi"])]
        vs = (
            f"{speed} the builtin's speed" + (f" ({verdict})" if verdict else "")
            if speed
            else f"TF's builtin is {status} here"
            if isinstance(status, str) and status != "ok"
            else "no builtin measured here"
        )
        use = fmt_answer(row["best"], row["best_mode"], row["not_measured"])
        lines.append(f"  use: {use}, {fmt_time(row['best_s'])} per call; {vs}")
        lines.append("  singular-safe: yes (its gradient stays right at singular and near-singular matrices)")
    else:
        missing = fmt_not_measured(row["not_measured"])
        lines.append("  no singular-safe method passed the accuracy check here" + (f" ({missing})" if missing else ""))
    if isinstance(row["unsafe"], str):
        note = "silently wrong near singular" if row["unsafe"] == "builtin" else "raises or returns NaN on singular input"
        speed = fmt_speedup(row["unsafe_vs_builtin"], row["unsafe_vs_builtin_lo"], row["unsafe_vs_builtin_hi"])
        lines.append(
            f"  faster if your matrices are never singular: {row['unsafe']} ({row['unsafe_mode']}), "
            f"{fmt_time(row['unsafe_s'])}{', ' + speed if speed and row['unsafe'] != 'builtin' else ''} ({note})"
        )
    return lines
