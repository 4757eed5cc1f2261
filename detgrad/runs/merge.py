"""Merge run files: the shards of a sweep (or several runs) into one run file, keys deduplicated.

``detgrad sweep --shard K/N`` writes shard K's records to ``run.shard-K-of-N.jsonl`` with
``spec.shard = "K/N"`` and ``planned_cells`` (how many cells the shard was to measure) in its
header.  :func:`merge_runs` joins such files and will not pass an incomplete set off as the
whole sweep: :func:`merge_gaps` names every shard K of N with no file and every shard with
fewer records than it planned (stopped early: ``--resume`` finishes it), and merging with gaps
is an error unless ``partial=True``, which merges what is there and records the gaps in the
header (``merge_gaps``).  Shards of different sweeps (name, axes or exclusions differ) or of a
different N never merge.  Files that are not shards (``spec.shard`` null) are merged as given,
without checks.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

from detgrad.errors import DetgradError
from detgrad.runs.reader import RunFileWarning, load_run
from detgrad.runs.schema import SHARD_FILES, run_file_name
from detgrad.runs.writer import RunWriter

Run = tuple[dict[str, Any], list[dict[str, Any]]]


def shard_of(header: dict[str, Any]) -> tuple[int, int] | None:
    """``(K, N)`` from a shard file's header (``spec.shard = "K/N"``), None for a whole run."""
    m = re.fullmatch(r"(\d+)/(\d+)", str((header.get("spec") or {}).get("shard")))
    return (int(m.group(1)), int(m.group(2))) if m else None


def shard_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The shard files (``run.shard-K-of-N.jsonl``) in a run directory, in the order of K."""
    found = []
    for path in Path(directory).glob(SHARD_FILES):
        m = re.fullmatch(r"run\.shard-(\d+)-of-(\d+)\.jsonl", path.name)
        if m:
            found.append(((int(m.group(2)), int(m.group(1))), path))
    return [path for _, path in sorted(found)]


def _sweep_identity(header: dict[str, Any]) -> str:
    """What the shards of one sweep share: its name, axes and exclusions (not settings such as
    ``max_bytes``, which each machine derives from its own memory)."""
    spec = header.get("spec") or {}
    return json.dumps([spec.get("name"), spec.get("axes"), spec.get("exclude")], sort_keys=True)


def merge_gaps(runs: list[Run]) -> list[str]:
    """What keeps the shard files among ``runs`` from being a whole sweep, one line per gap.

    Args:
        runs: ``(header, records)`` pairs as returned by :func:`~detgrad.runs.reader.load_run`.

    Returns:
        One line per shard K of N without a file and per shard with fewer distinct records than
        its header's ``planned_cells``; empty when nothing is known to be missing (no shard files,
        or every shard present and finished).

    Raises:
        DetgradError: the shard files come from different sweeps or split it into different N.
    """
    shards = [(shard_of(h), h, records) for h, records in runs if shard_of(h)]
    if not shards:
        return []
    if len({_sweep_identity(h) for _, h, _ in shards}) > 1:
        names = sorted({str((h.get("spec") or {}).get("name")) for _, h, _ in shards})
        raise DetgradError(f"the shard files come from different sweeps ({', '.join(names)}: name, axes or exclusions differ)")
    totals = sorted({n for (_, n), _, _ in shards})
    if len(totals) > 1:
        raise DetgradError(f"the shard files split the sweep into different numbers of shards ({', '.join(map(str, totals))})")
    total = totals[0]
    keys: dict[int, set[str]] = {}
    planned: dict[int, int] = {}
    for (k, _), h, records in shards:
        keys.setdefault(k, set()).update(r["key"] for r in records)
        if isinstance(h.get("planned_cells"), int):
            planned[k] = max(planned.get(k, 0), h["planned_cells"])
    gaps = []
    for k in range(1, total + 1):
        if k not in keys:
            gaps.append(f"shard {k}/{total}: no file ({run_file_name((k, total))})")
        elif len(keys[k]) < planned.get(k, 0):
            gaps.append(f"shard {k}/{total}: {len(keys[k])} of {planned[k]} cells (stopped early; --resume finishes it)")
    return gaps


def merge_runs(paths: list, out: str | os.PathLike[str], *, partial: bool = False) -> Path:
    """Write the records of ``paths`` (shard files, run files) into one run file ``out``.

    Args:
        paths: run files, e.g. the ``run.shard-K-of-N.jsonl`` files of one sweep.
        out: the merged run file to write (replaced if it exists).
        partial: merge even when :func:`merge_gaps` finds shards missing or unfinished; the
            gaps are then written to the header's ``merge_gaps`` and warned about.

    Returns:
        ``out`` as a Path.  Its header is the first file's, with ``spec.shard`` null,
        ``merged_from`` (the parts' run ids) and, for a whole set of shards, ``planned_cells``
        summed over them.
        A cell recorded in several files is kept once (the first).

    Raises:
        DetgradError: no paths, an unreadable file, shards of different sweeps, or (without
            ``partial``) a gap, named in the message.
    """
    if not paths:
        raise DetgradError("merge_runs: no run files given")
    loaded = [load_run(p) for p in paths]
    gaps = merge_gaps(loaded)
    if gaps and not partial:
        raise DetgradError(f"incomplete sweep, nothing merged: {'; '.join(gaps)}; merge what is there with --partial")
    header = dict(loaded[0][0])
    header["merged_from"] = [h["run_id"] for h, _ in loaded]
    header["spec"] = dict(header.get("spec", {}), shard=None)
    parts = {shard_of(h): h.get("planned_cells") for h, _ in loaded}
    if not gaps and None not in parts and all(isinstance(v, int) for v in parts.values()):
        header["planned_cells"] = sum(parts.values())
    else:
        header.pop("planned_cells", None)
    if gaps:
        header["merge_gaps"] = gaps
        for gap in gaps:
            warnings.warn(f"merged without {gap}", RunFileWarning, stacklevel=2)
    seen: set[str] = set()
    with RunWriter(out, header) as writer:
        for _, records in loaded:
            for r in records:
                if r["key"] not in seen:
                    seen.add(r["key"])
                    writer.write(r)
    return Path(out)
