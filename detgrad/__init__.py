"""detgrad: determinant gradients in TensorFlow that are fast and right.

>>> import detgrad
>>> detgrad.det(a)                      # default method "auto": singular-safe, XLA-compilable
>>> detgrad.slogdet(a, method="slogdet")
>>> detgrad.logdet(k)                   # Hermitian positive-definite k: Cholesky, NaN / DetgradError if not PD
>>> detgrad.METHODS

TensorFlow is imported lazily, on first use of the numerical API, so the
rendering modules (tables, charts, report) work without it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from detgrad.errors import DetgradError, UnsupportedError

if TYPE_CHECKING:  # editors and type checkers see the lazy names; nothing here runs at import
    from detgrad.api import det, logdet, slogdet
    from detgrad.impls.registry import DEFAULT_METHOD, METHODS, get_method

__version__ = "0.1.0"

_TF_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos", "tf-nightly")


def _numpy_conflict() -> str | None:
    """Why the installed TensorFlow cannot import the installed numpy, or None (package metadata only, no import).

    TensorFlow < 2.18 was built against numpy 1.x and fails on import under numpy 2 with a long traceback
    ("numpy.core.umath failed to import"); pip lets that happen when detgrad is installed on its own.
    """
    from importlib.metadata import PackageNotFoundError, version

    def release(text: str) -> tuple[int, ...]:
        parts = []
        for piece in text.split(".")[:2]:
            digits = "".join(ch for ch in piece if ch.isdigit())
            parts.append(int(digits or 0))
        return tuple(parts)

    try:
        numpy_version = version("numpy")
    except PackageNotFoundError:
        return None
    for dist in _TF_DISTRIBUTIONS:
        try:
            tf_version = version(dist)
        except PackageNotFoundError:
            continue
        if release(tf_version) < (2, 18) and release(numpy_version) >= (2, 0):
            return (
                f"{dist} {tf_version} needs numpy < 2, but numpy {numpy_version} is installed; reinstall them together: "
                f'pip install "detgrad[cpu]" {dist}=={tf_version} (pip then picks a numpy 1.x and a pandas that fits it)'
            )
        return None
    return None


_conflict = _numpy_conflict()
if _conflict:
    raise ImportError(_conflict)

_LAZY = {
    "det": "detgrad.api",
    "slogdet": "detgrad.api",
    "logdet": "detgrad.api",
    "METHODS": "detgrad.impls.registry",
    "DEFAULT_METHOD": "detgrad.impls.registry",
    "get_method": "detgrad.impls.registry",
}

__all__ = [
    "det",
    "slogdet",
    "logdet",
    "METHODS",
    "DEFAULT_METHOD",
    "get_method",
    "DetgradError",
    "UnsupportedError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'detgrad' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API, lazy names included, and the module's dunders: what ``dir(detgrad)`` and tab completion show."""
    return sorted(set(__all__) | {name for name in globals() if name.startswith("__")})
