"""``detgrad probe --mode MODE --points NxB,... [--methods M,...] [--dtypes ...] [--set MODULE.NAME=INT]``.

A small sweep for a few (n, batch) points: the chosen methods and TF's builtin on the same inputs,
in the sweep's worker, timed by the sweep's paired, interleaved rounds (:mod:`detgrad.sweep.timing`)
and checked for accuracy in the same run; then one line per method and point with the report's
statistic, the speedup t(builtin) / t(method) as the median of the per-round ratios with its 95 %
interval, and a verdict (faster / slower beyond noise, or within noise).  Under ``--mode xla`` the
builtin, which has no XLA kernel, is timed in a graph.  The run file is kept (``--out``), so a probe
can be resumed, reported and compared like any sweep.  This is how every crossover in ``auto``'s
dispatch table was measured (``detgrad/impls/dispatch/auto.py``).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from detgrad.catalog import ALL_DTYPES, MODES, TARGETS
from detgrad.errors import DetgradError

BASELINE = "builtin"
SETTINGS_PRESET = "headline"  # a probe times with this preset's [settings] (blocks of >= 10 ms: fewer noisy rounds)
_POINT_RE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "probe",
        help="time a few methods against the builtin at a few (n, batch) points, paired, with intervals",
        description=(
            "Time value + gradient of the given methods and TF's builtin at a few (n, batch) points in one mode, with the "
            "sweep's paired, interleaved rounds and accuracy check; print per point and method the speedup t(builtin) / "
            "t(method) (median of the per-round ratios, 95 % interval) and whether it is faster, slower or within noise. "
            "Under --mode xla the builtin runs in a graph (it has no XLA kernel). The run file stays in --out."
        ),
    )
    p.add_argument("--mode", required=True, choices=MODES, help="compile mode of the methods")
    p.add_argument("--points", required=True, metavar="NxB,...", help="(n, batch) points, e.g. 512x1,8x4096")
    p.add_argument("--methods", default="auto", metavar="M,...", help="methods to time against builtin (default: auto)")
    p.add_argument(
        "--dtypes", default="float64", metavar="D,...", help=f"dtypes (default float64; any of {', '.join(ALL_DTYPES)})"
    )
    p.add_argument(
        "--target",
        default="det",
        choices=list(TARGETS),
        help="det, log|det| via slogdet, or pd_logdet: log det of positive-definite inputs (detgrad.logdet) (default det)",
    )
    p.add_argument(
        "--budget", type=float, metavar="S", help=f"seconds sampled per cell (default: the {SETTINGS_PRESET} preset's budget_s)"
    )
    p.add_argument("--device", default="CPU:0", metavar="DEV", help="device (default CPU:0)")
    p.add_argument("--threads", type=int, default=0, metavar="N", help="intra-op threads (0 = TF default)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="MODULE.NAME=INT",
        help="set a method's integer knob for this run, e.g. blocklu_factor.UNROLL_MAX_N=16 (repeatable)",
    )
    p.add_argument("--out", metavar="DIR", help="output directory (default runs/probe-<mode>-<UTC timestamp>)")
    p.add_argument("--resume", action="store_true", help="continue DIR's run file")
    p.add_argument("--dry-run", action="store_true", help="print the number of cells and an estimated time; measure nothing")
    p.set_defaults(func=run)


def parse_points(text: str) -> list[tuple[int, int]]:
    """``"512x1,8x4096"`` -> [(512, 1), (8, 4096)]; one-line error on anything else."""
    points = []
    for item in text.split(","):
        m = _POINT_RE.match(item)
        if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
            raise DetgradError(f"bad --points item {item.strip()!r}; expected NxB with n, batch >= 1, e.g. 512x1,8x4096")
        points.append((int(m.group(1)), int(m.group(2))))
    return list(dict.fromkeys(points))


def _names(text: str) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))


def probe_spec_data(args: argparse.Namespace) -> dict[str, Any]:
    """The sweep spec (TOML-shaped dict) of a probe: the points as n x batch minus the pairs not asked for."""
    from detgrad.sweep.spec import read_spec_data

    points = parse_points(args.points)
    methods = [m for m in _names(args.methods) if m != BASELINE]
    if not methods:
        raise DetgradError("--methods: name at least one method besides builtin (builtin is always timed)")
    ns, batches = sorted({n for n, _ in points}), sorted({b for _, b in points})
    exclude: list[dict[str, Any]] = [{"n": n, "batch": b} for n in ns for b in batches if (n, b) not in points]
    modes = [args.mode]
    if args.mode == "xla":  # the builtin has no XLA kernel: its graph mode is the yardstick
        modes.append("graph")
        exclude += [{"method": BASELINE, "mode": "xla"}, {"method": methods, "mode": "graph"}]
    if args.budget is not None and args.budget <= 0:
        raise DetgradError(f"--budget {args.budget}: must be a positive number of seconds")
    settings = dict(read_spec_data(preset=SETTINGS_PRESET)[0].get("settings", {}))
    if args.budget is not None:
        settings["budget_s"] = float(args.budget)
    return {
        "name": f"probe-{args.mode}",
        "description": f"detgrad probe --mode {args.mode} --points {args.points} --methods {','.join(methods)} "
        f"--dtypes {args.dtypes} --target {args.target}",
        "settings": settings,
        "axes": {
            "method": [*methods, BASELINE],
            "mode": modes,
            "target": [args.target],
            "n": ns,
            "batch": batches,
            "dtype": _names(args.dtypes),
            "device": [args.device],
            "threads": [args.threads],
        },
        "exclude": exclude,
    }


def probe_lines(records: list[dict[str, Any]], header: dict[str, Any], mode: str) -> list[str]:
    """The probe's table: per point, dtype and method the paired speedup over builtin, interval and verdict."""
    from detgrad.publish.aggregate import tidy
    from detgrad.publish.tables import fmt_speedup, fmt_time, speedup_verdict

    df = tidy([(header, records)])
    # under XLA the builtin ran in a graph: compare with its fastest mode (tidy's *_best columns)
    col, base_col = ("speedup", "builtin_s") if mode != "xla" else ("speedup_best", "builtin_best_s")
    lines = [
        f"speedup = t(builtin{' in a graph' if mode == 'xla' else ''}) / t(method) per round, median [95 % interval] "
        "(> 1: the method is faster)",
        f"{'n':>6} {'batch':>6}  {'dtype':<10} {'method':<10} {'speedup [interval]':<24} {'verdict':<13} "
        f"{'builtin':>9} {'method':>9}",
    ]
    for _, row in df[df["method"].ne(BASELINE)].sort_values(["n", "batch", "dtype", "method"]).iterrows():
        builtin = fmt_time(row[base_col]) or "—"
        head = f"{int(row['n']):>6} {int(row['batch']):>6}  {row['dtype']:<10} {row['method']:<10} "
        if row["status"] != "ok":
            lines.append(head + f"{row['status']}: {str(row.get('reason') or '')[:80]}")
            continue
        lo, hi = row[f"{col}_lo"], row[f"{col}_hi"]
        speed = fmt_speedup(row[col], lo, hi)
        verdict = (speedup_verdict(lo, hi) or "no interval") if speed else ""  # no interval: too few paired rounds
        lines.append(head + f"{speed or 'no ok builtin':<24} {verdict:<13} {builtin:>9} {fmt_time(row['median_s']):>9}")
    return lines


def run(args: argparse.Namespace) -> int:
    from detgrad.sweep.knobs import KNOBS_ENV, parse_knobs, to_env
    from detgrad.sweep.spec import parse_spec

    data = probe_spec_data(args)
    if args.resume and not args.out:
        raise DetgradError("--resume needs --out DIR (the directory of the probe to continue)")
    knobs = parse_knobs(args.set)
    spec = parse_spec(data, "detgrad probe")
    if args.dry_run:
        from detgrad.sweep.plan import format_plan, make_plan

        print(format_plan(make_plan(spec.cells(), spec.settings), spec.name))
        return 0
    out = Path(args.out or f"runs/probe-{args.mode}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}")

    from detgrad.runs.reader import load_run
    from detgrad.sweep.loop import Sweep

    if knobs:
        os.environ[KNOBS_ENV] = to_env(knobs)  # read by the worker at start; recorded in the header
    else:
        os.environ.pop(KNOBS_ENV, None)
    sweep = Sweep(spec, out, resume=args.resume)
    started = time.perf_counter()
    sweep.run()
    header, records = load_run(sweep.path)
    print(f"detgrad probe: {args.mode}, {args.target}{', knobs ' + to_env(knobs) if knobs else ''}; "
          f"{len(records)} cells in {time.perf_counter() - started:.0f} s; run file {sweep.path}")  # fmt: skip
    print("\n".join(probe_lines(records, header, args.mode)))
    return 0
