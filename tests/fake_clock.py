"""A deterministic clock for the timer's tests (``detgrad.sweep.timing`` takes any ``clock`` callable)."""

from __future__ import annotations

import numpy as np


class FakeClock:
    """``clock()`` reads the time; ``tick(mean)`` advances it by mean · max(0.05, 1 + noise).

    ``noise`` is seeded normal jitter of relative size ``jitter`` (none by default); ``start`` is the
    time it reads before the first tick (a real clock rarely starts at 0).
    """

    def __init__(self, seed: int = 0, jitter: float = 0.0, start: float = 0.0) -> None:
        self.now = start
        self.jitter = jitter
        self._rng = np.random.default_rng(seed)

    def __call__(self) -> float:
        return self.now

    def tick(self, mean: float) -> None:
        noise = self._rng.standard_normal() * self.jitter if self.jitter else 0.0
        self.now += mean * max(0.05, 1.0 + noise)
