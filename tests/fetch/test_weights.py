"""restbench.fetch.weights + restbench.paths: real downloads from 127.0.0.1 servers (hub-like and plain)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from restbench import paths as cache
from restbench.fetch import download
from restbench.registry import Variant, WeightSource
from restbench.fetch.weights import WeightFile, WeightsUnavailable, is_offline, parse_weight_overrides, prefetch, resolve_weights, weight_path, weights_status

try:
    from tests.loopback import LoopbackServer
except ImportError:  # tests/ imported as a package
    from tests.loopback import LoopbackServer

SHA = "0451a70de9b672ae037270498fbb1c17a1c1c4403785df586ff65df5b858e5b0"
REPO = "restbench-test/dncnn"
HUB_PATH = f"/{REPO}/resolve/main/dncnn_25.pth"
URL_PATH = "/releases/v1.0/dncnn_25.pth"


@pytest.fixture(scope="module")
def blob(shared_dir) -> bytes:
    return (shared_dir / "weights" / "dncnn_25.pth").read_bytes()


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A fresh restbench cache and HF cache per test; all traffic stays on loopback."""
    monkeypatch.setenv("RESTBENCH_HOME", str(tmp_path / "rb"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    for var in ("HF_HUB_CACHE", "HF_ENDPOINT", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(download, "BACKOFF_BASE", 0.0)
    return tmp_path / "rb"


@pytest.fixture
def hub_online(monkeypatch):
    """huggingface_hub froze HF_HUB_OFFLINE=1 (conftest) at import; lift it for this test only."""
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)


def make_variant(*sources: WeightSource, sha256: str | None = SHA, vid: str = "dncnn-test") -> Variant:
    return Variant(id=vid, arch="dncnn", task="gaussian-denoising", weight_file="dncnn_25.pth", sources=sources, sha256=sha256)


def hub_source() -> WeightSource:
    return WeightSource(hf_repo=REPO, hf_filename="dncnn_25.pth")


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


# --------------------------------------------------------------------------- cache root


def test_cache_root_honours_restbench_home(home):
    assert cache.cache_root() == home.resolve()
    assert cache.weights_dir() == home.resolve() / "weights"
    assert cache.results_dir(create=True).is_dir() and cache.datasets_dir().name == "datasets"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG layout is for Linux/Unix")
def test_cache_root_default_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("RESTBENCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "restbench"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert cache.cache_root() == tmp_path / "me" / ".cache" / "restbench"


# --------------------------------------------------------------------------- sources


def test_hub_happy_path_then_cache_hit_without_requests(blob, home, hub_online, monkeypatch, tmp_path):
    with LoopbackServer({HUB_PATH: blob}, hub=True) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        v = make_variant(hub_source(), WeightSource(url=hub.url + "/never-used.pth"))
        wf = resolve_weights(v, offline=False, progress=False)
        assert [r.method for r in hub.requests] == ["HEAD", "GET"]
        assert wf == WeightFile(home.resolve() / "weights" / "dncnn" / "dncnn_25.pth", SHA, f"hf://{REPO}/dncnn_25.pth")
        assert wf.path.read_bytes() == blob
        # the HF cache under HF_HOME holds it too (huggingface_hub's own layout)
        assert list((tmp_path / "hf" / "hub").glob("models--restbench-test--dncnn/snapshots/*/dncnn_25.pth"))

        again = resolve_weights(v, offline=False, progress=False)
        assert hub.count() == 2  # cache hit: no new request of any kind
        assert again.from_cache and again.sha256 == SHA and again.source == wf.source
    assert weights_status(v) == "cached"


def test_url_happy_path_and_cache_hit(blob, home):
    with LoopbackServer({URL_PATH: blob}) as srv:
        v = make_variant(WeightSource(url=srv.url + URL_PATH))
        assert weights_status(v) == "missing"
        wf = resolve_weights(v, offline=False, progress=False)
        assert (wf.sha256, wf.source, wf.from_cache) == (SHA, srv.url + URL_PATH, False)
        assert srv.count() == 1
        assert resolve_weights(v, offline=True, progress=False).path == wf.path  # offline cache hit
        assert resolve_weights(v, offline=False, progress=False).from_cache
        assert srv.count() == 1
    book = json.loads((home / "weights" / "known_sha256.json").read_text())
    assert book["files"]["dncnn/dncnn_25.pth"]["sha256"] == SHA
    assert files_under(home / "weights") == ["dncnn/dncnn_25.pth", "known_sha256.json"]


def test_sha256_mismatch_is_rejected_and_nothing_is_cached(blob, home):
    with LoopbackServer({URL_PATH: blob}) as srv:
        v = make_variant(WeightSource(url=srv.url + URL_PATH), sha256="ab" * 32)
        with pytest.raises(WeightsUnavailable) as info:
            resolve_weights(v, offline=False, progress=False)
    msg = str(info.value)
    assert f"sha256 mismatch for {srv.url + URL_PATH}: expected {'ab' * 32}, got {SHA}" in msg
    assert f"The file must have sha256 {'ab' * 32} (registered)" in msg
    assert files_under(home / "weights") == []
    assert weights_status(v) == "missing"


def test_hub_mismatch_falls_through_to_url_which_also_mismatches(blob, home, hub_online, monkeypatch):
    with LoopbackServer({HUB_PATH: blob}, hub=True) as hub, LoopbackServer({URL_PATH: blob}) as srv:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        v = make_variant(hub_source(), WeightSource(url=srv.url + URL_PATH), sha256="cd" * 32)
        with pytest.raises(WeightsUnavailable, match="not copied into the cache"):
            resolve_weights(v, offline=False, progress=False)
        assert hub.count("GET") == 1 and srv.count("GET") == 1
    assert files_under(home / "weights") == []


def test_truncated_transfer_still_ends_in_a_verified_file(blob, home):
    with LoopbackServer({URL_PATH: blob}, truncate_at=300_000, truncate_times=3) as srv:
        wf = resolve_weights(make_variant(WeightSource(url=srv.url + URL_PATH)), offline=False, progress=False)
        assert srv.count("GET") == 4
        assert [r.headers.get("Range") for r in srv.requests][1:] == ["bytes=300000-", "bytes=600000-", "bytes=900000-"]
    assert wf.path.read_bytes() == blob


def test_hub_404_falls_through_to_url(blob, home, hub_online, monkeypatch):
    with LoopbackServer({}, hub=True) as hub, LoopbackServer({URL_PATH: blob}) as srv:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        v = make_variant(hub_source(), WeightSource(url=srv.url + URL_PATH))
        wf = resolve_weights(v, offline=False, progress=False)
        assert hub.count() == 1 and srv.count() == 1
    assert wf.source == srv.url + URL_PATH and wf.path.read_bytes() == blob


def test_unreachable_hub_falls_through_at_once(blob, home, hub_online, monkeypatch):
    """A dead endpoint must not cost huggingface_hub's ~25 s of connection retries."""
    import socket
    import time

    with socket.socket() as s:  # a port on loopback that nothing listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{dead}")
    with LoopbackServer({URL_PATH: blob}) as srv:
        v = make_variant(hub_source(), WeightSource(url=srv.url + URL_PATH))
        t0 = time.monotonic()
        wf = resolve_weights(v, offline=False, progress=False)
        assert time.monotonic() - t0 < 5
    assert wf.source == srv.url + URL_PATH
    weight_path(v).unlink()
    with pytest.raises(WeightsUnavailable, match=f"hub endpoint http://127.0.0.1:{dead} unreachable"):
        resolve_weights(make_variant(hub_source()), offline=False, progress=False)


def test_all_sources_gone_gives_the_manual_instructions(home, hub_online, monkeypatch):
    with LoopbackServer({}, hub=True) as hub, LoopbackServer({}) as srv:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        v = make_variant(hub_source(), WeightSource(url=srv.url + URL_PATH))
        with pytest.raises(WeightsUnavailable) as info:
            resolve_weights(v, offline=False, progress=False)
        assert hub.count() == 1 and srv.count() == 1  # one try each, no retry storm on a 404
    msg = str(info.value)
    dest = home.resolve() / "weights" / "dncnn" / "dncnn_25.pth"
    assert f"hf://{REPO}/dncnn_25.pth: the file is not in that repository (HTTP 404)" in msg
    assert f"{srv.url + URL_PATH}: HTTP 404 Not Found for {srv.url + URL_PATH}" in msg
    assert f"\n        {dest}\n" in msg
    assert "--weights dncnn-test=/path/to/dncnn_25.pth" in msg
    assert f"sha256 {SHA}" in msg and "Offline mode" not in msg


def test_offline_without_cache_names_the_manual_path_and_sends_nothing(home, blob, monkeypatch):
    with LoopbackServer({URL_PATH: blob}) as srv:
        v = make_variant(hub_source(), WeightSource(url=srv.url + URL_PATH))
        with pytest.raises(WeightsUnavailable) as explicit:
            resolve_weights(v, offline=True, progress=False)
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        assert is_offline(None)
        with pytest.raises(WeightsUnavailable) as from_env:
            resolve_weights(v, progress=False)
        assert srv.count() == 0
    for msg in (str(explicit.value), str(from_env.value)):
        assert "Offline mode is on" in msg
        assert str(home.resolve() / "weights" / "dncnn" / "dncnn_25.pth") in msg
        assert f"{srv.url + URL_PATH}: skipped: offline mode" in msg


def test_offline_reuses_a_file_already_in_the_hf_cache(blob, home, hub_online, monkeypatch):
    with LoopbackServer({HUB_PATH: blob}, hub=True) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        v = make_variant(hub_source())
        first = resolve_weights(v, offline=False, progress=False)
        first.path.unlink()  # our cache lost it; the HF cache under HF_HOME still has it
        assert weights_status(v) == "hf-cache"
        again = resolve_weights(v, offline=True, progress=False)
        assert hub.count() == 2  # only the first HEAD + GET
    assert again.path.read_bytes() == blob and again.sha256 == SHA


# --------------------------------------------------------------------------- by hand


def test_file_placed_by_hand_at_the_documented_path_is_used_offline(shared_dir, home):
    """The real registered DnCNN-S σ=25 variant, with its release file put in place manually."""
    from restbench_dncnn.variants import VARIANTS

    v = next(x for x in VARIANTS if x.id == "dncnn-s25")
    dest = weight_path(v)
    assert dest == home.resolve() / "weights" / "dncnn" / "dncnn_25.pth"
    dest.parent.mkdir(parents=True)
    dest.write_bytes((shared_dir / "weights" / "dncnn_25.pth").read_bytes())
    wf = resolve_weights(v, offline=True, progress=False)
    assert (wf.sha256, wf.source, wf.from_cache) == (SHA, "manual", True)


def test_wrong_file_in_cache_is_moved_aside_and_refetched(blob, home):
    v0 = make_variant()
    dest = weight_path(v0)
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"not a checkpoint")
    assert weights_status(v0) == "mismatch"
    with LoopbackServer({URL_PATH: blob}) as srv:
        wf = resolve_weights(make_variant(WeightSource(url=srv.url + URL_PATH)), offline=False, progress=False)
    assert wf.path.read_bytes() == blob
    assert dest.with_name("dncnn_25.pth.rejected").read_bytes() == b"not a checkpoint"


def test_override_is_used_in_place_and_checked(shared_dir, tmp_path):
    real = shared_dir / "weights" / "dncnn_25.pth"
    wf = resolve_weights(make_variant(), override=real, progress=False)
    assert wf == WeightFile(real.resolve(), SHA, "override")
    assert not weight_path(make_variant()).exists()  # never copied into the cache

    with pytest.raises(WeightsUnavailable, match=f"expected: {'ef' * 32}"):
        resolve_weights(make_variant(sha256="ef" * 32), override=real, progress=False)
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        resolve_weights(make_variant(), override=tmp_path / "nope.pth", progress=False)
    unknown = resolve_weights(make_variant(sha256=None), override=real, progress=False)
    assert unknown.sha256 == SHA  # computed even when the registry does not know it


def test_parse_weight_overrides():
    assert parse_weight_overrides(["a=/x/y.pth", " b = rel.pth "]) == {"a": Path("/x/y.pth"), "b": Path("rel.pth")}
    with pytest.raises(ValueError, match="ID=PATH"):
        parse_weight_overrides(["no-equals"])


# --------------------------------------------------------------------------- unknown sha256


def test_unknown_sha256_is_recorded_and_then_pinned(blob, home):
    v_url = lambda srv: make_variant(WeightSource(url=srv.url + URL_PATH), sha256=None)  # noqa: E731
    with LoopbackServer({URL_PATH: blob}) as srv:
        wf = resolve_weights(v_url(srv), offline=False, progress=False)
        assert wf.sha256 == SHA
        book = json.loads((home / "weights" / "known_sha256.json").read_text())["files"]["dncnn/dncnn_25.pth"]
        assert (book["sha256"], book["size"], book["variant"]) == (SHA, len(blob), "dncnn-test")

        # upstream silently replaces the file; our copy is lost → the new bytes are refused
        wf.path.unlink()
        srv.files[URL_PATH] = blob[:-1] + b"\x00"
        with pytest.raises(WeightsUnavailable) as info:
            resolve_weights(v_url(srv), offline=False, progress=False)
    msg = str(info.value)
    assert f"expected {SHA}" in msg and "recorded in" in msg and "when first seen" in msg
    assert not wf.path.exists()


# --------------------------------------------------------------------------- status & prefetch


def test_status_of_weight_free_and_partial_variants(home):
    assert weights_status(Variant(id="bicubic", arch="bicubic", task="classical-sr")) == "not-needed"
    v = make_variant()
    part = weight_path(v).with_name("dncnn_25.pth.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"123")
    assert weights_status(v) == "partial"


def test_prefetch_reports_each_variant(blob, home):
    with LoopbackServer({URL_PATH: blob}) as srv:
        good = make_variant(WeightSource(url=srv.url + URL_PATH), vid="good")
        bad = Variant(id="bad", arch="other", task="identity", weight_file="gone.pth", sources=(WeightSource(url=srv.url + "/gone.pth"),))
        free = Variant(id="free", arch="bicubic", task="classical-sr")
        out = prefetch([good, bad, free], offline=False, progress=False)
    assert set(out) == {"good", "bad"}
    assert isinstance(out["good"], WeightFile) and out["good"].sha256 == SHA
    assert isinstance(out["bad"], WeightsUnavailable) and "HTTP 404" in str(out["bad"])


def test_a_file_source_is_used_in_place_and_pinned_to_its_sha256(tmp_path):
    """A checkpoint named with --models PATH: no copy into the cache, and a changed file is caught."""
    path = tmp_path / "my net.pth"
    path.write_bytes(b"weights v1")
    sha = download.sha256_file(path)
    v = Variant(id="mynet-x", arch="spandrel-compact", task="classical-sr", weight_file=path.name,
                sources=(WeightSource(url=path.resolve().as_uri()),), sha256=sha)
    wf = resolve_weights(v)
    assert (wf.path, wf.sha256, wf.source) == (path.resolve(), sha, path.resolve().as_uri())
    assert not weight_path(v).exists()
    path.write_bytes(b"weights v2")
    with pytest.raises(WeightsUnavailable, match="sha256"):
        resolve_weights(v)
