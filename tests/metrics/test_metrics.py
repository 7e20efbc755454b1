"""PSNR/SSIM flavours against independent references (scikit-image, scipy, numpy + cv2)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from restbench import metrics

cv2 = pytest.importorskip("cv2")


def _pair(seed: int = 0, shape=(2, 3, 40, 52), sigma=12.0):
    """uint8-valued target and a noisy, clipped, rounded output, both as float32 in [0, 1]."""
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.uniform(0, 255, shape), sigma=(0, 0, 3, 3)) * 3 - 250
    gt = np.clip(base, 0, 255).round()
    out = np.clip(gt + rng.normal(0, sigma, shape), 0, 255).round()
    to_t = lambda a: torch.from_numpy(a.astype(np.float32) / np.float32(255))  # noqa: E731
    return to_t(out), to_t(gt), out.astype(np.uint8), gt.astype(np.uint8)


def _hwc(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.transpose(1, 2, 0))


# --- references written from the papers' code semantics, in numpy ---------------------------


def ref_ssim_wang_channel(img1: np.ndarray, img2: np.ndarray) -> float:
    """BasicSR/KAIR `_ssim`: cv2.filter2D with the 11x11 Gaussian, 'valid' crop, [0, 255] float64."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = cv2.getGaussianKernel(11, 1.5)
    win = np.outer(k, k.T)
    f = lambda x: cv2.filter2D(x, -1, win)[5:-5, 5:-5]  # noqa: E731
    mu1, mu2 = f(img1), f(img2)
    s11 = f(img1 * img1) - mu1**2
    s22 = f(img2 * img2) - mu2**2
    s12 = f(img1 * img2) - mu1 * mu2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s11 + s22 + c2))
    return float(m.mean())


def ref_y_basicsr(img_rgb_u8: np.ndarray) -> np.ndarray:
    """BasicSR metric_util.to_y_channel on the BGR image (float32 path), HWC → HW float32."""
    bgr = img_rgb_u8[..., ::-1].astype(np.float64)
    x = bgr.astype(np.float32) / 255.0
    y = np.dot(x, [24.966, 128.553, 65.481]) + 16.0
    y = (y / 255.0).astype(np.float32)
    return y * 255.0


def ref_ssim_matlab(img1: np.ndarray, img2: np.ndarray) -> float:
    """MATLAB built-in ssim as documented: Gaussian sigma 1.5, 11 taps in every dimension of the
    array, replicate ('nearest') padding, same-size map, mean. 3-D kernel built directly."""
    r = 5
    nd = img1.ndim
    grids = np.meshgrid(*([np.arange(-r, r + 1)] * nd), indexing="ij")
    kern = np.exp(-sum(g.astype(np.float64) ** 2 for g in grids) / (2 * 1.5**2))
    kern /= kern.sum()
    f = lambda x: ndimage.correlate(x, kern, mode="nearest")  # noqa: E731
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu1, mu2 = f(img1), f(img2)
    s11 = f(img1 * img1) - mu1**2
    s22 = f(img2 * img2) - mu2**2
    s12 = f(img1 * img2) - mu1 * mu2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s11 + s22 + c2))
    return float(m.mean())


# --- PSNR ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("crop", [0, 3])
def test_psnr_matches_skimage(crop):
    out, gt, out8, gt8 = _pair()
    got = metrics.psnr(out, gt, crop=crop, uint8=True)
    sl = (slice(None), slice(crop, -crop or None), slice(crop, -crop or None))
    want = [peak_signal_noise_ratio(g[sl], o[sl], data_range=255) for o, g in zip(out8, gt8)]
    assert got.dtype == torch.float64 and got.shape == (2,)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-10)


def test_psnr_float_protocol_matches_restormer_formula():
    rng = np.random.default_rng(1)
    gt = rng.integers(0, 256, (1, 3, 24, 20)).astype(np.float32) / np.float32(255)
    out = np.clip(gt + rng.normal(0, 0.05, gt.shape).astype(np.float32), 0, 1)
    got = metrics.psnr(torch.from_numpy(out), torch.from_numpy(gt), uint8=False).item()
    mse = np.mean((out.astype(np.float64) - gt) ** 2)
    assert got == pytest.approx(10 * np.log10(1 / mse), abs=1e-9)


def test_psnr_identical_is_inf_and_uint8_rounding_matters():
    _, gt, _, _ = _pair()
    assert torch.isinf(metrics.psnr(gt, gt, uint8=True)).all()
    shifted = gt + 0.4 / 255  # rounds back onto gt's levels
    assert torch.isinf(metrics.psnr(shifted, gt, uint8=True)).all()
    assert torch.isfinite(metrics.psnr(shifted, gt, uint8=False)).all()


def test_psnr_y_matches_basicsr_reference():
    out, gt, out8, gt8 = _pair(2)
    got = metrics.psnr(out, gt, crop=4, y_mode="basicsr", uint8=True)
    for i in range(2):
        a = ref_y_basicsr(_hwc(out8[i]))[4:-4, 4:-4].astype(np.float64)
        b = ref_y_basicsr(_hwc(gt8[i]))[4:-4, 4:-4].astype(np.float64)
        want = 10 * np.log10(255.0**2 / np.mean((a - b) ** 2))
        assert got[i].item() == pytest.approx(want, abs=1e-9)


# --- colour conversion --------------------------------------------------------------------------


def test_rgb_to_y_modes_against_numpy():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (1, 3, 16, 16)).astype(np.float64)
    hwc = _hwc(rgb[0]).astype(np.uint8)
    t = torch.from_numpy(rgb)
    # BasicSR float32 path: bit-exact
    np.testing.assert_array_equal(metrics.rgb_to_y(t, "basicsr")[0, 0].numpy(), ref_y_basicsr(hwc))
    # KAIR rgb2ycbcr(uint8): dot / 255 + 16, numpy round
    kair = (np.dot(hwc.astype(np.float64), [65.481, 128.553, 24.966]) / 255.0 + 16.0).round()
    np.testing.assert_array_equal(metrics.rgb_to_y(t, "kair-u8")[0, 0].numpy(), kair)
    # MATLAB: round half away from zero of the same quantity; exact float64 Y within 0.5 of both
    exact = metrics.rgb_to_y(t, "exact")[0, 0].numpy()
    np.testing.assert_allclose(exact, np.dot(hwc, [65.481, 128.553, 24.966]) / 255 + 16, atol=1e-12)
    assert np.abs(metrics.rgb_to_y(t, "matlab-u8")[0, 0].numpy() - exact).max() <= 0.5
    assert exact.min() >= 16 and exact.max() <= 235
    # grey passes through
    g = torch.rand(1, 1, 4, 4, dtype=torch.float64) * 255
    assert torch.equal(metrics.rgb_to_y(g, "basicsr"), g)
    with pytest.raises(ValueError, match="y_mode"):
        metrics.rgb_to_y(t, "yiq")


# --- SSIM ---------------------------------------------------------------------------------------


def test_ssim_wang_matches_basicsr_cv2_reference_rgb_and_y():
    out, gt, out8, gt8 = _pair(4)
    got = metrics.ssim(out, gt, "wang", uint8=True)
    got_y = metrics.ssim(out, gt, "wang", crop=2, y_mode="basicsr", uint8=True)
    for i in range(2):
        a, b = _hwc(out8[i]).astype(np.float64), _hwc(gt8[i]).astype(np.float64)
        want = np.mean([ref_ssim_wang_channel(a[..., c], b[..., c]) for c in range(3)])
        assert abs(got[i].item() - want) < 1e-10
        ya = ref_y_basicsr(_hwc(out8[i]))[2:-2, 2:-2].astype(np.float64)
        yb = ref_y_basicsr(_hwc(gt8[i]))[2:-2, 2:-2].astype(np.float64)
        assert abs(got_y[i].item() - ref_ssim_wang_channel(ya, yb)) < 1e-10
    assert 0.3 < float(got.min()) < 0.99  # a real, non-trivial score


def test_ssim_wang_matches_skimage_gaussian_options():
    out, gt, out8, gt8 = _pair(5, shape=(1, 1, 37, 45))
    got = metrics.ssim(out, gt, "wang", uint8=True).item()
    want = structural_similarity(
        out8[0, 0].astype(np.float64), gt8[0, 0].astype(np.float64),
        gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255,
    )
    assert got == pytest.approx(want, abs=1e-10)


@pytest.mark.parametrize("data_range", [1.0, 2.0])
def test_ssim_skimage_flavour_matches_skimage(data_range):
    rng = np.random.default_rng(6)
    gt = rng.integers(0, 256, (1, 3, 30, 33)).astype(np.float32) / np.float32(255)
    out = np.clip(gt + rng.normal(0, 0.04, gt.shape).astype(np.float32), 0, 1)
    got = metrics.ssim(torch.from_numpy(out), torch.from_numpy(gt), "skimage", data_range=data_range)
    want = structural_similarity(
        _hwc(out[0]).astype(np.float64), _hwc(gt[0]).astype(np.float64),
        channel_axis=2, data_range=data_range,
    )
    assert got.item() == pytest.approx(want, abs=1e-10)


@pytest.mark.parametrize("channels", [1, 3])
def test_ssim_matlab_matches_volume_reference(channels):
    out, gt, out8, gt8 = _pair(7, shape=(1, channels, 26, 30))
    got = metrics.ssim(out, gt, "matlab", uint8=True).item()
    a, b = out8[0].astype(np.float64), gt8[0].astype(np.float64)
    if channels == 1:
        want = ref_ssim_matlab(a[0], b[0])
    else:  # MATLAB sees H x W x 3
        want = ref_ssim_matlab(_hwc(a), _hwc(b))
    assert got == pytest.approx(want, abs=1e-10)
    if channels == 3:  # the 3-D filter mixes channels: differs from per-channel 2-D SSIM
        per_channel = np.mean([ref_ssim_matlab(a[c], b[c]) for c in range(3)])
        assert abs(got - per_channel) > 1e-4


def test_ssim_identical_is_one_and_batch_equals_single_calls():
    out, gt, _, _ = _pair(8)
    for flavour in metrics.SSIM_FLAVOURS:
        ones = metrics.ssim(gt, gt, flavour, uint8=True)
        torch.testing.assert_close(ones, torch.ones(2, dtype=torch.float64))
        batch = metrics.ssim(out, gt, flavour, uint8=True)
        single = torch.cat([metrics.ssim(out[i : i + 1], gt[i : i + 1], flavour, uint8=True) for i in range(2)])
        torch.testing.assert_close(batch, single, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="flavour"):
        metrics.ssim(out, gt, "ms-ssim")


def test_device_argument_follows_the_tensors():
    """The GPU path is the same code; here it runs on CPU with explicit device placement."""
    out, gt, _, _ = _pair(9)
    dev = torch.device("cpu")
    p = metrics.psnr(out.to(dev), gt.to(dev), crop=2, y_mode="basicsr", uint8=True)
    s = metrics.ssim(out.to(dev), gt.to(dev), "matlab", uint8=True)
    assert p.device == dev and s.device == dev and p.dtype == s.dtype == torch.float64


def test_shape_errors_are_clear():
    a = torch.rand(1, 3, 20, 20)
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.psnr(a, torch.rand(1, 3, 20, 21))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        metrics.psnr(a[0], a[0])
    with pytest.raises(ValueError, match="crop"):
        metrics.psnr(a, a, crop=10)
    with pytest.raises(ValueError, match="window"):
        metrics.ssim(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8), "wang")


def test_pyiqa_cross_check_agrees_on_rgb_psnr():
    pytest.importorskip("pyiqa")
    out, gt, _, _ = _pair(10)
    theirs = metrics.pyiqa_score("psnr", out.double(), gt.double())
    ours = metrics.psnr(out, gt, uint8=False)
    torch.testing.assert_close(theirs.cpu(), ours, rtol=0, atol=1e-4)


def test_pyiqa_missing_gives_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyiqa", None)
    with pytest.raises(RuntimeError, match="pyiqa is not available"):
        metrics.pyiqa_score("psnr", torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
