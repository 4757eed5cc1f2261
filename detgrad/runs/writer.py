"""Writer of run files: append one JSON line per record, flushed (and fsynced) as each cell finishes.

A run file is written by :class:`RunWriter` (header first, then records;
see :mod:`detgrad.runs.schema`); reopening an existing file cuts a partial
last line left by a writer that was killed mid-line (:func:`repair_tail`).
Nothing here imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

from detgrad.runs.reader import RunFileWarning


class RunWriter:
    """Append-only writer: ``write(record)`` appends one line, flushes and fsyncs."""

    def __init__(self, path: str | os.PathLike[str], header: dict[str, Any] | None = None, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if header is None:
            repair_tail(self.path)
            self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        else:
            self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
            self.write(header)

    def write(self, item: dict[str, Any]) -> None:
        self._fh.write(json.dumps(item, allow_nan=False) + "\n")
        self._fh.flush()
        if self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def repair_tail(path: str | os.PathLike[str]) -> bool:
    """Cut a partial last line (a writer killed mid-line); True if something was cut."""
    p = Path(path)
    data = p.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    cut = data.rfind(b"\n") + 1
    with open(p, "r+b") as fh:
        fh.truncate(cut)
    warnings.warn(f"{p}: removed a truncated last line", RunFileWarning, stacklevel=2)
    return True
