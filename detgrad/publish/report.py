"""Write a Markdown report of one or more run files: environment, headline and recommendation tables,
every chart (PNG shown, SVG and PDF linked alongside), the conformance matrix, plus CSV/Markdown tables.

Layout of ``out_dir``::

    README.md            the report (relative links only, safe to commit)
    tables/*.csv, *.md   cells, headline, recommendations, complexity fits, environment
    charts/*.png, *.svg  one file per chart and format (``formats``: png, svg, pdf)

Never imports TensorFlow; the conformance matrix arrives as pre-rendered Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from detgrad.catalog import MODES, PD_TARGET
from detgrad.publish import (
    aggregate,
    answer,
    charts,
    default_cost,
    devices,
    methods,
    positive_definite,
    recommend,
    tables,
    targets,
)
from detgrad.publish.charts.style import save
from detgrad.publish.compare import compare_frames

CHECK_HINT = (
    "No conformance matrix was supplied.  Regenerate it on the machine that ran the sweep with "
    "`detgrad check --markdown check.md` and rebuild this report with `detgrad report RUN... --out DIR --check check.md`."
)


@dataclass
class Chart:
    """One rendered chart: file stem, caption and the written paths."""

    stem: str
    caption: str
    paths: list[Path] = field(default_factory=list)

    @property
    def image(self) -> Path | None:
        """The file a Markdown viewer shows inline: the PNG, else the SVG; ``None`` when only a PDF was written."""
        return next((p for suffix in (".png", ".svg") for p in self.paths if p.suffix == suffix), None)


def _charts(df: pd.DataFrame, out: Path, formats: tuple[str, ...]) -> list[Chart]:
    """Render every chart for ``df`` into ``out``; returns them in report order."""
    made: list[Chart] = []

    def add(fig: Any, stem: str, caption: str) -> None:
        made.append(Chart(stem, caption, save(fig, out, stem, formats)))

    dtypes = [d for d in charts.DTYPE_ORDER if d in set(df["dtype"])]
    modes = [m for m in MODES if m in set(df["mode"])]
    device_labels = sorted(df["device_label"].unique())
    for target in sorted(df["target"].dropna().unique()):
        t = df[df["target"].eq(target)]
        timed = t[t["status"].eq("ok") & t["median_s"].notna()]
        if timed.empty:
            continue
        if t["speedup"].notna().any():
            add(
                charts.relative_to_builtin(t, target),
                f"relative_{target}",
                f"Speed relative to TF's builtin ({target}), per mode: t_builtin / t, "
                + ("the default and the Cholesky family" if target == PD_TARGET else "singular-safe methods"),
            )
        add(
            charts.time_vs_n(t, "best", target),
            f"time_vs_n_{target}_best",
            f"Time per call vs n ({target}), fastest mode per method",
        )
        for mode in modes if len(modes) > 1 else []:  # one mode only: the "best" chart already shows it
            if timed["mode"].eq(mode).any():
                add(
                    charts.time_vs_n(t, mode, target), f"time_vs_n_{target}_{mode}", f"Time per call vs n ({target}), {mode} mode"
                )
        for dt in dtypes:
            if timed.loc[timed["dtype"].eq(dt), "batch"].nunique() > 1:
                add(
                    charts.time_vs_batch(t, "best", target, dt),
                    f"time_vs_batch_{target}_{dt}",
                    f"Time per matrix vs batch ({target}, {dt})",
                )
        for i, dev in enumerate(device_labels):
            for dt in dtypes:
                here = t[t["dtype"].eq(dt) & t["device_label"].eq(dev) & t["method"].ne(aggregate.BASELINE)]
                if here["speedup_best"].notna().any():  # a heatmap needs a right builtin to compare with
                    add(
                        charts.speedup_heatmap(t, dev, "best", target, dt),
                        f"speedup_{target}_{dt}_dev{i}",
                        f"Speedup over builtin ({target}, {dt}, {dev})",
                    )
        traced = t[t["trace_s"].notna()]
        for dt in [d for d in dtypes if d in set(traced["dtype"])]:
            add(charts.compile_time(t, target, dt), f"compile_time_{target}_{dt}", f"Trace/compile time vs n ({target}, {dt})")
        if charts.condition_dtypes(t, target) and t["grad_rel_err"].notna().any():
            add(charts.grad_accuracy(t, target), f"accuracy_{target}", f"Gradient error vs condition number ({target})")
    if len(device_labels) > 1:
        base = df[df["device_label"].eq(device_labels[0])]
        for i, dev in enumerate(device_labels[1:], start=1):
            cmp = compare_frames(base, df[df["device_label"].eq(dev)], by="device")
            if cmp["speedup"].notna().any():
                add(charts.device_speedup(cmp), f"device_speedup_{i}", f"Speedup of {dev} over {device_labels[0]}")
    return made


def _write_tables(tabs: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tabs.items():
        paths.append(tables.to_csv(frame, out / f"{name}.csv"))
        path = out / f"{name}.md"
        path.write_text(tables.to_markdown(frame), encoding="utf-8")
        paths.append(path)
    return paths


NOISY_LIMIT = 0.10  # IQR / median above which a cell is flagged noisy (as the sweep flags it)
R2_MIN = 0.9  # a complexity fit is shown only when the power law explains this share of the variance
MIN_SIZES = 4  # ... and has at least this many matrix sizes


def _intro(df: pd.DataFrame, n_runs: int) -> list[str]:
    status = df["status"].value_counts()
    text = (
        f"{n_runs} run(s), {len(df)} cells: " + ", ".join(f"{int(c)} {s}" for s, c in status.items()) + ".  "
        "Times are seconds per call of value + gradient for the whole batch (median of the raw samples); "
        "`speedup` is TF builtin's time / the method's time on the same device (>1: faster)."
    )
    peers = methods.series_order(df.loc[df["family"].ne(aggregate.DETGRAD), "series"])
    if peers:
        names = ", ".join(f"`{p}`" for p in peers)
        text += f"  Peers ({names}) are other frameworks, shown for reference, not detgrad methods."
    return [text, ""]


def _recommendation_text(rec: pd.DataFrame, runs: Sequence[tuple[dict[str, Any], list[dict[str, Any]]]], modes: int) -> str:
    """How to read the recommendation table (Markdown bullets), including where singular-safety came from."""
    lines = [
        "- `use`: per problem, the fastest method that is right for that input (its value and gradient passed the "
        "accuracy check in every mode it ran) **and** singular-safe (its gradient stays right at singular matrices), "
        "at its fastest compile mode.",
        "- `vs builtin`: TF builtin's time in its fastest mode / that time (>1: faster).  TF's builtin is never the "
        "answer (it is not singular-safe); where its gradient is wrong (complex det, or any failed check) the column "
        "says `builtin wrong`.",
        f"- `{tables.UNSAFE_COLUMN}`: a faster method that is not singular-safe (it raises or returns NaN on a singular "
        "matrix), with its speedup; take it only if your inputs can never be singular.",
    ]
    if len(rec) and rec["not_measured"].map(lambda v: isinstance(v, str)).any():
        lines.insert(
            1,
            "- `use` with `…; graph and xla not measured` (or whichever modes): the run measured that problem in one "
            "compile mode only, so its answer never competed with the other modes.",
        )
    if modes > 1:
        lines.append(
            "- `eager` / `graph` / `XLA`: the singular-safe answer for code fixed to that compile mode, and its time per call."
        )
    cols = ["vs_builtin_lo", "vs_builtin_hi"]
    if len(rec) and rec[cols].notna().all(axis=1).any():
        lines.append("- `[lo–hi]`: the 95 % interval of the speedup measured round by round, side by side with builtin.")
    else:
        lines.append(
            "- The speedups are ratios of medians measured at different times (this run has no paired rounds): "
            "read small differences as noise."
        )
    if any(methods.source(head) == methods.FROM_TABLE for head, _ in runs):
        lines.append(
            "- Singular-safety: this run file does not record it, so the report uses detgrad's built-in list of known "
            f"methods ({methods.describe_table()})."
        )
    else:
        lines.append("- Singular-safety comes from the run file (recorded from the method registry by the sweep).")
    return "\n".join(lines)


def _noise_text(df: pd.DataFrame) -> list[str]:
    measured = df[df["status"].eq("ok") & df["median_s"].notna()]
    if measured.empty:
        return []
    noisy = int(measured["noisy"].eq(True).sum())
    share = noisy / len(measured)
    text = (
        f"{noisy} of {len(measured)} measured cells ({share:.0%}) are noisy: their interquartile range is more than "
        f"{NOISY_LIMIT:.0%} of their median (`noisy` in `tables/cells.csv`)."
    )
    if noisy:
        text += (
            "  To reduce it: a longer sampling time per cell (`budget_s` in the spec's `[settings]`), a fixed "
            "thread count (`detgrad sweep --threads N` or the spec's `threads` axis), and an idle machine "
            "(no other jobs; the same power and frequency settings for the whole run)."
        )
    return ["## Measurement noise", "", text, ""]


def _complexity(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    fit = aggregate.complexity_fit(df, min_points=MIN_SIZES, min_r2=R2_MIN) if len(df) else pd.DataFrame()
    if fit.empty:
        return fit, []
    table = tables.complexity(fit)
    return table, [
        "## Complexity: time per matrix ∝ n^k",
        "",
        f"Log-log least-squares fit over the large-n tail (n ≥ {aggregate.FIT_MIN_N}; below it a call is mostly dispatch) "
        f"per method, mode, dtype and batch, shown only with at least {MIN_SIZES} sizes "
        f"and r² ≥ {R2_MIN} (the power law explains at least {R2_MIN:.0%} of the variance of log time); k ≈ 3 is the "
        "cubic regime, smaller k means per-call overhead still dominates.",
        "",
        tables.to_markdown(table),
    ]


def _png_name(chart: Chart) -> str:
    return next((p for p in chart.paths if p.suffix == ".png"), chart.paths[0]).name


def build_report(
    runs: Sequence[tuple[dict[str, Any], list[dict[str, Any]]]],
    out_dir: str | Path,
    check_markdown: str | None = None,
    title: str = "detgrad benchmark report",
    formats: tuple[str, ...] = ("png", "svg"),
    with_charts: bool = True,
) -> Path:
    """Write the report for ``runs`` (``(header, records)`` pairs) into ``out_dir``; returns the README path.

    ``check_markdown`` is the pre-rendered conformance matrix (the file written by
    ``detgrad check --markdown FILE``); without it the report says how to regenerate it.
    ``with_charts=False`` writes the tables only (fast).  Sections and tables with nothing
    to show are left out.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df = aggregate.tidy(runs)
    env = aggregate.environments(runs)
    raw_rec = recommend.recommend(df) if len(df) else pd.DataFrame(columns=recommend.COLUMNS)
    per_mode = recommend.by_mode(df) if len(df) else {}
    rec = tables.recommendation(raw_rec, per_mode) if len(raw_rec) else pd.DataFrame()
    head = tables.headline(df) if len(df) else pd.DataFrame()
    fit, fit_md = _complexity(df)
    cost = default_cost.default_cost(df) if len(df) else pd.DataFrame()
    tabs = {"cells": tables.cells(df), "headline": head, "recommendations": rec, "default_cost": cost, "complexity": fit}
    tabs["environment"] = env
    tabs.update(devices.device_tables(df) if len(df) else {})
    table_paths = _write_tables({k: v for k, v in tabs.items() if len(v)}, out / "tables")
    made = _charts(df, out / "charts", formats) if len(df) and with_charts else []

    md = [f"# {title}", ""]
    md += answer.markdown_section(df) if len(df) else []
    relative = [c for c in made if c.stem.startswith("relative_")]
    for chart in [c for c in relative if c.stem != f"relative_{PD_TARGET}"]:
        md += [f"![{chart.caption}](charts/{chart.image.name})", ""] if chart.image else []
    md += positive_definite.markdown_section(df) if len(df) else []
    for chart in [c for c in relative if c.stem == f"relative_{PD_TARGET}"]:
        md += [f"![{chart.caption}](charts/{chart.image.name})", ""] if chart.image else []
    md += _intro(df, len(runs))
    if len(rec):
        md += ["## Recommendations", "", _recommendation_text(raw_rec, runs, len(per_mode)), "", tables.to_markdown(rec)]
    md += default_cost.markdown_section(df) if len(df) else []
    labels = sorted(df["device_label"].unique()) if len(df) else []
    device_charts = {labels[int(c.stem.rsplit("_", 1)[1])]: _png_name(c) for c in made if c.stem.startswith("device_speedup_")}
    md += devices.markdown_section(df, device_charts) if len(df) else []
    md += _noise_text(df)
    env_t = env.astype(str).set_index("run_id").T.reset_index(names="run") if len(env) else env
    md += ["## Environment", "", tables.to_markdown(env_t)]
    if len(head):
        md += ["## Headline: time per call (speedup over builtin's fastest mode, mode)", ""]
        for (dev, dt, tgt), grp in head.groupby(["device", "dtype", "target"], sort=True):
            cols = [c for c in grp.columns if c not in ("device", "dtype", "target") and grp[c].notna().any()]
            md += [f"### {dt}, {tgt} — {dev}", "", tables.to_markdown(grp[cols])]
    md += targets.markdown_section(df)
    md += fit_md
    if made:
        md += ["## Charts", ""]
    for chart in made:
        links = " · ".join(f"[{p.suffix[1:].upper()}](charts/{p.name})" for p in chart.paths)
        image = [f"![{chart.caption}](charts/{chart.image.name})", ""] if chart.image else []
        md += [f"### {chart.caption}", "", *image, links, ""]
    md += ["## Conformance matrix", "", (check_markdown.strip() if check_markdown else CHECK_HINT), ""]
    md += ["## Files", ""]
    md += [f"- [{p.relative_to(out).as_posix()}]({p.relative_to(out).as_posix()})" for p in table_paths]
    readme = out / "README.md"
    readme.write_text("\n".join(md) + "\n", encoding="utf-8")
    return readme
