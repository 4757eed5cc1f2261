"""No colliding tick labels: every chart kind rendered at the n and batch grids of every packaged preset.

Each preset's grid is read with the project's spec reader; a synthetic run measures every (method, mode,
n, batch, cond) of it with times spread over many decades (c · n³ · batch, methods up to 40x apart), so
the axes are as crowded as a real run of that preset can make them.  After ``fig.canvas.draw()`` (Agg),
the window extents of the visible tick labels on one axis must not overlap or touch.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from synthetic import cell, header

from detgrad.publish import aggregate, charts
from detgrad.publish.compare import compare_frames
from detgrad.sweep.spec import list_presets, read_spec_data

# (family, method) -> cost factor: wide apart, so speedups span 1/2x .. 40x and times many decades
COSTS = {
    ("detgrad", "auto"): 0.3, ("detgrad", "lu"): 1.0, ("detgrad", "blocklu"): 0.05, ("detgrad", "closed"): 0.5,
    ("detgrad", "slogdet"): 1.1, ("detgrad", "inverse"): 4.0, ("detgrad", "builtin"): 2.0,
    ("jax", "jax"): 0.7, ("torch", "torch"): 1.5, ("numpy", "numpy"): 1.2,
}  # fmt: skip
MODES = ("eager", "graph", "xla")
GAP_PX = 2.0  # labels closer than this read as one ("5121024")


def preset_grids() -> dict[str, tuple[tuple, ...]]:
    """{preset: (n grid, batch grid, cond grid, dtypes)}, presets with the same grids listed once.

    The dtypes are the preset's: each is a column of the time charts, so they set the panels' width.
    """
    grids: dict[tuple, str] = {}
    for name in list_presets():
        axes = read_spec_data(preset=name)[0]["axes"]
        key = tuple(tuple(axes.get(a, d)) for a, d in (("n", []), ("batch", []), ("cond", [None]), ("dtype", ["float64"])))
        grids.setdefault(key, name)
    return {name: key for key, name in grids.items()}


def grid_run(ns, batches, conds, dtypes, device: str = "CPU:0", speed: float = 1.0) -> list[dict]:
    """Every cell of the grid measured (closed only at n <= 3), deterministic seeded noise.

    Every condition number of the grid at the first two sizes and the first batch (the accuracy chart's
    axis), the first one elsewhere (the main condition every other chart shows).
    """
    rng = np.random.default_rng(0)
    out = []
    for (family, method), cost in COSTS.items():
        for mode, dtype, n, batch in itertools.product(MODES if family == "detgrad" else ("eager",), dtypes, ns, batches):
            for cond in conds if n in ns[:2] and batch == batches[0] else conds[:1]:
                kw = dict(family=family, method=method, mode=mode, n=n, batch=batch, dtype=dtype, device=device, cond=cond)
                out.append(_cell(rng, family, method, cost, speed, kw))
    return out


def _cell(rng, family: str, method: str, cost: float, speed: float, kw: dict) -> dict:
    n, batch, mode, cond = kw["n"], kw["batch"], kw["mode"], kw["cond"]
    if method == "closed" and n > 3:
        return cell(status="unsupported", reason="n <= 3 only", **kw)
    base = speed * cost * {"eager": 1.5, "graph": 1.0, "xla": 0.8}[mode] * (2e-6 + 1e-9 * n**3 * batch)
    trace = None if mode == "eager" and family == "detgrad" else (0.02 + 2e-3 * n) * cost
    err = (6e-8 if kw["dtype"] in ("float32", "complex64") else 1e-16) * (cond or 10.0)
    return cell(samples=list(base * (1 + 0.03 * rng.standard_normal(5))), trace_s=trace, grad_rel_err=err, **kw)


def _labels_in_view(axis):
    lo, hi = sorted(axis.get_view_interval())
    vertical = axis.axis_name == "y"
    for label in axis.get_ticklabels():
        where = label.get_position()[1 if vertical else 0]
        if label.get_visible() and label.get_text().strip() and lo - 1e-9 * abs(lo) <= where <= hi + 1e-9 * abs(hi):
            yield label


def colliding_tick_labels(fig) -> list[str]:
    """Pairs of visible tick labels on one axis whose boxes overlap or come closer than GAP_PX."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            boxes = [(t.get_text(), t.get_window_extent(renderer).padded(GAP_PX / 2)) for t in _labels_in_view(axis)]
            for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
                if box_a.overlaps(box_b):
                    found.append(f"{ax.get_title() or ax.get_ylabel()!r} {axis.axis_name}: {a!r} / {b!r}")
    return found


def all_charts(df, cpu, gpu):
    """Every chart kind of the report (and the device comparison) for one synthetic run."""
    yield "time_vs_n best", charts.time_vs_n(df)
    dtype = sorted(set(df["dtype"]))[0]
    yield "time_vs_batch", charts.time_vs_batch(df, dtype=dtype)
    yield "relative", charts.relative_to_builtin(df)
    yield "compile_time", charts.compile_time(df, dtype=dtype)
    yield "speedup_heatmap", charts.speedup_heatmap(df, df["device_label"].iloc[0], dtype=dtype)
    if charts.condition_dtypes(df):
        yield "accuracy", charts.grad_accuracy(df)
    yield "device_speedup", charts.device_speedup(compare_frames(cpu, gpu, by="device"))


@pytest.mark.parametrize("preset", sorted(preset_grids()))
def test_no_colliding_tick_labels_at_any_preset_grid(preset):
    import matplotlib.pyplot as plt

    ns, batches, conds, dtypes = preset_grids()[preset]
    df = aggregate.tidy([(header(), grid_run(ns, batches, conds, dtypes))])
    cpu = aggregate.tidy([(header(), grid_run(ns, batches[:1], conds[:1], dtypes))])
    gpu = aggregate.tidy([(header(hostname="gpu-box"), grid_run(ns, batches[:1], conds[:1], dtypes, "GPU:0", 0.3))])
    problems = []
    for name, fig in all_charts(df, cpu, gpu):
        problems += [f"{name}: {p}" for p in colliding_tick_labels(fig)]
        plt.close(fig)
    assert not problems, "\n".join(problems)


def test_the_collision_check_sees_crowded_labels():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xscale("log", base=2)
    ax.set_xticks([256, 512, 1024, 2048], ["256", "512", "1024", "2048"])
    ax.set_xlim(1, 2048)
    assert colliding_tick_labels(fig)
    plt.close(fig)
