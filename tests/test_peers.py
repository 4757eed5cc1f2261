"""Peers (jax, torch, numpy) in the sweep grid and in measured cells, the targets section, methods the report has not seen."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import cell, header

from detgrad.publish import aggregate, targets
from detgrad.sweep import peers
from detgrad.sweep.spec import parse_spec

FAST = {"budget_s": 0.01, "warmup": 1, "min_samples": 2, "max_samples": 3, "buffers": 2, "accuracy_sample": 2}


def test_peers_get_their_family_and_one_mode():
    spec = parse_spec({"axes": {"method": ["lu", "jax", "numpy"], "mode": ["graph", "xla"], "n": [3], "batch": [1]}}, "t")
    cells = spec.cells()
    peer_cells = [c for c in cells if c.family != "detgrad"]
    assert {(c.family, c.method, c.mode) for c in peer_cells} == {("jax", "jax", "eager"), ("numpy", "numpy", "eager")}
    assert len(peer_cells) == 2  # one per problem whatever the mode axis says
    assert {c.mode for c in cells if c.family == "detgrad"} == {"graph", "xla"}
    assert all(c.key.startswith(f"{c.family}/{c.method}/") for c in cells)


def test_missing_peer_is_unsupported_with_reason(monkeypatch):
    monkeypatch.setattr(peers.importlib.util, "find_spec", lambda name: None)
    reason = peers.support_problem("torch", 3, "float64")
    assert "not installed" in reason and "detgrad[peers]" in reason


def test_sweep_precheck_records_missing_peer(monkeypatch):
    from detgrad.runs.schema import Cell
    from detgrad.sweep.loop import precheck

    monkeypatch.setattr(peers.importlib.util, "find_spec", lambda name: None)
    c = Cell("jax", "eager", "det", 3, 1, "float64", family="jax")
    assert "not installed" in precheck(c, {"max_bytes": 2**30, "buffers": 2})


@pytest.mark.parametrize("peer", ["numpy", "jax", "torch"])
@pytest.mark.parametrize("target", ["det", "logdet"])
def test_peer_cell_is_measured_and_accurate(peer, target):
    if peer != "numpy":
        pytest.importorskip(peer)
    from detgrad.runs.schema import Cell
    from detgrad.sweep.measure import run_cell

    rec = run_cell(Cell(peer, "eager", target, 3, 4, "float64", family=peer), FAST)
    assert rec["status"] == "ok", rec["reason"]
    assert rec["family"] == peer and rec["median_s"] > 0 and rec["trace_s"] is not None


def _frame(builtin_s: float, best_s: float, peer_s: float | None, n: int = 128, batch: int = 64) -> aggregate.pd.DataFrame:
    recs = [
        cell([builtin_s] * 3, method="builtin", mode="graph", n=n, batch=batch),
        cell([best_s] * 3, method="eigenlu", mode="graph", n=n, batch=batch),
        cell([best_s * 9] * 3, method="lu", mode="xla", n=n, batch=batch),
    ]
    if peer_s is not None:
        recs.append(cell([peer_s] * 3, family="torch", method="torch", n=n, batch=batch))
    return aggregate.tidy([(header(), recs)])


def test_targets_met_and_not_met():
    met = targets.evaluate(_frame(1.0, 0.4, 0.5))
    assert list(met["verdict"]) == ["met"] and met["best detgrad"][0] == "eigenlu (graph)" and met["ratio"][0] == "2.5×"
    slower_than_torch = targets.evaluate(_frame(1.0, 0.4, 0.3))
    assert list(slower_than_torch["verdict"]) == ["not met"]
    too_small = targets.evaluate(_frame(1.0, 0.6, 0.9))
    assert list(too_small["verdict"]) == ["not met"]
    assert list(targets.evaluate(_frame(1.0, 0.4, None))["verdict"]) == ["no data"]
    assert targets.evaluate(_frame(1.0, 0.4, 0.5, n=7)).empty  # not a target regime
    assert targets.markdown_section(_frame(1.0, 0.4, 0.5))[0] == "## Fastest detgrad method against the builtin, by regime"
    assert targets.markdown_section(_frame(1.0, 0.4, None)) == []  # only "no data": nothing to say


def test_target_ratio_is_the_paired_speedup_when_the_run_has_one():
    """The machine's speed drifts over the rounds: the median of the per-round ratios (4, what the
    report shows elsewhere) is the ratio, not the ratio of the two medians (3 / 1 = 3)."""
    builtin = [1.0, 2.0, 3.0, 4.0, 5.0]
    best = [0.25, 0.5, 3.0, 1.0, 1.25]  # per round 4, 4, 1, 4, 4
    recs = [
        cell(builtin, method="builtin", mode="graph", n=2, batch=1, group_id="g", canary_s=[1.0] * 5),
        cell(best, method="eigenlu", mode="graph", n=2, batch=1, group_id="g", canary_s=[1.0] * 5),
    ]
    row = targets.evaluate(aggregate.tidy([(header(), recs)])).iloc[0]
    assert row["ratio"].startswith("4×") and "[" in row["ratio"] and row["verdict"] == "met"


@pytest.mark.parametrize("method", ["tiny", "eigenlu", "auto"])
@pytest.mark.parametrize("n", [2, 3, 5])
def test_new_methods_value_and_gradient(method, n):
    import tensorflow as tf

    if method == "tiny" and n > 3:
        pytest.skip("tiny is for n <= 3")
    import detgrad

    a = np.random.default_rng(n).standard_normal((5, n, n))
    x = tf.constant(a)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = detgrad.det(x, method=method)
    grad = tape.gradient(value, x).numpy()
    ref = np.linalg.det(a)
    np.testing.assert_allclose(value.numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(grad, ref[:, None, None] * np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-10, atol=1e-12)


def test_auto_picks_polynomials_then_blocklu_or_guarded():
    """Under XLA auto is a polynomial (tiny, closed at n = 3) then blocklu; in eager/graph guarded takes n >= 4."""
    from detgrad.impls.dispatch import auto
    from detgrad.impls.eigen import guarded
    from detgrad.impls.poly import closed, tiny
    from detgrad.impls.tf_lu import blocklu

    assert auto.pick(2, mode="xla") is tiny and auto.pick(3, mode="xla") is closed and auto.pick(4, mode="xla") is blocklu
    assert auto.pick(2, 1, mode="graph") is tiny and auto.pick(4, 1, mode="graph") is guarded
    assert auto.pick(4, 1, mode="eager") is guarded


def test_eigenlu_is_loud_on_singular_input():
    import tensorflow as tf

    import detgrad

    with pytest.raises(tf.errors.InvalidArgumentError):
        detgrad.det(tf.constant([[1.0, 2.0], [2.0, 4.0]], tf.float64), method="eigenlu")
