"""Checking a request before any work: levels, limits, tiling, prefetch, device, protocol, weights.

Every command that runs models (run, verify --run, explain, compare, ablate, profile) calls these
functions first, so a bad flag fails in the same words everywhere and *before* a model is built, a
weight is fetched or an image is decoded — also under ``--dry-run``. Each check raises
:class:`InvalidRequest` (a ``ValueError``) with one line that says what to pass instead; the
command line turns it into a :class:`~restbench.errors.UserError` (exit status 2).

Why so strict: OpenCV clamps ``--quality 150`` to 100 and the row would be stored as quality 150;
``--limit -1`` slices off the last image and seals 11 of 12; ``--sigma 0`` makes PSNR infinite. A
number stored under a label it does not have is worse than no number.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from restbench.engine.plan import LEVEL_OF_TASK, Job, Level, dataset_tasks

MIN_TILE = 16  # smaller tiles are all border: the blend drops overlap // 2 px on inner sides
MAX_SIGMA = 255  # noise std in 8-bit units; beyond that the image is gone
URL_SCHEMES = ("http://", "https://", "ftp://", "hf://", "s3://", "gs://")


class InvalidRequest(ValueError):
    """A flag value that cannot give a meaningful result; the message says what to pass."""


def check_levels(level: Level, dataset: str | None = None, tasks: Sequence[str] | None = None) -> None:
    """``--sigma`` > 0, ``--scale`` ≥ 1, ``--quality`` in 1..100, and only the flags the set's tasks use."""
    if level.sigma is not None and not 0 < level.sigma <= MAX_SIGMA:
        raise InvalidRequest(f"--sigma must be a noise level in 1..{MAX_SIGMA} (8-bit units, e.g. 15, 25, 50), not {level.sigma}")
    if level.scale is not None and level.scale < 1:
        raise InvalidRequest(f"--scale must be an upscaling factor ≥ 1 (e.g. 2, 3, 4), not {level.scale}")
    if level.quality is not None and not 1 <= level.quality <= 100:
        raise InvalidRequest(f"--quality must be a JPEG quality in 1..100 (e.g. 10, 20, 30, 40), not {level.quality}")
    if tasks is None:
        return
    used = {LEVEL_OF_TASK[t] for t in tasks if t in LEVEL_OF_TASK}
    for what in ("sigma", "scale", "quality"):
        if level.get(what) is None or what in used:
            continue
        where = f"{dataset} is a test set for {', '.join(tasks)}" if dataset else f"the tasks are {', '.join(tasks)}"
        hint = f"its level is {' / '.join('--' + u for u in sorted(used))}" if used else "it takes no level flag"
        raise InvalidRequest(f"--{what} does not apply here: {where}; {hint}")


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise InvalidRequest(f"--limit must be a number of images ≥ 1, not {limit} (leave it out for the whole set)")


def check_tiling(tile: int | None, overlap: int | None) -> None:
    """A tile must be at least :data:`MIN_TILE` px and larger than its overlap."""
    if overlap is not None and overlap < 0:
        raise InvalidRequest(f"--tile-overlap must be ≥ 0 pixels, not {overlap}")
    if tile is None:
        return
    if tile < MIN_TILE:
        raise InvalidRequest(f"--tile must be at least {MIN_TILE} pixels, not {tile} (typical: 128, 256, 512)")
    if overlap is not None and overlap >= tile:
        raise InvalidRequest(f"--tile-overlap ({overlap}) must be smaller than --tile ({tile}); e.g. --tile {tile} --tile-overlap {tile // 8}")


def check_count(value: int | None, flag: str, minimum: int = 1) -> None:
    """A count flag such as ``--prefetch`` or ``--runs``."""
    if value is not None and value < minimum:
        raise InvalidRequest(f"{flag} must be ≥ {minimum}, not {value}")


def check_device(name: str | None) -> None:
    """``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (and ``mps``), and only a device this machine has."""
    import torch

    if name is None or name == "auto":
        return
    try:
        dev = torch.device(name)
    except (RuntimeError, ValueError):
        raise InvalidRequest(f"--device {name!r} is not a device; use auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            built = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
            raise InvalidRequest(f"--device {name}: PyTorch sees no CUDA device here (torch {torch.__version__}, {built}); "
                                 "use --device cpu, or --device auto to take CUDA only when present")
        n = torch.cuda.device_count()
        if dev.index is not None and dev.index >= n:
            raise InvalidRequest(f"--device {name}: this machine has {n} CUDA device(s), cuda:0 … cuda:{n - 1}")
    elif dev.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise InvalidRequest(f"--device {name}: no Apple MPS device here; use --device cpu")
    elif dev.type != "cpu":
        raise InvalidRequest(f"--device {name!r}: restbench runs on cpu, cuda, cuda:N or mps")


def check_protocol(name: str | None) -> None:
    from restbench.protocols.named import list_protocols

    if name is not None and name not in list_protocols():
        raise InvalidRequest(f"unknown --protocol {name!r}; known: {', '.join(list_protocols())} (see `restbench protocols`)")


def check_request(registry, dataset: str | None, level: Level, *, protocol: str | None = None,
                  limit: int | None = None, tile: int | None = None, tile_overlap: int | None = None,
                  prefetch: int | None = None, device: str | None = None) -> None:
    """All of the above for one request; an unknown ``dataset`` is left to the planner's message."""
    tasks = None
    if dataset is not None and dataset in registry.datasets:
        tasks = dataset_tasks(registry.datasets[dataset])
    check_levels(level, dataset, tasks)
    check_limit(limit)
    check_tiling(tile, tile_overlap if tile is not None else None)
    check_count(prefetch, "--prefetch")
    check_protocol(protocol)
    check_device(device)


# ------------------------------------------------------------------------------- weights


def parse_weight_flags(items: Iterable[str]) -> dict[str, str]:
    """``--weights ID=PATH`` items as ``{id: path}``; a URL is refused (it is not a local file)."""
    out: dict[str, str] = {}
    for item in items:
        stripped = item.strip()
        vid, sep, path = stripped.partition("=")
        url = next((s for s in URL_SCHEMES if stripped.lower().startswith(s) or path.strip().lower().startswith(s)), None)
        if url:
            raise InvalidRequest(
                f"--weights {item!r}: a URL is not a local path; --weights takes a file on this machine. "
                "Download it first (e.g. curl -L -o FILE URL) and pass --weights ID=FILE, or let "
                "`restbench download ID` fetch a registered checkpoint (plugins register their URLs as WeightSource)"
            )
        if not sep or not vid.strip() or not path.strip():
            raise InvalidRequest(f"--weights expects ID=PATH, got {item!r} (or ID=random for efficiency-only rows)")
        out[vid.strip()] = path.strip()
    return out


def check_weight_ids(overrides: Mapping[str, str], jobs: Iterable[Job] = (), variants: Iterable = ()) -> None:
    """Every ``--weights`` ID must name a variant or family that will run (or ``all``)."""
    vs = [j.variant for j in jobs] + list(variants)
    ids = {v.id for v in vs}
    families = {v.arch for v in vs}
    unknown = [k for k in overrides if k != "all" and k not in ids and k not in families]
    if unknown:
        have = ", ".join(sorted(ids)) or "none"
        raise InvalidRequest(
            f"--weights {unknown[0]}=…: {unknown[0]!r} is not a variant or family in this run "
            f"(variants: {have}; families: {', '.join(sorted(families)) or 'none'})"
        )


# ------------------------------------------------------------------------------- folders


def check_writable_dir(path: Path, what: str = "results store", hint: str = "pass --results DIR") -> Path:
    """Create ``path`` if needed and prove a file can be written there (then remove it)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".restbench-write-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        why = {errno.EROFS: "read-only file system", errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}.get(exc.errno, exc.strerror)
        raise InvalidRequest(f"cannot write the {what} at {path}: {why}; {hint} on a writable disk "
                             "(or set RESTBENCH_HOME to a writable folder)") from None
    return path


__all__ = ["InvalidRequest", "MIN_TILE", "check_count", "check_device", "check_levels", "check_limit",
           "check_protocol", "check_request", "check_tiling", "check_weight_ids", "check_writable_dir",
           "parse_weight_flags"]
