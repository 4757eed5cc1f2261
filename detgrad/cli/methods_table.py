"""Generate the README's methods table from the registry (its facts: :mod:`detgrad.catalog`).

``python -m detgrad.cli.methods_table`` prints it; a test checks the README holds the
current table between the ``methods-table`` markers.
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN, END = "<!-- methods-table:begin -->", "<!-- methods-table:end -->"


def methods_table() -> str:
    """Markdown table: one row per method with its self-description."""
    from detgrad.impls.registry import DEFAULT_METHOD, METHODS, get_method

    rows = [
        "| method | family | what it does | dtypes | singular-safe | XLA | max n | flops (value + grad, n = 100) |",
        "|---|---|---|---|---|---|---|---:|",
    ]
    for name in METHODS:
        m = get_method(name)
        label = f"`{name}` (default)" if name == DEFAULT_METHOD else f"`{name}`"
        xla = "yes" if m.xla else f"no ({m.xla_reason})"
        max_n = str(m.max_n) if m.max_n is not None else "any"
        flops = f"{m.flops(100):.3g}" if m.max_n is None or m.max_n >= 100 else f"{m.flops(m.max_n):.3g} at n = {m.max_n}"
        safe = "yes" if m.singular_safe else "no (raises or NaN)"
        if "det" not in m.targets:
            safe = "n/a (positive-definite input is never singular)"
        rows.append(f"| {label} | `{m.family}` | {m.summary} | {', '.join(m.dtypes)} | {safe} | {xla} | {max_n} | {flops} |")
    return "\n".join(rows)


def update_readme(path: Path) -> bool:
    """Rewrite the table between the markers in ``path``; True if it changed."""
    text = path.read_text()
    new = re.sub(f"{re.escape(BEGIN)}.*?{re.escape(END)}", f"{BEGIN}\n{methods_table()}\n{END}", text, flags=re.S)
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1:
        print("updated" if update_readme(Path(sys.argv[1])) else "up to date")
    else:
        print(methods_table())
