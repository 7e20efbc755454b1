"""``restbench run``: the command-line face of the harness (plan → weights/data → forward → metrics → results).

The argparse namespace becomes a typed :class:`~restbench.engine.options.RunOptions` here
(:func:`run_options`); the engine never sees argparse.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from restbench.errors import UserError
from restbench.output import emit_json

if TYPE_CHECKING:
    from restbench.engine.options import RunOptions

EXAMPLES = """\
examples:
  restbench run --models all --dataset demo
  restbench run --models all --dataset GoPro --dry-run
  restbench run --models dncnn --dataset Set12 --sigma 25 --data-root ../shared/datasets \\
                --weights dncnn=../shared/weights/dncnn_25.pth --json
  restbench run --models bicubic,swinir --dataset Set5 --scale 2 --data-root ~/data --limit 2
  restbench run --models ~/ckpt/HAT_SRx4.pth --dataset Set5 --scale 4 --data-root ~/data

Results are kept under --results (default: $RESTBENCH_HOME/results); a job already complete with the
same variant, data, protocol, settings, weights and versions is not recomputed unless --force, and
an interrupted job resumes where it stopped.
"""


def register(sub, common) -> None:
    p = sub.add_parser(
        "run",
        parents=[common],
        help="evaluate models on a test set under the papers' protocols",
        description="Run every suitable variant of the chosen models on one test set and measure it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("what to run")
    g.add_argument("--models", default="all",
                   help="'all', family names, variant ids, checkpoint files (.pth/.safetensors), comma-separated")
    g.add_argument("--task", help="for a checkpoint file whose network serves several tasks: which one to score")
    g.add_argument("--dataset", required=True, help="a registered test set (see docs/datasets.md), or 'demo'")
    g.add_argument("--sigma", type=int, help="Gaussian noise level (denoising sets)")
    g.add_argument("--scale", type=int, help="upscaling factor (SR sets)")
    g.add_argument("--quality", type=int, help="JPEG quality (artefact-removal sets)")
    g.add_argument("--channels", choices=["rgb", "grey"], help="evaluate a colour set in grey or rgb")
    g.add_argument("--protocol", help="override the evaluation protocol (see `restbench protocols`)")
    g.add_argument("--metrics", default="", help="extra pyiqa metrics, comma-separated (e.g. lpips,dists)")
    g.add_argument("--limit", type=int, help="only the first N images")
    g.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    g = p.add_argument_group("inputs")
    g.add_argument("--data-root", type=Path, help="directory holding <Dataset>/ folders in the authors' layout "
                   "(a set found neither there nor in the cache is downloaded into the cache first)")
    g.add_argument("--offline", action="store_true",
                   help="never touch the network (also RESTBENCH_OFFLINE=1, or HF_HUB_OFFLINE=1): use the cache and "
                        "RESTBENCH_MIRROR only, and fail with one message listing what is missing")
    g.add_argument(
        "--weights",
        action="append",
        default=[],
        metavar="ID=PATH",
        help="use a local checkpoint for a variant or family; ID=random gives efficiency-only rows",
    )
    g = p.add_argument_group("execution")
    g.add_argument("--device", default="auto", help="auto (CUDA when available), cuda, cuda:1, cpu")
    g.add_argument("--precision", choices=["fp32", "fp16", "bf16"], default="fp32", help="autocast precision")
    g.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                   help="NHWC memory format; default: on for architectures that declare it faster (DnCNN)")
    g.add_argument("--compile", action="store_true", help="torch.compile the model first")
    g.add_argument("--tile", type=int, help="tiled inference with SIZE×SIZE tiles (bounded memory)")
    g.add_argument("--tile-overlap", type=int, default=32, help="overlap between tiles in pixels (default 32)")
    g.add_argument("--self-ensemble", action="store_true", help="average over the 8 flips/rotations (x8)")
    g.add_argument("--batch-size", type=int, default=1, metavar="N",
                   help="images of equal size per forward pass (GoPro frames, SIDD blocks); per-image rows are "
                        "identical to batch 1, other sizes fall back to smaller batches (default 1)")
    g.add_argument("--prefetch", type=int, default=2, metavar="N",
                   help="images a background thread decodes and degrades ahead of the model (default 2)")
    g = p.add_argument_group("distributed (under torchrun or srun; see docs/distributed.md)")
    g.add_argument("--shard", choices=["auto", "images", "jobs"], default="auto",
                   help="split each job's images between ranks, or give ranks whole jobs (default: auto)")
    g.add_argument("--dist-timeout", type=float, default=1800.0, metavar="S",
                   help="seconds a rank waits for another that makes no progress before failing (default 1800)")
    g.add_argument("--world-size", type=int, metavar="N",
                   help="with --dry-run: show how N ranks would share the plan")
    g = p.add_argument_group("outputs")
    g.add_argument("--results", type=Path, help="results store directory (default: $RESTBENCH_HOME/results)")
    g.add_argument("--save-images", type=Path, metavar="DIR", help="write restored images as PNG")
    g.add_argument("--force", action="store_true", help="recompute jobs already in the results store")
    g.add_argument("--lock-timeout", type=float, metavar="SECONDS",
                   help="how long to wait for another process running the same job (default: until it finishes)")
    g.add_argument("--json", action="store_true", help="print one JSON document with the summary rows")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(handler=handle_run)


def run_options(args, weights: dict[str, str]) -> "RunOptions":
    """The typed options of a run from ``restbench run``'s arguments."""
    from restbench.engine.inference import ForwardSettings
    from restbench.engine.options import RunOptions
    from restbench.paths import results_dir

    return RunOptions(
        device=args.device,
        forward=ForwardSettings(
            tile=args.tile,
            tile_overlap=args.tile_overlap,
            self_ensemble=args.self_ensemble,
            precision=args.precision,
            channels_last=bool(args.channels_last),
        ),
        channels_last_auto=args.channels_last is None,
        compile=args.compile,
        limit=args.limit,
        data_root=args.data_root,
        results_dir=args.results or results_dir(),
        save_images=args.save_images,
        force=args.force,
        progress=not args.no_progress,
        weights=weights,
        missing_weights=getattr(args, "missing_weights", None) or ("random" if args.dataset == "demo" else "fail"),
        metrics=tuple(m.strip() for m in args.metrics.split(",") if m.strip()),
        prefetch=args.prefetch,
        batch_size=args.batch_size,
        offline=True if args.offline else None,
        lock_timeout=getattr(args, "lock_timeout", None),
    )


def _cache_root():
    from restbench.paths import cache_root

    return cache_root()


def checkpoint_request(args, state, strict: bool = True):
    """What a checkpoint named in --models is checked against: the test set's tasks and the level."""
    from restbench.engine.checkpoints import CheckpointRequest
    from restbench.engine.plan import dataset_tasks

    spec = state.registry.datasets.get(getattr(args, "dataset", None) or "")
    return CheckpointRequest(
        dataset=getattr(args, "dataset", None), dataset_tasks=dataset_tasks(spec) if spec else (),
        task=getattr(args, "task", None), sigma=getattr(args, "sigma", None),
        quality=getattr(args, "quality", None), strict_task=strict,
    )


def check_run_args(args, state) -> None:
    """Every flag value checked before any work, also for --dry-run (see restbench.engine.validate)."""
    from restbench.engine.plan import Level
    from restbench.engine.validate import InvalidRequest, check_request

    try:
        check_request(state.registry, args.dataset, Level(sigma=args.sigma, scale=args.scale, quality=args.quality),
                      protocol=args.protocol, limit=args.limit, tile=args.tile, tile_overlap=args.tile_overlap,
                      prefetch=args.prefetch, device=args.device)
        if args.lock_timeout is not None and args.lock_timeout < 0:
            raise InvalidRequest(f"--lock-timeout must be ≥ 0 seconds, not {args.lock_timeout}")
    except InvalidRequest as exc:
        raise UserError(str(exc)) from None


def weight_flags(args, jobs=(), variants=()) -> dict[str, str]:
    """``--weights`` as ``{id: path}``: no URL, and every ID names something that runs."""
    from restbench.engine.validate import InvalidRequest, check_weight_ids, parse_weight_flags

    try:
        overrides = parse_weight_flags(args.weights)
        if jobs or variants:  # with nothing planned, "nothing to run" is the clearer message
            check_weight_ids(overrides, jobs, variants)
    except InvalidRequest as exc:
        raise UserError(str(exc)) from None
    return {k: str(Path(v).expanduser()) if v != "random" else v for k, v in overrides.items()}


def writable_results(path: Path | None) -> Path:
    """The results folder, created and proven writable before a model is built."""
    from restbench.engine.validate import InvalidRequest, check_writable_dir
    from restbench.paths import results_dir

    try:
        return check_writable_dir(Path(path) if path else results_dir(),
                                  hint="pass --results DIR" if path else "set RESTBENCH_HOME or pass --results DIR")
    except InvalidRequest as exc:
        raise UserError(str(exc)) from None


def handle_run(args, state) -> int:
    from restbench.engine.distributed import detect_launch, start_session

    if args.world_size is not None and not args.dry_run:
        raise UserError("--world-size only previews a split with --dry-run; start the ranks with torchrun or srun")
    launch = detect_launch()
    if launch is None or args.dry_run:
        return _handle_run(args, state, None, launch)
    with start_session(launch, args.device, args.dist_timeout) as session:
        return _handle_run(args, state, session, launch)


def _handle_run(args, state, session, launch) -> int:
    from restbench.engine.checkpoints import require_planned
    from restbench.engine.select import select_variants
    from restbench.engine.plan import Level, PlanError, make_plan

    if args.batch_size < 1:
        raise UserError(f"--batch-size must be at least 1, got {args.batch_size}")
    from restbench.engine.runner import run_plan

    check_run_args(args, state)
    variants = select_variants(state, [args.models], checkpoint_request(args, state))
    demo = args.dataset == "demo"
    if demo:  # every task at once: pick the levels the demo documents unless told otherwise
        args.sigma, args.scale, args.quality = args.sigma or 25, args.scale or 4, args.quality or 40
        print(f"demo set: σ{args.sigma}, x{args.scale}, JPEG q{args.quality}; synthetic inputs, numbers only "
              "show that each model runs (see restbench/data/demo/README.md)", file=sys.stderr)
    level = Level(sigma=args.sigma, scale=args.scale, quality=args.quality)
    try:
        named = frozenset(t.strip() for t in args.models.split(",") if t.strip() in state.registry.variants)
        plan = make_plan(state.registry, variants, args.dataset, level, args.protocol, args.channels, named,
                         representative=demo)
    except PlanError as exc:
        raise UserError(str(exc)) from None
    require_planned(plan, variants)
    overrides = weight_flags(args, plan.jobs)
    opts = run_options(args, overrides)
    from restbench.engine.acquire import acquire, human_size, missing_for

    world = args.world_size or (launch.world_size if launch else None)
    if launch is not None and launch.rank != 0 and (args.dry_run or session is None):
        return 0  # rank 0 prints the plan
    if not args.dry_run:
        if session is None or session.is_main:
            for fam, why in plan.skipped:
                print(f"skipped {fam}: {why}", file=sys.stderr)
    else:
        rows = [
            dict(variant=j.variant.id, model=j.variant.arch, task=j.task, dataset=j.dataset, protocol=j.protocol)
            for j in plan.jobs
        ]
        downloads = missing_for(state, plan.jobs, opts)
        total = sum(m.size or 0 for m in downloads)
        shares = _distribution(state, plan, args, world) if world else None
        if args.json:
            doc = {"plan": rows, "skipped": [dict(model=f, reason=r) for f, r in plan.skipped],
                   "downloads": [dict(kind=m.kind, name=m.name, size=m.size, automatic=m.automatic,
                                      sources=[r.canonical_url for r in m.remotes]) for m in downloads]}
            if shares is not None:
                for row, share in zip(rows, shares.describe(plan)):
                    row.update({k: share[k] for k in ("images", "rank", "ranks") if k in share})
                doc["distributed"] = dict(world_size=shares.world_size, mode=shares.mode, reason=shares.reason)
            emit_json(doc)
        else:
            for r in rows:
                print(f"run  {r['variant']:<45} {r['task']:<20} protocol {r['protocol']}")
            for fam, why in plan.skipped:
                print(f"skip {fam:<45} {why}")
            for m in downloads:
                print(f"get  {m.describe()}")
            if downloads:
                unknown = sum(m.size is None for m in downloads)
                print(f"would download {len(downloads)} item(s), {human_size(total)}"
                      + (f" + {unknown} of unknown size" if unknown else "") + " into " + str(_cache_root()))
            if shares is not None:
                print(f"distributed: {shares.world_size} ranks, mode {shares.mode}: {shares.reason}")
                for share in shares.describe(plan):
                    n = "?" if share["images"] is None else share["images"]
                    if "rank" in share:
                        print(f"  rank {share['rank']:<3} {share['variant']} on {share['dataset']} ({n} images)")
                    else:
                        parts = ", ".join(f"rank {r}: {len(names)}" for r, names in share["ranks"].items())
                        print(f"  {share['variant']} on {share['dataset']} ({n} images) → {parts}")
                        for r, names in share["ranks"].items():
                            print(f"    rank {r}: {' '.join(names) or '-'}")
        return 0
    if not plan.jobs:
        raise UserError("nothing to run: no selected model suits this test set (see the skipped reasons above)")
    opts.results_dir = args.results = writable_results(args.results)
    if session is not None:
        from restbench.engine.distributed import fingerprint, run_plan_distributed

        shares = _distribution(state, plan, args, session.world_size, opts)
        session.agree(fingerprint(plan, opts, shares.mode))
        # one process per node fetches what the plan needs (run_plan_distributed), the others wait
        summaries, failures = run_plan_distributed(state, plan, opts, session, shares)
        if not session.is_main:
            return 1 if failures else 0  # rank 0 prints the results
    else:
        for line in acquire(state, plan.jobs, opts, strict_weights=opts.missing_weights != "random"):
            print(f"restbench: {line.splitlines()[0]}", file=sys.stderr)
        summaries, failures = run_plan(state, plan, opts)
    if args.json:
        emit_json({"results": summaries, "failures": failures, "skipped": [dict(model=f, reason=r) for f, r in plan.skipped]})
    else:
        from restbench.report.summary import print_summary_table

        print_summary_table(summaries, failures)
    return 1 if failures else 0


def _distribution(state, plan, args, world: int, opts=None):
    """How ``world`` ranks share ``plan`` (``--shard``), from the sets' file headers."""
    from restbench.engine.distributed import distribute, job_images

    if world < 1:
        raise UserError("--world-size must be at least 1")
    if opts is None:  # a dry run: only where the data is and how much of it
        from restbench.engine.options import RunOptions

        opts = RunOptions(data_root=args.data_root, limit=args.limit)
    return distribute(plan, world, [job_images(state, j, opts) for j in plan.jobs], args.shard)
