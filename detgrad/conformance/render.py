"""Render conformance outcomes as text or Markdown matrices (no TensorFlow)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

VERDICT_ORDER = ("pass", "loud", "wrong", "n/a")


def cell_text(verdict: str, error: float | None) -> str:
    """Short cell label: the error for pass/wrong, 'raises'/'nan' for loud, 'n/a'."""
    if verdict == "n/a":
        return "n/a"
    if verdict == "loud":
        return "nan" if error is not None else "raises"
    text = f"{error:.0e}" if error else "0"
    return text if verdict == "pass" else f"WRONG {text}"


def escape_cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell: ``complex64 |det|^2`` would otherwise split the row."""
    return text.replace("|", "\\|")


def _grid(outcomes: Sequence, mode: str) -> tuple[list[str], list[str], dict]:
    cases: list[str] = []
    methods: list[str] = []
    cells = {}
    for o in outcomes:
        if o.mode != mode:
            continue
        if o.case not in cases:
            cases.append(o.case)
        if o.method not in methods:
            methods.append(o.method)
        cells[o.case, o.method] = o
    return cases, methods, cells


def modes_of(outcomes: Iterable) -> list[str]:
    seen: list[str] = []
    for o in outcomes:
        if o.mode not in seen:
            seen.append(o.mode)
    return seen


def summary_counts(outcomes: Sequence) -> dict[tuple[str, str], Counter]:
    """{(method, mode): Counter(verdict)}."""
    counts: dict[tuple[str, str], Counter] = {}
    for o in outcomes:
        counts.setdefault((o.method, o.mode), Counter())[o.verdict] += 1
    return counts


def render_text(outcomes: Sequence) -> str:
    """One table per mode (cases x methods) plus a verdict summary."""
    lines = []
    for mode in modes_of(outcomes):
        cases, methods, cells = _grid(outcomes, mode)
        width = max(len(c) for c in cases) + 2
        lines.append(f"== mode: {mode} (max error relative to the reference's scale) ==")
        lines.append("case".ljust(width) + "".join(m.rjust(13) for m in methods))
        for case in cases:
            row = case.ljust(width)
            for m in methods:
                o = cells.get((case, m))
                row += (cell_text(o.verdict, o.error) if o else "-").rjust(13)
            lines.append(row)
        lines.append("")
    lines.append(render_summary(outcomes))
    return "\n".join(lines)


def render_summary(outcomes: Sequence) -> str:
    """'method  mode  pass loud wrong n/a' lines."""
    lines = ["summary: method / mode: pass, loud (raises or NaN), WRONG (silently wrong), n/a (declared unsupported)"]
    for (method, mode), c in summary_counts(outcomes).items():
        lines.append(f"  {method:8} {mode:6} pass {c['pass']:3}  loud {c['loud']:3}  WRONG {c['wrong']:3}  n/a {c['n/a']:3}")
    return "\n".join(lines)


def render_markdown(outcomes: Sequence) -> str:
    """The same matrices as Markdown tables."""
    parts = []
    for mode in modes_of(outcomes):
        cases, methods, cells = _grid(outcomes, mode)
        parts.append(f"**mode: {mode}**\n")
        parts.append("| case | " + " | ".join(methods) + " |")
        parts.append("|---|" + "---:|" * len(methods))
        for case in cases:
            labels = []
            for m in methods:
                o = cells.get((case, m))
                text = cell_text(o.verdict, o.error) if o else "-"
                labels.append(f"**{text}**" if o and o.verdict == "wrong" else text)
            parts.append(f"| {escape_cell(case)} | " + " | ".join(labels) + " |")
        parts.append("")
    counts = summary_counts(outcomes)
    parts.append("| method | mode | pass | loud | WRONG | n/a |\n|---|---|---:|---:|---:|---:|")
    for (method, mode), c in counts.items():
        parts.append(f"| {method} | {mode} | {c['pass']} | {c['loud']} | {c['wrong']} | {c['n/a']} |")
    return "\n".join(parts) + "\n"
