"""SwinIR plugin: conformance with the authors' code, parameter counts, the variant table, padding."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import restbench
from restbench.fetch.checkpoint import load_weights
from restbench.registry import TASKS, InputSpec
from restbench_swinir.arch import SwinIR, shifted_window_mask
from restbench_swinir.variants import RELEASE, VARIANTS

ATOL = 1e-4


def _fixtures(shared_dir):
    paths = sorted((shared_dir / "fixtures" / "official_arch").glob("swinir_*.pt"))
    assert paths, "no swinir fixtures found"
    return [(p, torch.load(p, weights_only=True)) for p in paths]


def _run(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.eval()(x)


# ----------------------------------------------------------------------------- conformance


def test_official_fixtures_load_strictly_and_match_output(shared_dir):
    for path, fx in _fixtures(shared_dir):
        assert fx["arch"] == "swinir"
        model = restbench.build_model("swinir", **fx["kwargs"])
        model.load_state_dict(fx["state_dict"], strict=True)
        assert set(model.state_dict()) == set(fx["state_dict"]), path.name
        out = _run(model, fx["input"])
        assert out.shape == fx["output"].shape, path.name
        err = (out - fx["output"]).abs().max().item()
        assert err < ATOL, f"{path.name}: max abs error {err:.3g}"

        # the project's checkpoint loader accepts the same file (it unwraps 'state_dict')
        fresh = restbench.build_model("swinir", **fx["kwargs"])
        report = load_weights(fresh, path)
        assert report.key == "state_dict" and not report.missing and not report.unexpected
        assert torch.equal(_run(fresh, fx["input"]), out)


def test_derived_buffers_equal_the_official_ones(shared_dir):
    """relative_position_index and attn_mask are computed here, not loaded: they must be identical."""
    for path, fx in _fixtures(shared_dir):
        own = restbench.build_model("swinir", **fx["kwargs"]).state_dict()
        derived = [k for k in fx["state_dict"] if k.endswith(("relative_position_index", "attn_mask"))]
        assert any(k.endswith("attn_mask") for k in derived), path.name
        for k in derived:
            assert own[k].dtype == fx["state_dict"][k].dtype, k
            assert torch.equal(own[k], fx["state_dict"][k]), k
        # masks only on shifted (odd) layers, as in the authors' state dicts
        assert all(re.search(r"blocks\.\d*[13579]\.attn_mask$", k) for k in derived if k.endswith("attn_mask"))


def test_mask_buffer_is_used_at_training_size_and_recomputed_otherwise(shared_dir):
    fx = next(fx for path, fx in _fixtures(shared_dir) if fx["kwargs"]["upscale"] == 2)
    kwargs = fx["kwargs"]
    model = restbench.build_model("swinir", **kwargs)
    model.load_state_dict(fx["state_dict"])
    broken = copy.deepcopy(model)
    for name, buf in broken.named_buffers():
        if name.endswith("attn_mask"):
            buf.zero_()  # a mask of zeros lets windows attend across the shift seam
    other = fx["input"]  # 16x24, not the 32x32 training size: masks are recomputed
    assert torch.equal(_run(model, other), _run(broken, other))
    train = torch.rand(1, 3, kwargs["img_size"], kwargs["img_size"], generator=torch.Generator().manual_seed(0))
    assert not torch.allclose(_run(model, train), _run(broken, train), atol=1e-3)


def test_shifted_window_mask_regions():
    mask = shifted_window_mask(16, 16, 8, 4)
    assert mask.shape == (4, 64, 64)
    assert torch.all(mask[0] == 0)  # the top-left window never straddles the roll seam
    assert set(mask.unique().tolist()) == {0.0, -100.0}
    # bottom-right window holds 4 regions of 16 tokens: each token sees 16 tokens (itself included)
    assert torch.all((mask[3] == 0).sum(-1) == 16)


# ----------------------------------------------------------------------------- parameter counts


def _resi(e: int, kind: str) -> int:
    if kind == "1conv":
        return 9 * e * e + e
    q = e // 4
    return (9 * e * q + q) + (q * q + q) + (9 * q * e + e)


def _conv3(cin: int, cout: int) -> int:
    return 9 * cin * cout + cout


def expected_params(in_chans=3, embed_dim=96, depths=(6, 6, 6, 6), num_heads=(6, 6, 6, 6), window_size=7,
                    mlp_ratio=4.0, upscale=2, upsampler="", resi_connection="1conv", img_size=64, **_) -> int:
    """Parameter count of the authors' layout, written out layer by layer (independent of arch.py)."""
    e, c, nf = embed_dim, in_chans, 64
    hid = int(e * mlp_ratio)
    ws = min(window_size, img_size)  # a patch smaller than the window shrinks it
    total = _conv3(c, e) + 2 * e  # conv_first, patch_embed.norm
    for d, h in zip(depths, num_heads):
        block = 4 * e + (2 * ws - 1) ** 2 * h + (3 * e * e + 3 * e) + (e * e + e) + (e * hid + hid) + (hid * e + e)
        total += d * block + _resi(e, resi_connection)
    total += 2 * e + _resi(e, resi_connection)  # norm, conv_after_body
    if upsampler == "pixelshuffle":
        total += _conv3(e, nf) + _conv3(nf, c)
        total += _conv3(nf, 9 * nf) if upscale == 3 else int(np.log2(upscale)) * _conv3(nf, 4 * nf)
    elif upsampler == "pixelshuffledirect":
        total += _conv3(e, upscale * upscale * c)
    elif upsampler == "nearest+conv":
        total += _conv3(e, nf) + (3 if upscale == 4 else 2) * _conv3(nf, nf) + _conv3(nf, c)
    else:
        total += _conv3(e, c)
    return total


def _count(**kwargs) -> int:
    with torch.device("meta"):
        model = SwinIR(**kwargs)
    return sum(p.numel() for p in model.parameters())


M_X2 = dict(upscale=2, in_chans=3, img_size=48, window_size=8, img_range=1.0, depths=[6] * 6, embed_dim=180,
            num_heads=[6] * 6, mlp_ratio=2, upsampler="pixelshuffle", resi_connection="1conv")
S_X2 = dict(upscale=2, in_chans=3, img_size=64, window_size=8, img_range=1.0, depths=[6] * 4, embed_dim=60,
            num_heads=[6] * 4, mlp_ratio=2, upsampler="pixelshuffledirect", resi_connection="1conv")


def test_swinir_m_classical_x2_parameter_count():
    assert _count(**M_X2) == 11_752_487
    assert expected_params(**M_X2) == 11_752_487


def test_swinir_s_lightweight_parameter_counts_match_layout_and_paper():
    assert expected_params(**S_X2) == 910_152
    assert _count(**S_X2) == 910_152
    # Table 3 lists 878K / 886K / 897K: the paper's count leaves out the relative-position tables
    tables = 4 * 6 * (15 * 15) * 6
    for scale, paper_k in ((2, 878), (3, 886), (4, 897)):
        n = _count(**{**S_X2, "upscale": scale})
        assert round((n - tables) / 1000) == paper_k, scale


def test_real_sr_and_jpeg_configs_build():
    large = dict(upscale=4, in_chans=3, img_size=64, window_size=8, img_range=1.0, depths=[6] * 9, embed_dim=240,
                 num_heads=[8] * 9, mlp_ratio=2, upsampler="nearest+conv", resi_connection="3conv")
    assert _count(**large) == expected_params(**large)
    jpeg = dict(upscale=1, in_chans=1, img_size=126, window_size=7, img_range=255.0, depths=[6] * 6,
                embed_dim=180, num_heads=[6] * 6, mlp_ratio=2, upsampler="", resi_connection="1conv")
    with torch.device("meta"):
        model = SwinIR(**jpeg)
    sd = model.state_dict()
    assert sd["layers.0.residual_group.blocks.0.attn.relative_position_bias_table"].shape == (169, 6)
    assert sd["layers.0.residual_group.blocks.1.attn_mask"].shape == (18 * 18, 49, 49)
    assert "layers.0.residual_group.blocks.0.attn_mask" not in sd
    assert sum(p.numel() for p in model.parameters()) == expected_params(**jpeg)


# ----------------------------------------------------------------------------- variant table

DATASETS = {
    "classical-sr": {"Set5", "Set14", "BSD100", "Urban100", "Manga109", "DIV2K-val"},
    "lightweight-sr": {"Set5", "Set14", "BSD100", "Urban100", "Manga109"},
    "gaussian-denoising": {"Set12", "BSD68", "Urban100", "CBSD68", "Kodak24", "McMaster"},
    "jpeg-car": {"classic5", "LIVE1"},
    "real-sr": set(),
}


def test_variant_table_is_complete_and_consistent():
    ids = [v.id for v in VARIANTS]
    assert len(ids) == len(set(ids)) >= 20
    reg = restbench.get_registry()
    assert {v.id for v in reg.variants_of("swinir")} == set(ids)
    files = {v.weight_file for v in VARIANTS}
    assert len(files) == len(VARIANTS)
    for v in VARIANTS:
        kw = v.arch_kwargs
        assert v.id == v.id.lower() and v.id.startswith("swinir-") and v.task in TASKS
        assert re.fullmatch(r"00[1-6]_\w+_s(48|64|126|128)w[78]_SwinIR-[MSL]_\w+\.pth", v.weight_file), v.weight_file
        assert f"_s{kw['img_size']}w{kw['window_size']}_" in v.weight_file
        assert [s.url for s in v.sources] == [RELEASE + v.weight_file]
        assert v.checkpoint_key == ("params_ema" if v.task == "real-sr" else "params")
        assert v.licence_code == v.licence_weights == "Apache-2.0" and v.sha256 is None
        assert kw["in_chans"] == v.input.channels == (1 if v.channels == "grey" else 3)
        assert v.input == InputSpec(pad_multiple=kw["window_size"], always_pad=True, pad_mode="symmetric",
                                    channels=kw["in_chans"])
        assert kw["window_size"] == (7 if v.task == "jpeg-car" else 8)
        assert kw["img_range"] == (255.0 if v.task == "jpeg-car" else 1.0)
        if v.task.endswith("sr"):
            assert kw["upscale"] == v.scale and f"_x{v.scale}" in v.weight_file
        else:
            assert kw["upscale"] == 1 and kw["upsampler"] == ""
        assert (v.sigma is not None) == (v.task == "gaussian-denoising")
        assert (v.quality is not None) == (v.task == "jpeg-car")
        seen = [c.dataset for c in v.claims]
        assert len(seen) == len(set(seen)) and set(seen) <= DATASETS[v.task], v.id
        for c in v.claims:
            assert 24.0 < c.psnr < 41.0 and (c.ssim is None or 0.7 < c.ssim < 1.0) and c.source, (v.id, c)


def test_every_variant_builds_with_its_kwargs():
    for v in VARIANTS:
        with torch.device("meta"):
            model = restbench.build_model(v.id)
        assert sum(p.numel() for p in model.parameters()) == expected_params(**v.arch_kwargs), v.id


def test_claims_follow_the_papers_orderings():
    by_id = {v.id: v for v in VARIANTS}
    psnr = lambda vid, ds: next(c.psnr for c in by_id[vid].claims if c.dataset == ds)  # noqa: E731
    for s in (2, 3, 4):  # more training data helps; bigger scale hurts; the small model is worse
        assert psnr(f"swinir-m-classical-df2k-x{s}", "Urban100") > psnr(f"swinir-m-classical-div2k-x{s}", "Urban100")
        assert psnr(f"swinir-s-lightweight-x{s}", "Set5") < psnr(f"swinir-m-classical-div2k-x{s}", "Set5")
    for colour, ds in (("grey", "Set12"), ("rgb", "CBSD68")):
        assert psnr(f"swinir-m-dn-{colour}-s15", ds) > psnr(f"swinir-m-dn-{colour}-s25", ds) > psnr(f"swinir-m-dn-{colour}-s50", ds)
    assert [psnr(f"swinir-m-car-grey-q{q}", "LIVE1") for q in (10, 20, 30, 40)] == sorted(
        psnr(f"swinir-m-car-grey-q{q}", "LIVE1") for q in (10, 20, 30, 40))


# ----------------------------------------------------------------------------- padding and heads


def pad_like_authors(x: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """main_test_swinir.py: pad by (h // m + 1) * m - h with the flipped image appended."""
    m = spec.pad_multiple
    h, w = x.shape[-2:]
    hp, wp = (h // m + 1) * m, (w // m + 1) * m
    x = torch.cat([x, torch.flip(x, [2])], 2)[..., :hp, :]
    return torch.cat([x, torch.flip(x, [3])], 3)[..., :wp]


def _tiny(**over) -> SwinIR:
    torch.manual_seed(0)
    kw = dict(img_size=16, window_size=8, depths=[2], embed_dim=12, num_heads=[2], mlp_ratio=2, upscale=1,
              upsampler="", in_chans=3)
    kw.update(over)
    return SwinIR(**kw).eval()


@pytest.mark.parametrize("vid", ["swinir-m-dn-grey-s25", "swinir-m-car-rgb-q10", "swinir-m-classical-div2k-x3"])
def test_odd_input_through_the_variants_padding(vid):
    v = restbench.get_registry().variants[vid]
    kw = v.arch_kwargs
    model = _tiny(window_size=kw["window_size"], in_chans=kw["in_chans"], img_range=kw["img_range"],
                  upscale=kw["upscale"], upsampler=kw["upsampler"], img_size=2 * kw["window_size"])
    x = torch.rand(1, v.input.channels, 13, 22, generator=torch.Generator().manual_seed(1))
    xp = pad_like_authors(x, v.input)
    m = v.input.pad_multiple
    assert xp.shape[-2] % m == 0 and xp.shape[-1] % m == 0 and xp.shape[-2] > 13 and xp.shape[-1] > 22
    ref = np.pad(x.numpy(), ((0, 0), (0, 0), (0, xp.shape[-2] - 13), (0, xp.shape[-1] - 22)), mode="symmetric")
    assert np.array_equal(xp.numpy(), ref)  # flip-and-concatenate == symmetric padding
    s = kw["upscale"]
    out = _run(model, xp)[..., : 13 * s, : 22 * s]
    assert out.shape == (1, v.input.channels, 13 * s, 22 * s) and torch.isfinite(out).all()
    # an already aligned input still gets a full window of padding (always_pad)
    aligned = torch.zeros(1, v.input.channels, 2 * m, 3 * m)
    assert pad_like_authors(aligned, v.input).shape[-2:] == (3 * m, 4 * m)


def test_inner_reflect_padding_is_cropped_back():
    model = _tiny()
    x = torch.rand(1, 3, 13, 19, generator=torch.Generator().manual_seed(2))
    out = _run(model, x)
    assert out.shape == x.shape
    padded = F.pad(x, (0, 5, 0, 3), mode="reflect")
    assert torch.allclose(out, _run(model, padded)[..., :13, :19], atol=1e-6)


@pytest.mark.parametrize("upsampler,scale,resi", [
    ("pixelshuffle", 2, "1conv"), ("pixelshuffle", 3, "1conv"), ("pixelshuffledirect", 3, "1conv"),
    ("nearest+conv", 2, "1conv"), ("nearest+conv", 4, "3conv"),
])
def test_sr_heads_output_size(upsampler, scale, resi):
    model = _tiny(upsampler=upsampler, upscale=scale, resi_connection=resi)
    x = torch.rand(2, 3, 11, 9, generator=torch.Generator().manual_seed(3))
    assert _run(model, x).shape == (2, 3, 11 * scale, 9 * scale)
    assert sum(p.numel() for p in model.parameters()) == expected_params(
        in_chans=3, embed_dim=12, depths=[2], num_heads=[2], window_size=8, mlp_ratio=2, upscale=scale,
        upsampler=upsampler, resi_connection=resi, img_size=16)


def test_restoration_head_is_residual_with_mean_and_range():
    """With the last conv zeroed the denoising/JPEG head returns its input exactly (img_range 255)."""
    for chans in (1, 3):
        model = _tiny(in_chans=chans, window_size=7, img_size=14, img_range=255.0)
        torch.nn.init.zeros_(model.conv_last.weight)
        torch.nn.init.zeros_(model.conv_last.bias)
        x = torch.rand(1, chans, 14, 21, generator=torch.Generator().manual_seed(4))
        assert torch.allclose(_run(model, x), x, atol=1e-5)


def test_invalid_configurations_raise():
    with pytest.raises(ValueError):
        _tiny(upsampler="pixelshufle")
    with pytest.raises(ValueError):
        _tiny(upsampler="nearest+conv", upscale=3)
    with pytest.raises(ValueError):
        _tiny(resi_connection="2conv")
    with pytest.raises(ValueError):
        _tiny(upsampler="pixelshuffle", upscale=5)
