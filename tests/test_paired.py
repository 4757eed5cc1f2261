"""Paired speedups (per-round ratios with an order-statistic interval) against hand-computed values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic import cell, header

from detgrad.publish import aggregate
from detgrad.publish.paired import median_interval, round_index_samples
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
