"""End-to-end sweeps through real worker subprocesses (a few tiny cells).

One sweep on a CPU split into two logical devices covers: the device axis
(CPU:0, CPU:1, a missing GPU:0 -> unsupported), a worker that dies on a cell
(-> oom, restarted), unsupported methods, accuracy and timing fields.  A
second sweep is SIGKILLed after its first record and resumed.  A third has a
worker crash inside a group (the bad cell is isolated) and is then cut to a
partial group and resumed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from detgrad.cli import main
from detgrad.runs.reader import load_run
from detgrad.sweep.loop import Sweep
from detgrad.sweep.spec import parse_spec
from detgrad.sweep.worker import CRASH_HOOK

ROOT = Path(__file__).resolve().parent.parent
FAST = {"budget_s": 0.02, "warmup": 1, "max_samples": 5, "timeout_s": 120.0}


def spec_toml(path: Path, axes: str, settings: str = "") -> Path:
    fast = "\n".join(f"{k} = {v}" for k, v in FAST.items())
    path.write_text(f'name = "tiny"\n[settings]\n{fast}\n{settings}\n[axes]\n{axes}\n')
    return path


def test_devices_crash_and_statuses(tmp_path, monkeypatch):
    monkeypatch.setenv(CRASH_HOOK, "/n=1/")
    data = {
        "name": "dev",
        "settings": {**FAST, "logical_cpus": 2},
        "axes": {
            "method": ["closed", "builtin"],
            "mode": ["graph"],
            "n": [1, 2],
            "batch": [3],
            "dtype": ["float64", "complex64"],
            "device": ["CPU:0", "CPU:1", "GPU:0"],
        },
        "exclude": [{"method": "builtin", "n": 1}, {"n": 1, "device": ["CPU:1", "GPU:0"]}, {"n": 1, "dtype": "complex64"}],
    }
    spec = parse_spec(data, "dev")
    records = Sweep(spec, tmp_path).run()
    by = {(r["method"], r["n"], r["dtype"], r["device"]): r for r in records}
    assert len(records) == len(spec.cells()) == 1 + 2 * 2 * 3
    assert by["closed", 1, "float64", "CPU:0"]["status"] == "oom"  # the crash hook killed the worker
    for dev in ("CPU:0", "CPU:1"):
        ok = by["closed", 2, "float64", dev]
        assert ok["status"] == "ok", ok["reason"]
        assert ok["samples_s"] and ok["median_s"] > 0 and ok["trace_s"] > 0 and ok["grad_rel_err"] < 1e-12
        assert ok["peak_mem_bytes"] is None and ok["flops"] > 0
    gpu = by["closed", 2, "float64", "GPU:0"]
    assert gpu["status"] == "unsupported" and "GPU:0 does not exist" in gpu["reason"]
    wrong = by["builtin", 2, "complex64", "CPU:1"]  # TF 2.21's det gradient misses the conj
    assert wrong["status"] == "wrong" and wrong["samples_s"]
    header, on_disk = load_run(tmp_path / "run.jsonl")
    assert [r["key"] for r in on_disk] == [r["key"] for r in records]
    assert header["environment"]["ceilings"]["matmul_gflops"]["float64"] > 0
    # the report reads singular-safety from the run file, never from the registry
    assert header["methods"]["closed"]["singular_safe"] is True and header["methods"]["builtin"]["singular_safe"] is False


def test_killed_sweep_resumes_without_loss_or_duplicates(tmp_path, capsys):
    axes = 'method = ["closed", "inverse"]\nmode = ["eager", "graph"]\nn = [2, 3]\nbatch = [2]\ndtype = ["float64"]'
    spec = spec_toml(tmp_path / "s.toml", axes)
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    cmd = [sys.executable, "-m", "detgrad", "sweep", str(spec), "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    run = out / "run.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if run.exists() and sum(1 for _ in open(run)) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # parent and worker, mid-sweep
    proc.wait()
    _, before = load_run(run)
    assert 1 <= len(before) < 8
    assert main(["sweep", str(spec), "--out", str(out), "--resume"]) == 0
    assert "cells" in capsys.readouterr().out
    _, after = load_run(run)
    keys = [r["key"] for r in after]
    assert len(keys) == len(set(keys)) == 8
    assert after[: len(before)] == before
    assert main(["sweep", str(spec), "--out", str(out)]) == 1  # exists without --resume
    assert "--resume" in capsys.readouterr().err


def test_crash_inside_a_group_is_isolated_and_a_partial_group_resumes(tmp_path, monkeypatch):
    data = {
        "name": "grp",
        "settings": FAST,
        "axes": {"method": ["closed", "inverse"], "mode": ["eager", "graph"], "n": [2], "batch": [2], "dtype": ["float64"]},
    }
    spec = parse_spec(data, "grp")
    monkeypatch.setenv(CRASH_HOOK, "detgrad/inverse/graph/")
    records = Sweep(spec, tmp_path / "a").run()
    by = {(r["method"], r["mode"]): r for r in records}
    assert by["inverse", "graph"]["status"] == "oom"  # the group crashed; alone, only this cell does
    for key in [("closed", "eager"), ("closed", "graph"), ("inverse", "eager")]:
        assert by[key]["status"] == "ok" and len(by[key]["samples_s"]) == len(by[key]["canary_s"]) >= 3
    assert len({r["group_id"] for r in records if r["status"] == "ok"}) == 3  # re-measured one at a time

    monkeypatch.delenv(CRASH_HOOK)
    lines = (tmp_path / "a" / "run.jsonl").read_text().splitlines()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "run.jsonl").write_text("\n".join(lines[:2]) + "\n")  # header + one record of the group
    resumed = Sweep(spec, tmp_path / "b", resume=True).run()
    assert sorted(r["key"] for r in resumed) == sorted(c.key for c in spec.cells())
    new = resumed[1:]
    assert all(r["status"] == "ok" for r in new) and len({r["group_id"] for r in new}) == 1  # the rest, as one group
    assert new[0]["group_id"] != resumed[0]["group_id"] and new[0]["group"] == resumed[0]["group"]
    rounds = {len(r["samples_s"]) for r in new}
    assert len(rounds) == 1 and sorted(p for r in new for p in r["position"][:1]) == [0, 1, 2]
