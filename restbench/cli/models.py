"""``restbench plugins | models | protocols | new-plugin | download``: what is registered, and getting weights."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from restbench.costs.cache import ParamCounts
from restbench.engine.select import level, select_variants
from restbench.errors import UserError
from restbench.output import emit_json, print_table
from restbench.plugin.manager import PluginState
from restbench.registry import CheckpointArchitecture, Variant


def register(sub, common) -> None:
    """Add this module's subcommands to the top-level parser."""
    p = sub.add_parser("plugins", parents=[common], help="list loaded plugins with versions")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=plugins)

    p = sub.add_parser(
        "models",
        parents=[common],
        help="list every registered model variant",
        description="List every registered variant: id, task, level, parameters, weight file, source, licence; "
        "then the architectures a bare checkpoint file (--models PATH.pth) can be identified as, and their licences.",
    )
    p.add_argument("filters", nargs="*", metavar="FAMILY_TASK_OR_FILE",
                   help="only these families, tasks or variant ids; a checkpoint file (.pth/.safetensors) shows "
                        "what it is identified as, with its licence")
    p.add_argument("--json", action="store_true", help="machine-readable output (one JSON document)")
    p.set_defaults(handler=models)

    p = sub.add_parser(
        "new-plugin",
        parents=[common],
        help="write a minimal model-plugin package to start from",
        description="Write plugins/NAME/ (pyproject with entry point, arch.py, variants.py, __init__.py).",
    )
    p.add_argument("name", help="plugin/model name, e.g. 'mynet' (lowercase, letters/digits/_)")
    p.add_argument("--dir", default="plugins", help="parent directory (default: plugins)")
    p.set_defaults(handler=new_plugin)

    p = sub.add_parser("protocols", parents=[common], help="list the named evaluation protocols")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=protocols)

    p = sub.add_parser(
        "download",
        parents=[common],
        help="pre-fetch weights of models or variants",
        description="Fetch and verify weights now (hub mirror first, then release URL), into the cache.",
    )
    p.add_argument("targets", nargs="+", metavar="MODEL_OR_VARIANT", help="family names, variant ids or 'all'")
    p.set_defaults(handler=download)


def plugins(args, state: PluginState) -> int:
    rows = [dict(name=p.name, module=p.module, version=p.version, source=p.source) for p in state.plugins]
    if args.json:
        emit_json({"plugins": rows, "errors": state.errors})
        return 0
    width = max((len(r["name"]) for r in rows), default=4)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['version']:<10} {r['source']:<12} {r['module']}")
    return 1 if state.errors else 0


def variant_row(state: PluginState, v: Variant, params: ParamCounts) -> dict:
    from restbench.fetch.weights import weights_status

    src = v.sources[0].describe() if v.sources else ""
    return dict(
        id=v.id,
        family=v.arch,
        plugin=state.registry.owner.get(f"variant:{v.id}"),
        task=v.task,
        level=level(v),
        sigma=v.sigma,
        scale=v.scale,
        quality=v.quality,
        blind=v.blind,
        channels=v.channels,
        params=params(v),
        weight_file=v.weight_file,
        weight_sources=[s.canonical_url for s in v.sources],  # Drive as https://drive.google.com/uc?id=ID
        source=src,
        sha256=v.sha256,
        weights=weights_status(v) if v.weight_file else "none needed",
        licence_code=v.licence_code,
        licence_weights=v.licence_weights,
    )


def _short_licence(text: str) -> str:
    return text.split(" (")[0][:34]


def _short_source(sources: list[str], weight_file: str | None) -> str:
    """Where the weights come from, short: 'hf + github', 'github', or 'manual' when no direct link."""
    if not weight_file:
        return ""
    kinds = []
    for s in sources:
        kind = ("local" if s.startswith("file:") else "hf" if s.startswith(("hf://", "https://huggingface.co/")) else "github" if "github.com" in s
                else "gdrive" if "drive.google.com" in s else "url")
        if kind not in kinds:
            kinds.append(kind)
    return " + ".join(kinds) or "manual (see notes)"


def models(args, state: PluginState) -> int:
    from restbench.engine.checkpoints import describe, looks_like_checkpoint, variant_from_checkpoint
    from restbench.plugin.manager import checkpoint_architectures

    files = [f for f in args.filters if looks_like_checkpoint(f)]
    wanted = set(args.filters) - set(files)
    from_files = [variant_from_checkpoint(state, f) for f in files]
    variants = [
        v for v in state.registry.variants.values()
        if not v.origin and (not wanted or v.arch in wanted or v.task in wanted or v.id in wanted)
    ] if wanted or not files else []
    if wanted and not variants:
        raise UserError(f"no variants match {sorted(wanted)}; families: {', '.join(sorted(state.registry.architectures))}")
    counts = ParamCounts(state.registry, {p.name: p.version for p in state.plugins})
    rows = [variant_row(state, v, counts) for v in variants + from_files]
    for row, v in zip(rows[len(variants):], from_files):
        row.update(weights=f"local file {Path(v.origin['file']).name}", identified=describe(v.origin))
    counts.save()
    archs = checkpoint_architectures(state)
    if args.json:
        emit_json({"variants": rows, "checkpoint_architectures": [asdict(a) for a in archs],
                   "plugin_errors": state.errors})
        return 0
    table = [
        dict(
            id=r["id"],
            task=r["task"],
            level=r["level"],
            params="?" if r["params"] is None else f"{r['params'] / 1e6:.2f}M",
            weights=r["weights"],
            licence=_short_licence(r["licence_weights"] or r["licence_code"]),
            source=_short_source(r["weight_sources"], r["weight_file"]),
        )
        for r in rows
    ]
    print_table(table)
    for row in rows[len(variants):]:
        print(f"{row['id']}: {row['identified']}; code licence: {row['licence_code']}")
    if not args.filters:
        print_checkpoint_architectures(archs)
    print(f"\n{len(rows)} variants from {len(state.plugins)} plugins", file=sys.stderr)
    return 0


def print_checkpoint_architectures(archs: list[CheckpointArchitecture]) -> None:
    """Per identifier, how many architectures a bare file can be; restrictive licences one per line."""
    if not archs:
        print("\ncheckpoint files (--models PATH.pth): no plugin identifies them (pip install -e plugins/spandrel)")
        return
    print("\ncheckpoint files (--models PATH.pth) are identified by:")
    by_provider: dict[str, list[CheckpointArchitecture]] = {}
    for a in archs:
        by_provider.setdefault(a.provider, []).append(a)
    for provider, group in by_provider.items():
        free = [a.name for a in group if not a.restrictive]
        if free:
            print(f"  {provider}: {len(free)} architectures under permissive licences ({', '.join(sorted(free))})")
        restricted = [a for a in group if a.restrictive]
        if restricted:
            print(f"  {provider}: {len(restricted)} architectures under restrictive licences, which bind their results:")
            for a in sorted(restricted, key=lambda a: a.name):
                print(f"    {a.name:<12} {a.licence}")


def new_plugin(args, state: PluginState) -> int:
    from restbench.plugin.scaffold import write_plugin

    try:
        files = write_plugin(args.name, Path(args.dir))
    except (ValueError, FileExistsError) as exc:
        raise UserError(str(exc)) from None
    for f in files:
        print(f)
    root = Path(args.dir) / args.name
    print(f"\nnext: pip install -e {root}   then: restbench models {args.name}", file=sys.stderr)
    return 0


def protocols(args, state: PluginState) -> int:
    from restbench.protocols.named import PROTOCOLS

    if args.json:
        from dataclasses import asdict

        emit_json({name: asdict(p) for name, p in PROTOCOLS.items()})
        return 0
    for p in PROTOCOLS.values():
        print(p.describe())
    return 0


def download(args, state: PluginState) -> int:
    from restbench.fetch.weights import WeightsUnavailable, resolve_weights

    failed = 0
    for v in select_variants(state, args.targets):
        if not v.weight_file:
            continue
        try:
            wf = resolve_weights(v)
            print(f"{v.id}: {wf.path} (sha256 {wf.sha256[:12]}…, from {wf.source})")
        except WeightsUnavailable as exc:
            failed += 1
            print(f"restbench: {v.id}: {exc}", file=sys.stderr)
    return 1 if failed else 0
