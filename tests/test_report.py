"""detgrad report: README with environment, tables, relative chart links and the conformance matrix."""

from __future__ import annotations

import re

from synthetic import demo_cells, header, write_run

from detgrad.cli import main
from detgrad.publish.report import CHECK_HINT, build_report


def _run(tmp_path, ns=(64, 128, 256, 512), **kw):  # four sizes in the complexity fit's n >= 64 tail
    cells = demo_cells(ns=ns, batches=(1,), dtypes=("float64",), modes=("xla",), **kw)
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


def test_report_leaves_out_what_has_nothing_to_show(tmp_path):
    from detgrad.runs.reader import load_run

    # three sizes: no complexity fit; one condition number per dtype: no accuracy chart; only detgrad methods: no peers text
    cells = [c for c in demo_cells(ns=(4, 16, 64), batches=(1,), dtypes=("float64",), modes=("xla",)) if c["family"] == "detgrad"]
    cells = [dict(c, cond=10.0) for c in cells]
    out = tmp_path / "r"
    text = build_report([load_run(write_run(tmp_path / "run.jsonl", header(), cells))], out, formats=("png",)).read_text()
    assert "## Complexity" not in text and not (out / "tables" / "complexity.csv").exists()
    assert "accuracy_" not in text and not list((out / "charts").glob("accuracy_*"))
    assert "Peers" not in text and "jax" not in text
    assert "## Fastest detgrad method against the builtin" not in text  # the run covers no target regime
    assert "issue" not in text.lower() and "#5" not in text
    assert "0 of 13 measured cells (0%) are noisy" in text and "budget_s" not in text


def test_report_states_noise_and_complexity_threshold(tmp_path):
    from detgrad.runs.reader import load_run

    cells = demo_cells(ns=(64, 128, 256, 512), batches=(1,), dtypes=("float64",), modes=("xla",))
    cells[0] = dict(cells[0], noisy=True)
    text = build_report(
        [load_run(write_run(tmp_path / "run.jsonl", header(), cells))], tmp_path / "r", with_charts=False
    ).read_text()
    measured = sum(1 for c in cells if c["status"] == "ok" and c["median_s"] is not None)
    assert f"1 of {measured} measured cells ({1 / measured:.0%}) are noisy" in text
    assert "`budget_s`" in text and "--threads" in text and "idle machine" in text
    assert "r² ≥ 0.9" in text and "at least 4 sizes" in text
    assert "Peers (`jax.slogdet`, `numpy.det`) are other frameworks" in text  # the run's peer series, as named in charts


def test_report_with_pdf_charts_shows_an_image_and_links_the_pdf(tmp_path):
    out = tmp_path / "report"
    run = str(_run(tmp_path, ns=(64, 128)))
    assert main(["report", run, "--out", str(out), "--format", "svg,pdf"]) == 0
    text = (out / "README.md").read_text()
    assert "![" in text and "](charts/time_vs_n_det_best.svg)" in text  # shown inline: the SVG
    assert "[PDF](charts/time_vs_n_det_best.pdf)" in text
    assert (out / "charts" / "time_vs_n_det_best.pdf").read_bytes().startswith(b"%PDF")
    only = tmp_path / "only-pdf"
    assert main(["report", run, "--out", str(only), "--format", "pdf"]) == 0
    text = (only / "README.md").read_text()
    assert not re.search(r"!\[[^\]]*\]\(charts/[^)]+\.pdf\)", text)  # a PDF is no inline image: linked only
    assert "[PDF](charts/time_vs_n_det_best.pdf)" in text
