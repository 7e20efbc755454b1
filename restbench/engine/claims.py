"""Running every paper claim that can be reached here (``restbench verify --run``).

A claim is reachable when its test set is on disk (``--data-root`` or the cache) and the
variant's weights are cached or given with ``--weights``; nothing is downloaded unless the
weights layer may go online. Unreachable claims are listed with the reason, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from restbench.engine.plan import Level, PlanError, make_plan
from restbench.registry import Claim, Variant
from restbench.results.verdict import subset_blocker


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


def reachable(state, variants: list[Variant], data_root: Path | None, overrides: dict[str, str],
              fetch: bool = False, offline: bool | None = None,
              progress: bool = True) -> tuple[list[ClaimJob], list[str]]:
    """The claims that can run here; with ``fetch``, a missing test set or checkpoint is downloaded
    first (mirror, then the authors' sources; never an origin when offline) and, if that fails
    too, the claim is listed as unreachable with the reason."""
    from restbench.datasets import DatasetError, find_root
    from restbench.fetch.datasets import download_dataset
    from restbench.fetch.weights import WeightsUnavailable, resolve_weights, weights_status

    failed_sets: dict[str, str] = {}

    jobs, unreachable = [], []
    for v in variants:
        for c in v.claims:
            where = f"{v.id} on {c.dataset}" + (f" ({c.subset})" if c.subset else "")
            blocker = subset_blocker(c, state.registry)
            if blocker:  # a claim on a split the set defines is measured by the whole-set run
                unreachable.append(f"{where}: {blocker}")
                continue
            if c.dataset not in state.registry.datasets:
                unreachable.append(f"{where}: test set not registered")
                continue
            spec = state.registry.datasets[c.dataset]
            try:
                find_root(spec, data_root)
            except DatasetError:
                why = failed_sets.get(spec.name)
                if fetch and why is None:
                    try:
                        download_dataset(spec, None, progress=progress, offline=offline,
                                         registered=state.registry.datasets.values())
                    except DatasetError as exc:
                        why = failed_sets[spec.name] = str(exc).splitlines()[0]
                if why is not None or not fetch:
                    unreachable.append(f"{where}: test set not on disk (restbench download-data {c.dataset})"
                                       + (f"; fetching failed: {why}" if why else ""))
                    continue
            has_override = any(k in overrides for k in (v.id, v.arch))
            if v.weight_file and not has_override and weights_status(v) not in ("cached", "hf-cache"):
                why = None
                if fetch:
                    try:
                        resolve_weights(v, offline=offline, progress=progress)
                    except WeightsUnavailable as exc:
                        why = str(exc).splitlines()[0]
                if not fetch or why:
                    unreachable.append(f"{where}: weights not cached (restbench download {v.id}, or --weights {v.id}=PATH)"
                                       + (f"; fetching failed: {why}" if why else ""))
                    continue
            jobs.append(ClaimJob(v, c, claim_level(v, c)))
    return jobs, unreachable


@dataclass
class ClaimsOutcome:
    """What ``run_claims`` did: jobs that failed, and claims it could not reach (with the reason)."""

    failed: int = 0
    unreachable: list[str] = field(default_factory=list)


def run_claims(state, variants: list[Variant], *, data_root: Path | None, results_dir: Path | None,
               weights: dict[str, str], progress: bool = True) -> ClaimsOutcome:
    """Run the reachable claims of ``variants`` into the results store (nothing is printed here)."""
    from restbench.engine.options import RunOptions
    from restbench.engine.runner import run_plan

    jobs, unreachable = reachable(state, variants, data_root, weights, fetch=True, progress=progress)
    outcome = ClaimsOutcome(unreachable=list(unreachable))
    for cj in jobs:
        try:
            plan = make_plan(state.registry, [cj.variant], cj.claim.dataset, cj.level, explicit=frozenset({cj.variant.id}))
        except PlanError as exc:
            outcome.unreachable.append(f"{cj.variant.id} on {cj.claim.dataset}: {exc}")
            continue
        opts = RunOptions(results_dir=results_dir, data_root=data_root, weights=weights, progress=progress,
                          missing_weights="fail")
        _, failures = run_plan(state, plan, opts)
        outcome.failed += len(failures)
    return outcome
