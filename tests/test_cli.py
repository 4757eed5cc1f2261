"""CLI conventions: --version, exit 2 + the subcommand's usage for usage errors, exit 1 + one line for bad input,
--dry-run writes nothing, torn run files warn in one line, the sweep summary fits a screen."""

from __future__ import annotations

import pytest
from synthetic import cell, demo_cells, header, write_run

from detgrad.cli import main, version
from detgrad.publish import aggregate
from detgrad.publish.summary import MAX_LINES, sweep_summary


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"detgrad {version()}"
    import detgrad

    assert version() == detgrad.__version__  # not installed in the test environment: falls back


@pytest.mark.parametrize(
    "argv, usage",
    [
        (["sweep", "--preset", "quick", "--bogus"], "usage: detgrad sweep"),
        (["report"], "usage: detgrad report"),
        (["report", "run.jsonl", "--out", "x", "--nope"], "usage: detgrad report"),
        (["compare", "a.jsonl"], "usage: detgrad compare"),
        (["compare", "a", "b", "--format", "html"], "usage: detgrad compare"),
        (["check", "--bogus"], "usage: detgrad check"),
        (["env", "extra"], "usage: detgrad env"),
        (["merge"], "usage: detgrad merge"),
        (["--bogus"], "usage: detgrad [-h]"),
        ([], "usage: detgrad [-h]"),
    ],
)
def test_usage_errors_exit_2_with_the_subcommands_usage(argv, usage, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(usage), err


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["sweep", "--preset", "nope"], "unknown preset 'nope'"),
        (["sweep", "missing.toml"], "spec file not found"),
        (["sweep", "--preset", "quick", "--threads", "two"], "bad --threads 'two'"),
        (["sweep", "--preset", "quick", "--report", "--check", "missing.md"], "--check missing.md: file not found"),
        (["report", "missing.jsonl", "--out", "OUT"], "run file not found"),
        (["report", "RUN", "--out", "OUT", "--format", "gif"], "bad --format"),
        (["report", "RUN", "--out", "OUT", "--format", "pdf", "--html"], "--html inlines the charts as SVG or PNG"),
        (["report", "RUN", "--out", "OUT", "--check", "missing.md"], "cannot read --check file"),
        (["compare", "missing.jsonl", "RUN"], "run file not found"),
        (["compare", "EMPTYDIR", "RUN"], "a directory without run.jsonl; give a run file (.jsonl)"),
        (["compare", "SHARDDIR", "RUN"], "without run.jsonl; merge its shard files (run.shard-1-of-2.jsonl) with `detgrad merge"),
        (["merge", "EMPTYDIR"], "no shard files (run.shard-*-of-*.jsonl) in this directory"),
        (["merge", "RUN", "RUN"], "give --out FILE for the merged run file"),
        (["merge", "RUN", "--out", "RUN"], "is one of the files to merge"),
        (["merge", "SHARDDIR"], "incomplete sweep, nothing merged: shard 2/2: no file (run.shard-2-of-2.jsonl)"),
    ],
)
def test_input_errors_exit_1_with_one_line(argv, needle, tmp_path, capsys):
    run = write_run(tmp_path / "run.jsonl", header(), [cell(samples=[1e-3] * 3)])
    (tmp_path / "empty").mkdir()
    (tmp_path / "sharded").mkdir()
    shard = dict(header(), planned_cells=1, spec={"name": "synthetic", "shard": "1/2"})
    write_run(tmp_path / "sharded" / "run.shard-1-of-2.jsonl", shard, [cell(samples=[1e-3] * 3)])
    names = {"RUN": str(run), "OUT": str(tmp_path / "out"), "EMPTYDIR": str(tmp_path / "empty")}
    names["SHARDDIR"] = str(tmp_path / "sharded")
    argv = [names.get(a, a) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("detgrad: error:") and needle in err[0], err
    assert not (tmp_path / "out").exists()


def test_a_run_directory_stands_for_its_run_file(tmp_path, capsys):
    """``detgrad sweep --out DIR`` prints DIR; report and compare take DIR for DIR/run.jsonl."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        write_run(tmp_path / name / "run.jsonl", header(), [cell(samples=[1e-3] * 3)])
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert main(["report", str(tmp_path / "a"), "--out", str(tmp_path / "out")]) == 0
    assert "report written" in capsys.readouterr().out


def test_dry_run_counts_and_estimates_without_writing(tmp_path, capsys, monkeypatch):
    import detgrad.sweep.loop as loop

    def no_worker(*args, **kwargs):
        raise AssertionError("a dry run must not start a worker")

    monkeypatch.setattr(loop, "Worker", no_worker)
    out = tmp_path / "out"
    assert main(["sweep", "--preset", "quick", "--dry-run", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    # the quick preset by hand: 10 methods x 3 modes x n 2/3/32 x batch 1/64 x 2 dtypes = 360 cells; unsupported:
    # 5 methods without XLA x 12 problems = 60, closed and tiny at n = 32 x 3 modes x 4 = 24, so 84
    assert "360 cells" in text and "84 unsupported up front" in text and "276 to measure" in text
    assert "estimated time: about" in text and "an estimate" in text and "nothing was measured or written" in text
    assert not out.exists()


def test_torn_run_file(tmp_path, capsys):
    path = write_run(tmp_path / "run.jsonl", header(), [cell(samples=[1e-3] * 3)])
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # header + half a cell
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"detgrad: warning: {path}: ignoring truncated last line 2",
        f"detgrad: error: {path}: no complete cell in the run (header only, or stopped before a cell finished); "
        "nothing to report",
    ]
    cells = [cell(samples=[1e-3] * 3, method="lu"), cell(samples=[2e-3] * 3, method="builtin")]
    path = write_run(tmp_path / "run2.jsonl", header(), cells)
    text = path.read_text()
    path.write_text(text[: len(text) - 40])
    assert main(["report", str(path), "--out", str(tmp_path / "out2")]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [f"detgrad: warning: {path}: ignoring truncated last line 3"]
    assert "report written" in captured.out


def test_sweep_summary_fits_a_screen():
    cells = demo_cells(ns=(4, 16, 64, 256), batches=(1, 16, 128), dtypes=("float32", "float64"))
    cells += [dict(c, target="logdet") for c in cells]
    df = aggregate.tidy([(header(), cells)])
    text = sweep_summary(df, "runs/x/run.jsonl", "runs/x/report/README.md", elapsed_s=75)
    lines = text.splitlines()
    assert len(lines) <= MAX_LINES and len(df) == 816
    assert lines[0].startswith("816 cells in 1m15s: 702 ok, 108 unsupported, 6 oom; 0 of 702 timings noisy")
    assert "Fastest singular-safe method" in text and "float64 det batch 128" in text
    assert "  float32 det batch 1 " in text and "n=256" in text
    assert lines[-2:] == ["run file: runs/x/run.jsonl", "report:   runs/x/report/README.md"]
    html = sweep_summary(df, "runs/x/run.jsonl", "runs/x/report/README.md", 75, html_path="runs/x/report/report.html")
    assert html.splitlines()[-1] == "report:   runs/x/report/README.md (one file to share: runs/x/report/report.html)"
    assert "slogdet/" not in text and "inverse/" not in text  # not singular-safe: never the answer
    # two machines: 16 (device, dtype, target, batch) rows would not fit, so one batch per row
    two = aggregate.tidy([(header(), cells), (header(run_id="b", hostname="other"), cells)])
    lines = sweep_summary(two, "run.jsonl").splitlines()
    assert len(lines) <= MAX_LINES and "batch 128" not in "\n".join(lines) and "batch 1):" in lines[2]
    assert "float64 logdet CPU:0 @ other" in "\n".join(lines)


def test_sweep_summary_of_a_sparse_grid_lists_problems():
    """One batch per size (as in the headline preset): a size x batch grid would be mostly empty."""
    cells = demo_cells(ns=(2, 8, 32, 128), batches=(1, 4096), dtypes=("float64",))
    cells = [c for c in cells if (c["n"] in (8, 128)) == (c["batch"] == 4096)]
    df = aggregate.tidy([(header(), cells)])
    lines = sweep_summary(df, "run.jsonl").splitlines()
    assert len(lines) <= MAX_LINES and not any(line.rstrip().endswith("—") for line in lines)
    assert any("n=8 batch=4096:" in line for line in lines) and any("n=32 batch=1:" in line for line in lines)


def test_sweep_end_prints_the_summary_and_the_full_table_only_when_asked(tmp_path, capsys):
    import argparse

    from detgrad.cli.sweep import _finish

    cells = [
        cell(samples=[1e-3] * 3, method="lu"),
        cell(samples=[2e-3] * 3, method="builtin"),
        cell(status="unsupported", method="closed"),
    ]
    run = write_run(tmp_path / "run.jsonl", header(), cells)
    args = argparse.Namespace(report=False, check=None, table=False)
    assert _finish(args, run, tmp_path, cells, 3.0) == 0
    short = capsys.readouterr().out
    assert short.startswith("3 cells in 0m03s: 2 ok, 1 unsupported") and "median" not in short
    assert _finish(argparse.Namespace(report=True, check=None, table=True), run, tmp_path, cells, 3.0) == 0
    full = capsys.readouterr().out
    assert "median" in full and "iqr/med" in full  # the per-cell table
    assert f"report:   {tmp_path / 'report' / 'README.md'}" in full and (tmp_path / "report" / "README.md").exists()
    page = tmp_path / "report" / "report.html"
    assert f"(one file to share: {page})" in full and page.exists()


def test_merge_a_shard_directory_then_report_it(tmp_path, capsys):
    """``detgrad merge DIR`` writes DIR/run.jsonl, which report and compare then take for DIR; a gap is one warning line."""
    one = dict(header(run_id="s1"), planned_cells=1, spec={"name": "synthetic", "shard": "1/2"})
    two = dict(header(run_id="s2"), planned_cells=1, spec={"name": "synthetic", "shard": "2/2"})
    write_run(tmp_path / "run.shard-1-of-2.jsonl", one, [cell(samples=[1e-3] * 3, method="lu")])
    assert main(["merge", str(tmp_path), "--partial"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["detgrad: warning: merged without shard 2/2: no file (run.shard-2-of-2.jsonl)"]
    assert captured.out.strip() == f"merged 1 file, 1 cells: {tmp_path / 'run.jsonl'}"
    write_run(tmp_path / "run.shard-2-of-2.jsonl", two, [cell(samples=[2e-3] * 3, method="builtin")])
    assert main(["merge", str(tmp_path)]) == 0  # replaces the partial merge
    assert capsys.readouterr().out.strip() == f"merged 2 files, 2 cells: {tmp_path / 'run.jsonl'}"
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "report")]) == 0
