"""What the publishing layer knows about each method: singular-safety fallback, chart look and display order.

:data:`LOOKS` holds every series' chart facts: detgrad's methods from :data:`detgrad.catalog.CATALOG`
(their one home) and the peers as users write them (``jax.jit``, ``torch``, ``numpy``), each with its
colour, marker and, by its position, its place in legends and tables.
:func:`look` resolves any series name, :func:`series_order` sorts names by that order.

A run file written by a current sweep carries ``header["methods"]`` (see
:mod:`detgrad.sweep.methods_info`): per method, whether its gradient is right
at singular input (``singular_safe``) and whether it compiles under XLA.  Older
run files have no such map; for them :data:`KNOWN_SINGULAR_SAFE` (from :data:`LOOKS`)
gives the answer for the method names detgrad has shipped, and any other name counts as
not singular-safe.  Never imports TensorFlow or the registry (the catalog is plain data).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from detgrad.catalog import CATALOG


@dataclass(frozen=True)
class Look:
    """How one series is drawn and what the report assumes about it when the run file does not say.

    Attributes:
        color: line and marker colour (hex).
        marker: matplotlib marker code.
        singular_safe: the gradient is right at exactly singular input (fallback for run files
            without a ``methods`` map; peers are never singular-safe).
        peer: another framework's method (drawn dashed, never recommended).
    """

    color: str
    marker: str
    singular_safe: bool = False
    peer: bool = False


# Every series a run can hold, in display order (legends, table columns): detgrad's methods as the
# catalog lists them (its colours and markers; the default second, TF's builtin last), then the peers
# by the names users write.  No two entries share colour and marker.
LOOKS: dict[str, Look] = {
    **{name: Look(f.color, f.marker, singular_safe=f.singular_safe) for name, f in CATALOG.items()},
    "jax.jit": Look("#E69F00", "<", peer=True),  # orange
    "torch": Look("#56B4E9", ">", peer=True),  # sky blue
    "numpy": Look("#999999", "h", peer=True),  # grey
}
# A peer's one method, named as its users write it (the run file says family "jax", method "jax").
PEER_LABEL: dict[str, str] = {"jax": "jax.jit", "torch": "torch", "numpy": "numpy"}
# For series no entry names (a peer's other methods such as ``jax.slogdet``, a method newer than this
# table): a stable pick by name, never a pair of :data:`LOOKS`.
_SPARE_COLORS = ("#AA4499", "#661100", "#6699CC", "#888833", "#AA4466", "#4477AA")
_SPARE_MARKERS = ("8", "H", "1", "2", "3", "4")  # not "x": the accuracy chart marks failed checks with it

# Whether a method's gradient is right at exactly singular input, for run files without a "methods" map.
KNOWN_SINGULAR_SAFE: dict[str, bool] = {name: lk.singular_safe for name, lk in LOOKS.items() if not lk.peer}
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


def family_of(series: str) -> str:
    """The framework a series name belongs to: ``jax.slogdet`` and ``jax.jit`` -> ``jax``; detgrad names -> themselves."""
    return series.split(".", 1)[0]


def is_peer(series: str) -> bool:
    """True for another framework's series (``jax.jit``, ``torch``, ``numpy.det``)."""
    entry = LOOKS.get(series)
    return entry.peer if entry else family_of(series) in PEER_LABEL


def look(series: str) -> Look:
    """The :class:`Look` of a series name: its :data:`LOOKS` entry, else a stable spare one.

    A peer's other method (``jax.slogdet``) keeps its framework's colour with a spare marker; an unknown
    name gets a spare colour and marker picked by a checksum of the name, so it looks the same in every chart.
    """
    if series in LOOKS:
        return LOOKS[series]
    pick = zlib.crc32(series.encode("utf-8"))
    family = PEER_LABEL.get(family_of(series))
    if family is not None:
        return Look(LOOKS[family].color, _SPARE_MARKERS[pick % len(_SPARE_MARKERS)], peer=True)
    return Look(_SPARE_COLORS[pick % len(_SPARE_COLORS)], _SPARE_MARKERS[(pick // len(_SPARE_COLORS)) % len(_SPARE_MARKERS)])


def series_order(names: Iterable[str]) -> list[str]:
    """Unique ``names`` in display order: :data:`LOOKS` order, other peer series after their framework's
    entry, then anything else alphabetically."""
    order = list(LOOKS)
    names = list(dict.fromkeys(names))

    def rank(s: str) -> tuple[int, int, str]:
        if s in LOOKS:
            return (0, order.index(s), "")
        family = PEER_LABEL.get(family_of(s))
        if family is not None:
            return (0, order.index(family), s)
        return (1, 0, s)

    return sorted(names, key=rank)
