"""The dry-run plan (counts and time estimate) and the method capability map the sweep records."""

from __future__ import annotations

import pytest

from detgrad.sweep.methods_info import methods_info
from detgrad.sweep.plan import MODE_OVERHEAD_S, WORKER_START_S, format_plan, make_plan
from detgrad.sweep.spec import parse_spec


def test_plan_counts_and_estimate():
    spec = parse_spec({"settings": {"budget_s": 0.5}, "axes": {"method": ["closed", "builtin"], "n": [2, 8], "batch": [1]}})
    cells = spec.cells()  # 2 methods x 2 n x 3 modes
    plan = make_plan(cells, spec.settings)
    # closed: n = 8 unsupported in every mode; builtin: no XLA kernel
    assert (plan.total, plan.unsupported, plan.to_measure) == (12, 5, 7)
    expected = WORKER_START_S + sum(
        0.5 + MODE_OVERHEAD_S[m] for m in ("eager", "graph", "xla", "eager", "graph", "eager", "graph")
    )
    assert plan.estimate_s == pytest.approx(expected)
    resumed = make_plan(cells, spec.settings, {c.key for c in cells[:3]})
    assert resumed.done == 3 and resumed.to_measure + resumed.unsupported == 9
    text = format_plan(plan, "t")
    assert text.splitlines()[0] == "sweep 't': 12 cells" and "estimate" in text


def test_methods_info_is_the_registrys_capability_map():
    info = methods_info()
    assert info["lu"]["singular_safe"] is True and info["lu"]["xla"] is True
    assert info["builtin"]["singular_safe"] is False and info["eigenlu"]["xla"] is False
    assert info["closed"]["max_n"] == 3
    assert set(methods_info(["lu", "jax"])) == {"lu"}  # peers and unknown names are skipped


def test_publishings_fallback_table_agrees_with_the_registry():
    from detgrad.publish.methods import KNOWN_SINGULAR_SAFE

    for name, entry in methods_info().items():
        assert KNOWN_SINGULAR_SAFE.get(name) == entry["singular_safe"], name
