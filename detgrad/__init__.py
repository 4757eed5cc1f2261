"""detgrad: determinant gradients in TensorFlow that are fast and right.

>>> import detgrad
>>> detgrad.det(a)                      # default method "auto": singular-safe, XLA-compilable
>>> detgrad.slogdet(a, method="slogdet")
>>> detgrad.METHODS

TensorFlow is imported lazily, on first use of the numerical API, so the
rendering modules (tables, charts, report) work without it.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from detgrad.errors import DetgradError, UnsupportedError

__version__ = "0.1.0"

_LAZY = {
    "det": "detgrad.api",
    "slogdet": "detgrad.api",
    "METHODS": "detgrad.impls.registry",
    "DEFAULT_METHOD": "detgrad.impls.registry",
    "get_method": "detgrad.impls.registry",
}

__all__ = ["det", "slogdet", "METHODS", "DEFAULT_METHOD", "get_method", "DetgradError", "UnsupportedError", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'detgrad' has no attribute {name!r}")
