"""Command line: ``detgrad <command> ...`` (also ``python -m detgrad``), the only layer that wires the stages.

This module is the argparse entry point (``main``, the ``detgrad`` console
script).  Each subcommand lives in ``detgrad/cli/<name>.py`` and calls the
stages in order (``check``: conformance; ``sweep`` and ``probe``: sweep -> runs ->
publish; ``merge``: runs; ``report`` / ``compare``: runs -> publish; ``env``: the sweep's
environment); ``methods_table`` regenerates the README's methods table from
the registry.  A subcommand module exposes ``register(subparsers)``, which
adds its parser and sets ``func`` to a callable ``func(args) -> int``.

Exit status, the same for every command:

* 0: success;
* 1: the input's *content* is wrong (unknown preset or method, bad spec,
  missing or unreadable file, a run with no complete cell): one line
  ``detgrad: error: ...`` on stderr, no traceback (:class:`DetgradError`);
  a command's own verdict (``check`` problems, ``compare --fail-on``) also exits 1;
* 2: a *usage* error found by argparse (unknown flag, missing argument, a
  value outside the choices): the subcommand's own usage and the error on stderr;
* 130: interrupted.

Recoverable problems in run files (:class:`~detgrad.runs.reader.RunFileWarning`,
e.g. a torn last line) are printed as one ``detgrad: warning: ...`` line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from importlib import import_module

from detgrad.errors import DetgradError

COMMANDS = ("advise", "check", "sweep", "probe", "tune", "merge", "report", "compare", "versions", "env")


def version() -> str:
    """The installed distribution's version, or ``detgrad.__version__`` when running from a checkout."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("detgrad")
    except PackageNotFoundError:
        import detgrad

        return detgrad.__version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="detgrad", description="Determinant gradients in TensorFlow: check, benchmark, report.")
    parser.add_argument("--version", action="version", version=f"detgrad {version()}")
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


def _parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``; arguments left over are reported by the subcommand's parser (its usage, exit 2)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        owner = sub.choices.get(getattr(args, "command", None) or "", parser)
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001 - warnings API
    print(f"detgrad: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from detgrad.runs.reader import RunFileWarning

    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # --help / --version (0) or a usage error (2), already printed by argparse
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", RunFileWarning)
            warnings.showwarning = _one_line_warning
            return int(args.func(args) or 0)
    except DetgradError as exc:
        print(f"detgrad: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("detgrad: interrupted; results written so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
