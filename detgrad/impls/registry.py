"""The registry of determinant methods: each :data:`detgrad.catalog.CATALOG` entry with its implementation.

The facts (summary, dtypes, singular-safety, XLA, flops, chart look) live in :mod:`detgrad.catalog`;
this module only says which code runs for each name.  :data:`METHODS` is in registry order.
"""

from __future__ import annotations

from types import ModuleType

from detgrad.catalog import CATALOG, DEFAULT_METHOD
from detgrad.errors import DetgradError
from detgrad.impls.base import Method
from detgrad.impls.dispatch import auto
from detgrad.impls.eigen import builtin, eigenlu, guarded, inverse, logdomain
from detgrad.impls.poly import closed, tiny
from detgrad.impls.tf_lu import blocklu, lu

# name -> the module whose det / slogdet implement it
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
    "builtin": builtin,
}

_REGISTRY: dict[str, Method] = {
    name: Method.from_facts(CATALOG[name], module.det, module.slogdet) for name, module in IMPLEMENTATIONS.items()
}

METHODS: tuple[str, ...] = tuple(_REGISTRY)
__all__ = ["METHODS", "DEFAULT_METHOD", "IMPLEMENTATIONS", "get_method"]


def get_method(name: str | None) -> Method:
    """Look up a method by name (``None`` is the default method)."""
    if name is None:
        name = DEFAULT_METHOD
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise DetgradError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}") from None
