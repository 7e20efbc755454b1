"""Getting what a plan needs before its first job: the test set and every checkpoint.

``restbench run --models all --dataset GoPro`` on a fresh machine must just work, so the run
first lists what is missing (:func:`missing_for`), then fetches it (:func:`acquire`) with the
fetch stage's atomic, verified downloads (a progress bar per file) — mirror first, then the
authors' sources in order. Offline (``--offline``, ``RESTBENCH_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``)
nothing is fetched from an origin, and one error lists everything missing with every way to get
it. ``--dry-run`` prints :func:`missing_for` with the download sizes where they are known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from restbench.datasets import DatasetError, find_root, how_to_get
from restbench.engine.models import family_override
from restbench.engine.options import RunOptions
from restbench.engine.plan import Job
from restbench.errors import UserError
from restbench.fetch.datasets import dataset_remotes, download_dataset
from restbench.fetch.weights import WeightsUnavailable, remotes_of, resolve_weights, weights_status
from restbench.sources import Remote


@dataclass
class Missing:
    """One thing a plan needs that is not on this machine."""

    kind: str  # "test set" or "weights"
    name: str  # the set's name or the variant id
    remotes: list[Remote] = field(default_factory=list)
    automatic: bool = True

    @property
    def size(self) -> int | None:
        """Bytes of the first source (the one tried first), when its size is recorded."""
        return self.remotes[0].size if self.remotes else None

    def describe(self) -> str:
        import urllib.parse

        where = ", ".join(dict.fromkeys(urllib.parse.urlsplit(r.canonical_url).hostname or r.describe()
                                        for r in self.remotes))
        if not where:
            how = "see `restbench datasets`" if self.kind == "test set" else f"see `restbench models {self.name} --json` notes"
            return f"{self.kind} {self.name}: no automatic source (by hand: {how})"
        return f"{self.kind} {self.name}: {human_size(self.size)} from {where}"


def human_size(n: int | None) -> str:
    if n is None:
        return "size unknown"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _needs_download(job: Job, opts: RunOptions) -> bool:
    v = job.variant
    if not v.needs_weights:
        return False
    if opts.weights.get(v.id) or family_override(job, opts) or opts.weights.get("all"):
        return False  # --weights ID=PATH or ID=random: nothing to fetch
    return weights_status(v) not in ("cached", "hf-cache")


def missing_for(state, jobs: Iterable[Job], opts: RunOptions) -> list[Missing]:
    """What the jobs need that is neither in ``opts.data_root`` nor in the cache (no network)."""
    out: list[Missing] = []
    seen: set[tuple[str, str]] = set()
    jobs = list(jobs)
    for j in jobs:
        if j.variant.weight_file:
            opts.family_weight_files.setdefault(j.variant.arch, set()).add(j.variant.weight_file)
    for job in jobs:
        spec = state.registry.datasets[job.dataset]
        if ("set", spec.name) not in seen:
            seen.add(("set", spec.name))
            try:
                find_root(spec, opts.data_root)
            except DatasetError:
                auto = [s for s in spec.sources if s.automatic]
                out.append(Missing("test set", spec.name, dataset_remotes(spec) if auto else [], bool(auto)))
        v = job.variant
        if ("weights", v.id) not in seen and _needs_download(job, opts):
            seen.add(("weights", v.id))
            out.append(Missing("weights", v.id, remotes_of(v), bool(v.sources)))
    return out


def acquire(state, jobs: Iterable[Job], opts: RunOptions, *, strict_weights: bool = True) -> list[str]:
    """Fetch every missing test set and checkpoint of ``jobs`` now; returns the problems.

    Raises one :class:`UserError` (exit status 1) listing every missing test set, and every missing
    checkpoint when ``strict_weights`` (a run that may fall back to random weights — the demo —
    passes False and gets those problems back instead).
    """
    jobs = list(jobs)
    problems, soft = [], []
    for item in missing_for(state, jobs, opts):
        if item.kind == "test set":
            spec = state.registry.datasets[item.name]
            try:
                download_dataset(spec, None, progress=opts.progress, offline=opts.offline,
                                 registered=state.registry.datasets.values())
            except DatasetError as exc:
                problems.append(f"test set {item.name}: {exc}")
        else:
            v = state.registry.variants[item.name]
            try:
                resolve_weights(v, offline=opts.offline, progress=opts.progress)
            except WeightsUnavailable as exc:
                (problems if strict_weights else soft).append(f"weights of {v.id}: {exc}")
    if problems:
        raise UserError(
            f"{len(problems)} thing(s) this run needs could not be fetched:\n"
            + "\n".join(f"- {p}" for p in problems)
            + "\nPre-fetch them on a machine with internet (`restbench download-data SET`, `restbench download MODEL`,"
            " or `restbench mirror DIR` for a whole cluster and RESTBENCH_MIRROR=DIR here), or pass --data-root DIR"
            " / --weights ID=PATH.",
            exit_code=1,
        )
    return soft


def manual_instructions(state, name: str) -> str:
    """How to get a set by hand (for sets without an automatic source)."""
    return how_to_get(state.registry.datasets[name])


__all__ = ["Missing", "acquire", "human_size", "missing_for"]
