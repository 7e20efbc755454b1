"""Which part of a job this process runs, and where its rows go: the seam between the job loop
(:mod:`restbench.engine.runner`) and a distributed run (:mod:`restbench.engine.distributed`).

:func:`~restbench.engine.runner.run_job` asks its shard four things: the rows already measured
(``begin``), which images to run (``only``), where a new row goes (``append``) and, at the end,
every row of the job if this process seals it (``finish``; ``None`` on ranks that do not seal).
:class:`WholeJob` is the single-process answer: every image, rows in the job's own partial file.
It still reads the per-rank files a killed distributed run left, so rerunning that run as one
process completes the job without measuring an image twice.
"""

from __future__ import annotations

from typing import Protocol

from restbench.results.store import JobStore


class JobShard(Protocol):
    def begin(self, store: JobStore, force: bool) -> dict[str, dict]: ...
    def only(self) -> set[str] | None: ...
    def append(self, store: JobStore, row: dict) -> dict: ...
    def finish(self, store: JobStore, rows: list[dict]) -> list[dict] | None: ...
    def summary_fields(self, rows: list[dict]) -> dict: ...


class WholeJob:
    """The whole job in this process (a single-process run, or a rank that owns whole jobs).

    ``rank``/``world_size``/``devices`` are set when a distributed run hands this process whole
    jobs: rows then carry the rank, and the summary the run's world size and every rank's device.
    """

    def __init__(self, rank: int | None = None, world_size: int = 1, devices: list[str] | None = None) -> None:
        self.rank, self.world_size, self.devices = rank, world_size, devices

    def begin(self, store: JobStore, force: bool) -> dict[str, dict]:
        if force:
            store.discard()
        return store.resume_all()

    def only(self) -> set[str] | None:
        return None

    def append(self, store: JobStore, row: dict) -> dict:
        """Write the row; returns it as stored (stamped with the schema, job key and check)."""
        if self.rank is not None:
            row["rank"] = self.rank
        return store.append(row)

    def finish(self, store: JobStore, rows: list[dict]) -> list[dict] | None:
        return rows

    def summary_fields(self, rows: list[dict]) -> dict:
        if self.rank is None:
            return {}
        return dict(world_size=self.world_size, devices=self.devices, ranks=[self.rank])


__all__ = ["JobShard", "WholeJob"]
