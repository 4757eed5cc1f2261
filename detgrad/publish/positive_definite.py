"""The report's answer for positive-definite matrices: ``detgrad.logdet``'s default against TF's two routes.

For the ``pd_logdet`` problems of a run (Hermitian positive-definite inputs, value + gradient of
log det A), per mode, the default (``auto``) against

* ``builtin``: ``tf.linalg.slogdet`` with TF's gradient (under XLA, where it has no kernel, its
  graph time: what a user without detgrad runs), and
* ``builtin_logdet``: ``tf.linalg.logdet`` (Cholesky inside, TF's gradient) in the same mode.

Speedup = t(baseline) / t(auto), > 1: the default is faster; the median of per-round ratios with
its 95 % interval where the two cells were timed in the same rounds (:mod:`detgrad.publish.paired`),
else the ratio of medians without an interval.  The goals the default is held to: at least
:data:`GRAPH_GOAL` x faster than slogdet in a graph from n = :data:`GRAPH_GOAL_MIN_N`, and under XLA
at least :data:`XLA_GOAL` x of slogdet's graph speed up to n = :data:`XLA_GOAL_MAX_N`.  A verdict
whose interval straddles its bound reads "within noise".  Pure pandas, no TensorFlow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detgrad.catalog import DEFAULT_METHOD, MODES, PD_TARGET
from detgrad.publish.aggregate import PROBLEM_AXES
from detgrad.publish.paired import paired_ratio
from detgrad.publish.tables import to_markdown

SLOGDET, LOGDET = "builtin", "builtin_logdet"
GRAPH_GOAL, GRAPH_GOAL_MIN_N = 1.2, 16
XLA_GOAL, XLA_GOAL_MAX_N = 0.5, 256
MODE_LABEL = {"eager": "eager", "graph": "graph (`tf.function`)", "xla": "XLA (`jit_compile=True`)"}


def _ok_cells(df: pd.DataFrame, method: str, mode: str) -> pd.DataFrame:
    return df[df["family"].eq("detgrad") & df["method"].eq(method) & df["mode"].eq(mode) & df["status"].eq("ok")]


def paired_speedups(df: pd.DataFrame, mode: str, baseline: str, baseline_mode: str, method: str = DEFAULT_METHOD) -> pd.DataFrame:
    """Per ``pd_logdet`` problem: t(baseline in baseline_mode) / t(method in mode), columns n, batch, dtype, speedup, lo, hi."""
    pd_cells = df[df["target"].eq(PD_TARGET)]
    ours, theirs = _ok_cells(pd_cells, method, mode), _ok_cells(pd_cells, baseline, baseline_mode)
    keep = [*PROBLEM_AXES, "group_id", "samples_s", "median_s"]
    pairs = ours[keep].merge(theirs[keep], on=PROBLEM_AXES, suffixes=("", "_base"))
    rows = []
    for _, p in pairs.iterrows():
        same_rounds = isinstance(p["group_id"], str) and p["group_id"] == p["group_id_base"]
        samples = isinstance(p["samples_s"], list) and isinstance(p["samples_s_base"], list)
        if same_rounds and samples and p["samples_s"] and p["samples_s_base"]:
            speedup, lo, hi = paired_ratio(p["samples_s_base"], p["samples_s"])
        else:
            speedup, lo, hi = p["median_s_base"] / p["median_s"], np.nan, np.nan
        rows.append({"n": int(p["n"]), "batch": int(p["batch"]), "dtype": p["dtype"], "speedup": speedup, "lo": lo, "hi": hi})
    return pd.DataFrame(rows, columns=["n", "batch", "dtype", "speedup", "lo", "hi"])


def verdict(speedup: float, lo: float, hi: float, bound: float) -> str:
    """``met`` / ``not met`` against a lower bound on the speedup; ``within noise`` when the interval straddles it."""
    if np.isfinite(lo) and np.isfinite(hi) and lo < bound <= hi:
        return "within noise"
    return "met" if speedup >= bound else "not met"


def _fmt(x: float, lo: float = np.nan, hi: float = np.nan) -> str:
    text = f"{x:.2f}×"
    return text + (f" [{lo:.2f}–{hi:.2f}]" if np.isfinite(lo) and np.isfinite(hi) else "")


def _counts(sp: pd.DataFrame) -> str:
    faster, slower = int((sp["lo"] > 1).sum()), int((sp["hi"] < 1).sum())
    return f"{faster} / {len(sp) - faster - slower} / {slower}"


def cost_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per mode: the default against slogdet (TF's gradient) and against ``tf.linalg.logdet``."""
    rows = []
    for mode in MODES:
        vs_slogdet = paired_speedups(df, mode, SLOGDET, "graph" if mode == "xla" else mode)
        vs_logdet = paired_speedups(df, mode, LOGDET, mode)
        if vs_slogdet.empty and vs_logdet.empty:
            continue
        row = {"mode": MODE_LABEL[mode], "problems": max(len(vs_slogdet), len(vs_logdet))}
        for label, sp in (("slogdet", vs_slogdet), ("tf.linalg.logdet", vs_logdet)):
            if sp.empty:
                row[f"vs {label}: median"] = row[f"vs {label}: slowest"] = row[f"vs {label}: faster / noise / slower"] = ""
                continue
            worst = sp.loc[sp["speedup"].idxmin()]
            row[f"vs {label}: median"] = f"{sp['speedup'].median():.2f}×"
            row[f"vs {label}: slowest"] = (
                f"{_fmt(worst['speedup'], worst['lo'], worst['hi'])} ({worst['n']} × {worst['batch']}, {worst['dtype']})"
            )
            row[f"vs {label}: faster / noise / slower"] = _counts(sp)
        rows.append(row)
    return pd.DataFrame(rows)


def goals(df: pd.DataFrame) -> pd.DataFrame:
    """The default's two positive-definite goals, one row per problem they cover, with a verdict."""
    graph = paired_speedups(df, "graph", SLOGDET, "graph")
    graph = graph[graph["n"].ge(GRAPH_GOAL_MIN_N)].assign(
        goal=f"graph, n ≥ {GRAPH_GOAL_MIN_N}: ≥ {GRAPH_GOAL:g}×", bound=GRAPH_GOAL
    )
    xla = paired_speedups(df, "xla", SLOGDET, "graph")
    xla = xla[xla["n"].le(XLA_GOAL_MAX_N)].assign(
        goal=f"XLA, n ≤ {XLA_GOAL_MAX_N}: ≥ {XLA_GOAL:g}× (of slogdet in a graph)", bound=XLA_GOAL
    )
    out = pd.concat([graph, xla], ignore_index=True)
    if out.empty:
        return out.assign(verdict=pd.Series(dtype=str))
    out["verdict"] = [
        verdict(s, lo, hi, b) for s, lo, hi, b in zip(out["speedup"], out["lo"], out["hi"], out["bound"], strict=True)
    ]
    return out


def _goal_lines(df: pd.DataFrame) -> list[str]:
    rows = goals(df)
    if rows.empty:
        return []
    lines = []
    for goal, grp in rows.groupby("goal", sort=False):
        tally = grp["verdict"].value_counts()
        summary = ", ".join(f"{tally.get(v, 0)} {v}" for v in ("met", "within noise", "not met"))
        misses = grp[grp["verdict"].eq("not met")].sort_values("speedup")
        shown = "; ".join(f"{r.n} × {r.batch} {r.dtype} {_fmt(r.speedup, r.lo, r.hi)}" for r in misses.head(6).itertuples())
        more = f" and {len(misses) - 6} more" if len(misses) > 6 else ""
        lines.append(
            f"- Goal {goal}: {len(grp)} problems, {summary}" + (f" (missed: {shown}{more})" if len(misses) else "") + "."
        )
    return lines


def markdown_section(df: pd.DataFrame) -> list[str]:
    """ "My matrices are positive definite": the answer block for the run's ``pd_logdet`` problems (empty without any)."""
    table = cost_table(df)
    if table.empty:
        return []
    return [
        "## My matrices are positive definite: what should I use?",
        "",
        "**Use `detgrad.logdet(a)`** (default `auto`: one Cholesky factor shared by log det and its gradient A^{-1} in "
        "eager mode and in a graph, the recursive matmul Cholesky `blockchol` under XLA).  A matrix that is not "
        "positive definite raises `DetgradError` in eager mode and gives NaN for that member in a graph or under XLA.  "
        "Its cost against TF's two routes (value + gradient of log det A, speedup = t(TF) / t(auto), > 1: auto is "
        "faster; [95 % interval]; under XLA against slogdet's graph time, since slogdet has no XLA kernel):",
        "",
        to_markdown(table),
        "",
        *_goal_lines(df),
        "- The per-problem table under Recommendations lists every method for each positive-definite problem "
        "(`pd_logdet` rows); the general LU methods compute log|det| there and check only det > 0.",
        "",
    ]
