"""How restbench prints for people and for programs: one JSON document, or a plain text table.

Every command that offers ``--json`` writes through :func:`emit_json`, and every terminal table
goes through :func:`print_table`, so the two faces of the tool look the same everywhere.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, TextIO


def _finite(obj: Any) -> Any:
    """NaN and ±Infinity are not JSON; a reader gets ``null`` rather than an invalid document."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def emit_json(obj: Any, file: TextIO | None = None) -> None:
    """One indented, strictly valid JSON document on stdout (``default=str`` for paths, dates)."""
    out = file or sys.stdout
    json.dump(_finite(obj), out, indent=2, default=str, allow_nan=False)
    out.write("\n")


def print_table(rows: list[dict], file: TextIO | None = None) -> None:
    """Left-aligned plain-text table, as wide as its content, headed by the upper-cased keys."""
    if not rows:
        return
    out = file or sys.stdout
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
    print("  ".join(c.upper().ljust(width[c]) for c in cols).rstrip(), file=out)
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(width[c]) for c in cols).rstrip(), file=out)


__all__ = ["emit_json", "print_table"]
