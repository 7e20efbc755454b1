"""Building spandrel's implementation of an architecture with the authors' constructor arguments.

restbench does not re-implement these networks: ``builder_for("HAT")(**authors_kwargs)`` is
spandrel's ``HAT`` class, random init, whose parameter names are the authors' own (the released
files load unchanged). On top of the bare network, three things the authors' *test scripts* do
that spandrel leaves to its caller are options here, popped before spandrel sees the kwargs:

* ``noise_sigma``: the network takes a noise-level map as an extra input channel (DRUNet,
  FFDNet-style DnCNN); the map is the constant σ/255, as in DPIR's ``main_dpir_denoising.py``.
* ``one_split``: KAIR/DPIR's ``utils_model.test_mode(mode=5)`` ("test_onesplit"): four
  overlapping corner crops of side ``(h//2//refield+1)*refield`` each run separately and the
  quadrants stitched. DPIR's and SCUNet's Gaussian scripts take this path for every image (their
  ``size//8 == 0`` test is true only below 8 px), so their published numbers come from it.
* ``tlc_train_size``: NAFNet's TLC (Chu et al., "Revisiting Global Statistics Aggregation",
  arXiv 2112.04491), which the GoPro test config selects (``NAFNetLocal``): each block's global
  average pooling becomes a local mean over a window 1.5× the training patch at that level.
* ``replicate_pad``: SCUNet's own ``forward`` pads to a multiple of 64 by replication; spandrel's
  copy pads by reflection. The registered SCUNet variants ask for the authors' padding.

Each option swaps the model's class for a subclass that only overrides ``forward`` (and plain
attributes), so the state dict, and therefore checkpoint loading, is untouched.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

OPTIONS = ("noise_sigma", "one_split", "tlc_train_size", "replicate_pad", "first_output")


def spandrel_class(arch_id: str) -> type[nn.Module]:
    """spandrel's network class for an architecture id (``"HAT"`` → ``spandrel.architectures.HAT.HAT``)."""
    for package in ("spandrel.architectures", "spandrel_extra_arches.architectures"):
        try:
            module = importlib.import_module(f"{package}.{arch_id}")
        except ImportError:
            continue
        names = [n for n in getattr(module, "__all__", ()) if not n.endswith("Arch")]
        if names:
            return getattr(module, names[0])
    raise KeyError(f"spandrel has no architecture {arch_id!r} (spandrel-extra-arches installed?)")


@functools.lru_cache(maxsize=None)
def builder_for(arch_id: str) -> Callable[..., nn.Module]:
    """One builder per architecture id, the same object every time (registries compare builders)."""

    def build(**kwargs: Any) -> nn.Module:
        return build_network(arch_id, **kwargs)

    build.__name__ = build.__qualname__ = f"build_{arch_id}"
    build.__doc__ = f"spandrel's {arch_id} with the authors' kwargs (options: {', '.join(OPTIONS)})"
    return build


def build_network(arch_id: str, **kwargs: Any) -> nn.Module:
    opts = {k: kwargs.pop(k) for k in OPTIONS if k in kwargs}
    model = spandrel_class(arch_id)(**kwargs)
    if opts.get("tlc_train_size"):
        use_local_pooling(model, int(opts["tlc_train_size"]))
    if opts.get("replicate_pad"):
        model.__class__ = _subclass(type(model), "replicate_pad")
    wrapped = {k: opts.get(k) for k in ("noise_sigma", "one_split", "first_output") if opts.get(k) is not None}
    if wrapped:
        model.__class__ = _subclass(type(model), "restbench_forward")
        model.restbench_noise_sigma = wrapped.get("noise_sigma")
        model.restbench_one_split = wrapped.get("one_split")
        model.restbench_first_output = bool(wrapped.get("first_output"))
    return model


@functools.lru_cache(maxsize=None)
def _subclass(cls: type[nn.Module], kind: str) -> type[nn.Module]:
    if kind == "replicate_pad":
        def check_image_size(self, x):  # SCUNet's authors: ReplicationPad2d to a multiple of 64
            h, w = x.shape[-2:]
            return F.pad(x, (0, (64 - w % 64) % 64, 0, (64 - h % 64) % 64), mode="replicate")

        return type(cls.__name__, (cls,), {"check_image_size": check_image_size, "__module__": cls.__module__})

    def forward(self, x):
        def run(t: torch.Tensor) -> torch.Tensor:
            if self.restbench_noise_sigma is not None:
                level = torch.full_like(t[:, :1], float(self.restbench_noise_sigma) / 255.0)
                t = torch.cat([t, level], dim=1)
            out = cls.forward(self, t)
            return out[0] if self.restbench_first_output and isinstance(out, (list, tuple)) else out

        return one_split(run, x, self.restbench_one_split) if self.restbench_one_split else run(x)

    return type(cls.__name__, (cls,), {"forward": forward, "__module__": cls.__module__})


def one_split(run: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, refield: int) -> torch.Tensor:
    """KAIR's ``test_onesplit`` (sf=1): four overlapping corner crops, their inner quadrants stitched.

    Slices are the script's, including its behaviour on images smaller than a crop (a negative
    start then counts from the end, as Python slices do); the test sets are far larger.
    """
    h, w = x.shape[-2:]
    ch, cw = (h // 2 // refield + 1) * refield, (w // 2 // refield + 1) * refield
    rows = (slice(0, ch), slice(h - ch, h))
    cols = (slice(0, cw), slice(w - cw, w))
    tl, tr = run(x[..., rows[0], cols[0]]), run(x[..., rows[0], cols[1]])
    bl, br = run(x[..., rows[1], cols[0]]), run(x[..., rows[1], cols[1]])
    out = x.new_zeros(x.shape[0], tl.shape[1], h, w, dtype=tl.dtype)
    hh, hw = h // 2, w // 2
    out[..., :hh, :hw] = tl[..., :hh, :hw]
    out[..., :hh, hw:] = tr[..., :hh, hw - w:]
    out[..., hh:, :hw] = bl[..., hh - h:, :hw]
    out[..., hh:, hw:] = br[..., hh - h:, hw - w:]
    return out


class LocalMeanPool(nn.Module):
    """TLC's test-time stand-in for ``AdaptiveAvgPool2d(1)``: the mean over a ``kernel`` window.

    Windows are taken at every position where they fit (an integral image), and the result is
    padded back to the input size by replicating its border, centred; when the window covers
    the whole feature map it is the global mean, as in training.
    """

    def __init__(self, kernel: tuple[int, int]) -> None:
        super().__init__()
        self.kernel = kernel

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if self.kernel[0] >= h and self.kernel[1] >= w:
            return F.adaptive_avg_pool2d(x, 1)
        k1, k2 = min(h, self.kernel[0]), min(w, self.kernel[1])
        s = F.pad(x.cumsum(dim=-1).cumsum(dim=-2), (1, 0, 1, 0))
        out = (s[..., k1:, k2:] + s[..., :-k1, :-k2] - s[..., :-k1, k2:] - s[..., k1:, :-k2]) / (k1 * k2)
        oh, ow = out.shape[-2:]
        return F.pad(out, ((w - ow) // 2, (w - ow + 1) // 2, (h - oh) // 2, (h - oh + 1) // 2), mode="replicate")


def use_local_pooling(model: nn.Module, train_size: int) -> None:
    """Swap every NAFBlock's global pooling for :class:`LocalMeanPool` (NAFNetLocal, TLC).

    The window is 1.5× the feature map the block saw for a ``train_size`` training patch:
    level ``l`` (encoder ``l``, the middle blocks at ``len(encoders)``, decoder ``j`` at
    ``len(encoders)-1-j``) has ``train_size >> l`` pixels, so its window is
    ``(train_size >> l) * (3 * train_size // 2) // train_size``.
    """
    depth = len(model.encoders)
    stages = [(i, enc) for i, enc in enumerate(model.encoders)] + [(depth, model.middle_blks)]
    stages += [(depth - 1 - j, dec) for j, dec in enumerate(model.decoders)]
    base = int(train_size * 1.5)
    for level, stage in stages:
        k = (train_size >> level) * base // train_size
        for block in stage:
            pool = block.sca[0]
            if not (isinstance(pool, nn.AdaptiveAvgPool2d) and pool.output_size in (1, (1, 1))):
                raise TypeError(f"expected NAFNet's global pooling in {type(block).__name__}.sca[0], found {pool}")
            block.sca[0] = LocalMeanPool((k, k))


__all__ = ["LocalMeanPool", "OPTIONS", "build_network", "builder_for", "one_split", "spandrel_class",
           "use_local_pooling"]
