"""``restbench explain | compare | ablate``: the command-line faces of :mod:`restbench.analysis`.

The analyses reuse the harness rather than re-implementing it: a variant is planned on a test set
with :func:`restbench.engine.plan.make_plan` (so it gets the protocol, level and colour mode
``run`` would give it), models and weights come from :mod:`restbench.engine.models`
(``--weights ID=PATH``, cache, hub, offline rules), images from
:func:`restbench.engine.models.iter_inputs`, and forward passes from
:func:`restbench.engine.runner.forward_image`. The analysis modules take already-loaded models
and tensors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


from restbench.errors import UserError
from restbench.output import emit_json

EXPLAIN_EXAMPLES = """\
examples:
  restbench explain --variant dncnn-s25 --dataset Set12 --sigma 25 --data-root ../shared/datasets \\
                    --weights dncnn-s25=../shared/weights/dncnn_25.pth
  restbench explain --variant bicubic-x4 --dataset Set5 --scale 4 --data-root ~/data --json
The model runs once; the same outputs are then scored under each alternative choice (colour space,
border crop, 8-bit rounding, SSIM flavour, other papers' scoring rules, pyiqa's defaults).
"""

COMPARE_EXAMPLES = """\
examples:
  restbench compare --dataset Set5 --scale 4 --image butterfly --models bicubic,swinir --out grid.png
  restbench compare --dataset Set12 --sigma 25 --image 01 --models identity,dncnn-s25 \\
                    --weights dncnn-s25=../shared/weights/dncnn_25.pth --crop 100,60,64,64
"""

ABLATE_EXAMPLES = """\
examples:
  restbench ablate tile precision ensemble padding --variant dncnn-s25 --dataset Set12 --sigma 25 \\
                   --limit 2 --weights dncnn-s25=../shared/weights/dncnn_25.pth --out ablation/
  restbench ablate resolution --variant restormer-motion-deblurring --sizes 64x64,128x128,256x256 --runs 2
  restbench ablate arch --variant restormer --size 128x128 --runs 2
  restbench ablate arch --variant swinir --swap window_size=4,8,16 \\
                   --arch-kwargs '{"depths": [2, 2], "num_heads": [2, 2], "embed_dim": 24}'
Quality columns (PSNR, Δ vs the reference setting) need trained weights and a test set; with
random weights (unavailable or --weights ID=random) and for component swaps (which have no trained
weights) only cost columns are reported, and the output says so.
"""


# ---------------------------------------------------------------- parsers


def _data_args(p: argparse.ArgumentParser, dataset_required: bool) -> None:
    g = p.add_argument_group("test set")
    g.add_argument("--dataset", required=dataset_required, help="a registered test set (see `restbench datasets`)")
    g.add_argument("--sigma", type=int, help="Gaussian noise level (denoising sets)")
    g.add_argument("--scale", type=int, help="upscaling factor (SR sets)")
    g.add_argument("--quality", type=int, help="JPEG quality (artefact-removal sets)")
    g.add_argument("--channels", choices=["rgb", "grey"], help="evaluate a colour set in grey or rgb")
    g.add_argument("--protocol", help="override the evaluation protocol (see `restbench protocols`)")
    g.add_argument("--data-root", type=Path, help="directory holding <Dataset>/ folders")
    g.add_argument("--weights", action="append", default=[], metavar="ID=PATH",
                   help="local checkpoint for a variant or family (repeatable)")
    g.add_argument("--device", default="auto", help="auto (CUDA when available), cuda, cpu")


def register(sub, common) -> None:
    """Register ``explain``, ``compare`` and ``ablate`` on the top-level subparsers."""
    p = sub.add_parser(
        "explain", parents=[common], help="how much each protocol choice moves a model's score",
        description="Run one variant over a test set once, then score the same outputs under every alternative "
        "protocol choice: why is my SSIM 0.95 when the paper says 0.961?",
        epilog=EXPLAIN_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--variant", required=True, help="variant id (or a family with one suitable variant)")
    _data_args(p, dataset_required=True)
    p.add_argument("--limit", type=int, help="only the first N images")
    p.add_argument("--crop", type=int, dest="alt_crop",
                   help="border crop to try when the protocol crops none (default: the scale for SR, else 4)")
    p.add_argument("--no-pyiqa", action="store_true", help="skip the pyiqa rows even when pyiqa is installed")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=handle_explain)

    p = sub.add_parser(
        "compare", parents=[common], help="side-by-side picture of models' outputs on one test image",
        description="Input, each model's output and the ground truth, with the same zoomed crop and each "
        "output's PSNR under its protocol, as one PNG.",
        epilog=COMPARE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--models", required=True, help="variant ids or families, comma-separated")
    p.add_argument("--image", required=True, help="image name in the set (file stem, e.g. 'butterfly')")
    _data_args(p, dataset_required=True)
    p.add_argument("--crop", dest="zoom", help="zoom box x,y,w,h in ground-truth pixels (default: a centred square)")
    p.add_argument("--panel", type=int, default=256, help="width of each panel in pixels (default 256)")
    p.add_argument("--out", type=Path, help="PNG file to write (default: compare_<dataset>_<image>.png)")
    p.set_defaults(handler=handle_compare)

    p = sub.add_parser(
        "ablate", parents=[common], help="tables and plots of inference settings and component swaps",
        description="One table (markdown, CSV) and one plot per named axis: "
        "tile (size × overlap), precision, ensemble (x1/x8), resolution (cost curves), padding (mode), "
        "arch (component swaps: Restormer attention/FFN, Uformer LeFF/MLP and shift, SwinIR window size).",
        epilog=ABLATE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # axes are checked in the handler: importing restbench.analysis.ablate here would load torch for every `--help`
    p.add_argument("axes", nargs="+", metavar="AXIS", help="tile, precision, ensemble, resolution, padding, arch, or all")
    p.add_argument("--variant", required=True, help="variant id, or a family (its first variant)")
    _data_args(p, dataset_required=False)
    p.add_argument("--limit", type=int, help="only the first N images of the test set")
    g = p.add_argument_group("axis settings")
    g.add_argument("--size", default="256x256", help="HxW input for cost measurements without a test set (default 256x256)")
    g.add_argument("--sizes", default="64x64,128x128,256x256", help="HxW list for the resolution axis")
    g.add_argument("--runs", type=int, default=3, help="timed runs per cost measurement (0: no latency/memory)")
    g.add_argument("--tiles", default="64,128,256", help="tile sizes for the tile axis")
    g.add_argument("--overlaps", default="8,16,32", help="tile overlaps for the tile axis")
    g.add_argument("--precisions", default="fp32,fp16,bf16", help="autocast precisions for the precision axis")
    g.add_argument("--pad-modes", default="reflect,symmetric,replicate,zero,center-zero", help="padding modes")
    g.add_argument("--swap", action="append", default=[], metavar="KEY=V1,V2",
                   help="values of one component switch for the arch axis (repeatable; replaces the default list)")
    g.add_argument("--arch-kwargs", help="JSON object overriding the variant's constructor arguments (e.g. a tiny config)")
    p.add_argument("--out", type=Path, help="directory for <axis>.md, <axis>.csv and <axis>.png/.svg")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=handle_ablate)


# ---------------------------------------------------------------- harness pieces


def _level(args):
    from restbench.engine.plan import Level

    return Level(sigma=args.sigma, scale=args.scale, quality=args.quality)


def plan_jobs(state, models: str, args) -> tuple[list, list[tuple[str, str]]]:
    """Jobs for ``models`` on ``args.dataset`` exactly as ``restbench run`` plans them."""
    from restbench.engine.select import select_variants
    from restbench.engine.plan import PlanError, make_plan

    check_args(state, args)
    variants = select_variants(state, [models])
    named = frozenset(t.strip() for t in models.split(",") if t.strip() in state.registry.variants)
    try:
        plan = make_plan(state.registry, variants, args.dataset, _level(args), args.protocol, args.channels, named)
    except PlanError as exc:
        raise UserError(str(exc)) from None
    if plan.jobs:  # like `restbench run`: a missing test set is fetched first (weights when each model loads)
        from dataclasses import replace

        from restbench.engine.acquire import acquire

        opts = replace(run_options(args, jobs=plan.jobs), progress=True)
        for line in acquire(state, plan.jobs, opts, strict_weights=False):
            print(f"restbench: {line.splitlines()[0]}", file=sys.stderr)
    return plan.jobs, plan.skipped


def check_args(state, args) -> None:
    """The same checks as `restbench run` (restbench.engine.validate), before any model is built."""
    from restbench.engine.validate import InvalidRequest, check_count, check_request

    try:
        check_request(state.registry, getattr(args, "dataset", None), _level(args), protocol=getattr(args, "protocol", None),
                      limit=getattr(args, "limit", None), device=getattr(args, "device", None))
        if getattr(args, "runs", None) is not None:
            check_count(args.runs, "--runs", minimum=0)
    except InvalidRequest as exc:
        raise UserError(str(exc)) from None


def run_options(args, missing: str = "fail", jobs=()):
    from restbench.engine.options import RunOptions
    from restbench.cli.run import weight_flags

    overrides = weight_flags(args, jobs)
    return RunOptions(device=args.device, limit=getattr(args, "limit", None), data_root=args.data_root,
                      progress=False, weights=overrides, missing_weights=missing)


def _one_job(jobs, skipped, what: str):
    if len(jobs) == 1:
        return jobs[0]
    if not jobs:
        why = "; ".join(f"{f}: {r}" for f, r in skipped) or "nothing suitable"
        raise UserError(f"{what} does not suit this test set/level ({why})")
    raise UserError(f"{what} gives {len(jobs)} variants here ({', '.join(j.variant.id for j in jobs)}); name one with --variant")


# ---------------------------------------------------------------- explain


def handle_explain(args, state) -> int:
    from restbench.analysis.explain import explain_outputs, format_table, scorings_for
    from restbench.engine.inference import pick_device, prepare_model
    from restbench.protocols.named import get_protocol
    from restbench.engine.inputs import iter_inputs
    from restbench.engine.models import JobFailed, forward_settings, load_model
    from restbench.engine.runner import forward_image
    from restbench.results.verdict import find_claim

    jobs, skipped = plan_jobs(state, args.variant, args)
    job = _one_job(jobs, skipped, args.variant)
    opts = run_options(args, jobs=[job])
    device = pick_device(args.device)
    try:
        loaded = load_model(state, job, opts, device)
    except JobFailed as exc:
        raise UserError(f"{job.variant.id}: {exc}") from None
    if not loaded.trained:
        raise UserError(f"{job.variant.id}: explain needs trained weights (random init gives meaningless scores)")
    protocol = get_protocol(job.protocol)
    scorings = scorings_for(protocol, job.scale, task=job.task, alt_crop=args.alt_crop, pyiqa=not args.no_pyiqa)

    fwd = forward_settings(state, job.variant, opts)  # the same forward as `restbench run`
    model = prepare_model(loaded.model, fwd)

    def outputs():
        for name, x, y in iter_inputs(state, job, opts):
            out, _, _ = forward_image(model, x.to(device), job.variant.input, job.scale, fwd, device)
            yield name, out, y.to(device)

    result = explain_outputs(outputs(), scorings, scale=job.scale)
    level = {k: getattr(job.level, k) for k in ("sigma", "scale", "quality")}
    summary = dict(dataset=job.dataset, channels=job.channels, **level)
    claim = find_claim(job.variant, summary)
    doc = dict(variant=job.variant.id, dataset=job.dataset, task=job.task, protocol=job.protocol, level=level,
               channels=job.channels, n_images=result.n_images, partial=bool(args.limit),
               weights=dict(source=loaded.weights_source, sha256=loaded.weights_sha256),
               claim=None if claim is None else dict(psnr=claim.psnr, ssim=claim.ssim, source=claim.source),
               rows=result.rows(claim), skipped=result.skipped)
    if args.json:
        emit_json(doc)
        return 0
    print(format_table(doc))
    return 0


# ---------------------------------------------------------------- compare


def handle_compare(args, state) -> int:
    from restbench.analysis.compare import Panel, compare_image

    jobs, skipped = plan_jobs(state, args.models, args)
    named = [t.strip() for t in args.models.split(",") if t.strip()]
    failures = [Panel(fam, None, error=reason) for fam, reason in skipped if any(fam == n or n.startswith(fam) for n in named)]
    if not jobs and not failures:
        raise UserError("no selected model suits this test set")
    out = args.out or Path(f"compare_{args.dataset}_{args.image}.png")
    try:
        written, panels = compare_image(state, jobs, args.image, run_options(args, jobs=jobs), out, zoom=args.zoom,
                                        panel_px=args.panel, failed=failures)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    for p in panels:
        if p.error:
            print(f"restbench: {p.title}: {p.error}", file=sys.stderr)
    print(written)
    return 1 if any(p.error for p in panels) else 0


# ---------------------------------------------------------------- ablate


def parse_sizes(text: str) -> list[tuple[int, int]]:
    from restbench.cli.profile import parse_sizes as parse

    return parse(text)


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise UserError(f"{what} expects comma-separated integers, got {text!r}") from None


def _value(text: str):
    """'true' → True, '8' → 8, '1.5' → 1.5, anything else stays a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def parse_swaps(items: list[str]) -> dict[str, list]:
    out: dict[str, list] = {}
    for item in items:
        key, sep, vals = item.partition("=")
        if not sep or not key.strip() or not vals.strip():
            raise UserError(f"--swap expects KEY=V1,V2, got {item!r}")
        out[key.strip()] = [_value(v) for v in vals.split(",") if v.strip()]
    return out


def handle_ablate(args, state) -> int:
    from restbench.analysis import ablate
    from restbench.engine.select import select_variants
    from restbench.engine.inference import pick_device
    from restbench.engine.plan import Job, Level
    from restbench.engine.inputs import iter_inputs
    from restbench.engine.models import JobFailed, load_model

    unknown = [a for a in args.axes if a not in (*ablate.AXES, "all")]
    if unknown:
        raise UserError(f"unknown ablation axis {', '.join(unknown)}; choose from {', '.join(ablate.AXES)} or all")
    axes = list(ablate.AXES) if "all" in args.axes else list(dict.fromkeys(args.axes))
    check_args(state, args)
    from restbench.engine.validate import InvalidRequest, check_tiling

    try:
        for t in _ints(args.tiles, "--tiles"):
            check_tiling(t, None)
        for o in _ints(args.overlaps, "--overlaps"):
            check_tiling(None, o)
    except InvalidRequest as exc:
        raise UserError(str(exc).replace("--tile-overlap", "--overlaps").replace("--tile ", "--tiles ")) from None
    device = pick_device(args.device)
    try:
        arch_over = json.loads(args.arch_kwargs) if args.arch_kwargs else {}
    except json.JSONDecodeError as exc:
        raise UserError(f"--arch-kwargs is not valid JSON: {exc}") from None
    if not isinstance(arch_over, dict):
        raise UserError("--arch-kwargs must be a JSON object")
    if args.dataset:
        jobs, skipped = plan_jobs(state, args.variant, args)
        job = _one_job(jobs, skipped, args.variant)
    else:
        vs = select_variants(state, [args.variant])
        v = next((u for u in vs if u.id == args.variant), vs[0])
        job = Job(v, "-", v.task, Level(scale=v.scale), v.channels, "")
    v = job.variant
    notes: list[str] = []
    opts = run_options(args, missing="random", jobs=[job])
    needs_model = any(a != "arch" for a in axes)
    subject = None
    if needs_model:
        if arch_over:  # a changed architecture cannot take the released weights
            opts.weights = {v.id: "random"}
            notes.append("--arch-kwargs changes the architecture: random init, cost columns only")
        try:
            loaded = load_model(state, job, opts, device) if not arch_over else None
        except JobFailed as exc:
            raise UserError(f"{v.id}: {exc}") from None
        if loaded is None:
            model = state.registry.architectures[v.arch].builder(**{**v.arch_kwargs, **arch_over}).eval().to(device)
            trained, source = False, "random init"
        else:
            model, trained, source = loaded.model, loaded.trained, loaded.weights_source
        if not trained and "unavailable" in source:
            notes.append(f"{v.id}: trained weights unavailable (pass --weights {v.id}=PATH for quality columns)")
        images = []
        if args.dataset:
            images = [(n, x, y) for n, x, y in iter_inputs(state, job, opts)]
        subject = ablate.Subject(
            variant=v, model=model, trained=trained, weights_source=source, device=device, images=images,
            protocol=job.protocol or None, scale=job.scale, size=parse_sizes(args.size)[0], runs=args.runs,
            dataset=job.dataset if args.dataset else None,
        )
    results = []
    for axis in axes:
        print(f"ablation axis {axis} …", file=sys.stderr)
        if axis == "tile":
            r = ablate.tile_axis(subject, _ints(args.tiles, "--tiles"), _ints(args.overlaps, "--overlaps"))
        elif axis == "precision":
            r = ablate.precision_axis(subject, [p.strip() for p in args.precisions.split(",") if p.strip()])
        elif axis == "ensemble":
            r = ablate.ensemble_axis(subject)
        elif axis == "resolution":
            r = ablate.resolution_axis(subject, parse_sizes(args.sizes))
        elif axis == "padding":
            r = ablate.padding_axis(subject, [m.strip() for m in args.pad_modes.split(",") if m.strip()])
        else:
            builder = state.registry.architectures[v.arch].builder
            try:
                r = ablate.arch_axis(v, builder, {**v.arch_kwargs, **arch_over}, parse_swaps(args.swap),
                                     parse_sizes(args.size)[0], device, args.runs)
            except ValueError as exc:
                if "all" in args.axes:  # 'all' on a family without switches: the other axes stand
                    print(f"restbench: skipping axis arch: {exc}", file=sys.stderr)
                    continue
                raise UserError(str(exc)) from None
        r.notes[:0] = [n for n in notes if axis != "arch"]
        results.append(r)
        if args.out:
            r.write(args.out)
        if not args.json:
            print(r.markdown())
            print()
    if args.json:
        emit_json({"variant": v.id, "dataset": job.dataset if args.dataset else None,
                   "axes": [r.to_dict() for r in results]})
    if args.out:
        print(f"written to {args.out}/", file=sys.stderr)
    return 0
