"""The timer and statistics, made deterministic with a fake clock."""

from __future__ import annotations

import numpy as np
import pytest

from detgrad.runs.samples import summarize
from detgrad.sweep.timing import FakeClock, TimingConfig, measure, time_first_call


def test_autorange_grows_block_and_rotates_buffers():
    clock = FakeClock()
    seen = []

    def call(i):
        seen.append(i % 4)
        clock.tick(1e-5)

    t = measure(call, TimingConfig(warmup=2, min_block_s=2e-4, budget_s=0.01, min_samples=3, max_samples=50), clock)
    assert t.calls_per_sample >= 20  # 20 calls of 10 us reach the 0.2 ms block
    assert t.samples_s and all(s == pytest.approx(1e-5) for s in t.samples_s)
    assert set(seen) == {0, 1, 2, 3}
    assert 3 <= len(t.samples_s) <= 50


def test_budget_and_max_samples():
    clock = FakeClock()
    t = measure(lambda i: clock.tick(0.1), TimingConfig(warmup=5, budget_s=0.25, min_samples=3, max_samples=30), clock)
    assert t.calls_per_sample == 1
    assert len(t.samples_s) == 3  # budget spent after 3 samples of 0.1 s
    assert t.warmup_calls <= 2 + 1  # warm-up stops after budget/4
    t = measure(lambda i: clock.tick(1e-3), TimingConfig(budget_s=100.0, max_samples=7), clock)
    assert len(t.samples_s) == 7


def test_first_call_is_separate():
    clock = FakeClock()
    calls = []

    def first():
        calls.append(1)
        clock.tick(2.0)
        return "out"

    seconds, out = time_first_call(first, clock)
    assert seconds == 2.0 and out == "out" and calls == [1]


def test_statistics_deterministic_with_noise():
    runs = []
    for _ in range(2):
        clock = FakeClock(seed=3, jitter=0.3)
        t = measure(lambda i, c=clock: c.tick(1e-3), TimingConfig(budget_s=0.05, max_samples=40), clock)
        runs.append(t.samples_s)
    assert runs[0] == runs[1]
    stats = summarize(runs[0])
    x = np.array(runs[0])
    assert stats.median_s == pytest.approx(np.median(x))
    assert stats.min_s == pytest.approx(x.min())
    assert stats.iqr_s == pytest.approx(np.percentile(x, 75) - np.percentile(x, 25))
    assert stats.noisy is True


def test_summarize_quiet_and_empty():
    s = summarize([1.0, 1.01, 0.99, 1.0])
    assert s.median_s == 1.0 and s.noisy is False
    assert summarize([]).median_s is None and summarize([]).noisy is None
