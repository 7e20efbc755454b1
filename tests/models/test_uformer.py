"""Uformer plugin: conformance with the authors' code, configurations, variants, padding."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn

import restbench
from restbench.fetch.checkpoint import load_weights
from restbench.engine.inference import forward_padded, pad, unpad
from restbench.registry import TASKS
from restbench_uformer.arch import DropPath, LeWinTransformerBlock, Uformer
from restbench_uformer.presets import PRESETS, get_arch
from restbench_uformer.variants import VARIANTS

UFORMER_B_PARAMS = 50_880_946  # get_arch('Uformer_B'), as published (50.88M)
DATASETS = {"SIDD", "DND", "GoPro", "HIDE", "RealBlur-J", "RealBlur-R", "DPDD"}


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def build_meta(**kwargs) -> Uformer:
    with torch.device("meta"):
        return Uformer(**kwargs)


@pytest.fixture(scope="module")
def fixtures(shared_dir):
    paths = sorted((shared_dir / "fixtures" / "official_arch").glob("uformer*.pt"))
    assert paths, "no uformer fixtures found"
    return [(p.name, torch.load(p, weights_only=True)) for p in paths]


# ----------------------------------------------------------------------------- conformance


def test_fixtures_reproduce_official_output(fixtures):
    for name, fx in fixtures:
        assert fx["arch"] == "uformer", name
        model = restbench.build_model("uformer", **fx["kwargs"]).eval()
        model.load_state_dict(fx["state_dict"], strict=True)
        with torch.no_grad():
            out = model(fx["input"])
        assert out.shape == fx["output"].shape, name
        assert torch.allclose(out, fx["output"], atol=1e-4, rtol=0), (name, (out - fx["output"]).abs().max().item())


def test_fixture_loads_from_a_training_checkpoint(fixtures, tmp_path):
    """The authors save {'epoch', 'state_dict' (DataParallel 'module.' names), 'optimizer'}."""
    name, fx = fixtures[0]
    ckpt = {
        "epoch": 250,
        "state_dict": {f"module.{k}": v for k, v in fx["state_dict"].items()},
        "optimizer": {"state": {}, "param_groups": [{"lr": 2e-4}]},
    }
    path = tmp_path / "model_best.pth"
    torch.save(ckpt, path)
    model = Uformer(**fx["kwargs"]).eval()
    report = load_weights(model, path, key="state_dict")
    assert report.key == "state_dict" and not report.missing and not report.unexpected
    assert report.loaded == len(fx["state_dict"])
    with torch.no_grad():
        assert torch.allclose(model(fx["input"]), fx["output"], atol=1e-4, rtol=0)


def test_only_persistent_buffer_is_the_relative_position_index(fixtures):
    _, fx = fixtures[0]
    model = Uformer(**fx["kwargs"])
    buffers = {k for k, _ in model.named_buffers()}
    assert buffers and all(k.endswith("relative_position_index") for k in buffers)
    assert buffers <= set(model.state_dict()) and buffers <= set(fx["state_dict"])


# ----------------------------------------------------------------------------- configurations


def test_uformer_b_parameter_count():
    assert n_params(build_meta(**get_arch("Uformer_B"))) == UFORMER_B_PARAMS
    assert n_params(build_meta(**get_arch("Uformer_B", train_ps=256))) == UFORMER_B_PARAMS  # window table unchanged


def test_uformer_t_and_s_build():
    t, s = build_meta(**get_arch("Uformer_T")), build_meta(**get_arch("Uformer_S"))
    assert t.input_proj.proj[0].weight.shape == (16, 3, 3, 3)
    assert s.input_proj.proj[0].weight.shape == (32, 3, 3, 3)
    for m in (t, s):
        assert all(len(getattr(m, f"encoderlayer_{i}").blocks) == 2 for i in range(4))
        assert all(b.modulator is not None for j in range(4) for b in getattr(m, f"decoderlayer_{j}").blocks)
        assert all(b.modulator is None for i in range(4) for b in getattr(m, f"encoderlayer_{i}").blocks)
    assert n_params(t) < n_params(s) < UFORMER_B_PARAMS
    # The modulators are the only difference from the 2021 Uformer32: 64 x width per decoder block.
    modulator_params = 64 * 2 * (16 + 8 + 4 + 2) * 32
    assert n_params(s) - n_params(build_meta(**get_arch("Uformer32"))) == modulator_params


def test_get_arch_matches_authors_uformer_b():
    assert get_arch("Uformer_B") == {
        "img_size": 128, "embed_dim": 32, "win_size": 8, "token_projection": "linear", "token_mlp": "leff",
        "depths": [1, 2, 8, 8, 2, 8, 8, 2, 1], "modulator": True, "dd_in": 3,
    }
    assert get_arch("Uformer", embed_dim=16)["embed_dim"] == 16
    assert get_arch("Uformer_S_noshift")["shift_flag"] is False
    with pytest.raises(KeyError):
        get_arch("Uformer_L")


def test_drop_path_schedule_per_depth():
    m = build_meta(**get_arch("Uformer_B"), drop_path_rate=0.1)
    enc = torch.linspace(0, 0.1, 19).tolist()

    def rate(block) -> float:
        return block.drop_path.drop_prob if isinstance(block.drop_path, DropPath) else 0.0

    enc_rates = [rate(b) for i in range(4) for b in getattr(m, f"encoderlayer_{i}").blocks]
    dec_rates = [rate(b) for j in range(4) for b in getattr(m, f"decoderlayer_{j}").blocks]
    assert enc_rates == pytest.approx(enc)
    assert dec_rates == pytest.approx(enc[::-1])
    assert [rate(b) for b in m.conv.blocks] == pytest.approx([0.1, 0.1])
    assert isinstance(m.encoderlayer_0.blocks[0].drop_path, nn.Identity)
    assert isinstance(m.decoderlayer_3.blocks[0].drop_path, nn.Identity)


def test_window_clamping_depends_on_img_size():
    m128 = build_meta(**get_arch("Uformer_S"))
    assert [b.shift_size for b in m128.encoderlayer_3.blocks] == [0, 4]  # 16x16: shifts
    assert [b.shift_size for b in m128.conv.blocks] == [0, 0]  # 8x8: one window, no shift
    m256 = build_meta(**get_arch("Uformer_S", train_ps=256))
    assert [b.shift_size for b in m256.conv.blocks] == [0, 4]
    small = build_meta(img_size=64, embed_dim=8, depths=[1] * 9)
    assert small.conv.blocks[0].win_size == 4
    assert small.conv.blocks[0].attn.relative_position_bias_table.shape == (49, 16)
    assert Uformer(img_size=128, embed_dim=4, shift_flag=False).encoderlayer_0.blocks[1].shift_size == 0


def test_fastleff_is_refused():
    with pytest.raises(ValueError, match="fastleff"):
        build_meta(embed_dim=4, token_mlp="fastleff")


# ----------------------------------------------------------------------------- behaviour


def test_shifted_window_mask_separates_wrapped_regions():
    """After the cyclic shift, pixel (0,0) lands in the same window as (15,15) but must stay invisible."""
    torch.manual_seed(0)
    blk = LeWinTransformerBlock(dim=8, input_resolution=(16, 16), num_heads=2, win_size=8, shift_size=4, token_mlp="ffn").eval()
    x = torch.randn(1, 16 * 16, 8, requires_grad=True)
    out = blk(x, (16, 16))
    (grad,) = torch.autograd.grad(out[0, 15 * 16 + 15].sum(), x)
    influence = grad[0].abs().sum(-1).view(16, 16)
    # The mask is additive -100 (as upstream), so a masked pair still leaks ~exp(-100).
    assert influence[0, 0] < 1e-30  # wrapped-around region: masked
    assert influence[12, 12] > 1e-3  # same shifted window, same region: attended
    assert influence[4, 4] == 0  # another window altogether


def expand2square(x: torch.Tensor, factor: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The authors' rule restated: zero canvas of side ceil(max(h,w)/factor)*factor, image centred."""
    _, c, h, w = x.shape
    side = int(math.ceil(max(h, w) / float(factor)) * factor)
    img = torch.zeros(1, c, side, side)
    mask = torch.zeros(1, 1, side, side)
    top, left = (side - h) // 2, (side - w) // 2
    img[:, :, top : top + h, left : left + w] = x
    mask[:, :, top : top + h, left : left + w] = 1
    return img, mask


@pytest.mark.parametrize("hw", [(37, 53), (256, 128), (128, 128), (129, 1)])
def test_input_spec_padding_is_the_authors_expand2square(hw):
    spec = VARIANTS[0].input
    assert all(v.input == spec for v in VARIANTS)
    x = torch.rand(1, 3, *hw)
    padded, box = pad(x, spec)
    ref, mask = expand2square(x, 128)
    assert torch.equal(padded, ref)
    y = torch.rand_like(padded)  # any model output: the authors cut it out with masked_select
    assert torch.equal(unpad(y, box, 1), torch.masked_select(y, mask.bool()).reshape(1, 3, *hw))


def test_odd_input_through_the_variant_padding():
    torch.manual_seed(0)
    model = Uformer(img_size=128, embed_dim=4, depths=[2] * 9, modulator=True).eval()
    x = torch.rand(1, 3, 37, 53)
    seen = []

    def run(t: torch.Tensor) -> torch.Tensor:
        seen.append(t.shape)
        return model(t)

    with torch.no_grad():
        out = forward_padded(run, x, VARIANTS[0].input)
    assert seen == [(1, 3, 128, 128)]
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_rectangular_input_and_size_errors():
    model = Uformer(img_size=128, embed_dim=4, depths=[1] * 9).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 128, 256)).shape == (1, 3, 128, 256)
        with pytest.raises(ValueError, match="multiple of the window"):
            model(torch.rand(1, 3, 128, 120))


def test_dd_in_controls_the_global_residual():
    torch.manual_seed(0)
    model = Uformer(img_size=128, embed_dim=4, depths=[1] * 9, dd_in=3).eval()
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        residual = model.output_proj(torch.zeros(1, 128 * 128, 8), (128, 128))
        nn.init.zeros_(model.output_proj.proj[0].weight)
        assert torch.allclose(model(x), x + residual)  # output = input + projection
    no_res = Uformer(img_size=128, embed_dim=4, depths=[1] * 9, dd_in=6).eval()
    assert no_res.input_proj.proj[0].weight.shape[1] == 6
    with torch.no_grad():
        nn.init.zeros_(no_res.output_proj.proj[0].weight)
        y = no_res(torch.rand(1, 6, 128, 128))
    assert y.shape == (1, 3, 128, 128)
    assert torch.allclose(y, no_res.output_proj.proj[0].bias.view(1, 3, 1, 1).expand_as(y))


# ----------------------------------------------------------------------------- variants


def test_variants_are_registered_and_consistent():
    registered = {v.id for v in restbench.get_registry().variants_of("uformer")}
    ids = [v.id for v in VARIANTS]
    assert len(ids) == len(set(ids)) and registered == set(ids)
    assert {"uformer-b-sidd", "uformer-b-gopro"} <= set(ids)
    for v in VARIANTS:
        assert v.id == v.id.lower() and v.id.startswith("uformer") and v.arch == "uformer"
        assert v.task in TASKS and v.channels == "rgb"
        assert v.checkpoint_key == "state_dict" and v.weight_file and v.weight_file.endswith(".pth")
        assert v.licence_code == "MIT"
        assert v.sources and all((s.url or "").startswith("https://") or s.hf_repo or s.gdrive_id for s in v.sources)
        assert "https://" in v.notes  # the share link the weights come from
        assert v.input.square and v.input.pad_multiple == 128
        assert v.claims
        for c in v.claims:
            assert c.dataset in DATASETS and c.source
            assert 20 < c.psnr < 50 and (c.ssim is None or 0 < c.ssim <= 1)
        model = build_meta(**v.arch_kwargs)
        assert n_params(model) > 1_000_000
        if v.id.startswith("uformer-b"):
            assert n_params(model) == UFORMER_B_PARAMS
            assert v.arch_kwargs == get_arch("Uformer_B")
    tasks = {v.id: v.task for v in VARIANTS}
    assert tasks["uformer-b-sidd"] == "real-denoising" and tasks["uformer-b-gopro"] == "motion-deblurring"


def test_every_preset_builds():
    for name in PRESETS:
        m = build_meta(**get_arch(name))
        assert math.isfinite(n_params(m)) and n_params(m) > 0
