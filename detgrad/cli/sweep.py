"""``detgrad sweep [--preset NAME | SPEC.toml] [--out DIR] [--resume] [--shard K/N] [--device DEV ...]``."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from detgrad.sweep.spec import list_presets, parse_shard, parse_spec, read_spec_data


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="time and check every cell of a sweep spec; write a run file",
        description=(
            "Measure every cell (method x mode x target x n x batch x dtype x device x threads x cond) of a sweep spec. "
            "Writes DIR/run.jsonl (DIR/run.shard-K-of-N.jsonl with --shard), appending a record as each cell finishes. "
            f"Packaged presets: {', '.join(list_presets())}."
        ),
    )
    p.add_argument("spec", nargs="?", metavar="SPEC.toml", help="a sweep spec file (see detgrad/presets/*.toml)")
    p.add_argument("--preset", metavar="NAME", help=f"a packaged spec instead of a file: {', '.join(list_presets())}")
    p.add_argument("--out", metavar="DIR", help="output directory (default runs/<spec name>-<UTC timestamp>)")
    p.add_argument("--resume", action="store_true", help="continue DIR's run file, skipping cells that already have a record")
    p.add_argument("--shard", metavar="K/N", help="run only shard K of N (1-based); the N shards cover every cell once")
    p.add_argument(
        "--device",
        action="append",
        metavar="DEV",
        help="override the device axis, e.g. --device CPU:0 --device GPU:0 (or CPU:0,GPU:0)",
    )
    p.add_argument(
        "--report",
        action="store_true",
        help="after the sweep, write the report (tables, charts, README.md) into DIR/report",
    )
    p.add_argument(
        "--check",
        metavar="FILE",
        help="with --report: a saved conformance matrix (detgrad check --markdown FILE) to embed",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from detgrad.errors import DetgradError

    if args.spec and args.preset:
        raise DetgradError("give either --preset NAME or SPEC.toml, not both")
    data, src = read_spec_data(path=args.spec, preset=args.preset)
    shard = parse_shard(args.shard) if args.shard else None
    if args.resume and not args.out:
        raise DetgradError("--resume needs --out DIR (the directory of the run to continue)")
    name = str(data.get("name") or Path(src).stem)
    out = Path(args.out or f"runs/{name}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}")

    from detgrad.sweep.loop import Sweep, run_file_name, start_worker_early
    from detgrad.sweep.progress import format_summary

    if (out / run_file_name(shard)).exists() and not args.resume:
        raise DetgradError(f"{out / run_file_name(shard)} already exists; pass --resume to continue it or choose another --out")
    fresh_dir = not out.exists()
    # The worker imports TensorFlow while this process validates the spec (which imports it too).
    worker = start_worker_early(data, out)
    try:
        spec = parse_spec(data, src)
        if args.device:
            spec = spec.with_devices([d for item in args.device for d in item.split(",") if d.strip()])
        sweep = Sweep(spec, out, resume=args.resume, shard=shard, worker=worker)
    except BaseException:
        if worker is not None:
            worker.kill()
            if fresh_dir:
                worker.log_path.unlink(missing_ok=True)
                if not any(out.iterdir()):
                    out.rmdir()
        raise
    records = sweep.run()
    print(format_summary(records))
    print(f"\nrun file: {sweep.path}")
    if args.report:
        from detgrad.publish.report import build_report
        from detgrad.runs.reader import load_run

        check_md = Path(args.check).read_text() if args.check and Path(args.check).is_file() else None
        readme = build_report([load_run(sweep.path)], out / "report", check_markdown=check_md)
        print(f"report: {readme}")
    return 0
