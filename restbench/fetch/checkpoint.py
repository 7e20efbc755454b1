"""Loading the authors' checkpoint files, whatever wrapper they were saved in.

Layouts seen in the wild: a plain state dict (KAIR, Uformer mirrors), ``{'params': …}`` (SwinIR,
Restormer via BasicSR), ``{'params_ema': …}`` (BasicSR EMA), ``{'state_dict': …, 'optimizer': …}``
with ``module.`` prefixes from ``DataParallel`` (Uformer's own training checkpoints).
Everything is read with ``torch.load(weights_only=True)``: no pickle code runs. ``.safetensors``
files (no code at all by design) are read with ``safetensors.torch.load_file``.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from typing import Mapping

import torch
import torch.nn as nn

WRAPPER_KEYS = ("params_ema", "params", "state_dict", "model", "net", "net_g")

# Buffers the architectures compute from their config; a checkpoint may carry them or not.
DERIVED_SUFFIXES = ("relative_position_index", "attn_mask")


class CheckpointError(Exception):
    """The checkpoint does not fit the model; the message lists what is missing/unexpected."""


@dataclass
class LoadReport:
    key: str | None
    loaded: int
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    recomputed: list[str] = field(default_factory=list)


def read_state_dict(path: str | os.PathLike, key: str | None = None) -> tuple[dict[str, torch.Tensor], str | None]:
    """Read a checkpoint and unwrap it to a flat ``{name: tensor}`` dict.

    ``key`` forces a wrapper key; otherwise the first of :data:`WRAPPER_KEYS` present is used
    (``params_ema`` before ``params``, as BasicSR's own test scripts prefer for EMA models).
    """
    try:
        obj = _read(path)
    except FileNotFoundError:
        raise CheckpointError(f"checkpoint not found: {path}") from None
    except pickle.UnpicklingError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        first = next((ln for ln in lines if "unsupported" in ln.lower()), lines[-1] if lines else type(exc).__name__)
        first = first.split(" Please use")[0]  # torch's allow-listing advice is not ours to give
        raise CheckpointError(
            f"refused to load {path}: it pickles objects other than tensors, and restbench reads checkpoints "
            f"with torch.load(weights_only=True) so that no code in a file ever runs ({first}). "
            "Re-save the state dict alone (torch.save(model.state_dict(), …)) or as .safetensors."
        ) from None
    except Exception as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}") from None
    used = None
    if isinstance(obj, Mapping):
        if key is not None:
            if key not in obj:
                raise CheckpointError(f"{path}: no key {key!r}; top-level keys are {sorted(obj)[:10]}")
            obj, used = obj[key], key
        else:
            for k in WRAPPER_KEYS:
                if k in obj and isinstance(obj[k], Mapping):
                    obj, used = obj[k], k
                    break
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path} does not hold a state dict of tensors")
    sd = dict(obj)
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return sd, used


def _read(path: str | os.PathLike) -> object:
    """The file's top-level object: safetensors by extension, else a ``weights_only`` torch.load."""
    if os.fspath(path).lower().endswith(".safetensors"):
        if not os.path.exists(path):
            raise FileNotFoundError(path)
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise CheckpointError(f"{path} is a .safetensors file: pip install safetensors to read it") from None
        return load_file(os.fspath(path), device="cpu")
    return torch.load(os.fspath(path), map_location="cpu", weights_only=True)


def load_weights(model: nn.Module, path: str | os.PathLike, key: str | None = None, strict: bool = True) -> LoadReport:
    """Load ``path`` into ``model``; with ``strict`` any missing/unexpected parameter is an error.

    Derived buffers (:data:`DERIVED_SUFFIXES`) are recomputed by the model: if the checkpoint
    carries them they must match in shape and are loaded; if it does not, the model's own values stay.
    """
    sd, used = read_state_dict(path, key)
    own = model.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    recomputed = [k for k in missing if k.endswith(DERIVED_SUFFIXES)]
    missing = [k for k in missing if k not in recomputed]
    unexpected_derived = [k for k in unexpected if k.endswith(DERIVED_SUFFIXES)]
    unexpected = [k for k in unexpected if k not in unexpected_derived]
    shape = [
        f"{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in sd and sd[k].shape != own[k].shape and not k.endswith("attn_mask")
    ]
    if strict and (missing or unexpected or shape):
        lines = [f"checkpoint {os.fspath(path)} does not match {type(model).__name__}:"]
        for title, items in (("missing", missing), ("unexpected", unexpected), ("shape mismatch", shape)):
            if items:
                lines.append(f"  {title} ({len(items)}): " + ", ".join(items[:8]) + (" …" if len(items) > 8 else ""))
        raise CheckpointError("\n".join(lines))
    # attn_mask depends on the input size the checkpoint was saved at; the model recomputes its own.
    to_load = {k: v for k, v in sd.items() if k in own and v.shape == own[k].shape}
    model.load_state_dict(to_load, strict=False)
    return LoadReport(used, len(to_load), missing, unexpected, recomputed)
