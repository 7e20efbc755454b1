"""Degradations are bit-exact with what the authors' scripts do in numpy/cv2."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from restbench.protocols import degradations as D

cv2 = pytest.importorskip("cv2")


def _rgb_u8(seed=0, h=21, w=17) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _to_tensor(hwc_u8: np.ndarray) -> torch.Tensor:
    """What a loader gives: float32 uint8/255, (1, C, H, W)."""
    if hwc_u8.ndim == 2:
        hwc_u8 = hwc_u8[..., None]
    return torch.from_numpy(hwc_u8.transpose(2, 0, 1).copy())[None].float() / 255


@pytest.mark.parametrize("sigma", [15, 25, 50])
def test_gaussian_noise_equals_numpy_legacy_seed0_grey(sigma):
    img = _rgb_u8(1)[..., 0]
    x = np.float32(img / 255.0)  # KAIR uint2single
    np.random.seed(0)
    want = x + np.random.normal(0, sigma / 255.0, x.shape)
    got = D.add_gaussian_noise(_to_tensor(img), sigma)
    assert got.dtype == torch.float64
    np.testing.assert_array_equal(got[0, 0].numpy(), want)  # exact, no clipping
    assert got.min() < 0 and got.max() > 1  # not clipped


def test_gaussian_noise_rgb_layout_kair_restormer():
    img = _rgb_u8(2)  # RGB HWC as cv2 + cvtColor(BGR2RGB) gives it
    x = img.astype(np.float32) / 255.0  # Restormer: np.float32(img)/255.
    np.random.seed(0)
    x_inplace = x.copy()
    x_inplace += np.random.normal(0, 25 / 255.0, x.shape)  # in place: float32, as the script does
    np.random.seed(0)
    want = x + np.random.normal(0, 25 / 255.0, x.shape)
    got = D.add_gaussian_noise(_to_tensor(img), 25, channel_order="rgb")
    np.testing.assert_array_equal(got[0].numpy().transpose(1, 2, 0), want)
    np.testing.assert_array_equal(got.float()[0].numpy().transpose(1, 2, 0), x_inplace)


def test_gaussian_noise_bgr_layout_swinir():
    img_rgb = _rgb_u8(3)
    img_bgr = img_rgb[..., ::-1]  # cv2.imread
    gt = img_bgr.astype(np.float32) / 255.0
    np.random.seed(seed=0)
    lq_bgr = gt + np.random.normal(0, 50 / 255.0, gt.shape)
    lq_rgb = lq_bgr[:, :, [2, 1, 0]]  # process_img: HWC-BGR to RGB
    got = D.add_gaussian_noise(_to_tensor(img_rgb), 50, channel_order="bgr")
    np.testing.assert_array_equal(got[0].numpy().transpose(1, 2, 0), lq_rgb)
    rgb_draw = D.add_gaussian_noise(_to_tensor(img_rgb), 50, channel_order="rgb")
    assert not torch.equal(got, rgb_draw)  # the layout really changes which pixel gets which draw


def test_gaussian_noise_reseeds_every_image_in_a_batch():
    batch = torch.cat([_to_tensor(_rgb_u8(4)), _to_tensor(_rgb_u8(5))])
    noisy = D.add_gaussian_noise(batch, 25)
    n0 = noisy[0] - batch[0].double()
    n1 = noisy[1] - batch[1].double()
    torch.testing.assert_close(n0, n1, rtol=0, atol=1e-12)


@pytest.mark.parametrize("quality", [10, 40])
def test_jpeg_grey_equals_cv2_roundtrip(shared_dir, quality):
    grey = cv2.imread(str(shared_dir / "datasets/classic5/lena.bmp"), cv2.IMREAD_UNCHANGED)[:64, :72]
    assert grey.ndim == 2
    ok, enc = cv2.imencode(".jpg", grey, [int(cv2.IMWRITE_JPEG_QUALITY), quality])
    want = cv2.imdecode(enc, 0).astype(np.float32) / 255.0
    got = D.jpeg_compress(_to_tensor(grey), quality)
    assert got.dtype == torch.float32 and got.shape == (1, 1, 64, 72)
    np.testing.assert_array_equal(got[0, 0].numpy(), want)
    assert not np.array_equal(want, grey.astype(np.float32) / 255.0)


def test_jpeg_colour_is_encoded_in_bgr_order(shared_dir):
    rgb = np.asarray(Image.open(shared_dir / "datasets/Set5/HR/butterfly.png").convert("RGB"))[:48, :64]
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    ok, enc = cv2.imencode(".jpg", bgr, [int(cv2.IMWRITE_JPEG_QUALITY), 20])
    want_rgb = cv2.imdecode(enc, 1)[..., ::-1].astype(np.float32) / 255.0
    got = D.jpeg_compress(_to_tensor(rgb), 20)
    np.testing.assert_array_equal(got[0].numpy().transpose(1, 2, 0), want_rgb)
    # handing cv2 the RGB array would have produced a different image
    ok, enc_wrong = cv2.imencode(".jpg", np.ascontiguousarray(rgb), [int(cv2.IMWRITE_JPEG_QUALITY), 20])
    wrong = cv2.imdecode(enc_wrong, 1).astype(np.float32) / 255.0
    assert not np.array_equal(wrong, want_rgb)


def test_grey_car_input_is_swinir_y(shared_dir):
    rgb = np.asarray(Image.open(shared_dir / "datasets/Set5/HR/bird.png").convert("RGB"))[:40, :40]
    bgr = rgb[..., ::-1]
    # SwinIR util.bgr2ycbcr(uint8, y_only=True): float32 /255, dot (float64) + 16, round, uint8
    y = (np.dot(bgr.astype(np.float32) / 255.0, [24.966, 128.553, 65.481]) + 16.0).round().astype(np.uint8)
    got = D.to_grey_y(_to_tensor(rgb))
    np.testing.assert_array_equal((got[0, 0].numpy() * 255).round().astype(np.uint8), y)
    ok, enc = cv2.imencode(".jpg", y, [int(cv2.IMWRITE_JPEG_QUALITY), 30])
    want = cv2.imdecode(enc, 0).astype(np.float32) / 255.0
    np.testing.assert_array_equal(D.jpeg_compress(got, 30)[0, 0].numpy(), want)


def test_bicubic_downsample_reproduces_given_lr(shared_dir):
    hr = np.asarray(Image.open(shared_dir / "datasets/Set5/HR/head.png").convert("RGB"))
    lr = np.asarray(Image.open(shared_dir / "datasets/Set5/LR_bicubic/X4/headx4.png").convert("RGB"))
    got = D.bicubic_downsample(_to_tensor(hr), 4)
    np.testing.assert_array_equal((got[0].numpy().transpose(1, 2, 0) * 255).round().astype(np.uint8), lr)
    up = D.bicubic_upsample(got, 4)
    assert up.shape[-2:] == (lr.shape[0] * 4, lr.shape[1] * 4)
