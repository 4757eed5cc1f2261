"""``detgrad check``: the conformance matrix (method x mode x case)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from detgrad.errors import DetgradError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="run the conformance cases for every method and mode, print the error matrix")
    p.add_argument("--methods", help="comma-separated methods (default: all)")
    p.add_argument("--modes", help="comma-separated modes among eager,graph,xla (default: all)")
    p.add_argument("--cases", help="only cases whose name contains this text")
    p.add_argument("--markdown", type=Path, help="also write the matrix as Markdown to this file")
    p.add_argument("--json", type=Path, help="also write every outcome as JSON to this file")
    p.set_defaults(func=run)


def _pick(text: str | None, valid: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not text:
        return valid
    chosen = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = [t for t in chosen if t not in valid]
    if unknown:
        raise DetgradError(f"unknown {what} {', '.join(map(repr, unknown))}; valid: {', '.join(valid)}")
    return chosen


def _progress(done: int, total: int, label: str) -> None:
    if not sys.stderr.isatty():
        if done == total or done % 25 == 0:
            print(f"check: {done}/{total} cells", file=sys.stderr, flush=True)
        return
    print(f"\r\033[Kcheck: {done}/{total}  {label[:70]}", end="" if done < total else "\n", file=sys.stderr, flush=True)


def verdict_problems(outcomes, default_method: str) -> list[str]:
    """The correctness rule: default passes everything; no other non-builtin method is silently wrong."""
    problems = []
    for o in outcomes:
        if o.method == default_method and o.verdict != "pass":
            problems.append(f"default method {o.method!r} is {o.verdict} on {o.case!r} ({o.mode})")
        elif o.method != "builtin" and o.verdict == "wrong":
            problems.append(f"method {o.method!r} is silently wrong on {o.case!r} ({o.mode}): error {o.error:.1e}")
    return problems


def run(args: argparse.Namespace) -> int:
    from detgrad.cases import CASES
    from detgrad.check_render import render_markdown, render_text
    from detgrad.conformance import MODES, run_matrix
    from detgrad.impls.registry import DEFAULT_METHOD, METHODS

    methods = _pick(args.methods, METHODS, "method")
    modes = _pick(args.modes, MODES, "mode")
    cases = [c for c in CASES if not args.cases or args.cases.lower() in c.name.lower()]
    if not cases:
        raise DetgradError(f"no case name contains {args.cases!r}; run 'detgrad check' without --cases to see them all")
    started = time.perf_counter()
    outcomes = run_matrix(methods, modes, cases, progress=_progress)
    print(render_text(outcomes))
    problems = verdict_problems(outcomes, DEFAULT_METHOD)
    print(f"\n{len(outcomes)} cells in {time.perf_counter() - started:.0f} s.", end=" ")
    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems:
            print(f"  - {p}")
    else:
        print(f"Default method {DEFAULT_METHOD!r} passes every case run; no method except builtin is silently wrong.")
    if args.markdown:
        args.markdown.write_text(render_markdown(outcomes))
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1))
    return 1 if problems else 0
