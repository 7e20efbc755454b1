"""`restbench run` end to end on the real shared data: paper numbers, caching, resume, isolation."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from restbench.plugin import manager as plugins
from restbench.cli import main

DNCNN_SHA = "0451a70de9b672ae037270498fbb1c17a1c1c4403785df586ff65df5b858e5b0"


@pytest.fixture(autouse=True)
def _fresh_plugins():
    plugins.reset()
    yield
    plugins.reset()


def run_json(capsys, *argv) -> tuple[int, dict, str]:
    code = main(["run", *argv, "--json", "--no-progress"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def dncnn_args(shared_dir: Path, dataset: str, results: Path, *extra: str) -> list[str]:
    return [
        "--models", "dncnn", "--dataset", dataset, "--sigma", "25",
        "--data-root", str(shared_dir / "datasets"),
        "--weights", f"dncnn={shared_dir / 'weights' / 'dncnn_25.pth'}",
        "--results", str(results), *extra,
    ]


@pytest.mark.slow
@pytest.mark.parametrize("dataset,claimed", [("Set12", 30.44), ("BSD68", 29.23)])
def test_dncnn_s25_reproduces_the_paper(shared_dir, tmp_path, capsys, dataset, claimed):
    code, doc, _ = run_json(capsys, *dncnn_args(shared_dir, dataset, tmp_path))
    assert code == 0, doc
    (row,) = doc["results"]
    assert (row["model"], row["variant"], row["dataset"], row["protocol"]) == ("dncnn", "dncnn-s25", dataset, "kair-denoise")
    assert row["n_images"] == {"Set12": 12, "BSD68": 68}[dataset]
    assert abs(row["psnr"] - claimed) <= 0.01, row["psnr"]
    assert 0.7 < row["ssim"] < 1
    assert row["weights"]["sha256"] == DNCNN_SHA
    assert row["seed"] == 0 and row["params"] == 555_137


@pytest.mark.parametrize("scale,psnr,ssim", [(2, 33.66, 0.9299), (3, 30.39, 0.8682), (4, 28.42, 0.8104)])
def test_bicubic_set5_reproduces_the_published_rows(shared_dir, tmp_path, capsys, scale, psnr, ssim):
    code, doc, _ = run_json(
        capsys, "--models", "bicubic", "--dataset", "Set5", "--scale", str(scale),
        "--data-root", str(shared_dir / "datasets"), "--results", str(tmp_path),
    )
    assert code == 0
    (row,) = doc["results"]
    assert row["variant"] == f"bicubic-x{scale}" and row["n_images"] == 5 and row["protocol"] == "bicubic-sr"
    assert abs(row["psnr"] - psnr) <= 0.03 and abs(row["ssim"] - ssim) <= 0.001


def test_finished_job_is_not_recomputed_and_force_recomputes(shared_dir, tmp_path, capsys):
    args = dncnn_args(shared_dir, "Set12", tmp_path, "--limit", "2")
    _, first, _ = run_json(capsys, *args)
    _, second, _ = run_json(capsys, *args)
    (a,), (b,) = first["results"], second["results"]
    assert not a.get("cached") and b["cached"] is True
    # MACs at the test images' size (Set12 starts with 256x256): 17 3x3 convs at every pixel
    assert a["macs"] == (64 * 9 + 15 * 64 * 64 * 9 + 64 * 9) * 256 * 256 and a["macs_input_size"] == [256, 256]
    assert a["psnr"] == b["psnr"] and a["job_key"] == b["job_key"]
    _, third, _ = run_json(capsys, *args, "--force")
    assert not third["results"][0].get("cached") and third["results"][0]["started"] != a["started"]
    # a different protocol is a different job
    _, other, _ = run_json(capsys, *args, "--protocol", "swinir-denoise")
    assert other["results"][0]["job_key"] != a["job_key"] and not other["results"][0].get("cached")


def test_kill_9_loses_at_most_the_image_in_flight(shared_dir, tmp_path, capsys):
    args = dncnn_args(shared_dir, "BSD68", tmp_path, "--limit", "5")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "restbench", "run", *args, "--no-progress"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    partial = []
    while time.time() < deadline and proc.poll() is None:
        partial = list(tmp_path.glob("*.partial.jsonl"))
        if partial and len(partial[0].read_text().splitlines()) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed; raise --limit"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = [json.loads(line)["image"] for line in partial[0].read_text().splitlines() if line.endswith("}")]
    assert 2 <= len(done_before) < 5

    code, doc, _ = run_json(capsys, *args)
    assert code == 0
    (row,) = doc["results"]
    assert row["n_images"] == 5
    sealed = [json.loads(line) for line in (tmp_path / f"{row['job_key']}.jsonl").read_text().splitlines()]
    images = [r["image"] for r in sealed if r["kind"] == "image"]
    assert len(images) == len(set(images)) == 5, "no image may be measured twice"
    assert images[: len(done_before)] == done_before, "rows from before the kill are kept, not recomputed"
    assert not list(tmp_path.glob("*.partial.jsonl"))


def test_one_failing_model_does_not_stop_the_others(shared_dir, tmp_path, capsys):
    code, doc, err = run_json(
        capsys, "--models", "dncnn-s25,identity", "--dataset", "Set12", "--sigma", "25",
        "--data-root", str(shared_dir / "datasets"), "--results", str(tmp_path), "--limit", "1",
        "--weights", f"dncnn-s25={tmp_path / 'nope.pth'}",
    )
    assert code == 1, "the exit status says something failed"
    assert [r["variant"] for r in doc["results"]] == ["identity"]
    (fail,) = doc["failures"]
    assert fail["variant"] == "dncnn-s25" and "nope.pth" in fail["error"]
    assert "Traceback" not in err


def test_missing_level_and_unknown_names_are_clear_errors(capsys):
    assert main(["run", "--models", "dncnn", "--dataset", "Set12"]) == 2
    assert "gaussian-denoising needs --sigma (registered variants have 15, 25, 50)" in capsys.readouterr().err
    assert main(["run", "--models", "nosuchnet", "--dataset", "Set12"]) == 2
    assert "unknown model 'nosuchnet'" in capsys.readouterr().err
    assert main(["run", "--dataset", "NoSuchSet"]) == 2
    assert "unknown dataset 'NoSuchSet'" in capsys.readouterr().err


def test_gopro_dry_run_plans_deblurring_models_and_explains_skips(capsys):
    assert main(["run", "--models", "all", "--dataset", "GoPro", "--dry-run", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    planned = {r["variant"] for r in doc["plan"]}
    assert {"restormer-motion-deblurring", "uformer-b-gopro"} <= planned
    skipped = {s["model"]: s["reason"] for s in doc["skipped"]}
    assert "no motion-deblurring variant" in skipped["swinir"]
    assert "no motion-deblurring variant" in skipped["dncnn"]


def test_demo_plan_covers_every_family(capsys):
    assert main(["run", "--models", "all", "--dataset", "demo", "--dry-run", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    families = {r["model"] for r in doc["plan"]}
    import importlib.util

    successors = {"nafnet", "drunet", "scunet", "hat"} if importlib.util.find_spec("restbench_spandrel") else set()
    assert families == {"identity", "bicubic", "dncnn", "restormer", "swinir", "uformer", *successors}


def test_demo_run_marks_random_weight_rows_as_efficiency_only(tmp_path, capsys):
    code, doc, err = run_json(
        capsys, "--models", "identity,bicubic,dncnn", "--dataset", "demo", "--results", str(tmp_path), "--limit", "2",
    )
    assert code == 0
    rows = {r["variant"]: r for r in doc["results"]}
    assert rows["dncnn-s25"]["efficiency_only"] is True
    assert rows["dncnn-s25"]["psnr"] is None and rows["dncnn-s25"]["ssim"] is None
    assert rows["dncnn-s25"]["forward_s"] > 0
    assert "weights unavailable; efficiency-only row" in err
    assert rows["bicubic-x4"]["psnr"] > rows["identity"]["psnr"] - 100  # both measured
    assert rows["identity"]["efficiency_only"] is False and rows["identity"]["psnr"] > 10
