"""restbench.fetch.download against a real HTTP server on 127.0.0.1 serving the real DnCNN checkpoint."""

from __future__ import annotations

import json

import pytest

from restbench.fetch import download
from restbench.fetch.download import ChecksumError, DownloadError, HTTPStatusError, download_url, sha256_file

try:
    from tests.loopback import LoopbackServer
except ImportError:  # tests/ imported as a package
    from tests.loopback import LoopbackServer

SHA = "0451a70de9b672ae037270498fbb1c17a1c1c4403785df586ff65df5b858e5b0"
PATH = "/release/dncnn_25.pth"


@pytest.fixture(autouse=True)
def _fast_and_local(monkeypatch):
    monkeypatch.setattr(download, "BACKOFF_BASE", 0.0)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def blob(shared_dir) -> bytes:
    return (shared_dir / "weights" / "dncnn_25.pth").read_bytes()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_sha256_file_of_the_real_checkpoint(shared_dir):
    assert sha256_file(shared_dir / "weights" / "dncnn_25.pth") == SHA


def test_happy_path_writes_verified_file_atomically(blob, tmp_path):
    dest = tmp_path / "w" / "dncnn_25.pth"
    with LoopbackServer({PATH: blob}) as srv:
        got = download_url(srv.url + PATH, dest, sha256=SHA, progress=False)
        assert srv.count("GET") == 1
        assert "Range" not in srv.requests[0].headers
    assert got == dest
    assert dest.read_bytes() == blob
    assert leftovers(dest.parent) == ["dncnn_25.pth"]  # no .part / .part.json left behind


def test_existing_verified_file_makes_no_request(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    dest.write_bytes(blob)
    with LoopbackServer({PATH: blob}) as srv:
        download_url(srv.url + PATH, dest, sha256=SHA, progress=False)
        assert srv.count() == 0


def test_progress_bar_goes_to_stderr(blob, tmp_path, capsys):
    with LoopbackServer({PATH: blob}) as srv:
        download_url(srv.url + PATH, tmp_path / "x.pth", sha256=SHA, progress=True)
    err = capsys.readouterr().err
    assert "x.pth" in err and "2.12M" in err  # 2,224,903 bytes in binary units


def test_truncated_transfer_resumes_with_range(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    cut = 700_000
    with LoopbackServer({PATH: blob}, truncate_at=cut, truncate_times=2) as srv:
        download_url(srv.url + PATH, dest, sha256=SHA, progress=False)
        ranges = [r.headers.get("Range") for r in srv.requests]
    # first full request cut at 700000, the resume cut 700000 further, the last one completes
    assert ranges == [None, f"bytes={cut}-", f"bytes={2 * cut}-"]
    assert sha256_file(dest) == SHA


def test_server_ignoring_range_restarts_from_zero(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    with LoopbackServer({PATH: blob}, honour_range=False, truncate_at=500_000, truncate_times=1) as srv:
        download_url(srv.url + PATH, dest, sha256=SHA, progress=False)
        assert srv.count("GET") == 2
        assert srv.requests[1].headers.get("Range") == "bytes=500000-"  # asked, got 200, started over
    assert dest.read_bytes() == blob


def test_transfer_that_never_completes_is_a_clear_error_and_no_file(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    with LoopbackServer({PATH: blob}, honour_range=False, truncate_at=1000, truncate_times=99) as srv:
        with pytest.raises(DownloadError, match="gave up after 3 failed attempt") as info:
            download_url(srv.url + PATH, dest, sha256=SHA, progress=False, retries=2)
        # 1st attempt makes progress (0 -> 1000 bytes); the restarts that follow do not: 1 + 3
        assert srv.count("GET") == 4
    assert not dest.exists()
    assert "broke off" in str(info.value) or "closed after 1000" in str(info.value)


def test_partial_file_from_an_earlier_run_is_resumed(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    # run 1: the server cuts every transfer at 1 MB and cannot resume; we give up
    with LoopbackServer({PATH: blob}, honour_range=False, truncate_at=1_000_000, truncate_times=99) as srv:
        with pytest.raises(DownloadError, match="is kept and the next attempt resumes"):
            download_url(srv.url + PATH, dest, sha256=SHA, progress=False, retries=0)
        assert srv.count("GET") == 2
        part = tmp_path / "dncnn_25.pth.part"
        assert part.stat().st_size == 1_000_000 and not dest.exists()
        assert json.loads((tmp_path / "dncnn_25.pth.part.json").read_text())["total"] == len(blob)

        # run 2: the same URL is healthy again; only the missing bytes are requested
        srv.honour_range, srv.truncate_left = True, 0
        download_url(srv.url + PATH, dest, sha256=SHA, progress=False)
        assert srv.requests[2].headers.get("Range") == "bytes=1000000-"
        assert srv.requests[2].headers.get("If-Range") == f'"{SHA}"'
        assert srv.count("GET") == 3
    assert dest.read_bytes() == blob and not part.exists()


def test_file_changed_upstream_between_runs_restarts_instead_of_splicing(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    with LoopbackServer({PATH: blob}, honour_range=False, truncate_at=1_000_000, truncate_times=2) as srv:
        with pytest.raises(DownloadError):
            download_url(srv.url + PATH, dest, progress=False, retries=0)
        newer = bytes(reversed(blob))
        srv.files[PATH], srv.honour_range = newer, True
        download_url(srv.url + PATH, dest, progress=False)  # no sha256: only If-Range can protect us
        last = srv.requests[-1]
        assert last.headers.get("Range") == "bytes=1000000-" and last.headers.get("If-Range") == f'"{SHA}"'
    assert dest.read_bytes() == newer  # the server saw the stale validator and sent the whole new file


def test_complete_partial_file_answered_416_is_finished_without_body(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    (tmp_path / "dncnn_25.pth.part").write_bytes(blob)
    with LoopbackServer({PATH: blob}) as srv:
        (tmp_path / "dncnn_25.pth.part.json").write_text(json.dumps({"url": srv.url + PATH, "etag": f'"{SHA}"'}))
        download_url(srv.url + PATH, dest, sha256=SHA, progress=False)
        assert srv.count("GET") == 1
    assert sha256_file(dest) == SHA


def test_partial_file_from_another_url_is_not_spliced(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    (tmp_path / "dncnn_25.pth.part").write_bytes(b"x" * 1000)
    (tmp_path / "dncnn_25.pth.part.json").write_text(json.dumps({"url": "http://127.0.0.1:1/other"}))
    with LoopbackServer({PATH: blob}) as srv:
        download_url(srv.url + PATH, dest, sha256=SHA, progress=False)
        assert "Range" not in srv.requests[0].headers
    assert dest.read_bytes() == blob


def test_sha256_mismatch_is_rejected_and_leaves_nothing(blob, tmp_path):
    dest = tmp_path / "dncnn_25.pth"
    with LoopbackServer({PATH: blob}) as srv:
        with pytest.raises(ChecksumError) as info:
            download_url(srv.url + PATH, dest, sha256="0" * 64, progress=False)
    assert info.value.actual == SHA and info.value.expected == "0" * 64
    assert leftovers(tmp_path) == []


def test_404_is_not_retried(tmp_path):
    with LoopbackServer({}) as srv:
        with pytest.raises(HTTPStatusError) as info:
            download_url(srv.url + "/gone.pth", tmp_path / "gone.pth", progress=False)
        assert srv.count() == 1
    assert info.value.status == 404
    assert leftovers(tmp_path) == []
