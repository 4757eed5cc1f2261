"""`detgrad probe`: the sweep's paired timer on a few points, its spec, its table and its knobs."""

from __future__ import annotations

import argparse
import json

import pytest
from synthetic import cell, header

from detgrad.cli import main
from detgrad.cli.probe import parse_points, probe_lines, probe_spec_data
from detgrad.errors import DetgradError
from detgrad.sweep.spec import parse_spec


def _args(**kw):
    base = dict(mode="graph", points="8x64,512x1", methods="auto,guarded", dtypes="float32,float64", target="det", budget=0.25,
                device="CPU:0", threads=0, set=[], out=None, resume=False, dry_run=False)  # fmt: skip
    return argparse.Namespace(**(base | kw))


def test_points_are_pairs_not_a_grid():
    assert parse_points("8x64, 512X1,8x64,3×4096") == [(8, 64), (512, 1), (3, 4096)]
    cells = parse_spec(probe_spec_data(_args()), "probe").cells()
    assert {(c.n, c.batch) for c in cells} == {(8, 64), (512, 1)}  # not 8x1 or 512x64
    assert {c.method for c in cells} == {"auto", "guarded", "builtin"} and {c.mode for c in cells} == {"graph"}
    assert len(cells) == 2 * 2 * 3


def test_under_xla_the_builtin_runs_in_a_graph():
    cells = parse_spec(probe_spec_data(_args(mode="xla", methods="blocklu,builtin")), "probe").cells()
    assert {(c.method, c.mode) for c in cells} == {("blocklu", "xla"), ("builtin", "graph")}


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--points", "8y64"], "bad --points item '8y64'; expected NxB"),
        (["--points", "0x4"], "bad --points item '0x4'"),
        (["--points", "8x1", "--methods", "builtin"], "name at least one method besides builtin"),
        (["--points", "8x1", "--methods", "fast"], "[axes] method: bad value 'fast'"),
        (["--points", "8x1", "--dtypes", "float16"], "[axes] dtype: bad value 'float16'"),
        (["--points", "8x1", "--budget", "0"], "--budget 0.0: must be a positive number"),
        (["--points", "8x1", "--resume"], "--resume needs --out DIR"),
        (["--points", "8x1", "--set", "UNROLL=3"], "bad --set 'UNROLL=3'; expected MODULE.NAME=INT"),
        (["--points", "8x1", "--set", "nowhere.UNROLL_MAX_N=3"], "no module 'nowhere' in detgrad.impls"),
        (
            ["--points", "8x1", "--set", "blocklu_factor.NOT_A_KNOB=3"],
            "detgrad.impls.tf_lu.blocklu_factor has no integer NOT_A_KNOB",
        ),
    ],
)
def test_input_errors_are_one_line(argv, needle, capsys, tmp_path):
    assert main(["probe", "--mode", "graph", *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("detgrad: error:") and needle in err[0], err
    assert not (tmp_path / "runs").exists()


def test_the_table_states_the_paired_speedup_its_interval_and_a_verdict():
    rounds = 15
    cells = [cell(samples=[2e-3] * rounds, method="builtin", mode="graph", n=n, group_id=f"g{n}") for n in (8, 16, 32)]
    cells += [
        cell(samples=[1e-3] * rounds, method="auto", mode="graph", n=8, group_id="g8"),  # 2x every round
        cell(samples=[4e-3] * rounds, method="auto", mode="graph", n=16, group_id="g16"),  # 0.5x
        cell(samples=[1.9e-3, 2.1e-3] * 7 + [2e-3], method="auto", mode="graph", n=32, group_id="g32"),  # either side of 1
        cell(status="unsupported", reason="no XLA kernel", method="guarded", mode="graph", n=8, group_id="g8"),
    ]
    lines = probe_lines(cells, header(), "graph")
    assert lines[0].startswith("speedup = t(builtin) / t(method) per round, median [95 % interval]")
    rows = {(ln.split()[0], ln.split()[3]): ln for ln in lines[2:]}
    assert "2× [2–2]" in rows[("8", "auto")] and "faster" in rows[("8", "auto")] and "2 ms" in rows[("8", "auto")]
    assert "0.5× [0.5–0.5]" in rows[("16", "auto")] and "slower" in rows[("16", "auto")]
    assert "within noise" in rows[("32", "auto")]
    assert "unsupported: no XLA kernel" in rows[("8", "guarded")]


def test_a_probe_runs_in_the_sweeps_worker_and_keeps_its_run_file(tmp_path, capsys):
    out = tmp_path / "p"
    argv = ["probe", "--mode", "graph", "--points", "2x1", "--methods", "tiny", "--budget", "0.05", "--out", str(out),
            "--set", "det_lu_inverse.EIGEN_UNBLOCKED_MAX_N=16"]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "detgrad probe: graph, det, knobs det_lu_inverse.EIGEN_UNBLOCKED_MAX_N=16; 2 cells" in text
    line = next(ln for ln in text.splitlines() if ln.split()[:4] == ["2", "1", "float64", "tiny"])
    assert "×" in line and any(v in line for v in ("faster", "slower", "within noise", "no interval"))
    head = json.loads((out / "run.jsonl").read_text().splitlines()[0])
    assert head["spec"]["knobs"] == "det_lu_inverse.EIGEN_UNBLOCKED_MAX_N=16" and head["spec"]["name"] == "probe-graph"
    assert main(argv + ["--resume"]) == 0  # nothing left to measure: the same table again
    assert "2 cells" in capsys.readouterr().out


def test_knobs_set_and_apply(monkeypatch):
    from detgrad.impls.tf_lu import blocklu_factor
    from detgrad.sweep import knobs

    monkeypatch.setattr(blocklu_factor, "UNROLL_MAX_N", blocklu_factor.UNROLL_MAX_N)  # restored after the test
    parsed = knobs.parse_knobs(["blocklu_factor.UNROLL_MAX_N=3,triangular.SOLVE_BLOCK=16"])
    assert parsed == {"blocklu_factor.UNROLL_MAX_N": 3, "triangular.SOLVE_BLOCK": 16}
    monkeypatch.setenv(knobs.KNOBS_ENV, knobs.to_env({"blocklu_factor.UNROLL_MAX_N": 3}))
    knobs.apply_knobs(knobs.from_env())
    assert blocklu_factor.UNROLL_MAX_N == 3
    with pytest.raises(DetgradError, match="no integer"):
        knobs.parse_knobs(["lu_factor.LUFACTORS=1"])  # a name that is not an integer of the module
