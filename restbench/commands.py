"""Handlers for the small ``restbench`` subcommands (``run`` lives in :mod:`restbench.run_cli`)."""

from __future__ import annotations

import sys
from pathlib import Path

from .cli import UserError, emit_json
from .modelinfo import ParamCounts
from .plugins import PluginState
from .registry import Variant


def plugins(args, state: PluginState) -> int:
    rows = [dict(name=p.name, module=p.module, version=p.version, source=p.source) for p in state.plugins]
    if args.json:
        emit_json({"plugins": rows, "errors": state.errors})
        return 0
    width = max((len(r["name"]) for r in rows), default=4)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['version']:<10} {r['source']:<12} {r['module']}")
    return 1 if state.errors else 0


def level(v: Variant) -> str:
    """The degradation level a variant was trained for, as users write it."""
    parts = []
    if v.scale:
        parts.append(f"x{v.scale}")
    if v.sigma is not None:
        parts.append(f"σ{v.sigma}")
    if v.quality is not None:
        parts.append(f"q{v.quality}")
    if v.blind:
        parts.append("blind")
    return " ".join(parts)


def variant_row(state: PluginState, v: Variant, params: ParamCounts) -> dict:
    from .weights import weights_status

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
        weight_sources=[s.describe() for s in v.sources],
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
        kind = "hf" if s.startswith("hf://") else ("github" if "github.com" in s else "url")
        if kind not in kinds:
            kinds.append(kind)
    return " + ".join(kinds) or "manual (see notes)"


def print_table(rows: list[dict], file=None) -> None:
    """Left-aligned plain-text table, as wide as its content."""
    if not rows:
        return
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.upper().ljust(width[c]) for c in cols).rstrip(), file=file or sys.stdout)
    for r in rows:
        print("  ".join(str(r[c]).ljust(width[c]) for c in cols).rstrip(), file=file or sys.stdout)


def models(args, state: PluginState) -> int:
    wanted = set(args.filters)
    variants = [
        v for v in state.registry.variants.values() if not wanted or v.arch in wanted or v.task in wanted or v.id in wanted
    ]
    if wanted and not variants:
        raise UserError(f"no variants match {sorted(wanted)}; families: {', '.join(sorted(state.registry.architectures))}")
    counts = ParamCounts(state.registry, {p.name: p.version for p in state.plugins})
    rows = [variant_row(state, v, counts) for v in variants]
    counts.save()
    if args.json:
        emit_json({"variants": rows, "plugin_errors": state.errors})
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
    print(f"\n{len(rows)} variants from {len(state.plugins)} plugins", file=sys.stderr)
    return 0


def new_plugin(args, state: PluginState) -> int:
    from .scaffold import write_plugin

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
    from .protocols import PROTOCOLS

    if args.json:
        from dataclasses import asdict

        emit_json({name: asdict(p) for name, p in PROTOCOLS.items()})
        return 0
    for p in PROTOCOLS.values():
        print(p.describe())
    return 0


def select_variants(state: PluginState, targets: list[str]) -> list[Variant]:
    """Expand 'all', family names and variant ids (comma lists allowed) into variants."""
    reg = state.registry
    out: list[Variant] = []
    for t in [x.strip() for item in targets for x in item.split(",") if x.strip()]:
        if t == "all":
            out.extend(reg.variants.values())
        elif t in reg.variants:
            out.append(reg.variants[t])
        elif t in reg.architectures:
            out.extend(reg.variants_of(t))
        else:
            raise UserError(
                f"unknown model {t!r}; families: {', '.join(sorted(reg.architectures))} "
                "(see `restbench models` for variant ids)"
            )
    seen: dict[str, Variant] = {}
    for v in out:
        seen.setdefault(v.id, v)
    return list(seen.values())


def download(args, state: PluginState) -> int:
    from .weights import WeightsUnavailable, resolve_weights

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


def datasets(args, state: PluginState) -> int:
    from .datasets import DatasetError, find_root

    rows = []
    for spec in state.registry.datasets.values():
        try:
            where = str(find_root(spec, args.data_root))
        except DatasetError:
            where = ""
        rows.append(dict(name=spec.name, tasks=",".join(spec.tasks) if len(spec.tasks) < 4 else f"all {len(spec.tasks)} tasks", channels="/".join(spec.channels),
                         images=spec.count or "", found=where or "not found", licence=_short_licence(spec.licence)))
    if args.json:
        emit_json({"datasets": rows})
        return 0
    print_table(rows)
    print("\nget a set: restbench download-data NAME, or point --data-root at DIR/<Name>/ (docs/datasets.md)",
          file=sys.stderr)
    return 0


def download_data(args, state: PluginState) -> int:
    from .datasets import DatasetError, download_dataset

    failed = 0
    for name in args.names:
        if name not in state.registry.datasets:
            raise UserError(f"unknown dataset {name!r}; registered: {', '.join(sorted(state.registry.datasets))}")
        try:
            path = download_dataset(state.registry.datasets[name], args.data_root, force=args.force)
            print(f"{name}: {path}")
        except DatasetError as exc:
            failed += 1
            print(f"restbench: {name}: {exc}", file=sys.stderr)
    return 1 if failed else 0
