"""One benchmark per cell: value + gradient of det / log|det| (see conftest.py)."""

from __future__ import annotations

import itertools

import pytest

from detgrad.runs.schema import Cell
from detgrad.sweep.accuracy import check
from detgrad.sweep.settings import SweepSettings
from detgrad.sweep.timing import TimingConfig, measure, time_first_call


def test_det_grad(benchmark, cell: Cell, settings: SweepSettings) -> None:
    from detgrad.sweep.loop import precheck
    from detgrad.sweep.measure import device_problem, prepare

    problem = precheck(cell, settings) or device_problem(cell.device)
    if cell.threads:
        problem = problem or "threads != 0 needs its own process; use detgrad sweep"
    if problem:
        pytest.skip(problem)
    prepared = prepare(cell, settings)
    trace_s, (value, grad) = time_first_call(lambda: prepared.call_once(0))
    k = max(1, settings.accuracy_sample)
    acc = check(prepared.inputs[0][:k], value.numpy()[:k], grad.numpy()[:k], cell.target, cell.dtype)
    # warm-up + autorange only (no samples): the same calls-per-sample as detgrad sweep
    config = TimingConfig.from_settings(settings.replace(min_samples=0, budget_s=0.0, max_samples=0))
    calls = measure(prepared.call, config).calls_per_sample
    benchmark.extra_info.update(
        key=cell.key,
        cell=cell.to_dict(),
        status=acc.status,
        reason=acc.reason,
        trace_s=trace_s,
        value_rel_err=acc.value_rel_err,
        grad_rel_err=acc.grad_rel_err,
    )
    counter = itertools.count()
    rounds = max(settings.min_samples, min(settings.max_samples, 10))
    benchmark.pedantic(lambda: prepared.call(next(counter)), rounds=rounds, iterations=calls, warmup_rounds=0)
