"""PSNR, SSIM and PSNR-B exactly as the papers' evaluation scripts compute them, on torch tensors.

Everything takes batched tensors ``(N, C, H, W)`` with values in [0, 1] on any device and
returns one float64 value per image, shape ``(N,)``. Internally images are moved to the
[0, 255] scale in float64 (what the numpy/MATLAB references use), so a GPU run is the same code
with tensors on another device. On CPU, numba kernels (:mod:`restbench.metrics.kernels`) do the
8-bit rounding + luma (bit-identical), the SSIM statistics and map (fused, float64) and the PSNR
sum; without numba the same formulas run through OpenCV's separable float64 filter or torch.

Speed (``benchmarks/run.py metrics``): float64 is needed — float32 statistics, even mean-centred,
move the per-image SSIM by ~1.5e-6. The numba path is 11–17x BasicSR's numpy/cv2 reference;
:func:`psnr_ssim` prepares the images once for both metrics.

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

PSNR-B (:func:`psnrb`, the JPEG artefact-removal metric of SwinIR's tables) is PSNR with the
output's blocking-effect factor added to the MSE; see :func:`blocking_effect_factor` for the
formula and a quirk of its denominators that restbench keeps on purpose.

restbench's own metrics never import pyiqa (licence); :func:`pyiqa_score` is an optional
cross-check helper only.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from typing import Literal

import numpy as np
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
    "psnr_ssim",
    "scores",
    "blocking_effect_factor",
    "psnrb",
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


def _levels(img: torch.Tensor) -> torch.Tensor:
    """8-bit levels in ``img``'s own float dtype: clamp, ``* 255``, round half-even (one new tensor)."""
    return img.clamp(0, 1).mul_(255).round_()


def quantize(img: torch.Tensor) -> torch.Tensor:
    """8-bit levels 0..255 as float64: clamp to [0, 1], ``* 255`` in the input dtype, round half-even."""
    if not img.is_floating_point():
        return img.to(torch.float64)
    return _levels(img).to(torch.float64)


def _round_half_away(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def rgb_to_y(levels: torch.Tensor, mode: str = "exact") -> torch.Tensor:
    """BT.601 luma of RGB ``levels`` (N, 3, H, W) on the [0, 255] scale → (N, 1, H, W) float64 in [0, 255].

    ``mode`` picks whose implementation (and so whose rounding) to reproduce; see the module
    docstring. Single-channel input is returned unchanged (as float64). ``levels`` may be any
    float dtype that holds them exactly (float32 8-bit levels skip a float64 round trip).
    """
    if mode not in Y_MODES:
        raise ValueError(f"unknown y_mode {mode!r}; choose from {', '.join(Y_MODES)}")
    if levels.shape[-3] == 1:
        return levels.to(torch.float64)
    if levels.shape[-3] != 3:
        raise ValueError(f"Y needs 1 or 3 channels, got {levels.shape[-3]}")
    cr, cg, cb = _COEFF_RGB
    if mode in ("basicsr", "basicsr-u8"):
        # img.astype(float32) / 255. ; np.dot(BGR, [24.966, 128.553, 65.481]) in float64, i.e.
        # ((B*cb + G*cg) + R*cr) + 16 with each product rounded: written as separate in-place
        # steps (no fused multiply-add, which would round differently).
        v = (levels.to(torch.float32) / 255.0).to(torch.float64)
        y = v[:, 2:3] * cb
        t = v[:, 1:2] * cg
        y += t
        torch.mul(v[:, 0:1], cr, out=t)
        y += t
        y += 16.0
        if mode == "basicsr-u8":
            return y.round_()
        y /= 255.0  # _convert_output_type_range: /255, astype(float32)
        y32 = y.to(torch.float32)
        y32 *= 255.0  # to_y_channel: `* 255.` on a float32 array
        return y32.to(torch.float64)
    v = levels.to(torch.float64)
    r, g, b = v[:, 0:1], v[:, 1:2], v[:, 2:3]
    if mode == "exact":
        return 16.0 + (cr * r + cg * g + cb * b) / 255.0
    if mode == "kair-u8":
        return ((r * cr + g * cg + b * cb) / 255.0 + 16.0).round()
    # MATLAB rgb2ycbcr(uint8): T = origT / 255, imlincomb(T1, R, T2, G, T3, B, 16) in double
    y = (cr / 255.0) * r + (cg / 255.0) * g + (cb / 255.0) * b + 16.0
    return _round_half_away(y).clamp(0, 255)


def _on_scale(img: torch.Tensor, y_mode: str | None, uint8: bool) -> torch.Tensor:
    """One image batch on the [0, 255] scale as float64 (Y if asked), with as few passes as possible."""
    if uint8:
        lv = _levels(img) if img.is_floating_point() else img
        return rgb_to_y(lv, y_mode) if y_mode is not None else lv.to(torch.float64)
    v = img.to(torch.float64).clamp(0, 1).mul_(255.0)
    return rgb_to_y(v, y_mode) if y_mode is not None else v


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
    if y_mode is not None and y_mode not in Y_MODES:
        raise ValueError(f"unknown y_mode {y_mode!r}; choose from {', '.join(Y_MODES)}")
    h, w = output.shape[-2:]
    if crop and 2 * crop >= min(h, w):
        raise ValueError(f"crop {crop} leaves nothing of a {h}x{w} image")
    fast = _prepare_numba(output, target, crop, y_mode) if uint8 else None
    if fast is not None:
        return fast
    if crop:
        output = output[..., crop:-crop, crop:-crop]
        target = target[..., crop:-crop, crop:-crop]
    return _on_scale(output, y_mode, uint8), _on_scale(target, y_mode, uint8)


def _prepare_numba(
    output: torch.Tensor, target: torch.Tensor, crop: int, y_mode: str | None
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """:func:`prepare` with ``uint8=True`` in one numba pass per image (CPU float32 only), else None.

    Bit-identical to the torch path (same operations in the same order; tests compare every
    RGB level triple), about 5x faster on a Y protocol.
    """
    nb = _numba()
    if nb is None or any(t.device.type != "cpu" or t.dtype != torch.float32 for t in (output, target)):
        return None
    n, c, h, w = output.shape
    mode = 0 if y_mode is None or c == 1 else nb.Y_MODE_CODES[y_mode]
    if mode and c != 3:
        return None  # the torch path raises the explanatory error
    hh, ww = h - 2 * crop, w - 2 * crop
    res = []
    for t in (output, target):
        out = np.empty((n, c if mode == 0 else 1, hh, ww))
        nb.levels_planes(np.ascontiguousarray(t.detach().numpy()), crop, crop, hh, ww, mode, out)
        res.append(torch.from_numpy(out))
    return res[0], res[1]


def _psnr_levels(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    nb = _numba() if a.device.type == "cpu" and a.dtype == b.dtype == torch.float64 else None
    if nb is not None:
        a, b = a.detach().contiguous().numpy(), b.detach().contiguous().numpy()
        mse = torch.tensor([nb.sq_diff_sum(a[i], b[i]) / a[i].size for i in range(a.shape[0])], dtype=torch.float64)
        return 10.0 * torch.log10(255.0**2 / mse)
    d = a - b
    mse = d.mul_(d).mean(dim=(1, 2, 3))  # torch's cascade sum: as accurate as numpy's pairwise one
    return 10.0 * torch.log10(255.0**2 / mse)


def psnr(
    output: torch.Tensor,
    target: torch.Tensor,
    crop: int = 0,
    y_mode: str | None = None,
    uint8: bool = False,
) -> torch.Tensor:
    """Per-image PSNR in dB, ``10 log10(255^2 / MSE)`` over all channels and pixels (inf if equal)."""
    return _psnr_levels(*prepare(output, target, crop, y_mode, uint8))


_BEF_BLOCK = 8  # JPEG's DCT block side


def _bef_pair_counts(h: int, w: int, block: int = _BEF_BLOCK) -> tuple[int, int]:
    """(boundary, non-boundary) neighbour-pair counts as SwinIR's formula states them.

    They are right only when ``h`` and ``w`` are multiples of ``block`` (see
    :func:`blocking_effect_factor`).
    """
    boundary = h * (w // block - 1) + w * (h // block - 1)
    return boundary, h * (w - 1) + w * (h - 1) - boundary


def _neighbour_sq_diffs(img: torch.Tensor, dim: int, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Sums over (H, W) of squared differences between neighbours along ``dim``: (at block edges, elsewhere).

    Pair ``j`` is pixels ``j`` and ``j + 1``; it lies on a block edge when ``j % block == block - 1``
    (SwinIR: ``torch.arange(7, n - 1, 8)``; every other ``j < n - 1`` is a non-edge pair).
    """
    n = img.shape[dim]
    d = img.narrow(dim, 1, n - 1) - img.narrow(dim, 0, n - 1)
    d = d.mul_(d)
    shape = [1] * d.dim()
    shape[dim] = n - 1
    edge = (torch.arange(n - 1, device=img.device) % block == block - 1).view(shape).to(d.dtype)
    at_edge = (d * edge).sum(dim=(-2, -1))
    return at_edge, (d * (1 - edge)).sum(dim=(-2, -1))


def blocking_effect_factor(img: torch.Tensor, block: int = _BEF_BLOCK) -> torch.Tensor:
    """Blocking-effect factor (Yim & Bovik 2011) of ``img`` (N, C, H, W) per image and channel → (N, C).

    As SwinIR ``utils/util_calculate_psnr_ssim.py`` ``_blocking_effect_factor`` (itself from
    QGAC's ``metrics/psnrb.py``): the mean squared neighbour difference across 8x8 block edges
    (columns and rows together) minus the mean elsewhere, times ``log2(8) / log2(min(H, W))``,
    and 0 when the edge mean is not larger. ``img`` is on whatever scale the caller wants BEF
    on (PSNR-B uses [0, 1]).

    Quirk kept on purpose: the sums run over the pairs that exist (edge pairs
    ``j = 7, 15, … < n - 1``), but the two means divide by counts from a formula,
    ``H * (W // 8 - 1) + W * (H // 8 - 1)`` edge pairs and all pairs minus that. When a side is
    not a multiple of 8 the edge sum has one more column (or row) of pairs than its count says
    and the non-edge count is one too many, so BEF comes out larger than the plain means would
    give. The papers' numbers carry this, so restbench does too. Tiny images (both sides below 16,
    or one below 8) make the formula's edge count zero or negative (SwinIR then returns NaN or a
    meaningless number): refused here.
    """
    if img.dim() != 4:
        raise ValueError(f"expected (N, C, H, W), got {tuple(img.shape)}")
    h, w = img.shape[-2:]
    n_edge, n_other = _bef_pair_counts(h, w, block)
    if n_edge <= 0:
        raise ValueError(f"the blocking-effect factor is undefined for a {h}x{w} image: SwinIR's formula counts "
                         f"{n_edge} block-edge pairs (it needs one side of {2 * block}+ pixels, the other {block}+)")
    cols_edge, cols_other = _neighbour_sq_diffs(img, -1, block)
    rows_edge, rows_other = _neighbour_sq_diffs(img, -2, block)
    edge = (cols_edge + rows_edge) / n_edge
    other = (cols_other + rows_other) / n_other
    scaler = math.log2(block) / math.log2(min(h, w))
    return (scaler * (edge - other)).masked_fill_(edge <= other, 0.0)


def _psnrb_levels(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """PSNR-B of prepared [0, 255] levels; BEF is taken on ``a`` (the output) only."""
    x, y = a / 255.0, b / 255.0  # SwinIR divides first and works on [0, 1]
    d = x - y
    mse = d.mul_(d).mean(dim=(-2, -1))  # (N, C): per channel, as the script loops over channels
    per_channel = 10.0 * torch.log10(1.0 / (mse + blocking_effect_factor(x)))
    return per_channel.mean(dim=1)


def psnrb(
    output: torch.Tensor,
    target: torch.Tensor,
    crop: int = 0,
    y_mode: str | None = None,
    uint8: bool = False,
) -> torch.Tensor:
    """Per-image PSNR-B in dB (N,) float64: ``10 log10(1 / (MSE + BEF(output)))`` per channel, channel mean.

    SwinIR ``calculate_psnrb(output, img_gt, ...)``: crop, optional Y, then ``/ 255``; each
    channel gets its own MSE and the blocking-effect factor of the *output* channel
    (:func:`blocking_effect_factor`), so the metric is not symmetric in its arguments and
    punishes visible 8x8 blocks that plain PSNR does not see. ``crop``/``y_mode``/``uint8`` are
    applied by :func:`prepare` exactly as for :func:`psnr`. With one channel and BEF = 0 it
    equals PSNR; with several channels it averages per-channel PSNR-Bs (PSNR pools the MSE).

    Difference kept small on purpose: with ``test_y_channel=True`` SwinIR's Y array is float32,
    so its PSNR-B_Y arithmetic runs in float32; restbench stays in float64 (2e-7 dB apart on a
    500x500 Kodak image at q10).
    restbench's protocols score PSNR-B on RGB/grey (``test_y_channel=False``), as the script's
    printed PSNRB.
    """
    return _psnrb_levels(*prepare(output, target, crop, y_mode, uint8))


def gaussian_kernel1d(sigma: float = 1.5, radius: int = 5, dtype=torch.float64, device=None) -> torch.Tensor:
    """Normalised 1-D Gaussian; its outer product is ``fspecial('gaussian', 2r+1, sigma)``."""
    x = torch.arange(-radius, radius + 1, dtype=torch.float64, device=device)
    g = torch.exp(-(x * x) / (2 * sigma * sigma))
    return (g / g.sum()).to(dtype)


def _corr_valid(x: torch.Tensor, taps: torch.Tensor, dim: int) -> torch.Tensor:
    """'valid' 1-D correlation along ``dim`` by shift-and-accumulate (any device).

    On a GPU this is a handful of fused elementwise kernels; on CPU :func:`_sep_valid_cv2` is used
    instead when OpenCV is there.
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


def _cv2_or_none():
    try:
        import cv2
    except ImportError:  # optional: the torch path gives the same numbers, ~2x slower on CPU
        return None
    return cv2


def _sep_valid_cv2(planes: list[torch.Tensor], taps: torch.Tensor) -> torch.Tensor | None:
    """'valid' separable correlation of (N, C, H, W) CPU float64 tensors with OpenCV → (N, K, C, h, w).

    ``cv2.sepFilter2D`` runs both 1-D passes row-block by row-block (cache-resident), ~2x faster
    than torch's shift-and-accumulate, which streams each of the 22 partial sums through memory.
    It filters the full plane with a border and the result is a view with the border cut off, so
    the kept values never saw the border rule. Float64 throughout: the values agree with the 2-D
    ``filter2D`` of the references to ~1e-13 (summation order only).
    Returns None when OpenCV is unavailable, a plane is not CPU float64 or the window is even.
    """
    cv2 = _cv2_or_none()
    k = taps.numel()
    if cv2 is None or k % 2 == 0 or any(p.device.type != "cpu" or p.dtype != torch.float64 for p in planes):
        return None
    n, c, h, w = planes[0].shape
    r = (k - 1) // 2
    if h < k or w < k:
        raise ValueError(f"image {h}x{w} is smaller than the {k}-tap window")
    kern = taps.detach().to("cpu", torch.float64).numpy().reshape(-1, 1)
    out = torch.empty((n, len(planes), c, h, w), dtype=torch.float64)
    dst = out.numpy()
    for j, p in enumerate(planes):
        src = p.detach().numpy()
        for i in range(n):
            for ch in range(c):
                plane = np.ascontiguousarray(src[i, ch])
                cv2.sepFilter2D(plane, cv2.CV_64F, kern, kern, dst=dst[i, j, ch], borderType=cv2.BORDER_REPLICATE)
    return out[..., r : h - r, r : w - r]


def _filtered_stats(a: torch.Tensor, b: torch.Tensor, taps: torch.Tensor, pad: int = 0) -> torch.Tensor:
    """E[x], E[y], E[x² + y²], E[xy] under the window ``taps`` ⊗ ``taps``: (N, 4, C, h, w), 'valid'.

    SSIM only ever uses sigma_x² + sigma_y², so E[x²] and E[y²] are filtered as one map: four
    filtered maps instead of five, same values up to float64 rounding. ``pad`` replicate-pads
    every map first (MATLAB's 'same'-size map).
    """
    sq = a * a
    sq.addcmul_(b, b)
    planes = [a, b, sq, a * b]
    if pad:
        planes = [F.pad(p, (pad, pad, pad, pad), mode="replicate") for p in planes]
    fast = _sep_valid_cv2(planes, taps)
    if fast is not None:
        return fast
    st = torch.stack(planes, dim=1)
    n, k, c, h, w = st.shape
    flat = _corr_valid(_corr_valid(st.reshape(n, k * c, h, w), taps, -2), taps, -1)
    return flat.reshape(n, k, c, *flat.shape[-2:])


def _ssim_map(f: torch.Tensor, c1: float, c2: float, cov_norm: float = 1.0) -> torch.Tensor:
    """The SSIM map from the filtered statistics ``f`` (N, 4, ...).

    Each pass over a float64 map costs about as much as filtering one, so the formula is arranged
    for few passes: C1 is folded into fused ``addcmul`` calls and reused, and ``cov_norm`` (the
    sample-covariance factor) cancels between the two contrast-structure terms once C2 is divided
    by it. The rounding differs from the textbook order by ~1e-16 relative.
    """
    mu1, mu2, e_sq, e12 = f.unbind(1)
    k1, k2 = f.new_tensor(c1), f.new_tensor(c1 + c2 / cov_norm)
    lum_num = torch.addcmul(k1, mu1, mu2, value=2)  # 2 mu1 mu2 + C1
    lum_den = torch.addcmul(k1, mu1, mu1).addcmul_(mu2, mu2)  # mu1² + mu2² + C1
    # (2 sigma12 + C2) / cov_norm = 2 E[xy] - (2 mu1 mu2 + C1) + (C1 + C2 / cov_norm)
    cs_num = torch.add(k2, e12, alpha=2).sub_(lum_num)
    # (sigma1² + sigma2² + C2) / cov_norm = E[x² + y²] - (mu1² + mu2² + C1) + (C1 + C2 / cov_norm)
    cs_den = torch.add(k2, e_sq).sub_(lum_den)
    return lum_num.mul_(cs_num).div_(lum_den.mul_(cs_den))


@functools.lru_cache(maxsize=None)
def _numba():
    """:mod:`restbench.metrics.kernels` when numba works here (and ``RESTBENCH_NO_NUMBA`` is unset), else None."""
    if os.environ.get("RESTBENCH_NO_NUMBA", "").strip() not in ("", "0"):
        return None
    try:
        from restbench.metrics import kernels as metrics_numba
    except Exception:  # not installed, or no numba wheel for this Python: the torch/OpenCV path is exact too
        return None
    return metrics_numba


def warm_up_in_background(windows: tuple[int, ...] = (11,)) -> threading.Thread:
    """Load the numba kernels in a daemon thread (which does nothing without numba): numba's
    ~0.5 s start-up then overlaps model loading instead of delaying the first image's metrics."""
    def work() -> None:
        nb = _numba()
        if nb is not None:
            nb.warm_up(windows)

    t = threading.Thread(target=work, name="restbench-numba-warm-up", daemon=True)
    t.start()
    return t


def _fused_cpu(
    a: torch.Tensor, b: torch.Tensor, taps: torch.Tensor, c1: float, c2: float, pad: int = 0
) -> torch.Tensor | None:
    """Per-image mean SSIM through the fused numba kernel (CPU float64 only), else None.

    Each channel's map mean, then the mean over channels (all maps have the same size, so this
    equals the mean over the whole (C, h, w) map). ``pad`` replicate-pads each plane first.
    """
    if a.device.type != "cpu" or a.dtype != torch.float64 or b.dtype != torch.float64:
        return None
    nb = _numba()
    if nb is None:
        return None
    g = taps.detach().to("cpu", torch.float64).numpy()
    threads = torch.get_num_threads()
    x, y = a.detach().numpy(), b.detach().numpy()
    out = torch.empty(a.shape[0], dtype=torch.float64)
    for i in range(a.shape[0]):
        vals = []
        for c in range(a.shape[1]):
            xp, yp = x[i, c], y[i, c]
            if pad:
                xp, yp = np.pad(xp, pad, mode="edge"), np.pad(yp, pad, mode="edge")
            vals.append(nb.ssim_mean(xp, yp, g, c1, c2, threads))
        out[i] = math.fsum(vals) / len(vals)
    return out


def _ssim_wang(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    g = gaussian_kernel1d(1.5, 5, device=a.device)
    fused = _fused_cpu(a, b, g, (0.01 * 255) ** 2, (0.03 * 255) ** 2)
    if fused is not None:
        return fused
    f = _filtered_stats(a, b, g)
    m = _ssim_map(f, (0.01 * 255) ** 2, (0.03 * 255) ** 2)
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
    c = a.shape[1]
    if c == 1:  # a grey image is a 2-D array: plain 11x11 filter, the fused kernel applies
        fused = _fused_cpu(a, b, g, (0.01 * 255) ** 2, (0.03 * 255) ** 2, pad=r)
        if fused is not None:
            return fused
    f = _filtered_stats(a, b, g, pad=r)
    if c > 1:  # the array is 3-D: filter along the channel axis too
        f = torch.einsum("ij,nfjhw->nfihw", _channel_mix(c, g), f)
    m = _ssim_map(f, (0.01 * 255) ** 2, (0.03 * 255) ** 2)
    return m.mean(dim=(1, 2, 3))


def _ssim_skimage(a: torch.Tensor, b: torch.Tensor, data_range: float, win_size: int) -> torch.Tensor:
    if win_size % 2 != 1:
        raise ValueError("win_size must be odd")
    a, b = a / 255.0, b / 255.0  # skimage sees the [0, 1] float images
    taps = torch.full((win_size,), 1.0 / win_size, dtype=torch.float64, device=a.device)
    npix = win_size * win_size
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    fused = _fused_cpu(a, b, taps, c1, c2 / (npix / (npix - 1)))
    if fused is not None:
        return fused
    f = _filtered_stats(a, b, taps)
    m = _ssim_map(f, c1, c2, npix / (npix - 1))
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
    _check_flavour(flavour)
    return _ssim_levels(*prepare(output, target, crop, y_mode, uint8), flavour, data_range, win_size)


def psnr_ssim(
    output: torch.Tensor,
    target: torch.Tensor,
    flavour: Literal["wang", "matlab", "skimage"] = "wang",
    crop: int = 0,
    y_mode: str | None = None,
    uint8: bool = False,
    data_range: float = 1.0,
    win_size: int = 7,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(psnr(...), ssim(...))`` with the crop/rounding/Y conversion done once for both.

    Same values as the two separate calls; on a Y protocol this saves about a third of the time
    (the RGB → Y conversion is as costly as the SSIM filtering).
    """
    s = scores(output, target, flavour, crop, y_mode, uint8, data_range, win_size)
    return s["psnr"], s["ssim"]


def scores(
    output: torch.Tensor,
    target: torch.Tensor,
    flavour: Literal["wang", "matlab", "skimage"] = "wang",
    crop: int = 0,
    y_mode: str | None = None,
    uint8: bool = False,
    data_range: float = 1.0,
    win_size: int = 7,
    psnrb: bool = False,
) -> dict[str, torch.Tensor]:
    """``{"psnr", "ssim"[, "psnrb"]}`` per image from one crop/rounding/Y conversion.

    What a protocol's evaluation needs: the same prepared levels feed every metric it reports.
    """
    _check_flavour(flavour)
    a, b = prepare(output, target, crop, y_mode, uint8)
    out = {"psnr": _psnr_levels(a, b), "ssim": _ssim_levels(a, b, flavour, data_range, win_size)}
    if psnrb:
        out["psnrb"] = _psnrb_levels(a, b)
    return out


def _check_flavour(flavour: str) -> None:
    if flavour not in SSIM_FLAVOURS:
        raise ValueError(f"unknown SSIM flavour {flavour!r}; choose from {', '.join(SSIM_FLAVOURS)}")


def _ssim_levels(a: torch.Tensor, b: torch.Tensor, flavour: str, data_range: float, win_size: int) -> torch.Tensor:
    if flavour == "wang":
        return _ssim_wang(a, b)
    if flavour == "matlab":
        return _ssim_matlab(a, b)
    return _ssim_skimage(a, b, data_range, win_size)


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
