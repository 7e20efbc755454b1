"""The results store: atomic sealing, resume after a kill, no duplicated rows."""

from __future__ import annotations

import json

from restbench.results.store import JobStore, iter_summaries, job_key


def test_job_key_is_stable_and_sensitive():
    a = dict(variant="dncnn-s25", dataset="Set12", protocol={"crop": 0}, weights_sha256="ab")
    assert job_key(a) == job_key(dict(reversed(list(a.items()))))
    assert job_key(a) != job_key({**a, "weights_sha256": "cd"})
    assert job_key(a).startswith("dncnn-s25__Set12__")


def test_resume_ignores_a_torn_last_line_and_duplicates(tmp_path):
    store = JobStore(tmp_path, "k")
    store.append(dict(kind="image", image="01.png", psnr=30.0))
    store.append(dict(kind="image", image="02.png", psnr=31.0))
    store.append(dict(kind="image", image="02.png", psnr=99.0))  # a duplicate must not count twice
    with open(store.partial, "a") as f:
        f.write('{"kind": "image", "image": "03.png", "ps')  # killed mid-write
    done = store.resume()
    assert list(done) == ["01.png", "02.png"]
    assert done["02.png"]["psnr"] == 31.0
    store.append(dict(kind="image", image="03.png", psnr=32.0))
    rows = [json.loads(line) for line in store.partial.read_text().splitlines()]
    assert [r["image"] for r in rows] == ["01.png", "02.png", "03.png"]


def test_seal_is_atomic_and_listed(tmp_path):
    store = JobStore(tmp_path, "k")
    store.append(dict(kind="image", image="a", psnr=1.0))
    assert not store.is_complete()
    store.seal([dict(kind="image", image="a", psnr=1.0)], dict(kind="summary", variant="v", psnr=1.0))
    assert store.is_complete() and not store.partial.exists()
    rows, summary = store.load_final()
    assert summary["variant"] == "v" and len(rows) == 1
    assert [s["variant"] for s in iter_summaries(tmp_path)] == ["v"]
    assert not list(tmp_path.glob("*.tmp"))
