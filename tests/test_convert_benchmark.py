"""pytest-benchmark JSON -> run file (schema v1)."""

from __future__ import annotations

import json

from detgrad.runs.convert_benchmark import main
from detgrad.runs.reader import load_run
from detgrad.runs.schema import Cell


def test_convert(tmp_path, capsys):
    cell = Cell("closed", "xla", "det", 2, 8, "float32")
    data = {
        "machine_info": {
            "node": "box",
            "detgrad_environment": {"hostname": "box", "cores": 2},
            "detgrad_spec": {"name": "quick"},
        },
        "commit_info": {"id": "abc"},
        "version": "5.2.3",
        "benchmarks": [
            {
                "extra_info": {"cell": cell.to_dict(), "status": "ok", "trace_s": 0.3, "grad_rel_err": 1e-7},
                "stats": {"data": [1e-4, 1.2e-4, 1.1e-4], "iterations": 10, "total": 0.0033},
            },
            {
                "extra_info": {"cell": {**cell.to_dict(), "n": 3}, "status": "wrong", "reason": "x"},
                "stats": {"median": 2e-4, "iqr": 1e-5, "min": 1.9e-4, "iterations": 5, "total": 0.01},
            },
        ],
    }
    src = tmp_path / "b.json"
    src.write_text(json.dumps(data))
    assert main([str(src), str(tmp_path / "run.jsonl")]) == 0
    header, records = load_run(tmp_path / "run.jsonl")
    assert header["environment"]["hostname"] == "box" and header["spec"]["name"] == "quick"
    a, b = records
    assert a["key"] == cell.key and a["samples_s"] == [1e-4, 1.2e-4, 1.1e-4] and a["median_s"] == 1.1e-4
    assert a["calls_per_sample"] == 10 and a["trace_s"] == 0.3 and a["flops"] is not None
    assert b["status"] == "wrong" and b["samples_s"] == [] and b["median_s"] == 2e-4 and b["noisy"] is False
    (tmp_path / "bad.json").write_text("{}")
    assert main([str(tmp_path / "bad.json"), str(tmp_path / "x.jsonl")]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
