"""The report's first screen: what to use, what it costs per mode, where TF is wrong, and the noise.

Pure pandas over :func:`detgrad.publish.aggregate.tidy`'s cells; every figure is computed from
the run.  Speedups point one way everywhere: t(builtin) / t(default), > 1 means the default is
faster.  A per-mode line gives the median over the mode's problems and the worst problem with its
95 % interval (from paired rounds), so a reader sees the spread and the noise at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detgrad.catalog import MODES, PD_TARGET
from detgrad.publish import default_cost
from detgrad.publish.tables import to_markdown

MODE_LABEL = {
    "eager": "eager",
    "graph": "graph (`tf.function`)",
    "xla": "XLA (`jit_compile=True`, vs the builtin's fastest mode)",
}
NOISY_LIMIT = 0.10


def _speedups(df: pd.DataFrame) -> pd.DataFrame:
    """default_cost's ratios turned into speedups (t_builtin / t_default) with their intervals, det and log|det| only
    (the positive-definite problems have their own block, :mod:`detgrad.publish.positive_definite`)."""
    cost = default_cost.default_cost(df)
    cost = cost[cost["target"].ne(PD_TARGET)]
    return cost.assign(speedup=1.0 / cost["ratio"], lo=1.0 / cost["ratio_hi"], hi=1.0 / cost["ratio_lo"])


def _fmt(x: float, lo: float = np.nan, hi: float = np.nan) -> str:
    text = f"{x:.2f}×"
    if np.isfinite(lo) and np.isfinite(hi):
        text += f" [{lo:.2f}–{hi:.2f}]"
    return text


def cost_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per mode: problems, median speedup, slowest problem (with interval), share of problems faster beyond noise."""
    sp = _speedups(df)
    rows = []
    for mode in MODES:
        grp = sp[sp["mode"].eq(mode)]
        if grp.empty:
            continue
        worst = grp.loc[grp["speedup"].idxmin()]
        faster = int((grp["lo"] > 1).sum())
        slower = int((grp["hi"] < 1).sum())
        rows.append(
            {
                "mode": MODE_LABEL[mode],
                "problems": len(grp),
                "median speedup": f"{grp['speedup'].median():.2f}×",
                "slowest problem (n × batch, dtype)": f"{_fmt(worst['speedup'], worst['lo'], worst['hi'])} "
                f"({int(worst['n'])} × {int(worst['batch'])}, {worst['dtype']} {worst['target']})",
                "faster / within noise / slower": f"{faster} / {len(grp) - faster - slower} / {slower}",
            }
        )
    return pd.DataFrame(rows)


def _builtin_failures(df: pd.DataFrame) -> list[str]:
    b = df[df["family"].eq("detgrad") & df["method"].eq("builtin")]
    lines = []
    wrong = b[b["status"].eq("wrong")]
    if len(wrong):
        where = ", ".join(f"{dt} {tg}" for (dt, tg), _ in wrong.groupby(["dtype", "target"]))
        lines.append(
            f"- **TF's own gradient is wrong** in {len(wrong)} cells of this run ({where}): the conj missing from its "
            "complex det gradient (TF issue 49946).  The default is right there."
        )
    raised = b[b["status"].isin(["error", "nonfinite"])]
    if len(raised):
        lines.append(f"- TF's builtin raised or returned NaN in {len(raised)} cells.")
    lines.append(
        "- Beyond this run's well-conditioned inputs, TF's gradient raises on every exactly singular matrix and is "
        "silently wrong on numerically singular ones: see the conformance matrix (`detgrad check`)."
    )
    return lines


def _noise_line(df: pd.DataFrame) -> str:
    measured = df[df["status"].eq("ok") & df["median_s"].notna()]
    if measured.empty:
        return ""
    share = measured["noisy"].eq(True).mean()
    return (
        f"- Noise: {share:.0%} of the timed cells have an interquartile range above {NOISY_LIMIT:.0%} of their median; "
        "speedups are per-round ratios measured side by side, and a problem whose interval straddles 1 counts as "
        "within noise."
    )


def markdown_section(df: pd.DataFrame) -> list[str]:
    """The answer-first block (at most ~40 lines): title, what to use, cost per mode, TF's failures, noise."""
    lines = [
        "## The answer",
        "",
        "**Use `detgrad.det(a)` / `detgrad.slogdet(a)` with the default method (`auto`)**: it is right on every "
        "conformance case (singular, complex, Hessians) in eager, graph and XLA mode.  What it costs against "
        "`tf.linalg.det` with TF's gradient (value + gradient, speedup = t(builtin) / t(auto), > 1: auto is faster; "
        "[95 % interval]):",
        "",
    ]
    table = cost_table(df)
    if len(table):
        lines += [to_markdown(table), ""]
    else:
        lines += ["This run has no problem where both `auto` and a right builtin were measured.", ""]
    lines += _builtin_failures(df)
    noise = _noise_line(df)
    if noise:
        lines.append(noise)
    lines += [
        "- For your own shapes: `detgrad advise --n N --batch B --dtype DTYPE --mode MODE --run RUN` answers from a run "
        "(nearest measured problem when yours was not); the report's per-problem table lists every measured one.",
        "",
    ]
    return lines
