"""``detgrad report RUN... --out DIR [--html]``: Markdown report with tables and charts from run files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from detgrad.errors import DetgradError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report",
        help="write a Markdown report (tables + charts) from run files",
        description="Write DIR/README.md with the environment, headline and recommendation tables, every chart "
        "(PNG + SVG in DIR/charts) and the conformance matrix; tables also as CSV/Markdown in DIR/tables.  "
        "With --html, also DIR/report.html: the same report in one file, charts inline.",
    )
    p.add_argument(
        "runs", nargs="+", metavar="RUN", help="run files (.jsonl) written by `detgrad sweep`, or their run directories"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    p.add_argument("--check", metavar="FILE", help="Markdown/text output of `detgrad check` to embed as the conformance matrix")
    p.add_argument("--title", default="detgrad benchmark report", help="report title")
    p.add_argument("--format", dest="formats", default="png,svg", help="chart formats, comma-separated (default: png,svg)")
    p.add_argument(
        "--html",
        action="store_true",
        help="also write DIR/report.html: the same report as one self-contained file to attach or host "
        "(charts inline as SVG, or PNG without svg in --format; no network needed to view it)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the runs, write the report, print where it is."""
    from detgrad.publish.report import build_report
    from detgrad.runs.reader import load_run

    check = None
    if args.check:
        try:
            check = Path(args.check).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DetgradError(f"{args.check}: cannot read --check file ({type(exc).__name__})") from None
    formats = tuple(f.strip().lower() for f in args.formats.split(",") if f.strip())
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        raise DetgradError(f"bad --format {args.formats!r}; choose from png, svg, pdf")
    if args.html and not {"svg", "png"} & set(formats):
        raise DetgradError(f"--html inlines the charts as SVG or PNG; add svg to --format {args.formats!r}")
    runs = [load_run(p) for p in args.runs]  # a torn last line: one warning line on stderr (see detgrad.cli.main)
    empty = [path for path, (_, records) in zip(args.runs, runs, strict=True) if not records]
    if len(empty) == len(runs):
        what = empty[0] if len(empty) == 1 else f"{len(empty)} run files"
        raise DetgradError(
            f"{what}: no complete cell in the run (header only, or stopped before a cell finished); nothing to report"
        )
    for path in empty:
        print(f"detgrad: warning: {path}: no complete cell in the run; left out of the report", file=sys.stderr)
    runs = [run for run in runs if run[1]]
    readme = build_report(runs, args.out, check_markdown=check, title=args.title, formats=formats)
    print(f"report written: {readme}")
    if args.html:
        from detgrad.publish.html_report import write_html

        page = write_html(readme)
        print(f"one-file HTML report: {page} ({page.stat().st_size / 1e6:.1f} MB)")
    return 0
