"""The results store: one JSON Lines file per job, append-only while running, sealed at the end.

Layout under the results directory::

    <job-key>.partial.jsonl   per-image rows, appended + fsynced as each image finishes
    <job-key>.jsonl           the same rows followed by one summary row, written atomically
    <job-key>.rank<R>.partial.jsonl   rows rank R of a distributed run measured (one file per
                              rank, so ranks never write the same file); merged when sealed

A job key hashes everything that decides the numbers (variant, dataset manifest, protocol,
settings, weight sha256, versions), so a finished job is found again and not recomputed, and a
killed job resumes from its partial file: at most the image in flight is lost, and no row is
written twice (rows are keyed by image name; a torn last line is ignored).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator


def job_key(parts: dict[str, Any]) -> str:
    """A short stable hash of a job's identity; readable prefix for humans browsing the store."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    digest = hashlib.sha256(blob).hexdigest()[:16]
    prefix = f"{parts.get('variant', 'job')}__{parts.get('dataset', '')}".replace("/", "_")
    return f"{prefix}__{digest}"


def _read_rows(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                return  # torn write from a kill: the image will simply be recomputed
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                return


class JobStore:
    """Rows of one job. ``done`` tells which images are already measured."""

    def __init__(self, root: Path, key: str) -> None:
        self.root = Path(root)
        self.key = key
        self.final = self.root / f"{key}.jsonl"
        self.partial = self.root / f"{key}.partial.jsonl"
        self._clean_shards: set[Path] = set()

    def is_complete(self) -> bool:
        return self.final.exists()

    def load_final(self) -> tuple[list[dict], dict | None]:
        rows = list(_read_rows(self.final))
        summary = next((r for r in rows if r.get("kind") == "summary"), None)
        return [r for r in rows if r.get("kind") == "image"], summary

    def resume(self) -> dict[str, dict]:
        """Image rows already written by an interrupted run, by image name (first one wins)."""
        if not self.partial.exists():
            return {}
        done: dict[str, dict] = {}
        for row in _read_rows(self.partial):
            if row.get("kind") == "image":
                done.setdefault(row["image"], row)
        # Rewrite without a torn tail so appends start on a clean line.
        self._rewrite(self.partial, done.values())
        return done

    def shard_path(self, rank: int) -> Path:
        """Rank ``rank``'s own partial file in a distributed run (only that rank appends to it)."""
        return self.root / f"{self.key}.rank{int(rank)}.partial.jsonl"

    def shard_files(self) -> list[Path]:
        """Every rank's partial file left by a distributed run, whatever its world size was."""
        return sorted(self.root.glob(f"{glob.escape(self.key)}.rank*.partial.jsonl"))

    def resume_all(self) -> dict[str, dict]:
        """Rows already measured by any earlier run of this job: the single-process partial file
        (cleaned like :meth:`resume`) and every rank's shard file, by image name (first one wins)."""
        done = self.resume()
        for row in self._shard_rows():
            done.setdefault(row["image"], row)
        return done

    def read_all(self) -> dict[str, dict]:
        """Like :meth:`resume_all` but strictly read-only (ranks other than the one that seals)."""
        done: dict[str, dict] = {}
        paths = [self.partial] if self.partial.exists() else []
        for path in paths:
            for row in _read_rows(path):
                if row.get("kind") == "image":
                    done.setdefault(row["image"], row)
        for row in self._shard_rows():
            done.setdefault(row["image"], row)
        return done

    def _shard_rows(self) -> Iterator[dict]:
        for path in self.shard_files():
            for row in _read_rows(path):
                if row.get("kind") == "image":
                    yield row

    def append_shard(self, rank: int, row: dict) -> None:
        """``append`` into rank ``rank``'s own file; a torn last line from a kill is dropped first."""
        path = self.shard_path(rank)
        if path not in self._clean_shards:
            if path.exists():
                self._rewrite(path, [r for r in _read_rows(path)])
            self._clean_shards.add(path)
        self.root.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def append(self, row: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.partial, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def seal(self, rows: Iterable[dict], summary: dict) -> None:
        """Write all rows + summary to the final file atomically, then drop the partial file."""
        self._rewrite(self.final, [*rows, summary])
        self.partial.unlink(missing_ok=True)
        self._drop_shards()

    def discard(self) -> None:
        self.final.unlink(missing_ok=True)
        self.partial.unlink(missing_ok=True)
        self._drop_shards()

    def _drop_shards(self) -> None:
        for path in self.shard_files():
            path.unlink(missing_ok=True)

    @staticmethod
    def _rewrite(path: Path, rows: Iterable[dict]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def iter_summaries(root: Path) -> Iterator[dict]:
    """Every sealed job's summary row in a results directory."""
    for path in sorted(Path(root).glob("*.jsonl")):
        if path.name.endswith(".partial.jsonl"):
            continue
        for row in _read_rows(path):
            if row.get("kind") == "summary":
                yield row
