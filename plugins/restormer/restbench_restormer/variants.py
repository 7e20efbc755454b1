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
  imgur, which could not be read here, and the paper's tables could not be opened either, so
  every Restormer claim is ``"untraced"`` except the Rain100L PSNR, which a third party quotes
  as the paper's (PromptIR issue #16). Not registered for lack of a readable source: the DPDD
  indoor/outdoor splits and the MAE/LPIPS columns of Table 3 (searched again for issue 16: no quote;
  lizhangray/3SDeblur's README row ``Restormer* | 25.98 | 0.811 | 0.178`` on DPDD carries an
  unexplained ``*``, also on its Restormer LFDOF row, a set the paper does not report, so it is not
  cited as the paper's number; see docs/claims.md).
  Such claims would carry ``subset="indoor"``/``"outdoor"`` and are matched only by a run of that
  split, which restbench cannot make yet. The cross-checks below (re-evaluations
  and comparison tables seen by an earlier session) support the values but are not citable quotes:

  - Table 1: the five rows average to the 33.96/0.935 quoted for Restormer elsewhere; the
    mmagic re-evaluation of ``deraining.pth`` agrees within 0.11 dB.
  - Table 2: GoPro 32.92/0.961 (NAFNet and FFTformer comparison tables); all PSNRs and the
    RealBlur SSIMs match X-Restormer's README (36.19/0.9571, 28.96/0.8785). HIDE SSIM 0.942 is
    not independently corroborated.
  - Table 3: single-image combined PSNR 25.98 quoted elsewhere; dual-pixel 26.66/0.833 agrees
    with mmagic's re-evaluation (26.62/0.835). Only the "combined" (76 scenes) column is recorded;
    indoor/outdoor splits, MAE and LPIPS are left out.
  - Table 6: SIDD 40.02/0.960 and DND 40.03/0.956 both quoted in third-party tables.
  - Table 5 (colour): per-sigma models agree with mmagic's re-evaluation within 0.05 dB; blind
    CBSD68 sigma 25/50 (31.78/28.59) quoted elsewhere; the other blind entries are transcriptions.
  - Table 4 (grey): transcriptions only, not corroborated by any source the tool could reach.
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


def _claim(dataset: str, psnr: float | None, ssim: float | None, source: str, **kw) -> Claim:
    """A Restormer claim: paper and table known, the value itself untraced unless ``kw`` says otherwise."""
    return Claim(dataset, psnr, ssim, source, paper=CITE, table=source.removeprefix("paper, "), **kw)

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
DPDD_COMBINED = {"single": (25.98, 0.811), "dual": (26.66, 0.833)}  # Table 3, combined column
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
GREY_NOTE = "Table 4 numbers are transcribed from the paper and were not independently corroborated."
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
            trace = dict(source_kind="third-party quote", source_ref=PROMPTIR_16) if (source, ds) == (T1, "Rain100L") else {}
            out.append(_claim(ds, vals[0], vals[1], source, protocol=protocol, **trace))
        else:
            out.append(_claim(ds, vals[idx], None, source, sigma=sigma))
    return tuple(out)


def _gaussian(channels: str) -> list[Variant]:
    grey = channels == "grey"
    name, fprefix = ("grey", "gaussian_gray_denoising") if grey else ("color", "gaussian_color_denoising")
    nonblind, blind = (GREY_NONBLIND, GREY_BLIND) if grey else (COLOR_NONBLIND, COLOR_BLIND)
    source = T4 if grey else T5
    kwargs = dict(LayerNorm_type="BiasFree")
    if grey:
        kwargs.update(inp_channels=1, out_channels=1)
    common = dict(arch_kwargs=kwargs, in_channels=1 if grey else 3, channels=channels, train_set=DFWB)
    note = GREY_NOTE if grey else ""
    out = [
        _variant(
            f"restormer-{name}-sigma{s}",
            "gaussian-denoising",
            f"{fprefix}_sigma{s}.pth",
            sigma=s,
            claims=tuple(_claim(ds, v[i], None, source) for ds, v in nonblind.items()),
            notes=note,
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
            notes=" ".join(n for n in ("One model for all noise levels; claims carry sigma.", note) if n),
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
        claims=(_claim("DPDD", *DPDD_COMBINED["single"], T3, protocol="combined"),),
        notes="Input: the centre view (test_c/source, 8-bit). " + NO_PAD_NOTE,
    ),
    _variant(
        "restormer-defocus-dual-pixel",
        "defocus-deblurring",
        "dual_pixel_defocus_deblurring.pth",
        arch_kwargs=dict(inp_channels=6, dual_pixel_task=True),
        in_channels=6,
        train_set="DPDD",
        claims=(_claim("DPDD", *DPDD_COMBINED["dual"], T3, protocol="combined"),),
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
