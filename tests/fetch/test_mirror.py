"""RESTBENCH_MIRROR: the lookup rules, mirrors as a directory and over HTTP, pins, offline, and filling one."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from restbench import datasets as ds
from restbench.fetch import datasets as dataset_fetch
from restbench.fetch import download
from restbench.datasets import DatasetError, load_samples, verify_folder
from restbench.fetch.mirror import (
    Remote,
    fetch_file,
    github_listing_mirror_path,
    mirror_base,
    url_mirror_path,
    write_to_mirror,
)
from restbench.registry import Variant, WeightSource
from restbench.fetch.weights import WeightsUnavailable, mirror_weights, resolve_weights


from tests.synthetic_sets import S, fetch_set  # noqa: E402


try:
    from tests.loopback import LoopbackServer
    from tests.synthetic_sets import gopro_test_zip, paired_members
except ImportError:  # tests/ imported as a package
    from tests.loopback import LoopbackServer
    from tests.synthetic_sets import gopro_test_zip, paired_members

GOPRO_ID = "1k6DTSHu4saUgrGTYkkZXTptILyG9RRll"
GOPRO_DRIVE = f"drive.google.com/uc/{GOPRO_ID}"
GOPRO_HF = "huggingface.co/datasets/laoduanaaa/Image_Restoration_Datasets/resolve/main/Deblurring/Motion_Deblurring/test1.zip"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for var in ("RESTBENCH_MIRROR", "RESTBENCH_OFFLINE", "HF_ENDPOINT", "HF_HUB_CACHE", "http_proxy", "HTTP_PROXY",
                "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("RESTBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(download, "BACKOFF_BASE", 0.0)


@pytest.fixture(scope="module")
def gopro_zip() -> bytes:
    return gopro_test_zip(1111)


def put(root: Path, rel: str, data: bytes) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def files_left(root: Path) -> list[str]:
    """Every file under ``root`` except lock files (which hold no data)."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.name.endswith(".lock"))


def served(files: dict[str, bytes]) -> dict[str, bytes]:
    """Mirror-relative paths -> the URL paths a LoopbackServer answers (quoted, as clients send them)."""
    return {"/" + urllib.parse.quote(rel): data for rel, data in files.items()}


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------- the lookup rules


def test_mirror_paths_follow_the_documented_rules():
    assert url_mirror_path("https://raw.githubusercontent.com/JingyunLiang/SwinIR/main/testsets/Set5/HR/baby.png?raw=1#x") == \
        "raw.githubusercontent.com/JingyunLiang/SwinIR/main/testsets/Set5/HR/baby.png"
    assert url_mirror_path("https://example.org/a%20b/c.zip") == "example.org/a b/c.zip"
    assert Remote("gdrive", gdrive_id=GOPRO_ID).mirror_path == GOPRO_DRIVE
    assert Remote("hf", hf_repo="deepinv/Restormer", hf_filename="x/y.pth").mirror_path == \
        "huggingface.co/deepinv/Restormer/resolve/main/x/y.pth"
    assert Remote("hf", hf_repo="a/b", hf_filename="t.zip", hf_revision="0" * 40, hf_repo_type="dataset").mirror_path == \
        f"huggingface.co/datasets/a/b/resolve/{'0' * 40}/t.zip"
    listing = github_listing_mirror_path("cszn", "DnCNN", "testsets/LIVE1")
    assert listing == "api.github.com/repos/cszn/DnCNN/contents/testsets/LIVE1"
    assert listing == url_mirror_path("https://api.github.com/repos/cszn/DnCNN/contents/testsets/LIVE1?ref=master")
    for bad in ("https://example.org/a/../../etc/passwd", "https://example.org/", "ftp://example.org/x"):
        with pytest.raises(ValueError):
            url_mirror_path(bad)
    # the registered sources map where the issue says
    assert [s.remote().mirror_path for s in S("GoPro").sources if s.is_archive] == [GOPRO_DRIVE, GOPRO_HF]
    assert Remote("gdrive", gdrive_id=GOPRO_ID).canonical_url == f"https://drive.google.com/uc?id={GOPRO_ID}"
    assert mirror_base("file:///srv/m").directory == Path("/srv/m") and mirror_base("https://m.example/x").base_url


# --------------------------------------------------------------------------- GoPro from a mirror


def test_gopro_from_a_directory_mirror_offline_then_from_disk(gopro_zip, tmp_path, monkeypatch):
    """The registered GoPro entry, the authors' test.zip layout (1111 pairs), nothing but a mirror directory."""
    mirror = tmp_path / "mirror"
    put(mirror, GOPRO_DRIVE, gopro_zip)
    monkeypatch.setenv("RESTBENCH_MIRROR", str(mirror))
    monkeypatch.setenv("RESTBENCH_OFFLINE", "1")
    data = tmp_path / "data"
    root = fetch_set("GoPro", data, progress=False)
    assert root == data / "GoPro" and verify_folder(S("GoPro"), root) == []
    assert len(list((root / "input").glob("*.png"))) == 1111 == len(list((root / "target").glob("*.png")))
    first = next(load_samples(S("GoPro"), data, task="motion-deblurring", limit=1))
    members = paired_members({"test/GoPro": 1})
    np.testing.assert_array_equal(first.input, np.asarray(Image.open(__import__("io").BytesIO(members["test/GoPro/input/0000.png"]))))
    assert [p.name for p in data.iterdir() if not p.name.startswith(".")] == ["GoPro"]
    assert files_left(data / ".downloads") == []  # the archive is removed once unpacked; no staging left
    assert not list(data.glob(".GoPro-*"))
    shutil.rmtree(mirror)  # a second call reads nothing: the verified set is on disk
    assert fetch_set("GoPro", data, progress=False) == root


def test_http_mirror_is_asked_for_every_source_in_order_before_any_origin(gopro_zip, tmp_path, monkeypatch):
    """Drive id first (not in the mirror: 404), then the HF copy (in the mirror): no origin is contacted."""
    spec = dataclasses.replace(S("GoPro"), sources=(
        S("GoPro").sources[0],
        dataclasses.replace(S("GoPro").sources[1], sha256=sha(gopro_zip)),
    ))
    with LoopbackServer(served({GOPRO_HF: gopro_zip})) as mirror, LoopbackServer({}, hub=True) as hub:
        monkeypatch.setenv("RESTBENCH_MIRROR", mirror.url + "/")
        monkeypatch.setenv("HF_ENDPOINT", hub.url)  # the HF origin, were it contacted
        root = dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False, offline=False)
        assert [(r.method, urllib.parse.unquote(r.path)) for r in mirror.requests] == [
            ("GET", "/" + GOPRO_DRIVE), ("GET", "/" + GOPRO_HF)]
        assert hub.count() == 0
    assert verify_folder(spec, root) == []


def test_sha256_pins_apply_to_mirrored_files(gopro_zip, tmp_path, monkeypatch):
    """The registered HF copy is pinned; a mirror holding other bytes under its path is refused."""
    with LoopbackServer(served({GOPRO_HF: gopro_zip})) as mirror:
        monkeypatch.setenv("RESTBENCH_MIRROR", mirror.url)
        monkeypatch.setenv("RESTBENCH_OFFLINE", "1")
        with pytest.raises(DatasetError) as info:
            fetch_set("GoPro", tmp_path / "data", progress=False)
    msg = str(info.value)
    assert f"mirror {mirror.url}/{urllib.parse.quote(GOPRO_HF)}: sha256 mismatch" in msg
    assert "fb955bbd96b1521cff4686ae12624c47f5d9f9b24a0b49b575d2c03574accf73" in msg and sha(gopro_zip) in msg
    assert [p.name for p in (tmp_path / "data").iterdir() if not p.name.startswith(".")] == []
    assert files_left(tmp_path / "data") == []


def test_offline_with_nothing_anywhere_lists_what_is_missing_and_every_way(tmp_path, monkeypatch):
    (tmp_path / "empty-mirror").mkdir()
    with LoopbackServer({}, hub=True) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("RESTBENCH_MIRROR", str(tmp_path / "empty-mirror"))
        monkeypatch.setenv("RESTBENCH_OFFLINE", "1")
        with pytest.raises(DatasetError) as info:
            fetch_set("GoPro", tmp_path / "data", progress=False)
        assert hub.count() == 0
    msg = str(info.value)
    assert msg.startswith(f"GoPro could not be fetched into {tmp_path / 'data' / 'GoPro'}.")
    assert f"mirror {tmp_path / 'empty-mirror'}: no {GOPRO_DRIVE}" in msg and f"no {GOPRO_HF}" in msg
    assert "Offline mode is on" in msg and "no origin was contacted" in msg
    assert "restbench download-data GoPro" in msg and f"<mirror>/{GOPRO_DRIVE}" in msg and f"<mirror>/{GOPRO_HF}" in msg
    assert "https://seungjunnah.github.io/Datasets/gopro" in msg  # the by-hand route
    assert "expected layout: <data-root>/GoPro/input/ and target/" in msg


# --------------------------------------------------------------------------- sets made of many files


def test_files_source_from_an_http_mirror_then_mirrored_to_a_directory(shared_dir, tmp_path, monkeypatch):
    """classic5's registered 'files' source (SwinIR raw URLs), served by an upstream mirror; filling a
    local mirror from it; then a cluster node offline with only that directory."""
    src = shared_dir / "datasets" / "classic5"
    base = "raw.githubusercontent.com/JingyunLiang/SwinIR/main/testsets/classic5"
    upstream_files = {f"{base}/{p.name}": p.read_bytes() for p in src.glob("*.bmp")}
    with LoopbackServer(served(upstream_files)) as upstream:
        monkeypatch.setenv("RESTBENCH_MIRROR", upstream.url)
        report = dataset_fetch.mirror_dataset(S("classic5"), tmp_path / "local-mirror", progress=False)
        assert len(report.written) == 5 and not report.failed and upstream.count("GET") == 5
    assert files_left(tmp_path / "local-mirror") == sorted(upstream_files)
    monkeypatch.setenv("RESTBENCH_MIRROR", str(tmp_path / "local-mirror"))
    root = fetch_set("classic5", tmp_path / "data", progress=False, offline=True)
    assert ds.verify_dataset(S("classic5"), tmp_path / "data") == [] and len(list(root.glob("*.bmp"))) == 5
    (tmp_path / "local-mirror" / base / "lena.bmp").write_bytes(b"tampered")
    shutil.rmtree(root)
    with pytest.raises(DatasetError, match=r"lena\.bmp.*sha256 mismatch"):
        fetch_set("classic5", tmp_path / "data", progress=False, offline=True)
    assert not root.exists()


def _blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_github_listing_and_its_files_from_a_mirror(tmp_path, monkeypatch):
    """LIVE1's registered github-dir source: the contents-API listing and the files it lists, by the rules."""
    imgs = {}
    for i, n in enumerate(("bikes.bmp", "caps.bmp")):
        buf = __import__("io").BytesIO()
        Image.fromarray(np.random.RandomState(i).randint(0, 256, (9, 9, 3)).astype(np.uint8)).save(buf, format="BMP")
        imgs[n] = buf.getvalue()
    raw = "https://raw.githubusercontent.com/cszn/DnCNN/master/testsets/LIVE1"
    listing = [{"name": n, "type": "file", "sha": _blob_sha1(b), "download_url": f"{raw}/{n}"} for n, b in imgs.items()]
    listing.append({"name": "readme.txt", "type": "file", "sha": "0", "download_url": f"{raw}/readme.txt"})
    mirror = tmp_path / "mirror"
    put(mirror, github_listing_mirror_path("cszn", "DnCNN", "testsets/LIVE1"), json.dumps(listing).encode())
    for n, b in imgs.items():
        put(mirror, url_mirror_path(f"{raw}/{n}"), b)
    monkeypatch.setenv("RESTBENCH_MIRROR", mirror.as_uri())
    spec = dataclasses.replace(S("LIVE1"), count=2)
    root = dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False, offline=True)
    assert sorted(p.name for p in root.iterdir()) == ["bikes.bmp", "caps.bmp"]
    assert next(load_samples(spec, tmp_path / "data", task="jpeg-car", channels="grey")).target.shape == (9, 9, 1)

    listing[1]["sha"] = listing[0]["sha"]  # caps.bmp now claims bikes' blob id
    put(mirror, github_listing_mirror_path("cszn", "DnCNN", "testsets/LIVE1"), json.dumps(listing).encode())
    with pytest.raises(DatasetError, match="caps.bmp does not match its git blob hash"):
        dataset_fetch.download_dataset(spec, tmp_path / "data2", progress=False, offline=True)
    assert not (tmp_path / "data2" / "LIVE1").exists()


# --------------------------------------------------------------------------- checkpoints


def _variant(*sources: WeightSource, sha256: str | None) -> Variant:
    return Variant(id="mirror-test", arch="dncnn", task="gaussian-denoising", weight_file="dncnn_25.pth", sources=sources, sha256=sha256)


def test_checkpoint_from_an_http_mirror_offline_pinned(tmp_path, monkeypatch):
    blob = bytes(range(256)) * 4000
    url = "https://github.com/cszn/KAIR/releases/download/v1.0/dncnn_25.pth"
    hf = WeightSource(hf_repo="someone/dncnn", hf_filename="dncnn_25.pth")
    with LoopbackServer(served({url_mirror_path(url): blob})) as mirror:
        monkeypatch.setenv("RESTBENCH_MIRROR", mirror.url)
        wf = resolve_weights(_variant(hf, WeightSource(url=url), sha256=sha(blob)), offline=True, progress=False)
        assert wf.path.read_bytes() == blob and wf.source == f"{mirror.url}/{url_mirror_path(url)}"
        # HF is looked up first (registered order): its mirror path, then the release URL's
        assert [urllib.parse.unquote(r.path) for r in mirror.requests] == [
            "/huggingface.co/someone/dncnn/resolve/main/dncnn_25.pth", "/" + url_mirror_path(url)]
        wf.path.unlink()
        with pytest.raises(WeightsUnavailable) as info:
            resolve_weights(_variant(WeightSource(url=url), sha256="ab" * 32), offline=True, progress=False)
    assert f"mirror {mirror.url}/{url_mirror_path(url)}: sha256 mismatch" in str(info.value)
    assert f"RESTBENCH_MIRROR=<dir or URL> holding it at <mirror>/{url_mirror_path(url)}" in str(info.value)


def test_write_to_mirror_then_a_second_machine_uses_only_the_mirror(tmp_path, monkeypatch):
    blob = b"weights" * 10_000
    with LoopbackServer({"/releases/dncnn_25.pth": blob}) as origin:
        v = _variant(WeightSource(url=origin.url + "/releases/dncnn_25.pth"), WeightSource(url=origin.url + "/other/dncnn_25.pth"),
                     sha256=sha(blob))
        report = mirror_weights(v, tmp_path / "m", progress=False)
        assert [p.relative_to(tmp_path / "m").as_posix() for p in report.written] == [
            f"127.0.0.1:{origin.url.rsplit(':', 1)[1]}/releases/dncnn_25.pth"]
        assert origin.count("GET") == 1  # the first source that delivers is all a mirror needs
        again = mirror_weights(v, tmp_path / "m", progress=False)
        assert again.present == report.written and origin.count("GET") == 1
    # the origin is gone; the "cluster node" has only the mirror directory and is offline
    monkeypatch.setenv("RESTBENCH_MIRROR", str(tmp_path / "m"))
    wf = resolve_weights(v, offline=True, progress=False)
    assert wf.path.read_bytes() == blob and wf.source.startswith("file://")


def test_fetch_file_reports_every_attempt(tmp_path, monkeypatch):
    from restbench.fetch.mirror import FetchFailed

    monkeypatch.setenv("RESTBENCH_MIRROR", str(tmp_path / "nothing-here"))
    with LoopbackServer({}) as origin:
        remotes = [Remote("url", url=origin.url + "/a.bin"), Remote("gdrive", gdrive_id=GOPRO_ID)]
        with pytest.raises(FetchFailed) as info:
            fetch_file(remotes, tmp_path / "x.bin", offline=True, progress=False)
        assert [w for w, _ in info.value.tried] == [f"mirror {tmp_path / 'nothing-here'}"] * 2 + [
            origin.url + "/a.bin", f"https://drive.google.com/uc?id={GOPRO_ID}"]
        assert [r for _, r in info.value.tried][2:] == ["skipped: offline mode"] * 2
        assert not (tmp_path / "x.bin").exists() and origin.count() == 0
        r = write_to_mirror(remotes[:1], tmp_path / "m", progress=False)
        assert not r.written and len(r.failed) == 1 and "HTTP 404" in r.failed[0][1]
        assert origin.count() == 1 and files_left(tmp_path) == []
