"""`restbench run --models all --dataset GoPro` on a fresh machine, nothing fetched by hand.

A real HTTP server on 127.0.0.1 plays the cluster's mirror (RESTBENCH_MIRROR): it holds a
synthetic GoPro ``test.zip`` in the authors' layout (1111 pairs) at the path of the registered
Google Drive id, and a random-init checkpoint in the authors' format for every planned GoPro
variant at the path of its registered source. From an empty RESTBENCH_HOME and no --data-root,
the run fetches everything through the real download code and scores every variant; the second
run fetches and computes nothing. (The numbers are meaningless: random weights, synthetic frames.)
"""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest
import torch

from restbench.cli import main
from restbench.plugin import manager as plugins

pytestmark = pytest.mark.slow


class Recorder(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        Recorder.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    from tests.synthetic_sets import paired_zip

    root = tmp_path / "mirror"
    state = plugins.load_plugins(autoload=True)
    gopro = state.registry.datasets["GoPro"]
    drive = next(s for s in gopro.sources if s.kind == "gdrive")
    zip_path = root / drive.remote().mirror_path
    zip_path.parent.mkdir(parents=True)
    zip_path.write_bytes(paired_zip({"test/GoPro": 1111}, size=24))
    planned = []
    for v in state.registry.variants.values():
        if v.task != "motion-deblurring" or not v.weight_file:
            continue
        planned.append(v.id)
        model = state.registry.architectures[v.arch].builder(**v.arch_kwargs)
        sd = model.state_dict()
        dest = root / v.sources[0].remote(v.weight_file).mirror_path
        dest.parent.mkdir(parents=True, exist_ok=True)
        torch.save({v.checkpoint_key: sd} if v.checkpoint_key else sd, dest)
        del model, sd
    handler = lambda *a, **kw: Recorder(*a, directory=str(root), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("RESTBENCH_MIRROR", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setenv("RESTBENCH_HOME", str(tmp_path / "home"))  # empty: nothing cached
    Recorder.requests = []
    yield planned
    server.shutdown()


def _run(capsys, *extra) -> tuple[int, dict, str]:
    plugins.reset()
    code = main(["run", "--models", "all", "--dataset", "GoPro", "--limit", "2", "--no-progress", "--json", *extra])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def test_gopro_runs_from_a_fresh_home_then_reuses_everything(mirror, tmp_path, capsys):
    code, doc, err = _run(capsys, "--dry-run")
    assert code == 0 and Recorder.requests == []  # a dry run fetches nothing …
    downloads = {d["name"] for d in doc["downloads"]}
    assert downloads == {"GoPro", *mirror}  # … and lists the set and every checkpoint
    assert next(d for d in doc["downloads"] if d["name"] == "GoPro")["size"] > 2 * 2**30  # the authors' 2.2 GiB zip

    code, doc, err = _run(capsys)
    assert code == 0, err
    rows = {s["variant"]: s for s in doc["results"]}
    assert set(rows) == {"identity", *mirror} and doc["failures"] == []
    for vid in mirror:  # trained (random) weights were loaded: a quality row, not efficiency-only
        assert rows[vid]["efficiency_only"] is False and rows[vid]["psnr"] is not None and rows[vid]["n_images"] == 2
    fetched = sorted(Recorder.requests)
    assert len(fetched) == 1 + len(mirror)  # the zip once, each checkpoint once
    home = tmp_path / "home"
    assert len(list((home / "datasets" / "GoPro" / "input").glob("*.png"))) == 1111
    assert not [p for p in (home / "datasets").iterdir() if p.name.startswith(".") and p.name != ".downloads"]

    Recorder.requests = []
    code, doc, err = _run(capsys)
    assert code == 0 and Recorder.requests == []  # nothing downloaded …
    assert all(s.get("cached") for s in doc["results"])  # … and nothing computed


def test_offline_without_the_mirror_names_everything_missing(mirror, monkeypatch, capsys):
    monkeypatch.delenv("RESTBENCH_MIRROR")
    code, doc, err = _run(capsys, "--offline")
    assert code == 1 and Recorder.requests == []
    assert "could not be fetched" in err and "test set GoPro" in err
    assert all(f"weights of {vid}" in err for vid in mirror)
    assert "restbench mirror DIR" in err and "--weights ID=PATH" in err
