"""The seed problem, worked: minimize det(A)² by gradient descent with every method.

Two models, 50 steps of plain gradient descent at learning rate 0.001 in
float64 (``var.assign_sub(lr * grad)``, what ``tf.keras.optimizers.SGD``
does):

* ``sincos``: A(x, y) = [[sin x, 0], [0, cos y]] from (x, y) = (0.7, 0.3);
  L = det(A)² = sin²x·cos²y.
* ``matrix``: A itself is the variable, starting at a0 = [[1, 2], [3, 4]].

Run ``python -m detgrad.examples.seed_problem --out results/seed`` to write the loss
curves (PNG and SVG) for both models.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STEPS = 50
LEARNING_RATE = 1e-3
START_POINT = (0.7, 0.3)
START_MATRIX = ((1.0, 2.0), (3.0, 4.0))


def train(model: str, method: str, steps: int = STEPS, lr: float = LEARNING_RATE) -> list[float]:
    """Loss before each of ``steps`` gradient steps (``steps`` values)."""
    import tensorflow as tf

    import detgrad

    if model == "sincos":
        params = tf.Variable(START_POINT, dtype=tf.float64)

        def matrix():
            zero = tf.zeros((), tf.float64)
            return tf.stack([tf.stack([tf.sin(params[0]), zero]), tf.stack([zero, tf.cos(params[1])])])
    elif model == "matrix":
        params = tf.Variable(START_MATRIX, dtype=tf.float64)

        def matrix():
            return params
    else:
        raise detgrad.DetgradError(f"unknown seed model {model!r}; valid: sincos, matrix")

    losses = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = detgrad.det(matrix(), method=method) ** 2
        params.assign_sub(lr * tape.gradient(loss, params))
        losses.append(float(loss))
    return losses


def train_all(methods: tuple[str, ...] | None = None) -> dict[str, dict[str, list[float]]]:
    """{model: {method: losses}} for every method that supports 2 x 2 float64."""
    from detgrad.impls.registry import DET_METHODS

    return {model: {m: train(model, m) for m in (methods or DET_METHODS)} for model in ("sincos", "matrix")}


def max_disagreement(losses: dict[str, list[float]]) -> float:
    """Largest |loss_m(step) - loss_m'(step)| over methods and steps."""
    table = np.array(list(losses.values()))
    return float(np.max(table.max(axis=0) - table.min(axis=0)))


def figures(results: dict[str, dict[str, list[float]]]) -> dict[str, Figure]:
    """One loss-curve chart per model: every method's curve, each with its own colour, marker and legend entry."""
    from detgrad.publish.charts import loss_curve

    titles = {
        "sincos": "det(A)² for A = [[sin x, 0], [0, cos y]], GD lr 0.001",
        "matrix": "det(A)² from A = [[1, 2], [3, 4]], GD lr 0.001",
    }
    out = {}
    for model, losses in results.items():
        spread = max_disagreement(losses)
        overlap = f"the {len(losses)} methods' curves overlap, largest difference {spread:.0e}; markers staggered"
        title = f"{titles[model]}\n({overlap})"
        out[model] = loss_curve(losses, title=title, ylabel="det(A)²")
    return out


def plot(results: dict[str, dict[str, list[float]]], out: Path) -> list[Path]:
    """Write one loss-curve chart per model under ``out`` (PNG and SVG); return the files."""
    from detgrad.publish.charts.style import save

    files: list[Path] = []
    for model, fig in figures(results).items():
        files += save(fig, out, f"seed_loss_{model}")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/seed"))
    args = parser.parse_args(argv)
    results = train_all()
    for model, losses in results.items():
        first = next(iter(losses.values()))
        print(f"{model}: loss {first[0]:.6g} -> {first[-1]:.6g}; max difference between methods {max_disagreement(losses):.1e}")
    for path in plot(results, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
