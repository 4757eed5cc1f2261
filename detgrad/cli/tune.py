"""``detgrad tune [--modes M,...] [--device DEV] [--threads N] [--dry-run] [--resume]``: measure, on this machine,
the paths ``auto`` chooses between and write the dispatch table it will follow here.

At each point of a grid of n x batch per mode (around the built-in table's crossovers, :data:`GRID`) and in
float32 and float64, every candidate path of that mode (``detgrad.impls.dispatch.tuned.CANDIDATES``: the paths
that pass every conformance case in it) runs as the method ``auto@<path>``, all of a point's candidates in one
group of paired, interleaved rounds (the sweep's timer).  :mod:`detgrad.publish.tuning` then keeps the built-in
choice except where another candidate is faster beyond noise in every dtype, and the changes are written as a
tuned table with the fingerprint of this configuration (device, CPU model, cores, intra-op threads, TensorFlow
and detgrad versions), by default where ``auto`` looks for it (``~/.cache/detgrad/tuned/<id>.json``).

The run file is kept (``--out``, default ``runs/tune-<id>``), so an interrupted tune continues with ``--resume``
and ``detgrad report`` can read it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from detgrad.catalog import MODES
from detgrad.errors import DetgradError

DTYPES = ("float32", "float64")
SETTINGS_PRESET = "headline"
BUDGET_S = 0.1
# the sweep's plan knows no XLA compile inside a graph: each auto@nested cell compiles its kernel (2-5 s here)
NESTED_CELL_S = 4.5
# (n values, batch values) per mode: the points measured; each mode's grid brackets its built-in crossovers
# (detgrad/impls/dispatch/auto.py): n <= 3 by batch in every mode, n = 4-8 by batch and one large matrix in a graph.
GRID: dict[str, list[tuple[tuple[int, ...], tuple[int, ...]]]] = {
    "eager": [((2, 3), (1, 64, 1024, 4096, 16384, 65536))],
    "graph": [
        ((2, 3, 4, 6, 8), (1, 16, 64, 256, 1024, 4096)),
        ((16, 32), (1, 64, 256, 1024)),
        ((64,), (1, 64)),
        ((128, 256, 512, 1024), (1,)),
    ],
    "xla": [((2, 3), (1, 16, 256, 4096, 65536))],
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "tune",
        help="measure auto's candidate paths on this machine and write the dispatch table auto follows here",
        description=(
            "Time, on this machine and device, the paths the default method chooses between, at a grid of n x batch "
            "per mode in float32 and float64 (paired, interleaved rounds), and write a tuned dispatch table that "
            "changes the built-in choice only where another path is faster beyond noise in every dtype. The default "
            "method uses the table in later processes when its fingerprint matches (DETGRAD_TUNED_TABLE=off: never)."
        ),
    )
    p.add_argument("--modes", default=",".join(MODES), metavar="M,...", help="modes to tune (default eager,graph,xla)")
    p.add_argument("--device", default="CPU:0", metavar="DEV", help="device (default CPU:0; e.g. GPU:0)")
    p.add_argument("--threads", type=int, default=0, metavar="N", help="intra-op threads (0 = TF default)")
    p.add_argument("--budget", type=float, default=BUDGET_S, metavar="S", help=f"seconds sampled per cell (default {BUDGET_S})")
    p.add_argument("--conformance", metavar="FILE", help="a `detgrad check --json` file: drop candidates failing a case there")
    p.add_argument("--out", metavar="DIR", help="run directory (default runs/tune-<fingerprint id>)")
    p.add_argument("--table", metavar="FILE", help="where to write the table (default: where auto looks for it)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out after an interruption")
    p.add_argument("--dry-run", action="store_true", help="print the number of cells and an estimated time; measure nothing")
    p.add_argument(
        "--verify",
        metavar="RUN",
        help="measure nothing: compare the default with the tuned and the built-in table in a run of the tuned-vs-builtin "
        "preset (detgrad sweep --preset tuned-vs-builtin)",
    )
    p.set_defaults(func=run)


def verify(run_path: str) -> int:
    """Print :func:`detgrad.publish.tuning.tuned_vs_builtin` for a run file or directory."""
    from detgrad.publish.aggregate import tidy
    from detgrad.publish.tuning import tuned_vs_builtin
    from detgrad.runs.reader import load_run

    header, records = load_run(run_path)
    df = tidy([(header, records)])
    if not df["method"].isin(["auto@builtin"]).any():
        raise DetgradError(f"{run_path}: no auto@builtin cells; run `detgrad sweep --preset tuned-vs-builtin` first")
    table = (header.get("environment") or {}).get("dispatch_table") or {}
    print(f"table in force for auto in that run: {json.dumps(table)}")
    lines, _ = tuned_vs_builtin(df)
    print("\n".join(lines))
    return 0


def _modes(text: str) -> list[str]:
    modes = list(dict.fromkeys(m.strip() for m in text.split(",") if m.strip()))
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise DetgradError(f"--modes {text!r}: expected a comma-separated subset of {', '.join(MODES)}")
    return modes


def grid_points(mode: str) -> list[tuple[int, int]]:
    """The (n, batch) points measured in ``mode``."""
    return [(n, b) for ns, batches in GRID[mode] for n in ns for b in batches]


def tune_spec_data(modes: list[str], device: str, threads: int, budget: float) -> dict[str, Any]:
    """The sweep spec of a tune: each mode's candidates as ``auto@<path>`` at that mode's grid points."""
    from detgrad.impls.dispatch.tuned import CANDIDATES, PATH_MAX_N
    from detgrad.sweep.spec import read_spec_data

    if budget <= 0:
        raise DetgradError(f"--budget {budget}: must be a positive number of seconds")
    paths = sorted({p for m in modes for p in CANDIDATES[m]})
    points = {m: set(grid_points(m)) for m in modes}
    ns = sorted({n for m in modes for n, _ in points[m]})
    batches = sorted({b for m in modes for _, b in points[m]})
    exclude: list[dict[str, Any]] = []
    for m in modes:
        exclude += [{"mode": m, "n": n, "batch": b} for n in ns for b in batches if (n, b) not in points[m]]
        others = [f"auto@{p}" for p in paths if p not in CANDIDATES[m]]
        if others:
            exclude.append({"mode": m, "method": others})
    exclude += [{"method": f"auto@{p}", "n_gt": limit} for p, limit in PATH_MAX_N.items() if p in paths]
    settings = dict(read_spec_data(preset=SETTINGS_PRESET)[0].get("settings", {}), budget_s=float(budget))
    return {
        "name": "tune",
        "description": f"detgrad tune --modes {','.join(modes)} --device {device} --threads {threads}",
        "settings": settings,
        "axes": {
            "method": [f"auto@{p}" for p in paths],
            "mode": modes,
            "target": ["det"],
            "n": ns,
            "batch": batches,
            "dtype": list(DTYPES),
            "device": [device],
            "threads": [threads],
        },
        "exclude": exclude,
    }


def eligible_paths(modes: list[str], conformance: str | None) -> tuple[dict[str, set[str]], list[str]]:
    """The candidates per mode, minus those failing a case of the ``detgrad check --json`` file; and why each was dropped."""
    from detgrad.conformance.versions import read_check
    from detgrad.impls.dispatch.tuned import CANDIDATES

    eligible = {m: set(CANDIDATES[m]) for m in modes}
    if not conformance:
        return eligible, []
    # the conformance suite runs each path as a method; auto's nested path is auto itself in a graph
    method_of = {"nested": "auto"}
    failed: dict[tuple[str, str], str] = {}
    for o in read_check(conformance).outcomes:
        if o.get("verdict") in ("wrong", "loud"):
            failed.setdefault((str(o.get("method")), str(o.get("mode"))), str(o.get("case", "?")))
    dropped = []
    for m in modes:
        for path in sorted(eligible[m]):
            case = failed.get((method_of.get(path, path), m))
            if case:
                eligible[m].discard(path)
                dropped.append(f"{path} in {m}: fails conformance case {case!r}")
    return eligible, dropped


def shown(path: Path) -> str:
    """``path`` as printed: relative to the working directory when under it, else with the home directory as ``~``."""
    path = Path(path).absolute()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        pass
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def write_table(path: Path, doc: dict[str, Any]) -> None:
    """Write atomically (a reader never sees half a table)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def run(args: argparse.Namespace) -> int:
    from detgrad.impls.dispatch import auto, tuned
    from detgrad.publish.tuning import decide, table_rows, verdict_lines
    from detgrad.sweep.spec import parse_spec

    if args.verify:
        return verify(args.verify)
    modes = _modes(args.modes)
    if args.threads < 0:
        raise DetgradError(f"--threads {args.threads}: expected 0 (TF default) or a positive count")
    spec = parse_spec(tune_spec_data(modes, args.device, args.threads, args.budget), "detgrad tune")
    eligible, dropped = eligible_paths(modes, args.conformance)
    if args.dry_run:
        from detgrad.sweep.plan import format_plan, make_plan

        plan = make_plan(spec.cells(), spec.settings)
        nested = sum(c.method == "auto@nested" for c in spec.cells())
        print(format_plan(replace(plan, estimate_s=plan.estimate_s + NESTED_CELL_S * nested), spec.name))
        return 0
    from detgrad.sweep.loop import Sweep
    from detgrad.sweep.measure import device_problem

    problem = device_problem(args.device)
    if problem:
        raise DetgradError(problem)
    fp = tuned.fingerprint(args.device, args.threads)
    fid = tuned.fingerprint_id(fp)
    out = Path(args.out or f"runs/tune-{fid}")
    sweep = Sweep(spec, out, resume=args.resume)
    started = time.perf_counter()
    sweep.run()
    from detgrad.runs.reader import load_run

    _, records = load_run(sweep.path)
    verdicts = decide(records, lambda m, n, b: auto.path_name(auto.pick(n, b, m, builtin_table=True)), eligible)
    rows = table_rows(verdicts)
    table = Path(args.table).expanduser() if args.table else tuned.default_path(fp)
    doc = {
        "format": tuned.FORMAT,
        "fingerprint": fp,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run": str(sweep.path.name),
        "rows": rows,
        "changes": [
            {"mode": v.mode, "n": v.n, "batch": v.batch, "builtin": v.builtin_path, "tuned": v.chosen}
            for v in verdicts
            if v.changed
        ],
        "dropped_candidates": dropped,
    }
    write_table(table, doc)
    print(f"detgrad tune: {len(records)} cells in {time.perf_counter() - started:.0f} s; run file {shown(sweep.path)}")
    for line in dropped:
        print(f"dropped candidate: {line}")
    print("\n".join(verdict_lines(verdicts)))
    changed = [v for v in verdicts if v.changed]
    print(f"\n{len(changed)} of {len(verdicts)} points change the built-in choice; {sum(len(r) for r in rows.values())} rows")
    for mode, mode_rows in rows.items():
        for r in mode_rows:
            top_n = "" if r["max_n"] is None else r["max_n"]
            top_b = "any" if r["max_batch"] is None else r["max_batch"]
            print(f"  {mode}: n {r['min_n']}..{top_n}, batch {r['min_batch']}..{top_b} -> {r['path']}")
    print(f"table written to {shown(table)} (fingerprint {fid}); auto uses it in new processes on this configuration")
    if args.table:
        print(f"it is not the default location: set {tuned.ENV_VAR}={shown(table)} to use it")
    return 0
