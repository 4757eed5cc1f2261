"""Synthetic run files for the publishing tests (no TensorFlow, deterministic).

``cell()`` builds one schema-v1 cell record with sensible defaults,
``header()`` a header, ``write_run()`` writes them as JSON Lines, and
``demo_cells()`` a whole sweep whose times follow ``c * n**3 * batch`` with
seeded noise, plus unsupported and failed cells, for charts and reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

METHOD_COST = {"lu": 1.0, "slogdet": 1.1, "inverse": 1.6, "closed": 0.5, "builtin": 2.0}
PEER_COST = {("jax", "slogdet"): 0.9, ("numpy", "det"): 1.4}


def header(run_id: str = "run-a", hostname: str = "host-a", cpu: str = "Synthetic CPU 9000", **env: Any) -> dict[str, Any]:
    """A schema-v1 header; ``env`` overrides environment entries."""
    environment = {
        "hostname": hostname,
        "cpu_model": cpu,
        "cores": 2,
        "tf_version": "2.21.0",
        "python": "3.11.2",
        "numpy": "1.26.4",
        "detgrad_version": "0.1.0",
        "git_commit": "0123456789abcdef",
        "gpus": [],
        "ceilings": {"matmul_gflops": {"float32": 100.0, "float64": 50.0}, "bandwidth_gbs": 20.0},
    }
    environment.update(env)
    return {
        "kind": "header",
        "schema": "detgrad-run",
        "schema_version": 1,
        "run_id": run_id,
        "created": "2025-01-01T00:00:00+00:00",
        "spec": {"name": "synthetic"},
        "environment": environment,
    }


def cell(samples: list[float] | None = None, **kw: Any) -> dict[str, Any]:
    """One cell record; ``samples`` (seconds per call) sets median/IQR/min."""
    rec: dict[str, Any] = {
        "kind": "cell",
        "family": "detgrad",
        "method": "lu",
        "mode": "eager",
        "target": "det",
        "n": 64,
        "batch": 1,
        "dtype": "float64",
        "device": "CPU:0",
        "threads": 2,
        "cond": 10.0,
        "status": "ok",
        "reason": None,
        "samples_s": [],
        "calls_per_sample": 1,
        "median_s": None,
        "iqr_s": None,
        "min_s": None,
        "noisy": None,
        "trace_s": None,
        "value_rel_err": 1e-15,
        "grad_rel_err": 1e-14,
        "peak_mem_bytes": None,
        "flops": None,
        "started": "2025-01-01T00:00:01+00:00",
        "wall_s": 0.1,
    }
    rec.update(kw)
    if samples is not None:
        s = np.asarray(samples, dtype=float)
        q1, q3 = np.percentile(s, [25, 75])
        rec.update(samples_s=list(map(float, s)), median_s=float(np.median(s)), iqr_s=float(q3 - q1), min_s=float(s.min()))
        rec["noisy"] = bool(rec["iqr_s"] / rec["median_s"] > 0.1)
    if rec["flops"] is None and rec["status"] == "ok":
        rec["flops"] = 2.0 * rec["n"] ** 3
    rec.setdefault("key", "/".join(str(rec[k]) for k in ("family", "method", "mode", "target", "n", "batch", "dtype", "device")))
    return rec


def write_run(path: Path, head: dict[str, Any], cells: list[dict[str, Any]]) -> Path:
    """Write a run file and return its path."""
    path = Path(path)
    with path.open("w", encoding="utf-8") as fh:
        for item in [head, *cells]:
            fh.write(json.dumps(item) + "\n")
    return path


def demo_cells(
    seed: int = 0,
    device: str = "CPU:0",
    speed: float = 1.0,
    ns: tuple[int, ...] = (4, 16, 64, 256),
    batches: tuple[int, ...] = (1, 16, 128),
    dtypes: tuple[str, ...] = ("float32", "float64"),
    modes: tuple[str, ...] = ("eager", "graph", "xla"),
) -> list[dict[str, Any]]:
    """A full synthetic sweep: detgrad methods and two peers, with failures."""
    rng = np.random.default_rng(seed)
    mode_cost = {"eager": 1.5, "graph": 1.0, "xla": 0.8}
    out = []
    combos = [("detgrad", m, c) for m, c in METHOD_COST.items()] + [(f, m, c) for (f, m), c in PEER_COST.items()]
    for family, method, cost in combos:
        for mode in modes if family == "detgrad" else ("eager",):
            for dtype in dtypes:
                for n in ns:
                    for batch in batches:
                        cond = float(10 ** (1 + (3 * ns.index(n) + batches.index(batch)) % 8))  # one per problem
                        kw = dict(family=family, method=method, mode=mode, n=n, batch=batch, dtype=dtype, device=device)
                        kw["cond"] = cond
                        if method == "closed" and n > 4:
                            out.append(cell(status="unsupported", reason="closed form only for n <= 4", **kw))
                            continue
                        if method == "inverse" and dtype == "float32" and n == 256 and batch == 128:
                            out.append(cell(status="oom", reason="ResourceExhausted", **kw))
                            continue
                        base = speed * cost * mode_cost[mode] * (2e-6 + 1e-9 * n**3 * batch) * (0.5 if dtype == "float32" else 1)
                        samples = base * (1 + 0.03 * rng.standard_normal(7))
                        trace = (0.05 + 1e-4 * n) * (3 if mode == "xla" else 1) if mode != "eager" else None
                        eps = 6e-8 if dtype == "float32" else 1e-16
                        grad_err = eps * cond * (10 if method == "inverse" else 1)
                        out.append(cell(samples=list(samples), trace_s=trace, grad_rel_err=grad_err, **kw))
    return out


def paired_run(
    seed: int,
    slow: dict[str, float] | None = None,
    methods: tuple[str, ...] = ("lu", "builtin", "inverse", "slogdet"),
    ns: tuple[int, ...] = (2, 4, 8, 32, 128),
    batches: tuple[int, ...] = (1, 64),
    rounds: int = 12,
    drift: float = 0.15,
    jitter: float = 0.03,
) -> list[dict[str, Any]]:
    """A schema-v2 run like a loaded shared machine makes it, with a known truth.

    Every problem is one group (``group_id``) with a canary.  The machine's speed while a group
    runs is log-normal (sd ``drift``: minutes-apart runs differ by about that much); each
    round has its own speed, shared by the group's cells and the canary; each sample has
    ``jitter`` noise of its own and each cell a 2 % run-level quirk.  ``slow`` maps a method to
    a true slowdown factor (1.2: 20 % slower).
    """
    rng = np.random.default_rng(seed)
    slow = slow or {}
    out = []
    for n in ns:
        for batch in batches:
            machine = np.exp(drift * rng.standard_normal())
            per_round = machine * np.exp(0.1 * rng.standard_normal(rounds))
            canary = 5e-5 * per_round * np.exp(jitter * rng.standard_normal(rounds))
            gid = f"{seed}-{n}-{batch}"
            for method in methods:
                true = METHOD_COST.get(method, 1.0) * (1e-4 + 1e-9 * n**3 * batch) * slow.get(method, 1.0)
                quirk = np.exp(0.02 * rng.standard_normal())
                samples = true * quirk * per_round * np.exp(jitter * rng.standard_normal(rounds))
                kw = dict(method=method, mode="graph", n=n, batch=batch, group_id=gid, canary_s=list(canary))
                out.append(cell(samples=list(samples), **kw))
    return out
