"""The seed problem: the loss decreases and every method agrees."""

from __future__ import annotations

import numpy as np

from detgrad.conformance import reference
from detgrad.examples.seed_problem import figures, max_disagreement, plot, train_all


def test_seed_losses_decrease_and_methods_agree(tmp_path):
    results = train_all()
    for model, losses in results.items():
        for method, values in losses.items():
            assert len(values) == 50
            assert values[-1] < values[0], (model, method)
            assert np.all(np.diff(values) < 0), (model, method)
        assert max_disagreement(losses) < 1e-12, model
    x, y = 0.7, 0.3
    assert np.isclose(results["sincos"]["lu"][0], np.sin(x) ** 2 * np.cos(y) ** 2, rtol=1e-14, atol=0)
    dx, dy = reference.seed_model_gradient(x, y)
    second = np.sin(x - 1e-3 * dx) ** 2 * np.cos(y - 1e-3 * dy) ** 2
    assert abs(results["sincos"]["lu"][1] - second) < 1e-14
    # every registered method is in each chart, told apart by colour + marker, its markers on steps of its own
    from test_charts import loss_curve_markers

    from detgrad.impls.registry import DET_METHODS as METHODS  # the methods of detgrad.det

    for model, fig in figures(results).items():
        marks = loss_curve_markers(fig)
        assert sorted(marks) == sorted(METHODS), model
        assert [t.get_text() for t in fig.legends[0].get_texts()] == list(marks), model
        assert len({(c, m) for c, m, _ in marks.values()}) == len(METHODS), model
        steps = [s for _, _, s in marks.values()]
        assert len(frozenset().union(*steps)) == sum(len(s) for s in steps), model
    files = plot(results, tmp_path)
    assert {f.suffix for f in files} == {".png", ".svg"} and all(f.stat().st_size > 0 for f in files)
