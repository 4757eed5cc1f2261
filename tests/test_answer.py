"""The report's first screen: the default's speedup per mode (t_builtin / t_auto, > 1 faster) and TF's wrong cells;
and in every table a method's worst status wins (wrong beats unsupported)."""

from __future__ import annotations

from synthetic import cell, header

from detgrad.publish import aggregate, answer, tables


def _frame(cells):
    return aggregate.tidy([(header(), cells)])


def test_speedup_points_one_way_and_counts_problems():
    df = _frame(
        [
            cell(samples=[1e-3] * 3, method="auto", mode="graph", n=8),
            cell(samples=[2e-3] * 3, method="builtin", mode="graph", n=8),  # auto 2x faster
            cell(samples=[4e-3] * 3, method="auto", mode="graph", n=16),
            cell(samples=[2e-3] * 3, method="builtin", mode="graph", n=16),  # auto 2x slower
        ]
    )
    table = answer.cost_table(df)
    assert list(table["problems"]) == [2]
    assert table.loc[0, "median speedup"] == "1.25×"  # median of 2 and 0.5
    assert table.loc[0, "slowest problem (n × batch, dtype)"].startswith("0.50× (16 × 1, float64 det)")


def test_builtin_wrong_cells_are_named_first():
    df = _frame([cell(samples=[1e-3] * 3, method="builtin", dtype="complex128", status="wrong")])
    text = "\n".join(answer.markdown_section(df))
    assert "TF's own gradient is wrong** in 1 cells of this run (complex128 det)" in text
    assert text.startswith("## The answer")


def test_wrong_in_one_mode_beats_unsupported_in_another():
    df = _frame(
        [
            cell(method="builtin", dtype="complex128", mode="xla", status="unsupported", reason="no XLA kernel"),
            cell(samples=[1e-3] * 3, method="builtin", dtype="complex128", mode="graph", status="wrong"),
            cell(samples=[2e-3] * 3, method="lu", dtype="complex128", mode="graph"),
            cell(samples=[5e-4] * 3, method="eigenlu", dtype="complex128", mode="eager", status="wrong"),
            cell(samples=[3e-3] * 3, method="eigenlu", dtype="complex128", mode="graph"),
        ]
    )
    best = aggregate.best_modes(df).set_index("method")["status"]
    assert best["builtin"] == "wrong" and best["eigenlu"] == "wrong" and best["lu"] == "ok"
    head = tables.headline(df)
    assert head.loc[0, "builtin"] == "wrong" and head.loc[0, "eigenlu"] == "wrong"


def test_recommendations_list_real_dtypes_first():
    from detgrad.publish import recommend

    df = _frame([cell(samples=[1e-3] * 3, method="lu", dtype=d) for d in ("complex128", "float64", "float32")])
    rec = tables.recommendation(recommend.recommend(df))
    assert list(rec["dtype"]) == ["float32", "float64", "complex128"]
