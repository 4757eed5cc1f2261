"""The timer: warm-up, autorange and raw samples (no TensorFlow).

``measure(call, config, clock)`` times ``call(i)``, which must run the
computation on input buffer ``i % buffers`` *and* force its result (CPU:
``.numpy()``; GPU: ``tf.test.experimental.sync_devices()``) before it
returns, so the work happens inside the timed region.  The caller times
the very first call (tracing + compilation) separately with
:func:`time_first_call`; it is never one of the samples.

Procedure (like ``timeit.Timer.autorange``):

1. warm-up: ``config.warmup`` calls (stopped early after budget_s / 4);
2. autorange: blocks of k = 1, 2, 4, ... calls until one block takes
   >= ``min_block_s`` (these blocks also warm up and are discarded);
3. samples: blocks of k calls, sample = block time / k seconds per call,
   until ``budget_s`` of sampling has passed and at least ``min_samples``
   were taken, or ``max_samples`` were taken.

Their statistics (median, IQR, min, noisy) are
:func:`detgrad.runs.samples.summarize`, part of the run-file record.
``clock`` is injectable (a fake clock makes all of this deterministic in tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from detgrad.runs.samples import Timing

Clock = Callable[[], float]


@dataclass(frozen=True)
class TimingConfig:
    """Knobs of :func:`measure` (the spec's [settings] of the same names)."""

    warmup: int = 2
    min_block_s: float = 2e-4
    budget_s: float = 0.5
    min_samples: int = 3
    max_samples: int = 30
    buffers: int = 4

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> TimingConfig:
        return cls(**{k: settings[k] for k in cls.__dataclass_fields__ if k in settings})


def time_first_call(call: Callable[[], Any], clock: Clock = time.perf_counter) -> tuple[float, Any]:
    """Run ``call()`` once; return ``(seconds, result)``: the trace + compile time."""
    t0 = clock()
    result = call()
    return clock() - t0, result


def _block(call: Callable[[int], Any], start: int, k: int, clock: Clock) -> float:
    t0 = clock()
    for j in range(k):
        call(start + j)
    return clock() - t0


def measure(call: Callable[[int], Any], config: TimingConfig = TimingConfig(), clock: Clock = time.perf_counter) -> Timing:
    """Warm up, autorange and sample ``call``; see the module docstring."""
    i = 0
    t_start = clock()
    warm = 0
    for _ in range(config.warmup):
        call(i)
        i += 1
        warm += 1
        if clock() - t_start > config.budget_s / 4:
            break
    k = 1
    while True:
        block = _block(call, i, k, clock)
        i += k
        warm += k
        if block >= config.min_block_s:
            break
        # grow k towards the target, at least doubling, at most x10 per step
        k = int(min(10 * k, max(2 * k, np.ceil(k * config.min_block_s * 1.2 / max(block, 1e-9)))))
    samples: list[float] = []
    t_sampling = clock()
    while len(samples) < config.max_samples:
        if len(samples) >= config.min_samples and clock() - t_sampling >= config.budget_s:
            break
        samples.append(_block(call, i, k, clock) / k)
        i += k
    return Timing(samples, k, warm)


class FakeClock:
    """Deterministic clock for tests: ``tick(mean)`` advances by mean · (1 + noise).

    ``noise`` is seeded log-normal-ish jitter with relative size ``jitter``.
    """

    def __init__(self, seed: int = 0, jitter: float = 0.0) -> None:
        self.now = 0.0
        self.jitter = jitter
        self._rng = np.random.default_rng(seed)

    def __call__(self) -> float:
        return self.now

    def tick(self, mean: float) -> None:
        noise = self._rng.standard_normal() * self.jitter if self.jitter else 0.0
        self.now += mean * max(0.05, 1.0 + noise)
