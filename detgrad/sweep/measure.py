"""Run one cell in this process: inputs -> first call -> accuracy -> timing -> record.

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
on GPU; it is n/a (None) on CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from detgrad.impls.registry import get_method
from detgrad.runs.schema import Cell, make_record, utc_now
from detgrad.sweep import peers
from detgrad.sweep.accuracy import check
from detgrad.sweep.inputs import buffer_seeds, estimated_bytes, make_matrices
from detgrad.sweep.timing import Timing, TimingConfig, measure, time_first_call


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
    """The value + gradient function for the cell's method, target and mode."""
    method = get_method(cell.method)

    def value_and_grad(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            tape.watch(a)
            if cell.target == "det":
                value = method.det(a)
                loss = tf.reduce_sum(tf.math.real(value))
            else:
                _, value = method.slogdet(a)
                loss = tf.reduce_sum(value)
        return value, tape.gradient(loss, a)

    if cell.mode == "eager":
        return value_and_grad
    return tf.function(value_and_grad, jit_compile=(cell.mode == "xla"), reduce_retracing=False)


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
    return get_method(cell.method).support_problem(cell.n, cell.dtype, cell.mode)


def _host(x: Any) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def prepare(cell: Cell, settings: dict[str, Any]) -> PreparedCell:
    """Make input buffers on the device and the forcing call ``call(i)``."""
    buffers = max(1, int(settings.get("buffers", 4)))
    seeds = buffer_seeds(int(settings.get("seed", 0)), cell.key, buffers)
    arrays = [make_matrices(cell.batch, cell.n, cell.dtype, cell.cond, s) for s in seeds]
    if cell.family != "detgrad":
        return prepare_peer(cell, arrays)
    gpu = cell.device.startswith("GPU")
    with tf.device(tf_device(cell.device)):
        tensors = [tf.identity(tf.constant(a)) for a in arrays]
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

    return PreparedCell(cell, call_once, call, arrays, gpu)


def _status_of(exc: BaseException) -> tuple[str, str]:
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    status = "oom" if isinstance(exc, (tf.errors.ResourceExhaustedError, MemoryError)) else "error"
    return status, f"{type(exc).__name__}: {first}"


def run_cell(cell: Cell, settings: dict[str, Any]) -> dict[str, Any]:
    """Measure one cell in this process and return its run-file record."""
    started, t0 = utc_now(), time.perf_counter()
    fields: dict[str, Any] = {}

    def done(status: str, reason: str | None = None, timing: Timing | None = None) -> dict[str, Any]:
        return make_record(cell, status, reason, timing=timing, started=started, wall_s=time.perf_counter() - t0, **fields)

    problem = cell_problem(cell) or device_problem(cell.device)
    limit = int(settings.get("max_bytes") or 0)
    need = estimated_bytes(cell, int(settings.get("buffers", 4)))
    if not problem and limit and need > limit:
        problem = f"needs about {need / 2**30:.1f} GiB > max_bytes {limit / 2**30:.1f} GiB"
    if problem:
        return done("unsupported", problem)
    try:
        prepared = prepare(cell, settings)
        if prepared.gpu:
            tf.config.experimental.reset_memory_stats(cell.device)
        trace_s, (value, grad) = time_first_call(lambda: prepared.call_once(0))
        fields["trace_s"] = trace_s
        k = max(1, int(settings.get("accuracy_sample", 4)))
        acc = check(prepared.inputs[0][:k], _host(value)[:k], _host(grad)[:k], cell.target, cell.dtype)
        del value, grad
        fields["value_rel_err"], fields["grad_rel_err"] = acc.value_rel_err, acc.grad_rel_err
        timing = measure(prepared.call, TimingConfig.from_settings(settings))
        if prepared.gpu:
            fields["peak_mem_bytes"] = int(tf.config.experimental.get_memory_info(cell.device)["peak"])
    except (Exception, MemoryError) as exc:  # noqa: BLE001 - every failure becomes a status
        return done(*_status_of(exc))
    return done(acc.status, acc.reason, timing)
