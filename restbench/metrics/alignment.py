"""RealBlur scoring: align each output to its target, then PSNR/SSIM on the valid region only.

RealBlur's ground truth is a second exposure from a beam-split camera pair, so a deblurred image
and its target differ by a small geometric (and exposure) misalignment that is not the model's
fault. Every RealBlur table therefore scores *after* registering the output onto the target. This
module reproduces the evaluation that Restormer ships as ``Motion_Deblurring/evaluate_realblur.py``
(read from the fork lack9921/Restormer and PREPONDERANCE/Image-Restoration, identical in every
step below; the swz30/Restormer copy itself was not in the search index and its README calls the
file ``evaluate_RealBlur.py``). Uformer's ``test/test_realblur.py`` contains the same functions.

Per image, what the script does:

1. Reads output and target PNGs with ``skimage.io.imread`` and uses ``uint8.astype(float32) / 255``
   (the outputs were saved by ``test.py`` with ``img_as_ubyte`` of the clamped result).
2. ``image_align(deblurred, gt)`` ("based on kohler evaluation code"): intensity matching
   ``zs = (sum(gt * out) / sum(out * out)) * out`` over all pixels and channels, in float32 (numpy
   pairwise float32 sums), computed *before* alignment — so a misaligned output is also scaled down
   by its poor correlation, a loss the warp cannot undo.
3. ``cv2.findTransformECC(template=gray(gt), input=gray(zs), eye(3) float32, MOTION_HOMOGRAPHY,
   (TERM_CRITERIA_EPS | TERM_CRITERIA_COUNT, 100, 0), inputMask=None, gaussFiltSize=5)`` with
   ``gray = cv2.cvtColor(RGB2GRAY)`` on the float32 images. eps = 0, so it always runs 100
   iterations. The homography maps target pixels to output pixels.
4. The *output* is warped onto the target: ``warpPerspective(zs, W, INTER_CUBIC | WARP_INVERSE_MAP,
   BORDER_REFLECT)``; the valid-pixel mask is ``warpPerspective(ones (H, W, 3) float32, W,
   INTER_NEAREST | WARP_INVERSE_MAP, BORDER_CONSTANT 0)``. Both the warped output and the target
   are multiplied by the mask. The warped output is not clipped (the gain and the cubic kernel can
   leave [0, 1]).
5. PSNR: ``10 log10(1 / (sum((gt·m − out·m)²) / sum(m)))`` — squared differences in float32,
   summed in float64, divided by the number of valid *values* (pixels × 3). Identical images give
   ``inf`` (numpy divides by zero).
6. SSIM: ``structural_similarity(gt·m, out·m, multichannel=True, gaussian_weights=True,
   use_sample_covariance=False, data_range=1.0, full=True)`` — per channel, Gaussian sigma 1.5
   truncated at 3.5 sigma (11 taps), ``scipy.ndimage`` 'reflect' borders, population covariance,
   C1 = 0.01², C2 = 0.03², a same-size map. The script ignores skimage's mean: it multiplies the
   map by the mask, crops 5 pixels from each side, takes ``sum(map·m) / sum(m)`` per channel and
   then the mean over channels.

Differences from RealBlur's official ``evaluation_RealBlur_ecc.py`` (rimchang/RealBlur; an
``evaluation/evaluate_RealBlur.py`` does not exist there): none in ``image_align``,
``compute_psnr`` or the SSIM steps, which are copied verbatim. The official script pins
scikit-image 0.17.2 and OpenCV 4.2.0 (it exits otherwise), pairs files by scene name instead of
sorted order, and also writes the images; Restormer's copy pins nothing. With scikit-image 0.17.2,
``structural_similarity`` cast its inputs to float64, so restbench computes the SSIM statistics in
float64. scikit-image >= 0.19 would filter float32 inputs in float32 (~1e-6 on the map), and from
0.20 on ``multichannel=`` is no longer honoured: the script as written then fails
("win_size exceeds image extent"). OpenCV's ECC is used as installed; the warp can differ in the
last bits between OpenCV versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from restbench.metrics import fidelity as metrics

__all__ = ["ECC_ITERATIONS", "ECC_GAUSS_FILT", "Alignment", "to_float32_hwc", "align", "masked_psnr",
           "masked_ssim", "masked_psnr_ssim"]

ECC_ITERATIONS = 100  # with eps 0 the criterion is only the count
ECC_GAUSS_FILT = 5
_SSIM_SIGMA = 1.5
_SSIM_RADIUS = int(3.5 * _SSIM_SIGMA + 0.5)  # scipy.ndimage's radius for truncate=3.5: 5, an 11-tap window
_SSIM_C1 = 0.01**2  # data_range = 1
_SSIM_C2 = 0.03**2


@dataclass(frozen=True)
class Alignment:
    """One output registered onto its target, as the script's ``image_align`` returns it.

    ``output`` is the intensity-matched, warped output times ``mask``; ``target`` the target times
    ``mask``; both (H, W, 3) float32. ``mask`` is 1 where the warped output has data. ``warp`` is
    the 3x3 float32 homography taking target pixel coordinates to output pixel coordinates;
    ``ecc`` the correlation coefficient OpenCV reports for it.
    """

    output: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    warp: np.ndarray
    ecc: float


def to_float32_hwc(img: torch.Tensor, uint8: bool = True) -> list[np.ndarray]:
    """(N, 3, H, W) in [0, 1] → one (H, W, 3) float32 array per image, as the script reads them.

    With ``uint8`` the values are first rounded to 8-bit levels like the saved PNGs
    (:func:`restbench.metrics.quantize`), then ``levels.astype(float32) / 255``.
    """
    if img.dim() != 4 or img.shape[1] != 3:
        raise ValueError(f"RealBlur scoring needs RGB (N, 3, H, W) images, got {tuple(img.shape)}")
    img = img.detach().cpu()
    if uint8:
        arr = metrics.quantize(img).to(torch.uint8).numpy().astype(np.float32) / np.float32(255.0)
    else:
        arr = img.clamp(0, 1).to(torch.float32).numpy()
    return [np.ascontiguousarray(a.transpose(1, 2, 0)) for a in arr]


def _intensity_match(output: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares gain of the output towards the target, in float32 like the script."""
    with np.errstate(divide="ignore", invalid="ignore"):  # a blank output gives NaN; ECC then fails loudly
        gain = np.sum(target * output) / np.sum(output * output)
    return gain * output


def _ecc_homography(output: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    """ECC homography (target → output coordinates) on the cv2 grey versions of both images."""
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, ECC_ITERATIONS, 0.0)
    cc, warp = cv2.findTransformECC(
        cv2.cvtColor(target, cv2.COLOR_RGB2GRAY),
        cv2.cvtColor(output, cv2.COLOR_RGB2GRAY),
        np.eye(3, dtype=np.float32),
        cv2.MOTION_HOMOGRAPHY,
        criteria,
        inputMask=None,
        gaussFiltSize=ECC_GAUSS_FILT,
    )
    return warp, float(cc)


def align(output: np.ndarray, target: np.ndarray) -> Alignment:
    """Intensity-match the output, find the ECC homography, warp the output and mask both.

    Raises ``cv2.error`` when ECC does not converge (the script would stop there too).
    """
    matched = _intensity_match(output, target)
    warp, cc = _ecc_homography(matched, target)
    size = (target.shape[1], target.shape[0])
    warped = cv2.warpPerspective(
        matched, warp, size, flags=cv2.INTER_CUBIC + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT
    )
    mask = cv2.warpPerspective(
        np.ones_like(matched, dtype=np.float32), warp, size,
        flags=cv2.INTER_NEAREST + cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT, borderValue=0,
    )
    return Alignment(warped * mask, target * mask, mask, warp, cc)


def masked_psnr(al: Alignment) -> float:
    """PSNR over the valid values only: the error sum divided by the mask's count, peak 1."""
    sq = (al.target - al.output) ** 2  # float32, as the script
    err = np.sum(sq, dtype=np.float64) / np.sum(al.mask, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return float(10.0 * np.log10(1.0 / err))


def _ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """skimage's gaussian-weighted, population-covariance SSIM map per channel: (H, W, 3) float64.

    Same-size map: ``cv2.BORDER_REFLECT`` (fedcba|abcdef) is scipy.ndimage's 'reflect'. Written in
    skimage's order of operations rather than with :mod:`restbench.metrics`' fused SSIM map, whose
    rearranged formula is 1 + 2e-15 for identical images where the script gets exactly 1.
    """
    taps = metrics.gaussian_kernel1d(_SSIM_SIGMA, _SSIM_RADIUS).numpy()

    def blur(plane: np.ndarray) -> np.ndarray:
        return cv2.sepFilter2D(plane, cv2.CV_64F, taps, taps, borderType=cv2.BORDER_REFLECT)

    out = np.empty(a.shape, dtype=np.float64)
    for c in range(a.shape[2]):
        x, y = a[..., c].astype(np.float64), b[..., c].astype(np.float64)
        ux, uy = blur(x), blur(y)
        vx, vy, vxy = blur(x * x) - ux * ux, blur(y * y) - uy * uy, blur(x * y) - ux * uy
        num = (2 * ux * uy + _SSIM_C1) * (2 * vxy + _SSIM_C2)
        out[..., c] = num / ((ux**2 + uy**2 + _SSIM_C1) * (vx + vy + _SSIM_C2))
    return out


def masked_ssim(al: Alignment) -> float:
    """The script's SSIM: map × mask, 5-pixel border dropped, mask-weighted mean per channel, then mean."""
    r = _SSIM_RADIUS
    smap = _ssim_map(al.target, al.output)[r:-r, r:-r]
    mask = al.mask[r:-r, r:-r].astype(np.float64)
    per_channel = (smap * mask).sum(axis=(0, 1)) / mask.sum(axis=(0, 1))
    return float(per_channel.mean())


def masked_psnr_ssim(output: torch.Tensor, target: torch.Tensor, uint8: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image aligned PSNR and SSIM (float64, shape (N,)) of (N, 3, H, W) batches in [0, 1]."""
    if output.shape != target.shape:
        raise ValueError(f"output {tuple(output.shape)} and target {tuple(target.shape)} differ in shape")
    ps, ss = [], []
    pairs = zip(to_float32_hwc(output, uint8), to_float32_hwc(target, uint8))
    for i, (out, tgt) in enumerate(pairs):
        try:
            al = align(out, tgt)
        except cv2.error as exc:
            raise RuntimeError(f"ECC alignment of image {i} failed (RealBlur protocol): {exc}") from exc
        ps.append(masked_psnr(al))
        ss.append(masked_ssim(al))
    return torch.tensor(ps, dtype=torch.float64), torch.tensor(ss, dtype=torch.float64)
