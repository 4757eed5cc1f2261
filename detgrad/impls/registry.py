"""The registry of determinant methods: each :data:`detgrad.catalog.CATALOG` entry with its implementation.

The facts (summary, dtypes, singular-safety, XLA, flops, chart look) live in :mod:`detgrad.catalog`;
this module only says which code runs for each name.  :data:`METHODS` is in registry order.
"""

from __future__ import annotations

import dataclasses
import functools
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
# Variants of the default for measuring it (``detgrad tune``, the tuned-vs-built-in presets), not listed in METHODS:
# "auto@builtin" dispatches by the built-in table even when a tuned table is in force; "auto@<path>" always takes
# that path of auto.PATHS (with auto's own handling of a batch of one).
AUTO_VARIANTS: tuple[str, ...] = tuple(f"{DEFAULT_METHOD}@{v}" for v in (auto.BUILTIN_TABLE, *auto.PATHS))
__all__ = ["METHODS", "DET_METHODS", "DEFAULT_METHOD", "IMPLEMENTATIONS", "AUTO_VARIANTS", "get_method"]


@functools.cache
def _variant(name: str) -> Method:
    """The Method of an :data:`AUTO_VARIANTS` name: auto's facts, the variant's code and its path's limits."""
    which = name.split("@", 1)[1]
    base = _REGISTRY[DEFAULT_METHOD]
    limits = {}
    if which in auto.PATHS:
        limits = {"max_n": auto.PATH_MAX_N.get(which)}
        if which in ("guarded", "nested"):
            limits.update(xla=False, xla_reason=f"auto's {which} path runs TF kernels or nests its own XLA kernel in a graph")
    return dataclasses.replace(
        base,
        name=name,
        summary=f"{base.name} with {'its built-in dispatch table' if which == auto.BUILTIN_TABLE else f'the {which} path'}",
        det=functools.partial(auto.det, path=which),
        slogdet=functools.partial(auto.slogdet, path=which),
        logdet=None,
        targets=("det", "logdet"),
        **limits,
    )


def get_method(name: str | None) -> Method:
    """Look up a method by name (``None`` is the default method)."""
    if name is None:
        name = DEFAULT_METHOD
    if name in AUTO_VARIANTS:
        return _variant(name)
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise DetgradError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}") from None
