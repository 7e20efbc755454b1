"""The ``restbench`` command line. Thin: each subcommand hands off to a module of its own."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

from . import __version__


class UserError(Exception):
    """An error whose message is the whole story for the user: printed without a traceback."""


def _common(p: argparse.ArgumentParser, default) -> None:
    p.add_argument(
        "--plugin",
        action="append",
        default=default,
        metavar="MODULE",
        help="load a plugin module by import name (repeatable; env RESTBENCH_PLUGINS=a,b does the same)",
    )


def build_parser() -> argparse.ArgumentParser:
    # Subcommands must not reset a --plugin given before them, hence SUPPRESS there.
    common = argparse.ArgumentParser(add_help=False)
    _common(common, argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="restbench",
        description=(
            "Benchmark image-restoration models under each paper's exact protocol.\n\n"
            "Typical use:\n"
            "  restbench models                         # every registered checkpoint\n"
            "  restbench run --models all --dataset demo\n"
            "  restbench run --models dncnn --dataset Set12 --sigma 25 --data-root DIR\n"
            "  restbench new-plugin mymodel             # start a model plugin\n\n"
            "Plugins: entry points in group 'restbench'; RESTBENCH_DISABLE_PLUGIN_AUTOLOAD=1 turns\n"
            "autoloading off, RESTBENCH_BLOCK_PLUGINS=name blocks one, --plugin MODULE adds one."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser, [])
    parser.add_argument("--version", action="version", version=f"restbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("plugins", parents=[common], help="list loaded plugins with versions")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler="plugins")

    p = sub.add_parser(
        "models",
        parents=[common],
        help="list every registered model variant",
        description="List every registered variant: id, task, level, parameters, weight file, source, licence.",
    )
    p.add_argument("filters", nargs="*", metavar="FAMILY_OR_TASK", help="only these families or tasks")
    p.add_argument("--json", action="store_true", help="machine-readable output (one JSON document)")
    p.set_defaults(handler="models")

    p = sub.add_parser(
        "new-plugin",
        parents=[common],
        help="write a minimal model-plugin package to start from",
        description="Write plugins/NAME/ (pyproject with entry point, arch.py, variants.py, __init__.py).",
    )
    p.add_argument("name", help="plugin/model name, e.g. 'mynet' (lowercase, letters/digits/_)")
    p.add_argument("--dir", default="plugins", help="parent directory (default: plugins)")
    p.set_defaults(handler="new_plugin")

    p = sub.add_parser("protocols", parents=[common], help="list the named evaluation protocols")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler="protocols")

    p = sub.add_parser(
        "download",
        parents=[common],
        help="pre-fetch weights of models or variants",
        description="Fetch and verify weights now (hub mirror first, then release URL), into the cache.",
    )
    p.add_argument("targets", nargs="+", metavar="MODEL_OR_VARIANT", help="family names, variant ids or 'all'")
    p.set_defaults(handler="download")

    p = sub.add_parser(
        "datasets",
        parents=[common],
        help="list registered test sets and whether they are on disk",
        description="List test sets: tasks, image count, licence, and where they were found (or how to get them).",
    )
    p.add_argument("--data-root", type=Path, help="also look in DIR/<Name>/")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler="datasets")

    p = sub.add_parser(
        "download-data",
        parents=[common],
        help="fetch and verify test sets",
        description="Download test sets from their documented sources into --data-root (default: the cache).",
    )
    p.add_argument("names", nargs="+", metavar="DATASET")
    p.add_argument("--data-root", type=Path, help="put the sets in DIR/<Name>/ (default: $RESTBENCH_HOME/datasets)")
    p.add_argument("--force", action="store_true", help="download again even if present")
    p.set_defaults(handler="download_data")

    from .run_cli import add_run_parser

    add_run_parser(sub, common)
    from .profile_cli import add_profile_parser

    add_profile_parser(sub, common)
    from .report_cli import add_report_parsers

    add_report_parsers(sub, common)
    from .analysis_cli import add_analysis_parsers

    add_analysis_parsers(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # fvcore traces with torch.jit, which warns on every use since torch 2.10; it says nothing to users.
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.(script|trace).*deprecated", category=FutureWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    from . import plugins

    plugins.reset()
    state = plugins.get_state(extra=args.plugin)
    for err in state.errors:
        print(f"restbench: warning: {err}", file=sys.stderr)
    from . import commands

    handler = getattr(commands, args.handler) if isinstance(args.handler, str) else args.handler
    try:
        return int(handler(args, state) or 0)
    except UserError as exc:
        print(f"restbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("restbench: interrupted; finished results are kept", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("RESTBENCH_DEBUG"):
            raise
        print(
            f"restbench: internal error: {type(exc).__name__}: {exc}\n"
            "  (this is a bug; RESTBENCH_DEBUG=1 shows the traceback — please report it)",
            file=sys.stderr,
        )
        return 3


def emit_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
