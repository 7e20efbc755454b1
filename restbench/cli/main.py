"""The ``restbench`` command line: builds the parser from one module per command group, loads the
plugins, runs the chosen handler, and turns every :class:`~restbench.errors.UserError` into one
line on stderr.

This is the only place that catches errors for the user: exit status 2 for a usage error, 1 for
work that failed, 130 for Ctrl-C, 3 for a bug (traceback with ``--debug`` or ``RESTBENCH_DEBUG=1``).
Command modules are imported when the parser is built, and each imports the engine lazily inside
its handler, so ``restbench --help`` stays fast.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
import warnings
from typing import Sequence

from restbench.version import __version__
from restbench.errors import UserError

# One module per command group; each has ``register(subparsers, common_parent)``.
COMMAND_MODULES = ("models", "datasets", "run", "profile", "report", "claims", "store", "mirror", "analysis")


def _common(p: argparse.ArgumentParser, default) -> None:
    p.add_argument(
        "--plugin",
        action="append",
        default=default,
        metavar="MODULE",
        help="load a plugin module by import name (repeatable; env RESTBENCH_PLUGINS=a,b does the same)",
    )
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS if default is argparse.SUPPRESS else False,
                   help="show the full traceback of an unexpected error")


def build_parser() -> argparse.ArgumentParser:
    import importlib

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
    for name in COMMAND_MODULES:
        importlib.import_module(f"restbench.cli.{name}").register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # fvcore traces with torch.jit, which warns on every use since torch 2.10; it says nothing to users.
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.(script|trace).*deprecated", category=FutureWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    debug = bool(getattr(args, "debug", False) or os.environ.get("RESTBENCH_DEBUG"))
    from restbench.plugin import manager as plugins

    from restbench.results.integrity import forget_warnings

    forget_warnings()  # store damage is warned about once per command
    plugins.reset()
    state = plugins.get_state(extra=args.plugin)
    for err in state.errors:
        print(f"restbench: warning: {err}", file=sys.stderr)
    try:
        return int(args.handler(args, state) or 0)
    except UserError as exc:
        print(f"restbench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("restbench: interrupted; finished results are kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `restbench … | head`: the reader left; nothing more to say
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        if debug:
            raise
        if exc.errno not in _DISK_ERRORS:
            return _internal(exc)
        # the machine, not restbench: say which file and what to do
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"restbench: error: {where}{_DISK_ERRORS[exc.errno]}; free space, or point RESTBENCH_HOME / "
              "--results at a writable disk", file=sys.stderr)
        return 1
    except Exception as exc:
        if debug:
            raise
        return _internal(exc)


_DISK_ERRORS = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
                errno.EROFS: "read-only file system", errno.EACCES: "permission denied"}


def _internal(exc: BaseException) -> int:
    print(
        f"restbench: internal error: {type(exc).__name__}: {exc}\n"
        "  (this is a bug; --debug or RESTBENCH_DEBUG=1 shows the traceback — please report it)",
        file=sys.stderr,
    )
    return 3


if __name__ == "__main__":
    sys.exit(main())
