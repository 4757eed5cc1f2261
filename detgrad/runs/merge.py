"""Merge run files: the records of several shards (or runs) into one run file, keys deduplicated."""

from __future__ import annotations

import os
from pathlib import Path

from detgrad.errors import DetgradError
from detgrad.runs.reader import load_run
from detgrad.runs.writer import RunWriter


def merge_runs(paths: list, out: str | os.PathLike[str]) -> Path:
    """Concatenate the records of shard files into ``out`` (header of the first, keys deduplicated)."""
    if not paths:
        raise DetgradError("merge_runs: no run files given")
    loaded = [load_run(p) for p in paths]
    header = dict(loaded[0][0])
    header["merged_from"] = [h["run_id"] for h, _ in loaded]
    header["spec"] = dict(header.get("spec", {}), shard=None)
    seen: set[str] = set()
    with RunWriter(out, header) as writer:
        for _, records in loaded:
            for r in records:
                if r["key"] not in seen:
                    seen.add(r["key"])
                    writer.write(r)
    return Path(out)
