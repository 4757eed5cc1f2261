"""The environment of a run: machine, software, devices and measured ceilings.

``collect(ceilings=True)`` returns a JSON-able dict (the run-file header's
``environment``).  Ceilings let tables show % of peak:

    matmul_gflops[dtype] = 2·m³ / t / 1e9   for tf.matmul of two m x m matrices
                           (m = 1024 for float32, 768 for float64; best of a
                           few repeats inside ~0.5 s)
    bandwidth_gbs        = 2·bytes / t / 1e9 for a numpy copy of a 256 MiB
                           float64 array (read + write), best of 3

GPU peak memory per cell is measured elsewhere (n/a on CPU).  Environment
variables such as OPENBLAS_CORETYPE are only recorded, never changed.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from detgrad.impls.dispatch.tuned import cpu_model

ENV_VARS = (
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_XLA_FLAGS",
    "XLA_FLAGS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "CUDA_VISIBLE_DEVICES",
)


def git_commit() -> str | None:
    """HEAD commit of the checkout detgrad is imported from, or None."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def bandwidth_gbs(nbytes: int = 256 * 2**20, repeats: int = 3) -> float:
    """Memory bandwidth from a numpy copy (read + write bytes / best time)."""
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2 * nbytes / best / 1e9


def matmul_gflops(dtype: str, m: int, budget_s: float = 0.25) -> float:
    """Best tf.matmul rate (GFLOP/s) for m x m by m x m in ``dtype``."""
    import tensorflow as tf

    a = tf.random.normal((m, m), dtype=dtype)
    tf.matmul(a, a).numpy()
    best, t_end = float("inf"), time.perf_counter() + budget_s
    while True:
        t0 = time.perf_counter()
        tf.matmul(a, a).numpy()
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() > t_end:
            break
    return 2.0 * m**3 / best / 1e9


def _gpus(tf: Any) -> list[dict[str, Any]]:
    out = []
    for dev in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(dev)
        except Exception:  # noqa: BLE001
            details = {}
        info = {"name": dev.name, "details": {k: str(v) if not isinstance(v, (int, float)) else v for k, v in details.items()}}
        try:
            idx = dev.name.rsplit(":", 1)[1]
            info["memory_info"] = tf.config.experimental.get_memory_info(f"GPU:{idx}")
        except Exception:  # noqa: BLE001 - not initialized / not supported
            pass
        out.append(info)
    return out


def collect(ceilings: bool = True) -> dict[str, Any]:
    """Everything a reader needs to interpret the timings (see module docstring)."""
    import tensorflow as tf

    import detgrad
    from detgrad.impls.dispatch import tuned

    build = {}
    try:
        build = {k: str(v) for k, v in tf.sysconfig.get_build_info().items()}
    except Exception:  # noqa: BLE001
        pass
    env: dict[str, Any] = {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count() or 0,
        "affinity_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        "tf_version": tf.__version__,
        "tf_build_info": build,
        "cuda_version": build.get("cuda_version"),
        "cudnn_version": build.get("cudnn_version"),
        "env": {k: os.environ.get(k) for k in ENV_VARS},
        "python": platform.python_version(),
        "python_executable_name": Path(sys.executable).name,
        "numpy": np.__version__,
        "detgrad_version": detgrad.__version__,
        "git_commit": git_commit(),
        "gpus": _gpus(tf),
        "logical_devices": [d.name for d in tf.config.list_logical_devices()],
        "ceilings": None,
        # the dispatch table the default method follows in this process (built-in, or tuned by `detgrad tune`)
        "dispatch_table": tuned.active().info,
    }
    if ceilings:
        env["ceilings"] = {
            "matmul_gflops": {"float32": matmul_gflops("float32", 1024), "float64": matmul_gflops("float64", 768)},
            "bandwidth_gbs": bandwidth_gbs(),
            "device": "CPU:0",
        }
    return env


def format_environment(env: dict[str, Any]) -> str:
    """Human-readable ``key: value`` lines (nested dicts indented)."""
    lines = []
    for key, value in env.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {k}: {v}" for k, v in value.items())
        else:
            lines.append(f"{key}: {value}")
    return "\n".join(lines)
