"""Progress display (stderr) and end-of-sweep summary (stdout) of ``detgrad sweep``.

The display shows ``[done/total] pct ETA current-cell``.  On a TTY it is a
rich progress bar updated in place; otherwise (CI logs, pipes) it writes one
plain line per cell and no escape codes.  ETA = mean wall time of the cells
measured in this session x cells left (unsupported cells, decided without a
worker, do not count).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Any, TextIO

from detgrad.runs.schema import STATUSES


def _fmt_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


class Progress:
    """``start(label)`` before a cell, ``finish(status, wall_s)`` after it, ``close()`` at the end."""

    def __init__(self, total: int, done: int = 0, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.total, self.done = total, done
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._walls: list[float] = []
        self._t0 = time.perf_counter()
        self._bar = self._start_bar() if self.tty else None

    def _start_bar(self) -> Any:
        from rich.console import Console
        from rich.progress import BarColumn, TaskProgressColumn, TextColumn
        from rich.progress import Progress as Bar

        console = Console(file=self.stream, force_terminal=True, highlight=False)
        bar = Bar(
            TextColumn("[{task.completed:.0f}/{task.total:.0f}]", markup=False),
            BarColumn(bar_width=20),
            TaskProgressColumn(),
            TextColumn("{task.fields[eta]}", markup=False),
            TextColumn("{task.description}", markup=False),
            console=console,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = bar.add_task("", total=self.total, completed=self.done, eta=self._eta_text())
        bar.start()
        return bar

    def eta_s(self) -> float | None:
        if not self._walls:
            return None
        return sum(self._walls) / len(self._walls) * (self.total - self.done)

    def _eta_text(self) -> str:
        eta = self.eta_s()
        return "ETA ?" if eta is None else f"ETA {_fmt_duration(eta)}"

    def _line(self, label: str) -> str:
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return f"[{self.done}/{self.total}] {pct:3.0f}% {self._eta_text()} {label}"

    def start(self, label: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, description=label, eta=self._eta_text())
        else:
            self.stream.write(self._line(label) + "\n")
            self.stream.flush()

    def finish(self, status: str, wall_s: float) -> None:
        self.done += 1
        if status != "unsupported":
            self._walls.append(wall_s)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, eta=self._eta_text())

    def close(self) -> None:
        text = f"done in {_fmt_duration(time.perf_counter() - self._t0)}"
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, description=text, eta="")
            self._bar.stop()
        else:
            self.stream.write(f"[{self.done}/{self.total}] {text}\n")
            self.stream.flush()


def format_summary(records: list[dict[str, Any]]) -> str:
    """Status counts and a per-cell table (median, IQR/median, first call, errors)."""
    counts = Counter(r["status"] for r in records)
    parts = [f"{s}: {counts[s]}" for s in STATUSES if counts.get(s)]
    lines = [f"{len(records)} cells — " + ", ".join(parts)]
    cols = ("method", "mode", "target", "n", "batch", "dtype", "device", "threads", "cond")
    header = [*cols, "status", "median", "iqr/med", "first call", "grad err"]
    rows = []
    for r in sorted(records, key=lambda r: (r["method"], r["mode"], r["target"], r["dtype"], r["n"], r["batch"], r["key"])):
        if r["status"] == "unsupported":
            continue
        med, iqr = r.get("median_s"), r.get("iqr_s")
        ratio = f"{iqr / med:.0%}{'!' if r.get('noisy') else ''}" if med and iqr is not None else "-"
        err = r.get("grad_rel_err")
        rows.append(
            [
                *(("-" if r.get(c) is None else str(r.get(c))) for c in cols),
                r["status"],
                _fmt_time(med),
                ratio,
                _fmt_time(r.get("trace_s")),
                "-" if err is None else f"{err:.1e}",
            ]
        )
    if rows:
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
        lines.append("")
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        lines.extend("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows)
    if counts.get("unsupported"):
        lines.append(f"({counts['unsupported']} unsupported cells not listed; reasons are in the run file)")
    return "\n".join(lines)
