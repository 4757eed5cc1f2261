"""Charts: expected axes, scales, labels, series and status markers; files written."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from synthetic import cell, demo_cells, header

from detgrad.catalog import CATALOG
from detgrad.publish import aggregate, charts
from detgrad.publish.charts.style import save, style, text_color
from detgrad.publish.compare import compare_frames
from detgrad.publish.methods import LOOKS

COLORS = {name: entry.color for name, entry in LOOKS.items()}


@pytest.fixture(scope="module")
def df():
    cells = demo_cells(ns=(4, 16, 64), batches=(1, 8), dtypes=("float32", "float64"), modes=("graph", "xla"))
    return aggregate.tidy([(header(), cells)])


def _legend(fig):
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_time_vs_n(df, tmp_path):
    fig = charts.time_vs_n(df, mode="xla")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2  # float32, float64 columns x one device row
    ax = axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel() == "matrix size n" and "time per call" in ax.get_ylabel()
    assert ax.get_title().startswith("float32")
    labels = _legend(fig)
    assert labels[:5] == ["lu", "slogdet", "inverse", "closed", "builtin"]  # peers have no xla cells
    # cells without a measurement are listed under the panel, not drawn where a time could be
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["not shown — closed: unsupported at n = 16, 64"]
    assert all(ln.get_transform() == ax.transData for ln in ax.get_lines())
    data_lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 3]
    assert len(data_lines) == 4  # lu, slogdet, inverse, builtin over three n; closed has one point
    assert {ln.get_color() for ln in data_lines} >= {COLORS["lu"], COLORS["builtin"]}
    paths = save(fig, tmp_path, "tvn")
    assert [p.name for p in paths] == ["tvn.png", "tvn.svg"] and all(p.stat().st_size > 1000 for p in paths)


def test_chart_saved_as_pdf_keeps_the_outside_legend(df, tmp_path):
    import re

    from PIL import Image

    png, pdf = save(charts.time_vs_n(df, mode="xla"), tmp_path, "tvn", ("png", "pdf"))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"/FontFile2" in data  # TrueType embedded: text stays text
    x0, y0, x1, y1 = map(float, re.search(rb"/MediaBox \[ *([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) *\]", data).groups())
    width, height = Image.open(png).size  # the same tight box, legend included, at 150 dpi
    assert (x1 - x0) / (y1 - y0) == pytest.approx(width / height, rel=0.02)
    assert (x1 - x0) / 72 == pytest.approx(width / 150, rel=0.02)


def test_best_mode_includes_peers_dashed(df):
    fig = charts.time_vs_n(df)
    assert "jax.slogdet" in _legend(fig) and "numpy.det" in _legend(fig)
    assert style("jax.slogdet")["linestyle"] == "--" and style("lu")["linestyle"] == "-"
    assert (style("lu")["color"], style("lu")["marker"]) == ("#0072B2", "o")  # fixed per method, from the palette
    assert len({(style(m)["color"], style(m)["marker"]) for m in [*LOOKS, "jax.slogdet", "numpy.det"]}) == len(LOOKS) + 2
    assert style("jax.slogdet")["color"] == LOOKS["jax.jit"].color  # a peer's other method: its framework's colour


def test_time_vs_batch(df):
    fig = charts.time_vs_batch(df, dtype="float64")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlabel().startswith("batch size") and "per matrix" in ax.get_ylabel()
    assert len(fig.axes) == 3  # n = 4, 16, 64


def test_speedup_heatmap_annotates_and_marks_status(df):
    fig = charts.speedup_heatmap(df, df["device_label"].iloc[0], mode="xla", dtype="float64")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert titles[:4] == ["lu", "slogdet (not singular-safe)", "inverse (not singular-safe)", "closed"]
    closed = next(ax for ax in fig.axes if ax.get_title() == "closed")
    texts = [t.get_text() for t in closed.texts]
    assert texts.count("unsupported") == 4  # n = 16, 64 x batch 1, 8
    lu = next(ax for ax in fig.axes if ax.get_title() == "lu")
    assert all(t.get_text().endswith("×") for t in lu.texts)
    # titles in the method's colour, darkened where it would not read on white (sand, orange)
    assert lu.title.get_color() == pytest.approx(to_rgb(LOOKS["lu"].color))  # blue reads as it is
    orange = text_color("jax.jit")
    assert orange != pytest.approx(to_rgb(LOOKS["jax.jit"].color)) and max(orange) < max(to_rgb(LOOKS["jax.jit"].color))
    assert any("speedup over builtin" in ax.get_ylabel() for ax in fig.axes)  # colour bar


def test_compile_time_and_accuracy(df):
    fig = charts.compile_time(df, dtype="float64")
    assert [ax.get_title().split(" · ")[0] for ax in fig.axes] == ["graph", "xla"]
    assert fig.axes[0].get_yscale() == "log" and "compile" in fig.axes[0].get_ylabel()
    fig = charts.grad_accuracy(df)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "condition number" in ax.get_xlabel()
    assert "u·κ (unit roundoff × κ)" in _legend(fig)


def test_device_speedup(df):
    gpu = aggregate.tidy([(header(hostname="gpu-box"), [dict(c, device="GPU:0") for c in demo_cells(
        ns=(4, 16, 64), batches=(1,), dtypes=("float64",), modes=("xla",), speed=0.5)])])  # fmt: skip
    cmp = compare_frames(df, gpu, by="device")
    lu = cmp[cmp["series"].eq("lu") & cmp["mode"].eq("xla") & cmp["dtype"].eq("float64")]
    assert lu["speedup"].dropna().between(1.6, 2.5).all()
    fig = charts.device_speedup(cmp)
    assert fig.axes[0].get_ylabel().startswith("speedup")
    assert "GPU:0" in fig._suptitle.get_text()
    assert "xla mode" in _legend(fig)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "1×" in labels and "2×" in labels  # speedups 1.6-2.5 and parity: fine ticks around them
    assert ax.get_ylim()[0] <= 0.8 and ax.get_yscale() == "log"


@pytest.mark.parametrize(("ratio", "label"), [(2.0, "2×"), (1.25, "1.25×"), (1.0, "1×"), (0.25, "1/4×"), (0.8, "0.8×"),
                                              (2 / 3, "0.67×"), (1 / 64, "1/64×")])  # fmt: skip
def test_ratio_label(ratio, label):
    from detgrad.publish.charts.style import ratio_label

    assert ratio_label(ratio) == label


def test_loss_curve(tmp_path):
    fig = charts.loss_curve({"lu": [1.0, 0.1, 0.01], "builtin": [1.0, 0.2, 0.03]})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "optimisation step"
    assert _legend(fig) == ["lu", "builtin"]
    assert len(ax.get_lines()) == 2
    assert save(fig, tmp_path, "loss", ("png",))[0].exists()
    narrow = charts.loss_curve({"lu": [0.38, 0.36, 0.34]})  # less than a decade: linear, plain labels
    assert narrow.axes[0].get_yscale() == "linear" and "log" not in narrow.axes[0].get_ylabel()


def test_charts_show_one_condition_number_per_point():
    # a cond axis at one (n, batch): the heatmap keeps the most common cond, one annotation per cell
    cells = [cell(samples=[1e-3] * 3, method=m, n=n, cond=10.0) for m in ("lu", "builtin") for n in (4, 16)]
    cells += [cell(samples=[t] * 3, method=m, n=16, cond=1e8) for m, t in (("lu", 5e-3), ("builtin", 1e-3))]
    df = aggregate.tidy([(header(), cells)])
    fig = charts.speedup_heatmap(df, df["device_label"].iloc[0], mode="eager")
    lu = next(ax for ax in fig.axes if ax.get_title() == "lu")
    assert sorted(t.get_text() for t in lu.texts) == ["1×", "1×"]  # not 0.2× from cond 1e8 on top
    assert "cond 10" in fig._suptitle.get_text()


def test_lines_join_only_neighbouring_measured_sizes():
    from detgrad.publish.charts.style import measured_runs

    # grid 2, 3, 8, 32, 512: a series measured at 2, 3 and 512 is two pieces, never a line over 8-32
    assert measured_runs([2, 3, 512], [2, 3, 8, 32, 512]) == [[0, 1], [2]]
    assert measured_runs([8, 32], [2, 3, 8, 32, 512]) == [[0, 1]]
    assert measured_runs([2, 8, 512], [2, 3, 8, 32, 512]) == [[0], [1], [2]]


def test_time_vs_n_breaks_at_an_unmeasured_size():
    cells = [cell(samples=[1e-3] * 3, method="builtin", mode="graph", n=n) for n in (2, 3, 8, 32)]
    cells += [cell(samples=[2e-3] * 3, method="lu", mode="graph", n=n) for n in (2, 3, 32)]
    fig = charts.time_vs_n(aggregate.tidy([(header(), cells)]), mode="graph")
    ax = fig.axes[0]
    lu = sorted(list(ln.get_xdata()) for ln in ax.get_lines() if ln.get_color() == COLORS["lu"])
    assert lu == [[2, 3], [32]]


def test_relative_chart_speedup_per_mode_with_intervals():
    cells = []
    for n in (4, 16, 64):
        cells.append(cell(samples=[1e-3] * 3, method="builtin", mode="graph", n=n))
        cells.append(cell(samples=[0.5e-3] * 3, method="auto", mode="graph", n=n))  # 2x faster
        cells.append(cell(samples=[4e-3] * 3, method="eigenlu", mode="graph", n=n))  # not singular-safe: left out
    fig = charts.relative_to_builtin(aggregate.tidy([(header(), cells)]), "det")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and "graph" in ax.get_title()
    auto = [ln for ln in ax.get_lines() if ln.get_color() == COLORS["auto"] and len(ln.get_xdata()) == 3]
    assert len(auto) == 1 and list(auto[0].get_ydata()) == pytest.approx([2.0, 2.0, 2.0])
    assert not [ln for ln in ax.get_lines() if ln.get_color() == COLORS["eigenlu"]]
    assert any(ln.get_ydata()[0] == 1.0 for ln in ax.get_lines() if ln.get_linestyle() == "--")  # parity marked
    assert _legend(fig) == ["auto"]


def test_peer_names_as_users_write_them():
    assert aggregate.series_name("jax", "jax") == "jax.jit"
    assert aggregate.series_name("torch", "torch") == "torch" and aggregate.series_name("numpy", "numpy") == "numpy"
    assert aggregate.series_name("detgrad", "lu") == "lu"
    assert style("torch")["linestyle"] == "--" and style("numpy")["linestyle"] == "--"  # peers dashed


def _visible_tick_values(axis):
    axis.figure.canvas.draw()
    lo, hi = sorted(axis.get_view_interval())
    return [v for v, t in zip(axis.get_majorticklocs(), axis.get_ticklabels(), strict=True) if lo <= v <= hi and t.get_text()]


@pytest.mark.parametrize("slowest", [14.0, 3.0, 0.7, 9.5])
def test_compile_time_axis_labels_its_largest_value(slowest):
    # the slowest compile (14 s) sits above the last decade label (10 s): the axis must reach a labelled 20 s
    cells = [
        cell(samples=[1e-3] * 3, method=m, mode=mode, n=n, trace_s=t * slowest / 2.0)
        for m, t in (("lu", 2.0), ("builtin", 0.01))
        for mode in ("graph", "xla")
        for n in (4, 16, 64)
    ]
    fig = charts.compile_time(aggregate.tidy([(header(), cells)]))
    for ax in fig.axes:
        labelled = _visible_tick_values(ax.yaxis)
        assert max(labelled) >= slowest and max(labelled) <= ax.get_ylim()[1], (slowest, labelled)
        assert max(labelled) <= 2.5 * slowest  # the next 1-2-5 step, not a decade away
        label = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert ax.yaxis.get_major_formatter()(max(labelled)) in label


def test_swept_ticks_thin_to_spread_powers_of_two():
    import matplotlib.pyplot as plt

    from detgrad.publish.charts.style import log_int_axis

    grid = [1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
    fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ax.plot(grid, grid)
    log_int_axis(ax, grid)
    shown = _visible_tick_values(ax.xaxis)
    assert shown[0] == 1 and shown[-1] == 2048 and 3 not in shown and 3 <= len(shown) < len(grid)
    assert list(ax.xaxis.get_minorticklocs()) == [v for v in grid if v not in shown]  # every size keeps a tick mark
    fig.set_size_inches(12, 1.5)
    assert _visible_tick_values(ax.xaxis) == grid  # room for all: all labelled
    plt.close(fig)


def loss_curve_markers(fig) -> dict[str, tuple[str, str, frozenset[int]]]:
    """Per legend entry of a loss chart: (colour, marker, steps where its markers are drawn)."""
    ax = fig.axes[0]
    out = {}
    for line in ax.get_lines():
        start, every = line.get_markevery()
        steps = frozenset(range(start, len(line.get_xdata()), every))
        out[line.get_label()] = (line.get_color(), line.get_marker(), steps)
    return out


def test_loss_curve_keeps_every_method_visible_where_curves_coincide():
    # every det method (the seed problem's, detgrad.examples.seed_problem: DET_METHODS), identical curves
    names = [n for n in LOOKS if not LOOKS[n].peer and n in CATALOG and "det" in CATALOG[n].targets]
    curve = list(0.9 ** np.arange(50))
    fig = charts.loss_curve({n: curve for n in names})
    assert _legend(fig) == names
    marks = loss_curve_markers(fig)
    assert len({(c, m) for c, m, _ in marks.values()}) == len(names)  # one colour and marker each
    steps = [s for _, _, s in marks.values()]
    assert all(len(s) >= 4 for s in steps)  # markers along the whole curve
    assert len(frozenset().union(*steps)) == sum(len(s) for s in steps)  # never on one another's steps
