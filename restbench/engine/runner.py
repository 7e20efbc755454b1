"""Executing a plan: one job per (variant, test set), each resumable and isolated from the others.

Data flow per job: weights → model on device → images (decoded and degraded ahead of the model in
a prefetch thread) → forward (padding/tiling/ensemble as the variant's authors do) → metrics under
the job's protocol → per-image rows appended to the results store → a sealed summary.
"""

from __future__ import annotations

import math
import contextlib
import platform
import queue
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch

from restbench.version import __version__
from restbench.engine.inference import ForwardSettings, is_oom, pick_device, prepare_model, restore
from restbench.engine.inputs import make_input
from restbench.engine.models import JobFailed, build_for, forward_settings, weights_for
from restbench.engine.options import RunOptions
from restbench.engine.plan import Job, Plan
from restbench.results.integrity import warn as warn_store
from restbench.results.store import JobStore, StoreError, job_key
from restbench.engine.shard import JobShard, WholeJob

QUALITY_METRICS = ("psnr", "ssim", "psnrb", "mae")  # per-image row keys the summary averages (PSNR-B: JPEG CAR; MAE: DPDD)


def git_commit() -> str | None:
    """The checkout's commit when restbench runs from one (provenance), else None."""
    try:
        root = Path(__file__).resolve().parents[1]
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "-uno"], capture_output=True, text=True, timeout=5)
            return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return None


def versions(state, job: Job) -> dict:
    plugin = state.registry.owner.get(f"variant:{job.variant.id}")
    pver = next((p.version for p in state.plugins if p.name == plugin), None)
    return dict(
        restbench=__version__,
        plugin=plugin,
        plugin_version=pver,
        torch=torch.__version__,
        cuda=torch.version.cuda,
        numpy=np.__version__,
        python=platform.python_version(),
    )


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()})"


def batched(items: Iterable[tuple[str, torch.Tensor, torch.Tensor]], size: int) -> Iterator[list]:
    """Consecutive (name, input, target) items of one shape, ``size`` at a time.

    Test sets of equal-size images (GoPro frames, SIDD blocks) go through the model ``size`` at a
    time; a change of input or target shape ends the batch early, so sets of mixed sizes fall back
    to smaller batches (down to one image) without padding anything to a common size.
    """
    batch: list = []
    for item in items:
        if batch and (item[1].shape != batch[0][1].shape or item[2].shape != batch[0][2].shape):
            yield batch
            batch = []
        batch.append(item)
        if len(batch) >= size:  # a full batch runs now: an image is never held back waiting for the next
            yield batch
            batch = []
    if batch:
        yield batch


def _prefetch(items: Iterator, depth: int) -> Iterator:
    """Run ``items`` in a thread, ``depth`` ahead: decoding and degradation overlap the forward pass."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def work():
        try:
            for it in items:
                q.put(it)
        except BaseException as exc:  # surfaced in the consumer
            q.put(exc)
        q.put(done)

    t = threading.Thread(target=work, daemon=True)
    t.start()
    while True:
        it = q.get()
        if it is done:
            return
        if isinstance(it, BaseException):
            raise it
        yield it


def run_plan(state, plan: Plan, opts: RunOptions) -> tuple[list[dict], list[dict]]:
    """Run every job; a failing job is reported and the others still run."""
    summaries, failures = [], []
    device = pick_device(opts.device)
    if device.type == "cpu" and plan.jobs:  # metrics run where the images are
        from restbench.metrics.fidelity import warm_up_in_background

        warm_up_in_background()
    for j in plan.jobs:
        if j.variant.weight_file:
            opts.family_weight_files.setdefault(j.variant.arch, set()).add(j.variant.weight_file)
    for job in plan.jobs:
        try:
            summaries.append(run_job(state, job, opts, device))
        except JobFailed as exc:
            print(f"restbench: {job.variant.id} on {job.dataset}: {exc}", file=sys.stderr)
            failures.append(dict(variant=job.variant.id, model=job.variant.arch, dataset=job.dataset, error=str(exc)))
    return summaries, failures


def run_job(state, job: Job, opts: RunOptions, device: torch.device, shard: JobShard | None = None) -> dict | None:
    """Measure one job and seal its summary; ``shard`` says which images this process runs (default
    all of them). Returns the summary, or None on a rank whose rows another rank seals."""
    from restbench.datasets import DatasetError, load_samples, manifest_hash, sample_sizes
    from restbench.costs.cache import count_parameters
    from restbench.protocols.named import evaluate, get_protocol

    v = job.variant
    protocol = get_protocol(job.protocol)
    spec = state.registry.datasets[job.dataset]
    fwd = forward_settings(state, v, opts)
    wpath, wsha, wsource, efficiency_only = weights_for(job, opts)
    sample_args = dict(
        task=job.task, sigma=job.level.sigma, scale=job.level.scale, quality=job.level.quality,
        channels=job.channels, limit=opts.limit, dual_pixel=job.dual_pixel,
    )
    try:
        manifest = manifest_hash(spec, opts.data_root, **sample_args)
    except DatasetError as exc:
        raise JobFailed(str(exc)) from None
    settings = dict(
        tile=fwd.tile, tile_overlap=fwd.tile_overlap if fwd.tile else None,
        self_ensemble=fwd.self_ensemble, precision=fwd.precision,
        channels_last=fwd.channels_last, compile=opts.compile, device_type=device.type,
        limit=opts.limit, efficiency_only=efficiency_only,
    )
    if opts.batch_size > 1:  # only then: batch-1 job keys (and the results stored under them) stay as they were
        settings["batch_size"] = opts.batch_size
    vers = versions(state, job)
    key_parts = dict(
        variant=v.id, dataset=job.dataset, manifest=manifest, protocol=asdict(protocol),
        level=vars(job.level), channels=job.channels, task=job.task, settings=settings,
        weights_sha256=wsha, versions={k: vers[k] for k in ("restbench", "plugin_version", "torch")},
        metrics=list(opts.metrics),
    )
    store = JobStore(opts.results_dir, job_key(key_parts))
    prep = _Prepared(protocol, spec, fwd, wpath, wsha, wsource, efficiency_only, sample_args, manifest, settings, vers)

    def waiting() -> None:
        print(f"restbench: {v.id} on {job.dataset}: another restbench process is running this job; "
              f"waiting for it to finish (lock {store.lock_path})", file=sys.stderr)

    shard = shard or WholeJob()
    # One process per job: a second `run` waits here, then finds the sealed result. The ranks of a
    # distributed run that split one job's images coordinate through their session instead (each
    # writes its own shard file, rank 0 seals), so they must not queue on the job's lock.
    lock = store.locked(opts.lock_timeout, on_wait=waiting) if isinstance(shard, WholeJob) else contextlib.nullcontext()
    try:
        with lock:
            return _measure(state, job, opts, device, store, prep, shard)
    except StoreError as exc:
        raise JobFailed(str(exc)) from None


@dataclass
class _Prepared:
    """What run_job settled before taking the job's lock (protocol, weights, manifest, settings)."""

    protocol: object
    spec: object
    fwd: ForwardSettings
    wpath: Path | None
    wsha: str | None
    wsource: str
    efficiency_only: bool
    sample_args: dict
    manifest: str
    settings: dict
    vers: dict


def _measure(state, job: Job, opts: RunOptions, device: torch.device, store: JobStore, prep: _Prepared,
             shard: JobShard) -> dict | None:
    """The job under its lock: reuse a sealed result, or resume/measure every image and seal."""
    from restbench.datasets import DatasetError, load_samples, sample_sizes
    from restbench.costs.cache import count_parameters
    from restbench.protocols.named import evaluate

    v = job.variant
    protocol, spec, fwd, wpath, wsha, wsource = prep.protocol, prep.spec, prep.fwd, prep.wpath, prep.wsha, prep.wsource
    efficiency_only, sample_args, manifest, settings, vers = (
        prep.efficiency_only, prep.sample_args, prep.manifest, prep.settings, prep.vers)
    if store.is_complete() and not opts.force:
        _, summary = store.load_final()
        if summary is not None:
            return {**summary, "cached": True}
    done = shard.begin(store, opts.force)

    model = build_for(state, v, wpath).to(device)
    plain_model = model  # fvcore traces the eager module, never a compiled one
    params = count_parameters(model)
    model = prepare_model(model, fwd)
    if opts.compile:
        model = torch.compile(model)

    started = datetime.now(timezone.utc).isoformat()
    t_wall = time.perf_counter()
    forward_s = 0.0
    rows = list(done.values())
    macs: dict | None = None
    current = "the first image"
    macs_image = None

    def prepared():
        for sample in load_samples(spec, opts.data_root, **sample_args, only=shard.only()):
            if sample.name in done:
                continue
            where = str(getattr(sample, "source", None) or sample.name)
            try:
                x, y = make_input(sample, protocol, job)
            except Exception as exc:  # raised in the prefetch thread: name the image it concerns
                raise JobFailed(f"{where}: {exc}") from None
            yield sample.name, x, y, where

    from tqdm import tqdm

    total = min(x for x in (spec.count, opts.limit) if x) if (spec.count or opts.limit) else None
    bar = tqdm(desc=f"{v.id} @ {job.dataset}", unit="img", disable=not opts.progress, file=sys.stderr,
               total=total, initial=len(rows), leave=False)
    try:
        depth = max(opts.prefetch, opts.batch_size)
        for batch in batched(_prefetch(prepared(), depth=depth), opts.batch_size):
            for _, _, y_item, current in batch:
                _check_size(current, y_item, protocol, job)
            x, y = torch.cat([b[1] for b in batch]), torch.cat([b[2] for b in batch])
            if device.type == "cuda":  # pinned host memory makes the copies below asynchronous
                x, y = x.pin_memory(), y.pin_memory()
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            out, secs, was_tiled = forward_image(model, x, v.input, job.scale, fwd, device)
            if macs is None:
                macs, macs_image = _macs_at(state, job, plain_model, x[:1]), batch[0][0]
            forward_s += secs
            for i, (name, _, _, current) in enumerate(batch):
                out_i, y_i = out[i : i + 1], y[i : i + 1]
                row = dict(kind="image", image=name, variant=v.id, dataset=job.dataset, tiled=was_tiled,
                           forward_s=round(secs / len(batch), 6), height=int(y.shape[-2]), width=int(y.shape[-1]))
                if len(batch) > 1:
                    row["batch"] = len(batch)  # forward_s is the batch's time shared equally
                if not efficiency_only:
                    scores = evaluate(out_i, y_i, protocol, scale=job.scale)
                    row.update(psnr=scores["psnr"], ssim=scores["ssim"] if "ssim" in protocol.reported else None)
                    row.update({m: scores[m] for m in ("psnrb", "mae") if m in scores})
                    row.update(_extra_metrics(out_i, y_i, opts.metrics))
                _check_finite(current, row)
                if opts.save_images:
                    _save(out_i, opts.save_images / v.id / job.dataset / f"{Path(name).stem}.png")
                rows.append(shard.append(store, row))
                bar.update(1)
    except (DatasetError, JobFailed, StoreError) as exc:
        raise JobFailed(str(exc)) from None
    except ValueError as exc:  # e.g. an image smaller than the SSIM window: the file is the story
        raise JobFailed(f"{current}: {exc}") from None
    except Exception as exc:
        raise JobFailed(f"{current}: {type(exc).__name__}: {exc}") from None
    finally:
        bar.close()
    rows = shard.finish(store, rows)
    if rows is None:
        return None  # another rank seals this job
    try:  # every image of the job in the set's order, whichever process (or rank) measured it
        order = {name: i for i, (name, _) in enumerate(sample_sizes(spec, opts.data_root, task=job.task,
                                                                    scale=job.level.scale, limit=opts.limit))}
    except DatasetError as exc:
        raise JobFailed(str(exc)) from None
    foreign = [r for r in rows if r["image"] not in order]
    if foreign:  # rows of a partial file that name images this job does not have
        from restbench.results.integrity import Damage

        warn_store([Damage(store.partial, None, f"row for image {r['image']!r}, which is not one of this job's images")
                    for r in foreign], f"{store.partial.name}: those rows are not kept")
        rows = [r for r in rows if r["image"] in order]
    rows.sort(key=lambda r: order[r["image"]])  # the set's order, however often the job was resumed
    tiled = sum(1 for r in rows if r.get("tiled"))
    first = next(iter(order), None)
    if rows and first is not None and macs_image != first:  # the cost figure is always the first image's
        sample = next(load_samples(spec, opts.data_root, **sample_args, only={first}))
        macs = _macs_at(state, job, plain_model, make_input(sample, protocol, job)[0].to(device))
    if not rows:
        raise JobFailed("no images were found for this job")
    if macs is None:  # every image came from an interrupted run: count the MACs at the first one's size
        macs = _macs_first_image(state, job, spec, opts, sample_args, protocol, plain_model, device)
    summary = dict(
        kind="summary",
        model=v.arch,
        variant=v.id,
        task=job.task,
        dataset=job.dataset,
        manifest_hash=manifest,
        protocol=job.protocol,
        protocol_settings=asdict(protocol),
        sigma=job.level.sigma,
        scale=job.level.scale,
        quality=job.level.quality,
        channels=job.channels,
        n_images=len(rows),
        efficiency_only=efficiency_only,
        params=params,
        **(macs or dict(macs=None)),
        weights=dict(file=v.weight_file, sha256=wsha, source=wsource),
        **({"checkpoint": dict(v.origin)} if v.origin else {}),  # a bare --models PATH: what identified it
        device=device_name(device),
        settings=settings,
        tiled_images=tiled,
        versions=vers,
        git_commit=git_commit(),
        seed=protocol.degradation.noise_seed,
        started=started,
        finished=datetime.now(timezone.utc).isoformat(),
        wall_s=round(time.perf_counter() - t_wall, 3),
        forward_s=round(sum(r.get("forward_s") or 0.0 for r in rows), 3),  # every image's own time, resumed or not
        resumed_images=len(done),
        job_key=store.key,
    )
    metric_names = sorted({k for r in rows for k in r if k in QUALITY_METRICS or k in opts.metrics})
    for m in metric_names:
        vals = [r[m] for r in rows if r.get(m) is not None]
        summary[m] = None if efficiency_only or not vals else float(np.mean(vals))
    if efficiency_only:
        summary["psnr"] = summary["ssim"] = None
    elif spec.splits and opts.limit is None:
        summary["subsets"] = _split_means(spec, opts, list(order), rows, metric_names)
    summary.update(shard.summary_fields(rows))
    return store.seal(rows, summary)


def _split_means(spec, opts: RunOptions, names: list[str], rows: list[dict], metrics: list[str]) -> dict:
    """Each published split's mean scores (DPDD indoor/outdoor), as the authors' scripts average them:
    over the split's images of the same run. A set copy without its split files still gets its
    whole-set summary; the warning says what is missing."""
    from restbench.datasets import DatasetError, split_members

    try:
        members = split_members(spec, opts.data_root, names)
    except DatasetError as exc:
        print(f"restbench: {spec.name}: no per-split means: {exc}", file=sys.stderr)
        return {}
    by_name = {r["image"]: r for r in rows}
    out = {}
    for split, images in members.items():
        sub = [by_name[n] for n in images if n in by_name]
        means = {m: float(np.mean(vals)) if (vals := [r[m] for r in sub if r.get(m) is not None]) else None
                 for m in metrics}
        out[split] = dict(n_images=len(sub), forward_s=round(sum(r.get("forward_s") or 0.0 for r in sub), 3),
                          images=[r["image"] for r in sub], **means)
    return out


def _check_size(where: str, target: torch.Tensor, protocol, job: Job) -> None:
    """An image must be larger than the border the protocol crops from it, or nothing is scored."""
    h, w = int(target.shape[-2]), int(target.shape[-1])
    crop = protocol.crop_pixels(job.scale)
    if min(h, w) <= 2 * crop:
        raise JobFailed(f"{where}: the image is {w}x{h}, too small for protocol {protocol.name}, "
                        f"which crops {crop} px from each border")


def _check_finite(where: str, row: dict) -> None:
    """A NaN or infinite score is never stored: JSON has no such numbers and no mean survives one."""
    for k, val in row.items():  # psnr, ssim, psnrb and any extra (pyiqa) metric
        if isinstance(val, float) and not math.isfinite(val):
            why = ("the output equals the ground truth exactly, so the degradation did nothing (e.g. σ 0)"
                   if val > 0 else "the model's output is not a number")
            raise JobFailed(f"{where}: {k} is {val} — {why}; the job is not sealed")


def _macs_first_image(state, job: Job, spec, opts: RunOptions, sample_args: dict, protocol, model, device) -> dict | None:
    from restbench.datasets import load_samples

    for sample in load_samples(spec, opts.data_root, **{**sample_args, "limit": 1}):
        x, _ = make_input(sample, protocol, job)
        return _macs_at(state, job, model, x.to(device))
    return None


def forward_image(model, x, spec, scale, settings: ForwardSettings, device) -> tuple[torch.Tensor, float, bool]:
    """One image; on CUDA out-of-memory retry it tiled and say so."""
    def timed(s: ForwardSettings):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = restore(model, x, spec, scale, s).clamp_(0, 1)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return out, time.perf_counter() - t0

    try:
        out, secs = timed(settings)
        return out, secs, bool(settings.tile)
    except Exception as exc:
        if not is_oom(exc) or settings.tile:
            raise
        if device.type == "cuda":
            torch.cuda.empty_cache()
        retry = ForwardSettings(tile=256, tile_overlap=32, self_ensemble=settings.self_ensemble,
                                precision=settings.precision, channels_last=settings.channels_last)
        out, secs = timed(retry)
        return out, secs, True


def _macs_at(state, job: Job, model, x: torch.Tensor) -> dict:
    """fvcore MACs of one untiled forward at the first image's padded size (the run's cost figure).

    Memoised on disk per architecture and size: the count costs a traced forward pass.
    """
    from restbench.costs.cache import MacCounts
    from restbench.costs.measure import count_macs
    from restbench.engine.inference import model_input, pad

    xp, _ = pad(model_input(x, job.variant.input, job.scale)[0], job.variant.input)

    def compute() -> dict:
        try:
            with torch.inference_mode(False), torch.no_grad():
                m = count_macs(model, xp)
        except Exception as exc:  # a model fvcore cannot trace still gets its quality numbers
            return dict(macs=None, macs_error=f"{type(exc).__name__}: {exc}"[:200])
        return dict(macs=m.total, macs_by_group=m.by_group, macs_input_size=list(xp.shape[-2:]))

    counts = MacCounts(state.registry, {p.name: p.version for p in state.plugins})
    return counts.get(job.variant, tuple(xp.shape[1:]), compute)


def _extra_metrics(out: torch.Tensor, target: torch.Tensor, names: tuple[str, ...]) -> dict:
    if not names:
        return {}
    from restbench.metrics.perceptual import perceptual_metrics

    return perceptual_metrics(out, target, names)


def _save(img: torch.Tensor, path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    arr = (img[0].detach().float().cpu().clamp(0, 1).numpy().transpose(1, 2, 0) * 255.0).round().astype(np.uint8)
    Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr).save(path)
