"""``restbench store check [--repair]``: report (and set aside) damage in the results store.

The library is :mod:`restbench.results.check`; this module only turns arguments into a call and
the outcome into lines or one JSON document. Exit status: 0 when the store is clean (or every
problem was repaired), 1 when damage remains (or a job was busy and could not be checked).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from restbench.errors import UserError
from restbench.output import emit_json

EXAMPLES = """\
examples:
  restbench store check                      # report damaged, foreign or torn lines, leftovers
  restbench store check --repair             # set them aside in <results>/quarantine/ and rewrite
  restbench store check --results DIR --json
Nothing is deleted: every file --repair changes is first copied into quarantine/ with a .why note.
A sealed result that is no longer whole becomes a partial file again; `restbench run` then measures
only the images that were lost.
"""


def register(sub, common) -> None:
    p = sub.add_parser("store", help="results store maintenance (check, repair)")
    ssub = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    c = ssub.add_parser(
        "check", parents=[common], help="validate every line of the results store; --repair sets damage aside",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("--repair", action="store_true", help="quarantine damaged lines/files and rewrite with the valid ones")
    c.add_argument("--results", type=Path, help="results store directory (default: $RESTBENCH_HOME/results)")
    c.add_argument("--json", action="store_true", help="one JSON document on stdout")
    c.set_defaults(handler=handle_check)


def handle_check(args, state) -> int:
    from restbench.paths import results_dir
    from restbench.results.check import check_store
    from restbench.results.store import StoreError

    root = Path(args.results or results_dir())
    if not root.is_dir():
        raise UserError(f"no results store at {root}; pass --results DIR")
    try:
        outcome = check_store(root, repair=args.repair)
    except StoreError as exc:
        raise UserError(str(exc), exit_code=1) from None
    if args.json:
        emit_json({**outcome.to_dict(), "repair": args.repair})
    else:
        for job in outcome.jobs:
            if job.busy:
                print(f"busy    {job.key}: a restbench process is running this job; not checked")
            for d in job.problems:
                print(f"damaged {d}")
            for a in job.actions:
                print(f"fixed   {a}")
        verb = "repaired" if args.repair else "with problems"
        print(f"{len(outcome.jobs)} job(s) checked in {root}, {len(outcome.damaged)} {verb}"
              + ("" if args.repair or not outcome.damaged else "; run `restbench store check --repair` to set the damage aside"),
              file=sys.stderr)
    failed = outcome.unrepaired if args.repair else [*outcome.damaged, *(j for j in outcome.jobs if j.busy)]
    return 1 if failed else 0
