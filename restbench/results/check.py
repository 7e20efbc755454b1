"""``restbench store check [--repair]``: find (and set aside) what the results store cannot vouch for.

Checks every job file under a results folder with the same rules the store applies when it reads
(:mod:`restbench.results.integrity`): damaged or foreign lines, sealed files whose rows do not add
up to their summary, duplicate rows, partial files left beside their sealed file, and temporary
files of interrupted writes. ``repair`` works under each job's lock (a job being run right now is
left alone) and loses nothing: every file it changes is first copied byte for byte into
``quarantine/`` with a ``.why`` note, then rewritten with only its valid lines. A sealed file whose
valid lines no longer make a whole result is taken apart: its valid image rows become the job's
partial file, so the next ``restbench run`` of that job measures only the images that were lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from restbench.results.integrity import Damage, FileRead, check_sealed, read_file
from restbench.results.store import JobStore, StoreBusy, StoreError, sealed_files


@dataclass
class JobCheck:
    """What was found for one job key, and (with repair) what was done about it."""

    key: str
    problems: list[Damage] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    busy: bool = False
    sealed: bool = False

    def to_dict(self) -> dict:
        return dict(job_key=self.key, sealed=self.sealed, busy=self.busy,
                    problems=[dict(file=str(d.path), line=d.line, reason=d.reason) for d in self.problems],
                    actions=list(self.actions))


@dataclass
class StoreCheck:
    root: Path
    jobs: list[JobCheck] = field(default_factory=list)

    @property
    def damaged(self) -> list[JobCheck]:
        return [j for j in self.jobs if j.problems]

    @property
    def unrepaired(self) -> list[JobCheck]:
        return [j for j in self.jobs if (j.problems and not j.actions) or j.busy]

    def to_dict(self) -> dict:
        return dict(results=str(self.root), jobs_checked=len(self.jobs), damaged=len(self.damaged),
                    jobs=[j.to_dict() for j in self.jobs if j.problems or j.actions or j.busy])


def job_keys(root: Path) -> list[str]:
    """Every job key with a sealed, partial or temporary file under ``root``."""
    keys = {p.name[: -len(".jsonl")] for p in sealed_files(root)}
    keys |= {p.name[: -len(".partial.jsonl")] for p in Path(root).glob("*.partial.jsonl")}
    for tmp in Path(root).glob("*.jsonl.*.tmp"):
        head = tmp.name.split(".jsonl.", 1)[0]
        keys.add(head[: -len(".partial")] if head.endswith(".partial") else head)
    return sorted(keys)


def _partial_problems(read: FileRead) -> tuple[dict[str, dict], list[Damage]]:
    kept: dict[str, dict] = {}
    damage = list(read.damage)
    for n, row in zip(read.line_numbers, read.rows):
        if row["kind"] != "image":
            damage.append(Damage(read.path, n, "a summary row in a partial file"))
        elif row["image"] in kept:
            damage.append(Damage(read.path, n, f"a second row for image {row['image']} (the first is kept)"))
        else:
            kept[row["image"]] = row
    return kept, damage


def _inspect(store: JobStore, job: JobCheck) -> None:
    final_ok = False
    if store.final.exists():
        job.sealed = True
        _, summary, damage = check_sealed(read_file(store.final, store.key))
        job.problems += damage
        final_ok = summary is not None
    if store.partial.exists():
        _, damage = _partial_problems(read_file(store.partial, store.key))
        job.problems += damage
        if final_ok:
            job.problems.append(Damage(store.partial, None, "partial file left beside its sealed file "
                                       "(a run stopped between sealing and cleaning up)"))
    for tmp in store.stale_temp_files():
        job.problems.append(Damage(tmp, None, "temporary file of an interrupted write"))


def _repair(store: JobStore, job: JobCheck) -> None:
    final_ok = False
    if store.final.exists():
        read = read_file(store.final, store.key)
        _, summary, damage = check_sealed(read)
        if summary is not None:
            final_ok = True
        elif damage:
            kept = store.salvage()
            if kept is None:  # the damaged lines were extra: the valid ones are the whole result
                job.actions.append(f"{store.final.name}: {len(damage)} damaged line(s) set aside in quarantine/; "
                                   "the sealed result is whole without them")
                final_ok = True
            else:
                job.actions.append(f"{store.final.name}: not a whole result; set aside in quarantine/, its {kept} "
                                   "valid image row(s) kept as the partial file (the next `restbench run` of this "
                                   "job measures only the missing images)")
                job.sealed = False
    if store.partial.exists():
        read = read_file(store.partial, store.key)
        kept, damage = _partial_problems(read)
        if final_ok:
            where = store.quarantine(store.partial, [Damage(store.partial, None, "left beside its sealed file")])
            store.partial.unlink(missing_ok=True)
            job.actions.append(f"{store.partial.name}: redundant beside the sealed file; moved to {where}")
        elif damage:
            where = store.quarantine(store.partial, damage)
            store.write_rows(store.partial, kept.values())
            job.actions.append(f"{store.partial.name}: {len(damage)} damaged line(s) set aside in {where}; "
                               f"{len(kept)} valid row(s) kept")
    for tmp in store.stale_temp_files():
        if tmp.stat().st_size:
            store.quarantine(tmp, [Damage(tmp, None, "temporary file of an interrupted write")])
        tmp.unlink(missing_ok=True)
        job.actions.append(f"{tmp.name}: removed (temporary file of an interrupted write)")


def check_store(root: Path, repair: bool = False) -> StoreCheck:
    """Check (and with ``repair`` fix) every job under ``root``; jobs being run now are reported busy."""
    result = StoreCheck(Path(root))
    for key in job_keys(root):
        store, job = JobStore(root, key), JobCheck(key)
        result.jobs.append(job)
        try:
            with store.locked(timeout=0, tidy=False):
                _inspect(store, job)
                if repair and job.problems:
                    _repair(store, job)
        except StoreBusy:
            job.busy = True
        except StoreError:
            if repair:
                raise
            _inspect(store, job)  # a read-only store can still be checked, just not locked
    return result


__all__ = ["JobCheck", "StoreCheck", "check_store", "job_keys"]
