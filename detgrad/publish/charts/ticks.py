"""Tick labels that never collide: a locator that keeps only the labels that fit the axis as drawn.

:class:`FittingLocator` is asked for ticks at draw time, when the axis' length in pixels is known.  It
measures every candidate label (its text from the axis' formatter, its font from the tick labels) and
keeps them in priority order, farthest from the labels already kept first, dropping any that would come
closer than ``gap_pt`` to one of them.  Candidates come from a function of the view interval:

* :func:`swept_candidates`: the swept sizes (n or batch): the first and last first, then powers of two,
  then the rest (``3``), so a dense grid is labelled at evenly spread powers of two;
* :func:`time_candidates`: decades (with 2 and 5 steps on a narrow axis), and an explicit top value
  first when the axis was extended to a labelled maximum (:func:`nice_ceil`).

Values the locator drops stay as unlabelled minor ticks where the caller sets them.  Never imports TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from matplotlib.textpath import text_to_path
from matplotlib.ticker import Locator

Candidates = Callable[[float, float], list[tuple[float, int]]]


class FittingLocator(Locator):
    """Major ticks at the candidates whose labels fit without touching, chosen when the axis is drawn.

    Args:
        candidates: ``(lo, hi) -> [(value, priority), ...]`` for the view interval; lower priority first.
        gap_pt: the least space between two labels, in points.
    """

    def __init__(self, candidates: Candidates, gap_pt: float = 3.0) -> None:
        self.candidates = candidates
        self.gap_pt = gap_pt

    def __call__(self) -> Sequence[float]:
        lo, hi = sorted(self.axis.get_view_interval())
        return self.tick_values(lo, hi)

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        lo, hi = sorted((vmin, vmax))
        cands = [(float(v), p) for v, p in self.candidates(lo, hi) if lo <= v <= hi]
        if self.axis is None or len(cands) < 2:
            return sorted(v for v, _ in cands)
        values = [v for v, _ in cands]
        centre, half = self._centres(values), self._half_extents(values)
        gap = self.gap_pt * self.axis.axes.figure.dpi / 72.0
        kept: list[int] = []
        for priority in sorted({p for _, p in cands}):
            todo = [i for i, (_, p) in enumerate(cands) if p == priority]
            while todo:
                # farthest from the labels kept so far first: evenly spread labels
                dist = [min((abs(centre[i] - centre[k]) for k in kept), default=-i) for i in todo]
                i = todo.pop(int(np.argmax(dist)))
                if all(abs(centre[i] - centre[k]) >= half[i] + half[k] + gap for k in kept):
                    kept.append(i)
        return sorted(values[k] for k in kept)

    def _centres(self, values: list[float]) -> np.ndarray:
        """Label centres along the axis, in display pixels."""
        ax, vertical = self.axis.axes, self.axis.axis_name == "y"
        ones = np.ones(len(values))
        points = np.column_stack([ones, values] if vertical else [values, ones])
        return ax.transData.transform(points)[:, 1 if vertical else 0]

    def _half_extents(self, values: list[float]) -> np.ndarray:
        """Half of each label's size along the axis (width on x, height on y), in display pixels."""
        texts = self.axis.major.formatter.format_ticks(values)
        prop = self.axis.get_major_ticks(1)[0].label1.get_fontproperties()
        index = 1 if self.axis.axis_name == "y" else 0
        scale = self.axis.axes.figure.dpi / 72.0 / 2.0
        sizes = []
        for text in texts:
            if self.axis.axis_name == "y":  # a horizontal label's height: the font's, whatever the digits
                sizes.append(prop.get_size_in_points() * 1.2)
            else:
                sizes.append(text_to_path.get_text_width_height_descent(text, prop, ismath=False)[index])
        return np.asarray(sizes) * scale


def swept_candidates(values: Sequence[float]) -> Candidates:
    """Candidates at the swept integer ``values``: the extremes in view, then powers of two, then the rest."""
    vals = sorted({int(v) for v in values})

    def candidates(lo: float, hi: float) -> list[tuple[float, int]]:
        inside = [v for v in vals if lo <= v <= hi]
        ends = {inside[0], inside[-1]} if inside else set()
        return [(v, 0 if v in ends else 1 if v > 0 and v & (v - 1) == 0 else 2) for v in inside]

    return candidates


def time_candidates(top: float | None = None) -> Candidates:
    """Candidates on a log axis of seconds: ``top`` first (when given), decades, then 2 and 5 steps.

    The 2 and 5 steps are offered when the axis spans less than two decades or holds fewer than two
    decade ticks (so a panel never has a single label); the locator drops those that do not fit.
    """

    def candidates(lo: float, hi: float) -> list[tuple[float, int]]:
        if not (lo > 0 and hi > lo):
            return []
        first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        decades = [10.0**k for k in range(first, last + 1) if lo <= 10.0**k <= hi]
        out = [(v, 1) for v in decades]
        if hi / lo < 100 or len(decades) < 2:
            out += [(m * 10.0**k, 2) for k in range(first, last + 1) for m in (2.0, 5.0)]
        if top is not None:
            out = [(top, 0)] + [(v, p) for v, p in out if not math.isclose(v, top)]
        return out

    return candidates


def nice_ceil(value: float) -> float:
    """The smallest 1-2-5 step (…, 0.5, 1, 2, 5, 10, …) at or above ``value`` (> 0)."""
    k = math.floor(math.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        candidate = step * 10.0**k
        if candidate >= value * (1 - 1e-12):
            return candidate
    return 10.0 ** (k + 1)  # pragma: no cover
