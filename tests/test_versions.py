"""`detgrad versions`: conformance and the default's cost lined up across TensorFlow versions (hand-made inputs)."""

from __future__ import annotations

import json

import pytest
from synthetic import cell, header, write_run

from detgrad.cli import main
from detgrad.conformance import versions as cv
from detgrad.errors import DetgradError


def _outcome(case, method, mode, verdict, error=None, group="regular", kind="det", dtype="float64"):
    return {"case": case, "method": method, "mode": mode, "verdict": verdict, "error": error, "detail": "",
            "seconds": 0.0, "group": group, "kind": kind, "dtype": dtype}  # fmt: skip


def _check_file(path, version, outcomes):
    doc = {"format": cv.CHECK_JSON_FORMAT, "environment": {"tf_version": version}, "outcomes": outcomes}
    path.write_text(json.dumps(doc))
    return str(path)


def _both(method, case, verdicts, **kw):
    return [_outcome(case, method, mode, v, **kw) for mode, v in verdicts.items()]


@pytest.fixture
def two_versions(tmp_path):
    complex_kw = {"group": "complex", "dtype": "complex128"}
    old = [
        # wrong in graph, raises in eager: the cell must read WRONG (worst wins), naming graph only
        *_both("builtin", "complex grad", {"eager": "loud", "graph": "wrong", "xla": "pass"}, **complex_kw),
        *_both("builtin", "rank n-1", {"eager": "loud", "graph": "loud", "xla": "loud"}, group="singular"),
        *_both("builtin", "regular 4x4", {"eager": "pass", "graph": "pass", "xla": "pass"}),
        *_both("auto", "complex grad", {"eager": "pass", "graph": "pass", "xla": "pass"}, **complex_kw),
        *_both("auto", "rank n-1", {"eager": "pass", "graph": "pass", "xla": "pass"}, group="singular"),
        *_both("auto", "regular 4x4", {"eager": "pass", "graph": "pass", "xla": "pass"}),
    ]
    for o in old:
        if o["verdict"] == "wrong":
            o["error"] = 1.7
    new = [dict(o) for o in old]
    for o in new:
        if o["case"] == "rank n-1" and o["method"] == "builtin":
            o["verdict"] = "pass"  # say the newer TF fixed it
    # the newer file is given first: the table must still put the older version first
    return [_check_file(tmp_path / "new.json", "2.21.0", new), _check_file(tmp_path / "old.json", "2.16.2", old)]


def test_worst_verdict_wins_and_names_its_modes(two_versions):
    checks = [cv.read_check(p) for p in two_versions]
    versions, rows = cv.version_matrix(checks, "builtin")
    assert versions == ["2.16.2", "2.21.0"]
    by_case = {r["case"]: r for r in rows}
    assert by_case["complex grad"]["verdicts"]["2.16.2"] == ("wrong", 1.7, ["graph"])
    assert by_case["rank n-1"]["verdicts"]["2.21.0"][0] == "pass"
    table = "\n".join(cv.markdown_table(checks, "builtin"))
    assert "| complex grad | **WRONG** 2e+00 (graph) | **WRONG** 2e+00 (graph) |" in table
    assert "| rank n-1 | raises | pass |" in table  # loud in every mode: no mode list
    assert "regular 4x4" not in table and "The other 1 cases pass under every version listed." in table


def test_summary_counts_failures_per_topic_and_version(two_versions):
    versions, rows = cv.version_matrix([cv.read_check(p) for p in two_versions], "builtin")
    lines = cv.failure_summary(versions, rows)
    assert any(line.startswith("- **complex input**: 1 case(s) silently wrong, 0 more raise") for line in lines)
    singular = next(line for line in lines if "singular" in line)
    assert "0 case(s) silently wrong, 1 more raise" in singular and "2.16.2: 1, 2.21.0: 0" in singular


def test_cli_page_names_versions_and_the_default(two_versions, tmp_path, capsys):
    assert main(["versions", *two_versions, "--out", str(tmp_path / "page")]) == 0
    page = (tmp_path / "page" / "README.md").read_text()
    assert page.startswith("# detgrad across TensorFlow 2.16.2, 2.21.0")
    assert "- TF 2.16.2: the default (`auto`) passes every case it ran (3 of 3 pass in every mode)" in page


def test_bad_inputs_are_one_line_errors(tmp_path, two_versions, capsys):
    (tmp_path / "run.json").write_text("[]")
    assert main(["versions", str(tmp_path / "run.json")]) == 1
    assert "not a `detgrad check --json` file" in capsys.readouterr().err
    assert main(["versions", str(tmp_path / "missing.json")]) == 1
    assert "file not found" in capsys.readouterr().err
    assert main(["versions", two_versions[0], two_versions[0]]) == 1
    assert "both ran TensorFlow 2.21.0" in capsys.readouterr().err
    with pytest.raises(DetgradError, match="method 'lu' was not checked"):
        cv.version_matrix([cv.read_check(two_versions[0])], "lu")


def _run(path, version, auto_graph):
    cells = [
        cell(samples=[2e-3] * 5, method="builtin", mode="graph", n=8, batch=1),
        cell(samples=[auto_graph] * 5, method="auto", mode="graph", n=8, batch=1),
        cell(samples=[1e-3] * 5, method="builtin", mode="graph", n=32, batch=1),
        cell(samples=[1e-3] * 5, method="auto", mode="graph", n=32, batch=1),
    ]
    return str(write_run(path, header(tf_version=version), cells))


def test_cost_section_lines_up_speedups_per_version(two_versions, tmp_path):
    runs = [_run(tmp_path / "a.jsonl", "2.16.2", 4e-3), _run(tmp_path / "b.jsonl", "2.21.0", 1e-3)]
    out = tmp_path / "page"
    assert main(["versions", *two_versions, "--runs", *runs, "--out", str(out)]) == 0
    page = (out / "README.md").read_text()
    # n = 8: t_builtin / t_auto = 2e-3 / 4e-3 under 2.16.2 and 2e-3 / 1e-3 under 2.21.0
    assert "| graph | float64 | det | 8 | 1 | 0.50× | 2.00× |" in page
    assert "median speedup over the 2 problems measured under every version: TF 2.16.2: 0.75×, TF 2.21.0: 1.50×" in page
    assert (out / "speedup_by_version.png").stat().st_size > 0


def test_a_case_name_with_a_bar_keeps_its_markdown_row_whole():
    from types import SimpleNamespace

    from detgrad.cli.readme_results import _grid
    from detgrad.conformance.render import render_markdown

    outcomes = [
        SimpleNamespace(case="complex64 |det|^2", method=m, mode="eager", verdict=v, error=e)
        for m, v, e in (("auto", "pass", 4e-7), ("builtin", "wrong", 2.0))
    ]
    text = render_markdown(outcomes)
    row = next(line for line in text.splitlines() if "det" in line)
    assert row == "| complex64 \\|det\\|^2 | 4e-07 | **WRONG 2e+00** |"
    assert _grid(text, "eager") == {"complex64 \\|det\\|^2": {"auto": "4e-07", "builtin": "**WRONG 2e+00**"}}


def test_a_mode_the_method_cannot_run_is_left_out_of_the_verdict():
    """builtin has no XLA kernel: a case passing in eager and graph reads pass, not n/a; n/a only when no mode ran."""
    passing = _both("builtin", "regular", {"eager": "pass", "graph": "pass", "xla": "n/a"})
    assert cv.worst_verdict(passing)[0] == "pass"
    raising = _both("builtin", "singular", {"eager": "pass", "graph": "loud", "xla": "n/a"})
    assert cv.worst_verdict(raising)[:1] == ("loud",) and cv.worst_verdict(raising)[2] == ["graph"]
    assert cv.worst_verdict(_both("builtin", "big", {"eager": "n/a", "xla": "n/a"}))[0] == "n/a"
