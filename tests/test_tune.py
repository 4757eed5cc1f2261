"""``detgrad tune``: deriving a table from synthetic runs, loading it (fingerprints, bad files), auto following it."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from detgrad.publish.tuning import decide, region, table_rows, verdict_lines

ROUNDS = 15


def _cell(path: str, mode: str, n: int, batch: int, dtype: str, times, group: str, status: str = "ok") -> dict:
    return {
        "kind": "cell",
        "method": f"auto@{path}",
        "mode": mode,
        "n": n,
        "batch": batch,
        "dtype": dtype,
        "status": status,
        "samples_s": list(times) if status == "ok" else [],
        "group_id": group,
    }


def _times(median: float, spread: float, seed: int) -> np.ndarray:
    return median * (1.0 + spread * np.random.default_rng(seed).uniform(-1, 1, ROUNDS))


def _point(mode, n, batch, times_by_path: dict, dtypes=("float32", "float64"), status=None) -> list[dict]:
    out = []
    for k, dtype in enumerate(dtypes):
        group = f"{mode}{n}x{batch}{dtype}"
        for j, (path, spec) in enumerate(times_by_path.items()):
            median, spread = spec[k] if isinstance(spec, list) else spec
            st = (status or {}).get(path, "ok")
            out.append(_cell(path, mode, n, batch, dtype, _times(median, spread, 10 * k + j), group, st))
    return out


BUILTIN_PATH = {("graph", 4, 64): "guarded", ("graph", 4, 256): "guarded", ("graph", 8, 64): "guarded"}


def _builtin(mode, n, batch):
    return BUILTIN_PATH.get((mode, n, batch), "guarded")


ALL = {"graph": {"guarded", "tiny", "nested"}, "eager": {"guarded", "tiny"}}


def test_a_candidate_faster_beyond_noise_in_every_dtype_replaces_the_builtin_path():
    records = _point("graph", 4, 64, {"guarded": (1.0, 0.02), "nested": (0.5, 0.02)})
    (v,) = decide(records, _builtin, ALL)
    assert v.builtin_path == "guarded" and v.chosen == "nested" and v.changed
    assert all(c.lo > 1.8 for c in v.comparisons)


def test_noise_ties_and_split_dtypes_keep_the_builtin_path():
    noisy = _point("graph", 4, 64, {"guarded": (1.0, 0.5), "nested": (0.95, 0.5)})
    tie = _point("graph", 4, 256, {"guarded": (1.0, 0.01), "nested": (1.0, 0.01)})
    split = _point("graph", 8, 64, {"guarded": (1.0, 0.01), "nested": [(0.5, 0.01), (2.0, 0.01)]})
    verdicts = decide(noisy + tie + split, _builtin, ALL)
    assert [v.chosen for v in verdicts] == ["guarded", "guarded", "guarded"]
    # the noisy one's interval straddles 1: its line says so by the numbers, and nothing changes
    (noisy_v,) = [v for v in verdicts if v.batch == 64 and v.n == 4]
    assert all(c.lo < 1 < c.hi for c in noisy_v.comparisons)
    assert table_rows(verdicts) == {"graph": []}


def test_a_candidate_failing_conformance_is_never_chosen_however_fast():
    records = _point("graph", 4, 64, {"guarded": (1.0, 0.01), "nested": (0.1, 0.01), "tiny": (0.7, 0.01)})
    (v,) = decide(records, _builtin, {"graph": {"guarded", "tiny"}})
    assert v.chosen == "tiny"
    (v,) = decide(records, _builtin, {"graph": {"guarded"}})
    assert v.chosen == "guarded"


def test_of_two_winners_the_larger_worst_dtype_speedup_wins():
    records = _point(
        "graph", 4, 64, {"guarded": (1.0, 0.01), "nested": [(0.3, 0.01), (0.8, 0.01)], "tiny": [(0.6, 0.01), (0.6, 0.01)]}
    )
    (v,) = decide(records, _builtin, ALL)
    assert v.chosen == "tiny"  # worst dtype 1/0.6 = 1.67 beats nested's 1/0.8 = 1.25


def test_a_failed_cell_keeps_the_builtin_path_and_says_why():
    records = _point("graph", 4, 64, {"guarded": (1.0, 0.01), "nested": (0.5, 0.01)}, status={"guarded": "error"})
    (v,) = decide(records, _builtin, ALL)
    assert v.chosen == "guarded" and "built-in path error" in verdict_lines([v])[1]
    records = _point("graph", 4, 64, {"guarded": (1.0, 0.01), "nested": (0.5, 0.01)}, status={"nested": "oom"})
    (v,) = decide(records, _builtin, ALL)
    assert v.chosen == "guarded" and "candidate oom" in verdict_lines([v])[1]


def test_regions_split_the_grid_at_geometric_midpoints():
    ns, batches = [2, 3, 4, 6, 8, 16], [1, 16, 64, 256, 4096]
    assert region(ns, batches, 4, 64) == {"min_n": 4, "max_n": 4, "min_batch": 32, "max_batch": 127}
    assert region(ns, batches, 6, 4096) == {"min_n": 5, "max_n": 6, "min_batch": 1024, "max_batch": None}
    assert region(ns, batches, 2, 1) == {"min_n": 2, "max_n": 2, "min_batch": 0, "max_batch": 3}
    assert region(ns, batches, 16, 16) == {"min_n": 12, "max_n": 16, "min_batch": 4, "max_batch": 31}


def test_table_rows_cover_only_the_changed_points():
    records = _point("graph", 4, 64, {"guarded": (1.0, 0.01), "nested": (0.5, 0.01)})
    records += _point("graph", 8, 64, {"guarded": (1.0, 0.01), "nested": (1.5, 0.01)})
    records += _point("graph", 4, 256, {"guarded": (1.0, 0.01), "nested": (1.0, 0.01)})
    rows = table_rows(decide(records, _builtin, ALL))
    assert rows == {"graph": [{"min_n": 4, "max_n": 5, "min_batch": 0, "max_batch": 127, "path": "nested"}]}


# --- the loader -------------------------------------------------------------------------------------------------


@pytest.fixture()
def loader(monkeypatch, tmp_path):
    from detgrad.impls.dispatch import auto, tuned

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(tuned.ENV_VAR, raising=False)
    tuned.reset()
    auto._with_tuned.cache_clear()  # rows built from a table hold the PATHS modules of their time (a test may spy one)
    yield tuned
    tuned.reset()
    auto._with_tuned.cache_clear()


def _table(tuned, rows, **fingerprint_changes) -> dict:
    fp = dict(tuned.fingerprint(), **fingerprint_changes)
    return {"format": tuned.FORMAT, "fingerprint": fp, "rows": rows}


NESTED_64 = {"graph": [{"min_n": 64, "max_n": 64, "min_batch": 0, "max_batch": 1, "path": "nested"}]}


def test_a_matching_table_in_the_default_location_is_followed(loader):
    from detgrad.impls.dispatch import auto, nested_xla
    from detgrad.impls.eigen import guarded

    assert auto.pick(64, 1, "graph") is guarded  # built-in
    path = loader.default_path(loader.fingerprint())
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_table(loader, NESTED_64)))
    loader.reset()
    assert auto.pick(64, 1, "graph") is nested_xla and auto.pick(64, 2, "graph") is guarded
    assert auto.pick(64, 1, "graph", builtin_table=True) is guarded
    assert loader.active().info["source"] == "tuned" and loader.active().info["rows"] == 1


def test_off_and_another_thread_count_use_the_builtin_table(loader, monkeypatch):
    path = loader.default_path(loader.fingerprint())
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_table(loader, NESTED_64)))
    monkeypatch.setenv(loader.ENV_VAR, "off")
    assert loader.active() is loader.BUILTIN
    monkeypatch.delenv(loader.ENV_VAR)
    other = loader.fingerprint(intra_op_threads=loader.fingerprint()["intra_op_threads"] + 1)
    assert loader.default_path(other) != path  # a table per thread setting: the other one is simply absent


@pytest.mark.parametrize(
    "content, expected",
    [
        ("{not json", "unusable (JSONDecodeError)"),
        (json.dumps({"format": "something else"}), "not a tuned table"),
        ("TABLE:tiny", "computes n <= 3 only"),
        ("TABLE:bogus", "is not a graph candidate"),
        ("FOREIGN", "measured elsewhere (cores"),
    ],
)
def test_a_bad_or_foreign_table_gives_one_warning_line_and_the_builtin_table(
    loader, monkeypatch, tmp_path, caplog, content, expected
):
    from detgrad.impls.dispatch import auto
    from detgrad.impls.eigen import guarded

    if content.startswith("TABLE:"):
        row = {"min_n": 64, "max_n": None, "min_batch": 0, "max_batch": None, "path": content.split(":")[1]}
        content = json.dumps(_table(loader, {"graph": [row]}))
    elif content == "FOREIGN":
        content = json.dumps(_table(loader, NESTED_64, cores=loader.fingerprint()["cores"] + 31))
    bad = tmp_path / "table.json"
    bad.write_text(content)
    monkeypatch.setenv(loader.ENV_VAR, str(bad))
    with caplog.at_level(logging.WARNING, logger="detgrad"):
        assert auto.pick(64, 1, "graph") is guarded
        assert auto.pick(64, 1, "graph") is guarded  # loaded once: one warning
    (record,) = caplog.records
    assert expected in record.getMessage() and "\n" not in record.getMessage()
    assert loader.active().info["source"] == "built-in" and expected in loader.active().info["reason"]


def test_a_named_table_that_does_not_exist_warns(loader, monkeypatch, tmp_path, caplog):
    monkeypatch.setenv(loader.ENV_VAR, str(tmp_path / "missing.json"))
    with caplog.at_level(logging.WARNING, logger="detgrad"):
        assert loader.rows_for("graph") == ()
    assert "not found" in caplog.records[0].getMessage()


def test_auto_traces_the_path_a_loaded_table_names(loader, monkeypatch, tmp_path):
    """Which code auto runs under a tuned table, seen by the path it calls while tracing (not by timing)."""
    import tensorflow as tf

    import detgrad
    from detgrad.impls.dispatch import auto

    calls = []

    class Spy:
        def __init__(self, name, module):
            self.name, self.module = name, module

        def det(self, a):
            calls.append(self.name)
            return self.module.det(a)

    monkeypatch.setitem(auto.PATHS, "nested", Spy("nested", auto.PATHS["nested"]))
    table = tmp_path / "t.json"
    rows = {"graph": [{"min_n": 5, "max_n": 5, "min_batch": 0, "max_batch": None, "path": "nested"}]}
    table.write_text(json.dumps(_table(loader, rows)))
    monkeypatch.setenv(loader.ENV_VAR, str(table))
    a = tf.constant(np.eye(5) * 2.0)

    @tf.function
    def graph_det(x):
        return detgrad.det(x)

    np.testing.assert_allclose(graph_det(a).numpy(), 32.0)
    assert calls == ["nested"]  # the table's row, where the built-in table takes guarded
    monkeypatch.setenv(loader.ENV_VAR, "off")
    np.testing.assert_allclose(tf.function(lambda x: detgrad.det(x))(a).numpy(), 32.0)
    assert calls == ["nested"]  # off: the built-in table's guarded, not the spied nested path


def test_run_headers_and_detgrad_env_say_which_table_is_active(loader, monkeypatch):
    from detgrad.sweep.environment import collect

    monkeypatch.setenv(loader.ENV_VAR, "off")
    assert collect(ceilings=False)["dispatch_table"] == {"source": "built-in"}


# --- the command ------------------------------------------------------------------------------------------------


def test_tune_spec_times_each_modes_candidates_at_its_grid_points():
    from detgrad.cli.tune import grid_points, tune_spec_data
    from detgrad.sweep.spec import parse_spec

    spec = parse_spec(tune_spec_data(["graph", "xla"], "CPU:0", 0, 0.1))
    cells = spec.cells()
    graph = {(c.n, c.batch) for c in cells if c.mode == "graph"}
    assert graph == set(grid_points("graph"))
    assert {c.method for c in cells if c.mode == "graph" and c.n > 3} == {"auto@guarded", "auto@nested"}
    assert {c.method for c in cells if c.mode == "xla"} == {"auto@tiny", "auto@closed", "auto@blocklu"}


def test_candidates_failing_conformance_are_dropped(tmp_path):
    from detgrad.cli.tune import eligible_paths

    check = tmp_path / "check.json"
    outcomes = [
        {"method": "tiny", "mode": "graph", "case": "a", "verdict": "wrong"},
        {"method": "auto", "mode": "graph", "case": "b", "verdict": "pass"},
        {"method": "tiny", "mode": "eager", "case": "a", "verdict": "n/a"},
    ]
    check.write_text(json.dumps({"format": "detgrad-check/1", "environment": {}, "outcomes": outcomes}))
    eligible, dropped = eligible_paths(["eager", "graph"], str(check))
    assert eligible == {"eager": {"guarded", "tiny"}, "graph": {"guarded", "nested"}}
    assert dropped == ["tiny in graph: fails conformance case 'a'"]


def test_tune_rejects_bad_modes_in_one_line(capsys):
    from detgrad.cli import main

    assert main(["tune", "--modes", "graph,fast", "--dry-run"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "detgrad: error: --modes 'graph,fast': expected a comma-separated subset of eager, graph, xla"


def test_verify_counts_paired_verdicts_and_goal_misses_under_each_table():
    import synthetic

    from detgrad.publish.aggregate import tidy
    from detgrad.publish.tuning import tuned_vs_builtin

    # auto@builtin 30 % slower than auto, both against TF's builtin: at n >= 4 in a graph the goal is <= 1.1
    cells = synthetic.paired_run(
        3, slow={"auto@builtin": 1.3}, methods=("auto", "auto@builtin", "builtin"), ns=(4, 8, 32), batches=(1, 64), jitter=0.01
    )
    df = tidy([(synthetic.header(), cells)])
    lines, counts = tuned_vs_builtin(df)
    assert counts["problems"] == 6 and counts["faster"] == 6 and counts["slower"] == 0
    # builtin costs 2.0 and auto 1.0 (synthetic.METHOD_COST): t(auto)/t(builtin) 0.5, t(auto@builtin)/t(builtin) 0.65
    assert counts["missed tuned"] == 0 and counts["missed built-in"] == 0
    assert "6 problems: 6 faster, 0 slower beyond noise, 0 within noise" in lines[0]
    slow = synthetic.paired_run(
        4, slow={"auto@builtin": 3.0}, methods=("auto", "auto@builtin", "builtin"), ns=(4, 8), batches=(1,), jitter=0.01
    )
    _, counts = tuned_vs_builtin(tidy([(synthetic.header(), slow)]))
    assert counts["missed built-in"] == 2 and counts["missed tuned"] == 0  # 3.0 x 1.0 / 2.0 = 1.5 > 1.1
