"""detgrad compare on synthetic samples with a known answer."""

from __future__ import annotations

import numpy as np
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
