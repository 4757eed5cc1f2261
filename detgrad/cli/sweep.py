"""``detgrad sweep [--preset NAME | SPEC.toml] [--out DIR] [--resume] [--shard K/N] [--device DEV ...] [--dry-run]``."""

from __future__ import annotations

import argparse
import dataclasses
import time
from datetime import datetime, timezone
from pathlib import Path

from detgrad.errors import DetgradError
from detgrad.sweep.spec import SweepSpec, list_presets, parse_shard, parse_spec, read_spec_data


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="time and check every cell of a sweep spec; write a run file",
        description=(
            "Measure every cell (method x mode x target x n x batch x dtype x device x threads x cond) of a sweep spec. "
            "Writes DIR/run.jsonl (DIR/run.shard-K-of-N.jsonl with --shard), appending a record as each cell finishes, "
            "and ends with a short summary (status counts, the top recommendations, where the files are). "
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
    p.add_argument("--threads", action="append", metavar="N", help="override the threads axis (intra-op threads, 0 = TF default)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the number of cells, how many are unsupported up front and an estimated time; measure and write nothing",
    )
    p.add_argument(
        "--report",
        action="store_true",
        help="after the sweep, write the report (tables, charts, README.md; report.html: all of it in one file) into DIR/report",
    )
    p.add_argument(
        "--check",
        metavar="FILE",
        help="with --report: a saved conformance matrix (detgrad check --markdown FILE) to embed",
    )
    p.add_argument("--table", action="store_true", help="also print the full per-cell table at the end (it is in the report too)")
    p.set_defaults(func=run)


def _threads(values: list[str]) -> tuple[int, ...]:
    out = []
    for item in values:
        for text in item.split(","):
            if not text.strip().isdigit():
                raise DetgradError(f"bad --threads {text.strip()!r}; expected a non-negative integer such as 2 (0 = TF default)")
            out.append(int(text))
    return tuple(dict.fromkeys(out))


def _spec(data: dict, src: str, args: argparse.Namespace) -> SweepSpec:
    spec = parse_spec(data, src)
    if args.device:
        spec = spec.with_devices([d for item in args.device for d in item.split(",") if d.strip()])
    if args.threads:
        spec = dataclasses.replace(spec, axes={**spec.axes, "threads": _threads(args.threads)})
    return spec


def _dry_run(data: dict, src: str, args: argparse.Namespace, shard: tuple[int, int] | None, out: Path | None) -> int:
    from detgrad.runs.reader import completed_keys
    from detgrad.runs.schema import run_file_name
    from detgrad.sweep.plan import format_plan, make_plan
    from detgrad.sweep.spec import shard_cells

    spec = _spec(data, src, args)
    cells = shard_cells(spec.cells(), *shard) if shard else spec.cells()
    run_file = out / run_file_name(shard) if out else None
    done = completed_keys(run_file) if args.resume and run_file and run_file.exists() else set()
    print(format_plan(make_plan(cells, spec.settings, done), spec.name))
    return 0


def run(args: argparse.Namespace) -> int:
    if args.spec and args.preset:
        raise DetgradError("give either --preset NAME or SPEC.toml, not both")
    data, src = read_spec_data(path=args.spec, preset=args.preset)
    shard = parse_shard(args.shard) if args.shard else None
    if args.resume and not args.out:
        raise DetgradError("--resume needs --out DIR (the directory of the run to continue)")
    if args.threads:
        _threads(args.threads)  # a bad value is a one-line error before any worker starts
    if args.check and not Path(args.check).is_file():
        raise DetgradError(f"--check {args.check}: file not found (write one with detgrad check --markdown FILE)")
    if args.dry_run:
        return _dry_run(data, src, args, shard, Path(args.out) if args.out else None)
    name = str(data.get("name") or Path(src).stem)
    out = Path(args.out or f"runs/{name}-{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}")

    from detgrad.runs.schema import run_file_name
    from detgrad.sweep.loop import Sweep, start_worker_early

    if (out / run_file_name(shard)).exists() and not args.resume:
        raise DetgradError(f"{out / run_file_name(shard)} already exists; pass --resume to continue it or choose another --out")
    fresh_dir = not out.exists()
    # The worker imports TensorFlow while this process validates the spec (which imports it too).
    worker = None if args.threads else start_worker_early(data, out, shard)
    try:
        spec = _spec(data, src, args)
        sweep = Sweep(spec, out, resume=args.resume, shard=shard, worker=worker)
    except BaseException:
        if worker is not None:
            worker.kill()
            if fresh_dir:
                worker.log_path.unlink(missing_ok=True)
                if not any(out.iterdir()):
                    out.rmdir()
        raise
    started = time.perf_counter()
    records = sweep.run()
    elapsed = time.perf_counter() - started
    return _finish(args, sweep.path, out, records, elapsed)


def _finish(args: argparse.Namespace, run_path: Path, out: Path, records: list, elapsed: float) -> int:
    """Print the summary (and the full table with --table); write the report with --report."""
    from detgrad.publish.aggregate import tidy
    from detgrad.publish.summary import sweep_summary
    from detgrad.runs.reader import load_run
    from detgrad.sweep.progress import format_summary

    runs = [load_run(run_path)]
    readme = page = None
    if args.report:
        from detgrad.publish.html_report import write_html
        from detgrad.publish.report import build_report

        check_md = Path(args.check).read_text(encoding="utf-8") if args.check else None
        readme = build_report(runs, out / "report", check_markdown=check_md)
        page = write_html(readme)
    if args.table:
        print(format_summary(records) + "\n")
    print(sweep_summary(tidy(runs), run_path, readme, elapsed, html_path=page))
    return 0
