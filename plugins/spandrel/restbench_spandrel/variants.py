"""The seeds' successors, registered: NAFNet, DRUNet, SCUNet and HAT, built by spandrel.

Each variant is a released checkpoint with the authors' test-time configuration (constructor
kwargs, padding, their test script's forward) and the numbers the authors published for it.
The network classes are spandrel's; the options in :mod:`restbench_spandrel.builders` add what
the authors' scripts do around the network. Where the weights are only on Google Drive / Baidu
(NAFNet, HAT) there is no direct source: the share link is in the notes, and the file goes to
``restbench download``'s cache path by hand, or ``--weights ID=PATH``. None of these projects
publishes a sha256; restbench pins the first one it sees.

Sources, read for every number below (``source_kind``/``source_ref`` on each claim):

* **NAFNet** (Chen, Chu, Zhang, Sun, ECCV 2022): the README's "Results and Pre-trained Models"
  table (PSNR/SSIM to four decimals, per released file) and the test configs
  ``options/test/{GoPro,SIDD}/NAFNet-width{32,64}.yml`` (kwargs; GoPro builds ``NAFNetLocal``,
  i.e. TLC with the default ``train_size=(1, 3, 256, 256)``; weights under ``params``; metrics
  BasicSR ``calculate_psnr/ssim``, RGB, no crop, SIDD on float tensors ``use_image: false``).
* **DRUNet** (Zhang, Li, Zuo, Zhang, Van Gool, Timofte, "Plug-and-Play Image Restoration with
  Deep Denoiser Prior", TPAMI 2021): the tables in DPIR's README (images ``figs/grayscale_psnr.png``
  and ``figs/color_psnr.png``), Urban100 from SCUNet's Tables 1-2 (``DRUNet`` column); kwargs
  and forward from ``main_dpir_denoising.py`` (``in_nc=n+1``, nc [64,128,256,512], nb 4, noise
  map σ/255 concatenated, ``test_mode(mode=5, refield=64)``).
* **SCUNet** (Zhang, Li, Liang, Cao, Zhang, Tang, Timofte, Van Gool, "Practical Blind Denoising
  via Swin-Conv-UNet and Data Synthesis", MIR 2023 / arXiv 2203.13278): Tables 1-2 as images in
  the README (``figs/gray_scunet.png``, ``figs/color_scunet.png``); kwargs and forward from
  ``main_test_scunet_{gray,color}_gaussian.py`` (config [4]*7, dim 64, ``test_mode(mode=5,
  refield=64)``) and ``main_test_scunet_real_application.py`` (plain ``model(img)``).
* **HAT** (Chen, Wang, Zhou, Qiao, Dong, "Activating More Pixels in Image Super-Resolution
  Transformer", CVPR 2023): kwargs from ``options/test/HAT_SRx{2,3,4}.yml`` (``params_ema``),
  padding from ``hat/models/hat_model.py`` ``pre_process`` (reflect to a multiple of
  ``window_size``=16, only when not aligned). Numbers: the README prints only the x4 PSNRs; the
  paper's classical-SR table (x2/x3/x4 PSNR/SSIM) was not readable here, but two later papers print
  HAT's row of it in their own classical-SR tables, cell for cell the same: ATD (CVPR 2024,
  ``figures/classical.png``, row "HAT [4]", 20.6M/20.8M params) and MambaIRv2 (``assets/classicSR.png``,
  Table 4, row "HAT [8]"). Claims cite ATD's image (third-party quote) and the x4 PSNRs also
  agree with the README.
"""

from __future__ import annotations

from restbench.registry import Claim, InputSpec, Variant, WeightSource

from .licences import REGISTERED_LICENCES

KAIR = "https://github.com/cszn/KAIR/releases/download/v1.0/"

# ----------------------------------------------------------------------------------- NAFNet

NAFNET_PAPER = "Chen, Chu, Zhang, Sun: Simple Baselines for Image Restoration, ECCV 2022 (arXiv 2204.04676)"
NAFNET_CITE = "NAFNet (ECCV 2022, arXiv 2204.04676)"
NAFNET_README = ("https://github.com/megvii-research/NAFNet/blob/2b4af71/readme.md "
                 "('Results and Pre-trained Models' table)")
NAFNET_TABLE = "README 'Results and Pre-trained Models'"
_NAFNET_GDRIVE = {
    "NAFNet-GoPro-width32.pth": "https://drive.google.com/file/d/1Fr2QadtDCEXg6iwWX8OzeZLbHOx2t5Bj/view?usp=sharing",
    "NAFNet-GoPro-width64.pth": "https://drive.google.com/file/d/1S0PVRbyTakYY9a82kujgZLbMihfNBLfC/view?usp=sharing",
    "NAFNet-SIDD-width32.pth": "https://drive.google.com/file/d/1lsByk21Xw-6aW7epCwOQxvm6HYCQZPHZ/view?usp=sharing",
    "NAFNet-SIDD-width64.pth": "https://drive.google.com/file/d/14Fht1QQJ2gMlk4N1ERCRuElg8JfjrWWR/view?usp=sharing",
}
_NAFNET = {  # (dataset, width): (file, kwargs, PSNR, SSIM)
    ("GoPro", 32): (dict(width=32, enc_blk_nums=[1, 1, 1, 28], middle_blk_num=1, dec_blk_nums=[1, 1, 1, 1]),
                    32.8705, 0.9606),
    ("GoPro", 64): (dict(width=64, enc_blk_nums=[1, 1, 1, 28], middle_blk_num=1, dec_blk_nums=[1, 1, 1, 1]),
                    33.7103, 0.9668),
    ("SIDD", 32): (dict(width=32, enc_blk_nums=[2, 2, 4, 8], middle_blk_num=12, dec_blk_nums=[2, 2, 2, 2]),
                   39.9672, 0.9599),
    ("SIDD", 64): (dict(width=64, enc_blk_nums=[2, 2, 4, 8], middle_blk_num=12, dec_blk_nums=[2, 2, 2, 2]),
                   40.3045, 0.9614),
}
_NAFNET_PROTOCOL = {
    "GoPro": "GoPro test (1111 images), BasicSR calculate_psnr/calculate_ssim on uint8 RGB, crop 0 "
             "(NAFNet's options/test/GoPro/*.yml); SSIM is BasicSR's, not MATLAB's",
    "SIDD": "SIDD validation blocks, BasicSR calculate_psnr/calculate_ssim on the float outputs "
            "(use_image: false), RGB, crop 0 (options/test/SIDD/*.yml)",
}


def _drive_id(link: str) -> str:
    """The file id of a ``https://drive.google.com/file/d/ID/view`` share link."""
    return link.split("/file/d/", 1)[1].split("/", 1)[0]


def _nafnet(dataset: str, width: int) -> Variant:
    kwargs, psnr, ssim = _NAFNET[(dataset, width)]
    fname = f"NAFNet-{dataset}-width{width}.pth"
    gopro = dataset == "GoPro"
    kw = dict(img_channel=3, **kwargs, **({"tlc_train_size": 256} if gopro else {}))
    return Variant(
        id=f"nafnet-{dataset.lower()}-width{width}",
        arch="nafnet",
        task="motion-deblurring" if gopro else "real-denoising",
        arch_kwargs=kw,
        weight_file=fname,
        # the README's Google Drive file links, fetched through gdown (restbench.fetch.gdrive); Baidu: see notes
        sources=(WeightSource(gdrive_id=_drive_id(_NAFNET_GDRIVE[fname]), note="NAFNet README, Google Drive file link"),),
        checkpoint_key="params",
        licence_code=REGISTERED_LICENCES["NAFNet"],
        licence_weights=REGISTERED_LICENCES["NAFNet"],
        channels="rgb",
        train_set="GoPro train (2103 pairs)" if gopro else "SIDD-Medium",
        claims=(Claim(dataset, psnr, ssim, NAFNET_TABLE, protocol=_NAFNET_PROTOCOL[dataset], paper=NAFNET_CITE,
                      table=NAFNET_TABLE, source_kind="authors' README", source_ref=NAFNET_README),),
        input=InputSpec(channels=3),  # NAFNet pads itself (zeros, to 2**len(encoders))
        paper=NAFNET_PAPER,
        notes=(f"Weights: {_NAFNET_GDRIVE[fname]} (Google Drive; also Baidu, see the README). "
               + ("Built as NAFNetLocal (TLC: local mean pooling over 1.5x the 256-px training patch), as "
                  "the GoPro test config does. " if gopro else "")
               + "restbench's default protocol for this set scores SSIM its own way (see the claim's protocol)."),
    )


# ----------------------------------------------------------------------------------- DRUNet

DRUNET_PAPER = ("Zhang, Li, Zuo, Zhang, Van Gool, Timofte: Plug-and-Play Image Restoration with Deep Denoiser "
                "Prior, TPAMI 2021 (arXiv 2008.13751)")
DRUNET_CITE = "DPIR / DRUNet (TPAMI 2021, arXiv 2008.13751)"
DPIR_GREY_IMG = "https://github.com/cszn/DPIR/blob/15bca3f/figs/grayscale_psnr.png (DPIR README, 'DRUNet' column)"
DPIR_COLOUR_IMG = "https://github.com/cszn/DPIR/blob/15bca3f/figs/color_psnr.png (DPIR README, 'DRUNet' column)"
SCUNET_CITE = "SCUNet (MIR 2023, arXiv 2203.13278)"
SCUNET_T1_IMG = "https://github.com/cszn/SCUNet/blob/52e440a/figs/gray_scunet.png (SCUNet README, Table 1)"
SCUNET_T2_IMG = "https://github.com/cszn/SCUNet/blob/52e440a/figs/color_scunet.png (SCUNet README, Table 2)"

_DRUNET_GREY = {"Set12": (33.25, 30.94, 27.90), "BSD68": (31.91, 29.48, 26.59)}
_DRUNET_GREY_URBAN = (33.44, 31.11, 27.96)  # SCUNet Table 1, DRUNet column
_DRUNET_COLOUR = {"CBSD68": (34.30, 31.69, 28.51), "Kodak24": (35.31, 32.89, 29.86), "McMaster": (35.40, 33.14, 30.08)}
_DRUNET_COLOUR_URBAN = (34.81, 32.60, 29.61)  # SCUNet Table 2, DRUNet column
SIGMAS = (15, 25, 50)

DPIR_PROTOCOL = ("DPIR main_dpir_denoising.py: uint2single, np.random.seed(0) per image, normal(0, s/255) on the "
                 "HxWxC array, no clip; PSNR on uint8, border 0 (restbench: kair-denoise)")
ONE_SPLIT_NOTE = ("Forward as the authors' script runs it for every test image: KAIR test_mode(mode=5, refield=64), "
                  "four overlapping corner crops stitched (builder option one_split=64).")


def _drunet(channels: str, sigma: int) -> Variant:
    grey = channels == "grey"
    n = 1 if grey else 3
    i = SIGMAS.index(sigma)
    if grey:
        claims = [Claim(ds, v[i], None, "DPIR README grey table", protocol=DPIR_PROTOCOL, paper=DRUNET_CITE,
                        table="grey Gaussian denoising table (README figure)",
                        source_kind="transcribed from a table image", source_ref=DPIR_GREY_IMG)
                  for ds, v in _DRUNET_GREY.items()]
        urban, t, img = _DRUNET_GREY_URBAN, "Table 1", SCUNET_T1_IMG
    else:
        claims = [Claim(ds, v[i], None, "DPIR README colour table", protocol=DPIR_PROTOCOL, paper=DRUNET_CITE,
                        table="colour Gaussian denoising table (README figure)",
                        source_kind="transcribed from a table image", source_ref=DPIR_COLOUR_IMG)
                  for ds, v in _DRUNET_COLOUR.items()]
        urban, t, img = _DRUNET_COLOUR_URBAN, "Table 2", SCUNET_T2_IMG
    claims.append(Claim("Urban100", urban[i], None, f"SCUNet {t}, DRUNet column", protocol=DPIR_PROTOCOL,
                        paper=SCUNET_CITE, table=f"{t} (DRUNet column)",
                        source_kind="transcribed from a table image", source_ref=img))
    fname = f"drunet_{'gray' if grey else 'color'}.pth"
    return Variant(
        id=f"drunet-{'grey' if grey else 'color'}-s{sigma}",
        arch="drunet",
        task="gaussian-denoising",
        arch_kwargs=dict(in_nc=n + 1, out_nc=n, nc=[64, 128, 256, 512], nb=4, act_mode="R",
                         downsample_mode="strideconv", upsample_mode="convtranspose",
                         noise_sigma=sigma, one_split=64),
        weight_file=fname,
        sources=(WeightSource(url=KAIR + fname),),
        licence_code=REGISTERED_LICENCES["DRUNet"],
        licence_weights="MIT (cszn/KAIR release)",
        sigma=sigma,
        channels=channels,
        train_set="BSD400 + WED + DIV2K + Flickr2K (DPIR), noise sigma in [0, 50]",
        claims=tuple(claims),
        input=InputSpec(channels=n),
        paper=DRUNET_PAPER,
        notes=("One network for every sigma, told the noise level by an extra input channel (sigma/255); "
               f"registered once per sigma because a variant is one built model. {ONE_SPLIT_NOTE}"),
    )


# ----------------------------------------------------------------------------------- SCUNet

SCUNET_PAPER = ("Zhang, Li, Liang, Cao, Zhang, Tang, Timofte, Van Gool: Practical Blind Denoising via Swin-Conv-UNet "
                "and Data Synthesis, Machine Intelligence Research 2023 (arXiv 2203.13278)")
_SCUNET_GREY = {"Set12": (33.43, 31.09, 28.04), "BSD68": (31.99, 29.55, 26.67), "Urban100": (33.88, 31.58, 28.56)}
_SCUNET_COLOUR = {"CBSD68": (34.40, 31.79, 28.61), "Kodak24": (35.34, 32.92, 29.87),
                  "McMaster": (35.60, 33.34, 30.29), "Urban100": (35.18, 33.03, 30.14)}
SCUNET_PROTOCOL = ("main_test_scunet_{gray,color}_gaussian.py: np.random.seed(0) per image, normal(0, s/255) on the "
                   "HxWxC array, no clip; PSNR on uint8, border 0 (restbench: kair-denoise)")
_SCUNET_KW = dict(config=[4, 4, 4, 4, 4, 4, 4], dim=64, replicate_pad=True)


def _scunet(channels: str, sigma: int) -> Variant:
    grey = channels == "grey"
    n = 1 if grey else 3
    i = SIGMAS.index(sigma)
    table, img = ("Table 1", SCUNET_T1_IMG) if grey else ("Table 2", SCUNET_T2_IMG)
    claims = [Claim(ds, v[i], None, f"SCUNet {table}", protocol=SCUNET_PROTOCOL, paper=SCUNET_CITE, table=table,
                    source_kind="transcribed from a table image", source_ref=img)
              for ds, v in (_SCUNET_GREY if grey else _SCUNET_COLOUR).items()]
    fname = f"scunet_{'gray' if grey else 'color'}_{sigma}.pth"
    return Variant(
        id=f"scunet-{'grey' if grey else 'color'}-s{sigma}",
        arch="scunet",
        task="gaussian-denoising",
        arch_kwargs=dict(in_nc=n, **_SCUNET_KW, one_split=64),
        weight_file=fname,
        sources=(WeightSource(url=KAIR + fname),),
        licence_code=REGISTERED_LICENCES["SCUNet"],
        licence_weights="Apache-2.0 (cszn/SCUNet; files in the cszn/KAIR release)",
        sigma=sigma,
        channels=channels,
        train_set="DIV2K + Flickr2K + BSD400 + WED (SCUNet), Gaussian noise at this sigma",
        claims=tuple(claims),
        input=InputSpec(channels=n),
        paper=SCUNET_PAPER,
        notes=f"{ONE_SPLIT_NOTE} SCUNet pads to a multiple of 64 by replication inside its forward (the authors'; "
              "spandrel's copy reflects, so the builder restores replication).",
    )


def _scunet_real(kind: str) -> Variant:
    fname = f"scunet_color_real_{kind}.pth"
    return Variant(
        id=f"scunet-color-real-{kind}",
        arch="scunet",
        task="real-denoising",
        arch_kwargs=dict(in_nc=3, **_SCUNET_KW),
        weight_file=fname,
        sources=(WeightSource(url=KAIR + fname),),
        licence_code=REGISTERED_LICENCES["SCUNet"],
        licence_weights="Apache-2.0 (cszn/SCUNet; files in the cszn/KAIR release)",
        blind=True,
        channels="rgb",
        train_set="synthetic real-noise pairs (SCUNet's degradation pipeline)",
        claims=(),
        input=InputSpec(channels=3),
        paper=SCUNET_PAPER,
        notes=("Blind real-image denoiser (" + ("PSNR-oriented" if kind == "psnr" else "GAN, perceptual")
               + "); the paper shows real-image results as figures, so no number is claimed. "
               "Forward: model(img) as in main_test_scunet_real_application.py."),
    )


# ----------------------------------------------------------------------------------- HAT

HAT_PAPER = ("Chen, Wang, Zhou, Qiao, Dong: Activating More Pixels in Image Super-Resolution Transformer, "
             "CVPR 2023 (arXiv 2205.04437)")
HAT_CITE = "HAT (CVPR 2023, arXiv 2205.04437)"
HAT_README = ("https://github.com/XPixelGroup/HAT/blob/1638a9a/README.md ('Benchmark results on SRx4 without "
              "ImageNet pretraining', HAT row)")
HAT_GDRIVE_FOLDER = "1HpmReFfoUqUbnAOQ7rvOeNU3uf_m69w0"  # the README's "Google Drive" link for the pretrained models
HAT_GDRIVE = f"https://drive.google.com/drive/folders/{HAT_GDRIVE_FOLDER}"
HAT_PROTOCOL = "BasicSR calculate_psnr/ssim, Y channel, crop_border = scale (options/test/HAT_SRx*.yml)"
HAT_TABLE = "classical SR table (HAT, no ImageNet pre-training)"
HAT_QUOTE = ("https://github.com/LabShuHangGU/Adaptive-Token-Dictionary/blob/d25fd84/figures/classical.png (ATD's "
             "classical SR table, row 'HAT [4]'; the same cells in MambaIRv2 Table 4, "
             "https://github.com/csguoh/MambaIR/blob/33d7b34/assets/classicSR.png, row 'HAT [8]')")
_HAT = {  # scale: {dataset: (PSNR, SSIM)}, HAT's row of its classical SR table as ATD and MambaIRv2 print it
    2: {"Set5": (38.63, 0.9630), "Set14": (34.86, 0.9274), "BSD100": (32.62, 0.9053),
        "Urban100": (34.45, 0.9466), "Manga109": (40.26, 0.9809)},
    3: {"Set5": (35.07, 0.9329), "Set14": (31.08, 0.8555), "BSD100": (29.54, 0.8167),
        "Urban100": (30.23, 0.8896), "Manga109": (35.53, 0.9552)},
    4: {"Set5": (33.04, 0.9056), "Set14": (29.23, 0.7973), "BSD100": (28.00, 0.7517),
        "Urban100": (27.97, 0.8368), "Manga109": (32.48, 0.9292)},
}
HAT_KWARGS = dict(in_chans=3, img_size=64, window_size=16, compress_ratio=3, squeeze_factor=30, conv_scale=0.01,
                  overlap_ratio=0.5, img_range=1.0, depths=[6, 6, 6, 6, 6, 6], embed_dim=180,
                  num_heads=[6, 6, 6, 6, 6, 6], mlp_ratio=2, upsampler="pixelshuffle", resi_connection="1conv")


def _hat_claims(scale: int) -> list[Claim]:
    ref = HAT_QUOTE + (f"; the PSNRs also in {HAT_README}" if scale == 4 else "")
    return [Claim(ds, psnr, ssim, HAT_TABLE, protocol=HAT_PROTOCOL, paper=HAT_CITE, table=HAT_TABLE,
                  source_kind="third-party quote", source_ref=ref)
            for ds, (psnr, ssim) in _HAT[scale].items()]


def _hat(scale: int) -> Variant:
    fname = f"HAT_SRx{scale}.pth"
    return Variant(
        id=f"hat-srx{scale}",
        arch="hat",
        task="classical-sr",
        arch_kwargs=dict(upscale=scale, **HAT_KWARGS),
        weight_file=fname,
        # the authors share a Drive folder (and Baidu), no per-file links and no checksums: the folder is
        # listed at fetch time and the file taken by name
        sources=(WeightSource(gdrive_folder=HAT_GDRIVE_FOLDER, gdrive_path=fname),),
        checkpoint_key="params_ema",
        licence_code=REGISTERED_LICENCES["HAT"],
        licence_weights=REGISTERED_LICENCES["HAT"],
        scale=scale,
        channels="rgb",
        train_set="DF2K (DIV2K + Flickr2K)" + ("" if scale == 2 else f"; x{scale} fine-tuned from the x2 model"),
        claims=tuple(_hat_claims(scale)),
        input=InputSpec(pad_multiple=16, pad_mode="reflect", channels=3),
        paper=HAT_PAPER,
        notes=(f"Weights: {fname} from the authors' Google Drive folder {HAT_GDRIVE}, found by name when the folder "
               "is listed (no sha256 published; also on Baidu, see the README); "
               "the *_ImageNet-pretrain.pth files are other variants. Input padded by reflection to a multiple "
               "of 16 only when not aligned (hat_model.py pre_process)."),
    )


VARIANTS_BY_ARCH: dict[str, list[Variant]] = {
    "NAFNet": [_nafnet(ds, w) for ds in ("GoPro", "SIDD") for w in (32, 64)],
    "DRUNet": [_drunet(ch, s) for ch in ("grey", "rgb") for s in SIGMAS],
    "SCUNet": [*(_scunet(ch, s) for ch in ("grey", "rgb") for s in SIGMAS), _scunet_real("psnr"), _scunet_real("gan")],
    "HAT": [_hat(s) for s in (2, 3, 4)],
}

__all__ = ["HAT_KWARGS", "VARIANTS_BY_ARCH"]
