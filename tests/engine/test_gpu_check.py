"""benchmarks/gpu_check.py cannot rot: its --smoke mode runs the same code on the CPU here; and the
out-of-memory retry it checks on a GPU is exercised on CPU with a model that runs out of memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from restbench.engine.inference import ForwardSettings
from restbench.engine.runner import forward_image
from restbench.registry import InputSpec

REPO = Path(__file__).resolve().parents[2]


class OutOfMemoryAbove(torch.nn.Module):
    """Identity that raises CUDA's out-of-memory error for inputs larger than ``limit`` pixels."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit, self.calls = limit, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append(tuple(x.shape[-2:]))
        if x.shape[-1] * x.shape[-2] > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        return x.clone()


def test_out_of_memory_is_retried_tiled_and_says_so():
    x = torch.rand(1, 3, 300, 520)
    model = OutOfMemoryAbove(limit=256 * 256)
    out, secs, tiled = forward_image(model, x, InputSpec(), 1, ForwardSettings(), torch.device("cpu"))
    assert tiled and torch.equal(out, x) and secs >= 0
    assert model.calls[0] == (300, 520) and all(h <= 256 and w <= 256 for h, w in model.calls[1:])
    with pytest.raises(torch.OutOfMemoryError):  # already tiled: nothing smaller to fall back to
        forward_image(OutOfMemoryAbove(limit=16), x, InputSpec(), 1, ForwardSettings(tile=64), torch.device("cpu"))


@pytest.mark.slow
def test_gpu_check_smoke_runs_every_section(tmp_path, shared_dir):
    out = tmp_path / "gpu_check.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--smoke", "--out", str(out),
         "--data-root", str(shared_dir / "datasets"), "--dncnn-weights", str(shared_dir / "weights" / "dncnn_25.pth")],
        capture_output=True, text=True, timeout=900, env={**__import__("os").environ, "OMP_NUM_THREADS": "2"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["info"]["smoke"] is True and doc["info"]["device"] == "cpu"
    fams = {r["family"] for r in doc["forward"]}
    assert fams == {"restormer", "swinir", "uformer", "dncnn"}
    ok = [r for r in doc["forward"] if r["precision"] == "fp32" and "error" not in r]
    assert {(r["family"], r["mode"]) for r in ok} == {(f, m) for f in fams for m in ("untiled", "tiled")}
    assert all(r["median_ms"] > 0 and r["peak_mib"] > 0 for r in ok)
    halves = [r for r in doc["forward"] if r["precision"] == "bf16" and r["batch"] == 1 and "error" not in r]
    assert halves and all(r["psnr_vs_fp32_db"] > 30 for r in halves if r["mode"] == "untiled")
    assert {r["family"] for r in doc["ratios"] if r.get("channels_last_ratio")} == fams
    assert any(r.get("compile_ratio") for r in doc["ratios"])
    assert doc["set12_dncnn_gpu_vs_cpu"]["cpu"]["n_images"] == 2
    proj = {(r["variant"], r["precision"], r["batch"]) for r in doc["gopro_projection"]}
    assert ("restormer-motion-deblurring", "fp32", 1) in proj and ("uformer-b-gopro", "bf16", 2) in proj
    assert "projected GoPro test time" in proc.stdout
