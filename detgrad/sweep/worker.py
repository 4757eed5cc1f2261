"""Worker process: ``python -m detgrad.sweep.worker --threads T [--logical-cpus K]``.

Protocol (JSON Lines): after TensorFlow is initialized the worker writes
``{"kind": "ready", "pid": ...}``; then for each request line on stdin

    {"op": "group", "cells": [{...}, ...], "settings": {...}}      -> {"kind": "group", "records": [...]}
    {"op": "cell", "cell": {...Cell fields...}, "settings": {...}}  -> one cell record
    {"op": "env", "ceilings": true}                                -> {"kind": "environment", ...}

(a group is the cells of one problem, timed paired in interleaved rounds:
:func:`detgrad.sweep.measure.run_group`; a cell is a group of one)
it writes exactly one JSON line on stdout.  It exits at end of input.
TF's thread pools and logical devices can only be configured before TF
initializes, hence one process per (threads, logical_cpus) configuration.
The environment variable ``DETGRAD_TEST_KILL_WORKER_ON`` (tests only)
makes the worker SIGKILL itself on a cell (or a group with a cell) whose key
contains its value; ``DETGRAD_TEST_SLOWDOWN`` is described in :mod:`detgrad.sweep.measure`,
``DETGRAD_KNOBS`` (``detgrad probe --set``) in :mod:`detgrad.sweep.knobs`.
Anything else written to stdout (by TF or a method) goes to stderr, so the
protocol stream stays clean.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any

CRASH_HOOK = "DETGRAD_TEST_KILL_WORKER_ON"  # tests: SIGKILL the worker on a cell whose key contains this


def _protocol_stream():
    """Keep the real stdout for the protocol; point fd 1 at stderr."""
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", encoding="utf-8", buffering=1)


def configure(threads: int, logical_cpus: int) -> None:
    """Set TF threads, split the CPU into logical devices, enable GPU memory growth."""
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    cpus = tf.config.list_physical_devices("CPU")
    if logical_cpus > 1 and cpus:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * logical_cpus)
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            pass
    tf.config.list_logical_devices()  # initialize now, before the first cell


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Answer one request (see module docstring)."""
    if request.get("op") == "env":
        from detgrad.sweep.environment import collect

        return {"kind": "environment", **collect(ceilings=bool(request.get("ceilings", True)))}
    from detgrad.runs.schema import Cell
    from detgrad.sweep.measure import run_cell, run_group
    from detgrad.sweep.settings import SweepSettings

    group = request.get("op") == "group"
    cells = [Cell.from_dict(c) for c in (request["cells"] if group else [request["cell"]])]
    crash = os.environ.get(CRASH_HOOK)
    if crash and any(crash in cell.key for cell in cells):  # test-only hook: die like the OOM killer would kill us
        os.kill(os.getpid(), signal.SIGKILL)
    settings = SweepSettings.from_dict(request.get("settings"))
    if group:
        return {"kind": "group", "records": run_group(cells, settings)}
    return run_cell(cells[0], settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m detgrad.sweep.worker")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--logical-cpus", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    out = _protocol_stream()
    configure(args.threads, args.logical_cpus)
    from detgrad.sweep.knobs import apply_knobs, from_env

    apply_knobs(from_env())  # detgrad probe --set: tuning knobs for this run only
    import detgrad.sweep.measure  # noqa: F401 - import cost before "ready", not inside the first cell

    out.write(json.dumps({"kind": "ready", "pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        response = handle(json.loads(line))
        out.write(json.dumps(response, allow_nan=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
