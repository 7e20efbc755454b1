"""The numba fast path of restbench.metrics gives the torch path's numbers.

The luma conversions must be bit-identical (the papers' Y rounding is the point of each mode),
so they are compared on every one of the 2^24 RGB level triples; SSIM/PSNR to ~1e-12 (only the
summation order differs).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from restbench import metrics
from restbench.metrics import fidelity

nb = pytest.importorskip("restbench.metrics.kernels", reason="numba is not installed")


@pytest.fixture
def torch_path(monkeypatch):
    """Run restbench.metrics without numba (its OpenCV/torch path)."""

    def run(fn, *args, **kwargs):
        with monkeypatch.context() as m:
            m.setattr(fidelity, "_numba", lambda: None)
            return fn(*args, **kwargs)

    return run


def _images(shape, seed=0, noise=12.0):
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.uniform(0, 255, shape), sigma=(0, 0, 3, 3)) * 3 - 250
    gt = np.clip(base, 0, 255).round()
    out = np.clip(gt + rng.normal(0, noise, shape), 0, 255).round()
    return [torch.from_numpy(a.astype(np.float32) / np.float32(255)) for a in (out, gt)]


def test_numba_path_is_taken():
    assert fidelity._numba() is nb
    out, gt = _images((1, 3, 24, 24))
    a, b = metrics.prepare(out, gt, crop=2, y_mode="basicsr", uint8=True)
    assert a.shape == (1, 1, 20, 20) and a.dtype == torch.float64


@pytest.fixture(scope="module")
def every_rgb_triple() -> torch.Tensor:
    """All 2^24 8-bit RGB triples as a (1, 3, 4096, 4096) float32 image in [0, 1], plus a few
    off-grid values in the first row: out of range, between levels, exact halves, NaN."""
    levels = torch.arange(256, dtype=torch.float32)
    r, g, b = torch.meshgrid(levels, levels, levels, indexing="ij")
    img = (torch.stack([r, g, b]).reshape(1, 3, 4096, 4096) / 255.0).contiguous()
    odd = torch.tensor([-0.5, -1e-9, 0.0, 1e-9, 0.5 / 255, 1.5 / 255, 0.4999, 0.5, 1.0, 1.0 + 1e-7, 7.0, float("nan")])
    img[0, :, 0, : odd.numel()] = odd
    return img


@pytest.mark.parametrize("y_mode", [None, "exact", "basicsr", "basicsr-u8", "kair-u8", "matlab-u8"])
def test_levels_and_luma_bit_identical_on_every_rgb_triple(y_mode, every_rgb_triple, torch_path):
    img = every_rgb_triple
    fast = metrics.prepare(img, img, crop=0, y_mode=y_mode, uint8=True)[0]
    ref = torch_path(metrics.prepare, img, img, crop=0, y_mode=y_mode, uint8=True)[0]
    assert fast.shape == ref.shape
    assert torch.equal(fast.isnan(), ref.isnan())
    ok = ~ref.isnan()
    assert torch.equal(fast[ok], ref[ok]), f"{int((fast[ok] != ref[ok]).sum())} values differ"


@pytest.mark.parametrize("crop", [0, 3])
def test_prepare_crop_and_grey(crop, torch_path):
    out, gt = _images((2, 1, 37, 45), seed=3)
    fast = metrics.prepare(out, gt, crop=crop, y_mode="basicsr", uint8=True)
    ref = torch_path(metrics.prepare, out, gt, crop=crop, y_mode="basicsr", uint8=True)
    for f, r in zip(fast, ref):
        assert torch.equal(f, r)


@pytest.mark.parametrize(
    "flavour,channels,y_mode",
    [
        ("wang", 3, None), ("wang", 3, "basicsr"), ("wang", 1, None),
        ("skimage", 3, None), ("matlab", 1, None), ("matlab", 3, None),
    ],
)
def test_psnr_ssim_match_torch_path(flavour, channels, y_mode, torch_path):
    out, gt = _images((2, channels, 61, 77), seed=1)
    kw = dict(flavour=flavour, crop=4, y_mode=y_mode, uint8=True)
    ps, ss = metrics.psnr_ssim(out, gt, **kw)
    ps_ref, ss_ref = torch_path(metrics.psnr_ssim, out, gt, **kw)
    assert torch.allclose(ps, ps_ref, rtol=0, atol=1e-11)
    assert torch.allclose(ss, ss_ref, rtol=0, atol=1e-13)
    assert (ss < 0.999).all() and (ss > 0.3).all()  # a real comparison, not identical images


def test_ssim_rows_split_between_threads_sums_to_the_same():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 255, (700, 300))
    y = np.clip(x + rng.normal(0, 20, x.shape), 0, 255)
    g = metrics.gaussian_kernel1d().numpy()
    one = nb.ssim_mean(x, y, g, 6.5025, 58.5225, threads=1)
    two = nb.ssim_mean(x, y, g, 6.5025, 58.5225, threads=2)
    assert abs(one - two) < 1e-14
    assert 0.1 < one < 0.99


def test_ssim_kernel_rejects_what_it_cannot_compute():
    x = np.zeros((20, 20))
    with pytest.raises(ValueError, match="symmetric window of odd length"):
        nb.ssim_mean(x, x, np.array([0.2, 0.3, 0.5]), 1.0, 1.0)
    with pytest.raises(ValueError, match="smaller than the 11-tap window"):
        nb.ssim_mean(x[:8], x[:8], metrics.gaussian_kernel1d().numpy(), 1.0, 1.0)


def test_generated_kernel_module_is_written_once_under_the_cache(tmp_path, monkeypatch):
    from restbench.paths import cache_root

    files = sorted((cache_root() / "kernels").glob("ssim_k11_*.py"))
    if not files:  # no other test compiled it yet in this session
        nb.warm_up()
        files = sorted((cache_root() / "kernels").glob("ssim_k11_*.py"))
    assert len(files) == 1
    assert files[0].read_text() == nb._kernel_source(11)


def test_unwritable_cache_root_falls_back_to_a_temp_folder(monkeypatch, torch_path):
    """(Permissions cannot be tested as root, which CI is: the write itself is made to fail.)"""
    from restbench.paths import cache_root

    real_write, folders = nb._write_source, []

    def write(folder, filename, src):
        folders.append(folder)
        if folder == cache_root() / "kernels":
            raise PermissionError(13, "Permission denied", str(folder))
        return real_write(folder, filename, src)

    monkeypatch.setattr(nb, "_write_source", write)
    monkeypatch.setattr(nb, "_kernels", {})
    x = np.random.default_rng(0).uniform(0, 255, (40, 40))
    g = metrics.gaussian_kernel1d().numpy()
    y = x * 0.9 + np.random.default_rng(1).normal(0, 5, x.shape)
    val = nb.ssim_mean(x, y, g, 6.5025, 58.5225)
    ref = torch_path(fidelity._ssim_wang, torch.from_numpy(x)[None, None], torch.from_numpy(y)[None, None])
    assert val == pytest.approx(ref.item(), abs=1e-13) and 0.3 < val < 0.99
    assert len(folders) == 2 and folders[1].name.startswith("restbench-kernels-")
    assert list(folders[1].glob("ssim_k11_*.py"))


@pytest.mark.parametrize("uint8", [False, True])
def test_tensors_that_require_grad_are_scored_like_plain_ones(uint8, torch_path):
    out, gt = _images((1, 3, 30, 34), seed=4)
    kw = dict(flavour="wang", crop=2, y_mode=None, uint8=uint8)
    plain = metrics.psnr_ssim(out, gt, **kw)
    graded = metrics.psnr_ssim(out.clone().requires_grad_(True), gt, **kw)
    fallback = torch_path(metrics.psnr_ssim, out.clone().requires_grad_(True), gt, **kw)
    for got in (graded, fallback):
        assert torch.allclose(got[0], plain[0], rtol=0, atol=1e-11)
        assert torch.allclose(got[1], plain[1], rtol=0, atol=1e-13)
