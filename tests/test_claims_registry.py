"""The claims registry: every claim cited (or marked untraced), published cells as published, no duplicates.

Values asserted here were read off the sources named in each claim's ``source_ref`` (README
tables, the authors' table images); a test failing on one means the registry drifted from them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from restbench.engine.inference import ForwardSettings, restore
from restbench.plugin.manager import load_plugins
from restbench.registry import SOURCE_KINDS, Claim, InputSpec
from restbench.results.verdict import LEVELS, find_claim

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def registry():
    return load_plugins(autoload=True).registry


def all_claims(registry):
    return [(v, c) for v in registry.variants.values() for c in v.claims]


def claim(registry, vid: str, dataset: str, **level) -> Claim:
    v = registry.variants[vid]
    hits = [c for c in v.claims if c.dataset == dataset and all(getattr(c, k) == x for k, x in level.items())]
    assert len(hits) == 1, (vid, dataset, level, hits)
    return hits[0]


# ----------------------------------------------------------------------------- the record itself


def test_unknown_source_kind_is_refused_with_the_allowed_ones_named():
    with pytest.raises(ValueError, match="unknown source_kind 'blog post'.*'paper table'.*'untraced'"):
        Claim("Set5", 30.0, source_kind="blog post")


def test_a_traced_claim_must_say_paper_table_and_where_it_was_read():
    with pytest.raises(ValueError, match="has no table, source_ref"):
        Claim("Set5", 30.0, paper="X (2020)", source_kind="paper table")
    ok = Claim("Set5", 30.0, paper="X (2020)", table="Table 1", source_kind="paper table", source_ref="arXiv 2001.00001v2")
    assert ok.traced and ok.citation == "X (2020), Table 1 (paper table: arXiv 2001.00001v2)"


def test_uncited_claims_default_to_untraced_and_old_positional_order_still_works():
    c = Claim("BSD68", 29.16, None, "DnCNN paper, Table II", 25)
    assert (c.sigma, c.source_kind, c.traced, c.subset, c.psnrb) == (25, "untraced", False, None, None)
    assert c.citation == "DnCNN paper, Table II (untraced)"
    with pytest.raises(TypeError):  # the new fields are keyword-only: no silent positional shift
        Claim("BSD68", 29.16, None, "src", 25, None, None, None, 28.0)


# ----------------------------------------------------------------------------- the registry


def test_every_claim_has_an_allowed_kind_and_names_paper_and_table(registry):
    claims = all_claims(registry)
    # 178 before issue 16, + CDnCNN-B sigma 35, + 23 DnCNN-3 cells; + 61 from restbench-spandrel (issue 14):
    # NAFNet 4, DRUNet 9 grey + 12 colour, SCUNet 9 grey + 12 colour, HAT 5 + 5 + 5; + Restormer's DPDD
    # indoor/outdoor (single-image and dual-pixel: 4) and Uformer-B's DND, HIDE, RealBlur-R/-J (4)
    assert len(claims) == 271
    for v, c in claims:
        assert c.source_kind in SOURCE_KINDS, (v.id, c)
        assert c.paper and c.table, (v.id, c)  # even untraced claims know their table
        if c.traced:
            assert c.source_ref.startswith("https://github.com/"), (v.id, c)
            if "github.com" in c.source_ref and "/blob/" in c.source_ref:
                ref = c.source_ref.split("/blob/")[1].split("/")[0]
                assert len(ref) >= 7 and all(ch in "0123456789abcdef" for ch in ref), (v.id, c.source_ref)  # pinned


def test_no_two_claims_of_a_variant_are_about_the_same_cell(registry):
    for v in registry.variants.values():
        keys = [
            (c.dataset.lower(), *(getattr(c, n) if getattr(c, n) is not None else getattr(v, n) for n in LEVELS),
             c.subset, c.protocol)
            for c in v.claims
        ]
        assert len(keys) == len(set(keys)), v.id


def test_every_claimed_test_set_is_registered_except_dnd(registry):
    missing = {(v.id, c.dataset) for v, c in all_claims(registry) if c.dataset not in registry.datasets}
    # DND has no public ground truth (scored by its online benchmark only), so it is not a test set here.
    assert missing == {("restormer-real-denoising", "DND"), ("uformer-b-sidd", "DND")}
    div2k = registry.datasets["DIV2K-val"]
    assert div2k.count == 100 and div2k.sources[0].url.endswith("/DIV2K_valid_HR.zip")


@pytest.mark.parametrize(
    "vid, dataset, level, psnr, ssim, kind",
    [
        ("dncnn-b-color", "CBSD68", dict(sigma=35), 29.58, None, "third-party quote"),
        ("dncnn-b-color", "CBSD68", dict(sigma=50), 27.92, None, "third-party quote"),
        ("dncnn-s25", "Set12", {}, 30.44, None, "third-party quote"),
        ("dncnn-s25", "BSD68", {}, 29.23, None, "authors' README"),
        ("dncnn-b-grey", "BSD68", dict(sigma=15), 31.61, None, "authors' README"),
        ("dncnn-b-grey", "Set12", dict(sigma=25), 30.36, None, "third-party quote"),
        ("dncnn3-denoise", "BSD68", dict(sigma=25), 29.02, 0.8190, "authors' README"),
        ("dncnn3-sr-x3", "Set14", {}, 29.81, 0.8321, "authors' README"),
        ("dncnn3-sr-x4", "Urban100", {}, 25.20, 0.7521, "authors' README"),
        ("dncnn3-jpeg-q10", "classic5", {}, 29.40, 0.8026, "authors' README"),
        ("dncnn3-jpeg-q40", "LIVE1", {}, 33.96, 0.9247, "authors' README"),
        ("swinir-m-classical-df2k-x4", "Urban100", {}, 27.45, 0.8254, "transcribed from a table image"),
        ("swinir-s-lightweight-x3", "Manga109", {}, 33.98, 0.9478, "transcribed from a table image"),
        ("swinir-m-dn-rgb-s50", "Kodak24", {}, 29.79, None, "transcribed from a table image"),
        ("swinir-m-classical-div2k-x2", "DIV2K-val", {}, 36.77, 0.9500, "authors' README"),
        ("bicubic-x8", "Manga109", {}, 21.47, 0.6500, "transcribed from a table image"),
        ("uformer32-sidd", "SIDD", {}, 39.77, None, "authors' README"),
        ("uformer-b-gopro", "GoPro", {}, 33.06, 0.967, "third-party quote"),
        ("uformer-b-gopro", "HIDE", {}, 30.90, 0.953, "third-party quote"),
        ("uformer-b-gopro", "RealBlur-J", {}, 29.09, 0.886, "third-party quote"),
        ("uformer-b-sidd", "DND", {}, 40.04, 0.956, "third-party quote"),
        ("restormer-deraining", "Rain100L", {}, 38.99, 0.978, "third-party quote"),
        ("restormer-deraining", "Rain100H", {}, 31.46, 0.904, "third-party quote"),
        ("restormer-deraining", "Test2800", {}, 34.18, 0.944, "third-party quote"),
        ("restormer-motion-deblurring", "HIDE", {}, 31.22, 0.942, "third-party quote"),
        ("restormer-real-denoising", "DND", {}, 40.03, 0.956, "third-party quote"),
        ("restormer-grey-sigma50", "Urban100", {}, 28.29, None, "third-party quote"),
        ("restormer-color-sigma15", "Kodak24", {}, 35.47, None, "third-party quote"),
        ("restormer-color-blind", "Kodak24", dict(sigma=15), 35.44, None, "untraced"),
        ("restormer-defocus-single", "DPDD", dict(subset=None), 25.98, 0.811, "third-party quote"),
        ("restormer-defocus-dual-pixel", "DPDD", dict(subset="outdoor"), 23.97, 0.773, "third-party quote"),
        ("hat-srx3", "Urban100", {}, 30.23, 0.8896, "third-party quote"),
    ],
)
def test_registered_cells_hold_the_published_values(registry, vid, dataset, level, psnr, ssim, kind):
    c = claim(registry, vid, dataset, **level)
    assert (c.psnr, c.ssim, c.source_kind) == (psnr, ssim, kind)


def test_restormer_table_3_is_registered_whole_with_its_splits_mae_and_lpips(registry):
    """GRL's Table 3 prints Restormer's two DPDD rows: 3 column groups x PSNR/SSIM/MAE/LPIPS each."""
    rows = {vid: {c.subset: (c.psnr, c.ssim, c.mae, c.lpips) for c in registry.variants[vid].claims}
            for vid in ("restormer-defocus-single", "restormer-defocus-dual-pixel")}
    assert rows["restormer-defocus-single"] == {"indoor": (28.87, 0.882, 0.025, 0.145), "outdoor": (23.24, 0.743, 0.050, 0.209),
                                                None: (25.98, 0.811, 0.038, 0.178)}
    assert rows["restormer-defocus-dual-pixel"] == {"indoor": (29.48, 0.895, 0.023, 0.134),
                                                    "outdoor": (23.97, 0.773, 0.047, 0.175), None: (26.66, 0.833, 0.035, 0.155)}
    splits = registry.datasets["DPDD"].splits
    assert all(c.subset is None or c.subset in splits for vid in rows for c in registry.variants[vid].claims)


@pytest.mark.parametrize(
    "vid, dataset, psnr, ssim, psnrb",
    [
        ("swinir-m-car-grey-q10", "classic5", 30.27, 0.8249, 29.95),
        ("swinir-m-car-grey-q30", "LIVE1", 33.69, 0.9174, 33.01),
        ("swinir-m-car-grey-q40", "LIVE1", 34.67, 0.9317, 33.88),
        ("swinir-m-car-rgb-q20", "LIVE1", 30.45, 0.8741, 29.97),
        ("swinir-m-car-rgb-q40", "LIVE1", 32.75, 0.9174, 32.12),
    ],
)
def test_swinir_jpeg_claims_carry_psnr_b(registry, vid, dataset, psnr, ssim, psnrb):
    c = claim(registry, vid, dataset)
    assert (c.psnr, c.ssim, c.psnrb) == (psnr, ssim, psnrb)


def test_blind_and_multi_level_claims_are_found_by_level(registry):
    d3 = registry.variants["dncnn3-denoise"]
    hit = find_claim(d3, dict(dataset="BSD68", sigma=50, channels="grey"))
    assert (hit.psnr, hit.ssim) == (26.10, 0.7076)
    cb = registry.variants["dncnn-b-color"]
    assert find_claim(cb, dict(dataset="CBSD68", sigma=35, channels="rgb")).psnr == 29.58
    sr = registry.variants["dncnn3-sr-x2"]
    assert find_claim(sr, dict(dataset="Set5", scale=2, channels="grey")).psnr == 37.58
    assert find_claim(sr, dict(dataset="Set5", scale=3, channels="grey")) is None  # x3 is another variant


def test_dncnn3_variants_share_one_kair_checkpoint_built_as_main_test_dncnn3(registry):
    d3 = [v for v in registry.variants.values() if v.id.startswith("dncnn3-")]
    assert len(d3) == 1 + 3 + 4
    for v in d3:
        assert v.weight_file == "dncnn3.pth" and v.channels == "grey"
        assert v.sources[0].url == "https://github.com/cszn/KAIR/releases/download/v1.0/dncnn3.pth"
        assert dict(v.arch_kwargs) == dict(in_nc=1, out_nc=1, nc=64, nb=20, act_mode="R")
        assert v.input.upsample_input == (v.task == "classical-sr")
    with torch.device("meta"):
        import restbench

        model = restbench.build_model("dncnn3-sr-x2")
    # 20 conv layers (BN folded): 1->64, 18 x 64->64, 64->1, all with bias
    assert sum(p.numel() for p in model.parameters()) == (9 * 64 + 64) + 18 * (9 * 64 * 64 + 64) + (9 * 64 + 1)


# ----------------------------------------------------------------------------- upsample_input


def _lr(shared_dir: Path) -> torch.Tensor:
    path = shared_dir / "datasets" / "Set5" / "LR_bicubic" / "X2" / "birdx2.png"
    if not path.exists():
        pytest.skip(f"reference data not found at {path}")
    arr = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())[None]


def test_upsample_input_feeds_the_bicubic_upsampled_lr_and_restores_at_target_size(shared_dir):
    from restbench.protocols.degradations import bicubic_upsample

    lr = _lr(shared_dir)
    seen = []

    def identity(x):
        seen.append(tuple(x.shape))
        return x

    out = restore(identity, lr, InputSpec(upsample_input=True), 2, ForwardSettings())
    assert seen == [(1, 3, lr.shape[2] * 2, lr.shape[3] * 2)]
    assert torch.equal(out, bicubic_upsample(lr, 2))  # identity on the upsampled input = the Bicubic row
    seen.clear()
    out = restore(lambda x: seen.append(tuple(x.shape)) or x, lr, InputSpec(), 1, ForwardSettings())
    assert seen == [tuple(lr.shape)] and torch.equal(out, lr)  # without the flag nothing changes


# ----------------------------------------------------------------------------- docs/claims.md


def test_claims_doc_table_is_the_registry_count():
    spec = importlib.util.spec_from_file_location("claims_counts", REPO / "docs" / "claims_counts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    doc = (REPO / "docs" / "claims.md").read_text()
    inside = doc.split(mod.BEGIN)[1].split(mod.END)[0].strip()
    assert inside == mod.counts_table(), "run: python docs/claims_counts.py --write"
    assert "| **all** | 271 | 250 |" in inside  # with restbench-spandrel (issue 14) and the issue-16 quotes
