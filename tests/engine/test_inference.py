"""Padding as each family's authors do it, tiling, self-ensemble: shapes and values."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from restbench.engine.inference import ForwardSettings, forward_padded, forward_tiled, pad, padded_size, restore
from restbench.registry import InputSpec


def test_padded_size_rules_of_the_authors_scripts():
    # SwinIR: (h // 8 + 1) * 8 — a full extra window when already aligned
    assert padded_size(720, 1280, InputSpec(pad_multiple=8, always_pad=True)) == (728, 1288)
    assert padded_size(321, 481, InputSpec(pad_multiple=8, always_pad=True)) == (328, 488)
    # plain "up to a multiple"
    assert padded_size(720, 1281, InputSpec(pad_multiple=8)) == (720, 1288)
    # Uformer-style square canvas
    assert padded_size(100, 300, InputSpec(pad_multiple=128, square=True)) == (384, 384)


def test_symmetric_padding_repeats_the_edge_pixel_like_swinir():
    x = torch.arange(5.0).view(1, 1, 1, 5).expand(1, 1, 6, 5)
    xp, box = pad(x, InputSpec(pad_multiple=4, pad_mode="symmetric"))
    assert xp[0, 0, 0].tolist() == [0, 1, 2, 3, 4, 4, 3, 2]
    xr, _ = pad(x, InputSpec(pad_multiple=4, pad_mode="reflect"))
    assert xr[0, 0, 0].tolist() == [0, 1, 2, 3, 4, 3, 2, 1]


class NeedsMultiple(nn.Module):
    """A stand-in that refuses sizes the real architectures would refuse, and upsamples."""

    def __init__(self, m: int, scale: int = 1) -> None:
        super().__init__()
        self.m, self.scale = m, scale
        self.conv = nn.Conv2d(3, 3 * scale * scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x):
        assert x.shape[-2] % self.m == 0 and x.shape[-1] % self.m == 0, x.shape
        return self.shuffle(self.conv(x))


@pytest.mark.parametrize("mode", ["reflect", "symmetric", "center-zero", "zero"])
@pytest.mark.parametrize("h,w", [(17, 23), (8, 8), (5, 31)])
def test_padding_round_trip_for_odd_sizes(mode, h, w):
    torch.manual_seed(0)
    spec = InputSpec(pad_multiple=8, always_pad=mode != "zero", pad_mode=mode, square=mode == "center-zero")
    for scale in (1, 2):
        model = NeedsMultiple(8, scale)
        x = torch.rand(1, 3, h, w)
        y = forward_padded(model, x, spec, scale)
        assert y.shape == (1, 3, h * scale, w * scale)
        # the crop must take the part computed from the real pixels: compare to an unpadded run
        # on an interior region far enough from the padded border
        if h > 4 and w > 4 and scale == 1:
            ref = model.shuffle(model.conv(x))
            assert torch.allclose(y[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1], atol=1e-6)


def test_tiled_equals_untiled_within_tolerance():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1))
    x = torch.rand(1, 3, 70, 90)
    spec = InputSpec(pad_multiple=1)
    full = forward_padded(model, x, spec, 1)
    tiled = forward_tiled(model, x, spec, 1, tile=32, overlap=8)
    assert tiled.shape == full.shape
    # receptive field 5 px < overlap: away from the image border tiles agree exactly
    assert torch.allclose(tiled[..., 2:-2, 2:-2], full[..., 2:-2, 2:-2], atol=1e-5)
    mse = torch.mean((tiled - full) ** 2)
    assert mse < 1e-4


def test_self_ensemble_is_exact_for_an_equivariant_model():
    x = torch.rand(1, 3, 13, 9)
    model = lambda t: t * 2  # noqa: E731 - equivariant to flips/rotations
    out = restore(model, x, InputSpec(pad_multiple=4), 1, ForwardSettings(self_ensemble=True))
    assert torch.allclose(out, x * 2, atol=1e-6)


def test_tile_overlap_must_be_smaller_than_tile():
    with pytest.raises(ValueError, match="overlap"):
        forward_tiled(lambda t: t, torch.rand(1, 3, 8, 8), InputSpec(), 1, tile=8, overlap=8)


def test_min_size_pads_small_inputs_up_to_a_multiple_and_crops_back():
    spec = InputSpec(pad_multiple=8, min_size=20)  # spandrel's minimum, rounded up to the multiple
    assert padded_size(12, 30, spec) == (24, 32) and padded_size(40, 41, spec) == (40, 48)
    seen = []
    x = torch.rand(1, 3, 12, 30)
    out = forward_padded(lambda t: seen.append(tuple(t.shape)) or t, x, spec)
    assert seen == [(1, 3, 24, 32)] and torch.equal(out, x)
