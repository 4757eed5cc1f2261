"""Spec parsing, grid expansion, exclusion rules, sharding and the CLI's one-line errors."""

from __future__ import annotations

import pytest

from detgrad.cli import main
from detgrad.errors import DetgradError
from detgrad.sweep.spec import Cell, list_presets, load_spec, parse_shard, parse_spec, shard_cells

METHODS = ("lu", "closed", "inverse", "slogdet", "builtin")


def spec(**axes):
    base = {"method": ["closed", "lu"], "n": [2, 4], "batch": [1, 8], "mode": ["graph", "xla"]}
    base.update(axes)
    return {"name": "t", "axes": base}


def test_grid_and_defaults():
    s = parse_spec(spec(), "t")
    cells = s.cells()
    assert len(cells) == 2 * 2 * 2 * 2
    assert {c.dtype for c in cells} == {"float64"} and {c.device for c in cells} == {"CPU:0"}
    assert len({c.key for c in cells}) == len(cells)
    assert cells == sorted(cells, key=lambda c: c.key)


def test_exclude_rules():
    data = spec()
    data["exclude"] = [{"method": "closed", "n_gt": 3}, {"mode": ["xla"], "batch": 8}]
    cells = parse_spec(data, "t").cells()
    assert not any(c.method == "closed" and c.n > 3 for c in cells)
    assert not any(c.mode == "xla" and c.batch == 8 for c in cells)
    assert len(cells) == 16 - 4 - 4 + 1  # one cell matches both rules


def test_method_all_and_key_roundtrip():
    s = parse_spec({"axes": {"method": "all", "n": [3], "batch": [1], "cond": [10, 1e6]}}, "t")
    assert set(METHODS) <= {c.method for c in s.cells()}  # "all" = every registered method (peers excluded)
    assert not {c.method for c in s.cells()} & {"jax", "torch", "numpy"}
    c = s.cells()[0]
    assert Cell.from_dict(c.to_dict()) == c
    assert "cond=10" in s.cells()[0].key or "cond=1e+06" in s.cells()[0].key


@pytest.mark.parametrize(
    "data, needle",
    [
        ({"axes": {"method": ["lu"], "n": [2], "batch": [1], "colour": [1]}}, "unknown key 'colour'"),
        ({"axes": {"method": ["nope"], "n": [2], "batch": [1]}}, "bad value 'nope'"),
        ({"axes": {"method": ["lu"], "n": [0], "batch": [1]}}, "n: bad value 0"),
        ({"axes": {"method": ["lu"], "n": [2], "batch": [1], "mode": ["jit"]}}, "allowed: eager, graph, xla"),
        ({"axes": {"method": ["lu"], "n": [2], "batch": [1], "dtype": ["float16"]}}, "allowed: float32"),
        ({"axes": {"method": ["lu"], "n": [2], "batch": [1], "device": ["TPU:0"]}}, "bad device"),
        ({"axes": {"method": ["lu"], "n": [2]}}, "missing 'batch'"),
        ({"axes": {"method": ["lu"], "n": [2], "batch": [1]}, "settings": {"budget": 1}}, "unknown key 'budget'"),
        ({"axes": {"method": ["lu"], "n": [2], "batch": [1]}, "exclude": [{"size_gt": 3}]}, "unknown key 'size_gt'"),
        ({"axis": {}}, "unknown key 'axis'"),
    ],
)
def test_bad_specs(data, needle):
    with pytest.raises(DetgradError, match=needle.replace("(", r"\(")) as info:
        parse_spec(data, "t")
    assert "\n" not in str(info.value)


def test_shards_cover_every_cell_once():
    cells = parse_spec(spec(dtype=["float32", "float64"]), "t").cells()
    for n in (1, 2, 3, 7):
        parts = [shard_cells(cells, k, n) for k in range(1, n + 1)]
        keys = [c.key for p in parts for c in p]
        assert sorted(keys) == sorted(c.key for c in cells)
        # a problem's cells (one group, timed together) stay in one shard; problems are spread evenly
        problems = [{c.problem_key for c in p} for p in parts]
        assert sum(map(len, problems)) == len({c.problem_key for c in cells})
        assert max(map(len, problems)) - min(map(len, problems)) <= 1
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3/2", "0/2", "x", "1/0"):
        with pytest.raises(DetgradError, match="--shard"):
            parse_shard(bad)


def test_presets_load():
    assert {"quick", "full", "gpu"} <= set(list_presets())
    for name in list_presets():
        assert load_spec(preset=name).cells()


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["sweep", "--preset", "nope"], "unknown preset 'nope'"),
        (["sweep", "missing-spec.toml"], "spec file not found"),
        (["sweep", "--preset", "quick", "--shard", "3/2"], "bad --shard '3/2'"),
        (["sweep"], "give a spec"),
        (["sweep", "BAD"], "unknown key 'colour'"),
        (["sweep", "BAD", "--device", "XPU:1"], "unknown key 'colour'"),
    ],
)
def test_cli_errors_are_one_line(argv, needle, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[axes]\nmethod = ["lu"]\nn = [2]\nbatch = [1]\ncolour = ["red"]\n')
    argv = [str(bad) if a == "BAD" else a for a in argv] + ["--out", str(tmp_path / "out")]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "out").exists()


def test_cells_group_by_problem():
    from detgrad.sweep.loop import group_cells

    cells = parse_spec(spec(dtype=["float32", "float64"]), "t").cells()
    groups = group_cells(cells)
    assert len(groups) == 2 * 2 * 2 and sum(map(len, groups)) == len(cells)  # n x batch x dtype problems
    for g in groups:
        assert len({c.problem_key for c in g}) == 1
        assert sorted((c.method, c.mode) for c in g) == [("closed", "graph"), ("closed", "xla"), ("lu", "graph"), ("lu", "xla")]


def test_settings_are_one_typed_record_with_one_set_of_defaults():
    from detgrad.sweep.settings import SweepSettings
    from detgrad.sweep.timing import TimingConfig

    spec = parse_spec({"axes": {"method": ["lu"], "n": [2], "batch": [1]}, "settings": {"budget_s": 1, "seed": 3}})
    assert isinstance(spec.settings, SweepSettings) and spec.settings.budget_s == 1.0 and spec.settings.seed == 3
    assert SweepSettings.from_dict(spec.to_dict()["settings"]) == spec.settings  # through the header and back
    assert TimingConfig() == TimingConfig.from_settings(SweepSettings())  # the timer's defaults are the settings'
    assert TimingConfig.from_settings(spec.settings).budget_s == 1.0
    for bad, words in (({"budget": 1}, "unknown key 'budget'"), ({"warmup": -1}, "must be a non-negative int"),
                       ({"budget_s": "fast"}, "must be a non-negative float"), ({"seed": True}, "non-negative int")):  # fmt: skip
        with pytest.raises(DetgradError, match=words):
            parse_spec({"axes": {"method": ["lu"], "n": [2], "batch": [1]}, "settings": bad})
    assert SweepSettings(max_bytes=0).with_memory_limit().max_bytes > 0
    assert SweepSettings(max_bytes=123).with_memory_limit().max_bytes == 123
