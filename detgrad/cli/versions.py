"""``detgrad versions CHECK.json... [--runs RUN...] [--out DIR]``: conformance and cost across TensorFlow versions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from detgrad.catalog import DEFAULT_METHOD
from detgrad.errors import DetgradError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``versions`` subcommand."""
    p = subparsers.add_parser(
        "versions",
        help="line up `detgrad check --json` files (and sweeps) made under different TensorFlow versions",
        description="Each CHECK file is the JSON of one `detgrad check` run under one TensorFlow version.  Prints, per "
        "version, where METHOD (default: the builtin) is wrong or raises, and whether the default passes; with --runs "
        "(one sweep per version, each timing auto and builtin side by side) also the default's speedup over the builtin "
        "per version.  With --out, writes DIR/README.md and the chart DIR/speedup_by_version.png/.svg.",
    )
    p.add_argument("checks", nargs="+", metavar="CHECK", help="`detgrad check --json` files, one per TensorFlow version")
    p.add_argument("--method", default="builtin", help="the method whose conformance is tabled (default: builtin)")
    p.add_argument("--runs", nargs="+", metavar="RUN", default=[], help="sweep run files, one per TensorFlow version")
    p.add_argument("--out", metavar="DIR", help="write DIR/README.md and the chart")
    p.set_defaults(func=run)


def _default_lines(checks, default: str) -> list[str]:
    from detgrad.conformance.versions import version_matrix

    if not all(any(o["method"] == default for o in c.outcomes) for c in checks if c.outcomes):
        checked = [c.tf_version for c in checks if any(o["method"] == default for o in c.outcomes)]
        if not checked:
            return []
        checks = [c for c in checks if c.tf_version in checked]
    versions, rows = version_matrix(checks, default)
    lines = []
    for version in versions:
        verdicts = [r["verdicts"][version] for r in rows if version in r["verdicts"]]
        bad = sum(v[0] in ("wrong", "loud") for v in verdicts)
        passed = sum(v[0] == "pass" for v in verdicts)
        state = "passes every case it ran" if not bad else f"fails {bad} case(s)"
        lines.append(f"- TF {version}: the default (`{default}`) {state} ({passed} of {len(verdicts)} pass in every mode)")
    return lines


def _conformance_section(checks, method: str, default: str) -> list[str]:
    from detgrad.conformance.versions import failure_summary, markdown_table, version_matrix

    versions, rows = version_matrix(checks, method)
    cases = len(rows)
    modes = sorted({o["mode"] for c in checks for o in c.outcomes if o["method"] == method})
    ran = sorted({o["mode"] for c in checks for o in c.outcomes if o["method"] == method and o["verdict"] != "n/a"})
    never = [m for m in modes if m not in ran]
    lines = [
        f"## `{method}` per TensorFlow version",
        "",
        f"{cases} conformance cases × {len(ran)} modes ({', '.join(ran)}) under TF {', '.join(versions)}; a cell is the "
        "worst verdict over the modes (**WRONG** > raises/nan > pass), with the modes named when not all of them."
        + (f"  `{method}` cannot run under {', '.join(never)} (n/a in every case there)." if never else ""),
        "",
        *(failure_summary(versions, rows) or [f"- `{method}` passes every case under every version."]),
        "",
        *markdown_table(checks, method),
        "",
    ]
    default_lines = _default_lines(checks, default)
    if default_lines and method != default:
        lines += ["### The default under the same versions", "", *default_lines, ""]
    return lines


def _cost_section(run_paths: list[str], out: Path | None) -> list[str]:
    from detgrad.publish.aggregate import tidy
    from detgrad.publish.tables import to_markdown
    from detgrad.publish.versions import median_lines, side_by_side, speedups_by_version, version_of
    from detgrad.runs.reader import load_run

    frames = {}
    for path in run_paths:
        run = load_run(path)
        version = version_of(run[0])
        if version in frames:
            raise DetgradError(f"{path}: a second run under TensorFlow {version}; give one run per version")
        frames[version] = tidy([run])
    versions = sorted(frames, key=lambda v: tuple(int(p) if p.isdigit() else p for p in v.split(".")))
    speed = speedups_by_version(frames)
    if speed.empty:
        raise DetgradError("the runs have no problem where both auto and builtin were measured and right")
    lines = [
        "## What the default costs per TensorFlow version",
        "",
        "Speedup = t(builtin) / t(auto), value + gradient, each measured side by side in one run (interleaved rounds; "
        "[95 % interval]); > 1: the default is faster.  XLA rows compare with the builtin's fastest mode.  "
        "The runs are different moments of a shared machine: compare the speedups, not absolute times "
        "(`detgrad compare OLD NEW --mode absolute` gives those with a run-to-run floor).",
        "",
        *median_lines(speed, versions),
        "",
    ]
    if out is not None:
        from detgrad.publish.charts.style import save
        from detgrad.publish.charts.versions import speedup_by_version

        for target in sorted(speed["target"].unique()):
            stem = "speedup_by_version" if target == "det" else f"speedup_by_version_{target}"
            save(speedup_by_version(speed, versions, target=target), out, stem)
            lines += [f"![auto vs builtin per TensorFlow version, {target}]({stem}.png)", ""]
    lines += [to_markdown(side_by_side(speed, versions)), ""]
    return lines


def run(args: argparse.Namespace) -> int:
    """Read the check files (and runs), print or write the Markdown page."""
    from detgrad.conformance.versions import read_check

    checks = [read_check(path) for path in args.checks]
    default = DEFAULT_METHOD
    out = Path(args.out) if args.out else None
    versions = sorted({c.tf_version for c in checks})
    lines = [
        f"# detgrad across TensorFlow {', '.join(versions)}",
        "",
        "Generated by `detgrad versions` from `detgrad check --json` files"
        + (" and sweep runs" if args.runs else "")
        + ", one per TensorFlow version (how: [docs/tf-versions.md](../../docs/tf-versions.md)).",
        "",
        *_conformance_section(checks, args.method, default),
    ]
    if args.runs:
        lines += _cost_section(args.runs, out)
    text = "\n".join(lines).rstrip() + "\n"
    if out is None:
        sys.stdout.write(text)
        return 0
    out.mkdir(parents=True, exist_ok=True)
    (out / "README.md").write_text(text, encoding="utf-8")
    print(f"written: {out / 'README.md'}")
    return 0
