"""`detgrad advise`: the singular-safe answer for the asked (or nearest measured) problem, speedup > 1 = faster."""

from __future__ import annotations

import pytest
from synthetic import cell, header, write_run

from detgrad.cli import main
from detgrad.publish import aggregate
from detgrad.publish.advise import Question, answer


def _df():
    cells = []
    for n in (8, 64):
        cells.append(cell(samples=[2e-3] * 3, method="builtin", mode="graph", n=n, batch=16))
        cells.append(cell(samples=[1e-3] * 3, method="auto", mode="graph", n=n, batch=16))  # 2x faster
        cells.append(cell(samples=[0.5e-3] * 3, method="eigenlu", mode="graph", n=n, batch=16))  # not singular-safe
    return cells


def test_exact_problem_answers_safe_method_with_speedup():
    lines = answer(aggregate.tidy([(header(), _df())]), Question(n=64, batch=16, mode="graph"))
    assert lines[0] == "float64 det, n = 64, batch = 16, graph mode"
    assert lines[1] == "  use: auto (graph), 1 ms per call; 2× the builtin's speed"  # no interval: no verdict, no "()"
    assert "eigenlu (graph)" in lines[3] and "raises or returns NaN" in lines[3]


def test_nearest_problem_is_named():
    lines = answer(aggregate.tidy([(header(), _df())]), Question(n=10, batch=20))
    assert "n = 8, batch = 16" in lines[0] and "nearest measured to n = 10, batch = 20" in lines[0]


def test_cli_one_line_error_for_an_unmeasured_dtype(tmp_path, capsys):
    run = write_run(tmp_path / "run.jsonl", header(), _df())
    assert main(["advise", "--n", "8", "--dtype", "complex64", "--run", str(run)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "measured no complex64 det" in err
    assert main(["advise", "--n", "8", "--batch", "16", "--run", str(run)]) == 0
    assert "use: auto" in capsys.readouterr().out


def test_cli_missing_run_says_what_to_do(tmp_path, capsys):
    assert main(["advise", "--n", "8", "--run", str(tmp_path / "none.jsonl")]) == 1
    assert "pass --run" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--n", "0"], ["--n", "4", "--batch", "-1"]])
def test_cli_rejects_non_positive_sizes(bad, capsys):
    assert main(["advise", *bad]) == 1
    assert "must be positive" in capsys.readouterr().err


def test_an_answer_from_a_problem_measured_in_one_mode_only_says_so():
    """n = 8 in all three modes; n = 64 and n = 128 (no singular-safe method) in eager only."""
    modes = (("eager", 3e-3), ("graph", 2e-3), ("xla", 1e-3))
    cells = [cell(samples=[t] * 3, method="auto", mode=mode, n=8) for mode, t in modes]
    cells += [cell(samples=[1e-3] * 3, method="auto", n=64), cell(samples=[2e-3] * 3, method="builtin", n=64)]
    cells.append(cell(samples=[1e-3] * 3, method="inverse", n=128))
    df = aggregate.tidy([(header(), cells)])
    note = "graph and xla not measured"
    assert answer(df, Question(n=64))[1] == f"  use: auto (eager; {note}), 1 ms per call; 2× the builtin's speed"
    assert answer(df, Question(n=8))[1] == "  use: auto (xla), 1 ms per call; no builtin measured here"
    assert answer(df, Question(n=128))[1] == f"  no singular-safe method passed the accuracy check here ({note})"
    assert answer(df, Question(n=64, mode="eager"))[1].startswith("  use: auto (eager), 1 ms per call")
