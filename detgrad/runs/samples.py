"""Raw timing samples of one cell and the statistics a record stores (no TensorFlow).

:class:`Timing` is what the timer (:mod:`detgrad.sweep.timing`) or
pytest-benchmark produced: samples in seconds per call and the calls per
sample block.  :func:`summarize` derives the record's median, IQR
(q75 - q25, linear interpolation), min and the ``noisy`` flag
(IQR / median > :data:`NOISY_IQR_RATIO`) from the raw samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NOISY_IQR_RATIO = 0.10


@dataclass(frozen=True)
class Timing:
    """Raw samples (seconds per call), the calls per sample block and, when timed in
    interleaved rounds, the cell's position in each round's order (one per sample)."""

    samples_s: list[float] = field(default_factory=list)
    calls_per_sample: int = 0
    warmup_calls: int = 0
    positions: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Stats:
    median_s: float | None
    iqr_s: float | None
    min_s: float | None
    noisy: bool | None


def summarize(samples: list[float]) -> Stats:
    """Median, IQR, min and the noisy flag of raw per-call samples (all None when empty)."""
    if not samples:
        return Stats(None, None, None, None)
    x = np.asarray(samples, dtype=float)
    q25, med, q75 = np.percentile(x, [25, 50, 75])
    iqr = float(q75 - q25)
    return Stats(float(med), iqr, float(x.min()), bool(med > 0 and iqr / med > NOISY_IQR_RATIO))
