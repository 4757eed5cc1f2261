"""Paired speedups (per-round ratios with an order-statistic interval) against hand-computed values."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic import cell, header

from detgrad.publish import aggregate
from detgrad.publish.paired import add_speedups, median_interval, paired_ratio, round_index_samples
from detgrad.runs.reader import load_run

RATIOS = [1.9, 1.5, 2.4, 1.7, 2.0, 2.2, 1.6, 2.3, 1.8, 2.1]  # builtin / lu per round, shuffled


def test_median_interval_order_statistics():
    med, lo, hi = median_interval(RATIOS)
    # m = 10: P(B <= 1) = 11/1024 <= 2.5 % < P(B <= 2) = 56/1024, so [x_(2), x_(9)], coverage 97.9 %
    assert (med, lo, hi) == (pytest.approx(1.95), 1.6, 2.3)
    assert median_interval([3.0, 1.0, 2.0]) == (2.0, 1.0, 3.0)  # m <= 5: [min, max]
    assert np.isnan(median_interval([2.0])[1]) and np.isnan(median_interval([])[0])


def test_paired_speedup_is_the_median_of_round_ratios():
    drift = 1.0 + 0.1 * np.arange(10)  # the machine slows down through the rounds; pairing cancels it
    builtin = 2e-3 * drift
    lu = builtin / np.array(RATIOS)
    common = dict(group_id="g1", n=8)
    df = aggregate.tidy(
        [
            (
                header(),
                [
                    cell(samples=list(builtin), method="builtin", mode="graph", **common),
                    cell(samples=list(builtin * 1.5), method="builtin", mode="eager", **common),
                    cell(samples=list(lu), method="lu", mode="graph", **common),
                    cell(samples=list(lu * 3.0), method="lu", mode="eager", **common),
                ],
            )
        ]
    )
    lu_graph = df[df["method"].eq("lu") & df["mode"].eq("graph")].iloc[0]
    assert lu_graph["speedup_paired"]
    assert (lu_graph["speedup"], lu_graph["speedup_lo"], lu_graph["speedup_hi"]) == (pytest.approx(1.95), 1.6, 2.3)
    assert lu_graph["speedup_best"] == pytest.approx(1.95) and lu_graph["speedup_best_lo"] == pytest.approx(1.6)
    assert lu_graph["speedup"] != pytest.approx(np.median(builtin) / np.median(lu))  # not the ratio of medians
    lu_eager = df[df["method"].eq("lu") & df["mode"].eq("eager")].iloc[0]
    assert lu_eager["speedup"] == pytest.approx(1.95 * 1.5 / 3.0)  # vs builtin eager
    assert lu_eager["speedup_best"] == pytest.approx(1.95 / 3.0)  # vs builtin graph, its fastest mode
    assert lu_eager["speedup_best_hi"] == pytest.approx(2.3 / 3.0)
    assert lu_graph["noise"] == pytest.approx(lu_graph["iqr_s"] / lu_graph["median_s"]) and lu_graph["rounds"] == 10


def test_unpaired_cells_and_v1_runs_get_ratio_of_medians_without_interval():
    df = aggregate.tidy([(header(), [cell(samples=[2e-3] * 5, method="builtin"), cell(samples=[1e-3] * 5, method="lu")])])
    lu = df[df["method"].eq("lu")].iloc[0]
    assert lu["speedup"] == pytest.approx(2.0) and np.isnan(lu["speedup_lo"]) and not lu["speedup_paired"]
    v1 = aggregate.tidy([load_run(Path(__file__).parent / "data" / "run_v1.jsonl")])
    lu = v1[v1["method"].eq("lu") & v1["mode"].eq("graph")].iloc[0]
    builtin = v1[v1["method"].eq("builtin") & v1["mode"].eq("graph")].iloc[0]
    assert lu["speedup"] == pytest.approx(builtin["median_s"] / lu["median_s"])
    assert np.isnan(lu["speedup_hi"]) and np.isnan(lu["speedup_best_lo"])


def test_round_index_removes_a_round_that_slowed_the_whole_group():
    rounds = {"lu": [1.0, 1.0, 2.0, 1.0, 1.0], "builtin": [2.0, 2.0, 4.0, 2.0, 2.0], "inverse": [3.0, 3.3, 6.0, 3.0, 3.0]}
    cells = [cell(samples=[1e-3 * x for x in s], method=m, group_id="g") for m, s in rounds.items()]
    cells.append(cell(samples=[1e-3, 9e-3, 1e-3], method="slogdet", group_id="other"))  # alone in its group: unchanged
    df = aggregate.tidy([(header(), cells)])
    out = round_index_samples(df)
    lu = out[df.index[df["method"].eq("lu")][0]]
    # round 2 (x2 for everyone) is gone; round 1: index = median(builtin 1.0, inverse 1.1) = 1.05
    assert lu == pytest.approx([1e-3, 1e-3 / 1.05, 1e-3, 1e-3, 1e-3])
    assert out[df.index[df["method"].eq("slogdet")][0]] == [1e-3, 9e-3, 1e-3]


def _coverage(m: int, l: int) -> float:  # noqa: E741 (l as in the textbooks)
    """P(x_(l) <= true median <= x_(m+1-l)) = 1 - 2·P(B <= l-1), B ~ Binomial(m, 1/2), by exact integers."""
    from math import comb

    return 1 - 2 * sum(comb(m, i) for i in range(l)) / 2**m


# The textbook table of the 95 % distribution-free interval of a median (largest l with coverage >= 95 %)
TEXTBOOK_L = {6: 1, 7: 1, 8: 1, 9: 2, 10: 2, 11: 2, 12: 3, 13: 3, 14: 3, 15: 4, 16: 4, 17: 5, 18: 5, 19: 5, 20: 6}


@pytest.mark.parametrize("m", range(6, 41))
def test_median_interval_matches_the_binomial_table(m):
    l = max(j for j in range(1, m // 2 + 1) if _coverage(m, j) >= 0.95)  # noqa: E741
    if m in TEXTBOOK_L:
        assert l == TEXTBOOK_L[m]
    values = np.arange(1.0, m + 1)  # x_(i) = i
    _, lo, hi = median_interval(values[::-1])  # unsorted input
    assert (lo, hi) == (l, m + 1 - l)
    assert _coverage(m, l) >= 0.95 and (l == m // 2 or _coverage(m, l + 1) < 0.95)


# Written against mutants that survived `tox -e mutation` (docs/mutation-testing.md).


def test_median_interval_keeps_an_order_statistic_whose_coverage_equals_the_level():
    """m = 10 at level 1 - 22/1024: l = 2 covers exactly the level (>= holds), so [x_(2), x_(9)], not [min, max]."""
    assert median_interval(np.arange(10.0), 1 - 22 / 1024) == (4.5, 1.0, 8.0)


def test_paired_ratio_uses_its_level_and_the_common_rounds():
    num, den = np.arange(1.0, 11.0), np.ones(12)
    assert paired_ratio(num, den, level=0.5) == median_interval(num, 0.5) != median_interval(num)
    assert paired_ratio(num, den)[1:] == (2.0, 9.0)  # the first 10 rounds, both took part
    assert np.isnan(paired_ratio([], den)[0])


def _group(*cells):
    return pd.DataFrame(cells).assign(family="detgrad", n=8)


def _cell_row(method, mode, samples, group="g", status="ok"):
    return dict(method=method, mode=mode, samples_s=samples, group_id=group, status=status,
                median_s=float(np.median(samples)) if samples else np.nan)  # fmt: skip


def test_speedups_without_a_same_mode_builtin_still_pair_with_its_fastest_mode():
    """A method in XLA mode, where the builtin has no kernel: no same-mode speedup, a paired best-mode one."""
    df = add_speedups(_group(_cell_row("builtin", "graph", [2e-3] * 6), _cell_row("lu", "xla", [1e-3] * 6)), ["n"])
    lu = df[df["method"].eq("lu")].iloc[0]
    assert np.isnan(lu["speedup"]) and lu["speedup_best"] == pytest.approx(2.0) and lu["speedup_paired"]


def test_speedups_skip_cells_they_cannot_pair_and_go_on():
    rows = [_cell_row("lu", "graph", [1e-3] * 6, group=None), _cell_row("builtin", "graph", [2e-3] * 6),
            _cell_row("inverse", "graph", [4e-3] * 6)]  # fmt: skip
    df = add_speedups(_group(*rows), ["n"])
    assert df["speedup_paired"].tolist() == [False, True, True]  # the unpaired first row does not stop the rest
    assert df["speedup"].tolist() == [pytest.approx(2.0), pytest.approx(1.0), pytest.approx(0.5)]
    again = add_speedups(df, ["n"])  # idempotent: the builtin columns are replaced, not doubled
    assert sorted(again.columns) == sorted(df.columns) and again["speedup"].equals(df["speedup"])
    no_groups = add_speedups(_group(*rows).drop(columns="group_id"), ["n"])
    assert not no_groups["speedup_paired"].any() and no_groups["speedup"].iloc[0] == pytest.approx(2.0)


def test_speedups_with_a_missing_problem_axis_value_and_a_zero_time():
    rows = [
        _cell_row("builtin", "graph", [2e-3] * 6),
        _cell_row("lu", "graph", [1e-3] * 6),
        _cell_row("inverse", "graph", [0.0] * 6),
    ]
    df = add_speedups(_group(*rows).assign(cond=np.nan), ["n", "cond"])  # cond NaN: no condition-number axis
    assert df["speedup"].iloc[1] == pytest.approx(2.0) and df["builtin_best_s"].iloc[1] == pytest.approx(2e-3)
    assert np.isnan(df["speedup"].iloc[2])  # a zero median is no measurement


def test_samples_of_a_cell_are_a_nonempty_list():
    from detgrad.publish.paired import _samples

    assert _samples(None) is None and _samples([]) is None and _samples(float("nan")) is None
    assert _samples((1, 2)).dtype == float


def test_round_index_per_group_with_uneven_rounds_and_any_index():
    """Groups are normalized on their own (a small group first does not stop the next); extra rounds keep their time."""
    rows = [
        _cell_row("lu", "graph", [1e-3, 1e-3], group="a"),
        _cell_row("builtin", "graph", [2e-3, 2e-3], group="a"),
        _cell_row("lu", "graph", [1.0, 2.0, 1.0, 1.0, 5.0], group="b"),
        _cell_row("builtin", "graph", [2.0, 4.0, 2.0, 2.0], group="b"),
        _cell_row("inverse", "graph", [3.0, 6.0, 3.0, 3.0], group="b"),
        _cell_row("slogdet", "graph", float("nan"), group="b", status="error"),
    ]
    df = pd.DataFrame(rows, index=[10, 11, 12, 13, 14, 15])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = round_index_samples(df)
    assert list(out.index) == [10, 11, 12, 13, 14, 15]
    assert out[10] == [1e-3, 1e-3] and out[15] is None and len(out[13]) == 4
    assert out[12] == pytest.approx([1.0, 1.0, 1.0, 1.0, 5.0])  # round 2 (x2 for all) removed; round 5: nobody else, kept
