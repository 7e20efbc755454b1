"""The results store: one JSON Lines file per job, append-only while running, sealed at the end.

Layout under the results directory::

    <job-key>.partial.jsonl   per-image rows, appended + fsynced as each image finishes
    <job-key>.jsonl           the same rows followed by one summary row, written atomically
    .locks/<job-key>.lock     held by the one process running the job (filelock; released on exit or kill)
    quarantine/               damaged files set aside byte for byte, with a note of what was wrong
    <job-key>.rank<R>.partial.jsonl   rows rank R of a distributed run measured (one file per
                              rank, so ranks never write the same file); merged when sealed

A job key hashes everything that decides the numbers (variant, dataset manifest, protocol,
settings, weight sha256, versions), so a finished job is found again and not recomputed, and a
killed job resumes from its partial file: at most the image in flight is lost, and no row is
written twice (rows are keyed by image name; a torn last line is dropped).

Guarantees (docs/reliability.md): a sealed file is complete and correct or absent — it is written
to a per-process temporary file, fsynced and renamed, and its summary carries the sha256 of its
image rows; every line read is validated (:mod:`restbench.results.integrity`) and a file that
fails is never returned as a result; rows are strict JSON (no NaN/Infinity); two processes never
run one job at once (the second waits for the first and then reuses its sealed result).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from restbench.results.integrity import STORE_SCHEMA, Damage, FileRead, check_sealed, read_file, row_check, rows_digest, warn

LOCK_DIR = ".locks"
QUARANTINE_DIR = "quarantine"


class StoreError(Exception):
    """The store cannot be written (full disk, read-only folder) or the job is busy; the message says what to do."""


class StoreBusy(StoreError):
    """Another process holds the job's lock and the wait timed out."""


def job_key(parts: dict[str, Any]) -> str:
    """A short stable hash of a job's identity; readable prefix for humans browsing the store."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    digest = hashlib.sha256(blob).hexdigest()[:16]
    prefix = f"{parts.get('variant', 'job')}__{parts.get('dataset', '')}".replace("/", "_")
    return f"{prefix}__{digest}"


def _line(row: dict) -> str:
    """One strict-JSON line: a NaN or Infinity is refused here rather than written as invalid JSON."""
    return json.dumps(row, default=str, allow_nan=False) + "\n"


def _write_error(path: Path, exc: OSError) -> StoreError:
    what = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "read-only file system", errno.EACCES: "permission denied"}.get(exc.errno, exc.strerror or str(exc))
    return StoreError(f"cannot write {path}: {what}; free space or pass --results DIR on another disk "
                      "(images already measured are kept and the job resumes from them)")


class JobStore:
    """Rows of one job. ``done`` tells which images are already measured."""

    def __init__(self, root: Path, key: str) -> None:
        self.root = Path(root)
        self.key = key
        self.final = self.root / f"{key}.jsonl"
        self.partial = self.root / f"{key}.partial.jsonl"
        self.lock_path = self.root / LOCK_DIR / f"{key}.lock"
        self.damage: list[Damage] = []
        self._clean_shards: set[Path] = set()

    # ------------------------------------------------------------------ reading

    def is_complete(self) -> bool:
        return self.final.exists()

    def load_final(self, quiet: bool = False) -> tuple[list[dict], dict | None]:
        """(image rows, summary) of the sealed file; the summary is None when the file is damaged
        (each problem is warned about once, naming file and line, unless ``quiet``)."""
        images, summary, self.damage = check_sealed(read_file(self.final, self.key))
        if self.damage and not quiet:
            warn(self.damage, f"{self.final.name} is not used as a result")
        return (images, summary) if summary is not None else ([], None)

    def resume(self) -> dict[str, dict]:
        """Image rows already written by an interrupted run, by image name (first one wins).

        Damaged lines are set aside in the quarantine folder (warned, with file and line) and the
        partial file is rewritten without them, so appends start on a clean line.
        """
        if not self.partial.exists():
            return {}
        read = read_file(self.partial, self.key)
        done: dict[str, dict] = {}
        damage = list(read.damage)
        for n, row in zip(read.line_numbers, read.rows):
            if row["kind"] != "image":
                damage.append(Damage(self.partial, n, "a summary row in a partial file"))
            elif row["image"] in done:
                damage.append(Damage(self.partial, n, f"a second row for image {row['image']} (the first is kept)"))
            else:
                done[row["image"]] = row
        torn_tail_only = len(damage) == 1 and damage[0].reason.startswith("incomplete last line")
        if damage and not torn_tail_only:  # a torn tail is the expected trace of a kill, not damage to keep
            self.quarantine(self.partial, damage)
            warn(damage, f"{self.partial.name}: resuming from the {len(done)} valid row(s)")
        if damage:
            self.write_rows(self.partial, done.values())
        return done

    def shard_path(self, rank: int) -> Path:
        """Rank ``rank``'s own partial file in a distributed run (only that rank appends to it)."""
        return self.root / f"{self.key}.rank{int(rank)}.partial.jsonl"

    def shard_files(self) -> list[Path]:
        """Every rank's partial file left by a distributed run, whatever its world size was."""
        return sorted(self.root.glob(f"{glob.escape(self.key)}.rank*.partial.jsonl"))

    def resume_all(self) -> dict[str, dict]:
        """Rows already measured by any earlier run of this job: the single-process partial file
        (checked and cleaned like :meth:`resume`) and every rank's shard file, by image name."""
        done = self.resume()
        for row in self._shard_rows():
            done.setdefault(row["image"], row)
        return done

    def read_all(self) -> dict[str, dict]:
        """Like :meth:`resume_all` but strictly read-only (ranks other than the one that seals)."""
        done: dict[str, dict] = {}
        for path in [self.partial, *self.shard_files()]:
            read = read_file(path, self.key)  # every line checked; damaged ones are never used
            for row in read.rows:
                if row["kind"] == "image":
                    done.setdefault(row["image"], row)
        return done

    def _shard_rows(self) -> Iterator[dict]:
        for path in self.shard_files():
            read = read_file(path, self.key)
            real = [d for d in read.damage if not d.reason.startswith("incomplete last line")]
            if real:  # a torn tail is the trace of a killed rank; anything else is warned about
                warn(real, f"{path.name}: those rows are not resumed")
            for row in read.rows:
                if row["kind"] == "image":
                    yield row

    def append_shard(self, rank: int, row: dict) -> dict:
        """:meth:`append` into rank ``rank``'s own file; a torn last line from a kill is dropped first."""
        path = self.shard_path(rank)
        if path not in self._clean_shards:
            read = read_file(path, self.key)
            if read.damage:
                self.write_rows(path, read.rows)
            self._clean_shards.add(path)
        return self._append_to(path, row)

    def _stamp(self, row: dict) -> dict:
        """Every row says which store schema wrote it, which job it belongs to, and carries a
        checksum of itself, so a row changed later is caught on its own line."""
        body = {k: v for k, v in row.items() if k != "check"}
        body.update(schema=STORE_SCHEMA, job_key=self.key)
        return {**body, "check": row_check(body)}

    def append(self, row: dict) -> dict:
        """Append one image row (stamped with the schema and job key) durably; returns the stored row."""
        return self._append_to(self.partial, row)

    def _append_to(self, path: Path, row: dict) -> dict:
        row = self._stamp(row)
        text = _line(row)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError):  # a full disk must not leave an empty file behind
                if path.stat().st_size == 0:
                    path.unlink()
            raise _write_error(path, exc) from None
        return row

    def seal(self, rows: Iterable[dict], summary: dict) -> dict:
        """Write all rows + summary to the final file atomically, then drop the partial file.

        The summary gets ``rows_sha256`` over the image rows, so a sealed file edited or damaged
        later is recognised. Returns the summary as stored.
        """
        images = [self._stamp(r) for r in rows]
        names = [r["image"] for r in images]
        if len(names) != len(set(names)):
            raise RuntimeError(f"refusing to seal {self.key}: an image row appears twice")
        if summary.get("n_images", len(images)) != len(images):
            raise RuntimeError(f"refusing to seal {self.key}: the summary counts {summary['n_images']} images, not {len(images)}")
        summary = self._stamp({**summary, "n_images": len(images), "rows_sha256": rows_digest(images)})
        self.write_rows(self.final, [*images, summary])
        self.partial.unlink(missing_ok=True)
        self._drop_shards()
        return summary

    def discard(self) -> None:
        self.final.unlink(missing_ok=True)
        self.partial.unlink(missing_ok=True)
        self._drop_shards()

    def _drop_shards(self) -> None:
        for path in self.shard_files():
            path.unlink(missing_ok=True)

    @staticmethod
    def write_rows(path: Path, rows: Iterable[dict]) -> None:
        """Temp file unique to this process + fsync + rename: readers see the old file or the new one.

        On any failure (full disk, Ctrl-C) the temporary file is removed, never left half-written.
        """
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "x", encoding="utf-8") as f:
                for r in rows:
                    f.write(_line(r))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _write_error(path, exc) from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    # ------------------------------------------------------------------ one process per job

    @contextlib.contextmanager
    def locked(self, timeout: float | None = None, on_wait: Callable[[], None] | None = None,
               tidy: bool = True) -> Iterator[None]:
        """Hold the job's lock: wait for another process running it (``timeout`` seconds, None = as
        long as it takes), then (``tidy``) clean up what a killed predecessor left behind."""
        from filelock import FileLock, Timeout

        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_error(self.lock_path.parent, exc) from None
        lock = FileLock(str(self.lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait is not None:
                on_wait()
            try:
                lock.acquire(timeout=-1 if timeout is None else timeout)
            except Timeout:
                raise StoreBusy(
                    f"job {self.key} is busy: another restbench process is running it (lock {self.lock_path}); "
                    "wait for it to finish, or pass --lock-timeout SECONDS to wait longer"
                ) from None
        except OSError as exc:
            raise _write_error(self.lock_path, exc) from None
        try:
            if tidy:
                self.tidy()
            yield
        finally:
            lock.release()

    def stale_temp_files(self) -> list[Path]:
        return sorted(self.root.glob(f"{self.key}.*.tmp"))

    def tidy(self) -> None:
        """Under the lock: drop temp files of killed writers, a partial file left beside its sealed
        file (killed between rename and unlink), and set aside a sealed file that is damaged —
        its valid image rows become the partial file, so only the lost images are recomputed."""
        for tmp in self.stale_temp_files():
            tmp.unlink(missing_ok=True)
        if not self.final.exists():
            return
        images, summary = self.load_final()
        if summary is not None:
            self.partial.unlink(missing_ok=True)
            return
        self.salvage()

    def salvage(self) -> int | None:
        """Set a damaged sealed file aside in the quarantine. When its valid lines alone are a whole
        result (the damage was an extra line), it stays sealed without them and None is returned;
        otherwise its valid image rows (merged with any partial rows) become the partial file, the
        sealed file is removed, and the number of rows kept is returned."""
        read = read_file(self.final, self.key)
        _, _, damage = check_sealed(read)
        _, whole, _ = check_sealed(FileRead(read.path, read.rows, read.line_numbers, []))
        if whole is not None:
            self.quarantine(self.final, damage)
            self.write_rows(self.final, read.rows)
            return None
        kept: dict[str, dict] = {}
        for row in read.rows:
            if row["kind"] == "image":
                kept.setdefault(row["image"], row)
        for name, row in self.resume().items():
            kept.setdefault(name, row)
        self.quarantine(self.final, damage)
        self.write_rows(self.partial, kept.values())
        self.final.unlink(missing_ok=True)
        return len(kept)

    def quarantine(self, path: Path, damage: Iterable[Damage]) -> Path:
        """Copy ``path`` byte for byte into the quarantine folder with a note of what was wrong."""
        qdir = self.root / QUARANTINE_DIR
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        dest = qdir / f"{path.name}.{stamp}"
        try:
            qdir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            dest.with_name(dest.name + ".why").write_text("".join(f"{d}\n" for d in damage), encoding="utf-8")
        except OSError as exc:
            raise _write_error(qdir, exc) from None
        return dest


def iter_summaries(root: Path) -> Iterator[dict]:
    """Every sealed job's summary row in a results directory (damaged files are warned about and skipped)."""
    for path in sealed_files(root):
        _, summary = JobStore(path.parent, path.name[: -len(".jsonl")]).load_final()
        if summary is not None:
            yield summary


def sealed_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).glob("*.jsonl") if not p.name.endswith(".partial.jsonl"))


__all__ = ["JobStore", "StoreBusy", "StoreError", "iter_summaries", "job_key", "sealed_files"]
