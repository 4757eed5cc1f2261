"""The report's 'what the default costs' section: t(auto) / t(builtin) per mode, from hand-made cells."""

from __future__ import annotations

import pytest
from synthetic import cell, header

from detgrad.publish import aggregate, default_cost


def _cells():
    def c(method, mode, t, **kw):
        return cell(samples=[t] * 5, method=method, mode=mode, n=8, batch=64, dtype="float64", **kw)

    return [
        c("builtin", "eager", 4e-3),
        c("builtin", "graph", 2e-3),
        c("auto", "eager", 3e-3),  # 0.75 of builtin eager
        c("auto", "graph", 2.2e-3),  # 1.1 of builtin graph
        c("auto", "xla", 5e-3),  # 2.5 of builtin's fastest mode (graph)
        c("lu", "graph", 9e-3),
        cell(samples=[1e-3] * 5, method="auto", mode="graph", n=8, batch=64, dtype="complex128"),
        cell(samples=[1e-3] * 5, method="builtin", mode="graph", n=8, batch=64, dtype="complex128", status="wrong"),
    ]


def test_ratios_per_mode_against_the_right_builtin_cell():
    cost = default_cost.default_cost(aggregate.tidy([(header(), _cells())]))
    by_mode = dict(zip(cost["mode"], cost["ratio"], strict=True))
    assert by_mode == pytest.approx({"eager": 0.75, "graph": 1.1, "xla": 2.5})
    assert set(cost["dtype"]) == {"float64"}  # builtin wrong for complex: no ratio, not a fake one


def test_section_summarises_and_is_left_out_without_the_default():
    df = aggregate.tidy([(header(), _cells())])
    text = "\n".join(default_cost.markdown_section(df))
    assert "## What the default costs" in text and "| graph | float64 | det | 1 | 1.10 |" in text
    assert default_cost.markdown_section(df[df["method"].ne("auto")]) == []


def test_goals_per_mode_and_size():
    assert default_cost.goal("eager", 8) == 1.5 and default_cost.goal("graph", 8) == 1.1
    assert default_cost.goal("graph", 3) == 1.0 and default_cost.goal("eager", 2) == 1.0
    assert default_cost.goal("xla", 128) == 2.0 and default_cost.goal("xla", 512) is None
    assert default_cost.goal("xla", 3) is None  # the builtin's batch-1 dispatch cost is no yardstick there


def test_goal_verdicts_from_the_measured_ratios():
    cost = default_cost.default_cost(aggregate.tidy([(header(), _cells())]))
    verdicts = dict(zip(default_cost.against_goals(cost)["mode"], default_cost.against_goals(cost)["verdict"], strict=True))
    assert verdicts == {"eager": "met", "graph": "met", "xla": "not met"}  # 0.75 <= 1.5, 1.1 <= 1.1, 2.5 > 2
    text = "\n".join(default_cost.goals_lines(cost))
    assert "2 of 3 det problems met" in text and "| xla | float64 | 8 x 64 | 2.50" in text


def test_a_cond_axis_counts_each_problem_once():
    cells = []
    for cond in (10.0, 1e4, 1e8):
        for method, t in (("builtin", 2e-3), ("auto", 2.4e-3)):
            cells.append(cell(samples=[t] * 5, method=method, mode="graph", n=16, batch=16, dtype="float64", cond=cond))
    cells.append(cell(samples=[2e-3] * 5, method="builtin", mode="graph", n=8, batch=16, dtype="float64", cond=10.0))
    cells.append(cell(samples=[2e-3] * 5, method="auto", mode="graph", n=8, batch=16, dtype="float64", cond=10.0))
    cost = default_cost.default_cost(aggregate.tidy([(header(), cells)]))
    assert sorted(cost["n"]) == [8, 16]  # n = 16 once, not once per condition number
