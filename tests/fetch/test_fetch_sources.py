"""download_dataset through the real download code against servers on 127.0.0.1: sources in order,
broken archives, checksum pins, a download killed halfway, Hugging Face endpoints, shared archives."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from restbench import datasets as ds
from restbench.fetch import datasets as dataset_fetch
from restbench.fetch import download
from restbench.datasets import DataSource, DatasetError, DatasetSpec, verify_folder


from tests.synthetic_sets import S, fetch_set  # noqa: E402


try:
    from tests.loopback import COMMIT, LoopbackServer
    from tests.synthetic_sets import paired_zip
except ImportError:  # tests/ imported as a package
    from tests.loopback import COMMIT, LoopbackServer
    from tests.synthetic_sets import paired_zip

TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for var in ("RESTBENCH_MIRROR", "RESTBENCH_OFFLINE", "HF_ENDPOINT", "HF_HUB_CACHE", "http_proxy", "HTTP_PROXY",
                "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("RESTBENCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(download, "BACKOFF_BASE", 0.0)


def tiny(*sources: DataSource, count: int = 3, name: str = "TinyBlur") -> DatasetSpec:
    return DatasetSpec(name, ("motion-deblurring",), "paired", count=count, sources=sources)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def nothing_left(data: Path, name: str = "TinyBlur") -> None:
    """No set folder, no staging folder, no archive or partial download (lock files hold no data)."""
    assert not (data / name).exists()
    assert not list(data.glob(f".{name}-*"))
    assert [p for p in data.rglob("*") if p.is_file() and not p.name.endswith(".lock")] == []


ZIP = paired_zip({"test/TinyBlur": 3})


def test_sources_are_tried_in_order_and_the_first_good_one_is_installed(tmp_path):
    good = paired_zip({"test/TinyBlur": 3})
    wrong_layout = paired_zip({"test/SomethingElse/deeper": 3})
    with LoopbackServer({"/b/test.zip": wrong_layout, "/c/test.zip": good}) as srv:
        spec = tiny(DataSource("url", url=srv.url + "/a/test.zip", member="test/TinyBlur"),
                    DataSource("url", url=srv.url + "/b/test.zip", member="test/TinyBlur"),
                    DataSource("url", url=srv.url + "/c/test.zip", member="test/TinyBlur"))
        root = dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False, offline=False)
        assert [r.path for r in srv.requests] == ["/a/test.zip", "/b/test.zip", "/c/test.zip"]
    assert verify_folder(spec, root) == [] and sorted(p.name for p in root.iterdir()) == ["input", "target"]
    assert [p for p in (tmp_path / "data").rglob("*") if p.is_file() and not p.name.endswith(".lock")
            and "TinyBlur/" not in p.as_posix()] == []  # archives dropped after unpacking


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "html"])
def test_broken_archive_is_one_clear_error_and_leaves_nothing(tmp_path, damage):
    data = {"truncated": ZIP[: len(ZIP) // 2],
            # flip bytes inside the first member's compressed data: its CRC (or inflate) fails
            "corrupt": ZIP[:200] + bytes(b ^ 0xFF for b in ZIP[200:260]) + ZIP[260:],
            "html": b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"}[damage]
    with LoopbackServer({"/test.zip": data}) as srv:
        spec = tiny(DataSource("url", url=srv.url + "/test.zip", member="test/TinyBlur"))
        with pytest.raises(DatasetError) as info:
            dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False, offline=False)
    msg = str(info.value)
    first = msg.splitlines()[0]
    assert first == f"TinyBlur could not be fetched into {tmp_path / 'data' / 'TinyBlur'}."
    want = {"truncated": "the zip archive is truncated or corrupt",
            "corrupt": "the zip archive is truncated or corrupt",
            "html": "sent a web page instead of the file"}[damage]
    assert msg.count(want) == 1, msg
    if damage != "html":
        assert "the archive was deleted, so the next attempt downloads it again" in msg
    nothing_left(tmp_path / "data")


def test_checksum_mismatch_is_one_clear_error_and_leaves_nothing(tmp_path):
    with LoopbackServer({"/test.zip": ZIP}) as srv:
        spec = tiny(DataSource("url", url=srv.url + "/test.zip", member="test/TinyBlur", sha256="0" * 64))
        with pytest.raises(DatasetError) as info:
            dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False, offline=False)
    msg = str(info.value)
    assert msg.count("sha256 mismatch") == 1 and f"expected {'0' * 64}, got {sha(ZIP)}" in msg
    nothing_left(tmp_path / "data")


def test_existing_set_is_kept_when_a_forced_refetch_fails(tmp_path):
    with LoopbackServer({"/test.zip": ZIP}) as srv:
        spec = tiny(DataSource("url", url=srv.url + "/test.zip", member="test/TinyBlur"))
        root = dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False, offline=False)
        before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
        srv.files["/test.zip"] = ZIP[:100]
        with pytest.raises(DatasetError, match="truncated or corrupt"):
            dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False, force=True, offline=False)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before
    assert verify_folder(spec, root) == []


_CHILD = textwrap.dedent(
    """
    import sys
    from restbench.datasets import DataSource, DatasetSpec
    from restbench.fetch.datasets import download_dataset
    url, data = sys.argv[1], sys.argv[2]
    spec = DatasetSpec("TinyBlur", ("motion-deblurring",), "paired", count={count},
                       sources=(DataSource("url", url=url, member="test/TinyBlur", sha256="{sha}"),))
    download_dataset(spec, data, progress=False, offline=False)
    """
)


def test_download_killed_halfway_leaves_no_set_and_the_rerun_resumes(tmp_path):
    big = paired_zip({"test/TinyBlur": 400}, size=48)  # ~5.5 MB: download_url writes 1 MiB at a time
    assert len(big) > 5 * 2**20
    data = tmp_path / "data"
    script = tmp_path / "child.py"
    script.write_text(_CHILD.format(count=400, sha=sha(big)))
    with LoopbackServer({"/test.zip": big}, throttle=(65536, 0.02)) as srv:
        child = subprocess.Popen([sys.executable, str(script), srv.url + "/test.zip", str(data)],
                                 env={**os.environ, "PYTHONPATH": str(TESTS.parent)}, stderr=subprocess.PIPE)
        part = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            parts = list((data / ".downloads").rglob("test.zip.part")) if (data / ".downloads").exists() else []
            if parts and parts[0].stat().st_size >= 2 * 2**20:
                part = parts[0]
                break
            assert child.poll() is None, child.stderr.read().decode()
            time.sleep(0.01)
        assert part is not None, "the child never got 2 MiB of the archive"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        have = part.stat().st_size
        assert 0 < have < len(big)
        assert not (data / "TinyBlur").exists()  # no half set where the loader looks

        srv.throttle = None
        spec = tiny(DataSource("url", url=srv.url + "/test.zip", member="test/TinyBlur", sha256=sha(big)), count=400)
        root = dataset_fetch.download_dataset(spec, data, progress=False, offline=False)
        resumed = srv.requests[-1]
        assert resumed.headers.get("Range") == f"bytes={have}-"
        assert resumed.headers.get("If-Range") == f'"{sha(big)}"'
    assert verify_folder(spec, root) == [] and len(list((root / "input").iterdir())) == 400
    assert not list(data.glob(".TinyBlur-*"))  # the killed run's staging folder is gone
    assert [p for p in data.rglob("*") if p.is_file() and not p.name.endswith(".lock") and "TinyBlur/" not in p.as_posix()] == []


@pytest.fixture
def hub_online(monkeypatch):
    """huggingface_hub froze HF_HUB_OFFLINE=1 (conftest) at import; lift it for this test only."""
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def test_hf_dataset_source_honours_hf_endpoint_set_after_import(tmp_path, monkeypatch, hub_online):
    import huggingface_hub.constants as hf_constants

    path = f"/datasets/someone/tiny-blur/resolve/{COMMIT}/archives/test.zip"
    with LoopbackServer({path: ZIP}, hub=True) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)  # after huggingface_hub was imported
        assert hf_constants.ENDPOINT != hub.url
        spec = tiny(DataSource("hf", hf_repo="someone/tiny-blur", hf_filename="archives/test.zip", hf_revision=COMMIT,
                               sha256=sha(ZIP), member="test/TinyBlur"))
        root = dataset_fetch.download_dataset(spec, tmp_path / "data", progress=False)
        assert [(r.method, r.path) for r in hub.requests] == [("HEAD", path), ("GET", path)]
    assert verify_folder(spec, root) == []
    # the HF cache under HF_HOME keeps the archive; ours was dropped after unpacking
    assert list((tmp_path / "hf" / "hub").glob("datasets--someone--tiny-blur/snapshots/*/archives/test.zip"))
    assert not (tmp_path / "data" / ".downloads" / "huggingface.co").exists()


def test_archive_shared_by_several_sets_is_kept_until_the_last_one_is_cut(tmp_path, monkeypatch):
    """Restormer's deraining test.zip holds all five rain sets: one download serves them all."""
    rain = paired_zip({"test/Rain100L": 100, "test/Rain100H": 100})
    rel = "drive.google.com/uc/1P_-RAvltEoEhfT-9GrWRdpEi6NSswTs8"  # the registered Drive id
    (tmp_path / "mirror" / rel).parent.mkdir(parents=True)
    (tmp_path / "mirror" / rel).write_bytes(rain)
    monkeypatch.setenv("RESTBENCH_MIRROR", str(tmp_path / "mirror"))
    data = tmp_path / "data"
    fetch_set("Rain100L", data, progress=False, offline=True)
    kept = data / ".downloads" / rel
    assert kept.read_bytes() == rain  # Rain100H, Test100, ... are still missing here
    monkeypatch.delenv("RESTBENCH_MIRROR")  # the next set comes from the kept archive alone
    root = fetch_set("Rain100H", data, progress=False, offline=True)
    assert verify_folder(S("Rain100H"), root) == [] and verify_folder(S("Rain100L"), data / "Rain100L") == []
    assert kept.is_file()  # Test100/Test1200/Test2800 would still be cut from it
