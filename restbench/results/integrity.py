"""Validating every line the results store reads, and saying where a file is damaged.

The store only vouches for what it wrote: a line is accepted when it is UTF-8 text holding one
strict-JSON object (no NaN/Infinity) of a known ``kind`` and a store ``schema`` this version reads,
whose ``job_key`` (or, for rows written before job keys were stamped on image rows, whose variant
and test set) is the job of the file it sits in, and whose ``check`` — a sha256 over the rest of
the row, stamped when restbench wrote it — still matches (an edited number is caught per row). A sealed file must in addition hold each image
once, end with its summary, count ``n_images`` rows and match the summary's ``rows_sha256``.
Anything else is reported as a :class:`Damage` naming the file and the line; nothing damaged is
ever returned as a result.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

STORE_SCHEMA = 1  # the version of the row format this restbench writes
READABLE_SCHEMAS = (1,)  # rows without a ``schema`` field were written by schema 1
KINDS = ("image", "summary")
NUMERIC_IMAGE_FIELDS = ("psnr", "ssim", "psnrb", "forward_s")
REPAIR_HINT = "run `restbench store check --repair` to set damaged lines aside"


@dataclass(frozen=True)
class Damage:
    """One problem in one store file; ``line`` is 1-based, None for the file as a whole."""

    path: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.path}{'' if self.line is None else f' line {self.line}'}: {self.reason}"


@dataclass
class FileRead:
    """The valid rows of one file (with their line numbers) and what was wrong with the rest."""

    path: Path
    rows: list[dict] = field(default_factory=list)
    line_numbers: list[int] = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)


def key_prefix(variant: object, dataset: object) -> str:
    """The readable head of a job key (see :func:`restbench.results.store.job_key`)."""
    return f"{variant or 'job'}__{dataset or ''}".replace("/", "_")


def row_check(row: dict) -> str:
    """The checksum a row is stamped with: sha256 over its other fields (key order ignored), 16 hex digits."""
    body = {k: v for k, v in row.items() if k != "check"}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class _NonFinite(ValueError):
    pass


def _no_constants(name: str):
    raise _NonFinite(f"non-finite number {name} (not valid JSON)")


def parse_line(raw: bytes, key: str) -> tuple[dict | None, str | None]:
    """(row, None) for a line the store can vouch for in job ``key``'s file, else (None, why)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
    if not text.strip():
        return None, "empty line"
    try:
        row = json.loads(text, parse_constant=_no_constants)
    except _NonFinite as exc:
        return None, str(exc)
    except ValueError as exc:
        return None, f"not valid JSON ({str(exc).split(':')[0]})"
    if not isinstance(row, dict):
        return None, f"a JSON {type(row).__name__}, not a row object"
    kind = row.get("kind")
    if kind not in KINDS:
        return None, f"unknown row kind {kind!r}"
    schema = row.get("schema", 1)
    if schema not in READABLE_SCHEMAS:
        return None, f"written by store schema {schema!r}; this restbench reads schema {STORE_SCHEMA} (upgrade restbench to read it)"
    owner = row.get("job_key")
    if owner is not None and owner != key:
        return None, f"belongs to job {owner}, not to this file's job {key}"
    if owner is None:
        if kind == "summary":
            return None, "summary without a job_key"
        if not key.startswith(key_prefix(row.get("variant"), row.get("dataset")) + "__"):
            return None, f"row of {row.get('variant')} on {row.get('dataset')}, not of this file's job {key}"
    if "check" in row and row["check"] != row_check(row):
        return None, "changed after restbench wrote it (the row's check does not match its content)"
    if kind == "image":
        if not isinstance(row.get("image"), str) or not row["image"]:
            return None, "image row without an image name"
        for k in NUMERIC_IMAGE_FIELDS:
            val = row.get(k)
            if val is not None and (isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val)):
                return None, f"image {row['image']}: {k} is {val!r}, not a finite number"
    elif not isinstance(row.get("n_images"), int) or row["n_images"] < 1:
        return None, "summary without a positive n_images"
    return row, None


def read_file(path: Path, key: str) -> FileRead:
    """Every line of ``path`` checked by :func:`parse_line`; a last line without its newline is damage too."""
    out = FileRead(Path(path))
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return out
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    for number, raw in enumerate(lines, 1):
        row, why = parse_line(raw, key)
        if row is None:
            out.damage.append(Damage(out.path, number, why or "unreadable"))
        else:
            out.rows.append(row)
            out.line_numbers.append(number)
    if tail:
        out.damage.append(Damage(out.path, len(lines) + 1, "incomplete last line (an interrupted write)"))
    return out


def rows_digest(images: Iterable[dict]) -> str:
    """sha256 over the image rows in file order, key order ignored: the seal a summary carries."""
    h = hashlib.sha256()
    for r in images:
        h.update(json.dumps(r, sort_keys=True, separators=(",", ":"), allow_nan=False, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()


def check_sealed(read: FileRead) -> tuple[list[dict], dict | None, list[Damage]]:
    """(image rows, summary, damage) of a sealed file; the summary is None unless the file is whole."""
    damage = list(read.damage)
    images = [r for r in read.rows if r["kind"] == "image"]
    summaries = [(n, r) for n, r in zip(read.line_numbers, read.rows) if r["kind"] == "summary"]
    summary = None
    if not summaries:
        damage.append(Damage(read.path, None, "sealed file without a summary row"))
    else:
        if len(summaries) > 1:
            damage.extend(Damage(read.path, n, "a second summary row") for n, _ in summaries[1:])
        line, summary = summaries[0]
        if read.rows[-1] is not summary:
            damage.append(Damage(read.path, line, "the summary is not the last row"))
        names = [r["image"] for r in images]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            damage.append(Damage(read.path, None, f"image rows appear twice: {', '.join(dupes[:5])}"))
        if summary["n_images"] != len(images):
            damage.append(Damage(read.path, None, f"the summary counts {summary['n_images']} images, the file holds {len(images)} valid image rows"))
        elif summary.get("rows_sha256") and summary["rows_sha256"] != rows_digest(images):
            damage.append(Damage(read.path, None, "the image rows do not match the summary's rows_sha256 (edited after sealing)"))
    return images, (summary if not damage else None), damage


_WARNED: set[Damage] = set()


def forget_warnings() -> None:
    """Start a new command: each problem is warned about once per command, not once per process."""
    _WARNED.clear()


def warn(damage: Iterable[Damage], consequence: str) -> None:
    """One ``restbench: warning:`` line per problem on stderr, once per process, plus what follows from it."""
    fresh = [d for d in damage if d not in _WARNED]
    if not fresh:
        return
    _WARNED.update(fresh)
    for d in fresh[:10]:
        print(f"restbench: warning: {d}", file=sys.stderr)
    if len(fresh) > 10:
        print(f"restbench: warning: … and {len(fresh) - 10} more problem(s) in the results store", file=sys.stderr)
    print(f"restbench: warning: {consequence}; {REPAIR_HINT}", file=sys.stderr)


__all__ = ["Damage", "FileRead", "KINDS", "READABLE_SCHEMAS", "STORE_SCHEMA", "check_sealed", "key_prefix",
           "forget_warnings", "parse_line", "read_file", "row_check", "rows_digest", "warn"]
