"""detgrad compare on synthetic samples with a known answer."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from synthetic import cell, header, paired_run, write_run

from detgrad.cli import main
from detgrad.errors import DetgradError
from detgrad.publish import aggregate, compare
from detgrad.runs.reader import load_run


def _cells(scale: float, seed: int, samples: int = 12, device: str = "CPU:0"):
    rng = np.random.default_rng(seed)
    out = []
    for method in ("lu", "builtin"):
        for n in (16, 64):
            noise = 1 + 0.03 * rng.standard_normal(samples)
            out.append(cell(samples=list(1e-6 * n**2 * scale * noise), method=method, n=n, device=device))
    out.append(cell(status="unsupported", method="closed", n=16, device=device))
    return out


def _run(tmp_path, name, scale, seed, **kw):
    return str(write_run(tmp_path / f"{name}.jsonl", header(run_id=name), _cells(scale, seed, **kw)))


def test_real_slowdown_is_flagged_and_fails(tmp_path, capsys):
    base, new = _run(tmp_path, "base", 1.0, 0), _run(tmp_path, "new", 1.2, 1)
    assert main(["compare", base, new, "--fail-on", "median:10%"]) == 1
    out, err = capsys.readouterr()
    assert "slower" in out and "4 slower" in out
    assert "regressed (interval for all cells at once above +10%)" in err and "lu eager det float64 n=16 batch=1" in err


def test_noise_is_not_flagged(tmp_path, capsys):
    base, new = _run(tmp_path, "base", 1.0, 0), _run(tmp_path, "new", 1.0, 7)
    assert main(["compare", base, new, "--fail-on", "median:10%", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "slower" not in out.split("cells compared")[0] and "not significant" in out
    assert out.startswith("| method |")


def test_small_slowdown_below_threshold_passes(tmp_path):
    base, new = _run(tmp_path, "base", 1.0, 0), _run(tmp_path, "new", 1.05, 1)
    df = compare.compare_frames(aggregate.tidy([(header(), _cells(1.0, 0))]), aggregate.tidy([(header(), _cells(1.05, 1))]))
    # (was: Mann-Whitney on in-run samples calls it significant; samples of one run are no evidence
    # about the next run, so the interval now includes the per-round spread and is wider than 5 %)
    ok = df[df["base_status"].eq("ok")]
    assert ok["change_pct"].between(1, 9).all() and (ok["change_lo_pct"] < 5).all() & (ok["change_hi_pct"] > 5).all()
    assert main(["compare", base, new, "--fail-on", "median:10%"]) == 0


def test_too_few_samples_and_status_change():
    base = aggregate.tidy([(header(), [cell(samples=[1e-3, 1.1e-3], n=8), cell(samples=[1e-3] * 5, n=16)])])
    new = aggregate.tidy([(header(), [cell(samples=[2e-3, 2.1e-3], n=8), cell(status="error", reason="x", n=16)])])
    cmp = compare.compare_frames(base, new)
    assert list(cmp["verdict"]) == ["too few samples", "status changed: ok→error"]
    assert cmp["ratio"].iloc[0] == pytest.approx(2.05e-3 / 1.05e-3)
    assert len(compare.regressions(cmp, 0.1)) == 1  # the broken cell, not the unproven slowdown


def test_by_device_same_file(tmp_path, capsys):
    cells = _cells(1.0, 0, device="CPU:0") + _cells(0.25, 1, device="GPU:0")
    path = str(write_run(tmp_path / "both.jsonl", header(), cells))
    code = main(
        ["compare", path, path, "--by", "device", "--base-device", "CPU", "--new-device", "GPU", "--chart", str(tmp_path)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "speedup (base/new)" in out and "4 faster" in out
    assert (tmp_path / "device_speedup.png").exists() and (tmp_path / "device_speedup.svg").exists()


def test_fail_on_parsing():
    assert compare.parse_fail_on("median:10%") == ("median", pytest.approx(0.10))
    assert compare.parse_fail_on("median:0.1") == ("median", pytest.approx(0.10))
    with pytest.raises(DetgradError, match="METRIC:THRESHOLD"):
        compare.parse_fail_on("mean:10%")


def test_unmatched_runs_give_a_hint(tmp_path, capsys):
    base = str(write_run(tmp_path / "a.jsonl", header(), _cells(1.0, 0, device="CPU:0")))
    new = str(write_run(tmp_path / "b.jsonl", header(), _cells(1.0, 0, device="GPU:0")))
    assert main(["compare", base, new]) == 1
    assert "--by device" in capsys.readouterr().err


def _paired(tmp_path, name, seed, **kw):
    return str(write_run(tmp_path / f"{name}.jsonl", header(run_id=name), paired_run(seed, **kw)))


def test_paired_aa_runs_with_drift_raise_no_alarm(tmp_path, capsys):
    for seed in range(5):  # five A/A pairs: the machine's speed differs by ~15 % per group between runs
        base, new = _paired(tmp_path, f"a{seed}", 2 * seed), _paired(tmp_path, f"b{seed}", 2 * seed + 1)
        assert main(["compare", base, new, "--fail-on", "median:10%"]) == 0
        out = capsys.readouterr().out
        assert "other methods timed in the same rounds" in out and "run-to-run floor" in out
    frames = [aggregate.tidy([load_run(p)]) for p in (base, new)]
    modes = ("relative", "canary", "absolute")
    width = {m: compare.compare_frames(*frames, mode=m).eval("change_hi_pct - change_lo_pct").median() for m in modes}
    assert width["absolute"] > 1.5 * max(width["relative"], width["canary"])  # uncorrected, the drift widens the floor


def test_paired_injected_slowdown_is_flagged(tmp_path, capsys):
    base, new = _paired(tmp_path, "base", 0), _paired(tmp_path, "new", 1, slow={"lu": 1.2})
    assert main(["compare", base, new, "--fail-on", "median:10%"]) == 1
    err = capsys.readouterr().err
    flagged = [line for line in err.splitlines() if line.startswith("  ")]
    assert all(line.startswith("  lu ") for line in flagged)  # cells beyond the all-cells gate: lu only
    assert "method lu regressed over its 10 cells" in err and err.count("detgrad: method") == 1
    cmp = compare.compare_frames(*(aggregate.tidy([load_run(p)]) for p in (base, new)))
    lu = cmp[cmp["method"].eq("lu")]
    assert set(cmp.loc[cmp["verdict"].eq("slower"), "method"]) == {"lu"} and lu["verdict"].eq("slower").sum() >= 8
    assert lu["change_pct"].between(12, 28).all()
    assert (lu["change_lo_pct"].lt(20) & lu["change_hi_pct"].gt(20)).sum() >= 9  # 95 % intervals: most cover the truth


def test_fail_on_gate_is_widened_for_the_number_of_cells_bonferroni():
    """The all-cells gate uses z(1 - α/K) for K compared cells, wider than each cell's own z(1 - α/2) once K > 2."""
    from scipy.stats import norm

    base = aggregate.tidy([(header(), _cells(1.0, 0))])
    new = aggregate.tidy([(header(), _cells(1.02, 1))])
    df = compare.compare_frames(base, new)
    rows = df[np.isfinite(df["gate_lo_pct"]) & np.isfinite(df["change_lo_pct"])]
    k = int(np.isfinite(df["log_change"]).sum())
    assert k == 4 and len(rows) == 4
    d = np.log(rows["ratio"].to_numpy())
    per_cell = d - np.log1p(rows["change_lo_pct"].to_numpy() / 100)  # z(1 - α/2)·scale
    gate = d - np.log1p(rows["gate_lo_pct"].to_numpy() / 100)  # z(1 - α/K)·scale
    alpha = 1 - df.attrs["level"]
    np.testing.assert_allclose(gate / per_cell, norm.ppf(1 - alpha / k) / norm.ppf(1 - alpha / 2), rtol=1e-9)


def test_terminal_output_gives_the_verdict_first_and_only_what_changed(tmp_path, capsys):
    base, new = _run(tmp_path, "a", 1.0, 0), _run(tmp_path, "b", 1.0, 1)
    assert main(["compare", base, base]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("5 cells compared:")  # 4 timed + 1 unsupported, identical
    assert lines[-1].startswith("5 cells unchanged within noise or not comparable, not listed (--all lists them)")
    assert len(lines) < 12
    assert main(["compare", base, new, "--all"]) == 0
    assert "not listed" not in capsys.readouterr().out


# Known answers for the arithmetic of compare_frames, method_changes and the --fail-on gate (each test
# written against a mutant that survived `tox -e mutation`; docs/mutation-testing.md).


def _tidy(cells):
    return aggregate.tidy([(header(), cells)])


def _log(pct):
    return np.log1p(np.asarray(pct, dtype=float) / 100.0)


def test_a_constant_ratio_is_measured_exactly():
    base_s = list(1e-3 * (1 + 0.05 * np.random.default_rng(3).standard_normal(9)))
    cmp = compare.compare_frames(_tidy([cell(samples=base_s, n=16)]), _tidy([cell(samples=[1.25 * s for s in base_s], n=16)]))
    row = cmp.iloc[0]
    assert row["ratio"] == pytest.approx(1.25) and row["speedup"] == pytest.approx(0.8)
    assert row["change_pct"] == pytest.approx(25.0) and row["change_lo_pct"] < 25.0 < row["change_hi_pct"]
    assert row["verdict"] == "slower"
    assert cmp.attrs["drift"] == pytest.approx(np.log(1.25)) and cmp.attrs["mode"] == "absolute"
    assert list(cmp.columns[:2]) == ["key", "series"] and "index" not in cmp.columns


def test_the_interval_treats_base_and_new_alike():
    """Swapping the runs mirrors the log interval, also when one side is far noisier than the other."""
    rng = np.random.default_rng(5)
    quiet, noisy = list(1e-3 * np.exp(0.02 * rng.standard_normal(15))), list(1.1e-3 * np.exp(0.15 * rng.standard_normal(15)))
    ab = compare.compare_frames(_tidy([cell(samples=quiet)]), _tidy([cell(samples=noisy)])).iloc[0]
    ba = compare.compare_frames(_tidy([cell(samples=noisy)]), _tidy([cell(samples=quiet)])).iloc[0]
    assert _log(ab["change_lo_pct"]) == pytest.approx(-_log(ba["change_hi_pct"]), rel=1e-9)
    assert _log(ab["change_hi_pct"]) == pytest.approx(-_log(ba["change_lo_pct"]), rel=1e-9)
    both_quiet = compare.compare_frames(_tidy([cell(samples=quiet)]), _tidy([cell(samples=quiet)])).iloc[0]
    width = lambda r: _log(r["change_hi_pct"]) - _log(r["change_lo_pct"])  # noqa: E731
    assert width(ab) > 3 * width(both_quiet)  # the noisy side's spread widens it


STEADY_RATIOS = [0.9, 0.95, 1.0, 1.02, 1.05, 1.1, 1.2, 0.85, 1.0, 1.07]  # new/base of ten steady cells


def _steady_cells(ratios, device="CPU:0", threads=2):
    """One cell per ratio, every round the same time (no within-run error): only the floor can widen an interval."""
    return [cell(samples=[1e-3 * r] * 6, n=4 + i, device=device, threads=threads) for i, r in enumerate(ratios)]


def test_the_run_to_run_floor_is_the_robust_spread_of_the_changes():
    """Without within-run error, each interval is exp(d ± z·floor) - 1 with floor = 1.4826·MAD(d) (module docstring)."""
    from scipy.stats import norm

    ratios = STEADY_RATIOS
    cmp = compare.compare_frames(_tidy(_steady_cells([1.0] * len(ratios))), _tidy(_steady_cells(ratios)))
    cmp = cmp.sort_values("n")
    d = np.log(ratios)
    floor = 1.4826 * np.median(np.abs(d - np.median(d)))
    assert cmp.attrs["floor"] == pytest.approx(floor) and cmp.attrs["floor_cells"] == len(ratios)
    z, k = norm.ppf(0.975), len(ratios)
    np.testing.assert_allclose(_log(cmp["change_lo_pct"]), d - z * floor, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_log(cmp["change_hi_pct"]), d + z * floor, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_log(cmp["gate_lo_pct"]), d - norm.ppf(1 - 0.05 / k) * floor, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cmp["change_pct"], 100 * (np.asarray(ratios) - 1), rtol=1e-9)


def test_devices_have_no_floor_and_match_across_thread_counts():
    ratios = STEADY_RATIOS
    base = _tidy(_steady_cells([1.0] * len(ratios), device="CPU:0", threads=1))
    new = _tidy(_steady_cells(ratios, device="GPU:0", threads=2))
    cmp = compare.compare_frames(base, new, by="device").sort_values("n")
    assert len(cmp) == len(ratios) and cmp.attrs["floor"] == 0.0 and cmp.attrs["floor_cells"] == 0
    np.testing.assert_allclose(cmp["change_lo_pct"], cmp["change_pct"], atol=1e-9)  # steady rounds: no interval
    (base_label,), (new_label,) = set(cmp["base_device"]), set(cmp["new_device"])
    assert base_label.startswith("CPU:0 ") and base_label.endswith("1 thread") and new_label.startswith("GPU:0 ")
    with pytest.raises(DetgradError, match=r"unknown --by 'gpu'; valid: device$"):
        compare.compare_frames(base, new, by="gpu")


def test_one_cell_gate_is_one_sided_at_alpha():
    """K = 1: the gate is the one-sided bound z(1 - α) (no Bonferroni factor), narrower than the two-sided z(1 - α/2)."""
    from scipy.stats import norm

    rng = np.random.default_rng(11)
    base, new = (_tidy([cell(samples=list(s * np.exp(0.05 * rng.standard_normal(12))))]) for s in (1e-3, 1.3e-3))
    row = compare.compare_frames(base, new).iloc[0]
    d = np.log(row["ratio"])
    ratio = (d - _log(row["gate_lo_pct"])) / (d - _log(row["change_lo_pct"]))
    assert ratio == pytest.approx(norm.ppf(0.95) / norm.ppf(0.975), rel=1e-9)


def test_rounds_at_the_minimum_get_a_verdict_and_fewer_get_none():
    three = compare.compare_frames(_tidy([cell(samples=[1e-3, 1.01e-3, 0.99e-3])]), _tidy([cell(samples=[2e-3] * 3)]))
    assert three["verdict"].tolist() == ["slower"]
    two = compare.compare_frames(_tidy([cell(samples=[1e-3, 1.01e-3])]), _tidy([cell(samples=[2e-3, 2.02e-3])]))
    assert two["verdict"].tolist() == ["too few samples"] and two["change_lo_pct"].isna().all()
    assert two["ratio"].iloc[0] == pytest.approx(2.0)  # the ratio of the medians is still shown


def test_a_cell_that_broke_has_no_ratio():
    cmp = compare.compare_frames(_tidy([cell(samples=[1e-3] * 5, n=16)]), _tidy([cell(status="error", reason="x", n=16)]))
    assert cmp["verdict"].tolist() == ["status changed: ok→error"] and cmp["ratio"].isna().all()


def test_paired_runs_with_too_few_rounds_fall_back_to_the_ratio_of_medians():
    base, new = _tidy(paired_run(0, ns=(8,), batches=(1,), rounds=2)), _tidy(paired_run(1, ns=(8,), batches=(1,), rounds=2))
    cmp = compare.compare_frames(base, new)
    assert cmp.attrs["mode"] == "relative" and cmp["verdict"].eq("too few samples").all()
    np.testing.assert_allclose(cmp["ratio"], cmp["new_median_s"] / cmp["base_median_s"])


def test_absolute_mode_keeps_a_change_every_method_shares():
    everything = {m: 1.2 for m in ("lu", "builtin", "inverse", "slogdet")}
    base, new = _tidy(paired_run(0, ns=(8, 32), batches=(1,))), _tidy(paired_run(0, ns=(8, 32), batches=(1,), slow=everything))
    np.testing.assert_allclose(compare.compare_frames(base, new, mode="absolute")["change_pct"], 20.0, rtol=1e-9)
    np.testing.assert_allclose(compare.compare_frames(base, new, mode="relative")["change_pct"], 0.0, atol=1e-9)


def test_the_absolute_ratio_is_the_ratio_of_the_reported_medians():
    """With an even number of rounds the median is a mean of the middle two: the ratio is of those medians."""
    cmp = compare.compare_frames(_tidy([cell(samples=[1e-3, 1e-3, 3e-3, 3e-3])]), _tidy([cell(samples=[2e-3] * 4)]))
    assert cmp["ratio"].iloc[0] == pytest.approx(1.0)  # medians 2 ms and 2 ms (exp of the mean log would say 1.15)


def test_cells_without_keys_are_matched_on_their_axes():
    keyed, slower = _tidy(_cells(1.0, 0)), _tidy(_cells(1.3, 1))
    for base, new in ((keyed.assign(key=None), slower.assign(key=None)), (keyed, slower.assign(key=None))):
        cmp = compare.compare_frames(base, new)
        assert len(cmp) == 5 and cmp["verdict"].value_counts().to_dict() == {"slower": 4, "unsupported (both)": 1}


def test_duplicate_cells_keep_the_last_with_a_warning():
    base = _tidy([cell(samples=[5e-3] * 5, n=16), cell(samples=[1e-3] * 5, n=16)])
    with pytest.warns(UserWarning, match=r"^base: 1 duplicate cells, keeping the last of each$"):
        cmp = compare.compare_frames(base, _tidy([cell(samples=[1e-3] * 5, n=16)]))
    assert cmp["ratio"].tolist() == [pytest.approx(1.0)]


@pytest.mark.parametrize(("lo", "hi", "verdict"), [(0.0, 5.0, "not significant"), (-5.0, 0.0, "not significant"),
                                                   (-1.0, 0.5, "not significant"), (0.1, 5.0, "slower"),
                                                   (-5.0, -0.1, "faster")])  # fmt: skip
def test_interval_verdict_at_its_bounds(lo, hi, verdict):
    assert compare._interval_verdict(lo, hi) == verdict


def test_fail_on_units_and_the_gate_at_its_threshold():
    assert compare.parse_fail_on("median:1") == ("median", 0.01)  # >= 1 reads as percent
    assert compare.parse_fail_on("median:0.5%") == ("median", 0.005)
    assert compare.parse_fail_on("median:0.5") == ("median", 0.5)
    with pytest.raises(DetgradError, match=r"\(metrics: median\)$"):
        compare.parse_fail_on("mean:5%")
    cells = pd.DataFrame({"verdict": ["slower"] * 3, "gate_lo_pct": [10.0, 10.05, 9.0], "base_status": "ok", "new_status": "ok"})
    assert compare.regressions(cells, 0.10)["gate_lo_pct"].tolist() == [10.05]  # strictly beyond +10 %
    methods = cells.drop(columns=["base_status", "new_status"])
    assert compare.regressions(methods, 0.10)["gate_lo_pct"].tolist() == [10.05]


def test_method_changes_pool_each_methods_cells():
    """The median of a method's group-relative changes, its order-statistic interval, a Bonferroni gate, and too few cells."""
    from detgrad.publish.paired import median_interval

    spread = np.linspace(-0.05, 0.05, 11)
    rows = [("lu", np.log(1.2) + s) for s in spread] + [("inverse", s) for s in spread[::-1]] + [("slogdet", 0.3)] * 5
    cmp = pd.DataFrame(rows, columns=["series", "group_change"])
    out = compare.method_changes(cmp).set_index("series")
    assert list(out.index) == ["inverse", "lu", "slogdet"]  # sorted by name
    lu = out.loc["lu"]
    assert lu["cells"] == 11 and lu["change_pct"] == pytest.approx(20.0) and lu["verdict"] == "slower"
    values = 100 * np.expm1(np.log(1.2) + spread)
    assert lu["change_lo_pct"] in values and lu["change_hi_pct"] in values and lu["change_lo_pct"] < 20 < lu["change_hi_pct"]
    gate = median_interval(np.log(1.2) + spread, 1 - 2 * 0.05 / 2)[1]  # two methods with enough cells: K = 2
    assert lu["gate_lo_pct"] == pytest.approx(100 * np.expm1(gate)) and lu["gate_lo_pct"] <= lu["change_lo_pct"]
    assert out.loc["inverse", "verdict"] == "not significant" and out.loc["inverse", "change_pct"] == pytest.approx(0.0, abs=1e-9)
    few = out.loc["slogdet"]
    assert few["verdict"] == "too few cells" and few[["change_lo_pct", "change_hi_pct", "gate_lo_pct"]].isna().all()
    assert few["change_pct"] == pytest.approx(100 * np.expm1(0.3))
    one = pd.DataFrame([("lu", 0.01 * i) for i in range(22)], columns=["series", "group_change"])
    alone = compare.method_changes(one).iloc[0]  # one method: K = 1, the gate is the one-sided 95 % bound
    assert alone["gate_lo_pct"] == pytest.approx(100 * np.expm1(median_interval(one["group_change"], 0.90)[1]))
    assert alone["gate_lo_pct"] != pytest.approx(100 * np.expm1(median_interval(one["group_change"], 0.85)[1]))
    wide = compare.method_changes(one, alpha=0.10).iloc[0]  # a 90 % interval, narrower than the 95 % one
    assert wide["change_lo_pct"] == pytest.approx(100 * np.expm1(median_interval(one["group_change"], 0.90)[1]))
    six = compare.method_changes(pd.DataFrame([("lu", 0.1 * i) for i in range(6)], columns=["series", "group_change"]))
    assert six["verdict"].iloc[0] != "too few cells"  # MIN_METHOD_CELLS cells are enough


def test_change_formatting():
    assert compare.format_change(3.14, -2.0, 8.46) == "+3.1% [-2.0, +8.5]"
    assert compare.format_change(-4.0, float("nan"), float("nan")) == "-4.0%"
    assert compare.format_change(float("nan"), 1.0, 2.0) == ""


def test_summary_states_counts_mode_floor_and_drift():
    ratios = STEADY_RATIOS
    cmp = compare.compare_frames(_tidy(_steady_cells([1.0] * len(ratios))), _tidy(_steady_cells(ratios)))
    d = np.log(ratios)
    floor = 100 * np.expm1(1.4826 * np.median(np.abs(d - np.median(d))))
    counts = ", ".join(f"{c} {v}" for v, c in cmp["verdict"].value_counts().items())
    assert compare.summary(cmp).splitlines() == [
        f"10 cells compared: {counts}",
        f"95 % intervals of absolute time; run-to-run floor ±{floor:.1f} % (1 s.d.) from 10 cells; "
        f"absolute times moved by a median of {100 * np.expm1(np.median(d)):+.1f} % over all cells",
    ]
    same = compare.compare_frames(_tidy(_steady_cells([1.0] * 10)), _tidy(_steady_cells([1.0] * 10)))
    assert compare.summary(same).splitlines()[1] == (
        "95 % intervals of absolute time; no run-to-run floor needed (the rounds' spread covers the changes of 10 cells); "
        "absolute times moved by a median of +0.0 % over all cells"
    )
    few = compare.compare_frames(_tidy(_steady_cells([1.0] * 3)), _tidy(_steady_cells([1.0, 1.1, 1.3])))
    assert "; no run-to-run floor (too few cells to estimate it);" in compare.summary(few)
    moved = compare.compare_frames(_tidy(_steady_cells([1.0] * 10)), _tidy(_steady_cells([1.5] * 10)))
    assert compare.summary(moved).endswith("absolute times moved by a median of +50.0 % over all cells")
    broke = compare.compare_frames(_tidy([cell(samples=[1e-3] * 5, n=16)]), _tidy([cell(status="error", reason="x", n=16)]))
    assert compare.summary(broke).startswith("1 cells compared: 1 status changed\n")
    eight = compare.compare_frames(_tidy(_steady_cells([1.0] * 8)), _tidy(_steady_cells(ratios[:8])))
    assert "; run-to-run floor ±" in compare.summary(eight)  # MIN_FLOOR_CELLS (8) cells are enough


def test_a_device_compare_of_paired_runs_uses_absolute_times():
    base, new = (_tidy(paired_run(s, ns=(8, 32), batches=(1,))) for s in (0, 1))
    new = new.assign(device="GPU:0")
    assert compare.compare_frames(base, new, by="device").attrs["mode"] == "absolute"


def test_summary_names_the_paired_modes():
    base, new = _tidy(paired_run(0, ns=(8, 32), batches=(1,))), _tidy(paired_run(1, ns=(8, 32), batches=(1,)))
    relative = compare.summary(compare.compare_frames(base, new)).splitlines()[1]
    assert relative.startswith(
        "95 % intervals of each cell's change beyond the median change of the other methods timed in the same rounds; "
    )
    canary = compare.summary(compare.compare_frames(base, new, mode="canary")).splitlines()[1]
    assert canary.startswith("95 % intervals of time relative to the canary timed in the same rounds; ")


def test_display_columns_and_cells():
    base_s = [1e-3] * 5
    cmp = compare.compare_frames(
        _tidy([cell(samples=base_s, n=16, batch=4)]), _tidy([cell(samples=[1.25e-3] * 5, n=16, batch=4)])
    )
    assert "change [90% interval]" in compare.display(compare.compare_frames(*(_tidy([cell(samples=base_s)]),) * 2, alpha=0.1))
    table = compare.display(cmp)
    assert list(table.columns) == [
        "method",
        "mode",
        "target",
        "dtype",
        "n",
        "batch",
        "base",
        "new",
        "change [95% interval]",
        "verdict",
    ]
    row = table.iloc[0]
    assert (row["method"], row["mode"], row["target"], row["dtype"], row["n"], row["batch"]) == (
        "lu",
        "eager",
        "det",
        "float64",
        16,
        4,
    )
    assert (
        str(table["n"].dtype) == "Int64"
        and row["change [95% interval]"].startswith("+25.0%")
        and row["verdict"] == cmp["verdict"][0]
    )
    from detgrad.publish.tables import fmt_time

    assert (row["base"], row["new"]) == (fmt_time(cmp["base_median_s"][0]), fmt_time(cmp["new_median_s"][0]))
    device = compare.display(
        compare.compare_frames(_tidy(_steady_cells([1.0])), _tidy(_steady_cells([0.5], device="GPU:0")), by="device"), by="device"
    )
    assert list(device.columns)[-2:] == ["speedup (base/new)", "verdict"] and device.iloc[0]["speedup (base/new)"].startswith("2")


def test_one_cells_interval_adds_both_sides_errors_and_spreads():
    """u² = se_base² + se_new² + spread_base² + spread_new² (spread: IQR of the log times / 1.349), ±1.96·u without a floor."""
    from scipy.stats import norm

    from detgrad.publish.changes import log_median_se

    rng = np.random.default_rng(2)
    a, b = 1e-3 * np.exp(0.03 * rng.standard_normal(11)), 1.4e-3 * np.exp(0.12 * rng.standard_normal(11))
    row = compare.compare_frames(_tidy([cell(samples=list(a))]), _tidy([cell(samples=list(b))])).iloc[0]
    spread = [np.subtract(*np.percentile(np.log(x), [75, 25])) / 1.349 for x in (a, b)]
    se = [log_median_se(x)[1] for x in (a, b)]
    half = norm.ppf(0.975) * np.sqrt(se[0] ** 2 + se[1] ** 2 + spread[0] ** 2 + spread[1] ** 2)
    d = np.log(np.median(b) / np.median(a))
    assert _log(row["change_lo_pct"]) == pytest.approx(d - half) and _log(row["change_hi_pct"]) == pytest.approx(d + half)


def test_absolute_intervals_centre_on_the_cells_own_change():
    everything = {m: 1.2 for m in ("lu", "builtin", "inverse", "slogdet")}
    base, new = _tidy(paired_run(0, ns=(8,), batches=(1,))), _tidy(paired_run(0, ns=(8,), batches=(1,), slow=everything))
    cmp = compare.compare_frames(base, new, mode="absolute")
    np.testing.assert_allclose((_log(cmp["change_lo_pct"]) + _log(cmp["change_hi_pct"])) / 2, np.log(1.2), rtol=1e-9)


def test_nothing_comparable_gives_no_drift_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cmp = compare.compare_frames(_tidy([cell(status="unsupported", n=16)]), _tidy([cell(status="unsupported", n=16)]))
    assert np.isnan(cmp.attrs["drift"]) and cmp["verdict"].tolist() == ["unsupported (both)"]
