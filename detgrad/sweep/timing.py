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

``measure_group(calls, config, clock, seed, keep)`` times several cells of one problem
*paired*: steps 1 and 2 for each call (each gets its own block size k), then rounds
r = 0, 1, ...: one block of every active call per round, in an order shuffled per round
(seeded; call r mod m goes first, so each call leads equally often).  A call leaves the
rounds once it has ``min_samples`` samples and has spent ``budget_s`` of its own sampling
time, or has ``max_samples``; call ``keep`` (the canary) stays while any other is active.
So the group takes about ``budget_s`` x its number of calls, and one slow call (a 0.3 s
eager loop) does not starve the cheap ones of rounds.  Sample r of every call comes from
round r (a call takes part in rounds 0 .. its count - 1), so ratios of two calls' samples
over their common rounds are measured side by side.  A call that raises is dropped from
the following rounds and reported with its exception.

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
from detgrad.sweep.settings import SweepSettings

Clock = Callable[[], float]


@dataclass(frozen=True)
class TimingConfig:
    """Knobs of :func:`measure` (the spec's [settings] of the same names)."""

    warmup: int = SweepSettings.warmup
    min_block_s: float = SweepSettings.min_block_s
    budget_s: float = SweepSettings.budget_s
    min_samples: int = SweepSettings.min_samples
    max_samples: int = SweepSettings.max_samples
    buffers: int = SweepSettings.buffers

    @classmethod
    def from_settings(cls, settings: SweepSettings | dict[str, Any]) -> TimingConfig:
        """The timing knobs of a sweep's settings (a dict may hold only some: defaults for the rest)."""
        if isinstance(settings, SweepSettings):
            settings = settings.as_dict()
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


def _warm_and_autorange(call: Callable[[int], Any], config: TimingConfig, clock: Clock) -> tuple[int, int]:
    """Steps 1 and 2: returns ``(k, calls made)``; the next call index is ``calls made``."""
    i = 0
    t_start = clock()
    for _ in range(config.warmup):
        call(i)
        i += 1
        if clock() - t_start > config.budget_s / 4:
            break
    k = 1
    while True:
        block = _block(call, i, k, clock)
        i += k
        if block >= config.min_block_s:
            return k, i
        # grow k towards the target, at least doubling, at most x10 per step
        k = int(min(10 * k, max(2 * k, np.ceil(k * config.min_block_s * 1.2 / max(block, 1e-9)))))


def measure(call: Callable[[int], Any], config: TimingConfig = TimingConfig(), clock: Clock = time.perf_counter) -> Timing:
    """Warm up, autorange and sample ``call``; see the module docstring."""
    k, i = _warm_and_autorange(call, config, clock)
    warm = i
    samples: list[float] = []
    t_sampling = clock()
    while len(samples) < config.max_samples:
        if len(samples) >= config.min_samples and clock() - t_sampling >= config.budget_s:
            break
        samples.append(_block(call, i, k, clock) / k)
        i += k
    return Timing(samples, k, warm)


def round_order(m: int, r: int, rng: np.random.Generator) -> list[int]:
    """Order of round ``r`` over ``m`` calls: ``r mod m`` first, the others shuffled by ``rng``."""
    first = r % m
    rest = [j for j in rng.permutation(m).tolist() if j != first]
    return [first, *rest]


@dataclass
class GroupTiming:
    """What :func:`measure_group` returns: per call a :class:`Timing` or the exception it raised."""

    timings: list[Timing | None]
    errors: list[BaseException | None]
    rounds: int


def measure_group(
    calls: list[Callable[[int], Any]],
    config: TimingConfig = TimingConfig(),
    clock: Clock = time.perf_counter,
    seed: int = 0,
    keep: int | None = None,
) -> GroupTiming:
    """Time ``calls`` in interleaved rounds (paired samples); see the module docstring."""
    m = len(calls)
    errors: list[BaseException | None] = [None] * m
    ks, nxt = [1] * m, [0] * m
    for j, call in enumerate(calls):
        try:
            ks[j], nxt[j] = _warm_and_autorange(call, config, clock)
        except Exception as exc:  # noqa: BLE001 - reported per call
            errors[j] = exc
    warm = list(nxt)
    samples: list[list[float]] = [[] for _ in range(m)]
    positions: list[list[int]] = [[] for _ in range(m)]
    spent = [0.0] * m
    rng = np.random.default_rng(seed)

    def active(j: int) -> bool:
        if errors[j] is not None or len(samples[j]) >= config.max_samples:
            return False
        if j == keep:
            return any(active(i) for i in range(m) if i != keep)
        return len(samples[j]) < config.min_samples or spent[j] < config.budget_s

    rounds = 0
    while True:
        order = [j for j in round_order(m, rounds, rng) if active(j)]
        if not order or order == [keep]:
            break
        for pos, j in enumerate(order):
            try:
                block = _block(calls[j], nxt[j], ks[j], clock)
            except Exception as exc:  # noqa: BLE001 - the call leaves the group
                errors[j] = exc
                continue
            nxt[j] += ks[j]
            spent[j] += block
            samples[j].append(block / ks[j])
            positions[j].append(pos)
        rounds += 1
    timings = [None if errors[j] else Timing(samples[j], ks[j], warm[j], positions[j]) for j in range(m)]
    return GroupTiming(timings, errors, rounds)
