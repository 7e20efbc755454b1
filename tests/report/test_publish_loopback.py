"""`restbench leaderboard publish` against a fake hub on 127.0.0.1 (issue 5).

Unlike test_report's mocked HfApi, this runs huggingface_hub's real create_repo + upload_folder
code path (HTTP requests, preupload, ndjson commit) and checks what reached the server: the
commit must carry every file the board step wrote, byte for byte, under --path-in-repo.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from restbench.cli import main

try:
    from tests.loopback import HubUploadServer
    from test_report import make_summary, seal
except ImportError:  # pragma: no cover - run as a package
    from tests.loopback import HubUploadServer
    from tests.report.test_report import make_summary, seal

TOKEN = "hf_test"
REPO_ID = "me/restbench-boards"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Two test sets: Set12 (PSNR) and Set5 (PSNR + SSIM)."""
    root = tmp_path / "results"
    seal(root, make_summary("dncnn-s25", "dncnn", "Set12", 30.4449, sigma=25))
    seal(root, make_summary("bicubic-x2", "bicubic", "Set5", 33.6642, 0.92994, scale=2, channels="rgb"))
    return root


@pytest.fixture
def online(monkeypatch):
    """conftest sets HF_HUB_OFFLINE=1 before huggingface_hub is imported, which freezes it into
    ``constants.HF_HUB_OFFLINE`` (read by every request hook); lift both for this test only, give
    the token through HF_TOKEN as a user would, and keep proxies away from the loopback server."""
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    for var in ("HF_ENDPOINT", "HF_OIDC_RESOURCE", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def test_publish_commits_every_board_file_to_the_hub(store, online, tmp_path, capsys):
    out = tmp_path / "boards"
    with HubUploadServer() as hub:
        assert hub.url.startswith("http://127.0.0.1:")
        code = main(["leaderboard", "publish", "--results", str(store), "--out", str(out),
                     "--repo", REPO_ID, "--endpoint", hub.url, "--path-in-repo", "leaderboards/",
                     "--commit-message", "Nightly boards"])
    captured = capsys.readouterr()
    assert code == 0, captured.err

    # what the board step wrote: markdown, CSV and figures (PNG is binary: base64 must round-trip)
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for name in ("README.md", "Set12.md", "Set12.csv", "Set5.md", "Set5.csv"):
        assert name in written
    pngs = [n for n in written if n.endswith(".png")]
    assert pngs and all(written[n].startswith(b"\x89PNG\r\n\x1a\n") for n in pngs)

    assert list(hub.repos) == [REPO_ID] and hub.repos[REPO_ID]["type"] == "dataset"
    assert [v["content"] for v in hub.validated] == [written["README.md"].decode()]
    (commit,) = hub.commits
    assert (commit.repo_type, commit.repo_id, commit.revision) == ("dataset", REPO_ID, "main")
    assert commit.header["summary"] == "Nightly boards"
    assert commit.files == {f"leaderboards/{name}": data for name, data in written.items()}
    assert commit.other_lines == []  # no deletions, no LFS pointers
    (pre,) = hub.preuploads
    assert {f["path"]: f["size"] for f in pre["files"]} == {f"leaderboards/{n}": len(d) for n, d in written.items()}

    assert hub.unrouted == []  # every call huggingface_hub made is one the fake hub knows
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in hub.requests)
    assert [(r.method, r.path) for r in hub.requests] == [
        ("POST", "/api/repos/create"),
        ("POST", "/api/validate-yaml"),
        ("POST", f"/api/datasets/{REPO_ID}/preupload/main"),
        ("POST", f"/api/datasets/{REPO_ID}/commit/main"),
    ]
    assert captured.out.strip().splitlines()[-1] == f"{hub.url}/datasets/{REPO_ID}/commit/{commit.oid}"
    assert "wrote 2 board(s)" in captured.err


@pytest.mark.parametrize("status, says", [(401, "Invalid credentials"), (500, "Internal Error")])
def test_publish_failure_is_one_clear_line(store, online, tmp_path, capsys, status, says):
    out = tmp_path / "boards"
    with HubUploadServer(fail_status=status) as hub:
        code = main(["leaderboard", "publish", "--results", str(store), "--out", str(out), "--no-plots",
                     "--repo", REPO_ID, "--endpoint", hub.url])
    captured = capsys.readouterr()
    assert code == 2
    assert hub.commits == [] and hub.requests[0].path == "/api/repos/create"
    assert (out / "README.md").is_file() and (out / "Set12.md").is_file()  # the boards are kept
    assert "Traceback" not in captured.err and captured.out == ""
    errors = [ln for ln in captured.err.splitlines() if ln.startswith("restbench: error:")]
    assert len(errors) == 1, captured.err
    assert captured.err.rstrip("\n").endswith(errors[0])  # nothing trails the error line
    assert re.match(rf"restbench: error: upload to {REPO_ID} failed: HfHubHTTPError: .*\b{status}\b.*{says}",
                    errors[0]), errors[0]
    assert ("HF_TOKEN" in errors[0]) == (status == 401)


def test_publish_with_html_uploads_the_site_folder_too(store, online, tmp_path, capsys):
    out = tmp_path / "boards"
    with HubUploadServer() as hub:
        code = main(["leaderboard", "publish", "--results", str(store), "--out", str(out), "--no-plots", "--html",
                     "--repo", REPO_ID, "--endpoint", hub.url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    (commit,) = hub.commits
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert commit.files == written
    assert {"site/index.html", "site/Set12.html", "site/Set5.html", "papers/DnCNN-TableIII.md",
            "site/paper-DnCNN-TableIII.html"} <= set(commit.files)
    assert b"<table class=\"sortable\"" in commit.files["site/Set12.html"]
    assert f"and the site to {out / 'site'}" in captured.err


def test_publish_site_only_to_a_static_space(store, online, tmp_path, capsys):
    out = tmp_path / "boards"
    with HubUploadServer() as hub:
        code = main(["leaderboard", "publish", "--results", str(store), "--out", str(out), "--no-plots", "--html",
                     "--upload", "site", "--repo-type", "space", "--repo", "me/restbench-site", "--endpoint", hub.url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert hub.repos["me/restbench-site"]["type"] == "space" and hub.repos["me/restbench-site"]["sdk"] == "static"
    (commit,) = hub.commits
    site = out / "site"
    assert commit.repo_type == "space"
    # the site folder at the repo root: a static Space serves its index.html
    assert commit.files == {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert "index.html" in commit.files and not any(k.endswith(".md") or k.endswith(".csv") for k in commit.files)


def test_publish_site_without_html_is_one_clear_error(store, tmp_path, capsys):
    out = tmp_path / "boards"
    code = main(["leaderboard", "publish", "--results", str(store), "--out", str(out), "--upload", "site",
                 "--repo", REPO_ID, "--endpoint", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.strip().splitlines()[-1] == ("restbench: error: --upload site publishes the static site: add --html so "
                                            "that it is written")
