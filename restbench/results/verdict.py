"""Did we reproduce the paper? Claim lookup for a results-store summary row, and the verdict.

**Which claim.** A variant's claims (:class:`restbench.registry.Claim`) are matched to a summary by
test-set name (case-insensitive), published split and degradation level. A claim with a
``subset`` (DPDD ``"indoor"``) matches only a summary of that same subset, and a whole-set summary
(no ``subset``) only a whole-set claim: a run over all 76 DPDD scenes is never judged against the
indoor number. A whole-set run of a set with published splits records each split's means in its
summary (``subsets``); :func:`split_summaries` turns them into the per-split summaries judged here.
For each of ``sigma``/``scale``/``quality`` the claim's own level applies when it is set (blind
denoisers carry one claim per sigma), otherwise the variant's level does; a level that applies must equal the summary's, and a level the summary
lacks cannot be matched against one that applies. A summary whose colour mode differs from the
variant's (a colour model evaluated in grey) matches no claim: the paper's number is for its own mode.

**The rule at the tolerance edge.** Averages are floats and papers print decimals, so
``30.43 - 30.44`` is ``-0.010000000000001563`` in binary and a naive ``<=`` calls an exact
0.01 dB difference a deviation (likewise ``0.9309 - 0.9299 > 0.001``). Deltas are therefore computed in decimal arithmetic:

1. the claim is taken as published: ``Decimal(repr(claim))`` (``30.44`` stays ``30.44``);
2. the measured mean is rounded half-up to two digits beyond what papers print — 4 decimals for
   PSNR (dB), 6 for SSIM (papers print 2 and 3–4) — so float noise below that cannot tip a verdict;
3. Δ = measured − claimed, exact, then quantized the same way;
4. REPRODUCED iff ``|Δ| <= tol`` exactly (tolerance edge inclusive) for every metric that is both
   claimed and measured; DEVIATES otherwise.

So with the default 0.01 dB: 30.4449 vs 30.44 → Δ=+0.0049 REPRODUCED; 30.4500 → +0.0100
REPRODUCED; 30.4501 → +0.0101 DEVIATES; 30.45004 rounds to 30.4500 → REPRODUCED.

NOT CLAIMED: the paper gives no number for this set and level. NOT MEASURED: there is a claim
but the summary has none of the claimed metrics. Efficiency-only rows (random weights) get no
verdict at all. A run with ``--limit`` (a subset of the images) is judged, but flagged ``partial``:
a subset mean cannot confirm or refute a full-set claim, and ``verify`` does not fail on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping

from restbench.registry import Claim, Registry, Variant

REPRODUCED = "REPRODUCED"
DEVIATES = "DEVIATES"
NOT_CLAIMED = "NOT CLAIMED"
NOT_MEASURED = "NOT MEASURED"

DEFAULT_TOL_PSNR = 0.01
DEFAULT_TOL_SSIM = 0.001
DECIMALS = {"psnr": 4, "ssim": 6, "mae": 5, "lpips": 5}  # two digits finer than papers print
LEVELS = ("sigma", "scale", "quality")


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def to_decimals(x: float | Decimal, metric: str) -> Decimal:
    """Round half-up to the comparison precision of ``metric`` (see the module docstring)."""
    q = Decimal(1).scaleb(-DECIMALS[metric])
    return (x if isinstance(x, Decimal) else _dec(x)).quantize(q, rounding=ROUND_HALF_UP)


def delta(measured: float | None, claimed: float | None, metric: str) -> Decimal | None:
    """measured − claimed in decimal, at the metric's comparison precision; None if either is missing."""
    if measured is None or claimed is None:
        return None
    return to_decimals(to_decimals(measured, metric) - _dec(claimed), metric)


def _level(obj, name: str):
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def claim_matches(claim: Claim, variant: Variant, summary: Mapping) -> bool:
    """True if ``claim`` (of ``variant``) is about the set and level ``summary`` was measured on."""
    if claim.dataset.lower() != str(summary.get("dataset", "")).lower():
        return False
    if (claim.subset or None) != (summary.get("subset") or None):
        return False
    for name in LEVELS:
        want = _level(claim, name)
        if want is None:
            want = _level(variant, name)
        have = summary.get(name)
        if want is not None and want != have:
            return False
    return True


def subset_blocker(claim: Claim, registry: Registry | None) -> str | None:
    """Why a claim on a published split cannot be run here, or None when the registered test set
    defines that split (a whole-set run then records its means)."""
    if not claim.subset:
        return None
    spec = registry.datasets.get(claim.dataset) if registry is not None else None
    splits = dict(getattr(spec, "splits", None) or {})
    if claim.subset in splits:
        return None
    have = f"its splits are {', '.join(sorted(splits))}" if splits else "it defines no splits"
    return (f"the claim is for the {claim.subset!r} split of {claim.dataset}, which restbench's {claim.dataset} "
            f"does not define ({have}; a DatasetSpec lists them in `splits`)")


def split_summaries(summary: Mapping) -> list[dict]:
    """One summary per published split a whole-set run recorded (``summary["subsets"]``): the run's
    own fields with the split's name, image count and means; the latency is the split's images'."""
    out = []
    for name, part in (summary.get("subsets") or {}).items():
        s = {k: v for k, v in summary.items() if k != "subsets"}
        s.update({k: v for k, v in part.items() if k != "images"}, subset=name)
        out.append(s)
    return out


def find_claim(variant: Variant | None, summary: Mapping) -> Claim | None:
    """The paper's claim for this summary's set and level, or None.

    When several match, a claim that names the level explicitly wins over one that inherits it.
    """
    if variant is None:
        return None
    ch = summary.get("channels")
    if ch and variant.channels and ch != variant.channels:
        return None
    hits = [c for c in variant.claims if claim_matches(c, variant, summary)]
    hits.sort(key=lambda c: -sum(_level(c, n) is not None for n in LEVELS))
    return hits[0] if hits else None


@dataclass(frozen=True)
class Verdict:
    """The outcome for one summary; ``status`` is None for efficiency-only rows."""

    status: str | None
    claim: Claim | None = None
    d_psnr: Decimal | None = None
    d_ssim: Decimal | None = None
    partial: bool = False

    @property
    def claimed_psnr(self) -> float | None:
        return self.claim.psnr if self.claim else None

    @property
    def claimed_ssim(self) -> float | None:
        return self.claim.ssim if self.claim else None

    @property
    def fails(self) -> bool:
        """Whether ``verify`` should fail on it: a full-set run that deviates."""
        return self.status == DEVIATES and not self.partial

    def label(self) -> str:
        if self.status is None:
            return "— (efficiency only)"
        return f"{self.status} (subset)" if self.partial else self.status


def is_partial(summary: Mapping) -> bool:
    settings = summary.get("settings") or {}
    return settings.get("limit") is not None


def judge(
    summary: Mapping,
    variant: Variant | None,
    tol_psnr: float = DEFAULT_TOL_PSNR,
    tol_ssim: float = DEFAULT_TOL_SSIM,
) -> Verdict:
    """The verdict for one summary row against its variant's claims (see the module docstring)."""
    if summary.get("efficiency_only"):
        return Verdict(None)
    claim = find_claim(variant, summary)
    partial = is_partial(summary)
    if claim is None or (claim.psnr is None and claim.ssim is None):
        return Verdict(NOT_CLAIMED, claim, partial=partial)
    d_psnr = delta(summary.get("psnr"), claim.psnr, "psnr")
    d_ssim = delta(summary.get("ssim"), claim.ssim, "ssim")
    checks = [(d, t) for d, t in ((d_psnr, tol_psnr), (d_ssim, tol_ssim)) if d is not None]
    if not checks:
        return Verdict(NOT_MEASURED, claim, partial=partial)
    ok = all(abs(d) <= _dec(t) for d, t in checks)
    return Verdict(REPRODUCED if ok else DEVIATES, claim, d_psnr, d_ssim, partial)


def judge_in(
    summary: Mapping,
    registry: Registry | None,
    tol_psnr: float = DEFAULT_TOL_PSNR,
    tol_ssim: float = DEFAULT_TOL_SSIM,
) -> Verdict:
    """:func:`judge` with the variant looked up by id (an unregistered variant has no claims)."""
    variant = registry.variants.get(summary.get("variant")) if registry is not None else None
    return judge(summary, variant, tol_psnr, tol_ssim)
