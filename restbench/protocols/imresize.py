"""MATLAB ``imresize(..., 'bicubic')`` in torch, with MATLAB's class semantics.

Super-resolution test sets (``LR_bicubic/X{s}``) and the bicubic baseline of every SR paper
were made with MATLAB's ``imresize``, which is *not* what ``F.interpolate(mode='bicubic')``
or OpenCV do. What MATLAB does (``imresize.m`` / ``contributions``):

* cubic kernel with a = -0.5 (Keys), support width 4;
* when shrinking (scale < 1) and antialiasing is on (the default), the kernel is stretched by
  1/scale and scaled by ``scale``, so every input pixel under it contributes;
* output pixel ``x`` (1-based) samples input coordinate ``u = x/scale + 0.5*(1 - 1/scale)``;
  taps ``left = floor(u - width/2)`` … ``left + ceil(width) + 1``; weights are normalised to
  sum to 1 per output pixel;
* out-of-range taps are folded back symmetrically (``[1..n, n..1]`` repeated), i.e. the edge
  pixel is repeated;
* the image is resized one dimension at a time, the dimension with the smaller scale first
  (rows first when the scales are equal);
* for a ``uint8`` image every 1-D pass returns ``uint8``: the intermediate result is rounded
  (half away from zero) and saturated before the second pass, and so is the output.

KAIR ``utils_image.imresize_np`` and BasicSR ``matlab_functions.imresize`` implement the same
weights (in float32, without the intermediate rounding); fatheral/matlab_imresize keeps the
uint8 rounding per pass. Here the weights and sums are float64, taps are summed in MATLAB's
order, and the class semantics are chosen by the input dtype: a ``torch.uint8`` tensor gets
MATLAB's uint8 behaviour, a float tensor is resized without rounding and returned in its dtype.
"""

from __future__ import annotations

import math

import torch

__all__ = ["imresize", "modcrop", "cubic", "contributions"]


def cubic(x: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    ax = x.abs()
    ax2 = ax * ax
    ax3 = ax2 * ax
    inner = (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1)
    outer = (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))
    return inner.to(x.dtype) + outer.to(x.dtype)


def contributions(
    in_length: int, out_length: int, scale: float, antialiasing: bool = True, device=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights (out, P) float64 and 0-based input indices (out, P) for one dimension.

    Columns whose weight is zero for every output pixel are dropped, as MATLAB does; indices are
    already folded into ``[0, in_length)`` with MATLAB's symmetric rule.
    """
    width = 4.0
    shrink = scale < 1 and antialiasing
    if shrink:
        width = width / scale
    x = torch.arange(1, out_length + 1, dtype=torch.float64, device=device)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = torch.floor(u - width / 2)
    taps = math.ceil(width) + 2
    idx = left[:, None] + torch.arange(taps, dtype=torch.float64, device=device)[None, :]
    dist = u[:, None] - idx
    w = scale * cubic(dist * scale) if shrink else cubic(dist)
    w = w / w.sum(dim=1, keepdim=True)
    keep = (w != 0).any(dim=0)
    w, idx = w[:, keep], idx[:, keep]
    # MATLAB: aux = [1:n, n:-1:1]; indices = aux(mod(indices - 1, 2n) + 1)  (1-based)
    period = 2 * in_length
    m = torch.remainder(idx.long() - 1, period)
    folded = torch.where(m < in_length, m, period - 1 - m)
    return w, folded


def _resize_dim(x: torch.Tensor, dim: int, weights: torch.Tensor, indices: torch.Tensor, as_uint8: bool):
    """One 1-D pass along ``dim`` (-1 or -2), summing taps left to right like imresizemex."""
    acc = None
    for j in range(weights.shape[1]):
        taken = x.index_select(dim, indices[:, j])
        wj = weights[:, j].view(-1, 1) if dim == -2 else weights[:, j]
        term = taken * wj
        acc = term if acc is None else acc + term
    if as_uint8:
        acc = torch.floor(acc.clamp(0, 255) + 0.5)  # MATLAB: round half away, saturate
    return acc


def imresize(
    img: torch.Tensor,
    scale: float | None = None,
    output_size: tuple[int, int] | None = None,
    antialiasing: bool = True,
) -> torch.Tensor:
    """Resize ``img`` (..., H, W) exactly as MATLAB ``imresize(img, scale, 'bicubic')``.

    ``scale`` is used as given (MATLAB does not recompute it from the sizes); the output size is
    ``ceil(scale * size)`` unless ``output_size`` is given (then each dimension's scale is
    ``out/in``, as MATLAB does for a size argument). uint8 input → uint8 output with per-pass
    rounding; float input → same float dtype, computed in float64, no rounding or clamping.
    """
    if img.dim() < 2:
        raise ValueError(f"imresize needs (..., H, W), got shape {tuple(img.shape)}")
    in_h, in_w = img.shape[-2], img.shape[-1]
    if output_size is not None:
        out_h, out_w = int(output_size[0]), int(output_size[1])
        scales = (out_h / in_h, out_w / in_w)
    elif scale is not None:
        scales = (float(scale), float(scale))
        out_h, out_w = math.ceil(in_h * scale), math.ceil(in_w * scale)
    else:
        raise ValueError("imresize needs scale or output_size")
    as_uint8 = img.dtype == torch.uint8
    if not as_uint8 and not img.is_floating_point():
        raise TypeError(f"imresize takes uint8 or floating-point tensors, got {img.dtype}")
    out_dtype = img.dtype
    x = img.to(torch.float64)
    sizes = {-2: (in_h, out_h, scales[0]), -1: (in_w, out_w, scales[1])}
    order = sorted((-2, -1), key=lambda d: (sizes[d][2], d))  # smaller scale first, rows on ties
    for d in order:
        n_in, n_out, s = sizes[d]
        w, idx = contributions(n_in, n_out, s, antialiasing, device=x.device)
        x = _resize_dim(x, d, w, idx, as_uint8)
    return x.to(out_dtype)


def modcrop(img: torch.Tensor, scale: int) -> torch.Tensor:
    """Crop the bottom/right so H and W are multiples of ``scale`` (KAIR/BasicSR ``modcrop``)."""
    h, w = img.shape[-2], img.shape[-1]
    return img[..., : h - h % scale, : w - w % scale]
