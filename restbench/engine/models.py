"""One place that builds a variant's model and loads its weights, for run, explain, compare, ablate.

``weights_for`` decides where the checkpoint comes from (``--weights ID=PATH`` or ``FAMILY=PATH``,
``ID=random``, the cache, the hub mirror, the release URL) and ``build_for`` loads it into the
authors' architecture; ``forward_settings`` applies an architecture's preferred memory format;
``load_model`` puts the three together for the analyses.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from restbench.engine.inference import ForwardSettings
from restbench.engine.options import RANDOM, RunOptions
from restbench.engine.plan import Job
from restbench.fetch.checkpoint import CheckpointError, load_weights
from restbench.fetch.weights import WeightsUnavailable, resolve_weights


class JobFailed(Exception):
    """A job could not finish; the message is for the user. Other jobs go on."""


def weights_for(job: Job, opts: RunOptions) -> tuple[Path | None, str | None, str, bool]:
    """(path or None, sha256 or None, source, efficiency_only)."""
    v = job.variant
    override = opts.weights.get(v.id) or family_override(job, opts) or opts.weights.get("all")
    if override == RANDOM:
        return None, None, "random init", True
    if not v.needs_weights:
        return None, None, "no weights", False
    try:
        wf = resolve_weights(v, override=Path(override) if override else None, progress=opts.progress,
                             offline=opts.offline)
    except WeightsUnavailable as exc:
        if opts.missing_weights == RANDOM:
            print(f"restbench: {v.id}: weights unavailable; efficiency-only row with random weights", file=sys.stderr)
            return None, None, "random init (weights unavailable)", True
        raise JobFailed(str(exc)) from None
    return wf.path, wf.sha256, wf.source, False


def family_override(job: Job, opts: RunOptions) -> str | None:
    """``--weights FAMILY=PATH``: for the family variant whose weight file has that name, or, when
    the name matches none of them, for every variant of the family (a renamed file)."""
    path = opts.weights.get(job.variant.arch)
    if path is None or path == RANDOM:
        return path
    names = opts.family_weight_files.get(job.variant.arch, set())
    if Path(path).name in names and Path(path).name != job.variant.weight_file:
        return None
    return path


def build_for(state, v, weights_path) -> torch.nn.Module:
    """The variant's architecture in eval mode, with its checkpoint loaded when there is one."""
    model = state.registry.architectures[v.arch].builder(**v.arch_kwargs)
    if weights_path is not None:
        try:
            load_weights(model, weights_path, key=v.checkpoint_key)
        except CheckpointError as exc:
            raise JobFailed(str(exc)) from None
    return model.eval()


def forward_settings(state, variant, opts: RunOptions) -> ForwardSettings:
    """The run's forward settings for one variant: NHWC where its architecture says it is faster."""
    fwd = opts.forward
    if opts.channels_last_auto and state.registry.architectures[variant.arch].prefers_channels_last:
        fwd = replace(fwd, channels_last=True)
    return fwd



@dataclass
class Loaded:
    """A planned job with its model on the device; ``trained`` is False for random weights."""

    job: Job
    model: torch.nn.Module
    trained: bool
    weights_source: str
    weights_sha256: str | None


def load_model(state, job: Job, opts: RunOptions, device: torch.device) -> Loaded:
    """Build the job's variant and load its weights (raises :class:`JobFailed`)."""
    path, sha, source, random_init = weights_for(job, opts)
    return Loaded(job, build_for(state, job.variant, path).to(device), not random_init, source, sha)


__all__ = ["JobFailed", "Loaded", "build_for", "family_override", "forward_settings", "load_model",
           "weights_for"]
