"""The command line: a thin face over the library (``restbench = "restbench.cli:main"``).

One module per command group (``models``, ``datasets``, ``run``, ``profile``, ``report``,
``analysis``), each registering its subcommands with ``register(subparsers, common)``; argparse
namespaces become typed options here and nowhere else. Nothing in restbench imports this package.
"""

from restbench.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
