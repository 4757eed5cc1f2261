"""Command line: ``detgrad <command> ...`` (also ``python -m detgrad``), the only layer that wires the stages.

This module is the argparse entry point (``main``, the ``detgrad`` console
script).  Each subcommand lives in ``detgrad/cli/<name>.py`` and calls the
stages in order (``check``: conformance; ``sweep``: sweep -> runs ->
publish; ``report`` / ``compare``: runs -> publish; ``env``: the sweep's
environment); ``methods_table`` regenerates the README's methods table from
the registry.  A subcommand module exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
callable ``func(args) -> int``.  User mistakes raise :class:`DetgradError`;
they are printed as one line on stderr with exit status 1, no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from detgrad.errors import DetgradError

COMMANDS = ("check", "sweep", "report", "compare", "env")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="detgrad", description="Determinant gradients in TensorFlow: check, benchmark, report.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = import_module(f"detgrad.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"detgrad.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except DetgradError as exc:
        print(f"detgrad: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("detgrad: interrupted; results written so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
