"""SwinIR checkpoints released in JingyunLiang/SwinIR (GitHub release v0.0), as data.

Where each fact comes from:

* File names: the authors' README test commands (classical x2/3/4/8 DIV2K s48 and DF2K s64,
  lightweight x2/3/4, real-SR M x4 GAN and L x4 GAN, grey/colour denoising, grey/colour JPEG),
  ``download-weights.sh`` (same names, v0.0 URLs). The real-SR ``..._SwinIR-M_x2_GAN.pth``,
  ``..._x2_PSNR.pth``, ``..._x4_PSNR.pth`` and ``..._SwinIR-L_x4_PSNR.pth`` are not in the README's
  commands; they are in release v0.0 (mmagic's SwinIR README lists them under their original names,
  and several public scripts download ``releases/download/v0.0/<name>``).
* ``arch_kwargs`` and ``checkpoint_key``: ``define_model`` in ``main_test_swinir.py``. It picks
  ``params_ema`` for every ``real_sr`` model and ``params`` otherwise, falling back to the whole
  dict when the key is absent. Real-SR x2 needs ``upscale=2`` with ``nearest+conv``, which the
  authors' ``network_swinir.py`` refuses (``assert upscale == 4``); see ``arch.py``.
* ``input``: the script pads H and W by ``(h // ws + 1) * ws - h`` (always, a full window when
  already aligned) by concatenating the flipped image, i.e. symmetric padding, then crops the output
  to ``h*scale x w*scale``. ``ws`` is 8, and 7 for both JPEG tasks (JPEG uses 8x8 blocks).
* Claims: arXiv 2108.10257 (SwinIR paper, ICCVW 2021). Table 2 classical SR (the plain "SwinIR"
  rows: DIV2K-trained = ``001_classicalSR_DIV2K_s48w8``, DIV2K+Flickr2K = ``..._DF2K_s64w8``; the
  "SwinIR+" rows are self-ensemble results, not a checkpoint, and are not used); Table 3 lightweight
  SR; Table 4 grey JPEG (PSNR/SSIM/PSNR-B); Table 5 grey denoising; Table 6 colour denoising.
  Every value was checked against the images of those tables that the authors' README shows
  (``figs/classic_image_sr.png``, ``lightweight_image_sr.png``, ``jepg_compress_artfact_reduction.png``,
  ``gray_image_denoising.png``, ``color_image_denoising.png`` at commit 6545850): all agree.
  x8 results are only in the supplementary material (release v0.0 PDF, not readable here: no
  claims for x8). Real-SR has no quantitative table. README tables (text): colour JPEG on LIVE1
  (RGB PSNR / PSNR-B / SSIM; that table's "Training Set" column actually names the test set) and
  DIV2K-validation (100 images; the Y-channel columns are used, as in the paper's SR protocol).
* Protocols (from ``main_test_swinir.py``/``util_calculate_psnr_ssim.py``): SR on the Y channel with
  ``border = scale``; denoising on the image (grey or RGB), noise ``np.random.seed(0)`` per image,
  no clipping; grey JPEG on Y (colour images converted with ``bgr2ycbcr``), OpenCV JPEG encoder.
* Licence: the README states Apache 2.0 for the project; the weights are published in the same
  repository's release with no separate licence. No sha256 is published by the authors.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from restbench.registry import Claim, InputSpec, Variant, WeightSource

RELEASE = "https://github.com/JingyunLiang/SwinIR/releases/download/v0.0/"
PAPER = "Liang et al., SwinIR: Image Restoration Using Swin Transformer, ICCVW 2021 (arXiv 2108.10257)"
LICENCE = "Apache-2.0"

SR_SETS = ("Set5", "Set14", "BSD100", "Urban100", "Manga109")

CITE = "SwinIR (ICCVW 2021, arXiv 2108.10257)"
_FIGS = "https://github.com/JingyunLiang/SwinIR/blob/6545850/figs/"
README = "https://github.com/JingyunLiang/SwinIR/blob/6545850/README.md"
IMAGE = "transcribed from a table image"
# paper table -> image of it in the authors' README
TABLE_IMAGE = {
    "Table 2": _FIGS + "classic_image_sr.png",
    "Table 3": _FIGS + "lightweight_image_sr.png",
    "Table 4": _FIGS + "jepg_compress_artfact_reduction.png",
    "Table 5": _FIGS + "gray_image_denoising.png",
    "Table 6": _FIGS + "color_image_denoising.png",
}


def _paper_claim(dataset: str, psnr: float, ssim: float | None, table: str, **kw) -> Claim:
    """A value of the paper's ``table``, read from the image of it in the README."""
    return Claim(dataset, psnr, ssim, f"paper, {table}", paper=CITE, table=table, source_kind=IMAGE,
                 source_ref=f"{TABLE_IMAGE[table]} (README 'Results', image of paper {table})", **kw)


def _readme_claim(dataset: str, psnr: float, ssim: float | None, section: str, **kw) -> Claim:
    return Claim(dataset, psnr, ssim, f"README, {section}", paper=CITE, table=f"README table '{section}'",
                 source_kind="authors' README", source_ref=f"{README} ('{section}')", **kw)

# Table 2, "SwinIR" rows: scale -> per-SR_SETS (PSNR, SSIM)
_T2_DIV2K = {
    2: ((38.35, 0.9620), (34.14, 0.9227), (32.44, 0.9030), (33.40, 0.9393), (39.60, 0.9792)),
    3: ((34.89, 0.9312), (30.77, 0.8503), (29.37, 0.8124), (29.29, 0.8744), (34.74, 0.9518)),
    4: ((32.72, 0.9021), (28.94, 0.7914), (27.83, 0.7459), (27.07, 0.8164), (31.67, 0.9226)),
}
_T2_DF2K = {
    2: ((38.42, 0.9623), (34.46, 0.9250), (32.53, 0.9041), (33.81, 0.9427), (39.92, 0.9797)),
    3: ((34.97, 0.9318), (30.93, 0.8534), (29.46, 0.8145), (29.75, 0.8826), (35.12, 0.9537)),
    4: ((32.92, 0.9044), (29.09, 0.7950), (27.92, 0.7489), (27.45, 0.8254), (32.03, 0.9260)),
}
# Table 3, SwinIR (small)
_T3 = {
    2: ((38.14, 0.9611), (33.86, 0.9206), (32.31, 0.9012), (32.76, 0.9340), (39.12, 0.9783)),
    3: ((34.62, 0.9289), (30.54, 0.8463), (29.20, 0.8082), (28.66, 0.8624), (33.98, 0.9478)),
    4: ((32.44, 0.8976), (28.77, 0.7858), (27.69, 0.7406), (26.47, 0.7980), (30.92, 0.9151)),
}
# README, "Results on DIV2K-validation (100 images)", Y-channel PSNR / SSIM
_DIV2K_VAL = {
    ("DIV2K", 2): (36.77, 0.9500), ("DF2K", 2): (36.86, 0.9507),
    ("DIV2K", 3): (32.97, 0.8965), ("DF2K", 3): (33.10, 0.8985),
    ("DIV2K", 4): (30.94, 0.8492), ("DF2K", 4): (31.08, 0.8523),
}
# Table 5 (grey) and Table 6 (colour) denoising, PSNR only: dataset -> {sigma: psnr}
_T5 = {
    "Set12": {15: 33.36, 25: 31.01, 50: 27.91},
    "BSD68": {15: 31.97, 25: 29.50, 50: 26.58},
    "Urban100": {15: 33.70, 25: 31.30, 50: 27.98},
}
_T6 = {
    "CBSD68": {15: 34.42, 25: 31.78, 50: 28.56},
    "Kodak24": {15: 35.34, 25: 32.89, 50: 29.79},
    "McMaster": {15: 35.61, 25: 33.20, 50: 30.22},
    "Urban100": {15: 35.13, 25: 32.90, 50: 29.82},
}
# Table 4, grey JPEG: dataset -> {quality: (PSNR, SSIM, PSNR-B)}
_T4 = {
    "classic5": {10: (30.27, 0.8249, 29.95), 20: (32.52, 0.8748, 31.99), 30: (33.73, 0.8961, 33.03),
                 40: (34.52, 0.9082, 33.66)},
    "LIVE1": {10: (29.86, 0.8287, 29.50), 20: (32.25, 0.8909, 31.70), 30: (33.69, 0.9174, 33.01),
              40: (34.67, 0.9317, 33.88)},
}
# README, colour JPEG table (LIVE1, RGB): quality -> (PSNR, SSIM, PSNR-B)
_README_COLOR_JPEG = {10: (28.06, 0.8089, 27.76), 20: (30.45, 0.8741, 29.97), 30: (31.82, 0.9018, 31.24),
                      40: (32.75, 0.9174, 32.12)}

# define_model() in main_test_swinir.py: the SwinIR-M trunk shared by most tasks
_M = dict(window_size=8, img_range=1.0, depths=[6] * 6, embed_dim=180, num_heads=[6] * 6, mlp_ratio=2,
          resi_connection="1conv")
_S = dict(window_size=8, img_range=1.0, depths=[6] * 4, embed_dim=60, num_heads=[6] * 4, mlp_ratio=2,
          resi_connection="1conv")
_L = dict(window_size=8, img_range=1.0, depths=[6] * 9, embed_dim=240, num_heads=[8] * 9, mlp_ratio=2,
          resi_connection="3conv")


def _kwargs(base: Mapping, **over) -> dict:
    """A fresh dict (lists copied) so no two variants share mutable kwargs."""
    d = {k: list(v) if isinstance(v, list) else v for k, v in base.items()}
    d.update(over)
    return d


def _sr_claims(table: Mapping[int, tuple], scale: int, paper_table: str) -> list[Claim]:
    return [_paper_claim(ds, p, s, paper_table) for ds, (p, s) in zip(SR_SETS, table.get(scale, ()))]


def _variant(vid: str, task: str, fname: str, kwargs: dict, *, key: str = "params", channels: str = "rgb",
             train_set: str, claims: Iterable[Claim] = (), notes: str = "", **levels) -> Variant:
    chans = kwargs["in_chans"]
    if (chans == 1) != (channels == "grey"):
        raise ValueError(f"{vid}: in_chans={chans} does not fit channels={channels!r}")
    return Variant(
        id=vid,
        arch="swinir",
        task=task,
        arch_kwargs=kwargs,
        weight_file=fname,
        sources=(WeightSource(url=RELEASE + fname),),
        sha256=None,
        checkpoint_key=key,
        licence_code=LICENCE,
        licence_weights=LICENCE,
        channels=channels,
        train_set=train_set,
        claims=tuple(claims),
        input=InputSpec(pad_multiple=kwargs["window_size"], always_pad=True, pad_mode="symmetric", channels=chans),
        paper=PAPER,
        notes=notes,
        **levels,
    )


def _classical() -> list[Variant]:
    out = []
    for tag, patch, train, table in (("div2k", 48, "DIV2K", _T2_DIV2K), ("df2k", 64, "DIV2K+Flickr2K", _T2_DF2K)):
        for s in (2, 3, 4, 8):
            claims = _sr_claims(table, s, "Table 2")
            val = _DIV2K_VAL.get(("DIV2K" if tag == "div2k" else "DF2K", s))
            if val:
                claims.append(_readme_claim("DIV2K-val", val[0], val[1], "Results on DIV2K-validation (100 images)",
                                            protocol="Y channel (the README's PSNR (Y) / SSIM (Y) columns)"))
            out.append(_variant(
                f"swinir-m-classical-{tag}-x{s}", "classical-sr",
                f"001_classicalSR_{tag.upper()}_s{patch}w8_SwinIR-M_x{s}.pth",
                _kwargs(_M, upscale=s, in_chans=3, img_size=patch, upsampler="pixelshuffle"),
                train_set=train, scale=s, claims=claims,
                notes="claims: Y channel, border crop = scale; x8 results are only in the supplementary" if s == 8
                else "claims: Y channel (BT.601), border crop = scale",
            ))
    return out


def _lightweight() -> list[Variant]:
    return [
        _variant(
            f"swinir-s-lightweight-x{s}", "lightweight-sr", f"002_lightweightSR_DIV2K_s64w8_SwinIR-S_x{s}.pth",
            _kwargs(_S, upscale=s, in_chans=3, img_size=64, upsampler="pixelshuffledirect"),
            train_set="DIV2K", scale=s, claims=_sr_claims(_T3, s, "Table 3"),
            notes="claims: Y channel (BT.601), border crop = scale",
        )
        for s in (2, 3, 4)
    ]


def _real_sr() -> list[Variant]:
    dfo = "DIV2K+Flickr2K+OST (BSRGAN degradations)"
    dfowmfc = "DIV2K+Flickr2K+OST+WED+FFHQ(2000)+Manga109+SCUT-CTW1500(100) (BSRGAN degradations)"
    note = "no reference-based numbers published (visual comparison only); script loads 'params_ema'"
    out = []
    for size, base, tag, train, scales in (("m", _M, "DFO", dfo, (2, 4)), ("l", _L, "DFOWMFC", dfowmfc, (4,))):
        for s in scales:
            for kind in ("gan", "psnr"):
                out.append(_variant(
                    f"swinir-{size}-realsr-x{s}-{kind}", "real-sr",
                    f"003_realSR_BSRGAN_{tag}_s64w8_SwinIR-{size.upper()}_x{s}_{kind.upper()}.pth",
                    _kwargs(base, upscale=s, in_chans=3, img_size=64, upsampler="nearest+conv"),
                    key="params_ema", train_set=train, scale=s,
                    notes=note + ("" if kind == "gan" else "; PSNR-oriented model (before GAN fine-tuning)"),
                ))
    return out


def _denoising() -> list[Variant]:
    out = []
    for colour, prefix, table, src in (("grey", "004_grayDN", _T5, "Table 5"),
                                       ("rgb", "005_colorDN", _T6, "Table 6")):
        for sigma in (15, 25, 50):
            out.append(_variant(
                f"swinir-m-dn-{colour}-s{sigma}", "gaussian-denoising",
                f"{prefix}_DFWB_s128w8_SwinIR-M_noise{sigma}.pth",
                _kwargs(_M, upscale=1, in_chans=1 if colour == "grey" else 3, img_size=128, upsampler=""),
                channels=colour, train_set="DIV2K+Flickr2K+BSD500+WED", sigma=sigma,
                claims=[_paper_claim(ds, levels[sigma], None, src) for ds, levels in table.items()],
                notes="claims: PSNR on the full image, noise from np.random.seed(0), no clipping of the input",
            ))
    return out


def _jpeg() -> list[Variant]:
    out = []
    for q in (10, 20, 30, 40):
        out.append(_variant(
            f"swinir-m-car-grey-q{q}", "jpeg-car", f"006_CAR_DFWB_s126w7_SwinIR-M_jpeg{q}.pth",
            _kwargs(_M, upscale=1, in_chans=1, img_size=126, window_size=7, img_range=255.0, upsampler=""),
            channels="grey", train_set="DIV2K+Flickr2K+BSD500+WED", quality=q,
            claims=[_paper_claim(ds, *levels[q][:2], "Table 4", psnrb=levels[q][2]) for ds, levels in _T4.items()],
            notes="window 7 because JPEG uses 8x8 blocks; claims on Y (colour test images converted)",
        ))
    for q in (10, 20, 30, 40):
        out.append(_variant(
            f"swinir-m-car-rgb-q{q}", "jpeg-car", f"006_colorCAR_DFWB_s126w7_SwinIR-M_jpeg{q}.pth",
            _kwargs(_M, upscale=1, in_chans=3, img_size=126, window_size=7, img_range=255.0, upsampler=""),
            channels="rgb", train_set="DIV2K+Flickr2K+BSD500+WED", quality=q,
            claims=[_readme_claim("LIVE1", *_README_COLOR_JPEG[q][:2], "JPEG Compression Artifact Reduction, on color images",
                                  psnrb=_README_COLOR_JPEG[q][2], protocol="RGB")],
            notes="released Aug 2022, not in the paper; claims: RGB PSNR/SSIM on LIVE1 (README)",
        ))
    return out


VARIANTS: list[Variant] = [*_classical(), *_lightweight(), *_real_sr(), *_denoising(), *_jpeg()]
