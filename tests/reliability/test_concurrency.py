"""Two and three `restbench run`s of one job at once: one computes, the others wait and reuse its
sealed result (or, given --lock-timeout, say clearly that the job is busy). No crash, no shared
temporary file, every row exactly once."""

from __future__ import annotations

import json
import os
import select
import time

import pytest

from faultkit import shared_data_and_fresh_plugins  # noqa: F401  (autouse fixture)
from faultkit import SHARED, identity_args, leftovers, lines, only_result, scores, start_sub
from restbench.cli import main
from restbench.plugin import manager as plugins

WAITING = "another restbench process is running this job; waiting for it to finish"




def test_two_runs_started_together_compute_the_job_once(tmp_path):
    procs = [start_sub([*identity_args(tmp_path, 3), "--json"]) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    results = [json.loads(out)["results"][0] for out, _ in outs]
    assert sorted(bool(r.get("cached")) for r in results) == [False, True], "exactly one of them computed"
    assert results[0]["psnr"] == results[1]["psnr"] and results[0]["job_key"] == results[1]["job_key"]
    rows, summary = only_result(tmp_path)
    assert [r["image"] for r in rows] == ["01", "02", "03"] and summary["n_images"] == 3
    assert leftovers(tmp_path) == []
    assert all("Traceback" not in e for _, e in outs)


def _wait_for(proc, text: str, timeout: float) -> str:
    """Read ``proc``'s stderr until ``text`` appears (the process keeps running)."""
    seen, deadline = "", time.time() + timeout
    while time.time() < deadline and text not in seen:
        ready, _, _ = select.select([proc.stderr], [], [], 0.2)
        if ready:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            seen += line
    return seen


def test_three_runs_while_the_first_holds_the_job(tmp_path):
    """The second and third start while the first is between two images; both wait, then reuse."""
    release = tmp_path / "release"
    results = tmp_path / "results"
    first = start_sub([*identity_args(results, 3), "--json"], fault="append:1:PAUSE",
                      extra_env={"FAULTKIT_RELEASE": str(release)})
    deadline = time.time() + 120
    while time.time() < deadline and not list(results.glob("*.partial.jsonl")):
        time.sleep(0.05)
    assert first.poll() is None
    others = [start_sub([*identity_args(results, 3), "--json"]) for _ in range(2)]
    said = [_wait_for(p, WAITING, 180) for p in others]
    assert all(WAITING in s for s in said), said
    (partial,) = results.glob("*.partial.jsonl")
    assert len(lines(partial)) == 1, "the waiting runs wrote nothing"
    release.touch()
    outs = [p.communicate(timeout=300) for p in [first, *others]]
    assert [p.returncode for p in [first, *others]] == [0, 0, 0], [e for _, e in outs]
    docs = [json.loads(out)["results"][0] for out, _ in outs]
    assert not docs[0].get("cached") and docs[1]["cached"] and docs[2]["cached"]
    assert docs[0]["psnr"] == docs[1]["psnr"] == docs[2]["psnr"]
    rows, _ = only_result(results)
    assert [r["image"] for r in rows] == ["01", "02", "03"]
    assert leftovers(results) == []


def test_a_busy_job_with_a_lock_timeout_says_so(tmp_path, capsys):
    from filelock import FileLock

    assert main([*identity_args(tmp_path, 2), "--json"]) == 0
    key = json.loads(capsys.readouterr().out)["results"][0]["job_key"]
    before = (tmp_path / f"{key}.jsonl").read_bytes()
    rows_before = scores(only_result(tmp_path)[0])
    with FileLock(str(tmp_path / ".locks" / f"{key}.lock")):
        t0 = time.time()
        code = main([*identity_args(tmp_path, 2), "--force", "--lock-timeout", "0.5"])
        waited = time.time() - t0
    err = capsys.readouterr().err
    assert code == 1
    assert f"job {key} is busy: another restbench process is running it" in err
    assert "--lock-timeout SECONDS" in err and "Traceback" not in err
    assert waited >= 0.5
    assert (tmp_path / f"{key}.jsonl").read_bytes() == before, "--force did not touch a job it does not hold"
    assert scores(only_result(tmp_path)[0]) == rows_before
    assert os.path.exists(tmp_path / ".locks")
