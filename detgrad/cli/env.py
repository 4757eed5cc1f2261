"""``detgrad env [--json] [--no-ceilings]``: print the environment a run would record."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "env",
        help="print machine, TensorFlow, devices and measured matmul/bandwidth ceilings",
        description="Print the environment recorded in a run file's header (CPU, cores, threads, TF build, GPUs, ceilings).",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of key: value lines")
    p.add_argument("--no-ceilings", action="store_true", help="skip the ~1 s matmul and bandwidth measurement")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from detgrad.sweep.environment import collect, format_environment

    env = collect(ceilings=not args.no_ceilings)
    print(json.dumps(env, indent=2) if args.json else format_environment(env))
    return 0
