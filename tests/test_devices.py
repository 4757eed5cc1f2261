"""Devices compared: one machine at one and two intra-op threads reads as two devices (hand-made cells)."""

from __future__ import annotations

from synthetic import cell, header

from detgrad.publish import aggregate, devices
from detgrad.publish.report import build_report


def _cells():
    out = []
    for threads, scale in ((1, 1.0), (2, 0.5)):  # two threads: twice as fast for lu, the same for builtin
        for n in (64, 128):
            out.append(cell(samples=[4e-3 * scale] * 6, method="lu", mode="graph", n=n, threads=threads))
            out.append(cell(samples=[2e-3] * 6, method="builtin", mode="graph", n=n, threads=threads))
    return out


def test_thread_counts_label_two_devices_and_tf_default_keeps_the_plain_label():
    env = header()["environment"]
    assert aggregate.device_label(env, "CPU:0", 0) == "CPU:0 Synthetic CPU 9000 @ host-a"
    assert aggregate.device_label(env, "CPU:0", 1).endswith("@ host-a, 1 thread")
    assert aggregate.device_label(env, "CPU:0", 2).endswith("@ host-a, 2 threads")


def test_section_gives_the_median_speedup_per_method_and_says_within_noise():
    df = aggregate.tidy([(header(), _cells())])
    text = "\n".join(devices.markdown_section(df))
    assert "## Devices compared" in text and "### `CPU:0 Synthetic CPU 9000 @ host-a, 2 threads`" in text
    assert "| lu | graph | 2 | 2.00× | 2.00–2.00× | faster |" in text
    assert "| builtin | graph | 2 | 1.00× | 1.00–1.00× | within noise |" in text
    assert devices.markdown_section(df[df["threads"].eq(1)]) == []


def test_runs_of_different_problems_on_two_machines_get_no_section():
    """Two runs that share no problem (the reference run and the positive-definite one, measured on two VMs)."""
    first = [cell(samples=[1e-3] * 6, method="lu", mode="graph", n=64, threads=0)]
    second = [cell(samples=[1e-3] * 6, method="lu", mode="graph", n=128, threads=0)]
    df = aggregate.tidy([(header(), first), (header(run_id="run-b", hostname="host-b"), second)])
    assert df["device_label"].nunique() == 2
    assert devices.markdown_section(df) == []


def test_report_has_the_section_and_every_cell_in_its_tables(tmp_path):
    readme = build_report([(header(), _cells())], tmp_path, with_charts=False)
    assert "## Devices compared" in readme.read_text()
    cells = (tmp_path / "tables" / "devices_1.md").read_text()
    assert cells.count("| lu ") == 2 and cells.count("| builtin ") == 2
