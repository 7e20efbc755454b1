"""load_weights: every wrapper the authors ship, weights_only loading, clear mismatch reports."""

from __future__ import annotations

import pytest
import torch

import restbench
from restbench.fetch.checkpoint import CheckpointError, load_weights


@pytest.fixture(scope="module")
def dncnn_sd(shared_dir):
    return torch.load(shared_dir / "weights" / "dncnn_25.pth", weights_only=True)


@pytest.mark.parametrize(
    "wrap,key",
    [
        (lambda sd: sd, None),
        (lambda sd: {"params": sd}, "params"),
        (lambda sd: {"params_ema": sd, "params": {k: v * 0 for k, v in sd.items()}}, "params_ema"),
        (
            lambda sd: {
                "epoch": 250,
                "state_dict": {f"module.{k}": v for k, v in sd.items()},
                "optimizer": {"state": {}, "param_groups": [{"lr": 2e-4, "params": [0, 1]}]},
            },
            "state_dict",
        ),
    ],
    ids=["plain", "params", "params_ema", "state_dict+module+optimizer"],
)
def test_every_layout_loads_the_real_dncnn_weights(tmp_path, dncnn_sd, wrap, key):
    path = tmp_path / "ckpt.pth"
    torch.save(wrap(dncnn_sd), path)
    model = restbench.build_model("dncnn-s25")
    report = load_weights(model, path)
    assert report.key == key and report.loaded == 34 and not report.missing and not report.unexpected
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, dncnn_sd[name]), name


def test_mismatch_lists_missing_unexpected_and_shapes(shared_dir):
    model = restbench.build_model("dncnn", nb=20, act_mode="R")  # the blind layout: 20 layers
    with pytest.raises(CheckpointError) as exc:
        load_weights(model, shared_dir / "weights" / "dncnn_25.pth")
    msg = str(exc.value)
    assert "missing (6): model.34.weight" in msg
    assert "shape mismatch (2): model.32.weight: checkpoint (1, 64, 3, 3) vs model (64, 64, 3, 3)" in msg


def test_pickled_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pth"
    torch.save({"params": {"w": torch.zeros(1)}, "x": Evil()}, path)
    with pytest.raises(CheckpointError, match="refused to load .* pickles objects other than tensors"):
        load_weights(torch.nn.Linear(1, 1), path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_weights(torch.nn.Linear(1, 1), tmp_path / "nope.pth")


def test_safetensors_files_load_without_torch_load(tmp_path):
    safetensors = pytest.importorskip("safetensors.torch")
    src = torch.nn.Linear(3, 2)
    path = tmp_path / "lin.safetensors"
    safetensors.save_file(src.state_dict(), str(path))
    dst = torch.nn.Linear(3, 2)
    report = load_weights(dst, path)
    assert report.loaded == 2 and torch.equal(dst.weight, src.weight) and torch.equal(dst.bias, src.bias)
