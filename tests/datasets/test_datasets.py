"""Test-set loading on the real reference copies in ../shared, plus pairing, hashing and download logic."""

from __future__ import annotations

import dataclasses
import io
import shutil
import tarfile
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from restbench import datasets as ds
from restbench import get_registry
from restbench.fetch import datasets as dataset_fetch


def S(name: str):
    """The registered spec for a name (the data layer takes specs, not names)."""
    return ds.spec_of(name, get_registry().datasets)
from restbench.datasets import DataSource, DatasetError, DatasetSpec, load_samples, manifest_hash

DATA = "datasets"
GREY_DN = DatasetSpec("Tiny", ("gaussian-denoising",), "hr-only", channels=("grey",))


def _y(img: np.ndarray) -> np.ndarray:
    f = img.astype(np.float64)
    return 16 + (65.481 * f[..., 0] + 128.553 * f[..., 1] + 24.966 * f[..., 2]) / 255


def _write(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr.squeeze(-1) if arr.ndim == 3 and arr.shape[2] == 1 else arr).save(path)
    return path


def _rand(h: int, w: int, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randint(0, 256, size=(h, w, c)).astype(np.uint8)


# ------------------------------------------------------------------ real sets in ../shared


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_set5_pairs_lr_files_with_modcropped_hr(shared_dir, scale):
    root = shared_dir / DATA
    samples = list(load_samples(S("Set5"), root, task="classical-sr", scale=scale))
    assert [s.name for s in samples] == ["baby", "bird", "butterfly", "head", "woman"]
    for s in samples:
        hr = np.asarray(Image.open(root / "Set5" / "HR" / f"{s.name}.png"))
        lr = np.asarray(Image.open(root / "Set5" / "LR_bicubic" / f"X{scale}" / f"{s.name}x{scale}.png"))
        h, w = hr.shape[0] // scale * scale, hr.shape[1] // scale * scale
        assert s.target.shape == (h, w, 3) and s.target.dtype == np.uint8
        assert s.input.shape == (h // scale, w // scale, 3)
        np.testing.assert_array_equal(s.target, hr[:h, :w])
        np.testing.assert_array_equal(s.input, lr)


def test_set5_x4_pairs_reproduce_the_published_bicubic_psnr(shared_dir):
    """A mis-paired or mis-cropped set could not give the paper's bicubic number (28.42 dB Y, crop 4)."""
    from restbench.protocols.imresize import imresize

    psnrs = []
    for s in load_samples(S("Set5"), shared_dir / DATA, task="classical-sr", scale=4):
        up = imresize(torch.from_numpy(s.input).permute(2, 0, 1), scale=4).permute(1, 2, 0).numpy()
        a, b = _y(up)[4:-4, 4:-4], _y(s.target)[4:-4, 4:-4]
        psnrs.append(10 * np.log10(255**2 / np.mean((a - b) ** 2)))
    assert np.mean(psnrs) == pytest.approx(28.42, abs=0.02)


def test_set12_grey(shared_dir):
    samples = list(load_samples(S("Set12"), shared_dir / DATA, task="gaussian-denoising", channels="grey"))
    assert [s.name for s in samples] == [f"{i:02d}" for i in range(1, 13)]
    assert {s.target.shape for s in samples} == {(256, 256, 1), (512, 512, 1)}
    assert all(s.input is None and s.target.dtype == np.uint8 for s in samples)
    first = np.asarray(Image.open(shared_dir / DATA / "Set12" / "01.png"))
    np.testing.assert_array_equal(samples[0].target[..., 0], first)
    rgb = next(load_samples(S("Set12"), shared_dir / DATA, task="gaussian-denoising", channels="rgb"))
    assert rgb.target.shape == (256, 256, 3) and (rgb.target == first[..., None]).all()


def test_cbsd68_rgb(shared_dir):
    samples = list(load_samples(S("CBSD68"), shared_dir / DATA, task="gaussian-denoising"))
    assert len(samples) == 68
    assert all(s.target.ndim == 3 and s.target.shape[2] == 3 and s.input is None for s in samples)
    assert {s.target.shape[:2] for s in samples} == {(321, 481), (481, 321)}
    by_name = {s.name: s for s in samples}
    np.testing.assert_array_equal(by_name["101085"].target, np.asarray(Image.open(shared_dir / DATA / "CBSD68" / "101085.png")))


def test_mcmaster_tif_matches_opencv(shared_dir):
    cv2 = pytest.importorskip("cv2")
    samples = list(load_samples(S("McMaster"), shared_dir / DATA, task="gaussian-denoising"))
    assert [s.name for s in samples] == [str(i) for i in range(1, 19)]
    for s in samples[:3]:
        path = str(shared_dir / DATA / "McMaster" / f"{s.name}.tif")
        assert s.target.shape == (500, 500, 3)
        np.testing.assert_array_equal(s.target, cv2.imread(path, cv2.IMREAD_COLOR)[..., ::-1])
        grey = ds.to_grey(s.target, "imread", ".tif")
        np.testing.assert_array_equal(grey[..., 0], cv2.imread(path, cv2.IMREAD_GRAYSCALE))


def test_classic5_bmp_grey(shared_dir):
    cv2 = pytest.importorskip("cv2")
    samples = list(load_samples(S("classic5"), shared_dir / DATA, task="jpeg-car", channels="grey"))
    assert [s.name for s in samples] == ["baboon", "barbara", "boats", "lena", "peppers"]
    for s in samples:
        ref = cv2.imread(str(shared_dir / DATA / "classic5" / f"{s.name}.bmp"), cv2.IMREAD_UNCHANGED)
        assert ref.ndim == 2 and s.target.shape == (512, 512, 1)
        np.testing.assert_array_equal(s.target[..., 0], ref)


def test_grey_of_colour_png_follows_opencv_imread_grayscale(shared_dir):
    """Grey denoising of a colour file: KAIR/SwinIR/Restormer read it with cv2.IMREAD_GRAYSCALE."""
    cv2 = pytest.importorskip("cv2")
    root = shared_dir / DATA
    for s in load_samples(S("CBSD68"), root, task="gaussian-denoising", limit=4):
        g = ds.to_grey(s.target, "imread", ".png")
        np.testing.assert_array_equal(g[..., 0], cv2.imread(str(root / "CBSD68" / f"{s.name}.png"), cv2.IMREAD_GRAYSCALE))
        # the libpng rule truncates: it is not simply cvtColor, which rounds
        assert (g[..., 0] != cv2.cvtColor(s.target, cv2.COLOR_RGB2GRAY)).mean() > 0.2


def test_jpeg_grey_uses_swinir_y_channel(shared_dir):
    img = next(load_samples(S("Kodak24"), shared_dir / DATA, task="gaussian-denoising")).target
    # SwinIR util.bgr2ycbcr(y_only=True) on uint8 BGR: float32 / 255, dot [B, G, R] weights, +16, round
    bgr = img[..., ::-1].astype(np.float32) / 255.0
    ref = np.round(np.dot(bgr, [24.966, 128.553, 65.481]) + 16.0).astype(np.uint8)
    np.testing.assert_array_equal(ds.to_grey(img, "y")[..., 0], ref)


def test_shared_copies_match_packaged_checksums(shared_dir):
    for name in ("Set5", "Set12", "classic5", "McMaster"):
        assert ds.verify_dataset(S(name), shared_dir / DATA) == []


# ------------------------------------------------------------------ manifest hash


def test_manifest_hash_is_stable_and_tracks_changes(shared_dir, tmp_path):
    src = shared_dir / DATA / "Set12"
    tiny = tmp_path / "a" / "Tiny"
    tiny.mkdir(parents=True)
    for n in ("01.png", "02.png"):
        shutil.copy(src / n, tiny / n)
    h = manifest_hash(GREY_DN, tmp_path / "a", task="gaussian-denoising", sigma=25, channels="grey")
    assert len(h) == 64 and h == manifest_hash(GREY_DN, tmp_path / "a", task="gaussian-denoising")
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # same files elsewhere: same hash
    assert manifest_hash(GREY_DN, tmp_path / "b", task="gaussian-denoising") == h
    assert manifest_hash(GREY_DN, tmp_path / "a", task="gaussian-denoising", limit=1) != h

    img = np.array(Image.open(tiny / "02.png"))
    img[0, 0] ^= 1  # one pixel, one bit
    Image.fromarray(img).save(tiny / "02.png")
    changed = manifest_hash(GREY_DN, tmp_path / "a", task="gaussian-denoising")
    assert changed != h
    (tiny / "02.png").rename(tiny / "03.png")
    assert manifest_hash(GREY_DN, tmp_path / "a", task="gaussian-denoising") not in (h, changed)


def test_manifest_hash_covers_the_lr_files_of_the_scale(shared_dir):
    root = shared_dir / DATA
    x2 = manifest_hash(S("Set5"), root, task="classical-sr", scale=2)
    x3 = manifest_hash(S("Set5"), root, task="classical-sr", scale=3)
    assert x2 != x3
    _, files = ds.manifest_files(S("Set5"), root, task="classical-sr", scale=3)
    assert sorted(p.relative_to(root / "Set5").as_posix() for p in files) == sorted(
        [f"HR/{n}.png" for n in ("baby", "bird", "butterfly", "head", "woman")]
        + [f"LR_bicubic/X3/{n}x3.png" for n in ("baby", "bird", "butterfly", "head", "woman")]
    )


# ------------------------------------------------------------------ pairing and missing data

SR_SPEC = DatasetSpec("TinySR", ("classical-sr",), "sr", count=2)


def _sr_set(root: Path, lr_sizes: dict[str, tuple[int, int]]) -> None:
    for i, name in enumerate(("a", "b")):
        _write(root / "TinySR" / "HR" / f"{name}.png", _rand(25, 26, seed=i))
    for name, (h, w) in lr_sizes.items():
        _write(root / "TinySR" / "LR_bicubic" / "X2" / f"{name}x2.png", _rand(h, w, seed=9))


def test_sr_pairs_modcrop_to_lr_size(tmp_path):
    _sr_set(tmp_path, {"a": (12, 13), "b": (12, 13)})
    samples = list(load_samples(SR_SPEC, tmp_path, task="classical-sr", scale=2))
    assert [s.target.shape for s in samples] == [(24, 26, 3)] * 2
    assert [s.input.shape for s in samples] == [(12, 13, 3)] * 2


def test_sr_lr_of_wrong_size_names_the_file(tmp_path):
    _sr_set(tmp_path, {"a": (12, 13), "b": (13, 13)})
    it = load_samples(SR_SPEC, tmp_path, task="classical-sr", scale=2)
    with pytest.raises(DatasetError, match=r"LR_bicubic/X2/bx2\.png is 13x13 but HR/b\.png \(26x25\)"):
        list(it)


def test_sr_missing_lr_file_is_named(tmp_path):
    _sr_set(tmp_path, {"a": (12, 13)})
    with pytest.raises(DatasetError, match=r"no LR image for HR/b\.png at x2: expected LR_bicubic/X2/bx2\.png"):
        load_samples(SR_SPEC, tmp_path, task="classical-sr", scale=2)


def test_sr_without_lr_folder_leaves_input_to_the_harness(tmp_path):
    _sr_set(tmp_path, {})
    s = next(load_samples(SR_SPEC, tmp_path, task="classical-sr", scale=4))
    assert s.input is None and s.target.shape == (24, 24, 3)


def test_paired_set_checks_names_sizes_and_count(tmp_path):
    spec = DatasetSpec("TinyBlur", ("motion-deblurring",), "paired", count=2)
    for i, n in enumerate(("x", "y")):
        _write(tmp_path / "TinyBlur" / "input" / f"{n}.png", _rand(8, 8, seed=i))
        _write(tmp_path / "TinyBlur" / "target" / f"{n}.png", _rand(8, 8, seed=10 + i))
    samples = list(load_samples(spec, tmp_path, task="motion-deblurring"))
    assert [(s.name, s.input.shape) for s in samples] == [("x", (8, 8, 3)), ("y", (8, 8, 3))]

    _write(tmp_path / "TinyBlur" / "target" / "y.png", _rand(8, 9))
    with pytest.raises(DatasetError, match=r"input/y\.png is 8x8 but its target target/y\.png is 9x8"):
        list(load_samples(spec, tmp_path, task="motion-deblurring"))

    (tmp_path / "TinyBlur" / "target" / "y.png").rename(tmp_path / "TinyBlur" / "target" / "z.png")
    with pytest.raises(DatasetError, match=r"do not pair .*only in input/: \['y'\]; only in target/: \['z'\]"):
        load_samples(spec, tmp_path, task="motion-deblurring")

    _write(tmp_path / "TinyBlur" / "input" / "z.png", _rand(8, 8))
    (tmp_path / "TinyBlur" / "input" / "y.png").unlink()
    (tmp_path / "TinyBlur" / "target" / "x.png").unlink()
    (tmp_path / "TinyBlur" / "input" / "x.png").unlink()
    with pytest.raises(DatasetError, match="expected 2 images, found 1"):
        load_samples(spec, tmp_path, task="motion-deblurring")


def test_order_pairing_follows_the_matlab_evaluation(tmp_path):
    """Restormer's evaluate_PSNR_SSIM.m pairs the i-th result with the i-th of [dir(*.jpg); dir(*.png)]."""
    spec = DatasetSpec("TinyRain", ("deraining",), "paired", suffixes=(".png", ".jpg"), pair_by="order")
    root = tmp_path / "test" / "TinyRain"  # Restormer's Datasets/test/<Name> layout
    for i in (1, 2, 10):
        _write(root / "input" / f"rain-{i:03d}.png", _rand(6, 6, seed=i))
        _write(root / "target" / f"norain-{i:03d}.png", _rand(6, 6, seed=100 + i))
    samples = list(load_samples(spec, tmp_path, task="deraining"))
    assert [s.name for s in samples] == ["norain-001", "norain-002", "norain-010"]
    np.testing.assert_array_equal(samples[2].input, _rand(6, 6, seed=10))


def test_missing_set_says_where_it_looked_and_how_to_get_it(tmp_path):
    with pytest.raises(DatasetError) as err:
        ds.find_root(S("GoPro"), tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "GoPro") in msg and str(tmp_path / "test" / "GoPro") in msg
    assert "1k6DTSHu4saUgrGTYkkZXTptILyG9RRll" in msg and "GoPro/input/ and target/" in msg
    with pytest.raises(DatasetError, match="restbench download-data Set14"):
        list(load_samples(S("Set14"), tmp_path, task="classical-sr", scale=2))
    with pytest.raises(DatasetError, match="not jpeg-car"):
        load_samples(S("Set12"), tmp_path, task="jpeg-car")
    with pytest.raises(DatasetError, match="needs a scale"):
        load_samples(S("Set5"), tmp_path, task="classical-sr")


def test_sidd_mat_blocks(tmp_path):
    sio = pytest.importorskip("scipy.io")
    rs = np.random.RandomState(0)
    noisy = rs.randint(0, 256, size=(2, 3, 8, 8, 3)).astype(np.uint8)
    clean = rs.randint(0, 256, size=(2, 3, 8, 8, 3)).astype(np.uint8)
    (tmp_path / "SIDD").mkdir()
    sio.savemat(tmp_path / "SIDD" / "ValidationNoisyBlocksSrgb.mat", {"ValidationNoisyBlocksSrgb": noisy})
    sio.savemat(tmp_path / "SIDD" / "ValidationGtBlocksSrgb.mat", {"ValidationGtBlocksSrgb": clean})
    spec = dataclasses.replace(S("SIDD"), count=6)
    samples = list(load_samples(spec, tmp_path, task="real-denoising"))
    assert [s.name for s in samples] == ["0001_01", "0001_02", "0001_03", "0002_01", "0002_02", "0002_03"]
    np.testing.assert_array_equal(samples[4].input, noisy[1, 1])
    np.testing.assert_array_equal(samples[4].target, clean[1, 1])
    assert len(list(load_samples(spec, tmp_path, task="real-denoising", limit=4))) == 4
    with pytest.raises(DatasetError, match="expected 1280 images, found 6"):
        list(load_samples(S("SIDD"), tmp_path, task="real-denoising"))
    # a download is checked the same way, from the .mat headers alone (no 230 MB load)
    assert ds.verify_folder(S("SIDD"), tmp_path / "SIDD") == [
        "ValidationNoisyBlocksSrgb.mat: expected 1280 blocks, found 6", "ValidationGtBlocksSrgb.mat: expected 1280 blocks, found 6"]
    assert ds.verify_folder(spec, tmp_path / "SIDD") == []


def test_dpdd_16bit_pngs_read_as_opencv_default(tmp_path):
    cv2 = pytest.importorskip("cv2")
    spec = dataclasses.replace(S("DPDD"), count=1)
    im16 = np.random.RandomState(1).randint(0, 65536, size=(6, 7, 3)).astype(np.uint16)
    for sub in ("inputC", "target"):  # Restormer's DPDD test.zip layout
        (tmp_path / "DPDD" / sub).mkdir(parents=True)
        cv2.imwrite(str(tmp_path / "DPDD" / sub / "1P0A1.png"), im16)
    s = next(load_samples(spec, tmp_path, task="defocus-deblurring"))
    ref = cv2.imread(str(tmp_path / "DPDD" / "inputC/1P0A1.png"))[..., ::-1]  # Restormer's load_img
    np.testing.assert_array_equal(s.input, ref)
    np.testing.assert_array_equal(s.input, (im16[..., ::-1] >> 8).astype(np.uint8))


# ------------------------------------------------------------------ demo set

DEMO_TASKS = ["gaussian-denoising", "jpeg-car", "classical-sr", "lightweight-sr", "real-sr",
              "motion-deblurring", "defocus-deblurring", "deraining", "real-denoising"]


@pytest.mark.parametrize("task", DEMO_TASKS)
def test_demo_loads_for_every_task(task):
    scale = 3 if task.endswith("-sr") else None
    samples = list(load_samples(S("demo"), None, task=task, scale=scale))
    assert [s.name for s in samples] == ["glyphs", "gradient", "shapes", "texture"]
    for s in samples:
        assert s.target.shape == (120, 120, 3) and s.target.dtype == np.uint8
        if task in ("gaussian-denoising", "jpeg-car"):
            assert s.input is None
        elif scale:
            assert s.input.shape == (40, 40, 3)
        else:
            assert s.input.shape == (120, 120, 3)
            psnr = 10 * np.log10(255**2 / np.mean((s.input.astype(float) - s.target) ** 2))
            assert 10.0 < psnr < 35.0  # visibly degraded, still the same picture
    grey = next(load_samples(S("demo"), None, task=task, scale=scale, channels="grey"))
    assert grey.target.shape == (120, 120, 1)


def test_demo_files_are_what_the_generator_makes():
    """The shipped PNGs are reproducible: clean images, kernels/noise/rain, and MATLAB-bicubic LR."""
    from restbench.data.demo import make_demo

    clean = make_demo.clean_images()
    by_task = {t: {s.name: s for s in load_samples(S("demo"), None, task=t)} for t in ("motion-deblurring", "deraining", "real-denoising", "defocus-deblurring")}
    for name, img in clean.items():
        np.testing.assert_array_equal(by_task["motion-deblurring"][name].target, img)
        for task, made in make_demo.degraded(name, img).items():
            np.testing.assert_array_equal(by_task[task][name].input, made)
    k = make_demo.motion_kernel()
    assert k.shape == (11, 11) and k.sum() == pytest.approx(1.0)
    for s in (2, 4):
        for smp in load_samples(S("demo"), None, task="classical-sr", scale=s):
            np.testing.assert_array_equal(smp.input, make_demo.bicubic_lr(smp.target, s))


def test_demo_manifest_hash_is_fixed():
    a = manifest_hash(S("demo"), None, task="motion-deblurring")
    assert a == manifest_hash(S("demo"), Path("/nonexistent"), task="motion-deblurring")
    assert a != manifest_hash(S("demo"), None, task="deraining")


# ------------------------------------------------------------------ registry and download


def test_every_standard_set_is_registered_with_a_source():
    from restbench import get_registry

    reg = get_registry()
    want = {"GoPro", "HIDE", "RealBlur-J", "RealBlur-R", "SIDD", "DPDD", "Rain100L", "Rain100H", "Test100",
            "Test1200", "Test2800", "Set5", "Set14", "BSD100", "Urban100", "Manga109", "CBSD68", "Kodak24",
            "McMaster", "Set12", "BSD68", "classic5", "LIVE1", "demo"}
    assert want <= set(reg.datasets)
    for name in want - {"demo"}:
        spec = reg.datasets[name]
        assert spec.sources and spec.licence and spec.tasks, name
        assert set(spec.tasks) <= set(__import__("restbench.registry", fromlist=["TASKS"]).TASKS), name
        if spec.checksums:
            assert len(ds.known_checksums(spec)) >= (spec.count or 1)
    assert S("realblur_j").name == "RealBlur-J"


@pytest.fixture
def offline_clean(monkeypatch):
    for var in ("RESTBENCH_MIRROR", "RESTBENCH_OFFLINE", "HF_ENDPOINT", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def test_download_files_source_verifies_checksums(shared_dir, tmp_path, monkeypatch, offline_clean):
    """The registered classic5 'files' source (SwinIR raw URLs) served from ../shared by an HTTP mirror."""
    from tests.loopback import LoopbackServer

    base = "/raw.githubusercontent.com/JingyunLiang/SwinIR/main/testsets/classic5"
    files = {f"{base}/{p.name}": p.read_bytes() for p in (shared_dir / DATA / "classic5").glob("*.bmp")}
    with LoopbackServer(files) as mirror:
        monkeypatch.setenv("RESTBENCH_MIRROR", mirror.url)
        root = dataset_fetch.download_dataset(S("classic5"), tmp_path, progress=False, offline=True)
        assert root == tmp_path / "classic5" and mirror.count("GET") == 5
        assert ds.verify_dataset(S("classic5"), tmp_path) == []
        assert len(list(load_samples(S("classic5"), tmp_path, task="jpeg-car", channels="grey"))) == 5
        dataset_fetch.download_dataset(S("classic5"), tmp_path, progress=False, offline=True)  # there and verified: nothing fetched
        assert mirror.count("GET") == 5
    (tmp_path / "classic5" / "lena.bmp").write_bytes(b"tampered")
    assert any("lena.bmp" in p for p in ds.verify_dataset(S("classic5"), tmp_path))


def test_download_archive_source_unpacks_safely_and_flattens(tmp_path, offline_clean):
    arc = tmp_path / "Tiny_HR.tar.gz"
    with tarfile.open(arc, "w:gz") as tf:
        for i, n in enumerate(("one", "two")):
            buf = io.BytesIO()
            Image.fromarray(_rand(16, 16, seed=i)).save(buf, format="PNG")
            ti = tarfile.TarInfo(f"Tiny_HR/deep/{n}.png")
            ti.size = buf.tell()
            buf.seek(0)
            tf.addfile(ti, buf)
    spec = DatasetSpec("TinyHF", ("classical-sr",), "sr", count=2,
                       sources=(DataSource("archive", url=arc.as_uri(), dest="HR", flatten=True),))
    assert spec.sources[0].kind == "url"  # "archive" is the older name
    root = dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False, offline=False)
    assert sorted(p.name for p in (root / "HR").iterdir()) == ["one.png", "two.png"]
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".") and p.name != ".downloads"]
    s = next(load_samples(spec, tmp_path / "data", task="classical-sr", scale=4))
    assert s.input is None and s.target.shape == (16, 16, 3)


def test_download_hf_archive_goes_through_huggingface_hub(tmp_path, monkeypatch, offline_clean):
    """A real (loopback) hub: HF_ENDPOINT set after import is honoured, the sha256 pin is checked."""
    import zipfile

    import huggingface_hub.constants as hf_constants
    from tests.loopback import COMMIT, LoopbackServer

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        img = io.BytesIO()
        Image.fromarray(_rand(12, 12)).save(img, format="PNG")
        zf.writestr("X_HR/img.png", img.getvalue())
    with LoopbackServer({"/datasets/someone/X/resolve/main/data/X_HR.zip": buf.getvalue()}, hub=True) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        spec = DatasetSpec("X", ("classical-sr",), "sr", count=1,
                           sources=(DataSource("archive", hf_repo="someone/X", hf_filename="data/X_HR.zip", dest="HR", flatten=True),))
        root = dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False)
        assert [r.method for r in hub.requests] == ["HEAD", "GET"]
        assert (root / "HR" / "img.png").is_file()
        assert list((tmp_path / "hf" / "hub").glob("datasets--someone--X/snapshots/*/data/X_HR.zip"))  # HF cache kept
        bad = dataclasses.replace(spec, name="Y", sources=(dataclasses.replace(spec.sources[0], sha256="0" * 64),))
        with pytest.raises(DatasetError, match="sha256 mismatch: expected 0{64}"):
            dataset_fetch.download_dataset(bad, tmp_path / "data", progress=False)
    assert COMMIT and not (tmp_path / "data" / "Y").exists()


def test_download_of_a_manual_only_set_explains_the_manual_route(tmp_path):
    with pytest.raises(DatasetError, match=r"cannot be downloaded automatically(.|\n)*manga109\.org"):
        dataset_fetch.download_dataset(S("Manga109"), tmp_path)


def test_drive_sets_are_automatic_and_offline_says_every_way_to_get_them(tmp_path, offline_clean):
    spec = S("SIDD")
    assert spec.automatic and spec.sources[0].kind == "gdrive" and spec.sources[0].member == "test/SIDD"
    with pytest.raises(DatasetError) as info:
        dataset_fetch.download_dataset(S("SIDD"), tmp_path, offline=True)
    msg = str(info.value)
    assert "11vfqV-lqousZTuAit1Qkqghiv_taY0KZ" in msg and "Offline mode is on" in msg
    assert "<mirror>/drive.google.com/uc/11vfqV-lqousZTuAit1Qkqghiv_taY0KZ" in msg
    assert "ValidationNoisyBlocksSrgb.mat + ValidationGtBlocksSrgb.mat" in msg


def test_sources_serialise_for_datasets_json():
    d = S("GoPro").to_dict()
    assert d["name"] == "GoPro" and d["count"] == 1111 and d["automatic"] is True
    drive, hf = d["sources"][:2]
    assert drive == dict(kind="gdrive", url="https://drive.google.com/uc?id=1k6DTSHu4saUgrGTYkkZXTptILyG9RRll",
                         gdrive_id="1k6DTSHu4saUgrGTYkkZXTptILyG9RRll", hf_repo=None, hf_filename=None, hf_revision=None,
                         sha256=None, size=2371837449, member="test/GoPro", automatic=True, note=drive["note"])
    assert (hf["kind"], hf["hf_repo"], hf["hf_filename"], hf["hf_revision"]) == (
        "hf", "laoduanaaa/Image_Restoration_Datasets", "Deblurring/Motion_Deblurring/test1.zip", "main")
    assert hf["sha256"] == "fb955bbd96b1521cff4686ae12624c47f5d9f9b24a0b49b575d2c03574accf73"
    assert d["sources"][-1]["kind"] == "page" and d["sources"][-1]["automatic"] is False
    json_ok = __import__("json").dumps([s.to_dict() for s in __import__("restbench").get_registry().datasets.values()])
    assert "drive.google.com/uc?id=" in json_ok


def test_registered_archive_layouts_follow_the_authors_scripts():
    members = {n: [s.member for s in S(n).sources if s.is_archive] for n in
               ("GoPro", "HIDE", "RealBlur-J", "RealBlur-R", "DPDD", "SIDD", "Rain100H", "Test2800", "Kodak24", "Urban100")}
    assert members == {
        "GoPro": ["test/GoPro"] * 2, "HIDE": ["test/HIDE"] * 2, "RealBlur-J": ["test/RealBlur_J"],
        "RealBlur-R": ["test/RealBlur_R"], "DPDD": ["test"] * 2, "SIDD": ["test/SIDD"] * 2,
        "Rain100H": ["test/Rain100H"] * 2, "Test2800": ["test/Test2800"] * 2, "Kodak24": ["test/Kodak"],
        "Urban100": ["", "test/Urban100"],
    }
    dpdd = S("DPDD")
    assert (dpdd.input_dir, dpdd.target_dir) == ("inputC", "target")
    registered = {n: s for n, s in __import__("restbench").get_registry().datasets.items() if n != "demo"}
    auto = [n for n, s in registered.items() if s.automatic]
    assert sorted(set(registered) - set(auto)) == ["Manga109"]  # licence form: by hand only
    assert len(auto) == len(registered) - 1 >= 22


def test_hf_source_builds_a_resolve_url():
    src = DataSource("archive", hf_repo="eugenesiow/Set14", hf_filename="data/Set14_HR.tar.gz")
    assert src.fetch_url == "https://huggingface.co/datasets/eugenesiow/Set14/resolve/main/data/Set14_HR.tar.gz"
