"""Print the per-paper provenance table of docs/claims.md from the live registry.

    python docs/claims_counts.py            # print the table
    python docs/claims_counts.py --write    # replace the table in docs/claims.md

tests/test_claims_registry.py checks that docs/claims.md holds exactly this output, so the
numbers in the doc are the registry's, not typed by hand.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

BEGIN, END = "<!-- claims-counts:begin -->", "<!-- claims-counts:end -->"
DOC = Path(__file__).with_name("claims.md")


def counts_table() -> str:
    import restbench
    from restbench.registry import SOURCE_KINDS

    per: dict[str, Counter] = {}
    for v in restbench.get_registry().variants.values():
        for c in v.claims:
            per.setdefault(c.paper or "(no paper)", Counter())[c.source_kind] += 1
    kinds = [k for k in SOURCE_KINDS if any(k in c for c in per.values())]
    head = ["paper", "claims", "traced", *kinds]
    rows = [head, ["---"] * len(head)]
    total: Counter = Counter()
    for paper in sorted(per):
        c = per[paper]
        total.update(c)
        n = sum(c.values())
        rows.append([paper, str(n), str(n - c["untraced"]), *(str(c[k]) for k in kinds)])
    n = sum(total.values())
    rows.append(["**all**", str(n), str(n - total["untraced"]), *(str(total[k]) for k in kinds)])
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def main(argv: list[str]) -> int:
    table = counts_table()
    if "--write" not in argv:
        print(table)
        return 0
    text = DOC.read_text()
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + table + "\n" + text[stop:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
