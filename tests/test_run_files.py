"""Run files: write, load (v2 and a real v1 file), truncated tail, schema version, merge, accuracy and inputs helpers."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from detgrad.errors import DetgradError
from detgrad.runs import RunFileWarning, RunWriter, load_run, make_header, make_record, merge_runs, records_frame, repair_tail
from detgrad.runs.samples import Timing
from detgrad.runs.schema import SCHEMA_VERSION, Cell
from detgrad.sweep.accuracy import check, reference
from detgrad.sweep.inputs import make_matrices

CELLS = [Cell("closed", "graph", "det", n, 4, "float64") for n in (1, 2, 3)]
V1_FILE = Path(__file__).parent / "data" / "run_v1.jsonl"  # six records cut from a real schema-v1 run


def write_run(path, cells, run_id="r1"):
    with RunWriter(path, make_header({"name": "t"}, {"hostname": "h"}, run_id), fsync=False) as w:
        for c in cells:
            w.write(make_record(c, "ok", timing=Timing([1e-3, 2e-3, 1.5e-3], 4), trace_s=0.5))


def test_roundtrip_and_frame(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, CELLS)
    header, records = load_run(path)
    assert header["schema_version"] == SCHEMA_VERSION == 2 and header["run_id"] == "r1"
    r = records[0]
    assert r["median_s"] == 1.5e-3 and r["calls_per_sample"] == 4 and r["noisy"] is True and r["trace_s"] == 0.5
    assert r["peak_mem_bytes"] is None and r["family"] == "detgrad" and r["key"] == CELLS[0].key
    df = records_frame(path)
    assert len(df) == 3 and set(df["run_id"]) == {"r1"}


def test_v2_fields_round_trip(tmp_path):
    path = tmp_path / "run.jsonl"
    timing = Timing([1e-3, 2e-3, 1.5e-3], 4, 8, positions=[0, 2, 1])
    with RunWriter(path, make_header({"name": "t"}, {}, "r2"), fsync=False) as w:
        w.write(make_record(CELLS[1], "ok", timing=timing, group_id="g1", canary_s=[1e-4, 1.1e-4, 1e-4]))
    (r,) = load_run(path)[1]
    assert r["group"] == CELLS[1].problem_key == "det/n=2/batch=4/float64/CPU:0/threads=0/cond=none"
    assert r["group_id"] == "g1" and r["position"] == [0, 2, 1] and r["canary_s"] == [1e-4, 1.1e-4, 1e-4]
    assert r["samples_s"] == [1e-3, 2e-3, 1.5e-3] and r["median_s"] == 1.5e-3


def test_v1_file_still_loads():
    header, records = load_run(V1_FILE)
    assert header["schema_version"] == 1 and len(records) == 6
    assert "group_id" not in records[0] and records[0]["samples_s"]
    df = records_frame(V1_FILE)
    assert set(df["method"]) == {"builtin", "lu", "eigenlu"}


def test_truncated_tail_is_skipped_and_repaired(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, CELLS)
    with open(path, "a") as fh:
        fh.write('{"kind": "cell", "key": "half')
    with pytest.warns(UserWarning, match="truncated"):
        _, records = load_run(path)
    assert len(records) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repair_tail(path)
    with RunWriter(path, fsync=False) as w:  # append mode after the repair
        w.write(make_record(Cell("lu", "xla", "det", 5, 1, "float32"), "timeout", "slow"))
    assert len(load_run(path)[1]) == 4


def test_corrupt_middle_line_is_an_error_not_a_torn_tail(tmp_path):
    """Only the last line may be torn (an interrupted write); a bad line before it means the file is damaged."""
    path = tmp_path / "run.jsonl"
    write_run(path, CELLS)
    lines = path.read_text().splitlines()
    lines[2] = lines[2][: len(lines[2]) // 2]  # the second cell of three, cut in half
    path.write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "truncated last line" warning may stand in for the error
        with pytest.raises(DetgradError, match="corrupt run file, line 3 is not JSON"):
            load_run(path)


def test_bad_files(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text(json.dumps({"kind": "header", "schema": "detgrad-run", "schema_version": 99}) + "\n")
    with pytest.raises(DetgradError, match="upgrade detgrad .* or regenerate"):
        load_run(path)
    with pytest.raises(DetgradError, match="not found"):
        load_run(tmp_path / "nope.jsonl")


def test_merge_shards(tmp_path):
    write_run(tmp_path / "a.jsonl", CELLS[:2], "a")
    write_run(tmp_path / "b.jsonl", CELLS[1:], "b")
    header, records = load_run(merge_runs([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], tmp_path / "m.jsonl"))
    assert [r["key"] for r in records] == [c.key for c in CELLS]
    assert header["merged_from"] == ["a", "b"]


def write_shard(path, cells, k, n, planned=None, name="t"):
    """Shard k of n, as ``detgrad sweep --shard k/n`` heads it, with ``cells`` recorded."""
    header = make_header({"name": name, "axes": {"n": [1, 2, 3]}, "shard": f"{k}/{n}"}, {"hostname": "h"}, f"s{k}")
    header["planned_cells"] = len(cells) if planned is None else planned
    with RunWriter(path, header, fsync=False) as w:
        for c in cells:
            w.write(make_record(c, "ok", timing=Timing([1e-3, 2e-3, 1.5e-3], 4)))
    return path


def test_merge_refuses_a_missing_or_unfinished_shard(tmp_path):
    one = write_shard(tmp_path / "run.shard-1-of-3.jsonl", CELLS[:1], 1, 3)
    two = write_shard(tmp_path / "run.shard-2-of-3.jsonl", CELLS[1:2], 2, 3, planned=2)  # stopped after 1 of 2
    three = write_shard(tmp_path / "run.shard-3-of-3.jsonl", CELLS[2:], 3, 3)
    out = tmp_path / "run.jsonl"
    with pytest.raises(DetgradError) as err:
        merge_runs([one, two], out)
    assert str(err.value) == (
        "incomplete sweep, nothing merged: shard 2/3: 1 of 2 cells (stopped early; --resume finishes it); "
        "shard 3/3: no file (run.shard-3-of-3.jsonl); merge what is there with --partial"
    )
    assert not out.exists()
    with pytest.warns(RunFileWarning) as caught:
        header, records = load_run(merge_runs([one, two], out, partial=True))
    assert [str(w.message) for w in caught] == [f"merged without {gap}" for gap in header["merge_gaps"]]
    assert header["merge_gaps"][1] == "shard 3/3: no file (run.shard-3-of-3.jsonl)" and "planned_cells" not in header
    assert [r["key"] for r in records] == [c.key for c in CELLS[:2]]

    write_shard(two, CELLS[1:2], 2, 3)  # shard 2 finished (resumed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        header, records = load_run(merge_runs([three, one, two], out))
    assert sorted(r["key"] for r in records) == sorted(c.key for c in CELLS)
    assert header["spec"]["shard"] is None and header["planned_cells"] == 3 and "merge_gaps" not in header
    assert header["merged_from"] == ["s3", "s1", "s2"]


def test_merge_refuses_shards_of_different_sweeps(tmp_path):
    a = write_shard(tmp_path / "a.jsonl", CELLS[:1], 1, 2)
    b = write_shard(tmp_path / "b.jsonl", CELLS[1:], 2, 2, name="other")
    with pytest.raises(DetgradError, match=r"different sweeps \(other, t: name, axes or exclusions differ\)"):
        merge_runs([a, b], tmp_path / "m.jsonl")
    c = write_shard(tmp_path / "c.jsonl", CELLS[1:], 2, 3)
    with pytest.raises(DetgradError, match=r"different numbers of shards \(2, 3\)"):
        merge_runs([a, c], tmp_path / "m.jsonl", partial=True)


def test_inputs_condition_and_det():
    a = make_matrices(3, 6, "complex128", cond=1e3, seed=1)
    assert a.shape == (3, 6, 6) and a.dtype == np.complex128
    assert np.allclose(np.linalg.cond(a), 1e3, rtol=1e-6)
    assert np.allclose(np.abs(np.linalg.det(a)), 1.0)
    g = make_matrices(2, 5, "float32", None, seed=2)
    assert np.allclose(np.abs(np.linalg.det(g.astype(np.float64))), 1.0, rtol=1e-4)
    assert np.array_equal(make_matrices(2, 5, "float32", None, 2), g)


def test_accuracy_reference_and_statuses():
    a = make_matrices(2, 3, "complex128", cond=10.0, seed=0)
    value, grad = reference(a, "det")
    # finite difference of Re(det) along a real and an imaginary direction: TF's grad is dRe + i dIm
    e = np.zeros((3, 3))
    e[1, 2] = 1e-7
    d_re = (np.linalg.det(a[0] + e).real - np.linalg.det(a[0] - e).real) / 2e-7
    d_im = (np.linalg.det(a[0] + 1j * e).real - np.linalg.det(a[0] - 1j * e).real) / 2e-7
    assert grad[0, 1, 2] == pytest.approx(d_re + 1j * d_im, rel=1e-6)
    assert check(a, value, grad, "det", "complex128").status == "ok"
    assert check(a, value, np.conj(grad), "det", "complex128").status == "wrong"
    bad = grad.copy()
    bad[0, 0, 0] = np.nan
    assert check(a, value, bad, "det", "complex128").status == "nonfinite"
    lv, lg = reference(a, "logdet")
    assert check(a, lv + 1e-12, lg, "logdet", "complex128").status == "ok"


def _header_line(**fields):
    return json.dumps({"kind": "header", "schema": "detgrad-run", "schema_version": SCHEMA_VERSION} | fields) + "\n"


NOT_OUR_HEADERS = [["kind", "header"], {"kind": "cell", "schema": "detgrad-run"}, {"kind": "header", "schema": "other-tool"}]


@pytest.mark.parametrize("first", [json.dumps(h) + "\n" for h in NOT_OUR_HEADERS])
def test_a_first_line_that_is_not_our_header_is_refused(tmp_path, first):
    path = tmp_path / "run.jsonl"
    path.write_text(first)
    with pytest.raises(DetgradError, match=r"run\.jsonl: not a detgrad run file \(no 'detgrad-run' header on the first line\)$"):
        load_run(path)


def test_an_unknown_schema_version_names_the_ones_this_detgrad_reads(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text(_header_line(schema_version=99))
    with pytest.raises(DetgradError) as err:
        load_run(path)
    assert "schema_version 99 is not supported by this detgrad (reads 1, 2); " in str(err.value)
    assert str(err.value).endswith("upgrade detgrad (pip install -U detgrad) or regenerate the run with `detgrad sweep`")


def test_a_minimal_header_gets_defaults(tmp_path):
    path = tmp_path / "minimal.jsonl"
    path.write_text(_header_line())
    header, records = load_run(path)
    assert header["spec"] == {} and header["environment"] == {} and header["run_id"] == "minimal" and records == []
    path.write_text(_header_line(run_id="given", spec={"name": "quick"}))
    assert load_run(path)[0]["run_id"] == "given" and load_run(path)[0]["spec"] == {"name": "quick"}


def test_a_shard_directory_names_its_files(tmp_path):
    for name in ("run.shard-1-of-2.jsonl", "run.shard-0-of-2.jsonl"):
        write_run(tmp_path / name, CELLS[:1])
    with pytest.raises(DetgradError) as err:
        load_run(tmp_path)
    assert "merge its shard files (run.shard-0-of-2.jsonl, run.shard-1-of-2.jsonl) with `detgrad merge " in str(err.value)


def test_load_runs_and_completed_keys(tmp_path):
    from detgrad.runs import completed_keys, load_runs

    write_run(tmp_path / "a.jsonl", CELLS[:2], "a")
    write_run(tmp_path / "b.jsonl", CELLS[1:], "b")
    runs = load_runs([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert [h["run_id"] for h, _ in runs] == ["a", "b"] and [len(r) for _, r in runs] == [2, 2]
    assert completed_keys(tmp_path / "a.jsonl") == {CELLS[0].key, CELLS[1].key}
    with pytest.raises(DetgradError, match="^no run files given$"):
        load_runs([])


def test_blank_lines_unknown_kinds_empty_and_undecodable_files(tmp_path):
    path = tmp_path / "run.jsonl"
    write_run(path, CELLS)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", json.dumps({"kind": "note", "text": "x"}), *lines[2:]]) + "\n")
    assert [r["key"] for r in load_run(path)[1]] == [c.key for c in CELLS]  # a blank line and a note line skipped, not the end
    path.write_text("\n\n")
    with pytest.raises(DetgradError, match=r"run\.jsonl: empty file, not a detgrad run file$"):
        load_run(path)
    path.write_bytes(b"\xff\xfe not utf-8\n")
    with pytest.raises(DetgradError, match=r"run\.jsonl: cannot read run file \(UnicodeDecodeError\)$"):
        load_run(path)
