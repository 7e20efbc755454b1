"""Forward passes the way each model's authors run them: padding, tiling, self-ensemble, precision.

Everything here is pure tensor code with a device argument, so the CUDA path and the CPU path are
the same code. Padding follows :class:`restbench.registry.InputSpec`, which each variant declares
from its authors' test script; the output is cropped back to ``scale × input size``.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from restbench.registry import InputSpec

PRECISIONS = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}


def padded_size(h: int, w: int, spec: InputSpec) -> tuple[int, int]:
    m = max(spec.pad_multiple, 1)
    if spec.always_pad:
        H, W = (h // m + 1) * m, (w // m + 1) * m
    else:
        H, W = math.ceil(h / m) * m, math.ceil(w / m) * m
    if spec.min_size:  # spandrel's SizeRequirements.minimum: at least this, still a multiple of m
        least = math.ceil(spec.min_size / m) * m
        H, W = max(H, least), max(W, least)
    if spec.square:
        H = W = max(H, W)
    return H, W


def _symmetric(x: torch.Tensor, ph: int, pw: int) -> torch.Tensor:
    """SwinIR's rule: append the flipped image and cut, i.e. mirror *including* the edge pixel."""
    h, w = x.shape[-2:]
    while ph > 0:  # a pad longer than the image mirrors repeatedly
        step = min(ph, h)
        x = torch.cat([x, x.flip(-2)[..., :step, :]], -2)
        ph -= step
        h += step
    while pw > 0:
        step = min(pw, w)
        x = torch.cat([x, x.flip(-1)[..., :step]], -1)
        pw -= step
        w += step
    return x


def pad(x: torch.Tensor, spec: InputSpec) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    """Pad ``x`` (N,C,H,W) as the variant's authors do; returns the padded tensor and (top, left, h, w)."""
    h, w = x.shape[-2:]
    H, W = padded_size(h, w, spec)
    ph, pw = H - h, W - w
    if ph == 0 and pw == 0:
        return x, (0, 0, h, w)
    if spec.pad_mode == "symmetric":
        return _symmetric(x, ph, pw), (0, 0, h, w)
    if spec.pad_mode == "center-zero":  # Uformer's expand2square: image centred on a zero canvas
        top, left = ph // 2, pw // 2
        return F.pad(x, (left, pw - left, top, ph - top)), (top, left, h, w)
    if spec.pad_mode == "reflect" and (ph >= h or pw >= w):
        return _symmetric(x, ph, pw), (0, 0, h, w)  # reflect cannot pad beyond the image size
    mode = "constant" if spec.pad_mode == "zero" else spec.pad_mode
    return F.pad(x, (0, pw, 0, ph), mode=mode), (0, 0, h, w)


def unpad(y: torch.Tensor, box: tuple[int, int, int, int], scale: int) -> torch.Tensor:
    top, left, h, w = box
    return y[..., top * scale : (top + h) * scale, left * scale : (left + w) * scale]


def forward_padded(model: Callable, x: torch.Tensor, spec: InputSpec, scale: int = 1) -> torch.Tensor:
    xp, box = pad(x, spec)
    return unpad(model(xp), box, scale)


def tile_starts(size: int, tile: int, stride: int) -> list[int]:
    if size <= tile:
        return [0]
    starts = list(range(0, size - tile, stride))
    starts.append(size - tile)
    return starts


def forward_tiled(
    model: Callable, x: torch.Tensor, spec: InputSpec, scale: int, tile: int, overlap: int
) -> torch.Tensor:
    """Run overlapping ``tile``×``tile`` crops and blend them.

    Blending: a tile's outermost ``overlap // 2`` pixels on sides that face another tile are
    dropped (they saw padding instead of the neighbouring image) and what remains is averaged where
    it overlaps. So the tiled output equals the untiled one whenever the model's receptive field
    fits in ``overlap // 2``; for global-attention models the difference is measured, not assumed.
    Each tile is padded with the model's own rule, and only one tile's activations are alive at a time.
    """
    if overlap >= tile:
        raise ValueError(f"tile overlap ({overlap}) must be smaller than the tile ({tile})")
    n, _, h, w = x.shape
    stride = tile - overlap
    margin = overlap // 2
    rows, cols = tile_starts(h, tile, stride), tile_starts(w, tile, stride)
    out = weight = None
    for a, i in enumerate(rows):
        for b, j in enumerate(cols):
            patch = x[..., i : i + tile, j : j + tile]
            y = forward_padded(model, patch, spec, scale)
            if out is None:
                out = y.new_zeros(n, y.shape[1], h * scale, w * scale, dtype=torch.float32)
                weight = y.new_zeros(1, 1, h * scale, w * scale, dtype=torch.float32)
            ph, pw = patch.shape[-2:]
            t = margin if a > 0 else 0
            btm = ph - (margin if a < len(rows) - 1 else 0)
            lft = margin if b > 0 else 0
            rgt = pw - (margin if b < len(cols) - 1 else 0)
            region = (..., slice((i + t) * scale, (i + btm) * scale), slice((j + lft) * scale, (j + rgt) * scale))
            out[region] += y[..., t * scale : btm * scale, lft * scale : rgt * scale].float()
            weight[region] += 1
    return out / weight


def _transforms():
    """The 8 dihedral transforms and their inverses (flip then rotate)."""
    for flip in (False, True):
        for k in range(4):
            def fwd(t, flip=flip, k=k):
                t = t.flip(-1) if flip else t
                return torch.rot90(t, k, (-2, -1))

            def inv(t, flip=flip, k=k):
                t = torch.rot90(t, -k, (-2, -1))
                return t.flip(-1) if flip else t

            yield fwd, inv


@dataclass(frozen=True)
class ForwardSettings:
    tile: int | None = None
    tile_overlap: int = 32
    self_ensemble: bool = False
    precision: str = "fp32"
    channels_last: bool = False


def prepare_model(model: torch.nn.Module, settings: ForwardSettings) -> torch.nn.Module:
    """Put the weights in the memory format the settings ask for (inputs follow in :func:`restore`)."""
    if settings.channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def autocast(device: torch.device, precision: str):
    dtype = PRECISIONS[precision]
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def model_input(x: torch.Tensor, spec: InputSpec, scale: int) -> tuple[torch.Tensor, int]:
    """What the network itself is fed, and the scale left for it to apply.

    A variant with ``upsample_input`` (DnCNN-3 on SR) gets the LR bicubic-upsampled to the
    target size first, MATLAB-style on its 8-bit levels as the papers' pipelines do, and then
    restores at scale 1; everything else is fed ``x`` as it is.
    """
    if spec.upsample_input and scale > 1:
        from restbench.protocols.degradations import bicubic_upsample

        return bicubic_upsample(x, scale).to(x.device), 1
    return x, scale


def restore(model: Callable, x: torch.Tensor, spec: InputSpec, scale: int, settings: ForwardSettings) -> torch.Tensor:
    """One image through the model, as the settings ask; returns float32 on ``x``'s device."""
    x, scale = model_input(x, spec, scale)
    if settings.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)

    def once(t: torch.Tensor) -> torch.Tensor:
        with autocast(t.device, settings.precision):
            if settings.tile:
                return forward_tiled(model, t, spec, scale, settings.tile, settings.tile_overlap).float()
            return forward_padded(model, t, spec, scale).float()

    if not settings.self_ensemble:
        return once(x)
    acc = None
    for fwd, inv in _transforms():
        y = inv(once(fwd(x)))
        acc = y if acc is None else acc + y
    return acc / 8


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("--device cuda was asked for, but PyTorch sees no CUDA device")
    return torch.device(name)
