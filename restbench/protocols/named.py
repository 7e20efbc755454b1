"""Named evaluation protocols: how each paper degrades its test images and scores the results.

A :class:`Protocol` is plain data (colour space, border crop, uint8 rounding, SSIM flavour,
degradation) plus the authors' script it mirrors; :func:`evaluate` applies one to a batch.
``docs/protocols.md`` lists, for every protocol, what was found in the authors' code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from restbench.protocols import degradations
from restbench.metrics import fidelity as metrics
from restbench.protocols.imresize import modcrop

__all__ = [
    "Degradation",
    "Protocol",
    "PROTOCOLS",
    "get_protocol",
    "list_protocols",
    "protocol_for",
    "evaluate",
    "degrade",
    "ALIGNMENTS",
]


ALIGNMENTS = (None, "realblur-ecc")


@dataclass(frozen=True)
class Degradation:
    """How the low-quality input is made from the ground truth.

    ``kind``: ``"given"`` (the test set ships its inputs), ``"gaussian"``, ``"jpeg"``,
    ``"bicubic"`` (MATLAB imresize 1/scale of the modcropped HR; SR sets ship these files, which
    restbench reproduces bit-exactly).
    ``noise_seed``/``noise_order``: numpy legacy seed, reset per image, and the memory layout the
    noise is drawn for (``"rgb"`` KAIR/Restormer, ``"bgr"`` SwinIR).
    ``jpeg_encoder``: ``"cv2"`` (``cv2.imencode`` + ``IMWRITE_JPEG_QUALITY``); ``jpeg_grey_from``:
    how a colour file becomes the grey test image (``"basicsr-u8"`` Y) for grey models.
    """

    kind: str = "given"
    noise_seed: int | None = None
    noise_order: str | None = None
    jpeg_encoder: str | None = None
    jpeg_grey_from: str | None = None
    resize: str | None = None

    def describe(self) -> str:
        if self.kind == "gaussian":
            return f"gaussian(seed {self.noise_seed}/image, {self.noise_order.upper()} draw, no clip)"
        if self.kind == "jpeg":
            return f"jpeg({self.jpeg_encoder}; grey=Y {self.jpeg_grey_from}; colour=BGR)"
        if self.kind == "bicubic":
            return f"bicubic({self.resize})"
        return self.kind


@dataclass(frozen=True)
class Protocol:
    """One paper's scoring rules.

    ``colour``: ``"rgb"`` (all channels; grey images are scored as they are) or ``"y"``
    (``y_mode`` says whose RGB→Y conversion). ``crop``: border pixels dropped on each side, an
    int or ``"scale"``. ``uint8``: round output and target to 8-bit levels first (the scripts
    that score saved PNGs). ``ssim``: ``"wang"``/``"matlab"``/``"skimage"`` (see
    :mod:`restbench.metrics`); ``ssim_data_range`` only matters for ``"skimage"``.
    ``reported``: the metrics the paper's tables print. ``align``: ``"realblur-ecc"`` registers
    each output onto its target before scoring (:mod:`restbench.metrics.alignment`); PSNR/SSIM are then the
    script's masked ones and ``colour``/``crop``/``ssim`` do not apply.
    """

    name: str
    family: str
    tasks: tuple[str, ...]
    colour: str = "rgb"
    y_mode: str | None = None
    crop: int | str = 0
    uint8: bool = True
    ssim: str = "wang"
    ssim_data_range: float = 1.0
    degradation: Degradation = field(default_factory=Degradation)
    reported: tuple[str, ...] = ("psnr", "ssim")
    script: str = ""
    notes: str = ""
    align: str | None = None

    def __post_init__(self) -> None:
        if self.align not in ALIGNMENTS:
            raise ValueError(f"{self.name}: align must be one of {ALIGNMENTS}")
        if self.colour not in ("rgb", "y"):
            raise ValueError(f"{self.name}: colour must be 'rgb' or 'y'")
        if self.colour == "y" and self.y_mode not in metrics.Y_MODES:
            raise ValueError(f"{self.name}: y_mode must be one of {metrics.Y_MODES}")
        if self.ssim not in metrics.SSIM_FLAVOURS:
            raise ValueError(f"{self.name}: ssim must be one of {metrics.SSIM_FLAVOURS}")
        if not (self.crop == "scale" or (isinstance(self.crop, int) and self.crop >= 0)):
            raise ValueError(f"{self.name}: crop must be a non-negative int or 'scale'")

    def crop_pixels(self, scale: int | None = None) -> int:
        if self.crop == "scale":
            if scale is None:
                raise ValueError(f"protocol {self.name!r} crops 'scale' pixels: pass scale=")
            return int(scale)
        return int(self.crop)

    def describe(self) -> str:
        """One line for ``restbench protocols``."""
        if self.align == "realblur-ecc":
            return (
                f"{self.name}: RGB aligned to target (ECC homography), masked PSNR, masked Gaussian SSIM, "
                f"{'uint8' if self.uint8 else 'float'}, input {self.degradation.describe()} — {self.script}"
            )
        space = "RGB/grey" if self.colour == "rgb" else f"Y[{self.y_mode}]"
        ssim = self.ssim if self.ssim != "skimage" else f"skimage(range {self.ssim_data_range:g})"
        return (
            f"{self.name}: {space}, crop {self.crop}, {'uint8' if self.uint8 else 'float'}, "
            f"SSIM {ssim}, input {self.degradation.describe()} — {self.script}"
        )


_GAUSS_RGB = Degradation("gaussian", noise_seed=0, noise_order="rgb")
_GAUSS_BGR = Degradation("gaussian", noise_seed=0, noise_order="bgr")
_JPEG = Degradation("jpeg", jpeg_encoder="cv2", jpeg_grey_from="basicsr-u8")
_BICUBIC = Degradation("bicubic", resize="matlab-imresize-uint8")

_LIST = [
    Protocol(
        "restormer-gopro", "restormer", ("motion-deblurring",),
        ssim="matlab",
        script="swz30/Restormer Motion_Deblurring/test.py + evaluate_gopro_hide.m",
        notes="PNG outputs (img_as_ubyte) read back by MATLAB; psnr(uint8) on RGB, built-in "
        "ssim on the RGB volume (11x11x11 Gaussian, replicate padding). Same for HIDE.",
    ),
    Protocol(
        "restormer-realblur", "restormer", ("motion-deblurring",),
        align="realblur-ecc",
        script="swz30/Restormer Motion_Deblurring/test.py + evaluate_realblur.py (= rimchang/RealBlur "
        "evaluation_RealBlur_ecc.py)",
        notes="PNG outputs (img_as_ubyte) read as float32/255. Output gain-matched to the target "
        "(least squares, before alignment), ECC homography on cv2 grey (100 iterations, eps 0, "
        "gaussFiltSize 5), output warped with INTER_CUBIC/BORDER_REFLECT, nearest-warped mask; PSNR "
        "over the valid values; skimage SSIM map (Gaussian 1.5, population cov., data_range 1) x mask, "
        "5-px border dropped, mask-weighted mean per channel. Details: restbench/metrics/alignment.py.",
    ),
    Protocol(
        "restormer-derain", "restormer", ("deraining",),
        colour="y", y_mode="matlab-u8",
        script="swz30/Restormer Deraining/test.py + evaluate_PSNR_SSIM.m",
        notes="Y from MATLAB rgb2ycbcr on the uint8 PNG (rounded); PSNR on Y; Wang's SSIM_index "
        "(valid 11x11 Gaussian) on Y.",
    ),
    Protocol(
        "restormer-dpdd", "restormer", ("defocus-deblurring",),
        uint8=False, ssim="skimage", ssim_data_range=1.0, reported=("psnr", "ssim", "mae"),
        script="swz30/Restormer Defocus_Deblurring/test_{single_image,dual_pixel}_defocus_deblur.py + utils.py",
        notes="Scored in Python on the float32 output (not rounded): PSNR 10log10(1/mse) on RGB, "
        "skimage structural_similarity(data_range=1, multichannel=True): 7x7 uniform, sample cov.; "
        "MAE = mean |output - target| over pixels and channels (utils.MAE); LPIPS (alex, v0.1, "
        "inputs scaled from [0,1]) is pyiqa's lpips: --metrics lpips. Single-image reads 8 bits "
        "(cv2.imread), dual-pixel 16 bits (load_img16, / 65535). Means over all 76 scenes and over "
        "the indoor/outdoor splits (indoor_labels.npy / outdoor_labels.npy).",
    ),
    Protocol(
        "restormer-sidd", "restormer", ("real-denoising",),
        uint8=False, ssim="matlab",
        script="swz30/Restormer Denoising/test_real_denoising_SIDD.py + evaluate_sidd.m",
        notes="Float output saved to Idenoised.mat (not rounded), GT im2single; MATLAB psnr "
        "(peak 1) and built-in ssim on the 256x256x3 single-precision blocks.",
    ),
    Protocol(
        "restormer-denoise", "restormer", ("gaussian-denoising",),
        degradation=_GAUSS_RGB, reported=("psnr",),
        script="swz30/Restormer Denoising/test_gaussian_{color,gray}_denoising.py + "
        "evaluate_gaussian_{color,gray}_denoising.py",
        notes="Noise: seed 0 per image, drawn for the RGB (cv2→RGB) float32 image, added in place. "
        "PSNR (KAIR calculate_psnr, no crop) on the saved uint8 PNGs; SSIM is commented out.",
    ),
    Protocol(
        "swinir-sr", "swinir", ("classical-sr", "lightweight-sr"),
        colour="y", y_mode="basicsr", crop="scale", degradation=_BICUBIC,
        script="JingyunLiang/SwinIR main_test_swinir.py + utils/util_calculate_psnr_ssim.py",
        notes="Given LR_bicubic files (MATLAB imresize). Output rounded to uint8, GT cropped to "
        "the output size; PSNR_Y/SSIM_Y with border=scale, Y via float32 bgr2ycbcr (unrounded).",
    ),
    Protocol(
        "swinir-denoise", "swinir", ("gaussian-denoising",),
        degradation=_GAUSS_BGR,
        script="JingyunLiang/SwinIR main_test_swinir.py (gray_dn, color_dn)",
        notes="Noise: seed 0 per image, drawn for the cv2 BGR array (channel planes reversed for "
        "RGB). PSNR/SSIM on uint8 RGB (or grey), border 0.",
    ),
    Protocol(
        "swinir-car", "swinir", ("jpeg-car",),
        degradation=_JPEG, reported=("psnr", "ssim", "psnrb"),
        script="JingyunLiang/SwinIR main_test_swinir.py (jpeg_car)",
        notes="Grey: a colour file becomes its uint8 Y (bgr2ycbcr, rounded) for GT and input; "
        "cv2.imencode quality q, imdecode grey. Border 0. PSNR-B (calculate_psnrb, "
        "test_y_channel=False) on the uint8 output and GT, BEF of the output.",
    ),
    Protocol(
        "swinir-car-color", "swinir", ("jpeg-car",),
        degradation=_JPEG, reported=("psnr", "ssim", "psnrb"),
        script="JingyunLiang/SwinIR main_test_swinir.py (color_jpeg_car)",
        notes="cv2.imencode of the BGR uint8 image, imdecode colour; metrics on RGB, PSNR-B the "
        "mean of per-channel PSNR-Bs (the script also prints the Y versions).",
    ),
    Protocol(
        "kair-denoise", "dncnn", ("gaussian-denoising",),
        degradation=_GAUSS_RGB,
        script="cszn/KAIR main_test_dncnn.py + utils/utils_image.py",
        notes="uint2single, seed 0 per image, normal(0, s/255) drawn for the HxWxC (RGB) array, "
        "no clip; output tensor2uint (clamp, round); calculate_psnr/ssim border 0.",
    ),
    Protocol(
        "uformer-sidd", "uformer", ("real-denoising",),
        uint8=False, ssim="matlab",
        script="ZhendongWang6/Uformer test/test_sidd.py + test/eval_sidd.m",
        notes="Same MATLAB evaluation as Restormer's SIDD (float blocks, built-in ssim/psnr).",
    ),
    Protocol(
        "uformer-gopro", "uformer", ("motion-deblurring",),
        uint8=False, ssim="skimage", ssim_data_range=2.0,
        script="ZhendongWang6/Uformer test/test_gopro_hide.py",
        notes="skimage peak_signal_noise_ratio(float32) and structural_similarity(multichannel=True) "
        "with no data_range: skimage <0.20 then used 2.0 for float images (7x7 uniform window).",
    ),
    Protocol(
        "uformer-realblur", "uformer", ("motion-deblurring",),
        align="realblur-ecc",
        script="ZhendongWang6/Uformer test/test_realblur.py (image_align, compute_psnr, compute_ssim)",
        notes="The same functions as Restormer's evaluate_realblur.py (see restormer-realblur), run on "
        "the img_as_ubyte PNGs the script saves; averaged over images.",
    ),
    Protocol(
        "bicubic-sr", "bicubic", ("classical-sr", "lightweight-sr"),
        colour="y", y_mode="basicsr", crop="scale", degradation=_BICUBIC,
        script="MATLAB imresize bicubic of the given LR, scored as BasicSR calculate_psnr/ssim "
        "(test_y_channel, crop_border=scale)",
        notes="Set5 gives 33.67/0.9303 (x2), 30.40/0.8689 (x3), 28.43/0.8111 (x4) vs the "
        "published 33.66/0.9299, 30.39/0.8682, 28.42/0.8104.",
    ),
]

PROTOCOLS: dict[str, Protocol] = {p.name: p for p in _LIST}

# Task defaults for families without their own scripts (identity, unknown plugins).
_TASK_DEFAULT = {
    "motion-deblurring": "restormer-gopro",
    "defocus-deblurring": "restormer-dpdd",
    "deraining": "restormer-derain",
    "real-denoising": "restormer-sidd",
    "gaussian-denoising": "kair-denoise",
    "classical-sr": "swinir-sr",
    "lightweight-sr": "swinir-sr",
    "jpeg-car": "swinir-car",
}

_FAMILY_TASK = {
    "restormer": {
        "motion-deblurring": "restormer-gopro",
        "deraining": "restormer-derain",
        "defocus-deblurring": "restormer-dpdd",
        "real-denoising": "restormer-sidd",
        "gaussian-denoising": "restormer-denoise",
    },
    "swinir": {
        "classical-sr": "swinir-sr",
        "lightweight-sr": "swinir-sr",
        "gaussian-denoising": "swinir-denoise",
        "jpeg-car": "swinir-car",
    },
    "uformer": {
        "real-denoising": "uformer-sidd",
        "motion-deblurring": "uformer-gopro",
    },
    "dncnn": {"gaussian-denoising": "kair-denoise"},
    "bicubic": {"classical-sr": "bicubic-sr", "lightweight-sr": "bicubic-sr"},
}

_GREY_CAR_SETS = {"classic5"}

# RealBlur is always scored after alignment; every released script that scores it (RealBlur's own,
# Restormer's, Uformer's) does the same thing, so families without one get Restormer's.
_REALBLUR = {"uformer": "uformer-realblur"}
_REALBLUR_DEFAULT = "restormer-realblur"


def list_protocols() -> list[str]:
    return sorted(PROTOCOLS)


def get_protocol(name: str | Protocol) -> Protocol:
    """The protocol called ``name``; a :class:`Protocol` is passed through."""
    if isinstance(name, Protocol):
        return name
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise KeyError(f"no protocol named {name!r}; known: {', '.join(list_protocols())}") from None


def protocol_for(arch: str, task: str, dataset: str, channels: int | None = None) -> Protocol:
    """The default protocol for a (model family, task, dataset).

    The family's own script wins (e.g. Restormer's Gaussian denoising → ``restormer-denoise``);
    ``identity`` and families without scripts for a task fall back to the task's reference
    protocol. For JPEG CAR, ``channels=3`` (or a colour model) selects ``swinir-car-color``;
    classic5 is always grey. RealBlur-J/-R (motion deblurring) are scored after alignment:
    ``uformer-realblur`` for Uformer, ``restormer-realblur`` for everything else.
    """
    family = arch.lower()
    if family == "bicubic" and task not in _FAMILY_TASK["bicubic"]:
        raise KeyError(f"the bicubic baseline only applies to SR tasks, not {task!r}")
    name = _FAMILY_TASK.get(family, {}).get(task) or _TASK_DEFAULT.get(task)
    if name is None:
        raise KeyError(
            f"no protocol for task {task!r} (arch {arch!r}, dataset {dataset!r}); "
            f"tasks with protocols: {', '.join(sorted(_TASK_DEFAULT))}"
        )
    if name == "swinir-car" and channels == 3 and dataset.lower() not in _GREY_CAR_SETS:
        name = "swinir-car-color"
    if dataset.lower().startswith("realblur"):
        if task != "motion-deblurring":
            raise KeyError(f"RealBlur is a motion-deblurring set; no protocol scores it for task {task!r}")
        name = _REALBLUR.get(family, _REALBLUR_DEFAULT)
    return PROTOCOLS[name]


def evaluate(
    output: torch.Tensor, target: torch.Tensor, protocol: str | Protocol, scale: int | None = None
) -> dict[str, Any]:
    """PSNR and SSIM (and PSNR-B where reported) of ``output`` against ``target`` ((N, C, H, W) in [0, 1]).

    Returns ``{"psnr": mean, "ssim": mean, "psnr_per_image": [...], "ssim_per_image": [...]}``
    with Python floats (the papers average per-image scores), plus ``"psnrb"`` and
    ``"psnrb_per_image"`` when the protocol reports PSNR-B (JPEG CAR; same crop, rounding and
    colour space as its PSNR), and ``"mae"``/``"mae_per_image"`` when it reports MAE (DPDD).
    ``scale`` is needed by protocols that crop ``"scale"`` pixels.
    Protocols with ``align="realblur-ecc"`` register each output onto its target first
    (:func:`restbench.metrics.alignment.masked_psnr_ssim`).
    """
    p = get_protocol(protocol)
    crop = p.crop_pixels(scale)
    y_mode = p.y_mode if p.colour == "y" else None
    if p.align == "realblur-ecc":
        from restbench.metrics import alignment as realblur  # cv2-heavy; only RealBlur needs it

        ps, ss = realblur.masked_psnr_ssim(output, target, uint8=p.uint8)
        pb = None
    else:
        s = metrics.scores(
            output, target, flavour=p.ssim, crop=crop, y_mode=y_mode, uint8=p.uint8,
            data_range=p.ssim_data_range, psnrb="psnrb" in p.reported,
        )
        ps, ss, pb = s["psnr"], s["ssim"], s.get("psnrb")
    ps_l, ss_l = ps.cpu().tolist(), ss.cpu().tolist()
    out = {
        "psnr": sum(ps_l) / len(ps_l),
        "ssim": sum(ss_l) / len(ss_l),
        "psnr_per_image": ps_l,
        "ssim_per_image": ss_l,
    }
    if pb is not None:
        pb_l = pb.cpu().tolist()
        out.update(psnrb=sum(pb_l) / len(pb_l), psnrb_per_image=pb_l)
    if "mae" in p.reported:  # Restormer's DPDD utils.MAE: per-channel mean |error|, averaged (= the overall mean)
        mae_l = (output.double() - target.double()).abs().flatten(1).mean(1).cpu().tolist()
        out.update(mae=sum(mae_l) / len(mae_l), mae_per_image=mae_l)
    return out


def degrade(
    protocol: str | Protocol,
    target: torch.Tensor,
    *,
    sigma: float | None = None,
    quality: int | None = None,
    scale: int | None = None,
    channels: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Make the model input from the ground truth as the protocol's script does.

    Returns ``(input, target)``: the target can change too — SR crops it to a multiple of
    ``scale`` (modcrop), grey JPEG CAR on a colour file scores against its Y channel. The input
    is float32 (what the scripts feed the model). ``channels`` is the model's input channels.
    """
    p = get_protocol(protocol)
    d = p.degradation
    if d.kind == "gaussian":
        if sigma is None:
            raise ValueError(f"protocol {p.name!r} adds Gaussian noise: pass sigma=")
        if channels is not None and channels != target.shape[1]:
            raise ValueError(
                f"model takes {channels} channel(s) but the image has {target.shape[1]}: load the "
                "test set in the model's colour mode (the scripts read grey sets with cv2 IMREAD_GRAYSCALE)"
            )
        noisy = degradations.add_gaussian_noise(target, sigma, seed=d.noise_seed or 0, channel_order=d.noise_order)
        return noisy.float(), target
    if d.kind == "jpeg":
        if quality is None:
            raise ValueError(f"protocol {p.name!r} compresses with JPEG: pass quality=")
        if channels == 1 and target.shape[1] == 3:
            target = degradations.to_grey_y(target)
        return degradations.jpeg_compress(target, quality), target
    if d.kind == "bicubic":
        if scale is None:
            raise ValueError(f"protocol {p.name!r} downsamples: pass scale=")
        target = modcrop(target, scale)
        return degradations.bicubic_downsample(target, scale), target
    raise ValueError(f"protocol {p.name!r} uses the test set's own inputs (degradation {d.kind!r})")
