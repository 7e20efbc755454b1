"""DnCNN checkpoints released in cszn/KAIR (release v1.0), as data.

Sources: KAIR ``main_test_dncnn.py`` (model names, nb=17 for sigma-specific, nb=20 for blind and
``dncnn3``; ``act_mode='R'`` because BN is folded in the released files),
``main_test_dncnn3_deblocking.py`` (``dncnn3``: ``in_nc=1, out_nc=1, nc=64, nb=20, act_mode='R'``,
grey or the Y channel of colour JPEGs), ``main_download_pretrained_models.py`` (the ``DnCNN``
group: ``dncnn_15/25/50``, ``dncnn3``, ``dncnn_color_blind``, ``dncnn_gray_blind`` from
``https://github.com/cszn/KAIR/releases/download/v1.0/``) and the DnCNN paper (Zhang et al.,
TIP 2017).

Claims and where they were read (see each claim's ``source_kind``/``source_ref``):

* BSD68, DnCNN-S and DnCNN-B: the authors' README (cszn/DnCNN, "Gaussian Denoising" table;
  the paper's Table II).
* Set12 averages (paper Table III): DnCNN-S as quoted in SwinIR's Table 5 (the table image in
  JingyunLiang/SwinIR ``figs/gray_image_denoising.png``, "DnCNN" column); DnCNN-B as quoted in
  DudeNet's Table V (``results/Table5.jpg`` in hellloxiaotian/DudeNet, row "DnCNN-B [10]",
  "Average" column: 32.68 / 30.36 / 27.21). The same table's DnCNN-S row prints 30.43 at sigma 25
  where SwinIR, GRL and DPIR print 30.44; the registered 30.44 stays.
* CBSD68, CDnCNN-B at sigma 15/25/35/50: as quoted by the FFDNet paper's colour table (same first
  author; the table image ``figs/table2.png`` in cszn/FFDNet's README). SwinIR's Table 6 prints
  different DnCNN numbers (33.90/31.24/27.95): those are not the DnCNN paper's.
* DnCNN-3 (one model for three tasks): the authors' README, "Gaussian Denoising, Single Image
  Super-Resolution and JPEG Image Deblocking via a Single (DnCNN-3) Model" (PSNR / SSIM).
"""

from __future__ import annotations

from restbench.registry import Claim, InputSpec, Variant, WeightSource

RELEASE = "https://github.com/cszn/KAIR/releases/download/v1.0/"
PAPER = "Zhang et al., Beyond a Gaussian Denoiser: Residual Learning of Deep CNN for Image Denoising, TIP 2017"
CITE = "DnCNN (TIP 2017, arXiv 1608.03981)"
T2 = "DnCNN paper, Table II (BSD68)"
T3 = "DnCNN paper, Table III (Set12 average)"
T5 = "DnCNN paper, Table V (CBSD68, CDnCNN-B)"
T_DNCNN3 = "DnCNN paper, DnCNN-3 table (denoising / SISR / JPEG deblocking)"

README = "https://github.com/cszn/DnCNN/blob/e93b278/README.md"
README_BSD68 = f"{README} ('Gaussian Denoising': average PSNR on BSD68)"
README_DNCNN3 = f"{README} ('... via a Single (DnCNN-3) Model' tables, PSNR / SSIM)"
SWINIR_T5_IMAGE = ("https://github.com/JingyunLiang/SwinIR/blob/6545850/figs/gray_image_denoising.png "
                   "(SwinIR Table 5, 'DnCNN' column)")
DUDENET_T5_IMAGE = ("https://github.com/hellloxiaotian/DudeNet/blob/5b3b475/results/Table5.jpg (DudeNet, KBS 2021, "
                    "Table V 'Average PSNR ... on Set12', row 'DnCNN-B [10]', Average column)")
FFDNET_T2_IMAGE = ("https://github.com/cszn/FFDNet/blob/e787f46/figs/table2.png (FFDNet, TIP 2018: CBM3D/CDnCNN/"
                   "FFDNet on CBSD68, 'CDnCNN' row; image in the FFDNet README)")

_S = {  # sigma -> (Set12, BSD68) for DnCNN-S
    15: (32.86, 31.73),
    25: (30.44, 29.23),
    50: (27.18, 26.23),
}
_B = {  # sigma -> (Set12, BSD68) for DnCNN-B
    15: (32.68, 31.61),
    25: (30.36, 29.16),
    50: (27.21, 26.23),
}
_CB = {15: 33.89, 25: 31.23, 35: 29.58, 50: 27.92}

# DnCNN-3, authors' README (PSNR, SSIM)
_D3_GAUSS = {15: (31.46, 0.8826), 25: (29.02, 0.8190), 50: (26.10, 0.7076)}  # BSD68
_D3_SR = {  # dataset -> {scale: (PSNR, SSIM)}
    "Set5": {2: (37.58, 0.9590), 3: (33.75, 0.9222), 4: (31.40, 0.8845)},
    "Set14": {2: (33.03, 0.9128), 3: (29.81, 0.8321), 4: (28.04, 0.7672)},
    "BSD100": {2: (31.90, 0.8961), 3: (28.85, 0.7981), 4: (27.29, 0.7253)},
    "Urban100": {2: (30.74, 0.9139), 3: (27.15, 0.8276), 4: (25.20, 0.7521)},
}
_D3_JPEG = {  # dataset -> {quality: (PSNR, SSIM)}
    "classic5": {10: (29.40, 0.8026), 20: (31.63, 0.8610), 30: (32.91, 0.8861), 40: (33.77, 0.9003)},
    "LIVE1": {10: (29.19, 0.8123), 20: (31.59, 0.8802), 30: (32.98, 0.9090), 40: (33.96, 0.9247)},
}

_SHA = {"dncnn_25.pth": "0451a70de9b672ae037270498fbb1c17a1c1c4403785df586ff65df5b858e5b0"}

DNCNN3_NOTE = (
    "DnCNN-3: one grey model (20 layers) for blind Gaussian denoising, SISR (x2/x3/x4) and JPEG deblocking; "
    "the same dncnn3.pth serves every dncnn3-* variant. The paper worked on the luminance (Y) channel in "
    "MATLAB (rgb2ycbcr, imresize, imwrite JPEG)."
)
DNCNN3_SR_NOTE = (
    "SR input is the LR image bicubic-upsampled to the HR size (InputSpec.upsample_input); the paper scores "
    "the Y channel of colour SR sets. restbench's SR sets load as RGB and no grey-SR protocol exists yet, "
    "so these claims are registered but not runnable until a Y-channel SR protocol is added."
)
DNCNN3_JPEG_NOTE = (
    "The paper compressed with MATLAB's JPEG encoder; restbench's jpeg-car protocol uses OpenCV's "
    "(SwinIR's script), which can shift PSNR slightly."
)


def _claim(dataset: str, psnr: float, ssim: float | None, label: str, table: str, kind: str, ref: str, **kw) -> Claim:
    return Claim(dataset, psnr, ssim, label, paper=CITE, table=table.removeprefix("DnCNN paper, "),
                 source_kind=kind, source_ref=ref, **kw)


def _variant(vid: str, fname: str, *, task="gaussian-denoising", sigma=None, scale=None, quality=None, blind=False,
             channels="grey", nb=17, claims=(), upsample=False, notes="", train_set="BSD400") -> Variant:
    nc_io = 1 if channels == "grey" else 3
    return Variant(
        id=vid,
        arch="dncnn",
        task=task,
        arch_kwargs=dict(in_nc=nc_io, out_nc=nc_io, nc=64, nb=nb, act_mode="R"),
        weight_file=fname,
        sources=(WeightSource(url=RELEASE + fname),),
        sha256=_SHA.get(fname),
        checkpoint_key=None,
        licence_code="MIT",
        licence_weights="MIT",
        sigma=sigma,
        scale=scale,
        quality=quality,
        blind=blind,
        channels=channels,
        train_set=train_set,
        claims=tuple(claims),
        input=InputSpec(channels=nc_io, upsample_input=upsample),
        paper=PAPER,
        notes=notes,
    )


D3_TRAIN = "291 images (91 + BSD200) with AWGN sigma in [0,55], x2/x3/x4 bicubic SR and JPEG q5-99 (DnCNN-3)"

VARIANTS = [
    *[
        _variant(
            f"dncnn-s{s}",
            f"dncnn_{s}.pth",
            sigma=s,
            claims=(
                _claim("Set12", set12, None, T3, T3, "third-party quote", SWINIR_T5_IMAGE),
                _claim("BSD68", bsd, None, T2, T2, "authors' README", README_BSD68),
            ),
        )
        for s, (set12, bsd) in _S.items()
    ],
    _variant(
        "dncnn-b-grey",
        "dncnn_gray_blind.pth",
        blind=True,
        nb=20,
        claims=[c for s, (a, b) in _B.items() for c in (
            _claim("Set12", a, None, T3, T3, "third-party quote", DUDENET_T5_IMAGE, sigma=s),
            _claim("BSD68", b, None, T2, T2, "authors' README", README_BSD68, sigma=s),
        )],
    ),
    _variant(
        "dncnn-b-color",
        "dncnn_color_blind.pth",
        blind=True,
        nb=20,
        channels="rgb",
        claims=[_claim("CBSD68", v, None, T5, T5, "third-party quote", FFDNET_T2_IMAGE, sigma=s) for s, v in _CB.items()],
    ),
    _variant(
        "dncnn3-denoise",
        "dncnn3.pth",
        blind=True,
        nb=20,
        train_set=D3_TRAIN,
        claims=[_claim("BSD68", p, q, T_DNCNN3, T_DNCNN3, "authors' README", README_DNCNN3, sigma=s)
                for s, (p, q) in _D3_GAUSS.items()],
        notes=DNCNN3_NOTE,
    ),
    *[
        _variant(
            f"dncnn3-sr-x{s}",
            "dncnn3.pth",
            task="classical-sr",
            scale=s,
            nb=20,
            upsample=True,
            train_set=D3_TRAIN,
            claims=[_claim(ds, *rows[s], T_DNCNN3, T_DNCNN3, "authors' README", README_DNCNN3,
                           protocol="Y channel, border crop = scale")
                    for ds, rows in _D3_SR.items()],
            notes=f"{DNCNN3_NOTE} {DNCNN3_SR_NOTE}",
        )
        for s in (2, 3, 4)
    ],
    *[
        _variant(
            f"dncnn3-jpeg-q{q}",
            "dncnn3.pth",
            task="jpeg-car",
            quality=q,
            nb=20,
            train_set=D3_TRAIN,
            claims=[_claim(ds, *rows[q], T_DNCNN3, T_DNCNN3, "authors' README", README_DNCNN3,
                           protocol="Y channel (grey)")
                    for ds, rows in _D3_JPEG.items()],
            notes=f"{DNCNN3_NOTE} {DNCNN3_JPEG_NOTE}",
        )
        for q in (10, 20, 30, 40)
    ],
]
