"""``detgrad advise --n N [--batch B] [--dtype D] [--mode M]``: what to use, from a measured run."""

from __future__ import annotations

import argparse
from pathlib import Path

from detgrad.catalog import ALL_DTYPES, MODES, TARGETS
from detgrad.errors import DetgradError

DEFAULT_RUN = Path("results") / "cpu" / "run.jsonl"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``advise`` subcommand."""
    p = subparsers.add_parser(
        "advise",
        help="answer 'what should I use for these shapes, how fast, is it singular-safe?' from a run",
        description="Looks the problem up in a run (default: the published reference run, results/cpu/run.jsonl, "
        "of a detgrad checkout) and prints the singular-safe answer, its speed against TF's builtin with the 95 % "
        "interval, and a faster unsafe method if any; the nearest measured problem when the exact one was not.",
    )
    p.add_argument("--n", type=int, required=True, help="matrix size n of the (..., n, n) input")
    p.add_argument("--batch", type=int, default=1, help="matrices per call (default 1)")
    p.add_argument("--dtype", default="float64", choices=ALL_DTYPES)
    p.add_argument(
        "--target",
        default="det",
        choices=list(TARGETS),
        help="det, log|det| via slogdet, or pd_logdet: log det of positive-definite matrices (detgrad.logdet)",
    )
    p.add_argument("--mode", choices=MODES, help="your compile mode (default: any)")
    p.add_argument("--run", type=Path, default=DEFAULT_RUN, help=f"run file or directory (default: {DEFAULT_RUN})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from detgrad.publish import aggregate
    from detgrad.publish.advise import Question, answer
    from detgrad.runs.reader import load_run

    if args.n < 1 or args.batch < 1:
        raise DetgradError(f"--n and --batch must be positive, got n = {args.n}, batch = {args.batch}")
    if not args.run.exists():
        raise DetgradError(
            f"{args.run}: no such run; run from a detgrad checkout (it ships results/cpu/run.jsonl) "
            "or pass --run with a run file from `detgrad sweep`"
        )
    head, records = load_run(args.run)
    df = aggregate.tidy([(head, records)])
    try:
        lines = answer(df, Question(args.n, args.batch, args.dtype, args.target, args.mode))
    except ValueError as exc:
        raise DetgradError(f"{args.run}: {exc}") from None
    print("\n".join(lines))
    commit = str((head.get("environment") or {}).get("git_commit") or "?")[:7]
    print(f"  (from {args.run}, measured {head.get('created', '?')} at commit {commit})")
    return 0
