"""One method's conformance across TensorFlow versions, from ``detgrad check --json`` files (no TensorFlow).

Each file is one ``detgrad check`` run under one TensorFlow; :func:`version_matrix` lines the
files up case by case.  A cell is the method's *worst* verdict over the modes it ran in,
in the order ``wrong`` > ``loud`` (raises or NaN) > ``pass``: a case that is silently wrong in
graph mode and raises in eager mode reads WRONG.  The modes where that worst verdict happened
are named next to it.  A mode the method cannot run (``n/a``: the builtin has no XLA kernel)
is left out of the verdict and named in the page's heading; a case that is ``n/a`` in every mode
reads n/a.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from detgrad.conformance.render import escape_cell
from detgrad.errors import DetgradError

CHECK_JSON_FORMAT = "detgrad-check/1"
WORST_FIRST = ("wrong", "loud", "n/a", "pass")
MODE_LETTERS = {"eager": "eager", "graph": "graph", "xla": "XLA"}
API_KINDS = ("jac_hess", "jac_hess_loop", "bjac_grad", "bjac_hess", "bjac_hess_loop", "vmap_grad", "jvp")


def topic(outcome: dict) -> str:
    """What a reader asks about a case, first match wins: complex input, AD APIs, second order, singular, other."""
    if str(outcome.get("dtype", "")).startswith("complex") or outcome.get("group") == "complex":
        return "complex input"
    if outcome.get("kind") in API_KINDS:
        return "jacobian, batch_jacobian, vectorized_map and ForwardAccumulator"
    if str(outcome.get("kind", "")).startswith("hess"):
        return "Hessians by nested tapes"
    if outcome.get("group") in ("singular", "near-singular"):
        return "singular and near-singular real input"
    return "other inputs"


@dataclass(frozen=True)
class CheckFile:
    """One ``detgrad check --json`` document: where it ran and its outcomes (dicts)."""

    path: str
    environment: dict
    outcomes: list[dict]

    @property
    def tf_version(self) -> str:
        return str(self.environment.get("tf_version", "?"))


def read_check(path: str | Path) -> CheckFile:
    """Read a ``detgrad check --json`` file; a file of another kind raises :class:`DetgradError` naming it."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DetgradError(f"{path}: file not found (write one with `detgrad check --json FILE`)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DetgradError(f"{path}: not a readable JSON file ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != CHECK_JSON_FORMAT:
        raise DetgradError(f"{path}: not a `detgrad check --json` file of format {CHECK_JSON_FORMAT!r}")
    return CheckFile(str(path), dict(doc.get("environment") or {}), list(doc.get("outcomes") or []))


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("-", ".").split("."))


def worst_verdict(outcomes: Sequence[dict]) -> tuple[str, float | None, list[str]]:
    """(worst verdict, its largest error, the modes where it happened) over one case's outcomes."""
    rank = {v: i for i, v in enumerate(WORST_FIRST)}
    ran = [o for o in outcomes if o["verdict"] != "n/a"] or list(outcomes)  # n/a only when no mode ran
    worst = min((o["verdict"] for o in ran), key=lambda v: rank.get(v, len(rank)))
    hits = [o for o in outcomes if o["verdict"] == worst]
    errors = [o["error"] for o in hits if o.get("error") is not None]
    return worst, (max(errors) if errors else None), [o["mode"] for o in hits]


def cell_label(verdict: str, error: float | None, modes: Sequence[str], all_modes: Sequence[str]) -> str:
    """``WRONG 2e+00`` / ``raises`` / ``nan`` / ``pass`` / ``n/a``, with ``(graph, XLA)`` when not every mode."""
    if verdict == "pass":
        return "pass"
    text = {"wrong": f"**WRONG** {error:.0e}" if error is not None else "**WRONG**", "n/a": "n/a"}.get(verdict)
    if text is None:
        text = "nan" if error is not None else "raises"
    if set(modes) != set(all_modes):
        text += " (" + ", ".join(MODE_LETTERS.get(m, m) for m in modes) + ")"
    return text


def version_matrix(checks: Sequence[CheckFile], method: str) -> tuple[list[str], list[dict]]:
    """(TF versions oldest first, one row per case: ``case``, ``group``, ``verdicts`` {version: (worst, error, modes)}).

    Rows keep the suite's case order; a case missing under a version has no entry for it.
    Two files of the same TF version raise :class:`DetgradError` (which one to believe?).
    """
    versions: dict[str, CheckFile] = {}
    for check in checks:
        if check.tf_version in versions:
            raise DetgradError(f"{check.path} and {versions[check.tf_version].path} both ran TensorFlow {check.tf_version}")
        versions[check.tf_version] = check
    order = sorted(versions, key=_version_key)
    rows: dict[str, dict] = {}
    for version in order:
        mine = [o for o in versions[version].outcomes if o["method"] == method]
        if not mine:
            raise DetgradError(f"{versions[version].path}: method {method!r} was not checked (run with --methods {method})")
        by_case: dict[str, list[dict]] = {}
        for o in mine:
            by_case.setdefault(o["case"], []).append(o)
        for case, outcomes in by_case.items():
            row = rows.setdefault(case, {"case": case, "topic": topic(outcomes[0]), "verdicts": {}})
            row["verdicts"][version] = worst_verdict(outcomes)
    return order, list(rows.values())


def _modes_run(checks: Sequence[CheckFile], method: str) -> list[str]:
    seen: list[str] = []
    for check in checks:
        for o in check.outcomes:
            if o["method"] == method and o["verdict"] != "n/a" and o["mode"] not in seen:
                seen.append(o["mode"])
    return seen


def failure_summary(versions: Sequence[str], rows: Sequence[dict]) -> list[str]:
    """One bullet per topic with failures: how many cases go wrong or raise, under which versions."""
    lines = []
    topics: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        for version, (verdict, _, _) in row["verdicts"].items():
            if verdict in ("wrong", "loud"):
                topics.setdefault(row["topic"], {}).setdefault(row["case"], []).append(f"{verdict}@{version}")
    for name, cases in topics.items():
        wrong = {c for c, hits in cases.items() if any(h.startswith("wrong") for h in hits)}
        loud = set(cases) - wrong
        by_version = {v: sum(any(h.endswith("@" + v) for h in hits) for hits in cases.values()) for v in versions}
        spread = ", ".join(f"{v}: {k}" for v, k in by_version.items())
        lines.append(
            f"- **{name}**: {len(wrong)} case(s) silently wrong, {len(loud)} more raise or return NaN "
            f"(failing cases per TF version: {spread})"
        )
    return lines


def markdown_table(checks: Sequence[CheckFile], method: str, failing_only: bool = True) -> list[str]:
    """The per-version matrix as Markdown lines: cases where ``method`` fails somewhere (or all cases)."""
    versions, rows = version_matrix(checks, method)
    modes = _modes_run(checks, method)
    shown = [r for r in rows if not failing_only or any(v[0] != "pass" for v in r["verdicts"].values())]
    lines = ["| case | " + " | ".join(f"TF {v}" for v in versions) + " |", "|---|" + "---|" * len(versions)]
    for row in shown:
        cells = []
        for version in versions:
            got = row["verdicts"].get(version)
            cells.append(cell_label(got[0], got[1], got[2], modes) if got else "not run")
        lines.append(f"| {escape_cell(row['case'])} | " + " | ".join(cells) + " |")
    passing = len(rows) - len(shown)
    if failing_only and passing:
        lines += ["", f"The other {passing} cases pass under every version listed."]
    return lines
