"""Test-time degradations, bit-exact with the authors' test scripts.

Images are torch tensors ``(N, C, H, W)`` in [0, 1] holding 8-bit levels (what the dataset
loader gives: ``uint8 / 255``), RGB channel order for colour.

Gaussian noise (KAIR ``main_test_dncnn.py``, Restormer ``Denoising/test_gaussian_*.py``,
SwinIR ``main_test_swinir.py`` ``gray_dn``/``color_dn``): for *each* image the script calls
``np.random.seed(0)`` and adds ``np.random.normal(0, sigma/255, img.shape)`` to the float32
image ``uint8 / 255`` (HWC), with no clipping. The noise array is drawn in the script's memory
layout, so the layout decides which pixel gets which draw:

* KAIR and Restormer read with ``cv2`` and convert to RGB first → the draws fill H x W x 3 in
  RGB order;
* SwinIR keeps the ``cv2`` BGR image → the draws fill H x W x 3 in *BGR* order, i.e. for the RGB
  tensor the noise of channel R is the third plane of the draw: ``noise_rgb = noise_bgr[..., ::-1]``.
  (For grey images both are H x W (x 1): the same stream.)

The sum is float64 (float32 image + float64 noise); KAIR and Restormer add in place into the
float32 array and SwinIR calls ``.float()`` on the float64 sum, so all three feed the model
``float32(image + noise)``: cast the result of :func:`add_gaussian_noise` with ``.float()``.

JPEG (SwinIR ``main_test_swinir.py`` ``jpeg_car``/``color_jpeg_car``): ``cv2.imencode('.jpg',
img, [IMWRITE_JPEG_QUALITY, q])`` then ``cv2.imdecode``. Grey CAR encodes a single-channel
uint8 image; a colour file is first turned into its Y channel with SwinIR's
``bgr2ycbcr(img, y_only=True)`` (uint8, rounded) and *both* input and ground truth are that Y.
Colour CAR encodes the uint8 image in cv2's BGR order (the JPEG colour transform is not symmetric
in R and B, so handing cv2 an RGB array would give a different file), decoded with flag 1.
The encoder is whatever libjpeg the installed OpenCV wheel carries.

Bicubic SR input: MATLAB ``imresize(modcrop(HR, s), 1/s, 'bicubic')`` on the uint8 image (see
:mod:`restbench.protocols.imresize`); the released ``LR_bicubic`` x2/x3/x4 files of Set5 are reproduced
bit for bit by this.
"""

from __future__ import annotations

import numpy as np
import torch

from restbench.protocols.imresize import imresize, modcrop
from restbench.metrics.fidelity import quantize, rgb_to_y

__all__ = [
    "gaussian_noise_array",
    "add_gaussian_noise",
    "jpeg_compress",
    "to_grey_y",
    "bicubic_downsample",
    "bicubic_upsample",
]


def gaussian_noise_array(
    height: int, width: int, channels: int, sigma: float, seed: int = 0, channel_order: str = "rgb"
) -> np.ndarray:
    """The noise one script adds to one image, as a (C, H, W) float64 array in RGB plane order.

    Drawn from numpy's legacy global-RNG stream (``RandomState(seed)`` gives the same numbers as
    ``np.random.seed(seed); np.random.normal(...)`` without touching global state).
    """
    if channel_order not in ("rgb", "bgr"):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    rs = np.random.RandomState(seed)
    noise = rs.normal(0, sigma / 255.0, (height, width, channels))
    if channel_order == "bgr" and channels == 3:
        noise = noise[..., ::-1]
    return np.ascontiguousarray(noise.transpose(2, 0, 1))


def add_gaussian_noise(
    img: torch.Tensor, sigma: float, seed: int = 0, channel_order: str = "rgb"
) -> torch.Tensor:
    """``float32(img) + N(0, sigma/255)`` per image, reseeded for every image; float64, unclipped.

    ``channel_order="bgr"`` reproduces SwinIR (noise drawn for the BGR array), ``"rgb"`` KAIR
    and Restormer. Feed the model ``result.float()``, as the scripts do.
    """
    if img.dim() != 4:
        raise ValueError(f"expected (N, C, H, W), got {tuple(img.shape)}")
    n, c, h, w = img.shape
    base = img.to(torch.float32).to(torch.float64)
    noise = np.stack([gaussian_noise_array(h, w, c, sigma, seed, channel_order) for _ in range(n)])
    return base + torch.from_numpy(noise).to(base.device)


def _cv2():
    try:
        import cv2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "JPEG degradation needs OpenCV (pip install opencv-python-headless): the authors "
            "encode with cv2.imencode, and another encoder would give different files"
        ) from exc
    return cv2


def to_grey_y(img: torch.Tensor) -> torch.Tensor:
    """SwinIR's grey-CAR image from a colour one: ``bgr2ycbcr(uint8, y_only=True)`` → (N, 1, H, W) in [0, 1].

    Grey input is returned as is. Apply to the ground truth as well: SwinIR scores against this Y.
    """
    if img.shape[-3] == 1:
        return img
    return (rgb_to_y(quantize(img), "basicsr-u8") / 255.0).to(torch.float32)


def jpeg_compress(img: torch.Tensor, quality: int) -> torch.Tensor:
    """cv2 JPEG round trip at ``quality`` per image: grey as one channel, colour as BGR uint8.

    Returns float32 ``decoded_uint8 / 255`` (N, C, H, W) on the input's device.
    """
    cv2 = _cv2()
    if img.dim() != 4 or img.shape[1] not in (1, 3):
        raise ValueError(f"expected (N, 1|3, H, W), got {tuple(img.shape)}")
    levels = quantize(img).to(torch.uint8).cpu().numpy()
    out = []
    for im in levels:
        if im.shape[0] == 1:
            arr = np.ascontiguousarray(im[0])
            ok, enc = cv2.imencode(".jpg", arr, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
            dec = cv2.imdecode(enc, 0)[None]
        else:
            arr = np.ascontiguousarray(im[::-1].transpose(1, 2, 0))  # RGB planes -> HWC BGR
            ok, enc = cv2.imencode(".jpg", arr, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
            dec = cv2.imdecode(enc, 1).transpose(2, 0, 1)[::-1]  # HWC BGR -> RGB planes
        if not ok:
            raise RuntimeError("cv2.imencode failed")
        out.append(np.ascontiguousarray(dec))
    return torch.from_numpy(np.stack(out)).to(torch.float32).div(255.0).to(img.device)


def bicubic_downsample(hr: torch.Tensor, scale: int) -> torch.Tensor:
    """LR input as the SR test sets were made: modcrop, MATLAB bicubic ``1/scale`` on uint8; [0, 1] float32."""
    levels = quantize(modcrop(hr, scale)).to(torch.uint8)
    return imresize(levels, 1.0 / scale).to(torch.float32) / 255.0


def bicubic_upsample(lr: torch.Tensor, scale: int) -> torch.Tensor:
    """The bicubic baseline: MATLAB ``imresize(lr_uint8, scale, 'bicubic')``; [0, 1] float32."""
    levels = quantize(lr).to(torch.uint8)
    return imresize(levels, float(scale)).to(torch.float32) / 255.0
