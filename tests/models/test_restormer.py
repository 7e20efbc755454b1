"""Restormer plugin: conformance with the official code, parameter counts, variants, padding, ablations."""

from __future__ import annotations

import inspect

import pytest
import torch
import torch.nn.functional as F

import restbench
from restbench.fetch.checkpoint import load_weights
from restbench.engine.inference import forward_padded
from restbench.registry import TASKS
from restbench_restormer.arch import ChannelLayerNorm, Restormer, WindowAttention
from restbench_restormer.variants import VARIANTS

TINY = dict(dim=8, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 2, 4, 8])
OFFICIAL_DEFAULT_PARAMS = 26_126_644
KNOWN_DATASETS = {
    "GoPro", "HIDE", "RealBlur-J", "RealBlur-R", "SIDD", "DND", "DPDD", "Rain100L", "Rain100H",
    "Test100", "Test1200", "Test2800", "CBSD68", "Kodak24", "McMaster", "Urban100", "Set12", "BSD68",
}


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def on_meta(**kwargs) -> Restormer:
    with torch.device("meta"):
        return restbench.build_model("restormer", **kwargs)


def block_widths(dim: int = 48, num_blocks=(4, 6, 6, 8), refinement: int = 4) -> list[tuple[int, int]]:
    """(width, heads) of every TransformerBlock, in the official layout."""
    heads = (1, 2, 4, 8)
    w = [dim * 2**i for i in range(4)]
    enc = [(w[i], heads[i]) for i in range(4) for _ in range(num_blocks[i])]
    dec = [(w[2], heads[2])] * num_blocks[2] + [(w[1], heads[1])] * num_blocks[1] + [(w[1], heads[0])] * num_blocks[0]
    return enc + dec + [(w[1], heads[0])] * refinement


# ----------------------------------------------------------------------------- conformance
def restormer_fixtures(shared_dir):
    paths = sorted((shared_dir / "fixtures" / "official_arch").glob("*.pt"))
    fx = [(p, torch.load(p, weights_only=True)) for p in paths]
    return [(p, f) for p, f in fx if f["arch"] == "restormer"]


def test_official_fixtures_load_strictly_and_match(shared_dir, tmp_path):
    fixtures = restormer_fixtures(shared_dir)
    assert fixtures, "no restormer fixture found in fixtures/official_arch"
    for path, fx in fixtures:
        model = restbench.build_model("restormer", **fx["kwargs"]).eval()
        assert set(model.state_dict()) == set(fx["state_dict"]), path.name
        model.load_state_dict(fx["state_dict"], strict=True)
        with torch.no_grad():
            out = model(fx["input"])
        assert out.shape == fx["output"].shape
        assert torch.allclose(out, fx["output"], atol=1e-4, rtol=0), (out - fx["output"]).abs().max()

        # the same weights through the project's loader, wrapped the way the release files are
        ckpt = tmp_path / f"{path.stem}.pth"
        torch.save({"params": fx["state_dict"]}, ckpt)
        fresh = restbench.build_model("restormer", **fx["kwargs"]).eval()
        report = load_weights(fresh, ckpt, key="params")
        assert report.key == "params" and not report.missing and not report.unexpected
        with torch.no_grad():
            assert torch.allclose(fresh(fx["input"]), fx["output"], atol=1e-4, rtol=0)


def test_fixture_output_depends_on_weights(shared_dir):
    """Guards the conformance test: a perturbed temperature must move the output past the tolerance."""
    _, fx = restormer_fixtures(shared_dir)[0]
    sd = dict(fx["state_dict"])
    key = next(k for k in sd if k.endswith("attn.temperature"))
    sd[key] = sd[key] * 3
    model = restbench.build_model("restormer", **fx["kwargs"]).eval()
    model.load_state_dict(sd, strict=True)
    with torch.no_grad():
        assert (model(fx["input"]) - fx["output"]).abs().max() > 1e-4


# ----------------------------------------------------------------------------- sizes
def test_official_default_parameter_count():
    assert n_params(on_meta()) == OFFICIAL_DEFAULT_PARAMS


def test_parameter_counts_of_task_configs_follow_from_the_layout():
    base = OFFICIAL_DEFAULT_PARAMS
    norm_biases = sum(2 * w for w, _ in block_widths())  # two LayerNorms per block lose their bias
    assert n_params(on_meta(LayerNorm_type="BiasFree")) == base - norm_biases
    # grey: patch_embed 3->1 input channels, output 3->1 channels (3x3 convs, no bias)
    grey = on_meta(inp_channels=1, out_channels=1, LayerNorm_type="BiasFree")
    assert n_params(grey) == base - norm_biases - 48 * 2 * 9 - 96 * 2 * 9
    # dual pixel: 6 input channels and a 1x1 skip_conv 48->96
    dual = on_meta(inp_channels=6, dual_pixel_task=True)
    assert n_params(dual) == base + 48 * 3 * 9 + 48 * 96
    assert "skip_conv.weight" in dual.state_dict() and "skip_conv.weight" not in on_meta().state_dict()


# ----------------------------------------------------------------------------- variants
def test_registered_with_all_variants():
    reg = restbench.get_registry()
    assert reg.architectures["restormer"].builder is Restormer
    ids = [v.id for v in reg.variants_of("restormer")]
    assert len(ids) == 13 == len(set(ids))
    assert all(i.startswith("restormer-") and i == i.lower() for i in ids)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_variant_is_consistent(variant):
    assert variant.task in TASKS
    assert variant.checkpoint_key == "params"
    assert variant.sources[0].url.endswith("/releases/download/v1.0/" + variant.weight_file)
    assert all(s.hf_filename in (None, variant.weight_file) for s in variant.sources)
    model = on_meta(**variant.arch_kwargs)
    sd = model.state_dict()
    in_ch = variant.arch_kwargs.get("inp_channels", 3)
    assert sd["patch_embed.proj.weight"].shape[1] == in_ch == variant.input.channels
    assert sd["output.weight"].shape[0] == (1 if variant.channels == "grey" else 3)
    biasfree = variant.arch_kwargs.get("LayerNorm_type") == "BiasFree"
    assert ("encoder_level1.0.norm1.body.bias" in sd) is not biasfree
    assert variant.input.pad_multiple == 8 and variant.input.pad_mode == "reflect" and not variant.input.always_pad
    assert variant.claims
    for c in variant.claims:
        assert c.dataset in KNOWN_DATASETS and c.source.startswith("paper, Table ")
        assert 20 < c.psnr < 45 and (c.ssim is None or 0.7 < c.ssim < 1)
        assert (c.sigma in (15, 25, 50)) if variant.blind else c.sigma is None
    if variant.task == "gaussian-denoising":
        assert variant.blind == (variant.sigma is None)
        assert ("blind" in variant.weight_file) == variant.blind
        if not variant.blind:
            assert variant.weight_file.endswith(f"_sigma{variant.sigma}.pth")


def test_blind_models_claim_every_dataset_at_every_sigma():
    for v in (v for v in VARIANTS if v.blind):
        per = {(c.dataset, c.sigma) for c in v.claims}
        datasets = {c.dataset for c in v.claims}
        assert per == {(d, s) for d in datasets for s in (15, 25, 50)}


# ----------------------------------------------------------------------------- padding
@pytest.mark.parametrize("vid", ["restormer-grey-blind", "restormer-defocus-dual-pixel", "restormer-deraining"])
def test_odd_sized_input_through_variant_padding(vid):
    variant = next(v for v in VARIANTS if v.id == vid)
    torch.manual_seed(0)
    model = restbench.build_model(vid, **TINY).eval()
    x = torch.rand(1, variant.input.channels, 13, 21)
    with torch.no_grad():
        y = forward_padded(model, x, variant.input)
        manual = model(F.pad(x, (0, 3, 0, 3), mode="reflect"))[..., :13, :21]
    assert y.shape == (1, 1 if variant.channels == "grey" else 3, 13, 21)
    assert torch.equal(y, manual)
    with pytest.raises(ValueError, match="divisible by 8"):
        model(x)


# ----------------------------------------------------------------------------- normalisation
def test_biasfree_norm_keeps_the_mean_withbias_removes_it():
    x = 5 + torch.randn(2, 16, 4, 4)
    with torch.no_grad():
        wb = ChannelLayerNorm(16, "WithBias")(x)
        bf = ChannelLayerNorm(16, "BiasFree")(x)
    assert wb.mean(1).abs().max() < 1e-5
    assert bf.mean(1).min() > 3  # scaled by 1/std, not centred
    torch.testing.assert_close(bf.var(1, unbiased=False), torch.ones(2, 4, 4) * x.var(1, unbiased=False) / (x.var(1, unbiased=False) + 1e-5))
    with pytest.raises(ValueError):
        ChannelLayerNorm(16, "Biasfree")


# ----------------------------------------------------------------------------- ablations
def test_ablation_switches_build_run_and_change_parameter_counts():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 24, 40)  # level 3/4 maps (6x10, 3x5) are not multiples of the window
    counts = {}
    for attention in ("mdta", "window"):
        for ffn in ("gdfn", "ffn"):
            m = restbench.build_model("restormer", attention=attention, ffn=ffn, window_size=4, **TINY).eval()
            with torch.no_grad():
                y = m(x)
            assert y.shape == x.shape and torch.isfinite(y).all()
            counts[attention, ffn] = n_params(m)
            keys = m.state_dict().keys()
            assert any("qkv_dwconv" in k for k in keys) == (attention == "mdta")
            assert any(k.endswith("ffn.dwconv.weight") for k in keys) == (ffn == "gdfn")

    blocks = block_widths(8, (1, 1, 1, 1), 1)
    dw_and_temp = sum(3 * w * 9 + h for w, h in blocks)  # MDTA's depth-wise qkv conv + temperature
    gdfn_extra = sum(w * int(w * 2.66) + 18 * int(w * 2.66) for w, _ in blocks)  # gate half + dwconv
    assert counts["mdta", "gdfn"] - counts["window", "gdfn"] == dw_and_temp
    assert counts["mdta", "gdfn"] - counts["mdta", "ffn"] == gdfn_extra
    assert counts["mdta", "gdfn"] - counts["window", "ffn"] == dw_and_temp + gdfn_extra
    # defaults are the official network, bit for bit in structure
    assert counts["mdta", "gdfn"] == n_params(restbench.build_model("restormer", **TINY))


def test_window_attention_with_one_window_is_masked_full_attention():
    """A window larger than the map: padding must be invisible, i.e. plain attention over real pixels."""
    torch.manual_seed(0)
    attn = WindowAttention(dim=8, num_heads=2, bias=True, window_size=8).eval()
    x = torch.randn(2, 8, 5, 7)
    with torch.no_grad():
        got = attn(x)
        q, k, v = attn.qkv(x).flatten(2).chunk(3, dim=1)  # (b, c, n) each
        split = lambda t: t.reshape(2, 2, 4, 35).transpose(-2, -1)  # (b, heads, n, c/heads)
        ref = F.scaled_dot_product_attention(split(q), split(k), split(v))
        ref = attn.project_out(ref.transpose(-2, -1).reshape(2, 8, 5, 7))
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-5)


def test_unknown_switch_values_are_rejected():
    for kwargs in (dict(attention="swin"), dict(ffn="mlp"), dict(LayerNorm_type="LN")):
        with pytest.raises(ValueError):
            Restormer(**TINY, **kwargs)


def test_constructor_defaults_are_the_official_ones():
    official = dict(
        inp_channels=3, out_channels=3, dim=48, num_blocks=[4, 6, 6, 8], num_refinement_blocks=4,
        heads=[1, 2, 4, 8], ffn_expansion_factor=2.66, bias=False, LayerNorm_type="WithBias", dual_pixel_task=False,
    )
    params = inspect.signature(Restormer).parameters
    assert list(params)[: len(official)] == list(official)
    assert {k: params[k].default for k in official} == official
