"""SIGINT and SIGKILL at every stage of a job: the sealed result is complete and correct, or absent;
a rerun resumes without recomputing kept images and never duplicates a row.

The killed runs are real ``python -m restbench run`` processes on Set12 (identity: fast and exactly
reproducible; DnCNN with the real σ25 weight for the cost figures); the fault is placed at an
exact system call by ``faultkit.py`` (see its docstring).
"""

from __future__ import annotations

import json
import signal
import statistics
import time

import pytest

from faultkit import shared_data_and_fresh_plugins  # noqa: F401  (autouse fixture)
from faultkit import (DNCNN_MACS_256, DNCNN_WEIGHT, SHARED, dncnn_args, identity_args, leftovers, lines, only_result,
                      run_sub, scores, sealed, start_sub)
from restbench.cli import main
from restbench.plugin import manager as plugins
from restbench.results.integrity import rows_digest

N = 3




@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of the same job: what every interrupted one must end up sealing."""
    root = tmp_path_factory.mktemp("reference")
    assert main(identity_args(root, N)) == 0
    rows, summary = only_result(root)
    # identity on σ25 Gaussian noise: PSNR of the noisy image, ≈ 20·log10(255/25) = 20.17 dB (+ rounding/clipping)
    assert all(19.5 < r["psnr"] < 21.0 for r in rows)
    return rows, summary


def rerun(capsys, root) -> tuple[int, dict, str]:
    capsys.readouterr()
    code = main([*identity_args(root, N), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def assert_sealed_like_reference(root, reference) -> dict:
    rows, summary = only_result(root)
    ref_rows, ref_summary = reference
    assert scores(rows) == scores(ref_rows), "same images, same numbers, each exactly once"
    assert summary["n_images"] == N and summary["job_key"] == ref_summary["job_key"]
    assert summary["psnr"] == pytest.approx(statistics.fmean(r["psnr"] for r in rows), abs=1e-12)
    assert summary["psnr"] == ref_summary["psnr"] and summary["ssim"] == ref_summary["ssim"]
    assert summary["forward_s"] == round(sum(r["forward_s"] for r in rows), 3)
    assert summary["rows_sha256"] == rows_digest(rows)
    assert leftovers(root) == []
    return summary


# (fault, what the killed process leaves: rows in the partial file, a sealed file, a stale temp file)
STAGES = [
    ("append:1:KILL", 1, False, False),   # mid-job: image 2 in flight
    ("append:1:INT", 1, False, False),
    ("torn:2", 1, False, False),          # row 2 half-written when the process died
    ("append:3:KILL", 3, False, False),   # after the last image, before the seal
    ("append:3:INT", 3, False, False),
    ("seal-write:KILL", 3, False, True),  # during the seal: temp file written, not renamed
    ("seal-write:INT", 3, False, False),  # Ctrl-C there removes its temp file
    ("seal-rename:KILL", 3, True, False),  # during the seal: renamed, partial not yet removed
    ("seal-rename:INT", 3, True, False),
]


@pytest.mark.parametrize("fault,kept,is_sealed,stale_tmp", STAGES, ids=[s[0] for s in STAGES])
def test_interrupted_job_seals_the_uninterrupted_result(tmp_path, capsys, reference, fault, kept, is_sealed, stale_tmp):
    proc = run_sub(identity_args(tmp_path, N), fault=fault)
    if fault.endswith("INT"):
        assert proc.returncode == 130, proc.stderr
        assert "interrupted; finished results are kept" in proc.stderr
    else:
        assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "Traceback" not in proc.stderr

    (partial,) = tmp_path.glob("*.partial.jsonl")
    text = partial.read_text()
    complete = [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]
    assert [r["image"] for r in complete] == [r["image"] for r in reference[0][:kept]]
    assert scores(complete) == scores(reference[0][:kept])
    assert text.endswith("\n") == (fault != "torn:2")
    assert bool(sealed(tmp_path)) == is_sealed
    if is_sealed:  # a reader between the rename and the cleanup already sees the whole result
        from restbench.report.boards import load_store

        (job,) = load_store(tmp_path)
        assert scores(job.images) == scores(reference[0]) and job.summary["n_images"] == N
    assert bool(list(tmp_path.glob("*.tmp"))) == stale_tmp

    code, doc, err = rerun(capsys, tmp_path)
    assert code == 0, err
    (row,) = doc["results"]
    assert row.get("cached", False) == is_sealed
    if not is_sealed:
        assert row["resumed_images"] == kept
    assert "warning" not in err, "an interrupted write is expected after a kill, not damage"
    summary = assert_sealed_like_reference(tmp_path, reference)
    rows, _ = only_result(tmp_path)
    # the rows written before the kill are kept as they were, not measured again
    assert [r["forward_s"] for r in rows[:kept]] == [r["forward_s"] for r in complete]
    assert summary["resumed_images"] == (0 if is_sealed else kept)


@pytest.mark.parametrize("limit,kill_after", [(2, 1), (1, 1)], ids=["resumed-half", "resumed-all"])
def test_resumed_costs_come_from_every_images_own_row(tmp_path, capsys, limit, kill_after):
    """forward_s and ms/img count every image, including those measured by the killed process;
    MACs are counted even when every image was measured before the kill."""
    if not DNCNN_WEIGHT.is_file():
        pytest.skip("the real DnCNN weight is not in ../shared")
    proc = run_sub(dncnn_args(tmp_path, limit), fault=f"append:{kill_after}:KILL")
    assert proc.returncode == -signal.SIGKILL
    (partial,) = tmp_path.glob("*.partial.jsonl")
    before = lines(partial)
    assert len(before) == kill_after

    capsys.readouterr()
    assert main([*dncnn_args(tmp_path, limit), "--json"]) == 0
    (summary,) = json.loads(capsys.readouterr().out)["results"]
    rows, stored = only_result(tmp_path)
    assert rows[0]["forward_s"] == before[0]["forward_s"] > 0
    assert summary["resumed_images"] == kill_after and summary["n_images"] == limit
    assert summary["forward_s"] == round(sum(r["forward_s"] for r in rows), 3) == stored["forward_s"]
    assert summary["forward_s"] >= before[0]["forward_s"] - 0.0005  # not only the last process's images
    assert summary["macs"] == DNCNN_MACS_256 and summary["macs_input_size"] == [256, 256]

    import io

    from restbench.report.summary import print_summary_table

    table = io.StringIO()
    print_summary_table([summary], [], file=table)
    assert f" {1000 * summary['forward_s'] / limit:.0f}  " in table.getvalue()


def test_ctrl_c_during_a_forward_pass_keeps_finished_images(tmp_path, capsys):
    """A real SIGINT from outside, timed on the partial file, while DnCNN works on image 2."""
    if not DNCNN_WEIGHT.is_file():
        pytest.skip("the real DnCNN weight is not in ../shared")
    proc = start_sub(dncnn_args(tmp_path, 3))
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        parts = list(tmp_path.glob("*.partial.jsonl"))
        if parts and parts[0].read_text().count("\n") >= 1:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted; finished results are kept" in err
    assert "Traceback" not in err and not sealed(tmp_path) and not list(tmp_path.glob("*.tmp"))
    (partial,) = tmp_path.glob("*.partial.jsonl")
    before = lines(partial)
    assert 1 <= len(before) < 3

    capsys.readouterr()
    assert main([*dncnn_args(tmp_path, 3), "--json"]) == 0
    rows, summary = only_result(tmp_path)
    assert [r["image"] for r in rows] == ["01", "02", "03"]
    assert scores(rows[: len(before)]) == scores(before)
    assert summary["resumed_images"] == len(before) and leftovers(tmp_path) == []
