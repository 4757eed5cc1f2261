"""One chart style for every detgrad figure: fixed colour and marker per method, Agg backend, PNG + SVG.

Each method keeps the colour, marker and legend position of its entry in
:data:`detgrad.publish.methods.LOOKS` in every chart; peers (jax, torch, numpy)
are dashed so they read as "not a detgrad method".  Unsupported and failed cells are drawn with
text under the panel (:func:`note_missing`) — never as a marker where a measurement could be — and
never dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from detgrad.catalog import MODES
from detgrad.publish.charts import ticks  # noqa: E402
from detgrad.publish.methods import look, series_order  # noqa: E402

DTYPE_ORDER = ["float32", "float64", "complex64", "complex128"]
MODE_ORDER = list(MODES)
MODE_LINESTYLE = {"eager": ":", "graph": "--", "xla": "-"}
RC = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,  # TrueType: text stays text in a PDF (editable, searchable), as in the SVG
}


def styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a chart function inside the detgrad rc style (fonts, grid, line widths) without touching global state."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with plt.rc_context(RC):
            return func(*args, **kwargs)

    return wrapper


def style(series: str) -> dict[str, Any]:
    """Line kwargs (colour, marker, linestyle) for a series name, from :data:`detgrad.publish.methods.LOOKS`.

    The same in every chart; peers are dashed so they read as "not a detgrad method".
    """
    entry = look(series)
    return {"color": entry.color, "marker": entry.marker, "linestyle": "--" if entry.peer else "-"}


def text_color(series: str, contrast: float = 4.5) -> tuple[float, float, float]:
    """The series' colour darkened until text in it reads on white (WCAG contrast ``contrast``: 4.5 is AA).

    For titles and labels in a method's colour: sand (``guarded``) or orange lines read well, text in them does not.
    """
    from matplotlib.colors import to_rgb

    def luminance(rgb: tuple[float, float, float]) -> float:
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    rgb = to_rgb(look(series).color)
    for _ in range(50):
        if 1.05 / (luminance(rgb) + 0.05) >= contrast:
            break
        rgb = (rgb[0] * 0.95, rgb[1] * 0.95, rgb[2] * 0.95)
    return rgb


def ordered(values: Iterable[str], order: Sequence[str]) -> list[str]:
    """Unique ``values`` in ``order`` first, unknown ones after, alphabetically."""
    vals = {v for v in values if isinstance(v, str)}
    return [v for v in order if v in vals] + sorted(vals - set(order))


def subplots(nrows: int, ncols: int, width: float = 3.6, height: float = 2.9, **kw: Any) -> tuple[Figure, Any]:
    """A styled grid of axes (always a 2-D array) sized per panel."""
    with plt.rc_context(RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols + 1.8, height * nrows + 0.6), squeeze=False, **kw)
    return fig, axes


def legend_handles(series: Iterable[str]) -> tuple[list[Line2D], list[str]]:
    """Legend proxies for ``series`` (cells without a measurement are listed under their panel, not in the legend)."""
    handles, labels = [], []
    for s in series_order(series):
        handles.append(Line2D([], [], **style(s)))
        labels.append(s)
    return handles, labels


def outside_legend(fig: Figure, handles: list[Any], labels: list[str], title: str | None = None) -> None:
    """Legend to the right of all panels, never over data."""
    if handles:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, title=title)


def finish(fig: Figure, title: str) -> Figure:
    """Suptitle + tight layout with room for the suptitle."""
    with plt.rc_context(RC):
        fig.suptitle(title, fontsize=11, fontweight="bold")
        fig.tight_layout()
    return fig


def save(fig: Figure, out_dir: str | Path, stem: str, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``out_dir/stem.<fmt>`` for each of ``formats`` (png, svg, pdf; legend outside kept),
    close it, return the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.rc_context(RC):
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            fig.savefig(path, bbox_inches="tight", facecolor="white")
            paths.append(path)
    plt.close(fig)
    return paths


def _time_label(seconds: float, _pos: Any = None) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale * 0.999 or unit == "ns":
            return f"{seconds / scale:g} {unit}"
    return ""  # pragma: no cover


def log_time_axis(ax: Any, axis: str = "y", label_top: bool = False) -> None:
    """Log scale in seconds with tick labels like ``10 µs`` / ``1 ms`` that never collide.

    Decades are labelled (with 2 and 5 steps on a narrow axis, so a panel never shows one label alone);
    labels that would touch are dropped when the figure is drawn (:class:`~.ticks.FittingLocator`).
    With ``label_top`` the axis is extended to the 1-2-5 step at or above its largest value, and that
    step is labelled, so the reader can read the maximum off the axis.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    top = None
    if label_top:
        values = [v for line in ax.get_lines() for v in np.asarray(line.get_ydata() if axis == "y" else line.get_xdata(), float)]
        finite = [v for v in values if np.isfinite(v) and v > 0]
        if finite:
            lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
            top = ticks.nice_ceil(max(finite))
            (ax.set_ylim if axis == "y" else ax.set_xlim)(lo, max(hi, top))
    target.set_major_locator(ticks.FittingLocator(ticks.time_candidates(top)))
    target.set_major_formatter(FuncFormatter(_time_label))
    target.set_minor_formatter(NullFormatter())


def log_int_axis(ax: Any, values: Iterable[float], axis: str = "x", base: int = 2) -> None:
    """Log scale at the swept integer ``values`` (n or batch): a tick mark at each, a label where it fits.

    Labels that would touch are dropped when the figure is drawn, keeping the first and last size and
    evenly spread powers of two (:func:`~.ticks.swept_candidates`); every swept value keeps its tick mark.
    """
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log", base=base)
    vals = sorted({int(v) for v in values})
    if vals:
        target.set_major_locator(ticks.FittingLocator(ticks.swept_candidates(vals)))
    fmt = ScalarFormatter()
    fmt.set_scientific(False)
    target.set_major_formatter(fmt)
    target.set_minor_locator(FixedLocator(vals) if vals else NullLocator())
    target.set_minor_formatter(NullFormatter())


def measured_runs(x: Sequence[float], grid: Iterable[float]) -> list[list[int]]:
    """Positions of ``x`` (sorted) split wherever the run's ``grid`` has a size between two of them.

    A line joins only neighbouring grid sizes that were both measured: ``x = [2, 3, 512]`` on
    the grid ``2, 3, 8, ..., 512`` gives ``[[0, 1], [2]]``, so no line is drawn across 8-256.
    """
    steps = sorted(set(float(v) for v in grid) | set(float(v) for v in x))
    where = {v: i for i, v in enumerate(steps)}
    runs: list[list[int]] = []
    for i, v in enumerate(x):
        if runs and where[float(v)] == where[float(x[runs[-1][-1]])] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def plot_measured(ax: Any, x: Sequence[float], y: Sequence[float], grid: Iterable[float], **kw: Any) -> None:
    """``ax.plot`` of sorted ``x``/``y`` broken at unmeasured grid sizes (:func:`measured_runs`)."""
    xs, ys = list(x), list(y)
    for run in measured_runs(xs, grid):
        ax.plot([xs[i] for i in run], [ys[i] for i in run], **kw)


RATIO_TICKS = [1 / 64, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 16, 64]
# For ratios that mostly stay within 0.5-2x (one device against another).
FINE_RATIO_TICKS = [1 / 8, 1 / 4, 1 / 2, 2 / 3, 0.8, 1, 1.25, 1.5, 2, 4, 8]


def ratio_label(x: float, _pos: object = None) -> str:
    """A speed ratio as a tick label: ``2×``, ``1.25×``, ``1/4×`` (a unit fraction), ``0.67×`` (any other ratio below 1)."""
    if x >= 1:
        return f"{round(x, 2):g}×"
    inverse = 1 / x
    return f"1/{round(inverse):g}×" if abs(inverse - round(inverse)) < 1e-9 else f"{round(x, 2):g}×"


def ratio_axis(ax: Any, y_lo: float, y_hi: float, ticks: Sequence[float] = RATIO_TICKS) -> None:
    """A log speed-ratio y axis from ``y_lo`` to ``y_hi``, parity (1×) dashed, labelled ticks at those of ``ticks`` in range."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    ax.axhline(1.0, color="0.2", linewidth=1.0, linestyle="--", zorder=1)
    ax.set_yscale("log")
    ax.set_ylim(y_lo, y_hi)
    ax.yaxis.set_major_locator(FixedLocator([t for t in ticks if y_lo <= t <= y_hi]))
    ax.yaxis.set_major_formatter(FuncFormatter(ratio_label))
    ax.yaxis.set_minor_locator(NullLocator())


def interval_bars(ax: Any, x: Sequence[float], y: Sequence[float], lo: Sequence[float], hi: Sequence[float], color: str,
                  alpha: float = 1.0) -> None:  # fmt: skip
    """Error bars from ``lo`` to ``hi`` around ``y`` (a missing bound draws no bar on that side)."""
    y, lo, hi = (np.asarray(v, dtype=float) for v in (y, lo, hi))
    err = np.array([y - lo, hi - y], dtype=float)
    if len(y) and np.isfinite(err).any():
        ax.errorbar(list(x), y, yerr=np.nan_to_num(err), fmt="none", ecolor=color, elinewidth=1.0, capsize=2, alpha=alpha)


def time_axes(ax: Any, x_values: Iterable[float], title: str, xlabel: str, ylabel: str, label_top: bool = False) -> None:
    """One panel of a time chart: log axis at the swept integer ``x_values``, log time axis, title and labels.

    ``label_top``: extend the time axis to a labelled 1-2-5 step at or above its largest value (:func:`log_time_axis`).
    """
    log_int_axis(ax, x_values, "x")
    log_time_axis(ax, label_top=label_top)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


# How a cell without a (usable) measurement is described under its panel.
STATUS_TEXT = {
    "unsupported": "unsupported", "wrong": "gradient wrong (failed the check)", "nonfinite": "non-finite result",
    "oom": "out of memory", "timeout": "timed out", "error": "error",
}  # fmt: skip


def _values_text(values: list[float], every: list[float], axis_name: str) -> str:
    """``every n``, ``n = 4–512`` (a run of consecutive swept values) or ``n = 4, 16``."""
    vals = sorted({int(v) for v in values})
    grid = sorted({int(v) for v in every})
    if vals == grid:
        return f"every {axis_name}"
    pos = [grid.index(v) for v in vals if v in grid]
    if len(vals) > 2 and len(pos) == len(vals) and pos == list(range(pos[0], pos[0] + len(pos))):
        return f"{axis_name} = {vals[0]}–{vals[-1]}"
    return f"{axis_name} = " + ", ".join(str(v) for v in vals)


def missing_lines(bad: Any, x: str, every: Iterable[float], axis_name: str) -> list[str]:
    """Lines like ``closed, tiny: unsupported at n = 4–512`` for the non-ok cells ``bad`` (a frame with series, status, x).

    Series with the same status at the same x values share a line, in :func:`series_order`.
    """
    every = list(every)
    groups: dict[tuple[str, str], list[str]] = {}
    for s in series_order(bad["series"]):
        rows = bad[bad["series"].eq(s)]
        for status in sorted(set(rows["status"])):
            where = _values_text(list(rows.loc[rows["status"].eq(status), x]), every, axis_name)
            groups.setdefault((status, where), []).append(s)
    return [f"{', '.join(names)}: {STATUS_TEXT.get(status, status)} at {where}" for (status, where), names in groups.items()]


def note_missing(ax: Any, lines: list[str], max_lines: int = 6, prefix: str = "not shown") -> None:
    """Write ``lines`` (cells with no measurement) under the x label of ``ax``, never on the data area."""
    if not lines:
        return
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], f"... and {len(lines) - max_lines + 1} more (see the report's tables)"]
    ax.annotate(
        f"{prefix} — " + lines[0] if len(lines) == 1 else f"{prefix}:\n" + "\n".join(lines),
        xy=(0.0, 0.0),
        xycoords=("axes fraction", ax.xaxis.label),
        xytext=(0, -3),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=7,
        color="0.35",
        annotation_clip=False,
    )
