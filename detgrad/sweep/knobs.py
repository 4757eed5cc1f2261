"""Integer tuning knobs of the methods (block sizes, unroll limits), set for one probe or sweep.

``detgrad probe --set blocklu_factor.UNROLL_MAX_N=16`` sets a module-level integer of a module in
``detgrad.impls`` (``MODULE.NAME``, the module named without its family package) in the worker that
measures, through the environment variable :data:`KNOBS_ENV` (``"MODULE.NAME=INT,..."``); the run
file's header records it.  Only integers that already exist can be set, so a typo is an error, not a
silently ignored knob.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import re

from detgrad.errors import DetgradError

KNOBS_ENV = "DETGRAD_KNOBS"
_KNOB_RE = re.compile(r"^([a-z_][a-z0-9_]*)\.([A-Z_][A-Z0-9_]*)=(-?\d+)$")


def _module_path(module: str) -> str | None:
    """``"blocklu_factor"`` -> ``"detgrad.impls.tf_lu.blocklu_factor"`` (None when no family has it)."""
    import detgrad.impls as impls

    for family in pkgutil.iter_modules(impls.__path__):
        if family.ispkg:
            path = f"detgrad.impls.{family.name}.{module}"
            try:
                if importlib.util.find_spec(path) is not None:
                    return path
            except ModuleNotFoundError:
                continue
    return None


def parse_knobs(items: list[str]) -> dict[str, int]:
    """``["blocklu_factor.UNROLL_MAX_N=16", ...]`` (each item may hold several, comma-separated) -> {"MODULE.NAME": value}.

    Imports each named module to check that the knob exists and is an integer; one-line errors otherwise.
    """
    knobs: dict[str, int] = {}
    for item in items:
        for text in (t.strip() for t in item.split(",")):
            if not text:
                continue
            m = _KNOB_RE.match(text)
            if not m:
                raise DetgradError(f"bad --set {text!r}; expected MODULE.NAME=INT, e.g. blocklu_factor.UNROLL_MAX_N=16")
            module, name, value = m.group(1), m.group(2), int(m.group(3))
            path = _module_path(module)
            if path is None:
                raise DetgradError(
                    f"--set {text}: no module {module!r} in detgrad.impls (name it without its family, e.g. triangular)"
                )
            current = getattr(importlib.import_module(path), name, None)
            if isinstance(current, bool) or not isinstance(current, int):
                raise DetgradError(f"--set {text}: {path} has no integer {name}")
            knobs[f"{module}.{name}"] = value
    return knobs


def to_env(knobs: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in knobs.items())


def from_env() -> dict[str, int]:
    """The knobs :data:`KNOBS_ENV` asks for ({} when unset)."""
    text = os.environ.get(KNOBS_ENV, "")
    return parse_knobs([text]) if text.strip() else {}


def apply_knobs(knobs: dict[str, int]) -> None:
    """Set each ``MODULE.NAME`` of :func:`parse_knobs` to its value (in this process: the measuring worker)."""
    for key, value in knobs.items():
        module, name = key.split(".")
        setattr(importlib.import_module(_module_path(module)), name, value)  # parse_knobs found the module
