"""The registry of determinant methods: each :data:`detgrad.catalog.CATALOG` entry with its implementation.

The facts (summary, dtypes, singular-safety, XLA, flops, chart look) live in :mod:`detgrad.catalog`;
this module only says which code runs for each name.  :data:`METHODS` is in registry order.
"""

from __future__ import annotations

from types import ModuleType

from detgrad.catalog import CATALOG, DEFAULT_METHOD
from detgrad.errors import DetgradError
from detgrad.impls.base import Method
from detgrad.impls.chol import blocked, builtin_logdet, cholesky
from detgrad.impls.dispatch import auto
from detgrad.impls.eigen import builtin, eigenlu, guarded, inverse, logdomain
from detgrad.impls.poly import closed, tiny
from detgrad.impls.tf_lu import blocklu, lu

# name -> the module whose det / slogdet (and logdet, if it has one) implement it; the Cholesky family has only logdet
IMPLEMENTATIONS: dict[str, ModuleType] = {
    "lu": lu,
    "closed": closed,
    "tiny": tiny,
    "eigenlu": eigenlu,
    "guarded": guarded,
    "auto": auto,
    "blocklu": blocklu,
    "inverse": inverse,
    "slogdet": logdomain,
    "cholesky": cholesky,
    "blockchol": blocked,
    "builtin_logdet": builtin_logdet,
    "builtin": builtin,
}

_REGISTRY: dict[str, Method] = {
    name: Method.from_facts(
        CATALOG[name], getattr(module, "det", None), getattr(module, "slogdet", None), getattr(module, "logdet", None)
    )
    for name, module in IMPLEMENTATIONS.items()
}

METHODS: tuple[str, ...] = tuple(_REGISTRY)
# the methods of detgrad.det / slogdet (every one also computes detgrad.logdet; the Cholesky family only that)
DET_METHODS: tuple[str, ...] = tuple(name for name, m in _REGISTRY.items() if "det" in m.targets)
__all__ = ["METHODS", "DET_METHODS", "DEFAULT_METHOD", "IMPLEMENTATIONS", "get_method"]


def get_method(name: str | None) -> Method:
    """Look up a method by name (``None`` is the default method)."""
    if name is None:
        name = DEFAULT_METHOD
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise DetgradError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}") from None
