"""Run a sweep: groups of cells -> worker subprocesses -> records appended to a run file.

The cells of one problem (:attr:`Cell.problem_key`: every axis but method, family and
mode) form a *group*, measured together in one worker request (``{"op": "group"}``):
same inputs, timed paired in interleaved rounds (:mod:`detgrad.sweep.measure`).  Groups
run one at a time (timings of concurrent work would disturb each other) in a worker
process per (threads, logical_cpus) configuration (``python -m detgrad.sweep.worker``).
Cells a method cannot run (``Method.support_problem``) or that exceed ``max_bytes`` are
recorded as ``unsupported`` without a worker.  A worker that does not answer within
``timeout_s`` x the group's size is killed; one that dies or times out inside a group of
several is restarted and the group's cells are measured again one at a time, so only the
bad cell is recorded as ``timeout``, ``oom`` (SIGKILL, the OOM killer's signal) or
``error`` and its neighbours still get measured.  The records of a group are appended and
flushed as soon as the group finishes, so an interruption loses at most the group in
progress, and ``resume`` measures the cells still missing (the rest of an interrupted
group becomes a smaller group).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from detgrad.errors import DetgradError
from detgrad.runs.reader import load_run
from detgrad.runs.schema import SCHEMA_VERSION, Cell, make_header, make_record, run_file_name, utc_now
from detgrad.runs.writer import RunWriter, repair_tail
from detgrad.sweep.inputs import estimated_bytes
from detgrad.sweep.knobs import KNOBS_ENV
from detgrad.sweep.methods_info import methods_info
from detgrad.sweep.progress import Progress
from detgrad.sweep.settings import SweepSettings
from detgrad.sweep.spec import SweepSpec, shard_cells

SLOWDOWN_HOOK = "DETGRAD_TEST_SLOWDOWN"  # see detgrad.sweep.measure (not imported here: it imports TensorFlow)

STARTUP_TIMEOUT_S = 300.0


class WorkerFailure(Exception):
    """The worker died or timed out; ``status`` and ``reason`` describe it."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class Worker:
    """One ``python -m detgrad.sweep.worker`` subprocess speaking JSON Lines."""

    def __init__(self, threads: int, logical_cpus: int, log_path: Path) -> None:
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "detgrad.sweep.worker", "--threads", str(threads), "--logical-cpus", str(logical_cpus)]
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env)
        self.config = (threads, logical_cpus)
        self._buf = b""
        self._ready = False

    def wait_ready(self) -> None:
        """Block until the worker has imported and configured TensorFlow."""
        if not self._ready:
            self.read(STARTUP_TIMEOUT_S)
            self._ready = True

    def _death(self) -> WorkerFailure:
        rc = self.proc.wait()
        if rc == -signal.SIGKILL:
            return WorkerFailure("oom", "worker killed by SIGKILL (out of memory?)")
        if rc < 0:
            return WorkerFailure("error", f"worker died with signal {signal.Signals(-rc).name}")
        try:
            tail = [ln for ln in self.log_path.read_text(errors="replace").splitlines() if ln.strip()][-1:]
        except OSError:
            tail = []
        return WorkerFailure("error", f"worker exited with status {rc}" + (f": {tail[0][:200]}" if tail else ""))

    def read(self, timeout: float) -> dict[str, Any]:
        """Next JSON line from the worker within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WorkerFailure("timeout", f"no result within {timeout:g} s; worker killed")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise self._death()
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def request(self, obj: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.wait_ready()
        try:
            self.proc.stdin.write((json.dumps(obj) + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise self._death() from None
        return self.read(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()


def precheck(cell: Cell, settings: SweepSettings | dict[str, Any]) -> str | None:
    """Why the cell cannot run, decided without a worker (None if it may run)."""
    from detgrad.impls.registry import get_method
    from detgrad.sweep.peers import support_problem

    if cell.family != "detgrad":
        problem = support_problem(cell.method, cell.n, cell.dtype, cell.device)
    else:
        problem = get_method(cell.method).support_problem(cell.n, cell.dtype, cell.mode, cell.target)
    settings = SweepSettings.from_dict(settings).with_memory_limit()
    need, limit = estimated_bytes(cell, settings.buffers), settings.max_bytes
    if not problem and need > limit:
        problem = f"needs about {need / 2**30:.1f} GiB > max_bytes {limit / 2**30:.1f} GiB"
    return problem


def worker_log(out_dir: Path, threads: int, shard: tuple[int, int] | None = None) -> Path:
    """The worker's stderr log; one per shard, since the shards of a sweep may share ``out_dir`` at the same time."""
    suffix = "" if shard is None else f".shard-{shard[0]}-of-{shard[1]}"
    return Path(out_dir) / f"worker-threads{threads}{suffix}.log"


def start_worker_early(
    data: dict[str, Any], out_dir: str | os.PathLike[str], shard: tuple[int, int] | None = None
) -> Worker | None:
    """Start the first worker from raw (unvalidated) spec data, so its TensorFlow import
    overlaps the parent's; None when the data is too broken to guess its configuration."""
    try:
        threads = (data.get("axes") or {}).get("threads", [0])
        threads = int(threads[0] if isinstance(threads, list) else threads)
        logical = int((data.get("settings") or {}).get("logical_cpus", 0))
    except (TypeError, ValueError, IndexError, AttributeError):
        return None
    return Worker(threads, logical, worker_log(Path(out_dir), threads, shard))


def group_cells(cells: list[Cell]) -> list[list[Cell]]:
    """The cells grouped by problem (threads first, so a worker configuration runs in one stretch)."""
    groups: dict[tuple[int, str], list[Cell]] = {}
    for cell in sorted(cells, key=lambda c: (c.threads, c.problem_key, c.key)):
        groups.setdefault((cell.threads, cell.problem_key), []).append(cell)
    return list(groups.values())


class Sweep:
    """Runs ``spec`` (optionally one shard) into ``out_dir``; see the module docstring."""

    def __init__(
        self,
        spec: SweepSpec,
        out_dir: str | os.PathLike[str],
        resume: bool = False,
        shard: tuple[int, int] | None = None,
        worker: Worker | None = None,
    ) -> None:
        self.spec, self.shard, self.resume = spec, shard, resume
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / run_file_name(shard)
        self.settings = spec.settings.with_memory_limit()
        cells = spec.cells()
        self.cells = shard_cells(cells, *shard) if shard else cells
        self._workers: dict[tuple[int, int], Worker] = {worker.config: worker} if worker else {}

    def _worker(self, threads: int) -> Worker:
        config = (threads, self.settings.logical_cpus)
        if config not in self._workers:
            for other in list(self._workers):
                self._workers.pop(other).close()
            self._workers[config] = Worker(*config, worker_log(self.out_dir, threads, self.shard))
        return self._workers[config]

    def _drop_worker(self, threads: int) -> None:
        for config in [c for c in self._workers if c[0] == threads]:
            self._workers.pop(config).kill()

    def _open(self) -> tuple[RunWriter, list[dict[str, Any]]]:
        if self.path.exists():
            if not self.resume:
                raise DetgradError(f"{self.path} already exists; pass --resume to continue it or choose another --out")
            repair_tail(self.path)
            header, records = load_run(self.path)
            if header.get("schema_version") != SCHEMA_VERSION:
                raise DetgradError(
                    f"{self.path} has run-file schema v{header.get('schema_version')}; this detgrad writes "
                    f"v{SCHEMA_VERSION} and cannot append to it: choose another --out"
                )
            return RunWriter(self.path), records
        threads = self.cells[0].threads if self.cells else 0
        try:
            env = self._worker(threads).request({"op": "env", "ceilings": True}, STARTUP_TIMEOUT_S)
        except WorkerFailure as exc:
            raise DetgradError(f"could not start a measurement worker: {exc.reason} (see {self.out_dir}/worker-*.log)") from None
        env.pop("kind", None)
        shard = None if self.shard is None else f"{self.shard[0]}/{self.shard[1]}"
        spec = dict(self.spec.to_dict(), settings=self.settings.as_dict(), shard=shard)
        if os.environ.get(SLOWDOWN_HOOK):  # a run with an injected slowdown says so
            spec["test_slowdown"] = os.environ[SLOWDOWN_HOOK]
        if os.environ.get(KNOBS_ENV):  # and one with tuning knobs set (detgrad probe --set)
            spec["knobs"] = os.environ[KNOBS_ENV]
        header = make_header(spec, env)
        header["methods"] = methods_info({c.method for c in self.cells if c.family == "detgrad"})
        header["planned_cells"] = len(self.cells)  # of this shard: lets a merge tell a finished shard from a cut one
        return RunWriter(self.path, header), []

    def _measure(self, cell: Cell) -> dict[str, Any]:
        """One cell alone (``{"op": "cell"}``); a worker failure becomes the cell's status."""
        started, t0 = utc_now(), time.perf_counter()
        try:
            worker = self._worker(cell.threads)
            request = {"op": "cell", "cell": cell.to_dict(), "settings": self.settings.as_dict()}
            return worker.request(request, self.settings.timeout_s)
        except WorkerFailure as exc:
            self._drop_worker(cell.threads)
            return make_record(cell, exc.status, exc.reason, started=started, wall_s=time.perf_counter() - t0)

    def _measure_group(self, cells: list[Cell]) -> list[dict[str, Any]]:
        """The records of a group of runnable cells; after a worker failure, each cell alone."""
        if len(cells) == 1:
            return [self._measure(cells[0])]
        try:
            worker = self._worker(cells[0].threads)
            request = {"op": "group", "cells": [c.to_dict() for c in cells], "settings": self.settings.as_dict()}
            return worker.request(request, self.settings.timeout_s * len(cells))["records"]
        except WorkerFailure:
            self._drop_worker(cells[0].threads)
            return [self._measure(cell) for cell in cells]

    def run(self, progress: Progress | None = None) -> list[dict[str, Any]]:
        """Measure every cell not yet in the run file; return all records of this shard."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        writer, previous = self._open()
        wanted = {c.key for c in self.cells}
        records = [r for r in previous if r["key"] in wanted]
        done = {r["key"] for r in records}
        todo = [c for c in self.cells if c.key not in done]
        progress = progress or Progress(len(self.cells), len(self.cells) - len(todo))
        try:
            for group in group_cells(todo):
                runnable = []
                for cell in group:
                    problem = precheck(cell, self.settings)
                    if problem:
                        record = make_record(cell, "unsupported", problem)
                        writer.write(record)
                        records.append(record)
                        progress.finish("unsupported", 0.0)
                    else:
                        runnable.append(cell)
                if not runnable:
                    continue
                progress.start(f"{runnable[0].label().split(' ', 2)[2]}: {len(runnable)} cells in rounds")
                for record in self._measure_group(runnable):
                    writer.write(record)
                    records.append(record)
                    progress.finish(record["status"], record.get("wall_s") or 0.0)
        finally:
            writer.close()
            for config in list(self._workers):
                self._workers.pop(config).close()
            progress.close()
        return records
