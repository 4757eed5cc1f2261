"""detgrad report: README with environment, tables, relative chart links and the conformance matrix."""

from __future__ import annotations

import re

from synthetic import demo_cells, header, write_run

from detgrad.cli import main
from detgrad.publish.report import CHECK_HINT, build_report


def _run(tmp_path):
    cells = demo_cells(ns=(4, 16, 64), batches=(1,), dtypes=("float64",), modes=("xla",))
    return write_run(tmp_path / "run.jsonl", header(), cells)


def test_report_cli_writes_everything(tmp_path, capsys):
    check = tmp_path / "check.md"
    check.write_text("| method | complex |\n|---|---|\n| lu | ok |\n")
    out = tmp_path / "report"
    assert main(["report", str(_run(tmp_path)), "--out", str(out), "--check", str(check), "--format", "png"]) == 0
    assert "report written" in capsys.readouterr().out
    text = (out / "README.md").read_text()
    for section in ("## Environment", "## Recommendations", "## Headline", "## Complexity", "## Charts", "## Conformance matrix"):
        assert section in text
    assert "| lu | ok |" in text and CHECK_HINT not in text
    assert "Synthetic CPU 9000" in text
    links = re.findall(r"\]\(((?:charts|tables)/[^)]+)\)", text)
    assert any(link.startswith("charts/time_vs_n_det_best") for link in links)
    assert all((out / link).exists() for link in links)  # relative links resolve
    assert not any(str(tmp_path) in line for line in text.splitlines())  # no machine paths
    for name in ("cells", "headline", "recommendations", "complexity", "environment"):
        assert (out / "tables" / f"{name}.csv").exists() and (out / "tables" / f"{name}.md").exists()


def test_report_without_check_says_how_to_regenerate(tmp_path):
    from detgrad.runs.reader import load_run

    readme = build_report([load_run(_run(tmp_path))], tmp_path / "r", with_charts=False)
    assert CHECK_HINT in readme.read_text()
