"""The claims registry as rows: every published cell restbench knows, with where it was read,
and how many of each paper's claims are reproduced, deviate, are not yet run, or are untraced.

``restbench claims`` lists :func:`claim_rows`; ``restbench verify`` ends with :func:`paper_tally`.
A claim counts as run only when a full-set result (no ``--limit``) was judged against it: a
subset can neither confirm nor refute a paper's average.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from restbench.registry import Claim, Registry, Variant
from restbench.results.verdict import DEVIATES, LEVELS, REPRODUCED, Verdict

METRICS = ("psnr", "ssim", "psnrb", "lpips", "mae")
NOT_RUN = "not yet run"


def paper_of(claim: Claim, variant: Variant) -> str:
    """The paper a claim belongs to: its own citation, else the variant's paper."""
    return claim.paper or variant.paper or "(paper not recorded)"


def claim_level(claim: Claim, variant: Variant) -> dict[str, int | None]:
    """σ / scale / quality the claim is about (the variant's own level unless the claim names one)."""
    return {n: getattr(claim, n) if getattr(claim, n) is not None else getattr(variant, n) for n in LEVELS}


def claim_key(variant: Variant, claim: Claim) -> tuple[str, int]:
    """A stable identity for one registered claim: (variant id, position among its claims)."""
    return variant.id, variant.claims.index(claim)


def claim_rows(registry: Registry, variants: Iterable[Variant] | None = None,
               datasets: Iterable[str] | None = None) -> list[dict]:
    """One row per registered claim of ``variants`` (default: all), optionally only on ``datasets``."""
    wanted = {d.lower() for d in datasets} if datasets else None
    rows = []
    for v in variants if variants is not None else registry.variants.values():
        for c in v.claims:
            if wanted is not None and c.dataset.lower() not in wanted:
                continue
            rows.append(dict(
                variant=v.id, family=v.arch, dataset=c.dataset, subset=c.subset, protocol=c.protocol,
                **claim_level(c, v),
                **{m: getattr(c, m) for m in METRICS},
                paper=paper_of(c, v), table=c.table or None, source_kind=c.source_kind,
                source_ref=c.source_ref or None, source=c.source or None,
            ))
    return rows


@dataclass
class PaperTally:
    paper: str
    claims: int = 0
    reproduced: int = 0
    deviates: int = 0
    not_run: int = 0
    untraced: int = 0

    def to_dict(self) -> dict:
        return dict(paper=self.paper, claims=self.claims, reproduced=self.reproduced, deviates=self.deviates,
                    not_yet_run=self.not_run, untraced=self.untraced)


def paper_tally(registry: Registry, judged: Iterable[tuple[Mapping, Verdict]],
                variants: Iterable[Variant] | None = None) -> list[PaperTally]:
    """Per paper: claims REPRODUCED / DEVIATES by a full-set result, not yet run, and untraced.

    ``judged`` are (summary, verdict) pairs for stored results; when several full-set results
    meet one claim, the newest one given last wins (callers pass them oldest first).
    """
    outcome: dict[tuple[str, int], str] = {}
    for summary, verdict in judged:
        if verdict.claim is None or verdict.partial or verdict.status not in (REPRODUCED, DEVIATES):
            continue
        v = registry.variants.get(summary.get("variant"))
        if v is not None and verdict.claim in v.claims:
            outcome[claim_key(v, verdict.claim)] = verdict.status
    tallies: dict[str, PaperTally] = {}
    for v in variants if variants is not None else registry.variants.values():
        for c in v.claims:
            t = tallies.setdefault(paper_of(c, v), PaperTally(paper_of(c, v)))
            t.claims += 1
            t.untraced += not c.traced
            status = outcome.get(claim_key(v, c), NOT_RUN)
            if status == REPRODUCED:
                t.reproduced += 1
            elif status == DEVIATES:
                t.deviates += 1
            else:
                t.not_run += 1
    return sorted(tallies.values(), key=lambda t: t.paper.lower())


__all__ = ["METRICS", "NOT_RUN", "PaperTally", "claim_key", "claim_level", "claim_rows", "paper_of", "paper_tally"]
