"""``detgrad compare BASE NEW``: per-cell time changes with intervals that include run-to-run variation, or device vs device."""

from __future__ import annotations

import argparse
import sys
import warnings

from detgrad.errors import DetgradError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    p = subparsers.add_parser(
        "compare",
        help="compare two runs cell by cell (regressions, or one device against another)",
        description="Match the cells of BASE and NEW and report each cell's change NEW/BASE - 1 of its median time with "
        "a 95%% interval combining the spread over rounds inside each run and a run-to-run floor estimated from all "
        "matched cells.  By default each cell's change is taken relative to the other methods timed in the same rounds "
        "(drift correction); cells whose interval excludes 0 are slower or faster, the rest not significant.  Each "
        "method's cells are then pooled (change relative to the other methods of the same group, median over its "
        "cells, order-statistic interval).",
    )
    p.add_argument("base", metavar="BASE", help="baseline run file (or its run directory)")
    p.add_argument("new", metavar="NEW", help="new run file (may be the same file as BASE with --by device)")
    p.add_argument("--by", choices=["device"], help="match cells on every axis except this one (device comparison)")
    p.add_argument("--base-device", metavar="TEXT", help="keep only BASE cells whose device label contains TEXT")
    p.add_argument("--new-device", metavar="TEXT", help="keep only NEW cells whose device label contains TEXT")
    p.add_argument(
        "--fail-on",
        metavar="median:PCT",
        help="exit 1 if a cell's or a method's whole interval lies above +PCT (e.g. median:10%%)",
    )
    p.add_argument("--alpha", type=float, default=0.05, help="intervals cover 1 - ALPHA (default 0.05: 95%%)")
    p.add_argument(
        "--mode",
        choices=["auto", "relative", "canary", "absolute"],
        default="auto",
        help="relative: each round's time over its group's speed that round, change beyond the other methods of the group "
        "(drift-corrected); canary: each round's time over the canary's; absolute: raw times; "
        "auto (default): relative when both runs were timed in paired rounds (schema v2) and not --by device",
    )
    p.add_argument("--format", choices=["terminal", "markdown", "csv"], default="terminal", help="table format")
    p.add_argument(
        "--changes-only", action="store_true", help="list only cells that changed or changed status (the default in the terminal)"
    )
    p.add_argument("--all", action="store_true", help="list every cell, unchanged ones too (markdown and csv always do)")
    p.add_argument("--chart", metavar="DIR", help="with --by device: also write DIR/device_speedup.png and .svg")
    p.set_defaults(func=run)


def _load(path: str, device: str | None):
    from detgrad.publish.aggregate import tidy
    from detgrad.runs.reader import load_run

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = tidy([load_run(path)])
    for w in caught:
        print(f"detgrad: warning: {w.message}", file=sys.stderr)
    if device:
        df = df[df["device_label"].str.contains(device, regex=False)]
        if df.empty:
            raise DetgradError(f"{path}: no cells on a device matching {device!r}")
    return df


def _environment_line(base: str, new: str) -> str | None:
    """``BASE: TensorFlow 2.16.2 ...; NEW: TensorFlow 2.21.0 ...`` when the runs' software or machine differ."""
    from detgrad.runs.reader import load_run

    keys = ("tf_version", "numpy", "python", "cpu_model", "intra_op_threads", "detgrad_version")
    envs = [(load_run(path)[0].get("environment") or {}) for path in (base, new)]
    differ = [k for k in keys if envs[0].get(k) != envs[1].get(k)]
    if not differ:
        return None
    label = {"tf_version": "TensorFlow", "cpu_model": "CPU", "intra_op_threads": "threads", "detgrad_version": "detgrad"}

    def side(env: dict) -> str:
        return ", ".join(f"{label.get(k, k)} {env.get(k)}" for k in differ)

    return f"runs differ in {', '.join(label.get(k, k) for k in differ)}: BASE {side(envs[0])}; NEW {side(envs[1])}"


def run(args: argparse.Namespace) -> int:
    """Compare, print the table and a summary; apply --fail-on."""
    from detgrad.publish import compare, tables

    threshold = compare.parse_fail_on(args.fail_on)[1] if args.fail_on else None
    if not 0 < args.alpha < 1:
        raise DetgradError(f"--alpha must be between 0 and 1, got {args.alpha}")
    if (args.base_device or args.new_device or args.chart) and args.by != "device":
        raise DetgradError("--base-device, --new-device and --chart need --by device")
    cmp = compare.compare_frames(
        _load(args.base, args.base_device), _load(args.new, args.new_device), by=args.by, alpha=args.alpha, mode=args.mode
    )
    if cmp.empty:
        raise DetgradError("no cells to compare: BASE and NEW have no cells")
    if args.by is None and cmp["verdict"].isin(["only in base", "only in new"]).all():
        raise DetgradError("no cell of NEW matches a cell of BASE (different devices? try --by device)")
    changed = cmp["verdict"].isin(["slower", "faster"]) | cmp["verdict"].str.startswith("status changed")
    terminal = args.format == "terminal"
    shown = cmp[changed] if args.changes_only or (terminal and not args.all) else cmp
    info = sys.stderr if args.format == "csv" else sys.stdout
    if terminal:  # the verdict first, then what changed
        environment = _environment_line(args.base, args.new)
        if environment:
            print(environment)
        print(compare.summary(cmp))
    methods = compare.method_changes(cmp, args.alpha) if args.by is None else None
    if terminal and methods is not None and len(methods):
        _print_methods(methods, sys.stdout)
    table = compare.display(shown, args.by)
    if args.format == "markdown":
        print(tables.to_markdown(table), end="")
    elif args.format == "csv":
        shown.drop(columns=["key"], errors="ignore").to_csv(sys.stdout, index=False)
    elif len(shown):
        print(tables.terminal(table))
    if terminal and len(shown) < len(cmp):
        print(f"{len(cmp) - len(shown)} cells unchanged within noise or not comparable, not listed (--all lists them)")
    if not terminal:
        print(compare.summary(cmp), file=info)
        if methods is not None and len(methods):
            _print_methods(methods, info)
    if args.chart:
        from detgrad.publish.charts import device_speedup
        from detgrad.publish.charts.style import save

        paths = save(device_speedup(cmp), args.chart, "device_speedup")
        print("chart written: " + ", ".join(str(p) for p in paths))
    if threshold is not None:
        bad = compare.regressions(cmp, threshold)
        bad_methods = [] if methods is None else list(compare.regressions(methods, threshold).itertuples(index=False))
        for m in bad_methods:
            change = compare.format_change(m.change_pct, m.change_lo_pct, m.change_hi_pct)
            gate = f"lower bound for all methods at once {m.gate_lo_pct:+.1f}%"
            print(f"detgrad: method {m.series} regressed over its {m.cells} cells: {change} ({gate})", file=sys.stderr)
        if len(bad):
            beyond = (
                f"{len(bad)} cell(s) regressed (interval for all cells at once above +{100 * threshold:g}%) or stopped working:"
            )
            print(f"detgrad: {beyond}", file=sys.stderr)
            for row in bad.itertuples(index=False):
                interval = f"[{row.change_lo_pct:+.1f}, {row.change_hi_pct:+.1f}]"
                gate = f"lower bound for all cells at once {row.gate_lo_pct:+.1f}%"
                change = f"{row.change_pct:+.1f}% {interval} ({gate})" if row.verdict == "slower" else row.verdict
                print(
                    f"  {row.series} {row.mode} {row.target} {row.dtype} n={int(row.n)} batch={int(row.batch)}: {change}",
                    file=sys.stderr,
                )
        if len(bad) or len(bad_methods):
            return 1
    return 0


def _print_methods(methods, stream) -> None:
    from detgrad.publish import compare

    print("per method (median of its cells' changes, cells as replicates):", file=stream)
    for m in methods.itertuples(index=False):
        change = compare.format_change(m.change_pct, m.change_lo_pct, m.change_hi_pct)
        print(f"  {m.series}: {change} {m.verdict} ({m.cells} cells)", file=stream)
