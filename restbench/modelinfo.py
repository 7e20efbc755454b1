"""Facts about registered variants that need the architecture built: parameter counts.

Models are built on PyTorch's ``meta`` device, so counting SwinIR-L's parameters allocates
nothing; architectures whose constructor needs real tensors fall back to the CPU.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from .registry import Registry, Variant


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def variant_params(registry: Registry, variant: Variant) -> int | None:
    """Parameter count of a variant's architecture (None if it cannot be built)."""
    arch = registry.architectures[variant.arch]
    return _params(arch.builder, tuple(sorted((k, _freeze(v)) for k, v in variant.arch_kwargs.items())))


def _freeze(v):
    return tuple(_freeze(x) for x in v) if isinstance(v, (list, tuple)) else v


@lru_cache(maxsize=None)
def _params(builder, frozen_kwargs) -> int | None:
    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in frozen_kwargs}
    for device in ("meta", "cpu"):
        try:
            with torch.device(device):
                return count_parameters(builder(**kwargs))
        except Exception:
            continue
    return None
