"""What a sweep would do, without doing it: cell counts and a rough time estimate (``detgrad sweep --dry-run``).

The estimate is ``budget_s`` plus a per-mode overhead (warm-up, tracing, XLA
compilation, the accuracy check) for every cell that would be measured, plus a
worker start per thread setting.  The overheads are averages over the
reference runs on a 2-core machine; large n, slow methods and a loaded machine
take longer, so the number is a rough estimate (within a factor of about 1.5
for the packaged presets there), not a promise.  Nothing here starts a worker
or writes a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from detgrad.runs.schema import Cell
from detgrad.sweep.settings import SweepSettings

# Seconds per measured cell on top of budget_s, by compile mode (averages over the reference runs).
MODE_OVERHEAD_S = {"eager": 0.1, "graph": 0.3, "xla": 0.8}
WORKER_START_S = 15.0  # TensorFlow import + environment and ceiling measurement, per thread setting


@dataclass(frozen=True)
class Plan:
    """Counts of a sweep's cells and its estimated duration."""

    total: int
    done: int
    unsupported: int
    to_measure: int
    estimate_s: float


def make_plan(
    cells: list[Cell], settings: SweepSettings | dict[str, Any], done_keys: set[str] | frozenset[str] = frozenset()
) -> Plan:
    """Count the cells left to run (not in ``done_keys``), how many are unsupported up front, and estimate the time."""
    from detgrad.sweep.loop import precheck

    settings = SweepSettings.from_dict(settings).with_memory_limit()
    todo = [c for c in cells if c.key not in done_keys]
    measured = [c for c in todo if not precheck(c, settings)]
    budget = settings.budget_s
    seconds = sum(budget + MODE_OVERHEAD_S.get(c.mode, 0.3) for c in measured)
    seconds += WORKER_START_S * len({c.threads for c in measured}) if measured else 0.0
    return Plan(len(cells), len(cells) - len(todo), len(todo) - len(measured), len(measured), seconds)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


def format_plan(plan: Plan, name: str) -> str:
    """A few lines for the terminal: cells, unsupported up front, estimate, and that nothing was written."""
    lines = [f"sweep {name!r}: {plan.total} cells"]
    if plan.done:
        lines[0] += f", {plan.done} already in the run file (--resume keeps them)"
    lines.append(
        f"  {plan.unsupported} unsupported up front (recorded without running: e.g. no XLA kernel, n too large, too much memory)"
    )
    lines.append(f"  {plan.to_measure} to measure")
    lines.append(
        f"estimated time: about {_duration(plan.estimate_s)} (an estimate: budget_s + per-mode overhead per cell; "
        "large n and a busy machine take longer)"
    )
    lines.append("dry run: nothing was measured or written")
    return "\n".join(lines)
