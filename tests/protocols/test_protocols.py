"""Named protocols: lookup, defaults per (family, task, dataset), and evaluate() on real data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.metrics import structural_similarity

from restbench import protocols as P
from restbench.protocols.degradations import bicubic_upsample
from restbench.protocols.imresize import modcrop

REQUIRED = [
    "restormer-gopro", "restormer-derain", "restormer-dpdd", "restormer-sidd", "restormer-denoise",
    "swinir-sr", "swinir-denoise", "swinir-car", "kair-denoise", "uformer-sidd", "uformer-gopro",
    "bicubic-sr",
]


def _load(path) -> torch.Tensor:
    arr = np.asarray(Image.open(path).convert("RGB"))
    return torch.from_numpy(arr.copy()).permute(2, 0, 1)[None].float() / 255


def test_required_protocols_exist_and_describe_in_one_line():
    for name in REQUIRED:
        p = P.get_protocol(name)
        line = p.describe()
        assert line.startswith(name + ":") and "\n" not in line
        assert p.script, name
    assert P.get_protocol(P.PROTOCOLS["swinir-sr"]) is P.PROTOCOLS["swinir-sr"]


def test_unknown_protocol_error_lists_names():
    with pytest.raises(KeyError) as err:
        P.get_protocol("nope")
    msg = str(err.value)
    assert "nope" in msg and "swinir-sr" in msg and "restormer-gopro" in msg


def test_protocol_is_frozen_and_validated():
    p = P.get_protocol("swinir-sr")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.crop = 0  # type: ignore[misc]
    with pytest.raises(ValueError):
        P.Protocol("bad", "x", ("classical-sr",), colour="y", y_mode=None)
    with pytest.raises(ValueError, match="scale"):
        p.crop_pixels(None)
    assert p.crop_pixels(3) == 3


@pytest.mark.parametrize(
    "arch, task, dataset, channels, expected",
    [
        ("restormer", "motion-deblurring", "GoPro", None, "restormer-gopro"),
        ("restormer", "motion-deblurring", "HIDE", None, "restormer-gopro"),
        ("restormer", "deraining", "Rain100L", None, "restormer-derain"),
        ("restormer", "defocus-deblurring", "DPDD", None, "restormer-dpdd"),
        ("restormer", "real-denoising", "SIDD", None, "restormer-sidd"),
        ("restormer", "gaussian-denoising", "CBSD68", None, "restormer-denoise"),
        ("swinir", "classical-sr", "Set5", None, "swinir-sr"),
        ("swinir", "lightweight-sr", "Urban100", None, "swinir-sr"),
        ("swinir", "gaussian-denoising", "Set12", None, "swinir-denoise"),
        ("swinir", "jpeg-car", "classic5", 3, "swinir-car"),
        ("swinir", "jpeg-car", "LIVE1", 1, "swinir-car"),
        ("swinir", "jpeg-car", "LIVE1", 3, "swinir-car-color"),
        ("uformer", "real-denoising", "SIDD", None, "uformer-sidd"),
        ("uformer", "motion-deblurring", "GoPro", None, "uformer-gopro"),
        ("restormer", "motion-deblurring", "RealBlur_J", None, "restormer-realblur"),
        ("uformer", "motion-deblurring", "RealBlur-R", None, "uformer-realblur"),
        ("dncnn", "gaussian-denoising", "BSD68", None, "kair-denoise"),
        ("bicubic", "classical-sr", "Set5", None, "bicubic-sr"),
        ("identity", "gaussian-denoising", "Set12", None, "kair-denoise"),
        ("identity", "deraining", "Rain100H", None, "restormer-derain"),
        ("Uformer", "defocus-deblurring", "DPDD", None, "restormer-dpdd"),
    ],
)
def test_protocol_for_defaults(arch, task, dataset, channels, expected):
    assert P.protocol_for(arch, task, dataset, channels=channels).name == expected


def test_protocol_for_errors():
    with pytest.raises(KeyError, match="no protocol for task"):
        P.protocol_for("restormer", "colourisation", "X")
    with pytest.raises(KeyError, match="bicubic"):
        P.protocol_for("bicubic", "gaussian-denoising", "Set12")
    with pytest.raises(KeyError, match="RealBlur"):
        P.protocol_for("restormer", "deraining", "RealBlur_J")


def test_bicubic_baseline_on_set5_matches_published(shared_dir):
    """Published bicubic Set5 (Y, crop=scale): x2 33.66/0.9299, x3 30.39/0.8682, x4 28.42/0.8104."""
    published = {2: (33.66, 0.9299), 3: (30.39, 0.8682), 4: (28.42, 0.8104)}
    for scale, (ref_psnr, ref_ssim) in published.items():
        ps, ss = [], []
        for name in ["baby", "bird", "butterfly", "head", "woman"]:
            hr = modcrop(_load(shared_dir / f"datasets/Set5/HR/{name}.png"), scale)
            lr = _load(shared_dir / f"datasets/Set5/LR_bicubic/X{scale}/{name}x{scale}.png")
            m = P.evaluate(bicubic_upsample(lr, scale), hr, "bicubic-sr", scale=scale)
            ps.append(m["psnr"])
            ss.append(m["ssim"])
        assert np.mean(ps) == pytest.approx(ref_psnr, abs=0.03), (scale, np.mean(ps))
        assert np.mean(ss) == pytest.approx(ref_ssim, abs=0.001), (scale, np.mean(ss))


def test_evaluate_applies_protocol_settings():
    rng = np.random.default_rng(0)
    gt = torch.from_numpy(rng.integers(0, 256, (2, 3, 30, 34)).astype(np.float32) / np.float32(255))
    out = (gt + torch.from_numpy(rng.normal(0, 0.03, gt.shape).astype(np.float32))).clamp(0, 1)
    # float protocol (Restormer DPDD): skimage SSIM with data_range=1, PSNR 10log10(1/mse)
    m = P.evaluate(out, gt, "restormer-dpdd")
    assert len(m["psnr_per_image"]) == 2 and m["psnr"] == pytest.approx(np.mean(m["psnr_per_image"]))
    for i in range(2):
        o = out[i].numpy().transpose(1, 2, 0).astype(np.float64)
        g = gt[i].numpy().transpose(1, 2, 0).astype(np.float64)
        assert m["psnr_per_image"][i] == pytest.approx(10 * np.log10(1 / np.mean((o - g) ** 2)), abs=1e-9)
        want = structural_similarity(o, g, channel_axis=2, data_range=1.0)
        assert m["ssim_per_image"][i] == pytest.approx(want, abs=1e-10)
    # Uformer's implicit data_range=2 gives a higher SSIM than data_range=1
    assert P.evaluate(out, gt, "uformer-gopro")["ssim"] > m["ssim"]
    # scale crop needs scale; Y protocols differ from RGB ones
    with pytest.raises(ValueError, match="scale"):
        P.evaluate(out, gt, "swinir-sr")
    y = P.evaluate(out, gt, "swinir-sr", scale=2)
    rgb = P.evaluate(out, gt, "swinir-denoise")
    assert y["psnr"] != pytest.approx(rgb["psnr"], abs=1e-3)
    assert all(isinstance(v, float) for v in (y["psnr"], y["ssim"]))


def test_degrade_follows_the_protocol(shared_dir):
    gt = _load(shared_dir / "datasets/Set5/HR/bird.png")[..., :37, :45]
    lq, t = P.degrade("swinir-denoise", gt, sigma=25)
    assert lq.dtype == torch.float32 and torch.equal(t, gt)
    lq_kair, _ = P.degrade("kair-denoise", gt, sigma=25)
    assert not torch.equal(lq, lq_kair)  # BGR vs RGB draw layout
    torch.testing.assert_close(lq.mean(), gt.mean(), atol=0.01, rtol=0)
    lr, hr = P.degrade("swinir-sr", gt, scale=4)
    assert hr.shape[-2:] == (36, 44) and lr.shape[-2:] == (9, 11)
    jq, y = P.degrade("swinir-car", gt, quality=10, channels=1)
    assert y.shape[1] == 1 and jq.shape == y.shape
    jc, rgb = P.degrade("swinir-car-color", gt, quality=10, channels=3)
    assert jc.shape == gt.shape and torch.equal(rgb, gt)
    with pytest.raises(ValueError, match="sigma"):
        P.degrade("kair-denoise", gt)
    with pytest.raises(ValueError, match="own inputs"):
        P.degrade("restormer-gopro", gt)
    with pytest.raises(ValueError, match="IMREAD_GRAYSCALE"):
        P.degrade("kair-denoise", gt, sigma=15, channels=1)
