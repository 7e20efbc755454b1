"""Claim lookup and verdicts: tolerance edges in decimal, blind claims by sigma, NOT CLAIMED, efficiency-only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from restbench.plugin.manager import load_plugins
from restbench.results.verdict import DEVIATES, NOT_CLAIMED, NOT_MEASURED, REPRODUCED, delta, find_claim, judge, judge_in


@pytest.fixture(scope="module")
def registry():
    return load_plugins(autoload=True).registry


def summary(variant, dataset, psnr=None, ssim=None, *, sigma=None, scale=None, channels=None, eff=False, limit=None):
    return dict(kind="summary", variant=variant, dataset=dataset, psnr=psnr, ssim=ssim, sigma=sigma, scale=scale,
                quality=None, channels=channels, efficiency_only=eff, settings=dict(limit=limit), n_images=12)


@pytest.mark.parametrize(
    "measured, d, status",
    [
        (30.4449, "0.0049", REPRODUCED),
        (30.4501, "0.0101", DEVIATES),
        (30.45, "0.0100", REPRODUCED),  # the edge is inclusive
        (30.43, "-0.0100", REPRODUCED),  # though |30.43 - 30.44| > 0.01 in binary floats
        (30.42999, "-0.0100", REPRODUCED),  # rounds to 30.4300 first
        (30.42994, "-0.0101", DEVIATES),
        (30.45004, "0.0100", REPRODUCED),
        (30.45005, "0.0101", DEVIATES),  # half-up at the 4th decimal
    ],
)
def test_psnr_tolerance_edges(registry, measured, d, status):
    v = judge_in(summary("dncnn-s25", "Set12", measured, sigma=25, channels="grey"), registry)
    assert v.claimed_psnr == 30.44
    assert v.d_psnr == Decimal(d)
    assert v.status == status


def test_naive_float_comparison_would_get_the_edge_wrong():
    assert abs(30.43 - 30.44) > 0.01 and abs(33.67 - 33.66) > 0.01  # why the verdict works in decimal
    assert abs(0.9309 - 0.9299) > 0.001
    assert abs(delta(30.43, 30.44, "psnr")) <= Decimal("0.01")
    assert abs(delta(0.9309, 0.9299, "ssim")) <= Decimal("0.001")


def test_ssim_edges_and_both_metrics(registry):
    v = registry.variants["bicubic-x2"]  # Set5 33.66 / 0.9299
    base = dict(scale=2, channels="rgb")
    assert judge(summary("bicubic-x2", "Set5", 33.66, 0.9309, **base), v).status == REPRODUCED
    dev = judge(summary("bicubic-x2", "Set5", 33.66, 0.930901, **base), v)
    assert dev.status == DEVIATES and dev.d_ssim == Decimal("0.001001")
    assert judge(summary("bicubic-x2", "Set5", 33.66, 0.9289, **base), v).status == REPRODUCED
    # PSNR fine, SSIM off → deviates; SSIM fine, PSNR off → deviates
    assert judge(summary("bicubic-x2", "Set5", 33.665, 0.9350, **base), v).status == DEVIATES
    assert judge(summary("bicubic-x2", "Set5", 33.70, 0.9299, **base), v).status == DEVIATES
    # SSIM not measured: judged on PSNR alone
    only_psnr = judge(summary("bicubic-x2", "Set5", 33.668, None, **base), v)
    assert only_psnr.status == REPRODUCED and only_psnr.d_ssim is None and only_psnr.d_psnr == Decimal("0.0080")
    # custom tolerances
    assert judge(summary("bicubic-x2", "Set5", 33.70, 0.9299, **base), v, tol_psnr=0.05).status == REPRODUCED
    assert judge(summary("bicubic-x2", "Set5", 33.66, 0.9320, **base), v, tol_ssim=0.005).status == REPRODUCED


def test_claimed_but_nothing_measured(registry):
    v = judge_in(summary("dncnn-s25", "Set12", None, sigma=25, channels="grey"), registry)
    assert v.status == NOT_MEASURED and not v.fails


def test_blind_variant_claims_by_sigma(registry):
    for sigma, claimed in ((15, 32.68), (25, 30.36), (50, 27.21)):
        v = judge_in(summary("dncnn-b-grey", "Set12", claimed + 0.003, sigma=sigma, channels="grey"), registry)
        assert (v.claimed_psnr, v.status) == (claimed, REPRODUCED)
    bsd = judge_in(summary("dncnn-b-grey", "BSD68", 29.20, sigma=25, channels="grey"), registry)
    assert bsd.claimed_psnr == 29.16 and bsd.status == DEVIATES and bsd.d_psnr == Decimal("0.0400")
    assert judge_in(summary("dncnn-b-grey", "Set12", 29.0, sigma=35, channels="grey"), registry).status == NOT_CLAIMED
    assert judge_in(summary("dncnn-b-grey", "Set12", 29.0, channels="grey"), registry).status == NOT_CLAIMED
    colour = judge_in(summary("dncnn-b-color", "CBSD68", 31.23, sigma=25, channels="rgb"), registry)
    assert colour.claimed_psnr == 31.23 and colour.status == REPRODUCED


def test_level_set_and_channels_must_match(registry):
    s25 = registry.variants["dncnn-s25"]
    assert find_claim(s25, summary("dncnn-s25", "Set12", sigma=25, channels="grey")).psnr == 30.44
    assert find_claim(s25, summary("dncnn-s25", "set12", sigma=25, channels="grey")).psnr == 30.44  # case-insensitive
    assert find_claim(s25, summary("dncnn-s25", "BSD68", sigma=25)).psnr == 29.23
    assert find_claim(s25, summary("dncnn-s25", "Set12", sigma=15)) is None  # not the trained level
    assert find_claim(s25, summary("dncnn-s25", "Set12", sigma=25, channels="rgb")) is None
    x2 = registry.variants["bicubic-x2"]
    assert find_claim(x2, summary("bicubic-x2", "Set5", scale=3)) is None
    assert find_claim(registry.variants["bicubic-x3"], summary("bicubic-x3", "Set5", scale=3)).psnr == 30.39


def test_not_claimed(registry):
    assert judge_in(summary("dncnn-s25", "Urban100", 29.0, sigma=25, channels="grey"), registry).status == NOT_CLAIMED
    assert judge_in(summary("identity", "Set12", 20.2, sigma=25), registry).status == NOT_CLAIMED
    unknown = judge_in(summary("not-a-registered-variant", "Set12", 20.2, sigma=25), registry)
    assert unknown.status == NOT_CLAIMED and unknown.claim is None and not unknown.fails


def test_efficiency_only_rows_get_no_verdict(registry):
    v = judge_in(summary("dncnn-s25", "Set12", 5.0, sigma=25, channels="grey", eff=True), registry)
    assert v.status is None and v.d_psnr is None and not v.fails
    assert "efficiency" in v.label()


def test_subset_runs_are_judged_but_do_not_fail(registry):
    v = judge_in(summary("dncnn-s25", "Set12", 31.0, sigma=25, channels="grey", limit=2), registry)
    assert v.status == DEVIATES and v.partial and not v.fails
    assert v.label() == "DEVIATES (subset)"
    full = judge_in(summary("dncnn-s25", "Set12", 31.0, sigma=25, channels="grey"), registry)
    assert full.fails


def test_a_subset_claim_is_judged_only_against_a_run_of_that_subset(registry):
    """A published split (DPDD indoor) must never be matched by a whole-set run, nor the reverse."""
    from dataclasses import replace

    from restbench.registry import Claim

    base = registry.variants["restormer-defocus-single"]
    whole = Claim("DPDD", 25.0, None, "test")
    indoor = Claim("DPDD", 28.0, None, "test", subset="indoor")
    v = replace(base, claims=(indoor, whole))  # the subset claim first: order must not decide
    run = summary(v.id, "DPDD", 25.0, channels=v.channels)
    assert find_claim(v, run) is whole
    assert find_claim(v, dict(run, subset="indoor")) is indoor
    assert find_claim(v, dict(run, subset="outdoor")) is None
    assert find_claim(replace(base, claims=(indoor,)), run) is None
    assert judge(run, v).status == REPRODUCED
