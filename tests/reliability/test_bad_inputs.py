"""Bad images, bad checkpoints, bad --weights, blocked plugins, NaN and infinite scores: one clear
message that names the file, exit status 1 for failed work (2 for usage), other jobs go on, and
the store holds exactly the rows it can vouch for."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from faultkit import shared_data_and_fresh_plugins  # noqa: F401  (autouse fixture)
from faultkit import DNCNN_WEIGHT, SHARED, identity_args, leftovers, lines, only_result, sealed
from restbench.cli import main
from restbench.plugin import manager as plugins




def copy_of(tmp_path: Path, name: str) -> Path:
    """A data root whose <name>/ links to the real set's files, so one can be replaced."""
    src = SHARED / "datasets" / name
    root = tmp_path / "data"
    for f in src.rglob("*"):
        if f.is_file():
            dest = root / name / f.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(f)
    return root


def replace(root: Path, rel: str, data: bytes | None = None, image: np.ndarray | None = None) -> Path:
    path = root / rel
    path.unlink()
    if image is not None:
        Image.fromarray(image).save(path)
    else:
        path.write_bytes(data or b"")
    return path


def run(capsys, argv) -> tuple[int, dict | None, str]:
    capsys.readouterr()
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


REAL_02 = (SHARED / "datasets" / "Set12" / "02.png").read_bytes() if (SHARED / "datasets" / "Set12").is_dir() else b""


@pytest.mark.parametrize("kind", ["truncated-png", "garbled-png", "empty-png"])
def test_a_damaged_image_names_its_file_and_keeps_the_rows_before_it(tmp_path, capsys, kind):
    root = copy_of(tmp_path, "Set12")
    data = {"truncated-png": REAL_02[: len(REAL_02) // 3], "garbled-png": os.urandom(5000),
            "empty-png": b""}[kind]
    bad = replace(root, "Set12/02.png", data)
    results = tmp_path / "r"
    code, doc, err = run(capsys, identity_args(results, 3, root))
    assert code == 1
    assert f"{bad}: cannot decode this image" in err and "Traceback" not in err
    (failure,) = doc["failures"]
    assert failure["variant"] == "identity" and str(bad) in failure["error"]
    assert not sealed(results)
    (partial,) = results.glob("*.partial.jsonl")
    assert [r["image"] for r in lines(partial)] == ["01"], "the image before the bad one is kept"

    # the fixed file changes the manifest, so it is another job: measured afresh, never mixed with the old rows
    bad.unlink()
    bad.symlink_to(SHARED / "datasets" / "Set12" / "02.png")
    code, doc, _ = run(capsys, identity_args(results, 3, root))
    assert code == 0 and doc["results"][0]["resumed_images"] == 0
    rows, _ = only_result(results)
    assert [r["image"] for r in rows] == ["01", "02", "03"]


def test_a_truncated_jpeg_names_its_file(tmp_path, capsys):
    """JPEG bytes cut short (Pillow picks the decoder from the content, not the name)."""
    root = copy_of(tmp_path, "Set12")
    full = tmp_path / "full.jpg"
    Image.open(SHARED / "datasets" / "Set12" / "01.png").save(full, quality=95)
    bad = replace(root, "Set12/01.png", full.read_bytes()[:2000])
    code, doc, err = run(capsys, identity_args(tmp_path / "r", 2, root))
    assert code == 1 and f"{bad}: cannot decode this image" in err
    assert not sealed(tmp_path / "r")


def test_a_1x1_image_names_its_file(tmp_path, capsys):
    root = copy_of(tmp_path, "Set12")
    bad = replace(root, "Set12/01.png", image=np.full((1, 1), 128, np.uint8))
    code, doc, err = run(capsys, identity_args(tmp_path / "r", 2, root))
    assert code == 1
    assert f"{bad}: image 1x1 is smaller than the 11-tap window" in doc["failures"][0]["error"]
    assert not sealed(tmp_path / "r") and not list((tmp_path / "r").glob("*.partial.jsonl"))


def test_sr_images_smaller_than_the_scale_or_the_crop_border_name_their_file(tmp_path, capsys):
    root = copy_of(tmp_path, "Set5")
    replace(root, "Set5/HR/baby.png", image=np.full((8, 8, 3), 100, np.uint8))
    replace(root, "Set5/LR_bicubic/X4/babyx4.png", image=np.full((2, 2, 3), 100, np.uint8))
    argv = ["run", "--models", "bicubic", "--dataset", "Set5", "--scale", "4", "--data-root", str(root),
            "--results", str(tmp_path / "r"), "--no-progress", "--limit", "1"]
    code, doc, err = run(capsys, argv)
    assert code == 1
    assert (f"{root / 'Set5' / 'HR' / 'baby.png'}: the image is 8x8, too small for protocol bicubic-sr, "
            "which crops 4 px from each border") in err
    replace(root, "Set5/HR/baby.png", image=np.full((1, 1, 3), 100, np.uint8))
    code, doc, err = run(capsys, argv)
    assert code == 1
    assert f"{root / 'Set5' / 'HR' / 'baby.png'}: the image is 1x1, smaller than the x4 scale factor" in err
    assert not sealed(tmp_path / "r")


@pytest.mark.parametrize("kind", ["garbage", "truncated", "wrong-architecture"])
def test_a_bad_checkpoint_fails_its_job_and_the_others_go_on(tmp_path, capsys, kind):
    if not DNCNN_WEIGHT.is_file():
        pytest.skip("the real DnCNN weight is not in ../shared")
    ckpt = tmp_path / f"{kind}.pth"
    if kind == "garbage":
        ckpt.write_bytes(os.urandom(4096))
    elif kind == "truncated":
        ckpt.write_bytes(DNCNN_WEIGHT.read_bytes()[:100_000])
    else:
        torch.save({"model.0.weight": torch.zeros(3, 3)}, ckpt)
    results = tmp_path / "r"
    code, doc, err = run(capsys, ["run", "--models", "identity,dncnn", "--dataset", "Set12", "--sigma", "25",
                                  "--data-root", str(SHARED / "datasets"), "--limit", "1", "--results", str(results),
                                  "--no-progress", "--weights", f"dncnn={ckpt}"])
    assert code == 1, err
    assert [r["variant"] for r in doc["results"]] == ["identity"]
    (failure,) = doc["failures"]
    assert failure["variant"] == "dncnn-s25" and str(ckpt) in failure["error"]
    assert "Traceback" not in err and "internal error" not in err
    (path,) = sealed(results)
    assert path.name.startswith("identity__Set12__")
    assert not list(results.glob("dncnn*"))


def test_weights_flags_that_cannot_be_right_are_usage_errors(tmp_path, capsys):
    base = ["run", "--models", "dncnn", "--dataset", "Set12", "--sigma", "25", "--results", str(tmp_path / "r")]
    assert main([*base, "--weights", "dncnn=https://github.com/cszn/KAIR/releases/download/v1.0/dncnn_25.pth"]) == 2
    err = capsys.readouterr().err
    assert "a URL is not a local path" in err and "restbench download ID" in err and "https:/github" not in err
    assert main([*base, "--weights", "dncnn-s50=/tmp/w.pth"]) == 2
    err = capsys.readouterr().err
    assert "'dncnn-s50' is not a variant or family in this run (variants: dncnn-s25; families: dncnn)" in err
    assert main([*base, "--weights", "dncnn-s50=/tmp/w.pth", "--dry-run"]) == 2, "also under --dry-run"
    assert not (tmp_path / "r").exists()


def test_a_blocked_plugin_is_named_not_reported_unknown(monkeypatch, capsys):
    monkeypatch.setenv("RESTBENCH_BLOCK_PLUGINS", "dncnn")
    for name in ("dncnn", "dncnn-s25"):
        assert main(["run", "--models", name, "--dataset", "Set12", "--sigma", "25", "--dry-run"]) == 2
        err = capsys.readouterr().err
        assert (f"model {name!r} is provided by plugin 'dncnn' (restbench_dncnn), which is blocked by "
                "RESTBENCH_BLOCK_PLUGINS; remove dncnn from RESTBENCH_BLOCK_PLUGINS to use it") in err
    assert main(["run", "--models", "nosuchnet", "--dataset", "Set12", "--sigma", "25", "--dry-run"]) == 2
    assert "blocked by RESTBENCH_BLOCK_PLUGINS (not loaded): dncnn" in capsys.readouterr().err


def test_a_nan_output_is_never_stored(tmp_path, capsys):
    results = tmp_path / "r"
    code, doc, err = run(capsys, ["--plugin", "nanmodel_plugin", "run", "--models", "nannet,identity",
                                  "--dataset", "Set12", "--sigma", "25", "--protocol", "kair-denoise",
                                  "--data-root", str(SHARED / "datasets"), "--limit", "2", "--results", str(results),
                                  "--no-progress"])
    assert code == 1, err
    (failure,) = doc["failures"]
    assert failure["variant"] == "nannet"
    assert failure["error"].endswith("01.png: psnr is nan — the model's output is not a number; the job is not sealed")
    assert [r["variant"] for r in doc["results"]] == ["identity"]
    (path,) = sealed(results)
    assert path.name.startswith("identity__") and not list(results.glob("nannet*"))


def test_sigma_0_from_the_library_is_never_sealed_as_infinity(tmp_path):
    """The CLI refuses σ 0; a library caller who builds the plan directly still gets no Infinity."""
    from restbench.engine.options import RunOptions
    from restbench.engine.plan import Level, make_plan
    from restbench.engine.runner import run_plan

    state = plugins.get_state()
    plan = make_plan(state.registry, [state.registry.variants["identity"]], "Set12", Level(sigma=0))
    summaries, failures = run_plan(state, plan, RunOptions(limit=2, data_root=SHARED / "datasets",
                                                           results_dir=tmp_path, progress=False))
    assert summaries == []
    (failure,) = failures
    assert "psnr is inf — the output equals the ground truth exactly" in failure["error"]
    assert not sealed(tmp_path) and not list(tmp_path.glob("*.partial.jsonl"))


def test_unwritable_home_is_one_line(tmp_path, monkeypatch, capsys):
    """RESTBENCH_HOME pointing below a file (not a folder): the same clear line as a read-only disk."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("RESTBENCH_HOME", str(blocker / "home"))
    assert main(identity_args(None, 1)) == 2
    err = capsys.readouterr().err
    assert f"cannot write the results store at {blocker / 'home' / 'results'}" in err
    assert "set RESTBENCH_HOME or pass --results DIR" in err and err.count("\n") == 1
    shutil.rmtree(tmp_path, ignore_errors=True)
