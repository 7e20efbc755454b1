"""``restbench run``: the command-line face of the harness (plan → weights/data → forward → metrics → results)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli import UserError, emit_json

EXAMPLES = """\
examples:
  restbench run --models all --dataset demo
  restbench run --models all --dataset GoPro --dry-run
  restbench run --models dncnn --dataset Set12 --sigma 25 --data-root ../shared/datasets \\
                --weights dncnn=../shared/weights/dncnn_25.pth --json
  restbench run --models bicubic,swinir --dataset Set5 --scale 2 --data-root ~/data --limit 2

Results are kept under --results (default: $RESTBENCH_HOME/results); a job already complete with the
same variant, data, protocol, settings, weights and versions is not recomputed unless --force, and
an interrupted job resumes where it stopped.
"""


def add_run_parser(sub, common) -> None:
    p = sub.add_parser(
        "run",
        parents=[common],
        help="evaluate models on a test set under the papers' protocols",
        description="Run every suitable variant of the chosen models on one test set and measure it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("what to run")
    g.add_argument("--models", default="all", help="'all', family names, variant ids, comma-separated (default: all)")
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
    g.add_argument("--data-root", type=Path, help="directory holding <Dataset>/ folders in the authors' layout")
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
    g.add_argument("--prefetch", type=int, default=2, metavar="N",
                   help="images a background thread decodes and degrades ahead of the model (default 2)")
    g = p.add_argument_group("outputs")
    g.add_argument("--results", type=Path, help="results store directory (default: $RESTBENCH_HOME/results)")
    g.add_argument("--save-images", type=Path, metavar="DIR", help="write restored images as PNG")
    g.add_argument("--force", action="store_true", help="recompute jobs already in the results store")
    g.add_argument("--json", action="store_true", help="print one JSON document with the summary rows")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(handler=handle_run)


def handle_run(args, state) -> int:
    from .commands import select_variants
    from .plan import Level, PlanError, make_plan
    from .runner import RunOptions, run_plan

    variants = select_variants(state, [args.models])
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
    if not args.dry_run:
        for fam, why in plan.skipped:
            print(f"skipped {fam}: {why}", file=sys.stderr)
    else:
        rows = [
            dict(variant=j.variant.id, model=j.variant.arch, task=j.task, dataset=j.dataset, protocol=j.protocol)
            for j in plan.jobs
        ]
        if args.json:
            emit_json({"plan": rows, "skipped": [dict(model=f, reason=r) for f, r in plan.skipped]})
        else:
            for r in rows:
                print(f"run  {r['variant']:<45} {r['task']:<20} protocol {r['protocol']}")
            for fam, why in plan.skipped:
                print(f"skip {fam:<45} {why}")
        return 0
    if not plan.jobs:
        raise UserError("nothing to run: no selected model suits this test set (see the skipped reasons above)")
    from .weights import parse_weight_overrides

    try:
        overrides = {k: str(v) for k, v in parse_weight_overrides(args.weights).items()}
    except ValueError as exc:
        raise UserError(f"{exc} (or ID=random for efficiency-only rows)") from None
    opts = RunOptions.from_args(args, overrides)
    summaries, failures = run_plan(state, plan, opts)
    if args.json:
        emit_json({"results": summaries, "failures": failures, "skipped": [dict(model=f, reason=r) for f, r in plan.skipped]})
    else:
        from .report_text import print_summary_table

        print_summary_table(summaries, failures)
    return 1 if failures else 0
