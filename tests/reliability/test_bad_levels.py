"""Every level, limit, tile, prefetch, device and protocol is checked before any work — with one
clear line and exit status 2, also under --dry-run, and in every command that runs models."""

from __future__ import annotations

import json
import math

import pytest
import torch

from restbench.cli import main
from restbench.engine.plan import Level
from restbench.engine.validate import InvalidRequest, check_levels, check_tiling
from restbench.output import emit_json
from restbench.plugin import manager as plugins


@pytest.fixture(autouse=True)
def _fresh_plugins():
    plugins.reset()
    yield
    plugins.reset()


SET12 = ["--models", "dncnn", "--dataset", "Set12", "--sigma", "25"]
SET5 = ["--models", "bicubic", "--dataset", "Set5", "--scale", "2"]

BAD_RUNS = [
    (["--models", "identity", "--dataset", "classic5", "--quality", "150"], "--quality must be a JPEG quality in 1..100"),
    (["--models", "identity", "--dataset", "classic5", "--quality", "0"], "--quality must be a JPEG quality in 1..100"),
    (["--models", "dncnn", "--dataset", "Set12", "--sigma", "0"], "--sigma must be a noise level in 1..255"),
    (["--models", "dncnn", "--dataset", "Set12", "--sigma", "-5"], "--sigma must be a noise level in 1..255"),
    (["--models", "bicubic", "--dataset", "Set5", "--scale", "0"], "--scale must be an upscaling factor ≥ 1"),
    ([*SET12, "--limit", "-1"], "--limit must be a number of images ≥ 1, not -1"),
    ([*SET12, "--limit", "0"], "--limit must be a number of images ≥ 1, not 0"),
    ([*SET12, "--tile", "8"], "--tile must be at least 16 pixels, not 8"),
    ([*SET12, "--tile", "64", "--tile-overlap", "64"], "--tile-overlap (64) must be smaller than --tile (64)"),
    ([*SET12, "--tile", "64", "--tile-overlap", "-1"], "--tile-overlap must be ≥ 0 pixels"),
    ([*SET12, "--prefetch", "0"], "--prefetch must be ≥ 1, not 0"),
    ([*SET12, "--protocol", "no-such-protocol"], "unknown --protocol 'no-such-protocol'; known: bicubic-sr, kair-denoise"),
    ([*SET12, "--device", "gpu0"], "--device 'gpu0' is not a device; use auto, cpu, cuda or cuda:N"),
    ([*SET12, "--quality", "40"], "--quality does not apply here: Set12 is a test set for gaussian-denoising; its level is --sigma"),
    ([*SET5, "--quality", "40"], "--quality does not apply here: Set5 is a test set for classical-sr"),
    ([*SET5, "--sigma", "25"], "--sigma does not apply here: Set5"),
    (["--models", "restormer", "--dataset", "GoPro", "--sigma", "25"], "--sigma does not apply here: GoPro is a test set for motion-deblurring; it takes no level flag"),
    ([*SET12, "--lock-timeout", "-1"], "--lock-timeout must be ≥ 0 seconds"),
]


@pytest.mark.parametrize("dry", [True, False], ids=["dry-run", "run"])
@pytest.mark.parametrize("argv,message", BAD_RUNS, ids=[m.split(" ")[0] + "-" + a[-1] for a, m in BAD_RUNS])
def test_bad_run_flags_fail_before_any_work(tmp_path, capsys, argv, message, dry):
    results = tmp_path / "results"
    code = main(["run", *argv, "--results", str(results), "--no-progress", *(["--dry-run"] if dry else [])])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert f"restbench: error: {message}" in err
    assert err.count("\n") == 1, "one line"
    assert "Traceback" not in err and "internal error" not in err
    assert not results.exists(), "nothing was written"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_device_cuda_without_cuda_is_a_usage_error(tmp_path, capsys):
    assert main(["run", *SET12, "--device", "cuda", "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "restbench: error: --device cuda: PyTorch sees no CUDA device here" in err
    assert "use --device cpu" in err and "internal error" not in err
    assert main(["profile", "--models", "identity", "--device", "cuda:0", "--no-timing"]) == 2
    assert "--device cuda:0: PyTorch sees no CUDA device here" in capsys.readouterr().err


ANALYSIS = [
    (["explain", "--variant", "dncnn-s25", "--dataset", "Set12", "--sigma", "0"], "--sigma must be a noise level"),
    (["explain", "--variant", "dncnn-s25", "--dataset", "Set12", "--sigma", "25", "--limit", "-1"], "--limit must be"),
    (["explain", "--variant", "dncnn-s25", "--dataset", "Set12", "--sigma", "25", "--protocol", "nope"], "unknown --protocol 'nope'"),
    (["compare", "--models", "identity", "--image", "01", "--dataset", "Set12", "--sigma", "25", "--quality", "10"],
     "--quality does not apply here"),
    (["compare", "--models", "identity", "--image", "01", "--dataset", "Set12", "--sigma", "25", "--device", "tpu"],
     "--device 'tpu'"),
    (["ablate", "tile", "--variant", "dncnn-s25", "--dataset", "Set12", "--sigma", "25", "--tiles", "4"],
     "--tiles must be at least 16 pixels"),
    (["ablate", "resolution", "--variant", "dncnn-s25", "--runs", "-2"], "--runs must be ≥ 0"),
    (["profile", "--models", "identity", "--runs", "0"], "--runs must be ≥ 1"),
    (["explain", "--variant", "dncnn-s25", "--dataset", "Set12", "--sigma", "25", "--weights", "dncnn=https://x.org/w.pth"],
     "a URL is not a local path"),
    (["verify", "--run", "--models", "dncnn", "--weights", "dncnn=http://127.0.0.1/w.pth"], "a URL is not a local path"),
    (["verify", "--run", "--models", "dncnn", "--weights", "swinir=/tmp/w.pth"],
     "'swinir' is not a variant or family in this run"),
]


@pytest.mark.parametrize("argv,message", ANALYSIS, ids=[a[0] + "-" + m.split(" ")[0] for a, m in ANALYSIS])
def test_the_other_commands_use_the_same_rules(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "internal error" not in err


def test_levels_and_tiles_in_the_library():
    check_levels(Level(sigma=25), "Set12", ("gaussian-denoising",))
    check_levels(Level(scale=1))  # ×1 is a legal (if trivial) factor
    with pytest.raises(InvalidRequest, match="JPEG quality in 1..100"):
        check_levels(Level(quality=101))
    with pytest.raises(ValueError):  # InvalidRequest is a ValueError for library callers
        check_tiling(15, 0)
    check_tiling(16, 8)


def test_non_finite_numbers_never_make_invalid_json(capsys):
    emit_json({"psnr": math.inf, "ssim": math.nan, "rows": [{"psnr": -math.inf}], "ok": 1.5})
    doc = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
    assert doc == {"psnr": None, "ssim": None, "rows": [{"psnr": None}], "ok": 1.5}
