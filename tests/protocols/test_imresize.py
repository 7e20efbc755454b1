"""MATLAB imresize: the released Set5 LR files are reproduced from HR, plus kernel properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from restbench.protocols.imresize import contributions, cubic, imresize, modcrop

NAMES = ["baby", "bird", "butterfly", "head", "woman"]


def _load(path) -> torch.Tensor:
    arr = np.asarray(Image.open(path).convert("RGB"))
    return torch.from_numpy(arr.copy()).permute(2, 0, 1)[None]


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_uint8_downscale_reproduces_set5_lr_files_exactly(shared_dir, scale):
    """The x2/x3/x4 LR files were made by MATLAB imresize on uint8 HR: per-pass uint8 rounding."""
    for name in NAMES:
        hr = modcrop(_load(shared_dir / f"datasets/Set5/HR/{name}.png"), scale)
        lr = _load(shared_dir / f"datasets/Set5/LR_bicubic/X{scale}/{name}x{scale}.png")
        got = imresize(hr, 1 / scale)
        assert got.dtype == torch.uint8 and got.shape == lr.shape
        assert torch.equal(got, lr), f"{name} x{scale}: {(got != lr).sum().item()} pixels differ"


def test_x8_files_were_made_from_float_images(shared_dir):
    """X8 LR files match the float (double) path rounded once at the end — not the uint8 path."""
    name = "head"
    hr = modcrop(_load(shared_dir / f"datasets/Set5/HR/{name}.png"), 8)
    lr = _load(shared_dir / f"datasets/Set5/LR_bicubic/X8/{name}x8.png")
    via_float = (imresize(hr.double() / 255, 1 / 8) * 255).round().clamp(0, 255).to(torch.uint8)
    via_uint8 = imresize(hr, 1 / 8)
    assert torch.equal(via_float, lr)
    assert not torch.equal(via_uint8, lr)
    assert (via_uint8.int() - lr.int()).abs().max() <= 2


def test_cubic_kernel_values():
    x = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 2.5], dtype=torch.float64)
    # Keys a=-0.5: f(0)=1, f(0.5)=0.5625, f(1)=0, f(1.5)=-0.0625, f(2)=0
    torch.testing.assert_close(cubic(x), torch.tensor([1, 0.5625, 0, -0.0625, 0, 0], dtype=torch.float64))
    torch.testing.assert_close(cubic(-x), cubic(x))


def test_contributions_match_matlab_rules():
    # upscale x2 of 4 pixels: output 1 samples u = 0.25 (1-based), taps start at floor(u - 2) = -2
    w, idx = contributions(4, 8, 2.0)
    torch.testing.assert_close(w.sum(1), torch.ones(8, dtype=torch.float64))
    assert idx.min() >= 0 and idx.max() <= 3
    # all-zero first/last tap columns are dropped; output 1 then uses 1-based taps -1, 0, 1, 2,
    # which fold symmetrically ([1..n, n..1]) to 2, 1, 1, 2 (0-based 1, 0, 0, 1)
    assert idx[0].tolist()[:4] == [1, 0, 0, 1]
    # antialiased x1/2: kernel width 8 → 10 taps before dropping zero columns
    w, idx = contributions(8, 4, 0.5)
    assert w.shape[1] <= 10 and torch.allclose(w.sum(1), torch.ones(4, dtype=torch.float64))


def test_properties_constant_identity_and_dtypes():
    const = torch.full((1, 3, 12, 10), 0.3, dtype=torch.float32)
    for s in (0.5, 1 / 3, 2.0, 3.0):
        out = imresize(const, s)
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, torch.full_like(out, 0.3))
    x = torch.rand(2, 1, 9, 7, dtype=torch.float64)
    assert torch.equal(imresize(x, 1.0), x)
    assert imresize(x, 2.0).shape == (2, 1, 18, 14)
    assert imresize(x, output_size=(5, 11)).shape == (2, 1, 5, 11)
    u8 = (torch.rand(1, 3, 8, 8) * 255).to(torch.uint8)
    up = imresize(u8, 4.0)
    assert up.dtype == torch.uint8
    # odd factors sample every input pixel exactly at the centre of its 3x3 output block
    x3 = imresize(u8, 3.0)
    assert torch.equal(x3[..., 1::3, 1::3], u8)
    with pytest.raises(TypeError):
        imresize(torch.zeros(1, 1, 4, 4, dtype=torch.int32), 2.0)
    with pytest.raises(ValueError):
        imresize(x)
