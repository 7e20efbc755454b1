"""``restbench claims``: every registered paper claim, with the table it belongs to and where it was read."""

from __future__ import annotations

import argparse
import sys

from restbench.output import emit_json, print_table

EXAMPLES = """\
examples:
  restbench claims                              # every registered claim
  restbench claims --models swinir --dataset Set5
  restbench claims --json | jq '.claims[] | select(.source_kind == "untraced")'
Source kinds, most direct first: paper table, authors' README, authors' issue reply, third-party
quote, transcribed from a table image, untraced (registered, but no readable source confirms it).
See docs/claims.md.
"""


def register(sub, common) -> None:
    """Add ``claims`` to the top-level parser."""
    p = sub.add_parser(
        "claims", parents=[common], help="list the registered paper claims and their sources",
        description="List every registered claim: variant, test set, level, metric values, paper, table, "
                    "source kind and source reference.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--models", default="all", help="'all', family names or variant ids, comma-separated")
    p.add_argument("--dataset", action="append", default=[], help="only these test sets (comma-separated, repeatable)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.set_defaults(handler=handle_claims)


def _level(r: dict) -> str:
    return " ".join(t for t in (r["scale"] and f"x{r['scale']}", r["sigma"] is not None and f"σ{r['sigma']}",
                                r["quality"] is not None and f"q{r['quality']}") if t)


def _values(r: dict) -> str:
    names = {"psnr": "PSNR", "ssim": "SSIM", "psnrb": "PSNR-B", "lpips": "LPIPS", "mae": "MAE"}
    return " ".join(f"{names[m]} {r[m]}" for m in names if r[m] is not None)


def handle_claims(args, state) -> int:
    from restbench.engine.select import select_variants
    from restbench.results.claims import claim_rows

    datasets = [x.strip() for item in args.dataset for x in item.split(",") if x.strip()] or None
    rows = claim_rows(state.registry, select_variants(state, [args.models]), datasets)
    if args.json:
        emit_json({"claims": rows, "count": len(rows)})
        return 0
    print_table([dict(variant=r["variant"], dataset=r["dataset"] + (f" ({r['subset']})" if r["subset"] else ""),
                      level=_level(r), claimed=_values(r), paper=r["paper"], table=r["table"] or "—",
                      source=r["source_kind"]) for r in rows])
    untraced = sum(r["source_kind"] == "untraced" for r in rows)
    print(f"\n{len(rows)} claim(s), {untraced} untraced; `--json` adds each source reference", file=sys.stderr)
    return 0
