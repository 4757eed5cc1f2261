"""Run one group of cells in this process: inputs -> first calls -> accuracy -> paired timing -> records.

A group is the cells of one problem (:attr:`Cell.problem_key`: every axis but
method, family and mode).  They share the input matrices (seeded by the problem,
so their accuracy is comparable too) and are timed in interleaved rounds by
:func:`detgrad.sweep.timing.measure_group`, together with a *canary*: a fixed
eager ``tf.linalg.matmul`` of two 96 x 96 float64 matrices on the group's device,
whose per-round times (``canary_s``) show how fast the machine was in each round.
``run_cell`` is a group of one.

The timed computation is value + gradient of one method on a
``(batch, n, n)`` input:

    target "det":    v = det(A) (batch,),        L = sum Re(v)
    target "logdet": (s, v) = slogdet(A),        L = sum v     (v = log|det A|)
    returns (v, dL/dA)  — dL/dA has shape (batch, n, n)

``eager`` runs that under a plain ``tf.GradientTape``; ``graph`` wraps the
same Python function (tape inside) in ``tf.function``; ``xla`` adds
``jit_compile=True``.  Results are forced inside the timed region:
``.numpy()`` of both outputs on CPU (zero-copy), ``sync_devices()`` on GPU.
Peer cells (family jax/torch/numpy, :mod:`detgrad.sweep.peers`) run the peer's
value + gradient on the same input buffers; their calls return host arrays.
Peak device memory comes from ``tf.config.experimental.get_memory_info``
on GPU (reset before each cell's first call, read after its accuracy check);
it is n/a (None) on CPU.

Test hook: the environment variable ``DETGRAD_TEST_SLOWDOWN=METHOD:FACTOR``
(e.g. ``lu:1.2``) makes every timed call of that method busy-wait
(FACTOR - 1) x its own measured time, inside the timed region: a known,
injected slowdown for testing ``detgrad compare``.
"""

from __future__ import annotations

import os
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from detgrad.api import value_and_gradient
from detgrad.catalog import PD_TARGET
from detgrad.impls.registry import get_method
from detgrad.runs.schema import Cell, make_record, utc_now
from detgrad.sweep import peers
from detgrad.sweep.accuracy import check
from detgrad.sweep.inputs import buffer_seeds, estimated_bytes, make_matrices
from detgrad.sweep.settings import SweepSettings
from detgrad.sweep.timing import TimingConfig, measure_group, time_first_call

SLOWDOWN_HOOK = "DETGRAD_TEST_SLOWDOWN"  # tests: "METHOD:FACTOR" slows that method's timed calls
CANARY_N = 96


def tf_device(device: str) -> str:
    """``"CPU:0"`` -> ``"/device:CPU:0"``."""
    return f"/device:{device}"


def device_problem(device: str) -> str | None:
    """Why ``device`` cannot be used here (None if it exists)."""
    names = {d.name.replace("/device:", "") for d in tf.config.list_logical_devices()}
    if device in names:
        return None
    return f"device {device} does not exist here; available: {', '.join(sorted(names))}"


def build_fn(cell: Cell) -> Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]:
    """The value + gradient function for the cell's method, target and mode (:func:`detgrad.api.value_and_gradient`)."""
    return value_and_gradient(cell.method, cell.target, cell.mode, validate=False)


@dataclass
class PreparedCell:
    """A cell ready to time: its function, input buffers and the first-call result."""

    cell: Cell
    call_once: Callable[[int], tuple[Any, Any]]
    call: Callable[[int], None]
    inputs: list[np.ndarray]
    gpu: bool


def prepare_peer(cell: Cell, arrays: list[np.ndarray]) -> PreparedCell:
    """A peer cell (jax, torch, numpy): its calls return host numpy arrays, so results are forced."""
    to_input, fn = peers.build(cell.method, cell.target, cell.dtype)
    inputs = [to_input(a) for a in arrays]

    def call_once(i: int) -> tuple[Any, Any]:
        return fn(inputs[i % len(inputs)])

    return PreparedCell(cell, call_once, call_once, arrays, False)


def cell_problem(cell: Cell) -> str | None:
    """Why the cell's method (detgrad or peer) cannot run it (None if it can)."""
    if cell.family != "detgrad":
        return peers.support_problem(cell.method, cell.n, cell.dtype, cell.device)
    return get_method(cell.method).support_problem(cell.n, cell.dtype, cell.mode, cell.target)


def _host(x: Any) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def group_inputs(cell: Cell, settings: SweepSettings | dict[str, Any]) -> list[np.ndarray]:
    """The input buffers of the cell's problem: seeded by the problem key, so every cell of a group gets the same."""
    settings = SweepSettings.from_dict(settings)
    seeds = buffer_seeds(settings.seed, cell.problem_key, max(1, settings.buffers))
    positive_definite = cell.target == PD_TARGET
    return [make_matrices(cell.batch, cell.n, cell.dtype, cell.cond, s, positive_definite) for s in seeds]


def device_tensors(arrays: list[np.ndarray], device: str) -> list[tf.Tensor]:
    """Copies of ``arrays`` on ``device`` (shared by the detgrad cells of a group)."""
    with tf.device(tf_device(device)):
        return [tf.identity(tf.constant(a)) for a in arrays]


def slowdown_factor(method: str) -> float | None:
    """The injected slowdown for ``method`` from ``DETGRAD_TEST_SLOWDOWN`` (tests only), or None."""
    name, _, factor = os.environ.get(SLOWDOWN_HOOK, "").partition(":")
    return float(factor) if name == method and factor else None


def with_slowdown(
    call: Callable[[int], Any], factor: float, clock: Callable[[], float] = time.perf_counter
) -> Callable[[int], None]:
    """``call`` followed by a busy-wait of (factor - 1) x the call's own time (the test hook)."""

    def slowed(i: int) -> None:
        t0 = clock()
        call(i)
        end = clock() + (factor - 1.0) * (clock() - t0)
        while clock() < end:
            pass

    return slowed


def prepare(
    cell: Cell, settings: dict[str, Any], arrays: list[np.ndarray] | None = None, tensors: list[tf.Tensor] | None = None
) -> PreparedCell:
    """Make input buffers on the device (or reuse the group's) and the forcing call ``call(i)``."""
    arrays = group_inputs(cell, settings) if arrays is None else arrays
    buffers = len(arrays)
    factor = slowdown_factor(cell.method)
    if cell.family != "detgrad":
        prepared = prepare_peer(cell, arrays)
        if factor:
            prepared.call = with_slowdown(prepared.call, factor)
        return prepared
    gpu = cell.device.startswith("GPU")
    tensors = device_tensors(arrays, cell.device) if tensors is None else tensors
    fn = build_fn(cell)

    def call_once(i: int) -> tuple[Any, Any]:
        with tf.device(tf_device(cell.device)):
            value, grad = fn(tensors[i % buffers])
        if gpu:
            tf.test.experimental.sync_devices()
        return value, grad

    def call(i: int) -> None:
        value, grad = call_once(i)
        if not gpu:
            value.numpy()
            grad.numpy()

    return PreparedCell(cell, call_once, with_slowdown(call, factor) if factor else call, arrays, gpu)


def canary(device: str) -> Callable[[int], None]:
    """The drift reference timed in every round: eager ``matmul`` of a fixed 96 x 96 float64 matrix."""
    gpu = device.startswith("GPU")
    a = device_tensors([np.random.default_rng(96).standard_normal((CANARY_N, CANARY_N))], device)[0]

    def call(i: int) -> None:
        with tf.device(tf_device(device)):
            c = tf.linalg.matmul(a, a)
        if gpu:
            tf.test.experimental.sync_devices()
        else:
            c.numpy()

    return call


def _status_of(exc: BaseException) -> tuple[str, str]:
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    status = "oom" if isinstance(exc, (tf.errors.ResourceExhaustedError, MemoryError)) else "error"
    return status, f"{type(exc).__name__}: {first}"


def _problem(cell: Cell, settings: SweepSettings) -> str | None:
    problem = cell_problem(cell) or device_problem(cell.device)
    limit = settings.max_bytes
    need = estimated_bytes(cell, settings.buffers)
    if not problem and limit and need > limit:
        problem = f"needs about {need / 2**30:.1f} GiB > max_bytes {limit / 2**30:.1f} GiB"
    return problem


@dataclass
class _Ready:
    """A cell that passed its first call and accuracy check, waiting for the rounds."""

    index: int
    prepared: PreparedCell
    acc: Any
    fields: dict[str, Any]
    wall_s: float


def _first_call(cell: Cell, prepared: PreparedCell, fields: dict[str, Any], settings: SweepSettings) -> Any:
    if prepared.gpu:
        tf.config.experimental.reset_memory_stats(cell.device)
    trace_s, (value, grad) = time_first_call(lambda: prepared.call_once(0))
    fields["trace_s"] = trace_s
    k = max(1, settings.accuracy_sample)
    acc = check(prepared.inputs[0][:k], _host(value)[:k], _host(grad)[:k], cell.target, cell.dtype)
    fields["value_rel_err"], fields["grad_rel_err"] = acc.value_rel_err, acc.grad_rel_err
    if prepared.gpu:
        fields["peak_mem_bytes"] = int(tf.config.experimental.get_memory_info(cell.device)["peak"])
    return acc


def run_group(cells: list[Cell], settings: SweepSettings | dict[str, Any]) -> list[dict[str, Any]]:
    """Measure the cells of one problem in this process, paired (see the module docstring); one record per cell."""
    settings = SweepSettings.from_dict(settings)
    started, group_id = utc_now(), uuid.uuid4().hex[:12]
    records: list[dict[str, Any] | None] = [None] * len(cells)
    ready: list[_Ready] = []
    arrays: list[np.ndarray] | None = None
    tensors: list[tf.Tensor] | None = None
    for index, cell in enumerate(cells):
        t0, fields = time.perf_counter(), {"group_id": group_id}
        problem = _problem(cell, settings)
        if problem:
            records[index] = make_record(cell, "unsupported", problem, started=started, **fields)
            continue
        try:
            arrays = group_inputs(cell, settings) if arrays is None else arrays
            if tensors is None and cell.family == "detgrad":
                tensors = device_tensors(arrays, cell.device)
            prepared = prepare(cell, settings, arrays, tensors)
            acc = _first_call(cell, prepared, fields, settings)
        except (Exception, MemoryError) as exc:  # noqa: BLE001 - every failure becomes a status
            records[index] = make_record(cell, *_status_of(exc), started=started, wall_s=time.perf_counter() - t0, **fields)
            continue
        ready.append(_Ready(index, prepared, acc, fields, time.perf_counter() - t0))
    if ready:
        calls = [r.prepared.call for r in ready] + [canary(cells[0].device)]
        seed = zlib.crc32(cells[0].problem_key.encode()) ^ settings.seed
        t0 = time.perf_counter()
        result = measure_group(calls, TimingConfig.from_settings(settings), seed=seed, keep=len(calls) - 1)
        share = (time.perf_counter() - t0) / len(ready)
        ref = result.timings[-1]
        for j, r in enumerate(ready):
            cell, timing, exc = r.prepared.cell, result.timings[j], result.errors[j]
            wall = r.wall_s + share
            if exc is not None:
                records[r.index] = make_record(cell, *_status_of(exc), started=started, wall_s=wall, **r.fields)
                continue
            aligned = ref is not None and len(ref.samples_s) >= len(timing.samples_s)  # the canary is in every round
            fields = dict(r.fields, canary_s=list(ref.samples_s[: len(timing.samples_s)]) if aligned else [])
            records[r.index] = make_record(
                cell, r.acc.status, r.acc.reason, timing=timing, started=started, wall_s=wall, **fields
            )
    return [r for r in records if r is not None]


def run_cell(cell: Cell, settings: SweepSettings | dict[str, Any]) -> dict[str, Any]:
    """Measure one cell in this process (a group of one) and return its run-file record."""
    return run_group([cell], settings)[0]
