"""Recommendations answer honestly: singular-safe first, builtin never where it is wrong, one answer per mode."""

from __future__ import annotations

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
