"""Write a Markdown report of one or more run files: environment, headline and recommendation tables,
every chart (PNG linked, SVG alongside), the conformance matrix, plus CSV/Markdown tables.

Layout of ``out_dir``::

    README.md            the report (relative links only, safe to commit)
    tables/*.csv, *.md   cells, headline, recommendations, complexity fits, environment
    charts/*.png, *.svg  one file pair per chart

Never imports TensorFlow; the conformance matrix arrives as pre-rendered Markdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from detgrad.publish import aggregate, charts, tables, targets
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


def _charts(df: pd.DataFrame, out: Path, formats: tuple[str, ...]) -> list[Chart]:
    """Render every chart for ``df`` into ``out``; returns them in report order."""
    made: list[Chart] = []

    def add(fig: Any, stem: str, caption: str) -> None:
        made.append(Chart(stem, caption, save(fig, out, stem, formats)))

    dtypes = [d for d in charts.DTYPE_ORDER if d in set(df["dtype"])]
    modes = [m for m in ("eager", "graph", "xla") if m in set(df["mode"])]
    devices = sorted(df["device_label"].unique())
    for target in sorted(df["target"].dropna().unique()):
        t = df[df["target"].eq(target)]
        add(
            charts.time_vs_n(t, "best", target),
            f"time_vs_n_{target}_best",
            f"Time per call vs n ({target}), fastest mode per method",
        )
        for mode in modes if len(modes) > 1 else []:  # one mode only: the "best" chart already shows it
            add(charts.time_vs_n(t, mode, target), f"time_vs_n_{target}_{mode}", f"Time per call vs n ({target}), {mode} mode")
        for dt in dtypes:
            if t.loc[t["dtype"].eq(dt), "batch"].nunique() > 1:
                add(
                    charts.time_vs_batch(t, "best", target, dt),
                    f"time_vs_batch_{target}_{dt}",
                    f"Time per matrix vs batch ({target}, {dt})",
                )
        for i, dev in enumerate(devices):
            for dt in dtypes:
                if len(t[t["dtype"].eq(dt) & t["device_label"].eq(dev) & t["method"].eq(aggregate.BASELINE)]):
                    add(
                        charts.speedup_heatmap(t, dev, "best", target, dt),
                        f"speedup_{target}_{dt}_dev{i}",
                        f"Speedup over builtin ({target}, {dt}, {dev})",
                    )
        traced = t[t["trace_s"].notna()]
        for dt in [d for d in dtypes if d in set(traced["dtype"])]:
            add(charts.compile_time(t, target, dt), f"compile_time_{target}_{dt}", f"Trace/compile time vs n ({target}, {dt})")
        if t["grad_rel_err"].notna().any():
            add(charts.grad_accuracy(t, target), f"accuracy_{target}", f"Gradient error vs condition number ({target})")
    if len(devices) > 1:
        base = df[df["device_label"].eq(devices[0])]
        for i, dev in enumerate(devices[1:], start=1):
            cmp = compare_frames(base, df[df["device_label"].eq(dev)], by="device")
            if cmp["speedup"].notna().any():
                add(charts.device_speedup(cmp), f"device_speedup_{i}", f"Speedup of {dev} over {devices[0]}")
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
    ``with_charts=False`` writes the tables only (fast).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df = aggregate.tidy(runs)
    env = aggregate.environments(runs)
    rec = tables.recommendation(aggregate.recommend(df)) if len(df) else pd.DataFrame()
    fit = tables.complexity(aggregate.complexity_fit(df)) if len(df) else pd.DataFrame()
    head = tables.headline(df) if len(df) else pd.DataFrame()
    tabs = {"cells": tables.cells(df), "headline": head, "recommendations": rec, "complexity": fit, "environment": env}
    table_paths = _write_tables(tabs, out / "tables")
    made = _charts(df, out / "charts", formats) if len(df) and with_charts else []

    status = df["status"].value_counts()
    md = [f"# {title}", ""]
    md.append(
        f"{len(runs)} run(s), {len(df)} cells: " + ", ".join(f"{int(c)} {s}" for s, c in status.items()) + ". "
        "Times are seconds per call of value + gradient for the whole batch (median of the raw samples); "
        "`speedup` is TF builtin's time / the method's time on the same device (>1: faster).  "
        "Peers (`jax.*`, `torch.*`, `numpy.*`) are other frameworks, shown for reference, not detgrad methods."
    )
    env_t = env.astype(str).set_index("run_id").T.reset_index(names="run") if len(env) else env
    md += ["", "## Environment", "", tables.to_markdown(env_t)]
    md += ["## Recommendations", ""]
    md.append(
        "Fastest detgrad method per problem (each method at its fastest compile mode), and how much longer the "
        "next-best method takes.  Only cells whose value and gradient passed the accuracy check count."
    )
    md += ["", tables.to_markdown(rec), "## Headline: time per call (speedup over builtin's fastest mode, mode)", ""]
    if len(head):
        for (dev, dt, tgt), grp in head.groupby(["device", "dtype", "target"], sort=True):
            cols = [c for c in grp.columns if c not in ("device", "dtype", "target") and grp[c].notna().any()]
            md += [f"### {dt}, {tgt} — {dev}", "", tables.to_markdown(grp[cols])]
    md += targets.markdown_section(df)
    md += ["## Complexity: time per matrix ∝ n^k", "", "Log-log least-squares fit over n (at least 3 sizes) per method,"]
    md += ["mode, dtype and batch; k ≈ 3 is the cubic regime, smaller k means overhead still dominates.", ""]
    md += [tables.to_markdown(fit), "## Charts", ""]
    for chart in made:
        links = " · ".join(f"[{p.suffix[1:].upper()}](charts/{p.name})" for p in chart.paths)
        png = next((p for p in chart.paths if p.suffix == ".png"), chart.paths[0])
        md += [f"### {chart.caption}", "", f"![{chart.caption}](charts/{png.name})", "", links, ""]
    md += ["## Conformance matrix", "", (check_markdown.strip() if check_markdown else CHECK_HINT), ""]
    md += ["## Files", ""]
    md += [f"- [{p.relative_to(out).as_posix()}]({p.relative_to(out).as_posix()})" for p in table_paths]
    readme = out / "README.md"
    readme.write_text("\n".join(md) + "\n", encoding="utf-8")
    return readme
