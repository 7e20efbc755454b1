"""PSNR and SSIM exactly as the papers' evaluation scripts compute them, on torch tensors.

Everything takes batched tensors ``(N, C, H, W)`` with values in [0, 1] on any device and
returns one float64 value per image, shape ``(N,)``. Internally images are moved to the
[0, 255] scale in float64 (what the numpy/MATLAB references use), so a GPU run is the same code
with tensors on another device.

Choices that change the numbers, and where they come from:

``uint8``
    Round to 8-bit levels first, as every script that saves PNGs does: ``clamp(0, 1) * 255`` in
    the tensor's own dtype (float32 for model outputs: KAIR ``tensor2uint``, SwinIR
    ``(output * 255.0).round()``, skimage ``img_as_ubyte`` all multiply in float32), then round
    half to even (numpy ``round``/``rint``).
``y_mode`` (luma, ITU-R BT.601 studio swing: Y = 16 + 65.481 R + 128.553 G + 24.966 B, RGB in [0,1])
    ``"exact"`` float64, unrounded.
    ``"basicsr"`` BasicSR ``metric_util.to_y_channel`` / SwinIR ``util_calculate_psnr_ssim``:
    the image goes through float32 (``img.astype(np.float32) / 255.``, ``bgr2ycbcr`` divides by
    255 and casts back to float32, then ``* 255.`` in float32), so Y carries float32 rounding.
    ``"basicsr-u8"`` SwinIR/BasicSR ``bgr2ycbcr(uint8_img, y_only=True)``: as above, rounded
    half-to-even to uint8 (used for the grey JPEG test images).
    ``"kair-u8"`` KAIR ``utils_image.rgb2ycbcr(uint8_img, only_y=True)``: float64
    ``dot(img, coeffs) / 255 + 16`` rounded half-to-even.
    ``"matlab-u8"`` MATLAB ``rgb2ycbcr`` on uint8: ``imlincomb`` in double with coefficients
    pre-divided by 255, rounded half away from zero.
    A single-channel image is used as it is (all the scripts do this).
``flavour`` of SSIM
    ``"wang"`` Wang et al. 2004 ``ssim_index.m`` = BasicSR/KAIR/SwinIR ``_ssim``: 11x11
    Gaussian, sigma 1.5, 'valid' region, C1 = (0.01*255)^2, C2 = (0.03*255)^2, population
    statistics; mean over the map of each channel, then over channels.
    ``"matlab"`` MATLAB built-in ``ssim`` (R2014a+): Gaussian with sigma 1.5 and filter size
    2*ceil(3*sigma)+1 = 11 in *every* dimension of the array, 'replicate' padding, same-size
    map, mean over all of it. An RGB image is an H x W x 3 volume, so the filter is 11x11x11 and
    mixes the colour channels (the channel axis is replicate-padded too); a grey image gets the
    2-D 11x11 filter. Constants from the class's dynamic range (255 for uint8, 1 for float).
    ``"skimage"`` scikit-image ``structural_similarity`` defaults: 7x7 uniform window, sample
    covariance (N/(N-1)), per channel then mean, map cropped by (win-1)//2, constants from
    ``data_range`` (give it explicitly; old skimage silently used 2.0 for float images).

restbench's own metrics never import pyiqa (licence); :func:`pyiqa_score` is an optional
cross-check helper only.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F

__all__ = [
    "Y_MODES",
    "SSIM_FLAVOURS",
    "quantize",
    "rgb_to_y",
    "prepare",
    "psnr",
    "ssim",
    "gaussian_kernel1d",
    "pyiqa_score",
]

Y_MODES = ("exact", "basicsr", "basicsr-u8", "kair-u8", "matlab-u8")
SSIM_FLAVOURS = ("wang", "matlab", "skimage")
_COEFF_RGB = (65.481, 128.553, 24.966)


def _check_pair(output: torch.Tensor, target: torch.Tensor) -> None:
    if output.dim() != 4 or target.dim() != 4:
        raise ValueError(
            f"metrics take batched (N, C, H, W) tensors, got {tuple(output.shape)} and {tuple(target.shape)}"
        )
    if output.shape != target.shape:
        raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} differ in shape")


def quantize(img: torch.Tensor) -> torch.Tensor:
    """8-bit levels 0..255 as float64: clamp to [0, 1], ``* 255`` in the input dtype, round half-even."""
    if not img.is_floating_point():
        return img.to(torch.float64)
    return (img.clamp(0, 1) * 255).round().to(torch.float64)


def _round_half_away(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def rgb_to_y(levels: torch.Tensor, mode: str = "exact") -> torch.Tensor:
    """BT.601 luma of RGB ``levels`` (N, 3, H, W) on the [0, 255] scale → (N, 1, H, W) float64 in [0, 255].

    ``mode`` picks whose implementation (and so whose rounding) to reproduce; see the module
    docstring. Single-channel input is returned unchanged (as float64).
    """
    if mode not in Y_MODES:
        raise ValueError(f"unknown y_mode {mode!r}; choose from {', '.join(Y_MODES)}")
    if levels.shape[-3] == 1:
        return levels.to(torch.float64)
    if levels.shape[-3] != 3:
        raise ValueError(f"Y needs 1 or 3 channels, got {levels.shape[-3]}")
    v = levels.to(torch.float64)
    r, g, b = v[:, 0:1], v[:, 1:2], v[:, 2:3]
    cr, cg, cb = _COEFF_RGB
    if mode == "exact":
        return 16.0 + (cr * r + cg * g + cb * b) / 255.0
    if mode in ("basicsr", "basicsr-u8"):
        # img.astype(float32) / 255. ; np.dot(BGR, [24.966, 128.553, 65.481]) is float64
        r32, g32, b32 = (c.to(torch.float32) / 255.0 for c in (r, g, b))
        y64 = b32.double() * cb + g32.double() * cg + r32.double() * cr + 16.0
        if mode == "basicsr-u8":
            return y64.round()
        y32 = (y64 / 255.0).to(torch.float32)  # _convert_output_type_range: /255, astype(float32)
        return (y32 * 255.0).to(torch.float64)  # to_y_channel: `* 255.` on a float32 array
    if mode == "kair-u8":
        return ((r * cr + g * cg + b * cb) / 255.0 + 16.0).round()
    # MATLAB rgb2ycbcr(uint8): T = origT / 255, imlincomb(T1, R, T2, G, T3, B, 16) in double
    y = (cr / 255.0) * r + (cg / 255.0) * g + (cb / 255.0) * b + 16.0
    return _round_half_away(y).clamp(0, 255)


def prepare(
    output: torch.Tensor,
    target: torch.Tensor,
    crop: int = 0,
    y_mode: str | None = None,
    uint8: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Crop the border, optionally round to uint8 levels and take Y: both on the [0, 255] scale, float64."""
    _check_pair(output, target)
    if crop < 0:
        raise ValueError(f"crop must be >= 0, got {crop}")
    if crop:
        h, w = output.shape[-2:]
        if 2 * crop >= min(h, w):
            raise ValueError(f"crop {crop} leaves nothing of a {h}x{w} image")
        output = output[..., crop:-crop, crop:-crop]
        target = target[..., crop:-crop, crop:-crop]
    if uint8:
        a, b = quantize(output), quantize(target)
    else:
        a = output.to(torch.float64).clamp(0, 1) * 255.0
        b = target.to(torch.float64).clamp(0, 1) * 255.0
    if y_mode is not None:
        a, b = rgb_to_y(a, y_mode), rgb_to_y(b, y_mode)
    return a, b


def psnr(
    output: torch.Tensor,
    target: torch.Tensor,
    crop: int = 0,
    y_mode: str | None = None,
    uint8: bool = False,
) -> torch.Tensor:
    """Per-image PSNR in dB, ``10 log10(255^2 / MSE)`` over all channels and pixels (inf if equal)."""
    a, b = prepare(output, target, crop, y_mode, uint8)
    mse = ((a - b) ** 2).mean(dim=(1, 2, 3))
    return 10.0 * torch.log10(255.0**2 / mse)


def gaussian_kernel1d(sigma: float = 1.5, radius: int = 5, dtype=torch.float64, device=None) -> torch.Tensor:
    """Normalised 1-D Gaussian; its outer product is ``fspecial('gaussian', 2r+1, sigma)``."""
    x = torch.arange(-radius, radius + 1, dtype=torch.float64, device=device)
    g = torch.exp(-(x * x) / (2 * sigma * sigma))
    return (g / g.sum()).to(dtype)


def _corr_valid(x: torch.Tensor, taps: torch.Tensor, dim: int) -> torch.Tensor:
    """'valid' 1-D correlation along ``dim`` by shift-and-accumulate.

    On CPU in float64 this beats ``conv2d`` (which has no fast float64 path) by ~1.7x; on a GPU it
    is a handful of fused elementwise kernels.
    """
    k = taps.numel()
    n = x.shape[dim] - k + 1
    if n <= 0:
        raise ValueError(f"image side {x.shape[dim]} is smaller than the {k}-tap window")
    w = taps.tolist()
    out = x.narrow(dim, 0, n) * w[0]
    for i in range(1, k):
        out.add_(x.narrow(dim, i, n), alpha=w[i])
    return out


def _stats(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Stack x, y, x² + y², xy along a new dim 1: (N, 4, C, H, W).

    SSIM only ever uses sigma_x² + sigma_y², so E[x²] and E[y²] are filtered as one map: four
    filtered maps instead of five, same values up to float64 rounding.
    """
    return torch.stack((a, b, a * a + b * b, a * b), dim=1)


def _ssim_map(mu1, mu2, e_sq, e12, c1, c2, cov_norm: float = 1.0) -> torch.Tensor:
    mu11, mu22, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    s_sq = (e_sq - mu11 - mu22) * cov_norm
    s12 = (e12 - mu12) * cov_norm
    return ((2 * mu12 + c1) * (2 * s12 + c2)) / ((mu11 + mu22 + c1) * (s_sq + c2))


def _filter2d_valid(st: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    n, k, c, h, w = st.shape
    flat = st.reshape(n, k * c, h, w)
    flat = _corr_valid(_corr_valid(flat, taps, -2), taps, -1)
    return flat.reshape(n, k, c, *flat.shape[-2:])


def _ssim_wang(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    g = gaussian_kernel1d(1.5, 5, device=a.device)
    f = _filter2d_valid(_stats(a, b), g)
    m = _ssim_map(*f.unbind(1), (0.01 * 255) ** 2, (0.03 * 255) ** 2)
    return m.mean(dim=(1, 2, 3))


def _channel_mix(c: int, taps: torch.Tensor) -> torch.Tensor:
    """(C, C) matrix applying ``taps`` along the channel axis with replicate padding."""
    r = (taps.numel() - 1) // 2
    mix = torch.zeros(c, c, dtype=taps.dtype, device=taps.device)
    for i in range(c):
        for k, wk in enumerate(taps.tolist()):
            j = min(max(i + k - r, 0), c - 1)
            mix[i, j] += wk
    return mix


def _ssim_matlab(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    sigma = 1.5
    r = math.ceil(3 * sigma)
    g = gaussian_kernel1d(sigma, r, device=a.device)
    st = _stats(a, b)
    n, k, c, h, w = st.shape
    padded = F.pad(st.reshape(n, k * c, h, w), (r, r, r, r), mode="replicate")
    f = _filter2d_valid(padded.reshape(n, k, c, h + 2 * r, w + 2 * r), g)
    if c > 1:  # the array is 3-D: filter along the channel axis too
        f = torch.einsum("ij,nfjhw->nfihw", _channel_mix(c, g), f)
    m = _ssim_map(*f.unbind(1), (0.01 * 255) ** 2, (0.03 * 255) ** 2)
    return m.mean(dim=(1, 2, 3))


def _ssim_skimage(a: torch.Tensor, b: torch.Tensor, data_range: float, win_size: int) -> torch.Tensor:
    if win_size % 2 != 1:
        raise ValueError("win_size must be odd")
    a, b = a / 255.0, b / 255.0  # skimage sees the [0, 1] float images
    taps = torch.full((win_size,), 1.0 / win_size, dtype=torch.float64, device=a.device)
    f = _filter2d_valid(_stats(a, b), taps)
    npix = win_size * win_size
    m = _ssim_map(*f.unbind(1), (0.01 * data_range) ** 2, (0.03 * data_range) ** 2, npix / (npix - 1))
    return m.mean(dim=(2, 3)).mean(dim=1)


def ssim(
    output: torch.Tensor,
    target: torch.Tensor,
    flavour: Literal["wang", "matlab", "skimage"] = "wang",
    crop: int = 0,
    y_mode: str | None = None,
    uint8: bool = False,
    data_range: float = 1.0,
    win_size: int = 7,
) -> torch.Tensor:
    """Per-image SSIM (N,) in one of the flavours the papers use (see module docstring).

    ``data_range`` and ``win_size`` only apply to ``"skimage"`` (images are in [0, 1] there).
    """
    a, b = prepare(output, target, crop, y_mode, uint8)
    if flavour == "wang":
        return _ssim_wang(a, b)
    if flavour == "matlab":
        return _ssim_matlab(a, b)
    if flavour == "skimage":
        return _ssim_skimage(a, b, data_range, win_size)
    raise ValueError(f"unknown SSIM flavour {flavour!r}; choose from {', '.join(SSIM_FLAVOURS)}")


def pyiqa_score(metric: str, output: torch.Tensor, target: torch.Tensor, **options) -> torch.Tensor:
    """Cross-check with pyiqa (optional dependency): ``pyiqa.create_metric(metric, **options)``.

    pyiqa's defaults differ from the papers' (e.g. ``ssim`` works on Y of YIQ with no border
    crop); pass options such as ``test_y_channel``/``crop_border`` to compare like with like.
    """
    try:
        import pyiqa
    except Exception as exc:  # ImportError, or a broken optional dependency tree
        raise RuntimeError(
            "pyiqa is not available (pip install pyiqa); restbench's own PSNR/SSIM do not need it"
        ) from exc
    fn = pyiqa.create_metric(metric, device=output.device, as_loss=False, **options)
    with torch.no_grad():
        return fn(output, target).reshape(-1).to(torch.float64)
