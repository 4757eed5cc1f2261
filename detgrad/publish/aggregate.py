"""Pure pandas aggregation of run files: one tidy frame, derived metrics, summaries.

Never imports TensorFlow.  The tidy frame has one row per cell record plus
the run's identity (``run_id``, ``hostname``, ``cpu_model``) and a
``device_label`` (device + hardware + host) so that runs from different
machines never merge by accident.

Derived columns (NaN where the cell has no time):

``time_per_matrix_s``  median_s / batch
``matrices_per_s``     batch / median_s
``gflops``             flops * batch / median_s / 1e9, in *real* flops
``pct_peak``           100 * gflops / the run's measured GEMM GFLOP/s for the real dtype
``speedup``            builtin's time / the cell's time in the same problem and mode, with a 95 %
                       interval ``speedup_lo`` .. ``speedup_hi``: the median of per-round ratios
                       when both were timed in the same rounds (:mod:`detgrad.publish.paired`),
                       else the ratio of medians with a NaN interval (v1 runs)
``speedup_best``       the same against builtin's *fastest mode* (the headline number), with
                       ``speedup_best_lo`` .. ``speedup_best_hi``; ``speedup_paired`` says which
``noise``              iqr_s / median_s of the cell's per-round samples (``noisy``: > 10 %)
``rounds``             the number of samples (rounds) behind median_s
``singular_safe``      the method's gradient is right at singular input (True for every ``pd_logdet`` cell:
                       positive-definite input is never singular) (from the run file, see
                       :mod:`detgrad.publish.methods`; False for peers and unknown methods)

Complex dtypes: a record's ``flops`` is the count for a real matrix of the same
``n`` (e.g. 2n^3 for LU value + gradient); one complex multiply-add costs four
real ones, so GFLOP/s for complex64/complex128 is multiplied by
:data:`COMPLEX_FLOP_FACTOR` and compared with the float32/float64 GEMM peak.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from detgrad.catalog import PD_TARGET
from detgrad.publish import methods
from detgrad.publish.paired import add_speedups

BASELINE = "builtin"
DETGRAD = "detgrad"
REAL_DTYPE = {"float32": "float32", "float64": "float64", "complex64": "float32", "complex128": "float64"}
COMPLEX_FLOP_FACTOR = 4.0
FAILED = ("error", "nonfinite", "wrong", "oom", "timeout")
# Axes that identify a cell apart from the machine it ran on.
CELL_AXES = ["family", "method", "mode", "target", "n", "batch", "dtype", "device", "threads"]
# Axes on which a method is compared with the baseline.
# What makes two cells the same problem (speedups compare within one, recommendations pick per one).
PROBLEM_AXES = ["n", "batch", "dtype", "target", "device_label", "threads", "cond"]
# Of those, the axes most sweeps hold at one value; tables show them only when they vary.
SECONDARY_AXES = ["threads", "cond"]

_COLUMNS = {
    "key": None, "family": DETGRAD, "method": None, "mode": None, "target": "det", "n": np.nan, "batch": 1,
    "dtype": None, "device": "CPU:0", "threads": np.nan, "cond": np.nan, "status": "ok", "reason": None,
    "samples_s": None, "calls_per_sample": np.nan, "median_s": np.nan, "iqr_s": np.nan, "min_s": np.nan,
    "noisy": None, "trace_s": np.nan, "value_rel_err": np.nan, "grad_rel_err": np.nan,
    "peak_mem_bytes": np.nan, "flops": np.nan, "started": None, "wall_s": np.nan,
    "group": None, "group_id": None, "canary_s": None,
}  # fmt: skip
_NUMERIC = ["n", "batch", "threads", "cond", "median_s", "iqr_s", "min_s", "trace_s", "value_rel_err", "grad_rel_err",
            "peak_mem_bytes", "flops", "wall_s", "calls_per_sample"]  # fmt: skip


def _hardware(env: dict[str, Any], device: str) -> str:
    """Short hardware name for a device string like ``GPU:0`` or ``CPU:0``."""
    kind, _, index = str(device).partition(":")
    if kind.upper() == "GPU":
        gpus = env.get("gpus") or []
        i = int(index) if index.isdigit() else 0
        if i < len(gpus):
            gpu = gpus[i]
            return str(gpu.get("name", "GPU") if isinstance(gpu, dict) else gpu)
        return "GPU"
    return str(env.get("cpu_model") or "CPU")


def device_label(env: dict[str, Any], device: str, threads: Any = 0) -> str:
    """``"CPU:0 Xeon 8375C @ host"``: device, hardware and host, so machines stay apart.

    A cell run with a fixed number of intra-op threads (``threads`` > 0; 0 is TensorFlow's
    default) is another configuration of the device: ``"CPU:0 Xeon 8375C @ host, 1 thread"``,
    so one run sweeping ``threads = [1, 2]`` compares them like two devices.
    """
    hw = " ".join(_hardware(env, device).replace("(R)", "").replace("(TM)", "").split())
    if len(hw) > 28:
        hw = hw[:27] + "…"
    label = f"{device} {hw} @ {env.get('hostname', '?')}"
    try:
        count = int(threads)
    except (TypeError, ValueError):
        count = 0
    return f"{label}, {count} thread{'s' if count > 1 else ''}" if count > 0 else label


def series_name(family: str, method: str) -> str:
    """Legend/row name: detgrad methods by name; a peer's own method as users write it (``jax.jit``, ``torch``,
    ``numpy``), any other peer method as ``family.method`` (e.g. ``jax.slogdet``)."""
    if family == DETGRAD:
        return str(method)
    if method == family:
        return methods.PEER_LABEL.get(family, str(family))
    return f"{family}.{method}"


def tidy(runs: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]) -> pd.DataFrame:
    """One row per cell record of all ``runs`` (as returned by :func:`detgrad.runs.reader.load_run`), with derived columns."""
    rows = []
    for head, records in runs:
        env = head.get("environment") or {}
        peaks = (env.get("ceilings") or {}).get("matmul_gflops") or {}
        for rec in records:
            row = {k: rec.get(k, default) for k, default in _COLUMNS.items()}
            row.update(
                run_id=str(head.get("run_id")),
                created=head.get("created"),
                sweep=(head.get("spec") or {}).get("name"),
                hostname=env.get("hostname"),
                cpu_model=env.get("cpu_model"),
                device_label=device_label(env, row["device"], row["threads"]),
                peak_gflops=peaks.get(REAL_DTYPE.get(row["dtype"], ""), np.nan),
                singular_safe=methods.singular_safe(head, row["family"], row["method"]),
            )
            rows.append(row)
    cols = [*_COLUMNS, "run_id", "created", "sweep", "hostname", "cpu_model", "device_label", "peak_gflops", "singular_safe"]
    df = pd.DataFrame(rows, columns=cols)
    for c in [*_NUMERIC, "peak_gflops"]:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df["series"] = [series_name(f, m) for f, m in zip(df["family"], df["method"], strict=True)]
    # a positive-definite matrix is never singular: there every method right on the input is a candidate
    df.loc[df["target"].eq(PD_TARGET), "singular_safe"] = True
    return add_metrics(df)


def add_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Add per-matrix time, throughput, GFLOP/s, % of peak, noise and both speedups with intervals (a new frame)."""
    df = df.copy()
    ok = df["status"].eq("ok") & (df["median_s"] > 0)
    t = df["median_s"].where(ok)
    df["time_per_matrix_s"] = t / df["batch"]
    df["matrices_per_s"] = df["batch"] / t
    factor = np.where(df["dtype"].astype(str).str.startswith("complex"), COMPLEX_FLOP_FACTOR, 1.0)
    df["gflops"] = df["flops"] * factor * df["batch"] / t / 1e9
    df["pct_peak"] = 100.0 * df["gflops"] / df["peak_gflops"]
    df["noise"] = df["iqr_s"].where(ok) / t
    df["rounds"] = [len(s) if isinstance(s, list) else 0 for s in df["samples_s"]]
    return add_speedups(df, PROBLEM_AXES, BASELINE, DETGRAD)


# Which status a cell shows when its modes disagree: the worst wins (a wrong gradient beats "unsupported").
STATUS_PRECEDENCE = ("wrong", "nonfinite", "error", "timeout", "oom", "unsupported", "ok")


def status_rank(status: pd.Series) -> pd.Series:
    """0 for the worst status (wrong), growing towards ok; unknown statuses rank just before ok."""
    order = {s: i for i, s in enumerate(STATUS_PRECEDENCE)}
    return status.map(lambda s: order.get(s, len(STATUS_PRECEDENCE) - 1.5))


def best_modes(df: pd.DataFrame) -> pd.DataFrame:
    """Per (series, problem) the fastest ok mode, or, when some mode is wrong or none is ok, the worst status.

    A method whose gradient is wrong in one mode shows ``wrong`` for the problem even if another
    mode ran fine: a reader picks a method, not a mode, from these tables.
    """
    keys = ["family", "method", "series", *PROBLEM_AXES]
    ranked = df.assign(_rank=status_rank(df["status"]))
    worst = ranked.sort_values("_rank", kind="stable").drop_duplicates(keys)
    wrong = worst[worst["status"].eq("wrong")]
    ok = df[df["status"].eq("ok") & df["median_s"].notna()]
    ok = ok[~ok.set_index(keys).index.isin(wrong.set_index(keys).index)]
    best = ok.loc[ok.groupby(keys, dropna=False)["median_s"].idxmin()]
    failed = worst[~worst.set_index(keys).index.isin(best.set_index(keys).index)].drop(columns="_rank")
    return pd.concat([best, failed], ignore_index=True).sort_values(keys).reset_index(drop=True)


def main_condition(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """One condition number per problem point, so a cond axis does not stack cells on one point.

    Where a point (:data:`PROBLEM_AXES` but cond) was measured at several condition
    numbers, only the sweep's most common of them is kept (ties: the smaller).  Returns the cells
    and a title suffix (empty when nothing was dropped).  The accuracy chart shows every cond.
    """
    conds = df["cond"].fillna(-1.0)
    if conds.nunique() <= 1:
        return df, ""
    freq = conds.value_counts()
    order = sorted(freq.index, key=lambda c: (-freq[c], c))
    score = -conds.map({c: i for i, c in enumerate(order)})
    keys = [k for k in PROBLEM_AXES if k != "cond"]
    keep = score.eq(score.groupby([df[k].fillna(-1) for k in keys]).transform("max"))
    if keep.all():
        return df, ""
    main = order[0]
    text = "no cond set" if main == -1.0 else f"cond {main:g}"
    return df[keep], f"; {text} where several"


FIT_MIN_N = 64  # below it per-call dispatch, not arithmetic, sets the time: a fit there says nothing about k


def complexity_fit(df: pd.DataFrame, min_points: int = 4, min_r2: float | None = None, min_n: int = FIT_MIN_N) -> pd.DataFrame:
    """Fit time per matrix ∝ n^k per (series, mode, target, dtype, batch, device) by log-log least squares.

    Only ok cells with n >= ``min_n`` count (the large-n tail: at small n a call is mostly dispatch,
    and k came out 0.8-2.7 over n = 2-2048); groups with fewer than ``min_points`` distinct n are skipped, and with
    ``min_r2`` so are fits whose r² is below it (a power law that does not explain the data says
    nothing about k).  Returns ``k`` (exponent), ``r2`` and the n range used.
    """
    keys = ["series", "mode", "target", "dtype", "batch", "device_label"]
    ok = df[df["status"].eq("ok") & (df["time_per_matrix_s"] > 0) & (df["n"] >= min_n)]
    rows = []
    for key, grp in ok.groupby(keys, dropna=False, sort=True):
        pts = grp.groupby("n")["time_per_matrix_s"].median()
        if len(pts) < min_points:
            continue
        x, y = np.log(pts.index.to_numpy(float)), np.log(pts.to_numpy(float))
        k, c = np.polyfit(x, y, 1)
        resid = y - (k * x + c)
        ss = float(((y - y.mean()) ** 2).sum())
        r2 = 1.0 - float((resid**2).sum()) / ss if ss > 0 else 1.0
        if min_r2 is not None and r2 < min_r2:
            continue
        rows.append(
            dict(
                zip(keys, key, strict=True),
                k=float(k),
                r2=r2,
                n_min=int(pts.index.min()),
                n_max=int(pts.index.max()),
                points=len(pts),
            )
        )
    return pd.DataFrame(rows, columns=[*keys, "k", "r2", "n_min", "n_max", "points"])


def environments(runs: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]) -> pd.DataFrame:
    """One row per run: id, date, host, CPU, cores, versions, GPUs and GEMM ceilings."""
    rows = []
    for head, records in runs:
        env = head.get("environment") or {}
        ceil = env.get("ceilings") or {}
        mm = ceil.get("matmul_gflops") or {}
        gpus = env.get("gpus") or []
        rows.append(
            {
                "run_id": head.get("run_id"),
                "created": head.get("created"),
                "sweep": (head.get("spec") or {}).get("name"),
                "cells": len(records),
                "hostname": env.get("hostname"),
                "cpu_model": env.get("cpu_model"),
                "cores": env.get("cores"),
                "gpus": ", ".join(str(g.get("name", g) if isinstance(g, dict) else g) for g in gpus) or "none",
                "tf_version": env.get("tf_version"),
                "python": env.get("python"),
                "numpy": env.get("numpy"),
                "detgrad_version": env.get("detgrad_version"),
                "git_commit": (env.get("git_commit") or "")[:12] or None,
                "gemm_gflops_f32": mm.get("float32"),
                "gemm_gflops_f64": mm.get("float64"),
                "bandwidth_gbs": ceil.get("bandwidth_gbs"),
            }
        )
    return pd.DataFrame(rows)
