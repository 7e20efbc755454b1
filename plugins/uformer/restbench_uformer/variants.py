"""Uformer checkpoints released by the authors (ZhendongWang6/Uformer), as data.

Sources read:

* README (current; links refreshed 2024-10-24 "Fix expired links" and 2025-03-21 "fix model&result
  link"): "Pretrained model - Uformer_B: SIDD | GoPro", both OneDrive/SharePoint share links (no
  file names, no checksums). A user reports both downloads are named ``Uformer_B.pth`` and are
  612,626,692 bytes each (Uformer issue #75, 2025-08-17; same size is expected: same architecture,
  state_dict plus optimizer state). Direct download: a SharePoint ``:u:`` share link with
  ``?download=1`` in place of its ``?e=…`` query answers with the file itself (documented working
  with wget in MILVLG/bottom-up-attention.pytorch issue #53, whose maintainers then switched all
  their links to that form); that is what the sources below use. Not tried from here (no internet).
* README (2021 revisions, removed in 2022-07): ``Uformer32_denoising_sidd.pth`` (PSNR 39.77 dB)
  and ``Uformer16_denoising_sidd.pth`` (PSNR 39.65 dB) on Google Drive. These come from the
  arXiv-v1 code (``get_arch`` arch ``Uformer32``/``Uformer16``: no modulator); that code's
  ``model.py`` (commit fe86080) has the same parameter names as today's with ``modulator=False``,
  and the preset's parameter counts (20.63M / 5.23M) match the v1 paper's Uformer-S / Uformer-T,
  but we have not loaded those files.
* ``script/test.sh`` + ``test/test_sidd.py``, ``test_dnd.py``, ``test_gopro_hide.py``,
  ``test_realblur.py``: all build ``get_arch(--arch Uformer_B, --train_ps 128, --dd_in 3)`` and load
  with ``utils.load_checkpoint`` (``checkpoint["state_dict"]``, ``module.`` stripped). The SIDD
  weights serve SIDD and DND; the GoPro weights serve GoPro, HIDE, RealBlur-J and RealBlur-R.
  Padding (``expand2square(x, factor=128)``): the image is placed in the centre of a zero canvas of
  side ``X = ceil(max(h, w) / 128) * 128`` (offsets ``(X - h) // 2``, ``(X - w) // 2``), the model runs
  on the square without the mask, and the result is cut out of the same place (``masked_select``).
  Already-aligned squares are not padded. That is ``InputSpec(pad_multiple=128, square=True,
  pad_mode="center-zero")`` in :func:`restbench.engine.inference.pad`.
* Licence: the repository's LICENSE is MIT (Copyright (c) 2022 Zhendong Wang); the README gives
  no separate terms for the weights, so we record the repository licence for them too.

Claims: the CVPR 2022 version of the paper (arXiv:2106.03106v3), Uformer-B rows: Table 1 (real
denoising) SIDD 39.89 / 0.960 and DND 40.04 / 0.956; Table 2 (motion deblurring, trained on GoPro)
GoPro 33.06 / 0.967, HIDE 30.90 / 0.953, RealBlur-R 36.19 / 0.956, RealBlur-J 29.09 / 0.886. The
Nov-2021 arXiv v2 printed other values (GoPro 32.97 / 0.967, HIDE 30.83 / 0.952, DND 39.98 / 0.955;
they are what Papers with Code and issue #43 quote); the CVPR values are kept. A user measured the
released GoPro weights at 33.0627 dB (issue #43).

Provenance (``Claim.source_kind``): the CVPR tables could not be opened here, and the Uformer
repository (full history) prints no Uformer-B numbers. Two later papers print the CVPR rows in
their own tables (read off the images, issue 16), so all six are ``"third-party quote"``s:

* SIDD and DND: ART (ICLR 2023), Table 7 (``figs/RealDN.png``), Uformer-B column;
* GoPro, HIDE, RealBlur-R/-J: DeblurDiNAT (arXiv 2403.13163, a preprint), Table 1
  (``Figure/table.png``), row "Uformer-B [43]". It scores ST-LPIPS itself, so its PSNR/SSIM cells
  could in principle be re-measurements; its Restormer row equals Restormer's published Table 2
  cell for cell and its GoPro value is the CVPR 33.06, which is why it is read as a quote.

The 2021 Uformer32/Uformer16 numbers are in the authors' README from commit f963028 (2021-08-19)
until 4ce7d9b (2022-07-06) removed them.
"""

from __future__ import annotations

from restbench.registry import Claim, InputSpec, Variant, WeightSource

from .presets import get_arch

PAPER = ("Wang, Cun, Bao, Zhou, Liu, Li: Uformer: A General U-Shaped Transformer for Image Restoration, "
         "CVPR 2022 (arXiv:2106.03106)")
T1 = "Uformer paper (CVPR 2022 / arXiv v3), Table 1"
T2 = "Uformer paper (CVPR 2022 / arXiv v3), Table 2"
README_2021 = "authors' README, 'Pretrained model' section (2021 revisions)"
CITE = "Uformer (CVPR 2022, arXiv 2106.03106)"
README_2021_REF = ("https://github.com/ZhendongWang6/Uformer/blob/f963028/README.md ('Pretrained model': "
                   "'Uformer32_denoising_sidd.pth ... PSNR 39.77 dB', 'Uformer16_denoising_sidd.pth ... PSNR 39.65 dB')")

SIDD_PROTOCOL = ("SIDD validation blocks (40x32 patches of 256x256, ValidationNoisyBlocksSrgb.mat): test/test_sidd.py, "
                 "PSNR/SSIM in MATLAB (test/eval_sidd.m) on RGB, averaged over patches")
GOPRO_PROTOCOL = ("GoPro test (1111 images): test/test_gopro_hide.py, skimage peak_signal_noise_ratio / "
                  "structural_similarity(multichannel=True) on clamped float RGB, averaged over images")
HIDE_PROTOCOL = "HIDE test (2025 images): test/test_gopro_hide.py, as GoPro"
REALBLUR_PROTOCOL = ("RealBlur test (980 images): test/test_realblur.py, output ECC-aligned to the target before "
                     "PSNR/SSIM (as RealBlur's own evaluation)")
ART_T7 = ("https://github.com/gladzhang/ART/blob/3ee01f3/figs/RealDN.png (ART, ICLR 2023, Table 7 'real image "
          "denoising', Uformer-B column)")
DINAT_T1 = ("https://github.com/HanzhouLiu/DeblurDiNAT/blob/134afc1/Figure/table.png (DeblurDiNAT, arXiv 2403.13163, "
            "Table 1, row 'Uformer-B [43]'; CVPR values: arXiv v2 had GoPro 32.97, HIDE 30.83)")


def _b(dataset: str, psnr: float, ssim: float, table: str, protocol: str, ref: str, note: str = "") -> Claim:
    """A Uformer-B claim from the CVPR tables, as a third party prints it."""
    return Claim(dataset, psnr, ssim, f"{table}{note}", protocol=protocol, paper=CITE,
                 table=table.split(", ", 1)[1] + " (CVPR 2022 / arXiv v3)",
                 source_kind="third-party quote", source_ref=ref)

# Every test script: expand2square(x, factor=128), i.e. zero padding to a centred square.
SQUARE_128 = InputSpec(pad_multiple=128, square=True, pad_mode="center-zero", channels=3)

_ONEDRIVE_SIDD = ("https://mailustceducn-my.sharepoint.com/:u:/g/personal/zhendongwang_mail_ustc_edu_cn/"
                  "Ea7hMP82A0xFlOKPlQnBJy0B9gVP-1MJL75mR4QKBMGc2w?e=iOz0zz")
_ONEDRIVE_GOPRO = ("https://mailustceducn-my.sharepoint.com/:u:/g/personal/zhendongwang_mail_ustc_edu_cn/"
                   "EfCPoTSEKJRAshoE6EAC_3YB7oNkbLUX6AUgWSCwoJe0oA?e=jai90x")
_GDRIVE_U32 = "https://drive.google.com/file/d/1dS7Lh46SMbncnwRW9zM5AW3cXrvYkjQU/view?usp=sharing"
_GDRIVE_U16 = "https://drive.google.com/file/d/1H1TKHw2gcKORC-MwSkBp9g93T4B1jh_b/view?usp=sharing"
_UFORMER_B_SIZE = 612_626_692  # Uformer issue #75 (informational, not enforced)


def _direct(share_link: str) -> str:
    """A SharePoint share link in its direct-download form: the ``?e=…`` query replaced by ``?download=1``."""
    return share_link.split("?", 1)[0] + "?download=1"


def _manual(share_link: str, weight_file: str, vid: str) -> str:
    return (f"If the direct download fails (SharePoint links expire and get refreshed in the README), open {share_link} in a "
            f"browser, press Download (the file arrives as Uformer_B.pth, about 613 MB), and either save it as "
            f"<cache>/weights/uformer/{weight_file} or pass --weights {vid}=/path/to/Uformer_B.pth.")

_PADDING_NOTE = ("Input: zero-padded into the centre of a square of side ceil(max(h,w)/128)*128, output cropped "
                 "from the same place (the authors' expand2square).")


def _variant(vid: str, task: str, arch: str, weight_file: str, train_set: str, claims, notes: str,
             sources: tuple[WeightSource, ...]) -> Variant:
    return Variant(
        id=vid,
        arch="uformer",
        task=task,
        arch_kwargs=get_arch(arch),
        weight_file=weight_file,
        sources=sources,
        sha256=None,
        checkpoint_key="state_dict",
        licence_code="MIT",
        licence_weights="MIT",
        channels="rgb",
        train_set=train_set,
        claims=tuple(claims),
        input=SQUARE_128,
        paper=PAPER,
        notes=f"{notes} {_PADDING_NOTE}",
    )


VARIANTS = [
    _variant(
        "uformer-b-sidd", "real-denoising", "Uformer_B", "Uformer_B_SIDD.pth", "SIDD-Medium",
        [_b("SIDD", 39.89, 0.960, T1, SIDD_PROTOCOL, ART_T7),
         _b("DND", 40.04, 0.956, T1, "DND (50 images, 512x512 crops): test/test_dnd.py; scored by the DND online "
            "benchmark only (no public ground truth)", ART_T7, " (arXiv v2: 39.98 / 0.955)")],
        f"Official share link (OneDrive): {_ONEDRIVE_SIDD}, fetched in its direct-download form. The file name is ours; "
        "the authors' download is named Uformer_B.pth. Also used for DND (test/test_dnd.py). Trained at train_ps=128. "
        + _manual(_ONEDRIVE_SIDD, "Uformer_B_SIDD.pth", "uformer-b-sidd"),
        (WeightSource(url=_direct(_ONEDRIVE_SIDD), size=_UFORMER_B_SIZE,
                      note="authors' README OneDrive link, ?download=1 form (MILVLG/bottom-up-attention.pytorch#53)"),),
    ),
    _variant(
        "uformer-b-gopro", "motion-deblurring", "Uformer_B", "Uformer_B_GoPro.pth", "GoPro",
        [_b("GoPro", 33.06, 0.967, T2, GOPRO_PROTOCOL, DINAT_T1, " (arXiv v2: 32.97 / 0.967)"),
         _b("HIDE", 30.90, 0.953, T2, HIDE_PROTOCOL, DINAT_T1, " (arXiv v2: 30.83 / 0.952)"),
         _b("RealBlur-R", 36.19, 0.956, T2, REALBLUR_PROTOCOL, DINAT_T1),
         _b("RealBlur-J", 29.09, 0.886, T2, REALBLUR_PROTOCOL, DINAT_T1)],
        f"Official share link (OneDrive): {_ONEDRIVE_GOPRO}, fetched in its direct-download form. The file name is ours "
        "(the authors' download is named Uformer_B.pth). "
        "Also used for HIDE and RealBlur-J/-R. Trained at train_ps=256 (script/train_motiondeblur.sh) but "
        "built with img_size=128 by every test script, so the bottleneck's second block does not shift at test time. "
        + _manual(_ONEDRIVE_GOPRO, "Uformer_B_GoPro.pth", "uformer-b-gopro"),
        (WeightSource(url=_direct(_ONEDRIVE_GOPRO), size=_UFORMER_B_SIZE,
                      note="authors' README OneDrive link, ?download=1 form (MILVLG/bottom-up-attention.pytorch#53)"),),
    ),
    _variant(
        "uformer32-sidd", "real-denoising", "Uformer32", "Uformer32_denoising_sidd.pth", "SIDD-Medium",
        [Claim("SIDD", 39.77, None, README_2021, protocol="SIDD validation patches, 2021 test.py (no padding needed at 256x256)",
               paper="Uformer (arXiv 2106.03106v1 code release)", table="README 'Pretrained model' (2021)",
               source_kind="authors' README", source_ref=README_2021_REF)],
        f"Legacy 2021 release (arXiv v1 code), Google Drive: {_GDRIVE_U32}; removed from the README in 2022-07. "
        "Layout inferred from the 2021 model.py, not verified against the file.",
        (WeightSource(gdrive_id="1dS7Lh46SMbncnwRW9zM5AW3cXrvYkjQU",
                      note="authors' README 2021 revisions (e.g. commit 3cbbcfd), Google Drive"),),
    ),
    _variant(
        "uformer16-sidd", "real-denoising", "Uformer16", "Uformer16_denoising_sidd.pth", "SIDD-Medium",
        [Claim("SIDD", 39.65, None, README_2021, protocol="SIDD validation patches, 2021 test.py (no padding needed at 256x256)",
               paper="Uformer (arXiv 2106.03106v1 code release)", table="README 'Pretrained model' (2021)",
               source_kind="authors' README", source_ref=README_2021_REF)],
        f"Legacy 2021 release (arXiv v1 code), Google Drive: {_GDRIVE_U16}; removed from the README in 2022-07. "
        "Layout inferred from the 2021 model.py, not verified against the file.",
        (WeightSource(gdrive_id="1H1TKHw2gcKORC-MwSkBp9g93T4B1jh_b",
                      note="authors' README 2021 revisions (e.g. commit 3cbbcfd), Google Drive"),),
    ),
]
