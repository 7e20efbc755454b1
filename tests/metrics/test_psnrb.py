"""PSNR-B (SwinIR's JPEG CAR metric) against an independent numpy reference, and end to end on classic5."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from restbench import metrics
from restbench.plugin import manager as plugins
from restbench import protocols as P
from restbench.cli import main
from restbench.report.boards import load_store, write_reports

# ---------------------------------------------------------------- reference (numpy, loops)


def ref_y_basicsr(img_rgb: np.ndarray) -> np.ndarray:
    """BasicSR/SwinIR ``to_y_channel`` of an H x W x 3 RGB array on [0, 255]: float32 throughout."""
    bgr = img_rgb[..., ::-1].astype(np.float32) / np.float32(255.0)
    y = np.dot(bgr, [24.966, 128.553, 65.481]) + 16.0
    y = (y / 255.0).astype(np.float32)
    return (y * np.float32(255.0))[..., None]


def ref_bef(plane: np.ndarray, formula_counts: bool = True) -> float:
    """BEF of one H x W plane, from the description: explicit edge-pair lists, one pair at a time.

    ``formula_counts=False`` divides by the pairs actually summed instead (what SwinIR does *not*
    do), to show the tests can tell the two apart.
    """
    h, w = plane.shape
    sums = {"edge": 0.0, "other": 0.0}
    counts = {"edge": 0, "other": 0}
    for n, line in ((w, lambda j: (plane[:, j], plane[:, j + 1])), (h, lambda j: (plane[j, :], plane[j + 1, :]))):
        edges = set(range(7, n - 1, 8))
        for j in range(n - 1):
            a, b = line(j)
            kind = "edge" if j in edges else "other"
            sums[kind] += float(np.sum((a - b) ** 2))
            counts[kind] += a.size
    if formula_counts:
        n_edge = h * (w // 8 - 1) + w * (h // 8 - 1)
        n_other = h * (w - 1) + w * (h - 1) - n_edge
    else:
        n_edge, n_other = counts["edge"], counts["other"]
    edge, other = sums["edge"] / n_edge, sums["other"] / n_other
    if edge <= other:
        return 0.0
    return (math.log2(8) / math.log2(min(h, w))) * (edge - other)


def ref_psnrb(out: np.ndarray, gt: np.ndarray, y: bool = False, formula_counts: bool = True) -> float:
    """SwinIR ``calculate_psnrb(output, gt, 0, test_y_channel=y)`` on H x W x C arrays in [0, 255]."""
    a, b = out.astype(np.float64), gt.astype(np.float64)
    if y:
        a, b = ref_y_basicsr(a), ref_y_basicsr(b)
    a, b = a.astype(np.float64) / 255.0, b.astype(np.float64) / 255.0
    vals = []
    for c in range(a.shape[2]):
        mse = float(np.mean((a[..., c] - b[..., c]) ** 2))
        vals.append(10 * math.log10(1 / (mse + ref_bef(a[..., c], formula_counts))))
    return sum(vals) / len(vals)


# ---------------------------------------------------------------- test images


def blocky_pair(h: int, w: int, c: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(output, target) uint8 H x W x C: a smooth target and an output with 8x8 block offsets + noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    gt = np.stack([120 + 60 * np.sin(xx / (7 + k) + yy / 11.0) for k in range(c)], axis=-1)
    blocks = rng.normal(0, 6, ((h + 7) // 8, (w + 7) // 8, c))
    offs = np.kron(blocks, np.ones((8, 8, 1)))[:h, :w]
    out = gt + offs + rng.normal(0, 2, gt.shape)
    return np.clip(out, 0, 255).round().astype(np.uint8), np.clip(gt, 0, 255).round().astype(np.uint8)


def tensor(img: np.ndarray) -> torch.Tensor:
    """H x W x C uint8 → 1 x C x H x W float32 in [0, 1] (what restbench's loaders give)."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)).astype(np.float32) / np.float32(255))[None]


SIZES = [(64, 64), (61, 72), (64, 77), (45, 59), (40, 131)]  # multiples of 8, H%8 != 0, W%8 != 0, both


# ---------------------------------------------------------------- (a) reference agreement


@pytest.mark.parametrize("h,w", SIZES)
def test_grey_matches_reference_including_the_count_quirk(h, w):
    out, gt = blocky_pair(h, w, 1, seed=h * w)
    got = metrics.psnrb(tensor(out), tensor(gt), uint8=True).item()
    want = ref_psnrb(out, gt)
    assert got == pytest.approx(want, abs=1e-10)
    assert got < metrics.psnr(tensor(out), tensor(gt), uint8=True).item()
    quirk_free = ref_psnrb(out, gt, formula_counts=False)
    if h % 8 or w % 8:  # the formula's counts are off: the test can see the difference
        assert abs(quirk_free - want) > 1e-4
    else:
        assert quirk_free == pytest.approx(want, abs=1e-10)


@pytest.mark.parametrize("h,w", SIZES[:3])
def test_rgb_and_basicsr_y_match_reference(h, w):
    out, gt = blocky_pair(h, w, 3, seed=7 + h)
    o, g = tensor(out), tensor(gt)
    assert metrics.psnrb(o, g, uint8=True).item() == pytest.approx(ref_psnrb(out, gt), abs=1e-10)
    got_y = metrics.psnrb(o, g, y_mode="basicsr", uint8=True).item()
    assert got_y == pytest.approx(ref_psnrb(out, gt, y=True), abs=1e-10)
    assert got_y != pytest.approx(ref_psnrb(out, gt), abs=1e-3)  # Y really differs from the channel mean


def test_crop_float_input_and_batch():
    a, b = blocky_pair(50, 67, 1, seed=3), blocky_pair(50, 67, 1, seed=4)
    out = torch.cat([tensor(a[0]), tensor(b[0])]).double() + 0.3 / 255  # off the 8-bit levels, some above 1
    gt = torch.cat([tensor(a[1]), tensor(b[1])])
    got = metrics.psnrb(out, gt, crop=3)
    assert got.shape == (2,) and got.dtype == torch.float64
    for i in range(2):
        o = np.clip(out[i].numpy().transpose(1, 2, 0), 0, 1) * 255.0  # float protocols clamp, then scale
        g = gt[i].numpy().transpose(1, 2, 0).astype(np.float64) * 255.0
        assert got[i].item() == pytest.approx(ref_psnrb(o[3:-3, 3:-3], g[3:-3, 3:-3]), abs=1e-10)
    assert got[0].item() != pytest.approx(metrics.psnrb(out, gt, crop=3, uint8=True)[0].item(), abs=1e-4)


def test_bef_is_taken_on_the_output_only():
    out, gt = blocky_pair(48, 48, 1)
    forward = metrics.psnrb(tensor(out), tensor(gt)).item()
    backward = metrics.psnrb(tensor(gt), tensor(out)).item()
    assert backward > forward + 0.1  # the smooth target has no blocks to penalise


# ---------------------------------------------------------------- (b)/(c) BEF behaviour


def test_bef_zero_without_blocking_positive_with_blocks():
    yy, xx = np.mgrid[0:64, 0:72].astype(np.float64)
    # equal slopes: row and column pairs are pooled into one mean, so a ramp steeper along one
    # axis would already differ between edge and non-edge pairs when H != W
    ramp = torch.from_numpy((20 + 1.5 * xx + 1.5 * yy) / 255.0)[None, None]
    assert metrics.blocking_effect_factor(ramp).abs().max().item() < 1e-15
    # flat across every block edge, varying inside: edge mean < other mean, clamped to exactly 0
    smooth_edges = torch.from_numpy((xx % 8 == 3) * 0.2 + (yy % 8 == 4) * 0.1)[None, None]
    assert metrics.blocking_effect_factor(smooth_edges).item() == 0.0
    blocky, _ = blocky_pair(64, 72, 1)
    plane = blocky[..., 0].astype(np.float64) / 255.0
    bef = metrics.blocking_effect_factor(torch.from_numpy(plane)[None, None]).item()
    assert bef > 1e-4
    assert bef == pytest.approx(ref_bef(plane), rel=1e-12)


def test_psnrb_equals_psnr_without_bef_and_is_lower_with_it():
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:64, 0:72]
    flat_edges = (100 + 40 * ((xx % 8 == 3) | (yy % 8 == 4))).astype(np.float64)[..., None]
    gt = np.clip(flat_edges + rng.normal(0, 5, flat_edges.shape), 0, 255).round()
    o, g = tensor(flat_edges.astype(np.uint8)), tensor(gt.astype(np.uint8))
    assert metrics.blocking_effect_factor(o.double()).item() == 0.0
    assert metrics.psnrb(o, g, uint8=True).item() == pytest.approx(metrics.psnr(o, g, uint8=True).item(), abs=1e-10)
    out, gt2 = blocky_pair(64, 72, 1)
    assert metrics.psnrb(tensor(out), tensor(gt2)).item() < metrics.psnr(tensor(out), tensor(gt2)).item() - 0.1


def test_tiny_images_are_refused():
    with pytest.raises(ValueError, match="undefined for a 12x12"):
        metrics.psnrb(torch.rand(1, 1, 12, 12), torch.rand(1, 1, 12, 12))
    metrics.psnrb(torch.rand(1, 1, 16, 8), torch.rand(1, 1, 16, 8))  # formula count 8 > 0: defined


# ---------------------------------------------------------------- (d) real data: classic5 JPEG q10


def _grey(path: Path) -> torch.Tensor:
    return torch.from_numpy(np.asarray(Image.open(path).convert("L")).astype(np.float32) / np.float32(255))[None, None]


def _u8(t: torch.Tensor) -> np.ndarray:
    return (t[0].numpy().transpose(1, 2, 0) * 255).round().astype(np.uint8)


def test_classic5_q10_identity_under_swinir_car(shared_dir):
    paths = sorted((shared_dir / "datasets/classic5").glob("*.bmp"))
    assert len(paths) == 5
    for path in paths[:2]:  # two 512x512 images keep the loop reference quick
        lq, gt = P.degrade("swinir-car", _grey(path), quality=10, channels=1)
        m = P.evaluate(lq, gt, "swinir-car")
        assert math.isfinite(m["psnrb"]) and m["psnrb"] < m["psnr"] - 1.0  # q10 blocks are visible
        assert m["psnrb_per_image"][0] == pytest.approx(ref_psnrb(_u8(lq), _u8(gt)), abs=1e-10)
    assert "psnrb" not in P.evaluate(lq, gt, "kair-denoise")  # only protocols that report it


@pytest.fixture
def _fresh_plugins():
    plugins.reset()
    yield
    plugins.reset()


def test_cli_run_identity_classic5_reports_psnrb(shared_dir, tmp_path, capsys, _fresh_plugins):
    argv = ["run", "--models", "identity", "--dataset", "classic5", "--quality", "10",
            "--data-root", str(shared_dir / "datasets"), "--results", str(tmp_path), "--limit", "2",
            "--json", "--no-progress"]
    assert main(argv) == 0
    (row,) = json.loads(capsys.readouterr().out)["results"]
    assert row["protocol"] == "swinir-car" and row["n_images"] == 2
    assert math.isfinite(row["psnrb"]) and row["psnrb"] < row["psnr"]
    images = [json.loads(line) for line in next(tmp_path.glob("*.jsonl")).read_text().splitlines()]
    per_image = [r["psnrb"] for r in images if r.get("kind") == "image"]
    assert len(per_image) == 2 and row["psnrb"] == pytest.approx(np.mean(per_image), abs=1e-12)
    # the terminal table shows the column for this run
    assert main([*argv[:-2], "--no-progress"]) == 0
    assert "PSNR-B" in capsys.readouterr().out


def test_report_has_a_psnrb_column_only_on_boards_that_measured_it(shared_dir, tmp_path, capsys, _fresh_plugins):
    common = ["--models", "identity", "--data-root", str(shared_dir / "datasets"), "--results", str(tmp_path / "r"),
              "--limit", "1", "--json", "--no-progress"]
    rows = []
    for level in (["--dataset", "classic5", "--quality", "20"], ["--dataset", "Set12", "--sigma", "25"]):
        assert main(["run", *level, *common]) == 0
        rows += json.loads(capsys.readouterr().out)["results"]
    car, denoise = rows
    assert "psnrb" in car and "psnrb" not in denoise  # --json rows carry it only when computed
    out = tmp_path / "boards"
    write_reports(load_store(tmp_path / "r"), out, plots=False)
    car_md, set12_md = (out / "classic5.md").read_text(), (out / "Set12.md").read_text()
    assert "PSNR-B (dB)" in car_md and f"{car['psnrb']:.4f}" in car_md
    assert "PSNR-B" not in set12_md
    assert pd.read_csv(out / "classic5.csv")["psnrb"].iloc[0] == pytest.approx(car["psnrb"], abs=1e-4)
    assert "psnrb" not in pd.read_csv(out / "Set12.csv").columns
