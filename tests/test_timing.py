"""The timer and statistics, made deterministic with a fake clock."""

from __future__ import annotations

import numpy as np
import pytest
from fake_clock import FakeClock

from detgrad.runs.samples import summarize
from detgrad.sweep.timing import TimingConfig, measure, measure_group, round_order, time_first_call


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


def _group_calls(clock, means, log):
    def make(j):
        def call(i):
            log.append(j)
            clock.tick(means[j])

        return call

    return [make(j) for j in range(len(means))]


def test_group_rounds_are_paired_and_rotated():
    clock, log = FakeClock(), []
    means = [1e-3, 2e-3, 4e-3]
    config = TimingConfig(warmup=1, min_block_s=1e-3, budget_s=1.0, min_samples=3, max_samples=6)
    g = measure_group(_group_calls(clock, means, log), config, clock, seed=5)
    assert g.rounds == 6 and all(e is None for e in g.errors)
    for t, mean in zip(g.timings, means, strict=True):
        assert len(t.samples_s) == g.rounds and all(s == pytest.approx(mean) for s in t.samples_s)
    firsts = [[t.positions[r] for t in g.timings].index(0) for r in range(g.rounds)]
    assert firsts == [0, 1, 2, 0, 1, 2]  # each cell leads equally often
    for r in range(g.rounds):  # every round is a permutation
        assert sorted(t.positions[r] for t in g.timings) == [0, 1, 2]
    # behind the leader the others are shuffled: over 40 rounds of 4 calls, each leader is followed by
    # several different orders (a fixed order would let a slow neighbour always hit the same cell)
    rng = np.random.default_rng(5)
    orders = [round_order(4, r, rng) for r in range(40)]
    for lead in range(4):
        tails = {tuple(o[1:]) for o in orders if o[0] == lead}
        assert len(tails) >= 3, (lead, tails)


def test_group_cells_leave_on_their_own_budget_and_the_canary_stays():
    clock = FakeClock()
    config = TimingConfig(warmup=1, min_block_s=1e-3, budget_s=0.02, min_samples=3, max_samples=50)
    g = measure_group(_group_calls(clock, [1e-3, 10e-3, 1e-4], []), config, clock, keep=2)
    # 1 ms calls: 20 samples spend the 20 ms budget; 10 ms calls: min_samples 3; the canary (k >= 10) until the end
    assert [len(t.samples_s) for t in g.timings] == [20, 3, 20] and g.rounds == 20
    assert g.timings[2].calls_per_sample >= 10 and g.timings[2].samples_s[0] == pytest.approx(1e-4)


def test_group_call_that_fails_leaves_the_others_paired():
    clock = FakeClock()
    state = {"n": 0}

    def flaky(i):  # fails in the rounds, after warm-up and autorange
        state["n"] += 1
        clock.tick(1e-3)
        if state["n"] > 4:
            raise RuntimeError("boom")

    config = TimingConfig(warmup=1, min_block_s=1e-3, budget_s=0.01, min_samples=3, max_samples=100)
    g = measure_group([*_group_calls(clock, [1e-3, 1e-3], []), flaky], config, clock)
    assert isinstance(g.errors[2], RuntimeError) and g.timings[2] is None
    assert g.rounds == 10 and [len(t.samples_s) for t in g.timings[:2]] == [10, 10]


def test_injected_slowdown_busy_waits_in_proportion():
    from detgrad.sweep.measure import with_slowdown

    clock = FakeClock()
    reads = {"n": 0}

    def ticking() -> float:  # every read of the clock costs 1 us, like a busy-wait loop
        reads["n"] += 1
        clock.tick(1e-6)
        return clock()

    slowed = with_slowdown(lambda i: clock.tick(1e-2), 1.2, ticking)
    t0 = clock()
    slowed(0)
    assert clock() - t0 == pytest.approx(1.2e-2, rel=1e-3)


def test_slowdown_hook_names_one_method(monkeypatch):
    from detgrad.sweep.measure import SLOWDOWN_HOOK, slowdown_factor

    monkeypatch.setenv(SLOWDOWN_HOOK, "lu:1.2")
    assert slowdown_factor("lu") == 1.2 and slowdown_factor("builtin") is None


def test_times_are_differences_of_a_clock_that_does_not_start_at_zero():
    """perf_counter reads large numbers: only differences of readings may count (here from t = 1000 s)."""
    clock = FakeClock()
    clock.tick(1000.0)

    def first():
        clock.tick(2.0)

    assert time_first_call(first, clock)[0] == 2.0
    # 0.1 s per call, budget 0.25 s, at least one sample: the third sample ends at 0.3 s >= 0.25 s
    t = measure(lambda i: clock.tick(0.1), TimingConfig(warmup=5, budget_s=0.25, min_samples=1, max_samples=30), clock)
    assert len(t.samples_s) == 3


def test_budget_is_reached_when_spent_exactly():
    """0.125 s calls (exact in binary) and a 0.25 s budget: sampling stops after 2, not 3, samples."""
    clock = FakeClock()
    t = measure(lambda i: clock.tick(0.125), TimingConfig(warmup=1, budget_s=0.25, min_samples=1, max_samples=30), clock)
    assert len(t.samples_s) == 2


UNIT = 2.0**-13  # s: sums of whole units are exact in binary


def test_calls_get_consecutive_indices_and_the_warm_up_is_counted():
    """Call i works on buffer i % buffers: every call, warm-up and autorange included, gets the next index."""
    clock = FakeClock()
    seen = []

    def call(i):
        seen.append(i)
        clock.tick(UNIT)

    # min block 4.5 units: warm-up 2 calls; autorange k = 1 (1 unit), then k = ceil(4.5 x 1.2) = 6 (6 units >= 4.5);
    # so 2 + 1 + 6 = 9 calls before the samples, then 3 blocks of 6
    config = TimingConfig(warmup=2, min_block_s=4.5 * UNIT, budget_s=1.0, min_samples=3, max_samples=3)
    t = measure(call, config, clock)
    assert t.warmup_calls == 9 and t.calls_per_sample == 6 and t.samples_s == [UNIT] * 3
    assert seen == list(range(9 + 18))


def test_autorange_grows_at_most_tenfold_per_step():
    """Target 120 calls (100 units x 1.2): k = 1 -> 10 (capped) -> 100 (capped again: 10 x 10)."""
    clock = FakeClock()
    config = TimingConfig(warmup=0, min_block_s=100 * UNIT, budget_s=1.0, min_samples=1, max_samples=1)
    t = measure(lambda i: clock.tick(UNIT), config, clock)
    assert t.calls_per_sample == 100 and t.warmup_calls == 1 + 10 + 100


def test_autorange_at_least_doubles():
    """A call that gets faster after its first run: 0.9 units, then 0.45; min block 1 unit.

    k = 1: 0.9 -> k = max(2, ceil(1.2 / 0.9) = 2) = 2; k = 2: 0.9 -> ceil(2.67) = 3, but at least 2k = 4; 4 x 0.45 >= 1.
    """
    clock = FakeClock()
    config = TimingConfig(warmup=0, min_block_s=UNIT, budget_s=1.0, min_samples=1, max_samples=1)
    t = measure(lambda i: clock.tick((0.9 if i == 0 else 0.45) * UNIT), config, clock)
    assert t.calls_per_sample == 4 and t.warmup_calls == 1 + 2 + 4


def test_warm_up_stops_once_past_a_quarter_of_the_budget():
    """0.125 s calls, budget 0.5 s: after one call exactly a quarter has passed (not past it), after two it is past."""
    clock = FakeClock()
    config = TimingConfig(warmup=3, budget_s=0.5, min_samples=1, max_samples=1)
    t = measure(lambda i: clock.tick(0.125), config, clock)
    assert t.warmup_calls == 2 + 1  # two warm-up calls, one autorange call


def test_group_calls_get_consecutive_indices_and_the_warm_up_is_counted():
    clock = FakeClock()
    seen = {0: [], 1: []}

    def make(j):
        def call(i):
            seen[j].append(i)
            clock.tick(UNIT)

        return call

    config = TimingConfig(warmup=2, min_block_s=4.5 * UNIT, budget_s=1.0, min_samples=3, max_samples=3)
    g = measure_group([make(0), make(1)], config, clock)
    assert g.rounds == 3
    for j, t in enumerate(g.timings):
        assert t.warmup_calls == 9 and t.calls_per_sample == 6 and t.samples_s == [UNIT] * 3
        assert seen[j] == list(range(9 + 18))


def test_group_call_leaves_when_its_budget_is_spent_exactly():
    """0.125 s calls, budget 0.25 s: each call has spent its budget after 2 rounds, not 3."""
    clock = FakeClock()
    config = TimingConfig(warmup=0, min_block_s=1e-3, budget_s=0.25, min_samples=1, max_samples=10)
    g = measure_group(_group_calls(clock, [0.125, 0.125], []), config, clock)
    assert g.rounds == 2 and [len(t.samples_s) for t in g.timings] == [2, 2]


def test_group_orders_are_reproducible_from_the_seed():
    """The same seed gives the same order in every round (tails of 3 calls: 6 orders each, over 10 rounds)."""

    def positions(seed):
        clock = FakeClock()
        config = TimingConfig(warmup=1, min_block_s=1e-3, budget_s=1.0, min_samples=10, max_samples=10)
        g = measure_group(_group_calls(clock, [1e-3] * 4, []), config, clock, seed=seed)
        return [t.positions for t in g.timings]

    assert positions(7) == positions(7)


def test_group_call_that_fails_in_warm_up_never_enters_the_rounds():
    clock = FakeClock()
    tries = []

    def broken(i):
        tries.append(i)
        raise ValueError("no kernel")

    config = TimingConfig(warmup=1, min_block_s=1e-3, budget_s=0.005, min_samples=3, max_samples=100)
    g = measure_group([broken, *_group_calls(clock, [1e-3], [])], config, clock)
    assert tries == [0] and isinstance(g.errors[0], ValueError) and g.timings[0] is None
    assert g.errors[1] is None and len(g.timings[1].samples_s) == g.rounds == 5


def test_warm_up_counts_time_from_its_own_start():
    """The warm-up budget (budget/4) is time since warm-up began, whatever the clock read before."""
    clock = FakeClock(start=1000.0)
    t = measure(lambda i: clock.tick(1e-3), TimingConfig(warmup=5, min_block_s=1e-4, budget_s=1.0, max_samples=4), clock)
    assert t.warmup_calls == 5 + 1  # five warm-up calls, then one autorange block of one call


def test_timing_config_from_settings_takes_only_its_own_fields():
    config = TimingConfig.from_settings({"budget_s": 0.5, "min_samples": 4, "name": "quick", "timeout_s": 9})
    assert config == TimingConfig(budget_s=0.5, min_samples=4)
