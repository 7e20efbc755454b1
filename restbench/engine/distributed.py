"""One evaluation across many processes: ``torchrun`` or Slurm's ``srun`` start them, this module
joins them into a ``torch.distributed`` process group and splits the plan between them.

* **Launch** (:func:`detect_launch`): torchrun's ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/
  ``MASTER_ADDR``/``MASTER_PORT``, else Slurm's ``SLURM_PROCID``/``SLURM_NTASKS``/``SLURM_LOCALID``
  with the master address from ``MASTER_ADDR``, the first host of the step's node list or
  ``SLURM_LAUNCH_NODE_IPADDR``. No launcher variables: a plain single process, no process group.
* **Sharding** (:func:`distribute`): each job's images are split between ranks, balanced by
  pixel count (greedy longest-processing-time); a plan of many small jobs (``--models all`` on
  Set5) hands out whole jobs instead. Each rank appends its rows to its own file beside the
  job's (:meth:`JobStore.shard_path`); rank 0 seals the job once every rank is done, with the
  rows in the set's order, so the summary equals a single-process run's.
* **Faults**: every wait is bounded by ``--dist-timeout`` seconds *without progress* from the
  ranks waited for (a rank appending rows is alive, however long the job), with a message
  naming the rank; ranks started with different arguments fail at the start; a killed run is
  completed by rerunning the same command with any world size (resume reads every rank's rows).

Ranks synchronise through the rendezvous key-value store (small JSON values under
``restbench/``), which carries the heartbeats that make those timeouts precise; the process
group itself (nccl on ``cuda:LOCAL_RANK``, gloo on CPU) checks the ranks agree on the plan.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Callable, Mapping, Sequence

import torch

from restbench.engine.models import JobFailed, weights_for
from restbench.engine.options import RunOptions
from restbench.engine.plan import Job, Plan
from restbench.engine.shard import WholeJob
from restbench.errors import UserError
from restbench.results.store import JobStore

DEFAULT_TIMEOUT_S = 1800.0
# Split a job's images only when each rank gets at least this many on average; below it, ranks
# take whole jobs (when there are enough jobs to go round).
MIN_IMAGES_PER_RANK = 4
SHARD_MODES = ("auto", "images", "jobs")


# --------------------------------------------------------------------------- launch detection


@dataclass(frozen=True)
class Launch:
    """Where this process sits in a launched run."""

    rank: int
    world_size: int
    local_rank: int
    master_addr: str | None
    master_port: int | None
    launcher: str  # "torchrun" (also any env:// launcher) or "slurm"
    local_world_size: int | None = None

    @property
    def init_method(self) -> str:
        if self.launcher == "torchrun":
            return "env://"  # honours torchrun's agent store (c10d rendezvous, restarts)
        return f"tcp://{self.master_addr}:{self.master_port}"


def _int(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise UserError(f"environment variable {name}={raw!r} is not an integer") from None


def slurm_first_host(nodelist: str) -> str:
    """The first host of a Slurm host list: ``gpu[03-05,9],cpu1`` → ``gpu03``, ``a[1-2]-b[7-8]`` → ``a1-b7``."""
    depth, first = 0, ""
    for ch in nodelist.strip():
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            break
        first += ch
    return re.sub(r"\[([^\]]*)\]", lambda m: re.split(r"[-,]", m.group(1))[0], first)


def slurm_port(job_id: int | None) -> int:
    """A port every task of a Slurm job derives alike (``MASTER_PORT`` wins when set)."""
    return 20000 + (job_id or 0) % 10000


def detect_launch(env: Mapping[str, str] | None = None) -> Launch | None:
    """This process's place in a torchrun or Slurm launch, or None for a plain single process.

    ``RESTBENCH_DISTRIBUTED=0`` ignores the launcher variables (a single process inside an
    ``sbatch`` script, whose environment has ``SLURM_NTASKS`` without an ``srun`` step).
    """
    env = os.environ if env is None else env
    if env.get("RESTBENCH_DISTRIBUTED", "").strip().lower() in ("0", "no", "false", "off"):
        return None
    if "RANK" in env and "WORLD_SIZE" in env:
        rank, world = _int(env, "RANK"), _int(env, "WORLD_SIZE")
        missing = [n for n in ("MASTER_ADDR", "MASTER_PORT") if not env.get(n)]
        if missing:
            raise UserError(f"RANK and WORLD_SIZE are set but {' and '.join(missing)} not: start the ranks "
                            "with torchrun, or set both for the env:// rendezvous")
        local = _int(env, "LOCAL_RANK")
        return Launch(rank, world, rank if local is None else local, env["MASTER_ADDR"], _int(env, "MASTER_PORT"),
                      "torchrun", _int(env, "LOCAL_WORLD_SIZE"))
    if "SLURM_PROCID" in env and ("SLURM_STEP_NUM_TASKS" in env or "SLURM_NTASKS" in env):
        world = _int(env, "SLURM_STEP_NUM_TASKS") or _int(env, "SLURM_NTASKS")
        if not world or world < 2:
            return None  # one task: nothing to coordinate
        rank, local = _int(env, "SLURM_PROCID"), _int(env, "SLURM_LOCALID") or 0
        nodelist = env.get("SLURM_STEP_NODELIST") or env.get("SLURM_JOB_NODELIST") or env.get("SLURM_NODELIST")
        addr = env.get("MASTER_ADDR") or (slurm_first_host(nodelist) if nodelist else None) or env.get("SLURM_LAUNCH_NODE_IPADDR")
        if not addr:
            raise UserError("Slurm launch without a master address: set MASTER_ADDR, or run under srun "
                            "(SLURM_JOB_NODELIST / SLURM_LAUNCH_NODE_IPADDR)")
        port = _int(env, "MASTER_PORT") or slurm_port(_int(env, "SLURM_JOB_ID"))
        per_node = re.match(r"\d+", env.get("SLURM_STEP_TASKS_PER_NODE") or env.get("SLURM_NTASKS_PER_NODE") or "")
        return Launch(rank, world, local, addr, port, "slurm", int(per_node.group()) if per_node else None)
    return None


def rank_device(request: str, local_rank: int) -> torch.device:
    """The device of one rank: ``auto``/``cuda`` → ``cuda:LOCAL_RANK`` (modulo the visible GPUs,
    so one GPU per task under Slurm works), ``cpu`` → CPU, an explicit ``cuda:K`` as asked."""
    if request == "cpu" or (request == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise UserError(f"--device {request} was asked for, but PyTorch sees no CUDA device on this rank")
    if request in ("auto", "cuda"):
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device(request)


# --------------------------------------------------------------------------- the session


class DistSession:
    """The process group and rendezvous store of one launched run, with bounded, named waits."""

    def __init__(self, launch: Launch, device: torch.device, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        import torch.distributed as dist

        self.launch, self.device, self.timeout_s = launch, device, float(timeout_s)
        self.rank, self.world_size, self.local_rank = launch.rank, launch.world_size, launch.local_rank
        self.backend = "nccl" if device.type == "cuda" else "gloo"
        self.on_wait: Callable[[], None] | None = None
        self._seq = 0
        where = launch.init_method if launch.launcher != "torchrun" else f"{launch.master_addr}:{launch.master_port}"
        timeout = timedelta(seconds=self.timeout_s)
        try:
            store, _, _ = next(dist.rendezvous(launch.init_method, rank=self.rank, world_size=self.world_size,
                                               timeout=timeout))
            self.store = dist.PrefixStore("restbench/", store)
            if device.type == "cuda":
                torch.cuda.set_device(device)
            dist.init_process_group(self.backend, store=dist.PrefixStore("pg/", store), rank=self.rank,
                                    world_size=self.world_size, timeout=timeout)
        except (RuntimeError, ValueError, OSError) as exc:
            raise UserError(
                f"rank {self.rank} of {self.world_size}: the rendezvous at {where} did not complete within "
                f"{self.timeout_s:g} s (--dist-timeout): are all {self.world_size} ranks started, with the same "
                f"master address and port? ({_short(exc)})", exit_code=1) from None
        self._dist = dist
        self.devices: list[str] = []

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def close(self) -> None:
        try:
            if self._dist.is_initialized():
                self._dist.destroy_process_group()
        except Exception:  # a broken group is being left anyway
            pass

    def __enter__(self) -> "DistSession":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        try:
            if isinstance(exc, UserError) and not getattr(self, "_agreed", False):
                # fail the others fast with our reason instead of leaving them at the agreement
                self._gather(dict(error=str(exc)))
        except Exception:
            pass
        finally:
            self.close()

    # -- the process group: agreeing on the plan ---------------------------------------------

    def _gather(self, obj: dict) -> list[dict]:
        out: list = [None] * self.world_size
        try:
            self._dist.all_gather_object(out, obj)
        except Exception as exc:
            raise UserError(f"rank {self.rank}: the ranks did not all reach the start of the run within "
                            f"{self.timeout_s:g} s (--dist-timeout) ({_short(exc)})", exit_code=1) from None
        return out

    def agree(self, fingerprint: dict) -> str:
        """Check every rank has the same plan and options (fail fast otherwise); learn every
        rank's device. Returns the run id every rank shares."""
        digest = hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()
        mine = dict(hash=digest, fingerprint=fingerprint, device=_device_label(self.device),
                    host=os.uname().nodename, run=uuid.uuid4().hex[:12])
        got = self._gather(mine)
        self._agreed = True
        failed = [(r, g["error"]) for r, g in enumerate(got) if "error" in g]
        if failed:
            r, why = failed[0]
            raise UserError(f"rank {r} could not start this run: {why}")
        ref = got[0]
        for r, g in enumerate(got):
            if g["hash"] != ref["hash"]:
                keys = sorted(k for k in set(ref["fingerprint"]) | set(g["fingerprint"])
                              if ref["fingerprint"].get(k) != g["fingerprint"].get(k))
                what = "; ".join(f"{k}: {_clip(ref['fingerprint'].get(k))} on rank 0, {_clip(g['fingerprint'].get(k))} "
                                 f"on rank {r}" for k in keys[:3])
                raise UserError(f"ranks were started with different arguments or plans ({what}); start every rank "
                                "with the same command")
        self.devices = [f"{g['device']} @ {g['host']}" for g in got]
        return ref["run"]

    # -- the store: bounded waits, heartbeats, progress ------------------------------------------

    def beat(self, rows: int = 0) -> None:
        """Tell the others this rank is alive (and, with ``rows``, how many images it finished)."""
        try:
            self.store.add(f"beat/{self.rank}", 1)
            if rows:
                self.store.add(f"rows/{self.rank}", rows)
        except Exception as exc:
            raise self._lost(exc) from None

    def rows_done(self) -> int:
        try:
            return sum(self.store.add(f"rows/{r}", 0) for r in range(self.world_size))
        except Exception as exc:
            raise self._lost(exc) from None

    def exchange(self, label: str, value=None) -> list:
        """Every rank's ``value`` (JSON) once all have reached ``label``.

        A rank waits as long as the ranks it waits for make progress; ``timeout_s`` without any
        (no image finished, no step reached) means one hung or died, and the message says which.
        Ranks at different steps (they diverged) are an error too.
        """
        seq, self._seq = self._seq, self._seq + 1
        key = f"x/{seq}/"
        try:
            self.store.set(key + str(self.rank), json.dumps([label, value], default=str))
            self.store.add(f"beat/{self.rank}", 1)
            waiting = [r for r in range(self.world_size) if r != self.rank]
            last = {r: (self.store.add(f"beat/{r}", 0), time.monotonic()) for r in waiting}
            pause = 0.005
            while waiting:
                waiting = [r for r in waiting if not self.store.check([key + str(r)])]
                if not waiting:
                    break
                now = time.monotonic()
                for r in waiting:
                    b = self.store.add(f"beat/{r}", 0)
                    if b != last[r][0]:
                        last[r] = (b, now)
                stale = [r for r in waiting if now - last[r][1] > self.timeout_s]
                if stale:
                    ranks = ", ".join(map(str, stale))
                    raise UserError(
                        f"rank {self.rank}: rank {ranks} made no progress for {self.timeout_s:g} s while this rank "
                        f"waited at '{label}' (--dist-timeout): it hung or died. Rows measured so far are kept; "
                        "rerun the same command (any number of ranks) to finish the job", exit_code=1)
                if self.on_wait is not None:
                    self.on_wait()
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
            got = [json.loads(self.store.get(key + str(r))) for r in range(self.world_size)]
        except UserError:
            raise
        except Exception as exc:
            raise self._lost(exc) from None
        labels = [g[0] for g in got]
        if len(set(labels)) > 1:
            at = ", ".join(f"rank {r} at '{lab}'" for r, lab in enumerate(labels))
            raise UserError(f"the ranks diverged ({at}): does every rank see the same results directory?",
                            exit_code=1)
        return [g[1] for g in got]

    def _lost(self, exc: Exception) -> UserError:
        return UserError(f"rank {self.rank}: lost the rendezvous store at {self.launch.master_addr}:"
                         f"{self.launch.master_port} (rank 0 died?) ({_short(exc)}); rerun the same command to "
                         "finish the jobs", exit_code=1)


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}"


def _clip(v) -> str:
    s = json.dumps(v, default=str) if not isinstance(v, str) else v
    return s if len(s) <= 60 else s[:57] + "..."


def _device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    import platform

    return f"cpu ({platform.processor() or platform.machine()})"


def start_session(launch: Launch, device_request: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> DistSession:
    """Join the launched run: this rank's device, then the process group (bounded by ``timeout_s``)."""
    return DistSession(launch, rank_device(device_request, launch.local_rank), timeout_s)


# --------------------------------------------------------------------------- sharding


def lpt(weights: Sequence[int], bins: int) -> list[list[int]]:
    """Greedy longest-processing-time: indices of ``weights`` per bin, heaviest first onto the
    lightest bin (ties: lower index, lower bin), each bin's indices sorted. Deterministic."""
    loads = [0] * bins
    out: list[list[int]] = [[] for _ in range(bins)]
    for i in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        b = min(range(bins), key=lambda b: (loads[b], b))
        loads[b] += max(int(weights[i]), 1)
        out[b].append(i)
    return [sorted(b) for b in out]


@dataclass
class Distribution:
    """Who runs what: ``mode`` 'images' (every job split by pixels) or 'jobs' (whole jobs)."""

    world_size: int
    mode: str
    reason: str
    images: list[list[tuple[str, int]] | None]  # per job: (name, pixels) in set order; None if unreadable
    owners: list[int] = field(default_factory=list)  # jobs mode: the rank running each job

    def fresh_shards(self, j: int) -> list[list[str]]:
        """Image names per rank for job ``j`` of a run with nothing measured yet (the dry-run view)."""
        imgs = self.images[j] or []
        return [[imgs[i][0] for i in part] for part in lpt([px for _, px in imgs], self.world_size)]

    def describe(self, plan: Plan) -> list[dict]:
        rows = []
        for j, job in enumerate(plan.jobs):
            imgs = self.images[j]
            row = dict(variant=job.variant.id, dataset=job.dataset, images=None if imgs is None else len(imgs))
            if self.mode == "jobs":
                row["rank"] = self.owners[j]
            else:
                row["ranks"] = {str(r): names for r, names in enumerate(self.fresh_shards(j))}
            rows.append(row)
        return rows


def job_images(state, job: Job, opts: RunOptions) -> list[tuple[str, int]] | None:
    """(name, pixels) of the job's images in set order, from file headers; None when the set
    cannot be read here (the job then fails in the run with the data layer's message)."""
    from restbench.datasets import DatasetError, sample_sizes

    try:
        return sample_sizes(state.registry.datasets[job.dataset], opts.data_root, task=job.task,
                            scale=job.level.scale, limit=opts.limit)
    except (DatasetError, OSError, ImportError, KeyError):
        return None


def distribute(plan: Plan, world_size: int, images: list[list[tuple[str, int]] | None], mode: str = "auto") -> Distribution:
    """Decide how ``world_size`` ranks share ``plan``: split every job's images, or hand out
    whole jobs when there are at least as many jobs as ranks and too few images per job to split
    (fewer than ``MIN_IMAGES_PER_RANK`` per rank on average)."""
    if mode not in SHARD_MODES:
        raise UserError(f"--shard must be one of {', '.join(SHARD_MODES)}, not {mode!r}")
    n_jobs = len(plan.jobs)
    counts = [len(i) for i in images if i is not None]
    mean = sum(counts) / len(counts) if counts else 0.0
    if mode == "auto":
        if n_jobs >= world_size and mean < MIN_IMAGES_PER_RANK * world_size:
            mode, reason = "jobs", (f"{n_jobs} jobs for {world_size} ranks, {mean:.1f} images per job on average "
                                    f"(< {MIN_IMAGES_PER_RANK} per rank): ranks take whole jobs")
        else:
            mode, reason = "images", (f"{n_jobs} job(s), {mean:.1f} images per job on average: each job's images "
                                      f"are split between {world_size} ranks, balanced by pixel count")
    else:
        reason = f"--shard {mode}"
    owners: list[int] = []
    if mode == "jobs":
        cost = [sum(px for _, px in imgs) if imgs else 0 for imgs in images]
        owners = [0] * n_jobs
        for r, part in enumerate(lpt(cost, world_size)):
            for j in part:
                owners[j] = r
    return Distribution(world_size, mode, reason, images, owners)


# --------------------------------------------------------------------------- one job's shard


class ImageShard:
    """This rank's part of one job whose images every rank shares (the ``shard`` of run_job).

    Steps, run by every rank in the same order even after a failure (``fail`` finishes them), so
    a job that fails on one rank fails on all without a hang: ``start`` → (``discarded`` with
    --force) → ``resumed`` (every rank saw the same finished rows) → ``finish``.
    """

    def __init__(self, session: DistSession, images: list[tuple[str, int]], label: str, progress=None) -> None:
        self.session, self.images, self.label, self.progress = session, images, label, progress
        self.rank = session.rank
        self._steps = ["start", "discarded", "resumed", "finish"]
        self._mine: set[str] = set()

    def _step(self, name: str, status: str | None = None, data=None) -> list:
        while self._steps and self._steps[0] != name:
            self._steps.pop(0)  # steps this job does not take (no --force)
        self._steps.pop(0)
        got = self.session.exchange(f"{self.label}:{name}", dict(error=status, data=data))
        errors = [(r, g["error"]) for r, g in enumerate(got) if g["error"]]
        if errors:
            r, why = errors[0]
            raise JobFailed(why if r == self.rank or why.startswith("rank ") else f"rank {r}: {why}")
        return [g["data"] for g in got]

    def begin(self, store: JobStore, force: bool) -> dict[str, dict]:
        self._step("start")
        if force:
            if self.rank == 0:
                store.discard()
            self._step("discarded")
        else:
            self._steps.remove("discarded")
        # rank 0 also drops a torn tail from the single-process partial file; the others only read
        done = store.resume_all() if self.rank == 0 else store.read_all()
        digest = hashlib.sha256("\n".join(sorted(done)).encode()).hexdigest()
        seen = self._step("resumed", data=digest)
        if len(set(seen)) > 1:
            raise JobFailed("the ranks read different finished rows for this job: is the results directory "
                            "shared by every rank?")
        remaining = [(n, px) for n, px in self.images if n not in done]
        part = lpt([px for _, px in remaining], self.session.world_size)[self.rank]
        self._mine = {remaining[i][0] for i in part}
        if self.rank == 0:
            self.session.beat(rows=len(done))
        return done

    def only(self) -> set[str]:
        return self._mine

    def append(self, store: JobStore, row: dict) -> dict:
        row["rank"] = self.rank
        stored = store.append_shard(self.rank, row)
        self.session.beat(rows=1)
        if self.progress is not None:
            self.progress()
        return stored

    def finish(self, store: JobStore, rows: list[dict]) -> list[dict] | None:
        self._step("finish")
        if self.rank != 0:
            return None
        merged = store.read_all()
        missing = [name for name, _ in self.images if name not in merged]
        if missing and self.images:  # every rank said it finished: its rows must be visible here
            raise JobFailed(f"rank 0 cannot see the rows of {len(missing)} image(s) the other ranks measured "
                            f"(e.g. {missing[0]}): is --results a directory every rank shares?")
        return list(merged.values())

    def fail(self, message: str) -> None:
        """Take the steps this rank has not taken yet, reporting ``message`` (the others fail too)."""
        first = True
        while self._steps:
            name = self._steps[0]
            try:
                self._step(name, status=message if first else None, data=None)
            except JobFailed:
                pass
            first = False

    def summary_fields(self, rows: list[dict]) -> dict:
        return dict(world_size=self.session.world_size, devices=self.session.devices,
                    ranks=sorted({r["rank"] for r in rows if "rank" in r}),
                    forward_s=round(sum(r.get("forward_s") or 0.0 for r in rows), 3))


class OwnedJob(WholeJob):
    """A whole job one rank runs in 'jobs' mode: rows carry the rank; the others are told it lives."""

    def __init__(self, session: DistSession, progress=None) -> None:
        super().__init__(session.rank, session.world_size, session.devices)
        self.session, self.progress = session, progress

    def begin(self, store: JobStore, force: bool) -> dict[str, dict]:
        done = super().begin(store, force)
        self.session.beat(rows=len(done))
        return done

    def append(self, store: JobStore, row: dict) -> dict:
        stored = super().append(store, row)
        self.session.beat(rows=1)
        if self.progress is not None:
            self.progress()
        return stored


# --------------------------------------------------------------------------- running a plan


def fingerprint(plan: Plan, opts: RunOptions, dist_mode: str) -> dict:
    """What every rank must agree on: the jobs and every option that changes what runs or where
    rows go (progress bars aside)."""
    o = asdict(opts)
    o.pop("progress", None)
    o.pop("family_weight_files", None)
    jobs = [f"{j.variant.id}|{j.dataset}|{j.task}|{json.dumps(vars(j.level), sort_keys=True)}|{j.channels}|{j.protocol}"
            for j in plan.jobs]
    return dict(jobs=jobs, shard=dist_mode, **{k: (str(v) if isinstance(v, Path) else v) for k, v in o.items()})


def _fetch_once(state, session: DistSession, plan: Plan, opts: RunOptions) -> None:
    """What the plan needs (test set, weights) is fetched by one process per node (local rank 0)
    under a lock on the cache, so nodes sharing a filesystem take turns and nothing is downloaded
    N times in parallel; every other rank waits, then finds it cached. A failure stops every rank
    with the same message."""
    from restbench.engine.acquire import acquire

    problem = None
    if session.local_rank == 0:
        from filelock import FileLock

        from restbench.paths import cache_root

        lock = cache_root() / ".distributed-fetch.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(lock)):
            try:
                for line in acquire(state, plan.jobs, replace(opts, progress=opts.progress and session.is_main),
                                    strict_weights=opts.missing_weights != "random"):
                    if session.is_main:
                        print(f"restbench: {line.splitlines()[0]}", file=sys.stderr)
            except UserError as exc:
                problem = str(exc)
    problems = [p for p in session.exchange("fetched", problem) if p]
    if problems:
        raise UserError(problems[0], exit_code=1)


def run_plan_distributed(state, plan: Plan, opts: RunOptions, session: DistSession,
                         dist: Distribution) -> tuple[list[dict], list[dict]]:
    """Run ``plan`` on this rank's share; every rank returns the same (summaries, failures) in plan order."""
    from restbench.engine.runner import run_job

    for j in plan.jobs:
        if j.variant.weight_file:
            opts.family_weight_files.setdefault(j.variant.arch, set()).add(j.variant.weight_file)
    show = opts.progress and session.is_main
    local = replace(opts, progress=False)  # one bar, on rank 0, counting every rank's images
    bar = None
    if show:
        from tqdm import tqdm

        total = sum(len(i) for i in dist.images if i is not None) or None
        bar = tqdm(desc=f"{len(plan.jobs)} job(s) on {session.world_size} ranks", unit="img", total=total,
                   file=sys.stderr, leave=False)

    def progress() -> None:
        if bar is not None:
            n = session.rows_done()
            if n != bar.n:
                bar.update(n - bar.n)  # tqdm's own rate limit keeps redraws cheap

    session.on_wait = progress
    _fetch_once(state, session, plan, opts)
    done: list[tuple[int, dict | None, dict | None]] = []  # (job index, summary, failure) of this rank
    try:
        for j, job in enumerate(plan.jobs):
            if dist.mode == "jobs" and dist.owners[j] != session.rank:
                continue
            failure = None
            shard = (OwnedJob(session, progress) if dist.mode == "jobs"
                     else ImageShard(session, dist.images[j] or [], f"job {j} ({job.variant.id} on {job.dataset})",
                                     progress))
            try:
                summary = run_job(state, job, local, session.device, shard=shard)
            except JobFailed as exc:
                if isinstance(shard, ImageShard):
                    shard.fail(str(exc))
                summary, failure = None, dict(variant=job.variant.id, model=job.variant.arch, dataset=job.dataset,
                                              error=str(exc))
            if summary is not None and summary.get("cached") and (dist.mode == "jobs" or session.is_main):
                session.beat(rows=int(summary.get("n_images") or 0))
            if session.is_main or dist.mode == "jobs":
                done.append((j, summary, failure))
            progress()
        everyone = session.exchange("results", done)
    finally:
        session.on_wait = None
        if bar is not None:
            bar.close()
    by_job = {j: (s, f) for rank_done in everyone for j, s, f in rank_done}
    summaries = [by_job[j][0] for j in sorted(by_job) if by_job[j][0] is not None]
    failures = [by_job[j][1] for j in sorted(by_job) if by_job[j][1] is not None]
    if session.is_main:
        for f in failures:
            print(f"restbench: {f['variant']} on {f['dataset']}: {f['error']}", file=sys.stderr)
    return summaries, failures


__all__ = [
    "DEFAULT_TIMEOUT_S",
    "SHARD_MODES",
    "DistSession",
    "Distribution",
    "ImageShard",
    "Launch",
    "OwnedJob",
    "detect_launch",
    "distribute",
    "fingerprint",
    "job_images",
    "lpt",
    "rank_device",
    "run_plan_distributed",
    "slurm_first_host",
    "slurm_port",
    "start_session",
]
