"""Facts about registered variants that need the architecture built: parameters and MACs.

Models are built on PyTorch's ``meta`` device, so counting SwinIR-L's parameters allocates
nothing; architectures whose constructor needs real tensors fall back to the CPU. Building ~60
variants still takes seconds (meta-device dispatch of SwinIR's mask code), and an fvcore MAC count
costs a traced forward pass, so both are memoised in ``<cache root>/param_counts.json`` and
``macs.json``, keyed by builder, its plugin's version, the kwargs (and the input size).
"""

from __future__ import annotations

import json
import os
from typing import Any

import torch

from restbench.registry import Registry, Variant


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _count(builder, kwargs: dict[str, Any]) -> int | None:
    for device in ("meta", "cpu"):
        try:
            with torch.device(device):
                return count_parameters(builder(**kwargs))
        except Exception:
            continue
    return None


class ParamCounts:
    """Parameter counts for variants, memoised in memory and on disk."""

    filename = "param_counts.json"

    def __init__(self, registry: Registry, versions: dict[str, str] | None = None) -> None:
        from restbench.paths import cache_root

        self.registry = registry
        self.versions = versions or {}
        self.path = cache_root() / self.filename
        try:
            self.known: dict[str, int | None] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.known = {}
        self.dirty = False

    def key(self, v: Variant) -> str:
        b = self.registry.architectures[v.arch].builder
        owner = self.registry.owner.get(f"arch:{v.arch}", "")
        kw = json.dumps(dict(v.arch_kwargs), sort_keys=True, default=str)
        return f"{b.__module__}.{b.__qualname__}@{self.versions.get(owner, '')}:{kw}"

    def __call__(self, v: Variant) -> int | None:
        k = self.key(v)
        if k not in self.known:
            self.known[k] = _count(self.registry.architectures[v.arch].builder, dict(v.arch_kwargs))
            self.dirty = True
        return self.known[k]

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.known, indent=0, sort_keys=True))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a read-only cache only costs speed


class MacCounts(ParamCounts):
    """fvcore MAC counts of a variant at an input size, memoised like :class:`ParamCounts`."""

    filename = "macs.json"

    def get(self, v: Variant, size: tuple[int, ...], compute) -> dict:
        k = f"{self.key(v)}@{'x'.join(map(str, size))}"
        if k not in self.known:
            self.known[k] = compute()
            self.dirty = True
            self.save()
        return self.known[k]
