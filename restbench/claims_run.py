"""``restbench verify --run``: run every paper claim that can be reached here, then judge it.

A claim is reachable when its test set is on disk (``--data-root`` or the cache) and the
variant's weights are cached or given with ``--weights``; nothing is downloaded unless the
weights layer may go online. Unreachable claims are listed with the reason, never guessed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .plan import Level, PlanError, make_plan
from .registry import Claim, Variant


@dataclass
class ClaimJob:
    variant: Variant
    claim: Claim
    level: Level


def claim_level(v: Variant, c: Claim) -> Level:
    return Level(
        sigma=c.sigma if c.sigma is not None else v.sigma,
        scale=c.scale if c.scale is not None else v.scale,
        quality=c.quality if c.quality is not None else v.quality,
    )


def reachable(state, variants: list[Variant], data_root: Path | None, overrides: dict[str, str]) -> tuple[list[ClaimJob], list[str]]:
    from .datasets import DatasetError, find_root
    from .weights import weights_status

    jobs, unreachable = [], []
    for v in variants:
        for c in v.claims:
            where = f"{v.id} on {c.dataset}"
            if c.dataset not in state.registry.datasets:
                unreachable.append(f"{where}: test set not registered")
                continue
            try:
                find_root(state.registry.datasets[c.dataset], data_root)
            except DatasetError:
                unreachable.append(f"{where}: test set not on disk (restbench download-data {c.dataset})")
                continue
            has_override = any(k in overrides for k in (v.id, v.arch))
            if v.weight_file and not has_override and weights_status(v) != "cached":
                unreachable.append(f"{where}: weights not cached (restbench download {v.id}, or --weights {v.id}=PATH)")
                continue
            jobs.append(ClaimJob(v, c, claim_level(v, c)))
    return jobs, unreachable


def run_claims(state, args, overrides: dict[str, str]) -> int:
    """Run the reachable claims into the results store; returns the number of failed jobs."""
    from .commands import select_variants
    from .runner import RunOptions, run_plan

    variants = select_variants(state, [args.models])
    jobs, unreachable = reachable(state, variants, args.data_root, overrides)
    for line in unreachable:
        print(f"not reachable: {line}", file=sys.stderr)
    failed = 0
    for cj in jobs:
        try:
            plan = make_plan(state.registry, [cj.variant], cj.claim.dataset, cj.level, explicit=frozenset({cj.variant.id}))
        except PlanError as exc:
            print(f"not reachable: {cj.variant.id} on {cj.claim.dataset}: {exc}", file=sys.stderr)
            continue
        opts = RunOptions(
            results_dir=args.results, data_root=args.data_root, weights=overrides,
            progress=not args.no_progress, missing_weights="fail",
        )
        _, failures = run_plan(state, plan, opts)
        failed += len(failures)
    return failed
