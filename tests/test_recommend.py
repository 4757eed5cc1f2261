"""Recommendations answer honestly: singular-safe first, builtin never where it is wrong, one answer per mode."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from synthetic import cell, header

from detgrad.publish import aggregate, methods, recommend, tables


def _frame(cells, **head):
    return aggregate.tidy([(header() | head, cells)])


def test_faster_unsafe_method_is_named_apart_never_as_the_answer():
    df = _frame(
        [
            cell(samples=[2e-3] * 3, method="lu", mode="graph"),
            cell(samples=[1e-3] * 3, method="eigenlu", mode="graph"),
            cell(samples=[4e-3] * 3, method="builtin", mode="graph"),
        ]
    )
    rec = tables.recommendation(recommend.recommend(df))
    assert rec.loc[0, "use"] == "lu (graph)" and rec.loc[0, "vs builtin"] == "2×"
    assert rec.loc[0, tables.UNSAFE_COLUMN] == "eigenlu (graph) 4×"


def test_builtin_is_never_the_answer_and_never_where_its_gradient_is_wrong():
    # fastest but not singular-safe: named only as the unsafe option, with its time
    df = _frame([cell(samples=[3e-3] * 3, method="lu"), cell(samples=[1e-3] * 3, method="builtin")])
    rec = tables.recommendation(recommend.recommend(df))
    assert (
        rec.loc[0, "use"] == "lu (eager)"
        and rec.loc[0, tables.UNSAFE_COLUMN] == "builtin (eager) 1 ms, silently wrong near singular"
    )
    # complex det: excluded even when a check happened to pass; no speedup against a wrong baseline
    cells = [
        cell(samples=[3e-3] * 3, method="lu", dtype="complex128"),
        cell(samples=[1e-3] * 3, method="builtin", dtype="complex128"),
    ]
    raw = recommend.recommend(_frame(cells))
    assert raw.loc[0, "builtin_status"] == "wrong" and raw["unsafe"].isna().all()
    assert tables.recommendation(raw).loc[0, "vs builtin"] == "builtin wrong"


def test_a_method_that_failed_the_check_in_one_mode_is_not_right_for_that_input():
    cells = [
        cell(samples=[1e-3] * 3, method="closed", mode="graph"),
        cell(samples=[1e-3] * 3, method="closed", mode="eager", status="wrong"),
        cell(samples=[2e-3] * 3, method="lu", mode="graph"),
    ]
    rec = recommend.recommend(_frame(cells))
    assert rec.loc[0, "best"] == "lu"
    assert recommend.recommend(_frame(cells, methods={"lu": {"singular_safe": False}}))["best"].isna().all()


def test_singular_safety_comes_from_the_run_file_else_the_known_table():
    cells = [cell(samples=[1e-3] * 3, method="eigenlu"), cell(samples=[2e-3] * 3, method="lu")]
    assert recommend.recommend(_frame(cells)).loc[0, "best"] == "lu"  # old run: built-in table, eigenlu unsafe
    recorded = {"eigenlu": {"singular_safe": True, "xla": False}, "lu": {"singular_safe": True, "xla": True}}
    assert recommend.recommend(_frame(cells, methods=recorded)).loc[0, "best"] == "eigenlu"
    assert methods.source(header()) == methods.FROM_TABLE and methods.source({"methods": recorded}) == methods.FROM_RUN
    assert methods.singular_safe(header(), "detgrad", "newmethod") is False
    assert methods.singular_safe(header(), "jax", "slogdet") is False
    assert recommend.recommend(_frame(cells).drop(columns="singular_safe")).loc[0, "best"] == "lu"  # column missing


def test_no_safe_method_says_so():
    rec = tables.recommendation(recommend.recommend(_frame([cell(samples=[1e-3] * 3, method="inverse")])))
    assert rec.loc[0, "use"] == tables.NO_SAFE and rec.loc[0, tables.UNSAFE_COLUMN].startswith("inverse (eager)")


def test_intervals_are_shown_when_the_frame_has_them():
    df = _frame([cell(samples=[1e-3] * 3, method="lu"), cell(samples=[1.32e-3] * 3, method="builtin")])
    rec = tables.recommendation(recommend.recommend(df))
    assert rec.loc[0, "vs builtin"] == "1.32×"  # unpaired run: no interval
    df = df.assign(speedup_best_lo=1.25, speedup_best_hi=1.40)
    assert tables.recommendation(recommend.recommend(df)).loc[0, "vs builtin"] == "1.32× [1.25–1.4]"
    assert tables.fmt_speedup(1.32, float("nan"), 1.4) == "1.32×"


def test_one_answer_per_compile_mode():
    cells = [
        cell(samples=[1e-3] * 3, method="closed", mode="xla"),
        cell(samples=[3e-3] * 3, method="lu", mode="xla"),
        cell(samples=[2e-3] * 3, method="lu", mode="graph"),
        cell(samples=[2.5e-3] * 3, method="closed", mode="graph"),
        cell(samples=[4e-3] * 3, method="builtin", mode="graph"),
        cell(status="unsupported", method="builtin", mode="xla"),
    ]
    df = _frame(cells)
    per_mode = recommend.by_mode(df)
    assert list(per_mode) == ["graph", "xla"]
    assert per_mode["graph"].loc[0, "vs_builtin"] == pytest.approx(2.0)  # same mode
    assert per_mode["xla"].loc[0, "builtin_status"] == "unsupported"
    rec = tables.recommendation(recommend.recommend(df), per_mode)
    assert rec.loc[0, "use"] == "closed (xla)" and rec.loc[0, "vs builtin"] == "4×"
    assert (rec.loc[0, "graph"], rec.loc[0, "XLA"]) == ("lu 2 ms", "closed 1 ms")


def _modes_cells():
    """n = 8 in all three modes, n = 16 in graph and XLA, n = 64 and n = 128 in eager only (builtin has no XLA kernel)."""
    cells = [cell(status="unsupported", method="builtin", mode="xla", n=n) for n in (8, 64)]
    for mode, t in (("eager", 3e-3), ("graph", 2e-3), ("xla", 1e-3)):
        cells.append(cell(samples=[t] * 3, method="auto", mode=mode, n=8))
        if mode != "xla":
            cells.append(cell(samples=[2 * t] * 3, method="builtin", mode=mode, n=8))
    cells += [cell(samples=[1e-3] * 3, method="auto", mode=mode, n=16) for mode in ("graph", "xla")]
    cells += [cell(samples=[1e-3] * 3, method="auto", n=64), cell(samples=[2e-3] * 3, method="builtin", n=64)]
    cells.append(cell(samples=[1e-3] * 3, method="inverse", n=128))  # not singular-safe: no answer
    return cells


def test_a_problem_measured_in_one_mode_only_says_so():
    df = _frame(_modes_cells())
    raw = recommend.recommend(df)
    assert [nm if isinstance(nm, str) else None for nm in raw["not_measured"]] == [None, None, "graph,xla", "graph,xla"]
    rec = tables.recommendation(raw, recommend.by_mode(df)).set_index("n")
    assert rec.loc[8, "use"] == "auto (xla)" and rec.loc[16, "use"] == "auto (graph)"  # two modes compared: no note
    assert rec.loc[64, "use"] == "auto (eager; graph and xla not measured)"
    assert rec.loc[128, "use"] == "no singular-safe method passed (graph and xla not measured)"
    assert list(rec.loc[64, ["eager", "graph", "XLA"]]) == ["auto 1 ms", "—", "—"]
    assert rec.loc[16, "vs builtin"] == "no builtin" and rec.loc[64, "vs builtin"] == "2×"
    assert all(recommend.recommend(df, mode=m)["not_measured"].isna().all() for m in ("eager", "graph", "xla"))
    # a run that measured one mode everywhere compares no modes anywhere: nothing to point out
    eager_only = _frame([c for c in _modes_cells() if c["mode"] == "eager"])
    assert recommend.recommend(eager_only)["not_measured"].isna().all()
    assert tables.recommendation(recommend.recommend(eager_only)).set_index("n").loc[64, "use"] == "auto (eager)"


def test_the_report_explains_the_one_mode_note_only_when_a_row_has_it(tmp_path):
    from detgrad.publish.report import build_report

    legend = "- `use` with `…; graph and xla not measured` (or whichever modes): the run measured that problem in one"
    readme = build_report([(header(), _modes_cells())], tmp_path / "a", formats=("svg",))
    text = Path(readme).read_text()
    assert legend in text and "| auto (eager; graph and xla not measured) |" in text
    readme = build_report([(header(), [c for c in _modes_cells() if c["n"] == 8])], tmp_path / "b", formats=("svg",))
    assert "not measured" not in Path(readme).read_text()


def test_a_problem_whose_condition_number_is_unset_is_still_one_problem():
    """cond (and threads) are NaN for input classes without them: NaN axes group, match and exclude like any value."""
    cells = [
        cell(samples=[1e-3] * 3, method="closed", mode="graph", cond=None),
        cell(samples=[1e-3] * 3, method="closed", mode="eager", cond=None, status="wrong"),  # wrong in one mode: out
        cell(samples=[2e-3] * 3, method="lu", mode="graph", cond=None),
        cell(samples=[3e-3] * 3, method="lu", mode="eager", cond=None),
        cell(samples=[4e-3] * 3, method="builtin", mode="graph", cond=None),
        cell(samples=[5e-3] * 3, method="lu", mode="graph", n=32, cond=None),  # measured in graph only
        cell(samples=[6e-3] * 3, method="lu", mode="graph", n=32, cond=None),  # a repeat: the faster counts
    ]
    cells[-1]["key"] += "/repeat"
    df = _frame(cells)
    assert df["cond"].isna().all()
    rec = recommend.recommend(df)
    assert list(rec["n"]) == [32, 64]
    row = rec.set_index("n").loc[64]
    assert (row["best"], row["best_mode"], row["builtin_status"]) == ("lu", "graph", "ok")
    assert row["vs_builtin"] == pytest.approx(2.0)
    assert rec.set_index("n").loc[32, "best_s"] == pytest.approx(5e-3)
    assert rec.set_index("n").loc[32, "not_measured"] == "eager"
    assert recommend.measured_modes(df) == {(64, 1, "float64", "det", df["device_label"][0], 2, None): ("eager", "graph"),
                                            (32, 1, "float64", "det", df["device_label"][0], 2, None): ("graph",)}  # fmt: skip


def test_rows_come_sorted_by_problem_and_say_their_scope():
    cells = [cell(samples=[1e-3] * 3, method=m, n=n, mode="graph") for n in (64, 8, 32) for m in ("lu", "blocklu")]
    df = _frame(cells)
    rec = recommend.recommend(df)
    assert list(rec["n"]) == [8, 32, 64] and set(rec["scope"]) == {"any"}
    assert set(recommend.recommend(df, mode="graph")["scope"]) == {"graph"}


def test_the_runner_up_is_the_second_fastest_safe_method_with_its_mode_and_time():
    cells = [
        cell(samples=[1e-3] * 3, method="lu", mode="graph"),
        cell(samples=[1.5e-3] * 3, method="blocklu", mode="xla"),
        cell(samples=[2e-3] * 3, method="blocklu", mode="graph"),
        cell(samples=[0.5e-3] * 3, method="eigenlu", mode="graph"),  # faster, not singular-safe: not a runner-up
    ]
    row = recommend.recommend(_frame(cells)).loc[0]
    assert (row["best"], row["runner_up"], row["runner_up_mode"], row["runner_up_s"]) == ("lu", "blocklu", "xla", 1.5e-3)
    assert row["margin"] == pytest.approx(0.5) and (row["unsafe"], row["unsafe_mode"], row["unsafe_s"]) == (
        "eigenlu",
        "graph",
        0.5e-3,
    )


def test_an_unsafe_method_exactly_as_fast_as_the_answer_is_not_named():
    cells = [cell(samples=[1e-3] * 3, method="lu"), cell(samples=[1e-3] * 3, method="eigenlu")]
    row = recommend.recommend(_frame(cells)).loc[0]
    assert row["best"] == "lu" and not isinstance(row["unsafe"], str)


def test_per_mode_speedups_are_against_builtin_in_that_mode():
    """Builtin takes 2 ms in a graph, 0.5 ms eagerly: the graph answer is 2x (same mode), the any-mode one 0.5x (its best)."""
    cells = [
        cell(samples=[1e-3] * 3, method="lu", mode="graph"),
        cell(samples=[2e-3] * 3, method="builtin", mode="graph"),
        cell(samples=[0.5e-3] * 3, method="builtin", mode="eager"),
        cell(samples=[4e-3] * 3, method="lu", mode="eager"),
    ]
    df = _frame(cells)
    assert recommend.recommend(df, mode="graph").loc[0, "vs_builtin"] == pytest.approx(2.0)
    assert recommend.recommend(df).loc[0, "vs_builtin"] == pytest.approx(0.5)  # any mode: builtin's fastest (eager)


def test_intervals_only_when_both_ends_are_finite_and_builtin_is_right():
    df = _frame([cell(samples=[1e-3] * 3, method="lu"), cell(samples=[2e-3] * 3, method="builtin")])
    for lo, hi in ((float("inf"), 2.5), (1.5, float("nan")), (float("nan"), 2.5)):
        row = recommend.recommend(df.assign(speedup_best_lo=lo, speedup_best_hi=hi)).loc[0]
        assert pd.isna(row["vs_builtin_lo"]) and pd.isna(row["vs_builtin_hi"]), (lo, hi)
    unsupported = _frame([cell(samples=[1e-3] * 3, method="lu"), cell(status="unsupported", method="builtin")])
    row = recommend.recommend(unsupported.assign(speedup_best=2.0, speedup_best_lo=1.5, speedup_best_hi=2.5)).loc[0]
    assert row["builtin_status"] == "unsupported"
    assert pd.isna(row["vs_builtin"]) and pd.isna(row["vs_builtin_lo"]) and pd.isna(row["vs_builtin_hi"])


def test_builtin_status_lists_every_status_it_had_when_none_is_ok():
    cells = [
        cell(samples=[1e-3] * 3, method="lu", mode="graph"),
        cell(status="unsupported", method="builtin", mode="xla"),
        cell(status="timeout", method="builtin", mode="graph"),
    ]
    assert recommend.recommend(_frame(cells)).loc[0, "builtin_status"] == "timeout/unsupported"


def test_no_candidate_gives_an_empty_table_with_every_column():
    rec = recommend.recommend(_frame([cell(status="unsupported", method="lu")]))
    assert rec.empty and list(rec.columns) == recommend.COLUMNS


def test_peers_compete_only_when_asked_in_every_mode():
    cells = [
        cell(samples=[2e-3] * 3, method="lu", mode="graph"),
        cell(samples=[1e-3] * 3, family="jax", method="jax", mode="xla"),
        cell(samples=[0.5e-3] * 3, family="jax", method="jax", mode="graph"),
    ]
    df = _frame(cells)
    assert recommend.recommend(df)["unsafe"].isna().all()
    assert recommend.recommend(df, include_peers=True).loc[0, "unsafe"] == "jax.jit"
    assert recommend.by_mode(df)["graph"]["unsafe"].isna().all()
    assert recommend.by_mode(df, include_peers=True)["graph"].loc[0, "unsafe"] == "jax.jit"
    assert recommend.by_mode(df, True)["graph"].loc[0, "unsafe"] == "jax.jit"


def test_a_cell_that_is_not_ok_never_competes_even_with_timings():
    """A timed-out or failed cell can carry samples (a converted pytest-benchmark file, a hand-merged run): never the answer."""
    cells = [cell(samples=[2e-3] * 3, method="lu"), cell(samples=[1e-3] * 3, method="blocklu", status="timeout")]
    assert recommend.recommend(_frame(cells)).loc[0, "best"] == "lu"
