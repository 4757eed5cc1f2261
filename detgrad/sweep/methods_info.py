"""What the run file records about each method: the registry's capability flags.

The publishing layer never imports the registry (it never imports TensorFlow),
so the facts a recommendation depends on travel in the run file's header as
``"methods": {name: {"singular_safe": bool, "xla": bool, "max_n": int | None,
"dtypes": [...]}}``.  :func:`methods_info` builds that map from the registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def methods_info(names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Capability map of the registered methods (all of them, or those in ``names`` that are registered).

    Args:
        names: method names to describe; unknown names (e.g. peers) are skipped.  ``None``: every method.

    Returns:
        ``{name: {"singular_safe": bool, "xla": bool, "max_n": int | None, "dtypes": [str, ...]}}``,
        JSON-ready, in registry order.
    """
    from detgrad.impls.registry import METHODS, get_method

    wanted = set(METHODS if names is None else names)
    info: dict[str, dict[str, Any]] = {}
    for name in METHODS:
        if name in wanted:
            m = get_method(name)
            info[name] = {"singular_safe": bool(m.singular_safe), "xla": bool(m.xla), "max_n": m.max_n, "dtypes": list(m.dtypes)}
    return info
