"""Method capabilities as the publishing layer knows them: from the run file, else a built-in table.

A run file written by a current sweep carries ``header["methods"]`` (see
:mod:`detgrad.sweep.methods_info`): per method, whether its gradient is right
at singular input (``singular_safe``) and whether it compiles under XLA.  Older
run files have no such map; for them :data:`KNOWN_SINGULAR_SAFE` gives the
answer for the method names detgrad has shipped, and any other name counts as
not singular-safe.  Never imports TensorFlow or the registry.
"""

from __future__ import annotations

from typing import Any

# Whether a method's gradient is right at exactly singular input, for run files without a "methods" map.
KNOWN_SINGULAR_SAFE: dict[str, bool] = {
    "lu": True, "closed": True, "tiny": True, "auto": True, "guarded": True, "blocklu": True,
    "builtin": False, "inverse": False, "slogdet": False, "eigenlu": False,
}  # fmt: skip
FROM_RUN = "run file"
FROM_TABLE = "built-in table"


def capabilities(header: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The header's ``methods`` map (``{}`` when the run predates it or it is malformed)."""
    info = header.get("methods")
    if not isinstance(info, dict):
        info = (header.get("environment") or {}).get("methods")
    return {str(k): v for k, v in info.items() if isinstance(v, dict)} if isinstance(info, dict) else {}


def source(header: dict[str, Any]) -> str:
    """Where the singular-safety of this run's methods comes from: :data:`FROM_RUN` or :data:`FROM_TABLE`."""
    return FROM_RUN if capabilities(header) else FROM_TABLE


def singular_safe(header: dict[str, Any], family: str, method: str) -> bool:
    """True if ``method``'s gradient is right at singular input, per the run file or the built-in table.

    Peers (``family`` other than ``detgrad``) and unknown names are not singular-safe.
    """
    if family != "detgrad":
        return False
    info = capabilities(header)
    if info:
        entry = info.get(method)
        return bool(entry.get("singular_safe")) if entry else False
    return KNOWN_SINGULAR_SAFE.get(method, False)


def describe_table() -> str:
    """One sentence listing the built-in table (for reports on run files without a methods map)."""
    safe = ", ".join(f"`{m}`" for m, s in KNOWN_SINGULAR_SAFE.items() if s)
    unsafe = ", ".join(f"`{m}`" for m, s in KNOWN_SINGULAR_SAFE.items() if not s)
    return f"singular-safe: {safe}; not singular-safe: {unsafe}; any other method counts as not singular-safe"
