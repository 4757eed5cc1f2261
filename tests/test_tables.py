"""Markdown, CSV and terminal tables from synthetic cells."""

from __future__ import annotations

import pandas as pd
from synthetic import cell, header

from detgrad.publish import aggregate, recommend, tables


def _df():
    return aggregate.tidy(
        [
            (
                header(),
                [
                    cell(samples=[1e-3] * 3, method="lu", mode="xla"),
                    cell(samples=[2e-3] * 3, method="builtin", mode="xla"),
                    cell(status="unsupported", method="closed", reason="n > 4"),
                    cell(status="error", method="inverse", reason="boom"),
                ],
            )
        ]
    )


def test_formatters():
    assert tables.fmt_time(1.234e-3) == "1.23 ms"
    assert tables.fmt_time(5e-7) == "500 ns"
    assert tables.fmt_time(float("nan")) == ""
    assert tables.fmt_ratio(2.0) == "2×"


def test_headline_shows_time_speedup_mode_and_status():
    head = tables.headline(_df())
    row = head.iloc[0]
    assert row["lu"] == "1 ms (2×, xla)"
    assert row["builtin"] == "2 ms (1×, xla)"
    assert row["closed"] == "unsupported" and row["inverse"] == "error"
    assert list(head.columns)[:5] == ["device", "dtype", "target", "batch", "n"]
    assert list(head.columns)[5:] == ["lu", "inverse", "closed", "builtin"]


def test_recommendation_table():
    rec = tables.recommendation(recommend.recommend(_df()))
    assert rec.loc[0, "use"] == "lu (xla)"
    assert rec.loc[0, "vs builtin"] == "2×"
    assert rec.loc[0, tables.UNSAFE_COLUMN] == ""  # builtin is slower: nothing faster to warn about
    assert list(rec.columns) == ["dtype", "target", "n", "batch", "use", "time/call", "vs builtin", tables.UNSAFE_COLUMN]


def test_markdown_and_csv(tmp_path):
    frame = pd.DataFrame({"name": ["a|b", "c"], "x": [1.23456, 2.0]})
    md = tables.to_markdown(frame)
    assert md.splitlines()[0] == "| name | x |"
    assert md.splitlines()[1] == "|---|---:|"
    assert "a\\|b" in md and "1.23" in md
    path = tables.to_csv(tables.cells(_df()), tmp_path / "cells.csv")
    back = pd.read_csv(path)
    assert len(back) == 4 and "gflops" in back.columns


def test_terminal_colours_only_when_asked(monkeypatch):
    frame = pd.DataFrame({"method": ["lu", "closed"], "status": ["ok", "unsupported"]})
    plain = tables.terminal(frame, color=False)
    assert "\x1b[" not in plain and "unsupported" in plain
    coloured = tables.terminal(frame, color=True)
    assert "\x1b[32mok" in coloured and "\x1b[2munsupported" in coloured
    monkeypatch.setenv("NO_COLOR", "1")

    class Tty:
        def isatty(self):
            return True

    assert tables.use_color(Tty()) is False
    monkeypatch.delenv("NO_COLOR")
    assert tables.use_color(Tty()) is True


def test_recommendation_says_why_there_is_no_speedup():
    df = aggregate.tidy(
        [(header(), [cell(samples=[1e-3] * 3, method="lu"), cell(samples=[2e-3] * 3, method="builtin", status="wrong")])]
    )
    rec = tables.recommendation(recommend.recommend(df))
    assert rec.loc[0, "use"] == "lu (eager)" and rec.loc[0, "vs builtin"] == "builtin wrong"


def test_condition_numbers_stay_separate_problems():
    cells = [
        cell(samples=[1e-3] * 3, method="lu", cond=10.0),
        cell(samples=[2e-3] * 3, method="builtin", cond=10.0),
        cell(samples=[1e-3] * 3, method="lu", cond=1e12),
        cell(samples=[4e-3] * 3, method="builtin", cond=1e12),
    ]
    df = aggregate.tidy([(header(), cells)])
    rec = tables.recommendation(recommend.recommend(df))
    assert list(rec["cond"]) == ["10", "1e+12"] and list(rec["vs builtin"]) == ["2×", "4×"]
    head = tables.headline(df)
    assert list(head["cond"]) == ["10", "1e+12"] and list(head["lu"]) == ["1 ms (2×, eager)", "1 ms (4×, eager)"]
    one_cond = tables.headline(aggregate.tidy([(header(), cells[:2])]))
    assert "cond" not in one_cond.columns
