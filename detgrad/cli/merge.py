"""``detgrad merge SHARD... [--out FILE] [--partial]``: the shard files of a sweep -> one run file."""

from __future__ import annotations

import argparse
from pathlib import Path

from detgrad.errors import DetgradError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``merge`` subcommand."""
    p = subparsers.add_parser(
        "merge",
        help="merge the shard files of a sweep (detgrad sweep --shard K/N) into one run file",
        description="Merge the shard files of one sweep (run.shard-K-of-N.jsonl, written by detgrad sweep --shard K/N) "
        "into one run file for detgrad report, compare and advise. A shard without a file, or one that stopped "
        "before its last cell, is an error that names it (finish it with detgrad sweep ... --shard K/N --resume), "
        "unless --partial.",
    )
    p.add_argument(
        "runs",
        nargs="+",
        metavar="SHARD",
        help="shard files, or a run directory (detgrad sweep --out DIR) standing for all its shard files",
    )
    p.add_argument("--out", metavar="FILE", help="the merged run file (default, for one directory DIR: DIR/run.jsonl)")
    p.add_argument(
        "--partial",
        action="store_true",
        help="merge what is there even if shards are missing or unfinished (the gaps are warned about and kept in the header)",
    )
    p.set_defaults(func=run)


def _inputs(args: argparse.Namespace) -> tuple[list[Path], Path]:
    from detgrad.runs.merge import shard_files
    from detgrad.runs.schema import SHARD_FILES, run_file_name

    paths: list[Path] = []
    for text in args.runs:
        path = Path(text)
        if path.is_dir():
            found = shard_files(path)
            if not found:
                raise DetgradError(f"{path}: no shard files ({SHARD_FILES}) in this directory")
            paths.extend(found)
        else:
            paths.append(path)
    if args.out:
        return paths, Path(args.out)
    if len(args.runs) == 1 and Path(args.runs[0]).is_dir():
        return paths, Path(args.runs[0]) / run_file_name()
    raise DetgradError("give --out FILE for the merged run file (only a single run directory has a default, DIR/run.jsonl)")


def run(args: argparse.Namespace) -> int:
    """Merge the shards (refusing an incomplete set unless --partial); print what was written."""
    from detgrad.runs.merge import merge_runs
    from detgrad.runs.reader import load_run

    paths, out = _inputs(args)
    if out.resolve() in {p.resolve() for p in paths}:
        raise DetgradError(f"--out {out} is one of the files to merge; choose another file")
    merged = merge_runs(paths, out, partial=args.partial)
    _, records = load_run(merged)
    files = f"{len(paths)} file" + ("s" if len(paths) != 1 else "")
    print(f"merged {files}, {len(records)} cells: {merged}")
    return 0
