"""Aggregation from synthetic run files against hand-computed values; loader errors; no TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from synthetic import cell, demo_cells, header, write_run

from detgrad.cli import main
from detgrad.errors import DetgradError
from detgrad.publish import aggregate, recommend
from detgrad.runs.reader import RunFileWarning, load_run

REPO = Path(__file__).resolve().parents[1]


def _frame(cells, **hkw):
    return aggregate.tidy([(header(**hkw), cells)])


def test_metrics_hand_computed():
    # n=100: flops 2e6 per matrix; batch 10, 2 ms per call -> 10 GFLOP/s; float64 peak 50 -> 20 %.
    df = _frame(
        [
            cell(samples=[0.002] * 5, method="lu", n=100, batch=10, flops=2e6),
            cell(samples=[0.005] * 5, method="builtin", n=100, batch=10, flops=2e6),
            cell(samples=[0.004] * 5, method="builtin", mode="xla", n=100, batch=10, flops=2e6),
        ]
    )
    lu = df[df["method"].eq("lu")].iloc[0]
    assert lu["time_per_matrix_s"] == pytest.approx(2e-4)
    assert lu["matrices_per_s"] == pytest.approx(5000)
    assert lu["gflops"] == pytest.approx(10.0)
    assert lu["pct_peak"] == pytest.approx(20.0)
    assert lu["speedup"] == pytest.approx(2.5)  # builtin eager 5 ms / 2 ms
    assert lu["speedup_best"] == pytest.approx(2.0)  # builtin's best mode (xla) 4 ms / 2 ms


def test_complex_counts_four_real_flops_against_real_peak():
    df = _frame([cell(samples=[0.001] * 3, dtype="complex64", n=100, batch=1, flops=2e6)])
    row = df.iloc[0]
    assert row["gflops"] == pytest.approx(8.0)  # 4 * 2e6 / 1e-3 / 1e9
    assert row["pct_peak"] == pytest.approx(8.0)  # float32 peak 100


def test_device_label_separates_machines():
    a = aggregate.tidy([(header(hostname="a"), [cell(samples=[1e-3] * 3)]), (header(hostname="b"), [cell(samples=[1e-3] * 3)])])
    assert a["device_label"].nunique() == 2
    assert a["device_label"].iloc[0].startswith("CPU:0 Synthetic CPU 9000 @ a")


def test_recommendation_margin():
    # The answer is the fastest *singular-safe* method; slogdet (not singular-safe) is faster and is named apart.
    df = _frame(
        [
            cell(samples=[1.0e-3] * 3, method="lu"),
            cell(samples=[1.1e-3] * 3, method="auto"),
            cell(samples=[1.25e-3] * 3, method="slogdet"),
            cell(samples=[0.9e-3] * 3, method="slogdet", mode="xla"),  # slogdet's best mode
            cell(samples=[2e-3] * 3, method="builtin"),
            cell(samples=[0.1e-3] * 3, family="jax", method="slogdet"),  # peers do not count
            cell(status="unsupported", method="closed"),
        ]
    )
    rec = recommend.recommend(df)
    assert len(rec) == 1
    r = rec.iloc[0]
    assert (r["best"], r["best_mode"], r["runner_up"]) == ("lu", "eager", "auto")
    assert r["margin"] == pytest.approx(0.1)
    assert r["vs_builtin"] == pytest.approx(2.0)
    assert (r["unsafe"], r["unsafe_mode"]) == ("slogdet", "xla")
    assert r["unsafe_vs_builtin"] == pytest.approx(2e-3 / 0.9e-3)


def test_complexity_exponent_of_exact_cubic_is_three():
    # dispatch-bound small n (a flat 1e-4 s) is left out: only n >= 64 counts, where time is c·n³
    cells = [cell(samples=[1e-4] * 3, n=n) for n in (2, 8, 16, 32)]
    cells += [cell(samples=[1e-9 * n**3] * 3, n=n) for n in (64, 128, 256, 512)]
    cells += [cell(samples=[1e-6] * 3, method="builtin", n=n) for n in (64, 128, 256)]  # too few points: skipped
    noise = {64: 1e-6, 128: 5e-5, 256: 2e-6, 512: 4e-5}  # no power law: r² far below 0.9
    cells += [cell(samples=[t] * 3, method="inverse", n=n) for n, t in noise.items()]
    fit = aggregate.complexity_fit(_frame(cells), min_r2=0.9)
    assert list(fit["series"]) == ["lu"]
    assert fit["k"].iloc[0] == pytest.approx(3.0)
    assert fit["r2"].iloc[0] == pytest.approx(1.0)
    assert (fit["n_min"].iloc[0], fit["n_max"].iloc[0]) == (64, 512)
    assert set(aggregate.complexity_fit(_frame(cells))["series"]) == {"lu", "inverse"}  # without the r² floor


def test_failed_cells_kept_without_metrics():
    df = _frame(demo_cells(ns=(4, 16), batches=(1,), dtypes=("float64",), modes=("eager",)))
    closed = df[df["method"].eq("closed") & df["n"].eq(16)]
    assert list(closed["status"]) == ["unsupported"]
    assert np.isnan(closed["speedup"].iloc[0])


def test_loader_errors(tmp_path):
    with pytest.raises(DetgradError, match="not found"):
        load_run(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("hello\n")
    with pytest.raises(DetgradError, match="not a detgrad run file"):
        load_run(bad)
    future = write_run(tmp_path / "future.jsonl", header() | {"schema_version": 99}, [])
    with pytest.raises(DetgradError, match="upgrade detgrad"):
        load_run(future)


def test_truncated_last_line_is_skipped(tmp_path):
    path = write_run(tmp_path / "run.jsonl", header(), [cell(samples=[1e-3] * 3), cell(samples=[2e-3] * 3)])
    text = path.read_text()
    path.write_text(text[: len(text) - 40])
    with pytest.warns(RunFileWarning, match="truncated"):
        _, records = load_run(path)
    assert len(records) == 1


@pytest.mark.parametrize("kind", ["missing", "corrupt", "future"])
def test_cli_one_line_errors(tmp_path, capsys, kind):
    path = tmp_path / f"{kind}.jsonl"
    if kind == "corrupt":
        path.write_text('{"kind": "header"\n')
    elif kind == "future":
        write_run(path, header() | {"schema_version": 3}, [cell(samples=[1e-3] * 3)])  # newer than v2
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("detgrad: error:")
    assert main(["compare", str(path), str(path)]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_publishing_modules_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "import detgrad.runs.reader, detgrad.publish.aggregate, detgrad.publish.tables, detgrad.publish.charts\n"
        "import detgrad.publish.report\n"
        "import detgrad.publish.compare, detgrad.cli.report, detgrad.cli.compare\n"
        "bad = [m for m in sys.modules if m == 'tensorflow' or m.startswith(('tensorflow.', 'detgrad.impls'))]\n"
        "assert not bad, bad\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=env)
