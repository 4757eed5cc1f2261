"""Tolerant reader of detgrad run files (schema v1 and v2, JSON Lines).

A run file starts with one header line (``"kind": "header"``, the schema
version, the sweep spec and the environment) followed by one line per
measured cell (:mod:`detgrad.runs.schema`).  This module only *reads*;
:mod:`detgrad.runs.writer` writes.  It never imports TensorFlow.

Errors a user can cause (missing file, not a run file, a newer schema) are
raised as one-line :class:`~detgrad.errors.DetgradError`; a truncated last
line (a sweep killed while appending) is skipped with a warning.
"""

from __future__ import annotations

import json
import os
import warnings
from os import PathLike
from pathlib import Path
from typing import Any

from detgrad.errors import DetgradError
from detgrad.runs.schema import SCHEMA, SHARD_FILES, SUPPORTED_VERSIONS, run_file_name


class RunFileWarning(UserWarning):
    """A recoverable problem in a run file (for example a truncated last line)."""


def _parse_header(path: Path, first: str) -> dict[str, Any]:
    try:
        header = json.loads(first)
    except json.JSONDecodeError:
        raise DetgradError(f"{path}: not a detgrad run file (first line is not JSON)") from None
    if not isinstance(header, dict) or header.get("kind") != "header" or header.get("schema") != SCHEMA:
        raise DetgradError(f"{path}: not a detgrad run file (no '{SCHEMA}' header on the first line)")
    version = header.get("schema_version")
    if version not in SUPPORTED_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
        raise DetgradError(
            f"{path}: run-file schema_version {version!r} is not supported by this detgrad (reads {supported}); "
            "upgrade detgrad (pip install -U detgrad) or regenerate the run with `detgrad sweep`"
        )
    header.setdefault("spec", {})
    header.setdefault("environment", {})
    header.setdefault("run_id", path.stem)
    return header


def _run_file_in(p: Path) -> Path:
    """``p`` itself, or for a run directory (``detgrad sweep --out DIR``) its ``DIR/run.jsonl``."""
    if not p.is_dir():
        return p
    if (p / run_file_name()).is_file():
        return p / run_file_name()
    shards = sorted(q.name for q in p.glob(SHARD_FILES))
    if shards:
        files = ", ".join(shards)
        raise DetgradError(f"{p}: a directory without run.jsonl; merge its shard files ({files}) with `detgrad merge {p}`")
    raise DetgradError(f"{p}: a directory without run.jsonl; give a run file (.jsonl)")


def load_run(path: str | PathLike[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read one run file.

    Args:
        path: a JSON Lines run file written by ``detgrad sweep``, or the
            run directory (``--out DIR``) holding it as ``DIR/run.jsonl``.

    Returns:
        ``(header, records)``: the header dict and the list of cell dicts in
        file order.  Lines of an unknown ``kind`` are ignored (forward
        compatible additions).  Records of a v1 file come back as
        written: they lack the v2 fields (``group_id``, ``position``,
        ``canary_s``), which readers treat as "not paired".

    Raises:
        DetgradError: missing or unreadable file, not a run file, unknown
            schema version, or a corrupt line that is not the last one.
    """
    p = _run_file_in(Path(path))
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DetgradError(f"{p}: run file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DetgradError(f"{p}: cannot read run file ({type(exc).__name__})") from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DetgradError(f"{p}: empty file, not a detgrad run file")
    header = _parse_header(p, lines[0])
    records: list[dict[str, Any]] = []
    last = len(lines) - 1
    for lineno, line in enumerate(lines[1:], start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            if lineno == last:
                warnings.warn(f"{p}: ignoring truncated last line {lineno + 1}", RunFileWarning, stacklevel=2)
                break
            raise DetgradError(f"{p}: corrupt run file, line {lineno + 1} is not JSON") from None
        if isinstance(item, dict) and item.get("kind") == "cell":
            records.append(item)
    return header, records


def load_runs(paths: list[str | PathLike[str]]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Read several run files; see :func:`load_run`.  Raises on the first bad file."""
    if not paths:
        raise DetgradError("no run files given")
    return [load_run(p) for p in paths]


def completed_keys(path: str | os.PathLike[str]) -> set[str]:
    """Keys of the cells that already have a record in ``path``."""
    return {r["key"] for r in load_run(path)[1]}


def records_frame(paths: str | os.PathLike[str] | list) -> Any:
    """One pandas DataFrame of the records of one or more run files (+ a ``run_id`` column)."""
    import pandas as pd

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    rows = []
    for path in paths:
        header, records = load_run(path)
        rows.extend({**r, "run_id": header["run_id"]} for r in records)
    return pd.DataFrame(rows)
