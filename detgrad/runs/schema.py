"""The run-file schema v2: JSON Lines with a header line then one record per cell.

Header::

    {"kind": "header", "schema": "detgrad-run", "schema_version": 2, "run_id", "created",
     "spec": {...}, "environment": {...}}

``spec.shard`` is ``"K/N"`` in the file of shard K of N (``run.shard-K-of-N.jsonl``), else null.
Written by ``detgrad sweep`` and optional for readers: ``methods`` (each method's facts) and
``planned_cells`` (how many cells the run, or its shard, was to measure); a merged file adds
``merged_from`` (the run ids of its parts) and, when merged incomplete, ``merge_gaps``.

Record (one per cell, appended and flushed as its group finishes)::

    {"kind": "cell", "key", "family", "method", "mode", "target", "n", "batch", "dtype",
     "device", "threads", "cond", "status", "reason", "samples_s", "calls_per_sample",
     "median_s", "iqr_s", "min_s", "noisy", "trace_s", "value_rel_err", "grad_rel_err",
     "peak_mem_bytes", "flops", "started", "wall_s",
     "group", "group_id", "position", "canary_s"}                          (new in v2)

Times are seconds per call (value + gradient of the whole batch); ``flops``
is ``Method.flops(n)`` for one matrix; ``peak_mem_bytes`` is None on CPU.
Non-finite floats are stored as null (JSON has no inf/nan).  Nothing here
imports TensorFlow.

v2 measures the cells of one problem together (:attr:`Cell.problem_key`: every axis but
family, method and mode) in interleaved rounds, one block of every cell per round:

``group``     the problem key, shared by the cells of a group
``group_id``  one id per measured group; records with the same ``group_id`` were timed in
              the same rounds, so ``samples_s[r]`` of one and of another are *paired*
``samples_s`` one sample per round: ``samples_s[r]`` is the cell's seconds per call in round r
``position``  the cell's place (0 = first) in round r's order, which is shuffled per round
``canary_s``  seconds per call of a fixed reference workload timed in the same rounds
              (the drift reference of ``detgrad compare``), aligned with ``samples_s``

A v1 record has none of these; its samples are independent blocks (readers treat them as
unpaired).  :data:`SUPPORTED_VERSIONS` lists what the reader accepts.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from detgrad.runs.samples import Timing, summarize

SCHEMA = "detgrad-run"
SCHEMA_VERSION = 2
SUPPORTED_VERSIONS = (1, 2)  # schema versions the reader accepts
STATUSES = ("ok", "unsupported", "error", "nonfinite", "wrong", "oom", "timeout")


@dataclass(frozen=True)
class Cell:
    """One point of the sweep grid (what to time) and the identity of its record; ``key`` is its stable unique id."""

    method: str
    mode: str
    target: str
    n: int
    batch: int
    dtype: str
    device: str = "CPU:0"
    threads: int = 0
    cond: float | None = None
    family: str = "detgrad"

    @property
    def key(self) -> str:
        cond = "none" if self.cond is None else f"{self.cond:g}"
        return (
            f"{self.family}/{self.method}/{self.mode}/{self.target}/n={self.n}/batch={self.batch}/"
            f"{self.dtype}/{self.device}/threads={self.threads}/cond={cond}"
        )

    @property
    def problem_key(self) -> str:
        """Every axis but family, method and mode: cells with equal problem keys are timed as one group."""
        cond = "none" if self.cond is None else f"{self.cond:g}"
        return f"{self.target}/n={self.n}/batch={self.batch}/{self.dtype}/{self.device}/threads={self.threads}/cond={cond}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cell:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def label(self) -> str:
        cond = "" if self.cond is None else f" cond={self.cond:g}"
        where = f"{self.device} t={self.threads}{cond}"
        return f"{self.method} {self.mode} {self.target} n={self.n} b={self.batch} {self.dtype} {where}"


def run_file_name(shard: tuple[int, int] | None = None) -> str:
    """The run file's name in its run directory: ``run.jsonl``, or ``run.shard-K-of-N.jsonl`` for shard K of N."""
    return "run.jsonl" if shard is None else f"run.shard-{shard[0]}-of-{shard[1]}.jsonl"


SHARD_FILES = "run.shard-*-of-*.jsonl"  # glob of the shard run files in a run directory


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
    """A schema-v2 cell record; ``fields`` sets trace_s, value_rel_err, grad_rel_err, peak_mem_bytes,
    group_id and canary_s (``group`` is the cell's problem key, ``position`` comes from ``timing``)."""
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
        group=cell.problem_key,
        group_id=None,
        position=list(timing.positions) if timing else [],
        canary_s=[],
    )
    record.update(fields)
    return {k: _finite(v) for k, v in record.items()}
