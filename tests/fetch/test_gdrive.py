"""restbench.fetch.gdrive through the real gdown, against a local imitation of Google Drive (tests/fake_drive.py)."""

from __future__ import annotations

import hashlib
import os

import pytest

from restbench.fetch import download, gdrive
from restbench.fetch.download import ChecksumError
from restbench.registry import Variant, WeightSource
from restbench.fetch.weights import WeightsUnavailable, resolve_weights

try:
    from tests.fake_drive import DriveFile, FakeDrive, route_google_to
    from tests.loopback import LoopbackServer
except ImportError:  # tests/ imported as a package
    from tests.fake_drive import DriveFile, FakeDrive, route_google_to
    from tests.loopback import LoopbackServer

FID = "1k6DTSHu4saUgrGTYkkZXTptILyG9RRll"  # Restormer's GoPro test.zip id (served locally)
BIG = "1H1TKHw2gcKORC-MwSkBp9g93T4B1jh_b"
QUOTA = "1dS7Lh46SMbncnwRW9zM5AW3cXrvYkjQU"


def payload(n: int, seed: int = 0) -> bytes:
    return hashlib.sha256(str(seed).encode()).digest() * (n // 32) + b"\x00" * (n % 32)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))  # the per-file download lock


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "RESTBENCH_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv(gdrive.COOKIES_ENV, str(tmp_path / "cookies" / "gdown-cookies.txt"))
    monkeypatch.setenv("RESTBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(download, "BACKOFF_BASE", 0.0)


@pytest.fixture
def drive(monkeypatch):
    with FakeDrive() as d:
        route_google_to(monkeypatch, d.url)
        yield d


def test_small_file_comes_straight_through_uc_redirect(drive, tmp_path):
    data = payload(100_000)
    drive.files[FID] = DriveFile("test.zip", data)
    dest = tmp_path / "dl" / "test.zip"
    got = gdrive.download_file(FID, dest, sha256=sha(data), progress=False)
    assert got == dest and dest.read_bytes() == data
    hosts = [(h, p.split("?")[0].rsplit("/", 1)[-1]) for h, p, _ in drive.log]
    assert hosts == [("drive.google.com", "uc"), ("drive.usercontent.google.com", "download")]
    assert leftovers(dest.parent) == ["test.zip"]  # no .gdown, .part or sidecar left


def test_large_file_goes_through_the_virus_scan_confirmation_form(drive, tmp_path):
    data = payload(300_000, seed=1)
    drive.files[BIG] = DriveFile("Uformer16_denoising_sidd.pth", data, large=True)
    dest = tmp_path / "w.pth"
    gdrive.download_file(BIG, dest, sha256=sha(data), progress=False)
    assert dest.read_bytes() == data
    downloads = [p for h, p, _ in drive.log if h == "drive.usercontent.google.com"]
    assert len(downloads) == 2
    assert "confirm=" not in downloads[0]
    assert "confirm=t" in downloads[1] and "uuid=" in downloads[1]  # gdown submitted the form's hidden fields


def test_quota_page_is_one_clear_error_naming_the_next_source(drive, tmp_path):
    drive.files[QUOTA] = DriveFile("x.pth", payload(1000), quota=True)
    dest = tmp_path / "x.pth"
    with pytest.raises(gdrive.DriveQuotaError) as info:
        gdrive.download_file(QUOTA, dest, progress=False, next_source="hf://someone/x/x.pth")
    msg = str(info.value)
    assert f"https://drive.google.com/uc?id={QUOTA}" in msg and "too many users" in msg
    assert "restbench tries the next source: hf://someone/x/x.pth" in msg
    assert "24 hours" in msg and "--cookies-from-browser" in msg
    assert leftovers(tmp_path) == ["cookies"]  # nothing of the download is left behind


def test_broken_transfer_is_resumed_by_the_next_call_with_range(drive, tmp_path):
    data = payload(2_500_000, seed=2)
    drive.files[FID] = DriveFile("test.zip", data, cut_first=1_300_000)
    dest = tmp_path / "test.zip"
    with pytest.raises(gdrive.DriveError, match="next attempt resumes"):
        gdrive.download_file(FID, dest, sha256=sha(data), progress=False, retries=0)
    assert not dest.exists()
    parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    # gdown writes in 512 KiB chunks; the chunk the connection broke in is lost, the two before are kept
    assert len(parts) == 1 and parts[0].stat().st_size == 2 * 512 * 1024
    gdrive.download_file(FID, dest, sha256=sha(data), progress=False)
    last = [hdr for h, p, hdr in drive.log if h == "drive.usercontent.google.com"][-1]
    assert last.get("Range") == f"bytes={2 * 512 * 1024}-" and last.get("If-Range") == f'"{sha(data)}"'
    assert dest.read_bytes() == data
    assert leftovers(tmp_path) == ["cookies", "test.zip"]


def test_checksum_mismatch_discards_the_bytes(drive, tmp_path):
    drive.files[FID] = DriveFile("test.zip", payload(5000))
    with pytest.raises(ChecksumError, match="sha256 mismatch"):
        gdrive.download_file(FID, tmp_path / "t.zip", sha256="0" * 64, progress=False)
    assert leftovers(tmp_path) == ["cookies"]


def test_partial_of_another_id_is_never_continued(drive, tmp_path):
    data = payload(50_000, seed=3)
    drive.files[FID] = DriveFile("test.zip", data)
    dest = tmp_path / "t.zip"
    (tmp_path / "t.zip.gdown.json").write_text('{"id": "someotherid"}')
    (tmp_path / "t.zip.gdownABCDEFGH.part").write_bytes(b"stale bytes of another file")
    gdrive.download_file(FID, dest, progress=False)
    assert dest.read_bytes() == data
    assert all("Range" not in hdr for _, _, hdr in drive.log)


def test_folder_listing_and_download_keep_the_structure(drive, tmp_path):
    a, b = payload(2000, 4), payload(3000, 5)
    drive.files["1aaaaaaaaaaaaaaaaaaaaaaaaaaaa"] = DriveFile("a.png", a)
    drive.files["1bbbbbbbbbbbbbbbbbbbbbbbbbbbb"] = DriveFile("b.png", b, large=True)
    drive.folders["1ffffffffffffffffffffffffffff"] = ("GoPro", [("file", "1aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a.png"),
                                                               ("folder", "1sssssssssssssssssssssssssss", "target")])
    drive.folders["1sssssssssssssssssssssssssss"] = ("target", [("file", "1bbbbbbbbbbbbbbbbbbbbbbbbbbbb", "b.png")])
    listing = gdrive.list_folder("1ffffffffffffffffffffffffffff")
    assert listing == [("1aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a.png"), ("1bbbbbbbbbbbbbbbbbbbbbbbbbbbb", "target/b.png")]
    files = gdrive.download_folder("1ffffffffffffffffffffffffffff", tmp_path / "GoPro", progress=False)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["GoPro/a.png", "GoPro/target/b.png"]
    assert (tmp_path / "GoPro" / "a.png").read_bytes() == a and (tmp_path / "GoPro" / "target" / "b.png").read_bytes() == b
    n = len(drive.log)
    gdrive.download_folder("1ffffffffffffffffffffffffffff", tmp_path / "GoPro", progress=False)
    assert all("embeddedfolderview" in p for _, p, _ in drive.log[n:])  # only re-listed; files kept


# --------------------------------------------------------------------------- through resolve_weights


def drive_variant(*sources: WeightSource, sha256: str | None = None) -> Variant:
    return Variant(id="uformer16-test", arch="uformer", task="real-denoising", weight_file="Uformer16_denoising_sidd.pth",
                   sources=sources, sha256=sha256)


def test_weights_from_drive_then_cache_hit(drive):
    data = payload(200_000, seed=6)
    drive.files[BIG] = DriveFile("Uformer16_denoising_sidd.pth", data, large=True)
    v = drive_variant(WeightSource(gdrive_id=BIG), sha256=sha(data))
    wf = resolve_weights(v, offline=False, progress=False)
    assert wf.source == f"https://drive.google.com/uc?id={BIG}" and wf.path.read_bytes() == data
    n = len(drive.log)
    assert resolve_weights(v, offline=False, progress=False).from_cache and len(drive.log) == n


def test_drive_quota_falls_through_to_the_next_source(drive):
    data = payload(60_000, seed=7)
    drive.files[QUOTA] = DriveFile("x.pth", data, quota=True)
    with LoopbackServer({"/copy/Uformer16_denoising_sidd.pth": data}) as srv:
        url = srv.url + "/copy/Uformer16_denoising_sidd.pth"
        wf = resolve_weights(drive_variant(WeightSource(gdrive_id=QUOTA), WeightSource(url=url)), offline=False, progress=False)
        assert wf.source == url and srv.count("GET") == 1
    with pytest.raises(WeightsUnavailable) as info:
        os.unlink(wf.path)
        resolve_weights(drive_variant(WeightSource(gdrive_id=QUOTA), sha256=sha(data)), offline=False, progress=False)
    msg = str(info.value)
    assert f"https://drive.google.com/uc?id={QUOTA}: Google Drive refuses" in msg and "no other source is registered" in msg


HAT_FOLDER = "1HpmReFfoUqUbnAOQ7rvOeNU3uf_m69w0"  # HAT's pretrained-models folder (served locally)


def hat_folder(drive, data: bytes) -> None:
    """HAT's layout as the README shares it: one folder, the checkpoints inside (here one level down)."""
    drive.files["1hhhhhhhhhhhhhhhhhhhhhhhhhhhh"] = DriveFile("HAT_SRx4.pth", data, large=True)
    drive.files["1iiiiiiiiiiiiiiiiiiiiiiiiiiii"] = DriveFile("HAT_SRx4_ImageNet-pretrain.pth", b"other weights")
    drive.folders[HAT_FOLDER] = ("HAT", [("folder", "1ssssssssssssssssssssssssssss", "SRx4"),
                                         ("file", "1iiiiiiiiiiiiiiiiiiiiiiiiiiii", "HAT_SRx4_ImageNet-pretrain.pth")])
    drive.folders["1ssssssssssssssssssssssssssss"] = ("SRx4", [("file", "1hhhhhhhhhhhhhhhhhhhhhhhhhhhh", "HAT_SRx4.pth")])


def test_a_checkpoint_shared_only_inside_a_drive_folder_is_found_by_name(drive):
    data = payload(150_000, seed=9)
    hat_folder(drive, data)
    v = Variant(id="hat-test", arch="hat", task="classical-sr", weight_file="HAT_SRx4.pth", scale=4,
                sources=(WeightSource(gdrive_folder=HAT_FOLDER, gdrive_path="HAT_SRx4.pth"),))
    wf = resolve_weights(v, offline=False, progress=False)
    assert wf.path.read_bytes() == data and wf.source == f"https://drive.google.com/drive/folders/{HAT_FOLDER} (HAT_SRx4.pth)"
    assert [p for _, p, _ in drive.log if "embeddedfolderview" in p]  # listed, then only the one file fetched
    assert not drive.requests_for("1iiiiiiiiiiiiiiiiiiiiiiiiiiii")
    n = len(drive.log)
    assert resolve_weights(v, offline=False, progress=False).from_cache and len(drive.log) == n


def test_a_folder_without_the_file_says_what_it_holds(drive):
    hat_folder(drive, payload(1000))
    v = Variant(id="hat-test", arch="hat", task="classical-sr", weight_file="HAT_SRx3.pth", scale=3,
                sources=(WeightSource(gdrive_folder=HAT_FOLDER, gdrive_path="HAT_SRx3.pth"),))
    with pytest.raises(WeightsUnavailable) as info:
        resolve_weights(v, offline=False, progress=False)
    assert "looking for 'HAT_SRx3.pth': has no such file (it holds: SRx4/HAT_SRx4.pth, HAT_SRx4_ImageNet-pretrain.pth)" in str(info.value)


def test_a_folder_file_on_a_mirror_is_taken_from_there_without_listing_drive(drive, tmp_path, monkeypatch):
    data = payload(5000, seed=10)
    hat_folder(drive, b"origin bytes that must not be fetched")
    placed = tmp_path / "mirror" / "drive.google.com" / "drive" / "folders" / HAT_FOLDER / "HAT_SRx4.pth"
    placed.parent.mkdir(parents=True)
    placed.write_bytes(data)
    monkeypatch.setenv("RESTBENCH_MIRROR", str(tmp_path / "mirror"))
    v = Variant(id="hat-test", arch="hat", task="classical-sr", weight_file="HAT_SRx4.pth", scale=4,
                sources=(WeightSource(gdrive_folder=HAT_FOLDER, gdrive_path="HAT_SRx4.pth"),))
    assert resolve_weights(v, offline=True, progress=False).path.read_bytes() == data
    assert drive.log == []


def test_the_registered_hat_checkpoints_come_from_the_authors_folder_and_mirror_under_it():
    from restbench.plugin.manager import load_plugins

    reg = load_plugins().registry
    for s in (2, 3, 4):
        (src,) = reg.variants[f"hat-srx{s}"].sources
        r = src.remote(f"HAT_SRx{s}.pth")
        assert (r.kind, r.gdrive_folder, r.gdrive_path) == ("gdrive", HAT_FOLDER, f"HAT_SRx{s}.pth")
        assert r.mirror_path == f"drive.google.com/drive/folders/{HAT_FOLDER}/HAT_SRx{s}.pth"
        assert r.canonical_url == f"https://drive.google.com/drive/folders/{HAT_FOLDER}"


def test_offline_never_asks_drive(drive):
    drive.files[BIG] = DriveFile("x.pth", payload(1000))
    with pytest.raises(WeightsUnavailable, match="skipped: offline mode"):
        resolve_weights(drive_variant(WeightSource(gdrive_id=BIG)), offline=True, progress=False)
    assert drive.log == []


# --------------------------------------------------------------------------- through download_dataset


def test_a_set_from_drive_through_the_confirmation_form(drive, tmp_path):
    from restbench.datasets import DataSource, DatasetSpec, verify_folder
    from restbench.fetch.datasets import download_dataset

    try:
        from tests.synthetic_sets import paired_zip
    except ImportError:
        from tests.synthetic_sets import paired_zip

    archive = paired_zip({"test/TinyBlur": 5})
    tiny_id = "1TinyBlurTestArchive0000000000"  # not a registered id: no other set keeps the archive
    drive.files[tiny_id] = DriveFile("test.zip", archive, large=True)
    spec = DatasetSpec("TinyBlur", ("motion-deblurring",), "paired", count=5,
                       sources=(DataSource("gdrive", gdrive_id=tiny_id, member="test/TinyBlur"),))
    root = download_dataset(spec, tmp_path / "data", progress=False, offline=False)
    assert verify_folder(spec, root) == [] and len(list((root / "input").iterdir())) == 5
    assert [p for p in (tmp_path / "data" / ".downloads").rglob("*") if p.is_file() and not p.name.endswith(".lock")] == []


def test_a_set_whose_drive_file_is_over_quota_comes_from_the_next_source(drive, tmp_path):
    from restbench.datasets import DatasetError, DataSource, DatasetSpec, verify_folder
    from restbench.fetch.datasets import download_dataset

    try:
        from tests.synthetic_sets import paired_zip
    except ImportError:
        from tests.synthetic_sets import paired_zip

    archive = paired_zip({"test/TinyBlur": 5})
    drive.files[QUOTA] = DriveFile("test.zip", archive, quota=True)
    with LoopbackServer({"/copy/test.zip": archive}) as srv:
        copy = DataSource("url", url=srv.url + "/copy/test.zip", member="test/TinyBlur")
        spec = DatasetSpec("TinyBlur", ("motion-deblurring",), "paired", count=5,
                           sources=(DataSource("gdrive", gdrive_id=QUOTA, member="test/TinyBlur"), copy))
        root = download_dataset(spec, tmp_path / "data", progress=False, offline=False)
        assert verify_folder(spec, root) == [] and srv.count("GET") == 1
        gone = DataSource("url", url=srv.url + "/gone/test.zip", member="test/TinyBlur")
        spec2 = DatasetSpec("TinyBlur2", ("motion-deblurring",), "paired", count=5,
                            sources=(DataSource("gdrive", gdrive_id=QUOTA, member="test/TinyBlur"), gone))
        with pytest.raises(DatasetError) as info:
            download_dataset(spec2, tmp_path / "data", progress=False, offline=False)
    msg = str(info.value)
    assert f"restbench tries the next source: {srv.url}/gone/test.zip" in msg
    assert f"{srv.url}/gone/test.zip: HTTP 404" in msg
    assert not (tmp_path / "data" / "TinyBlur2").exists()
