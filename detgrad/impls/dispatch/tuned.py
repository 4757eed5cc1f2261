"""Tuned dispatch tables: ``auto`` follows what ``detgrad tune`` measured on this machine, when the table fits it.

A tuned table is a JSON file written by ``detgrad tune``::

    {"format": "detgrad-tuned-table/1",
     "fingerprint": {"device": "CPU", "cpu_model": "...", "cores": 2, "intra_op_threads": 0,
                     "tf_version": "2.21.0", "detgrad_version": "0.1.0"},
     "rows": {"graph": [{"min_n": 4, "max_n": 6, "min_batch": 64, "max_batch": null, "path": "nested"}, ...], ...},
     ...}                                 (what was measured and changed: read by people, ignored here)

Its rows go *before* the built-in table's rows of their mode (the first row that matches n and batch
wins), so a tuned table changes ``auto``'s choice only in the regions it lists.  Each row names a path of
:data:`CANDIDATES` for its mode, the paths that pass every conformance case in that mode.

Which file: the environment variable ``DETGRAD_TUNED_TABLE``

* unset: ``<cache>/detgrad/tuned/<fingerprint id>.json`` if it exists, where ``<cache>`` is
  ``$XDG_CACHE_HOME`` or ``~/.cache``: one file per machine configuration, so a table tuned with one
  intra-op thread and one tuned with the default threads live side by side;
* ``off`` (or ``0``, ``none``, ``builtin``, empty): the built-in table;
* anything else: the path of a table file.

A table is used only when its fingerprint equals the running configuration's (:func:`fingerprint`:
device, CPU model, cores, intra-op threads, TensorFlow and detgrad versions).  A file that is missing
(when named), unreadable, malformed or measured elsewhere gives one warning line on the ``detgrad`` logger
and the built-in table: never an error in user code.  :func:`active` says which table is in force (run
headers record it; ``detgrad env`` shows it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detgrad.catalog import Mode

ENV_VAR = "DETGRAD_TUNED_TABLE"
FORMAT = "detgrad-tuned-table/1"
OFF_VALUES = ("off", "0", "none", "builtin", "built-in", "")
FINGERPRINT_KEYS = ("device", "cpu_model", "cores", "intra_op_threads", "tf_version", "detgrad_version")
# the paths ``auto`` may take per mode (auto.PATHS maps the names to modules); each passes every conformance case
# in that mode: guarded, tiny, closed and blocklu as methods of their own, nested as auto's graph path
CANDIDATES: dict[str, tuple[str, ...]] = {
    "eager": ("guarded", "tiny"),
    "graph": ("guarded", "tiny", "nested"),
    "xla": ("tiny", "closed", "blocklu"),
}
PATH_MAX_N = {"tiny": 3, "closed": 3}  # the n <= 3 polynomials
_log = logging.getLogger("detgrad")


@dataclass(frozen=True)
class TunedRow:
    """Take ``path`` for n in [min_n, max_n] and batch in [min_batch, max_batch] (None: no upper bound)."""

    min_n: int
    max_n: int | None
    min_batch: int
    max_batch: int | None
    path: str


@dataclass(frozen=True)
class Loaded:
    """The table in force: its rows per mode (empty for the built-in table) and a description for run headers."""

    rows: dict[str, tuple[TunedRow, ...]]
    info: dict[str, Any]


BUILTIN = Loaded({}, {"source": "built-in"})


def cpu_model() -> str:
    """CPU model name from /proc/cpuinfo (Linux) or platform.processor()."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _device_name(device: str) -> str:
    """``"CPU"`` for a CPU device, else the GPU's model name (TF's device details) or its TF name."""
    if not device.upper().startswith("GPU"):
        return "CPU"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    index = int(device.rsplit(":", 1)[1]) if ":" in device else 0
    if index >= len(gpus):
        return device.upper()
    try:
        return str(tf.config.experimental.get_device_details(gpus[index]).get("device_name") or device.upper())
    except Exception:  # noqa: BLE001 - details are best effort
        return device.upper()


_STATIC: dict[str, Any] = {}


def _detgrad_version() -> str:
    # the parent package is loaded before any of its modules; importing it here would import the API layer
    return str(getattr(sys.modules.get("detgrad"), "__version__", "unknown"))


def fingerprint(device: str | None = None, intra_op_threads: int | None = None) -> dict[str, Any]:
    """What a tuned table must match: ``device`` (default: GPU:0 if TF sees a GPU, else the CPU), the CPU model,
    the cores this process may use, TF's intra-op thread setting (0: TF's default), TF's and detgrad's versions."""
    import tensorflow as tf

    device = device or _default_device()
    if device not in _STATIC:
        _STATIC[device] = {
            "device": _device_name(device),
            "cpu_model": cpu_model(),
            "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0,
            "tf_version": tf.__version__,
            "detgrad_version": _detgrad_version(),
        }
    threads = tf.config.threading.get_intra_op_parallelism_threads() if intra_op_threads is None else intra_op_threads
    return {**_STATIC[device], "intra_op_threads": int(threads)}


def fingerprint_id(fp: dict[str, Any]) -> str:
    """A short stable id of a fingerprint (the default table file's name)."""
    text = json.dumps({k: fp.get(k) for k in FINGERPRINT_KEYS}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def cache_dir() -> Path:
    """Where ``detgrad tune`` writes tables by default: ``$XDG_CACHE_HOME/detgrad/tuned`` or ``~/.cache/detgrad/tuned``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "detgrad" / "tuned"


def default_path(fp: dict[str, Any]) -> Path:
    """The default table file for a fingerprint."""
    return cache_dir() / f"{fingerprint_id(fp)}.json"


def _int(value: Any, where: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}: {value!r} is not a non-negative integer{' or null' if allow_none else ''}")
    return value


def parse_rows(doc: Any) -> dict[str, tuple[TunedRow, ...]]:
    """The rows of a table document, validated; ValueError naming the first problem."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"not a tuned table (format {FORMAT!r})")
    rows = doc.get("rows")
    if not isinstance(rows, dict):
        raise ValueError("'rows' must be an object of mode -> list of rows")
    out: dict[str, tuple[TunedRow, ...]] = {}
    for mode, items in rows.items():
        if mode not in CANDIDATES:
            raise ValueError(f"rows: unknown mode {mode!r}; expected one of {', '.join(CANDIDATES)}")
        if not isinstance(items, list):
            raise ValueError(f"rows.{mode}: expected a list")
        parsed = []
        for i, item in enumerate(items):
            where = f"rows.{mode}[{i}]"
            if not isinstance(item, dict):
                raise ValueError(f"{where}: expected an object")
            path = item.get("path")
            if path not in CANDIDATES[mode]:
                raise ValueError(f"{where}: path {path!r} is not a {mode} candidate ({', '.join(CANDIDATES[mode])})")
            row = TunedRow(
                _int(item.get("min_n", 0), f"{where}.min_n"),
                _int(item.get("max_n"), f"{where}.max_n", allow_none=True),
                _int(item.get("min_batch", 0), f"{where}.min_batch"),
                _int(item.get("max_batch"), f"{where}.max_batch", allow_none=True),
                path,
            )
            limit = PATH_MAX_N.get(path)
            if limit is not None and (row.max_n is None or row.max_n > limit):
                raise ValueError(f"{where}: path {path!r} computes n <= {limit} only, but max_n is {row.max_n}")
            if row.max_n is not None and row.max_n < row.min_n:
                raise ValueError(f"{where}: max_n {row.max_n} < min_n {row.min_n}")
            parsed.append(row)
        out[mode] = tuple(parsed)
    return out


def load_file(path: Path, fp: dict[str, Any]) -> Loaded:
    """The table in ``path`` if it is valid and measured on ``fp``; else one warning line and :data:`BUILTIN`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        rows = parse_rows(doc)
    except FileNotFoundError:
        return _fallback(f"tuned table {path} ({ENV_VAR}) not found")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) and not isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        return _fallback(f"tuned table {path} is unusable ({reason})")
    theirs = doc.get("fingerprint") if isinstance(doc.get("fingerprint"), dict) else {}
    diff = [k for k in FINGERPRINT_KEYS if theirs.get(k) != fp.get(k)]
    if diff:
        what = ", ".join(f"{k} {theirs.get(k)!r} here {fp.get(k)!r}" for k in diff)
        return _fallback(f"tuned table {path} was measured elsewhere ({what})")
    changed = sum(len(r) for r in rows.values())
    return Loaded(rows, {"source": "tuned", "file": path.name, "fingerprint_id": fingerprint_id(fp), "rows": changed})


def _fallback(message: str) -> Loaded:
    _log.warning("detgrad: warning: %s; using the built-in dispatch table", message)
    return Loaded({}, {"source": "built-in", "reason": message})


_LOADED: dict[str | None, Loaded] = {}


def _default_device() -> str:
    if "default_device" not in _STATIC:
        import tensorflow as tf

        _STATIC["default_device"] = "GPU:0" if tf.config.list_physical_devices("GPU") else "CPU:0"
    return _STATIC["default_device"]


def active() -> Loaded:
    """The table in force in this process (loaded once per value of :data:`ENV_VAR`).

    ``auto`` asks while it has tensors, so TF's context, and with it the intra-op thread count the fingerprint
    holds, is fixed by then (TF refuses to change it after initialization).
    """
    setting = os.environ.get(ENV_VAR)
    loaded = _LOADED.get(setting)
    if loaded is None:
        if setting is not None and setting.strip().lower() in OFF_VALUES:
            loaded = BUILTIN
        else:
            fp = fingerprint(_default_device())
            if setting is None:
                path = default_path(fp)
                loaded = load_file(path, fp) if path.exists() else BUILTIN
            else:
                loaded = load_file(Path(setting).expanduser(), fp)
        _LOADED[setting] = loaded
    return loaded


def rows_for(mode: Mode) -> tuple[TunedRow, ...]:
    """The tuned rows of ``mode`` in force (empty: the built-in table alone)."""
    return active().rows.get(mode, ())


def reset() -> None:
    """Forget loaded tables (tests; after ``detgrad tune`` wrote a new one in this process)."""
    _LOADED.clear()
