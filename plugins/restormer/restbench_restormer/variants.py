"""The 13 Restormer checkpoints released in swz30/Restormer, as data.

Where each fact comes from (swz30/Restormer unless noted):

* **Files / URLs**: GitHub release ``v1.0`` ("Pretrained Models"), assets
  ``https://github.com/swz30/Restormer/releases/download/v1.0/<file>``. The README and the task
  READMEs only link Google Drive folders; the release-asset names are the file names the test
  scripts and ``demo.py`` expect, and third-party downloaders (spandrel's tests, the authors' own HF
  Space ``swzamir/Restormer`` app.py) fetch them from ``v1.0``. No sha256 is published anywhere we
  found, so ``sha256`` stays ``None``.
* **Hugging Face mirror**: ``deepinv/Restormer`` (documented in deepinv's pretrained-weights table as
  "also available on the deepinverse Restormer HuggingfaceHub"). Its single upload commit holds
  12 ``.pth`` files; deepinv's loader never uses the motion-deblurring model, and no file listing we
  could read shows ``motion_deblurring.pth``, so that variant has no HF source.
* **Constructor kwargs**: ``demo.py`` and the per-task test scripts. Motion deblurring, deraining and
  single-image defocus use the defaults (``Restormer()``, ``LayerNorm_type='WithBias'``);
  ``test_dual_pixel_defocus_deblur.py`` uses ``Restormer(inp_channels=6, dual_pixel_task=True)``;
  real and Gaussian colour denoising use ``LayerNorm_type='BiasFree'``; Gaussian grey adds
  ``inp_channels=1, out_channels=1``. (A later revision of ``Motion_Deblurring/test.py`` and
  ``Deraining/test.py`` reads the kwargs from ``Options/RealDenoising_Restormer.yml``, which looks
  like a copy-paste slip; ``demo.py`` loads the same released files with ``WithBias``.)
* **checkpoint_key**: every script does ``model.load_state_dict(checkpoint['params'])``.
* **Padding**: motion deblurring, deraining and Gaussian denoising scripts compute
  ``H = ((h+8)//8)*8`` but set ``padh = H-h if h % 8 != 0 else 0`` and pad bottom/right with
  ``F.pad(..., 'reflect')``, crop back after. An aligned image is *not* padded, so
  ``always_pad=False`` (smallest multiple of 8 >= h). The defocus (single and dual-pixel) and
  real-denoising (SIDD/DND) scripts do not pad at all: DPDD frames are 1680x1120 and the
  SIDD/DND crops 256x256/512x512, all multiples of 8, so ``pad_multiple=8`` changes nothing there
  and is what the network itself needs.
* **Licence**: ``LICENSE.md`` of swz30/Restormer, "ACADEMIC PUBLIC LICENSE" (non-commercial use
  only; modifications must be distributed under the same licence). The weights are released with
  the code and carry no separate terms. Two third-party documents in the search index state the
  repository was relicensed to MIT (one says October 2025); we could not read the current
  ``LICENSE.md``, so the licence the checkpoints were released under is recorded.
* **Claims**: Restormer paper (arXiv 2111.09881v2 / CVPR 2022). Table numbers follow the authors'
  READMEs: Table 1 deraining (PSNR/SSIM on Y), Table 2 motion deblurring, Table 3 DPDD,
  Table 4 Gaussian *grey* denoising, Table 5 Gaussian *colour* denoising (``Denoising/README.md``:
  "To reproduce PSNR Table 4" for grey, "Table 5" for colour), Table 6 real denoising. Top
  super-row of Tables 4/5 = blind model, bottom = one model per sigma.
  **Provenance** (``Claim.source_kind``): the READMEs show the tables only as images hosted on
  imgur, which could not be read here, and the paper's tables could not be opened either. Later
  papers print Restormer's rows in their own tables, as images in their official repositories
  (issue 16; each image was read and every cell equals the registered value), so those claims are
  ``"third-party quote"``s pinned to the commit read:

  - Table 1: Rain100L (PromptIR issue #16, PSNR only), Rain100H (IR-SDE's README table),
    Test2800 and Test1200 (VmambaIR's deraining table, which also shows Rain100H/L), Test100
    (DiNAT-IR's README, PSNR only: its SSIM 0.923 rests on that PSNR's source only).
  - Table 2: all four sets from HI-Diff's Table 2 (``figs/Tab-1.png``); GoPro/HIDE also GRL's Table 1.
  - Table 3: both rows (single-image ``Restormer_S``, dual-pixel ``Restormer_D``), all three column
    groups (indoor, outdoor, combined) with PSNR/SSIM/MAE/LPIPS, from GRL's Table 3; SFHformer's
    supplementary table prints the same single-image row. The splits are claims with
    ``subset="indoor"``/``"outdoor"``, judged against the split means a whole-set run records.
  - Table 6: SIDD/DND from ART's Table 7.
  - Tables 4/5, one model per sigma: GRL's Table 4 (grey and colour; colour also ART's Table 4).
    The blind rows (top super-row) stay untraced: only an OCR'd copy of Xu et al. (CVPR 2024)
    Tables 8-9, with no repository to pin, prints them (cell for cell the same).
"""

from __future__ import annotations

from restbench.registry import Claim, InputSpec, Variant, WeightSource

RELEASE = "https://github.com/swz30/Restormer/releases/download/v1.0/"
HF_REPO = "deepinv/Restormer"
HF_REVISION = "aa2667c79d766b67da2c1489c7ce5f0423bae798"  # "Upload 12 files", the only weights commit
PAPER = (
    "Zamir et al., Restormer: Efficient Transformer for High-Resolution Image Restoration, "
    "CVPR 2022 (arXiv 2111.09881)"
)
LICENCE = "ACADEMIC PUBLIC LICENSE (swz30/Restormer LICENSE.md; non-commercial use only)"
LICENCE_NOTE = (
    "Licence recorded as released; third-party notes report a later relicensing of the repository "
    "to MIT (unverified here)."
)
NO_PAD_NOTE = "The authors' test script feeds the images unpadded; its test images are already multiples of 8."

T1, T2, T3, T4, T5, T6 = (f"paper, Table {i}" for i in range(1, 7))
CITE = "Restormer (CVPR 2022, arXiv 2111.09881)"
PROMPTIR_16 = ("https://github.com/va1shn9v/PromptIR/issues/16 (\"38.99 dB in original paper\" for Restormer on "
               "Rain100L; PSNR only, the SSIM is not quoted)")
# Later papers' own tables, in their official repositories, that print Restormer's published rows (read off
# the images; every cell equals the registered value). Pinned to the commit that was read.
IRSDE_RAIN100H = ("https://github.com/Algolzw/image-restoration-sde/blob/2598d73/README.md (IR-SDE, ICML 2023: "
                  "Rain100H table, '| Restormer | 31.46 | 0.904 | - | - |')")
VMAMBAIR_DERAIN = ("https://github.com/AlphacatPlus/VmambaIR/blob/51c2efb/figs/Snipaste_2024-03-18_21-56-16.png "
                   "(VmambaIR, 'Table 2 of the main paper' per its README, row 'Restormer [54]')")
DINATIR_TEST100 = ("https://github.com/HanzhouLiu/DiNAT-IR/blob/886609e/readme.md ('Benchmark Results', Restormer "
                   "column: 'Test100 | PSNR | ... | 32.00'; PSNR only, the SSIM is not quoted)")
HIDIFF_T2 = ("https://github.com/zhengchen1999/HI-Diff/blob/b3bfd16/figs/Tab-1.png (HI-Diff, NeurIPS 2023, "
             "Table 2 per its README, row 'Restormer [51]'; GoPro/HIDE also in GRL's Table 1, "
             "https://github.com/ofsoundof/GRL-Image-Restoration/blob/3123fca/figs/task1.png)")
GRL_T3 = ("https://github.com/ofsoundof/GRL-Image-Restoration/blob/3123fca/figs/task2.png (GRL, CVPR 2023, "
          "Table 3 'Defocus deblurring', rows 'Restormer_S [86]' and 'Restormer_D [86]', PSNR/SSIM/MAE/LPIPS; "
          "the single-image row also in https://github.com/deng-ai-lab/SFHformer/blob/1f79941/image/supp_defocus.png)")
ART_T7 = ("https://github.com/gladzhang/ART/blob/3ee01f3/figs/RealDN.png (ART, ICLR 2023, Table 7 'real image "
          "denoising', Restormer columns)")
GRL_T4 = ("https://github.com/ofsoundof/GRL-Image-Restoration/blob/3123fca/figs/task3.png (GRL, CVPR 2023, "
          "Table 4 'Color and grayscale image denoising', row 'Restormer [86]': the one-model-per-sigma row; "
          "colour also in ART's Table 4, https://github.com/gladzhang/ART/blob/3ee01f3/figs/ColorDN.png)")
QUOTED = {  # (table, dataset) -> where a third party prints the cell as Restormer's
    (T1, "Rain100L"): PROMPTIR_16,
    (T1, "Rain100H"): IRSDE_RAIN100H,
    (T1, "Test2800"): VMAMBAIR_DERAIN,
    (T1, "Test1200"): VMAMBAIR_DERAIN,
    (T1, "Test100"): DINATIR_TEST100,
    **{(T2, ds): HIDIFF_T2 for ds in ("GoPro", "HIDE", "RealBlur-R", "RealBlur-J")},
    (T6, "SIDD"): ART_T7,
    (T6, "DND"): ART_T7,
}


def _claim(dataset: str, psnr: float | None, ssim: float | None, source: str, ref: str | None = None, **kw) -> Claim:
    """A Restormer claim: paper and table known; ``ref`` (a third party printing it as Restormer's) traces it."""
    trace = dict(source_kind="third-party quote", source_ref=ref) if ref else {}
    return Claim(dataset, psnr, ssim, source, paper=CITE, table=source.removeprefix("paper, "), **trace, **kw)

DERAIN = {  # Table 1, PSNR/SSIM on the Y channel
    "Test100": (32.00, 0.923),
    "Rain100H": (31.46, 0.904),
    "Rain100L": (38.99, 0.978),
    "Test2800": (34.18, 0.944),
    "Test1200": (33.19, 0.926),
}
MOTION = {  # Table 2; trained on GoPro only, HIDE and RealBlur are cross-dataset
    "GoPro": (32.92, 0.961),
    "HIDE": (31.22, 0.942),
    "RealBlur-R": (36.19, 0.957),
    "RealBlur-J": (28.96, 0.879),
}
# Table 3: (PSNR, SSIM, MAE, LPIPS) per split; None = the combined column (all 76 scenes)
DPDD = {  # in the paper's column order: indoor, outdoor, combined
    "single": {"indoor": (28.87, 0.882, 0.025, 0.145), "outdoor": (23.24, 0.743, 0.050, 0.209),
               None: (25.98, 0.811, 0.038, 0.178)},
    "dual": {"indoor": (29.48, 0.895, 0.023, 0.134), "outdoor": (23.97, 0.773, 0.047, 0.175),
             None: (26.66, 0.833, 0.035, 0.155)},
}
REAL = {"SIDD": (40.02, 0.960), "DND": (40.03, 0.956)}  # Table 6
SIGMAS = (15, 25, 50)
# Table 5, colour, PSNR only: dataset -> (sigma15, sigma25, sigma50)
COLOR_NONBLIND = {
    "CBSD68": (34.40, 31.79, 28.60),
    "Kodak24": (35.47, 33.04, 30.01),
    "McMaster": (35.61, 33.34, 30.30),
    "Urban100": (35.13, 32.96, 30.02),
}
COLOR_BLIND = {
    "CBSD68": (34.39, 31.78, 28.59),
    "Kodak24": (35.44, 33.02, 30.00),
    "McMaster": (35.55, 33.31, 30.29),
    "Urban100": (35.06, 32.91, 30.02),
}
# Table 4, grey, PSNR only
GREY_NONBLIND = {
    "Set12": (33.42, 31.08, 28.00),
    "BSD68": (31.96, 29.52, 26.62),
    "Urban100": (33.79, 31.46, 28.29),
}
GREY_BLIND = {
    "Set12": (33.35, 31.04, 28.01),
    "BSD68": (31.95, 29.51, 26.62),
    "Urban100": (33.67, 31.39, 28.33),
}
BLIND_NOTE = ("The blind (one model for all sigmas) rows of Tables 4-5 are untraced transcriptions: no citable source "
              "here prints them (an OCR'd copy of Xu et al., CVPR 2024, Tables 8-9 agrees cell for cell).")
DFWB = "DFWB (DIV2K + Flickr2K + WED + BSD400)"


def _sources(fname: str, on_hf: bool = True) -> tuple[WeightSource, ...]:
    srcs = [WeightSource(url=RELEASE + fname)]
    if on_hf:
        srcs.append(WeightSource(hf_repo=HF_REPO, hf_filename=fname, hf_revision=HF_REVISION))
    return tuple(srcs)


def _variant(
    vid: str,
    task: str,
    fname: str,
    *,
    arch_kwargs: dict | None = None,
    in_channels: int = 3,
    channels: str = "rgb",
    train_set: str,
    claims: tuple[Claim, ...] = (),
    sigma: int | None = None,
    blind: bool = False,
    on_hf: bool = True,
    notes: str = "",
) -> Variant:
    return Variant(
        id=vid,
        arch="restormer",
        task=task,
        arch_kwargs=dict(arch_kwargs or {}),
        weight_file=fname,
        sources=_sources(fname, on_hf),
        sha256=None,
        checkpoint_key="params",
        licence_code=LICENCE,
        licence_weights=LICENCE,
        sigma=sigma,
        blind=blind,
        channels=channels,
        train_set=train_set,
        claims=claims,
        input=InputSpec(pad_multiple=8, always_pad=False, pad_mode="reflect", channels=in_channels),
        paper=PAPER,
        notes=" ".join(n for n in (notes, LICENCE_NOTE) if n),
    )


def _table_claims(
    table: dict, source: str, sigma: int | None = None, idx: int | None = None, protocol: str | None = None
) -> tuple[Claim, ...]:
    """Claims from ``{dataset: (psnr, ssim)}`` or, with ``idx``, from ``{dataset: (p15, p25, p50)}``."""
    out = []
    for ds, vals in table.items():
        if idx is None:
            out.append(_claim(ds, vals[0], vals[1], source, QUOTED.get((source, ds)), protocol=protocol))
        else:
            out.append(_claim(ds, vals[idx], None, source, sigma=sigma))
    return tuple(out)


def _dpdd_claims(kind: str) -> tuple[Claim, ...]:
    """Table 3's three column groups for one row: combined (the whole set) and the indoor/outdoor splits."""
    return tuple(_claim("DPDD", psnr, ssim, T3, GRL_T3, subset=split, mae=mae, lpips=lpips,
                        protocol="combined" if split is None else None)
                 for split, (psnr, ssim, mae, lpips) in DPDD[kind].items())


def _gaussian(channels: str) -> list[Variant]:
    grey = channels == "grey"
    name, fprefix = ("grey", "gaussian_gray_denoising") if grey else ("color", "gaussian_color_denoising")
    nonblind, blind = (GREY_NONBLIND, GREY_BLIND) if grey else (COLOR_NONBLIND, COLOR_BLIND)
    source = T4 if grey else T5
    kwargs = dict(LayerNorm_type="BiasFree")
    if grey:
        kwargs.update(inp_channels=1, out_channels=1)
    common = dict(arch_kwargs=kwargs, in_channels=1 if grey else 3, channels=channels, train_set=DFWB)
    out = [
        _variant(
            f"restormer-{name}-sigma{s}",
            "gaussian-denoising",
            f"{fprefix}_sigma{s}.pth",
            sigma=s,
            claims=tuple(_claim(ds, v[i], None, source, GRL_T4) for ds, v in nonblind.items()),
            **common,
        )
        for i, s in enumerate(SIGMAS)
    ]
    out.append(
        _variant(
            f"restormer-{name}-blind",
            "gaussian-denoising",
            f"{fprefix}_blind.pth",
            blind=True,
            claims=tuple(c for i, s in enumerate(SIGMAS) for c in _table_claims(blind, source, sigma=s, idx=i)),
            notes="One model for all noise levels; claims carry sigma. " + BLIND_NOTE,
            **common,
        )
    )
    return out


VARIANTS: list[Variant] = [
    _variant(
        "restormer-motion-deblurring",
        "motion-deblurring",
        "motion_deblurring.pth",
        train_set="GoPro",
        claims=_table_claims(MOTION, T2),
        on_hf=False,
        notes="Not found in the deepinv/Restormer HF mirror.",
    ),
    _variant(
        "restormer-defocus-single",
        "defocus-deblurring",
        "single_image_defocus_deblurring.pth",
        train_set="DPDD",
        claims=_dpdd_claims("single"),
        notes="Input: the centre view (test_c/source, 8-bit). " + NO_PAD_NOTE,
    ),
    _variant(
        "restormer-defocus-dual-pixel",
        "defocus-deblurring",
        "dual_pixel_defocus_deblurring.pth",
        arch_kwargs=dict(inp_channels=6, dual_pixel_task=True),
        in_channels=6,
        train_set="DPDD",
        claims=_dpdd_claims("dual"),
        notes=(
            "Input: left and right dual-pixel views (16-bit PNG / 65535) concatenated along channels "
            "(6 channels); output is the 3-channel all-in-focus image, no global residual. " + NO_PAD_NOTE
        ),
    ),
    _variant(
        "restormer-deraining",
        "deraining",
        "deraining.pth",
        train_set="Rain13K",
        claims=_table_claims(DERAIN, T1, protocol="Y channel"),
    ),
    _variant(
        "restormer-real-denoising",
        "real-denoising",
        "real_denoising.pth",
        arch_kwargs=dict(LayerNorm_type="BiasFree"),
        train_set="SIDD",
        claims=_table_claims(REAL, T6),
        notes="Trained on SIDD only; DND is cross-dataset. " + NO_PAD_NOTE,
    ),
    *_gaussian("rgb"),
    *_gaussian("grey"),
]
