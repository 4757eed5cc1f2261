"""Run files, schema v1: JSON Lines with a header line then one record per cell.

Header::

    {"kind": "header", "schema": "detgrad-run", "schema_version": 1, "run_id", "created",
     "spec": {...}, "environment": {...}}

Record (one per cell, appended and flushed as the cell finishes)::

    {"kind": "cell", "key", "family", "method", "mode", "target", "n", "batch", "dtype",
     "device", "threads", "cond", "status", "reason", "samples_s", "calls_per_sample",
     "median_s", "iqr_s", "min_s", "noisy", "trace_s", "value_rel_err", "grad_rel_err",
     "peak_mem_bytes", "flops", "started", "wall_s"}

Times are seconds per call (value + gradient of the whole batch); ``flops``
is ``Method.flops(n)`` for one matrix; ``peak_mem_bytes`` is None on CPU.
Non-finite floats are stored as null (JSON has no inf/nan).  Nothing here
imports TensorFlow.
"""

from __future__ import annotations

import json
import math
import os
import uuid
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from detgrad.errors import DetgradError
from detgrad.runfile import RunFileWarning, load_run  # noqa: F401  (one loader for both layers)
from detgrad.spec import Cell
from detgrad.timing import Timing, summarize

SCHEMA = "detgrad-run"
SCHEMA_VERSION = 1
STATUSES = ("ok", "unsupported", "error", "nonfinite", "wrong", "oom", "timeout")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def make_header(spec: dict[str, Any], environment: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
    """The header line of a run file."""
    return {
        "kind": "header",
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id or uuid.uuid4().hex[:12],
        "created": utc_now(),
        "spec": spec,
        "environment": environment,
    }


def _flops(cell: Cell) -> float | None:
    try:
        from detgrad.impls.registry import get_method

        return float(get_method(cell.method).flops(cell.n))
    except Exception:  # noqa: BLE001 - flops are optional metadata
        return None


def make_record(
    cell: Cell,
    status: str,
    reason: str | None = None,
    *,
    timing: Timing | None = None,
    started: str | None = None,
    wall_s: float = 0.0,
    **fields: Any,
) -> dict[str, Any]:
    """A schema-v1 cell record; ``fields`` sets trace_s, value_rel_err, grad_rel_err, peak_mem_bytes."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    samples = list(timing.samples_s) if timing else []
    stats = summarize(samples)
    record = {"kind": "cell", "key": cell.key, **cell.to_dict()}
    record.update(
        status=status,
        reason=reason,
        samples_s=samples,
        calls_per_sample=timing.calls_per_sample if timing else 0,
        median_s=stats.median_s,
        iqr_s=stats.iqr_s,
        min_s=stats.min_s,
        noisy=stats.noisy,
        trace_s=None,
        value_rel_err=None,
        grad_rel_err=None,
        peak_mem_bytes=None,
        flops=_flops(cell),
        started=started or utc_now(),
        wall_s=wall_s,
    )
    record.update(fields)
    return {k: _finite(v) for k, v in record.items()}


class RunWriter:
    """Append-only writer: ``write(record)`` appends one line, flushes and fsyncs."""

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any] | None = None, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if header is None:
            repair_tail(self.path)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        else:
            self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
            self.write(header)

    def write(self, item: dict[str, Any]) -> None:
        self._fh.write(json.dumps(item, allow_nan=False) + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def repair_tail(path: str | os.PathLike[str]) -> bool:
    """Cut a partial last line (a writer killed mid-line); True if something was cut."""
    p = Path(path)
    data = p.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    cut = data.rfind(b"\n") + 1
    with open(p, "r+b") as fh:
        fh.truncate(cut)
    warnings.warn(f"{p}: removed a truncated last line", RunFileWarning, stacklevel=2)
    return True


def completed_keys(path: str | os.PathLike[str]) -> set[str]:
    """Keys of the cells that already have a record in ``path``."""
    return {r["key"] for r in load_run(path)[1]}


def records_frame(paths: str | os.PathLike[str] | list) -> Any:
    """One pandas DataFrame of the records of one or more run files (+ a ``run_id`` column)."""
    import pandas as pd

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    rows = []
    for path in paths:
        header, records = load_run(path)
        rows.extend({**r, "run_id": header["run_id"]} for r in records)
    return pd.DataFrame(rows)


def merge_runs(paths: list, out: str | os.PathLike[str]) -> Path:
    """Concatenate the records of shard files into ``out`` (header of the first, keys deduplicated)."""
    if not paths:
        raise DetgradError("merge_runs: no run files given")
    loaded = [load_run(p) for p in paths]
    header = dict(loaded[0][0])
    header["merged_from"] = [h["run_id"] for h, _ in loaded]
    header["spec"] = dict(header.get("spec", {}), shard=None)
    seen: set[str] = set()
    with RunWriter(out, header) as writer:
        for _, records in loaded:
            for r in records:
                if r["key"] not in seen:
                    seen.add(r["key"])
                    writer.write(r)
    return Path(out)
