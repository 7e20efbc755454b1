"""``restbench mirror DIR``: fill a folder with test sets and checkpoints in the mirror layout, so
that one download serves a whole cluster (``RESTBENCH_MIRROR=DIR`` or a URL serving it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from restbench.errors import UserError

EXAMPLES = """\
examples:
  restbench mirror /shared/restbench-mirror --models restormer,uformer --datasets GoPro,HIDE
  restbench mirror /shared/restbench-mirror --datasets all
then, on every machine of the cluster (no internet needed):
  export RESTBENCH_MIRROR=/shared/restbench-mirror      # or http(s)://host/path serving that folder
  restbench run --models all --dataset GoPro --offline
Layout: https://HOST/PATH -> DIR/HOST/PATH, Google Drive id -> DIR/drive.google.com/uc/ID,
Hugging Face -> DIR/huggingface.co/[datasets/]REPO/resolve/REVISION/FILE (docs/weights.md).
"""


def register(sub, common) -> None:
    """Add ``mirror`` to the top-level parser."""
    p = sub.add_parser(
        "mirror", parents=[common], help="download sets and weights into a mirror folder for offline machines",
        description="Download test sets and checkpoints into DIR in the layout RESTBENCH_MIRROR reads "
                    "(sha256-verified; files already there are kept).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("directory", type=Path, metavar="DIR")
    p.add_argument("--models", default="", help="'all', families or variant ids, comma-separated (their checkpoints)")
    p.add_argument("--datasets", default="", help="'all' or test-set names, comma-separated")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(handler=handle_mirror)


def handle_mirror(args, state) -> int:
    from restbench.engine.select import select_variants
    from restbench.fetch.datasets import mirror_dataset
    from restbench.fetch.weights import mirror_weights

    if not args.models and not args.datasets:
        raise UserError("say what to mirror: --models … and/or --datasets … ('all' for everything)")
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    reg = state.registry
    sets = [s for s in reg.datasets.values() if not s.packaged] if "all" in names else []
    for n in names if "all" not in names else []:
        if n not in reg.datasets:
            raise UserError(f"unknown dataset {n!r}; registered: {', '.join(sorted(reg.datasets))}")
        sets.append(reg.datasets[n])
    variants = [v for v in select_variants(state, [args.models]) if v.weight_file] if args.models else []
    try:
        args.directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the mirror folder {args.directory}: {exc.strerror or exc}", exit_code=1) from None
    failed = 0
    for label, what, run in ([(f"test set {s.name}", s, mirror_dataset) for s in sets if s.automatic]
                             + [(f"weights of {v.id}", v, mirror_weights) for v in variants]):
        report = run(what, args.directory, progress=not args.no_progress)
        for remote, why in report.failed:
            print(f"restbench: {label}: {remote.describe()}: {why}", file=sys.stderr)
        ok = bool(report.written or report.present)
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {label}: {len(report.written)} written, {len(report.present)} already there")
    for s in sets:
        if not s.automatic:
            print(f"skip test set {s.name}: no automatic source (its licence asks each user to get it by hand)")
    return 1 if failed else 0
