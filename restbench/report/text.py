"""Formatting the boards, the paper tables and the site share: empty-cell rules, notes, and links
from a protocol's name to its section in docs/protocols.md."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Mapping


def has_value(x) -> bool:
    """False for None, NaN (pandas' stand-in for None) and empty strings."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return False
    return x != ""


def notes_text(r: Mapping) -> str:
    out = []
    if r["efficiency_only"]:
        out.append("efficiency only: random weights")
    if r["partial"]:
        out.append(f"subset: {r['n_images']} images")
    if r["self_ensemble"]:
        out.append("×8 self-ensemble")
    if has_value(r["precision"]) and r["precision"] != "fp32":
        out.append(str(r["precision"]))
    if r["tiled_images"]:
        out.append(f"tiled ({r['tiled_images']} img)")
    if has_value(r["claim_note"]):
        out.append(f"paper: {r['claim_note']}")
    return "; ".join(out)


def heading_slug(text: str) -> str:
    """The anchor GitHub (and most markdown renderers) give a heading: lower case, punctuation
    other than ``-``/``_`` dropped, spaces to hyphens (``### `kair-denoise` `` → ``kair-denoise``)."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def find_protocols_doc() -> Path | None:
    """docs/protocols.md of the source checkout this module runs from (None when installed)."""
    for parent in Path(__file__).resolve().parents:
        doc = parent / "docs" / "protocols.md"
        if doc.is_file():
            return doc
    return None


def protocols_doc_link(out: Path) -> str | None:
    """How a board in ``out`` links docs/protocols.md: a relative path when ``out`` lies in the
    same checkout (``leaderboards/`` → ``../docs/protocols.md``), else None (no link)."""
    doc = find_protocols_doc()
    if doc is None:
        return None
    out = Path(out).resolve()
    root = doc.parent.parent
    if out != root and root not in out.parents:
        return None
    return Path(os.path.relpath(doc, out)).as_posix()


def as_json(x) -> str:
    return json.dumps(x, sort_keys=True, default=str)


def protocol_changed(name: str | None, stored: Mapping | None) -> bool:
    """True when a run's stored protocol settings are not today's definition of that protocol, so a
    link to today's docs would describe something else (the stored settings stay in the CSV)."""
    from dataclasses import asdict

    from restbench.protocols import PROTOCOLS

    if not stored or name not in PROTOCOLS:
        return False
    return json.loads(as_json(asdict(PROTOCOLS[name]))) != json.loads(as_json(stored))


def protocol_ref(name: str | None, doc: str | None) -> str:
    """``[`name`](doc#name)`` for a protocol documented under its own heading, else ``name`` in code."""
    from restbench.protocols import PROTOCOLS

    if not has_value(name):
        return "`?`"
    if doc and name in PROTOCOLS:
        return f"[`{name}`]({doc}#{heading_slug(name)})"
    return f"`{name}`"



__all__ = ["as_json", "board_stem", "dataset_label", "split_label", "find_protocols_doc", "has_value", "heading_slug", "notes_text", "protocol_changed",
           "protocol_ref", "protocols_doc_link"]


def split_label(dataset: str, subset: str | None) -> str:
    """The test set as reports name it: ``DPDD``, or ``DPDD (indoor)`` for a published split of it."""
    return f"{dataset} ({subset})" if subset else str(dataset)


def dataset_label(s: Mapping) -> str:
    """:func:`split_label` of a summary row."""
    return split_label(s.get("dataset"), s.get("subset"))


def board_stem(dataset: str) -> str:
    """The file name (no suffix) of a test set's board and site page: ``DPDD``, ``DPDD-indoor`` for the
    label ``DPDD (indoor)``; characters that do not belong in a file name become ``_``."""
    name = re.sub(r" \(([^()]+)\)$", r"-\1", str(dataset))
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
