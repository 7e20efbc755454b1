"""`run --batch-size N`: equal-size images share a forward pass; rows and summary equal batch 1's."""

from __future__ import annotations

import json

import pytest

from restbench.cli import main
from restbench.engine.runner import batched
from restbench.plugin import manager as plugins

WEIGHT = "weights/dncnn_25.pth"


def _run(shared_dir, results, batch: int, capsys) -> dict:
    plugins.reset()
    code = main(["run", "--models", "dncnn-s25", "--dataset", "Set12", "--sigma", "25", "--limit", "9",
                 "--data-root", str(shared_dir / "datasets"), "--weights", f"dncnn-s25={shared_dir / WEIGHT}",
                 "--results", str(results), "--batch-size", str(batch), "--no-progress", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    (summary,) = json.loads(out)["results"]
    return summary


def _rows(results, key: str) -> list[dict]:
    (path,) = [p for p in results.rglob("*.jsonl") if key in p.name]
    return [r for r in map(json.loads, path.read_text().splitlines()) if r.get("kind") == "image"]


def test_batched_groups_equal_shapes_and_falls_back_on_a_change():
    import torch

    items = [(f"{i}", torch.zeros(1, 1, h, h), torch.zeros(1, 1, h, h)) for i, h in enumerate([8, 8, 8, 8, 8, 16, 16, 8])]
    assert [[n for n, _, _ in b] for b in batched(items, 3)] == [["0", "1", "2"], ["3", "4"], ["5", "6"], ["7"]]
    assert [len(b) for b in batched(items, 1)] == [1] * 8


def test_batch_of_four_gives_batch_one_numbers(shared_dir, tmp_path, capsys):
    one = _run(shared_dir, tmp_path / "b1", 1, capsys)
    four = _run(shared_dir, tmp_path / "b4", 4, capsys)
    assert one["n_images"] == four["n_images"] == 9
    rows1, rows4 = _rows(tmp_path / "b1", one["job_key"]), _rows(tmp_path / "b4", four["job_key"])
    assert [r["image"] for r in rows1] == [r["image"] for r in rows4]
    for a, b in zip(rows1, rows4):
        assert b["psnr"] == pytest.approx(a["psnr"], abs=1e-9) and b["ssim"] == pytest.approx(a["ssim"], abs=1e-9)
    # Set12: 01-07 are 256x256, 08-12 512x512: batches of 4, 3 (shape change) and 2
    assert [r.get("batch", 1) for r in rows4] == [4, 4, 4, 4, 3, 3, 3, 2, 2]
    assert four["psnr"] == pytest.approx(one["psnr"], abs=1e-9) and round(one["psnr"], 2) == 30.54  # the real DnCNN-S σ25 on Set12 01-09
    assert four["settings"]["batch_size"] == 4 and "batch_size" not in one["settings"]


def test_batch_size_must_be_positive(capsys):
    plugins.reset()
    assert main(["run", "--models", "identity", "--dataset", "demo", "--batch-size", "0"]) == 2
    assert "--batch-size must be at least 1" in capsys.readouterr().err
