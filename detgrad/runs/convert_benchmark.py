"""Convert pytest-benchmark JSON (``pytest bench --benchmark-json=IN``) to a run file (unpaired records).

    python -m detgrad.runs.convert_benchmark IN.json OUT.jsonl

Each benchmark's ``extra_info`` carries the cell, status and accuracy (set
by ``bench/test_bench_det.py``); its ``stats`` give the per-call times:
``stats.data`` (per-call seconds per round, present with
``--benchmark-save-data``) become ``samples_s``; otherwise the samples are
empty and median / IQR / min come from pytest-benchmark's own statistics.
The header's environment is the ``detgrad_environment`` that
``bench/conftest.py`` adds to ``machine_info``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from detgrad.errors import DetgradError
from detgrad.runs.samples import NOISY_IQR_RATIO, Timing
from detgrad.runs.schema import Cell, make_header, make_record
from detgrad.runs.writer import RunWriter


def convert(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """pytest-benchmark JSON dict -> ``(header, records)``."""
    if "benchmarks" not in data:
        raise DetgradError("not a pytest-benchmark JSON file (no 'benchmarks'); write one with pytest --benchmark-json=FILE")
    machine = data.get("machine_info", {})
    env = dict(machine.get("detgrad_environment") or {"hostname": machine.get("node"), "cpu_model": machine.get("cpu", {})})
    env["pytest_benchmark"] = {
        "version": data.get("version"),
        "datetime": data.get("datetime"),
        "commit_info": data.get("commit_info"),
    }
    spec = dict(machine.get("detgrad_spec") or {"name": "bench"}, source="pytest-benchmark")
    records = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if "cell" not in info:
            continue
        stats = bench.get("stats", {})
        samples = [float(x) for x in stats.get("data") or []]
        timing = Timing(samples, int(stats.get("iterations", 1)))
        fields = {k: info.get(k) for k in ("trace_s", "value_rel_err", "grad_rel_err")}
        record = make_record(Cell.from_dict(info["cell"]), info.get("status", "ok"), info.get("reason"), timing=timing, **fields)
        if not samples and stats.get("median"):
            med, iqr = float(stats["median"]), float(stats.get("iqr", 0.0))
            record.update(median_s=med, iqr_s=iqr, min_s=float(stats.get("min", med)), noisy=iqr / med > NOISY_IQR_RATIO)
        record["wall_s"] = float(stats.get("total", 0.0))
        records.append(record)
    return make_header(spec, env), records


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m detgrad.runs.convert_benchmark IN.json OUT.jsonl", file=sys.stderr)
        return 2
    try:
        data = json.loads(Path(argv[0]).read_text())
        header, records = convert(data)
    except (OSError, json.JSONDecodeError, DetgradError) as exc:
        print(f"detgrad: error: {argv[0]}: {exc}", file=sys.stderr)
        return 1
    with RunWriter(argv[1], header, fsync=False) as writer:
        for record in records:
            writer.write(record)
    print(f"{len(records)} records -> {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
