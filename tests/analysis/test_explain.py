"""``restbench explain``: the same outputs scored under each protocol alternative."""

from __future__ import annotations

import json
import math

import pytest
import torch

from restbench import cli, metrics
from restbench.analysis.explain import explain_outputs, pyiqa_available, scorings_for
from restbench.protocols import get_protocol


def _json(capsys, argv: list[str]) -> tuple[int, dict]:
    capsys.readouterr()
    rc = cli.main(argv)
    return rc, json.loads(capsys.readouterr().out)


def test_explain_dncnn_own_row_is_runs_number(shared_dir, capsys):
    common = ["--dataset", "Set12", "--sigma", "25", "--data-root", str(shared_dir / "datasets"),
              "--weights", f"dncnn-s25={shared_dir / 'weights' / 'dncnn_25.pth'}", "--limit", "2", "--json"]
    rc, run = _json(capsys, ["run", "--models", "dncnn-s25", "--no-progress", *common])
    assert rc == 0
    measured = run["results"][0]
    rc, doc = _json(capsys, ["explain", "--variant", "dncnn-s25", "--no-pyiqa", *common])
    assert rc == 0
    assert doc["n_images"] == 2 and doc["partial"] and doc["protocol"] == "kair-denoise"
    rows = {r["setting"]: r for r in doc["rows"]}
    own = doc["rows"][0]
    assert own["group"] == "own"
    assert own["psnr"] == pytest.approx(measured["psnr"], abs=1e-9)
    assert own["ssim"] == pytest.approx(measured["ssim"], abs=1e-9)
    assert own["d_psnr"] == 0 and own["d_ssim"] == 0
    # Set12 is grey: every Y conversion is the image itself, so the numbers do not move at all
    for r in doc["rows"]:
        if r["group"] == "colour":
            assert r["psnr"] == own["psnr"] and r["ssim"] == own["ssim"]
    # a border crop and float scoring are different numbers on the same outputs
    crop = rows["border crop 4 px"]
    assert abs(crop["d_psnr"]) > 1e-3 and abs(crop["d_ssim"]) > 1e-5
    flt = rows["float (no 8-bit rounding)"]
    assert abs(flt["d_psnr"]) > 1e-4
    # SSIM flavours move SSIM only; old skimage's data_range=2 inflates it a lot
    for r in doc["rows"]:
        if r["group"] == "ssim":
            assert r["psnr"] == own["psnr"] and r["ssim"] != own["ssim"]
    assert rows["SSIM skimage, data_range=2 (old skimage float default)"]["d_ssim"] > 0.03
    # the paper's Set12 number, and each row's distance from it
    assert doc["claim"]["psnr"] == 30.44
    assert own["psnr_vs_paper"] == pytest.approx(own["psnr"] - 30.44)


def test_explain_y_vs_rgb_on_colour_noise_matches_bt601(shared_dir, capsys):
    """Identity on noisy CBSD68: Y averages the three channels' independent noise, so its noise std
    is σ·|(65.481, 128.553, 24.966)|/255 and PSNR rises by −20·log10 of that factor (≈ 4.8 dB)."""
    rc, doc = _json(capsys, ["explain", "--variant", "identity", "--dataset", "CBSD68", "--sigma", "25", "--limit", "1",
                             "--data-root", str(shared_dir / "datasets"), "--no-pyiqa", "--json"])
    assert rc == 0 and doc["claim"] is None
    own = doc["rows"][0]
    y = next(r for r in doc["rows"] if r["setting"].startswith("Y, BasicSR"))
    gain = -20 * math.log10(math.hypot(65.481, 128.553, 24.966) / 255)
    assert y["d_psnr"] == pytest.approx(gain, abs=0.15)  # clipping at 0/255 and rounding account for the rest
    assert own["psnr"] == pytest.approx(20.2, abs=0.5)  # σ25 noise: 20·log10(255/25) = 20.17 dB
    # MATLAB's SSIM filters across the colour channels too, which smooths noise: it scores higher
    matlab = next(r for r in doc["rows"] if r["setting"].startswith("SSIM MATLAB"))
    assert matlab["ssim"] > own["ssim"]


def test_sr_alternatives_and_failing_scoring_is_dropped():
    p = get_protocol("swinir-sr")
    sc = scorings_for(p, 4, task="classical-sr", pyiqa=False)
    labels = [s.label for s in sc]
    assert labels[0] == "own protocol (swinir-sr)" and sc[0].crop == 4 and sc[0].colour == "y"
    assert "RGB (all channels)" in labels and "no border crop" in labels
    assert not any(s.group == "crop" and s.crop == 4 for s in sc[1:])  # no duplicate of the own crop
    assert "scoring of bicubic-sr" in labels
    g = torch.Generator().manual_seed(0)
    y = torch.rand(1, 3, 24, 24, generator=g)
    out = (y + 0.05 * torch.randn(1, 3, 24, 24, generator=g)).clamp(0, 1)
    big = [sc[0], sc[0].__class__("crop 20", "crop", crop=20)]  # 24 - 2*20 < 0: cannot be scored
    res = explain_outputs([("a", out, y), ("b", out, y)], big)
    assert res.n_images == 2 and [s["setting"] for s in res.skipped] == ["crop 20"]
    rows = res.rows()
    assert len(rows) == 1 and rows[0]["psnr"] == pytest.approx(
        float(metrics.psnr(out, y, crop=4, y_mode="basicsr", uint8=True)))


@pytest.mark.skipif(not pyiqa_available(), reason="pyiqa not installed")
def test_pyiqa_rows_agree_with_float_rgb_scoring():
    sc = scorings_for(get_protocol("kair-denoise"), 1, task="gaussian-denoising", pyiqa=True)
    g = torch.Generator().manual_seed(1)
    y = torch.rand(1, 3, 32, 32, generator=g)
    out = (y + 0.03 * torch.randn(1, 3, 32, 32, generator=g)).clamp(0, 1)
    rows = {r["setting"]: r for r in explain_outputs([("a", out, y)], sc).rows()}
    # pyiqa's psnr is RGB on the float tensors: the same as restbench's float, uncropped RGB PSNR
    assert rows["pyiqa psnr / ssimc (RGB, defaults)"]["psnr"] == pytest.approx(
        rows["float (no 8-bit rounding)"]["psnr"], abs=1e-3)
