"""``python -m restbench …``: the same command line as ``restbench …`` (and what torchrun launches)."""

import sys

from restbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
