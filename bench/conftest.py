"""pytest-benchmark suite over the cells of a sweep preset.

    pytest bench --benchmark-json=bench.json                 # preset "quick"
    pytest bench --detgrad-preset full --benchmark-json=...  # or DETGRAD_BENCH_PRESET=full
    python -m detgrad.runs.convert_benchmark bench.json runs/bench/run.jsonl

Cells are timed with the same inputs, first-call timing, accuracy check and
autorange as ``detgrad sweep`` (``detgrad.sweep.measure``); pytest-benchmark runs
the rounds.  Unsupported cells are skipped with their reason.  Threads and
logical devices cannot change inside one process, so only cells with
``threads = 0`` run here (others are skipped); use ``detgrad sweep`` for them.
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--detgrad-preset",
        default=os.environ.get("DETGRAD_BENCH_PRESET", "quick"),
        help="sweep preset (or SPEC.toml) whose cells to benchmark (default: $DETGRAD_BENCH_PRESET or quick)",
    )


def _spec(config: pytest.Config):
    from detgrad.sweep.spec import load_spec

    name = config.getoption("--detgrad-preset")
    return load_spec(path=name) if name.endswith(".toml") else load_spec(preset=name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "cell" in metafunc.fixturenames:
        cells = _spec(metafunc.config).cells()
        metafunc.parametrize("cell", cells, ids=[c.key.removeprefix("detgrad/") for c in cells])


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest):
    return _spec(request.config).settings.with_memory_limit()


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    from detgrad.sweep.environment import collect

    machine_info["detgrad_environment"] = collect(ceilings=True)
    machine_info["detgrad_spec"] = _spec(config).to_dict()
