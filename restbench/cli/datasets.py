"""``restbench datasets | download-data``: which test sets are registered, where they are, getting them."""

from __future__ import annotations

import sys
from pathlib import Path

from restbench.errors import UserError
from restbench.output import emit_json, print_table
from restbench.plugin.manager import PluginState


def _short_licence(text: str) -> str:
    return text.split(" (")[0][:34]


def register(sub, common) -> None:
    """Add this module's subcommands to the top-level parser."""
    p = sub.add_parser(
        "datasets",
        parents=[common],
        help="list registered test sets and whether they are on disk",
        description="List test sets: tasks, image count, licence, and where they were found (or how to get them).",
    )
    p.add_argument("--data-root", type=Path, help="also look in DIR/<Name>/")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=datasets)

    p = sub.add_parser(
        "download-data",
        parents=[common],
        help="fetch and verify test sets",
        description="Download test sets from their documented sources into --data-root (default: the cache).",
    )
    p.add_argument("names", nargs="+", metavar="DATASET")
    p.add_argument("--data-root", type=Path, help="put the sets in DIR/<Name>/ (default: $RESTBENCH_HOME/datasets)")
    p.add_argument("--force", action="store_true", help="download again even if present")
    p.set_defaults(handler=download_data)


def datasets(args, state: PluginState) -> int:
    from restbench.datasets import DatasetError, find_root

    rows = []
    for spec in state.registry.datasets.values():
        try:
            where = str(find_root(spec, args.data_root))
        except DatasetError:
            where = ""
        rows.append(dict(name=spec.name, tasks=",".join(spec.tasks) if len(spec.tasks) < 4 else f"all {len(spec.tasks)} tasks", channels="/".join(spec.channels),
                         images=spec.count or "", found=where or "not found", licence=_short_licence(spec.licence)))
    if args.json:
        docs = []
        for spec, row in zip(state.registry.datasets.values(), rows):
            docs.append({**spec.to_dict(), "found": row["found"] if row["found"] != "not found" else None,
                         "licence": spec.licence})
        emit_json({"datasets": docs})
        return 0
    print_table(rows)
    print("\nget a set: restbench download-data NAME, or point --data-root at DIR/<Name>/ (docs/datasets.md)",
          file=sys.stderr)
    return 0


def download_data(args, state: PluginState) -> int:
    from restbench.datasets import DatasetError
    from restbench.fetch.datasets import download_dataset

    failed = 0
    for name in args.names:
        if name not in state.registry.datasets:
            raise UserError(f"unknown dataset {name!r}; registered: {', '.join(sorted(state.registry.datasets))}")
        try:
            path = download_dataset(state.registry.datasets[name], args.data_root, force=args.force,
                                    registered=state.registry.datasets.values())
            print(f"{name}: {path}")
        except DatasetError as exc:
            failed += 1
            print(f"restbench: {name}: {exc}", file=sys.stderr)
    return 1 if failed else 0
