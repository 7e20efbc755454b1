"""``restbench profile``: parameters, MACs by operator, peak memory and latency at given sizes.

Costs do not depend on trained values, so models are built with random init; variants that share
an architecture configuration are measured once and listed together.
"""

from __future__ import annotations

import argparse
import sys

from restbench.errors import UserError
from restbench.output import emit_json

EXAMPLES = """\
examples:
  restbench profile --models restormer-motion-deblurring --size 256x256 --json
  restbench profile --models swinir,uformer --sizes 64x64,128x128,256x256 --runs 3
MACs are fvcore's multiply-accumulates, broken down by operator group (conv, matmul, linear,
attention, …) so that each paper's counting convention can be read off; operators fvcore does not
count are listed under 'skipped'. Sizes are the model's input size (LR size for SR models).
"""


def register(sub, common) -> None:
    p = sub.add_parser(
        "profile",
        parents=[common],
        help="parameters, MACs, peak memory and latency of models",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--models", default="all", help="'all', families, variant ids, checkpoint files, comma-separated")
    p.add_argument("--task", help="for a checkpoint file whose network serves several tasks (costs do not depend on it)")
    p.add_argument("--size", "--sizes", dest="sizes", default="256x256", help="HxW[,HxW…] input sizes (default 256x256)")
    p.add_argument("--device", default="auto", help="auto, cuda, cpu")
    p.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up (default 5)")
    p.add_argument("--no-timing", action="store_true", help="only parameters and MACs")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=handle_profile)


def parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for item in text.split(","):
        try:
            h, w = item.lower().split("x")
            out.append((int(h), int(w)))
        except ValueError:
            raise UserError(f"--size expects HxW[,HxW…], e.g. 256x256, got {item!r}") from None
    return out


def handle_profile(args, state) -> int:
    from restbench.costs.profile import profile_model
    from restbench.engine.select import select_variants
    from restbench.engine.inference import pick_device

    from restbench.engine.validate import InvalidRequest, check_count, check_device

    sizes = parse_sizes(args.sizes)
    try:
        check_device(args.device)
        check_count(args.runs, "--runs")
    except InvalidRequest as exc:
        raise UserError(str(exc)) from None
    device = pick_device(args.device)
    groups: dict[str, list] = {}
    from restbench.engine.checkpoints import CheckpointRequest

    for v in select_variants(state, [args.models], CheckpointRequest(task=args.task)):
        key = repr((v.arch, sorted(v.arch_kwargs.items())))
        groups.setdefault(key, []).append(v)
    rows = []
    for variants in groups.values():
        v = variants[0]
        model = state.registry.architectures[v.arch].builder(**v.arch_kwargs).eval()
        for size in sizes:
            print(f"profiling {v.id} at {size[0]}x{size[1]} …", file=sys.stderr)
            try:
                row = profile_model(model, v.input.channels, size, device, args.runs, not args.no_timing)
            except Exception as exc:  # one architecture failing must not stop the sweep
                row = dict(size=f"{size[0]}x{size[1]}", error=f"{type(exc).__name__}: {exc}")
            rows.append(dict(variant=v.id, model=v.arch, same_architecture=[u.id for u in variants[1:]], **row))
    if args.json:
        emit_json({"profile": rows})
        return 0
    for r in rows:
        if "error" in r:
            print(f"{r['variant']:<40} {r['size']:>9}  error: {r['error']}")
            continue
        groups_txt = ", ".join(f"{k} {v / 1e9:.2f}G" for k, v in sorted(r["macs_by_group"].items(), key=lambda kv: -kv[1]))
        lat = f"{r['latency_ms']:.1f} ms" if "latency_ms" in r else ""
        mem = f"{r['peak_memory_bytes'] / 2**20:.0f} MiB" if "peak_memory_bytes" in r else ""
        print(f"{r['variant']:<40} {r['size']:>9} {r['params'] / 1e6:7.2f}M {r['gmacs']:9.2f} GMACs  {mem:>9} {lat:>10}  [{groups_txt}]")
    return 0
