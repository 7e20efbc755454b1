"""Perceptual and no-reference metrics (LPIPS, DISTS, NIQE, MUSIQ, …) through pyiqa.

pyiqa is optional (PolyForm Noncommercial licence since 2026-04): restbench's own PSNR/SSIM never
use it. Most pyiqa metrics download network weights on first use; offline that fails, and we say
so in one line instead of a traceback.
"""

from __future__ import annotations

from functools import lru_cache

import torch


class MetricUnavailable(Exception):
    """A requested pyiqa metric cannot be used here; the message says why and what to do."""


@lru_cache(maxsize=None)
def _metric(name: str, device: str):
    try:
        import pyiqa
    except ImportError as exc:
        raise MetricUnavailable(
            f"--metrics {name} needs pyiqa (pip install --no-deps pyiqa; see README): {exc}"
        ) from None
    if name not in pyiqa.list_models():
        raise MetricUnavailable(f"pyiqa has no metric {name!r}; e.g. lpips, dists, niqe, musiq")
    try:
        return pyiqa.create_metric(name, device=torch.device(device), as_loss=False)
    except Exception as exc:  # network weights missing offline, etc.
        raise MetricUnavailable(
            f"pyiqa metric {name!r} could not be created ({type(exc).__name__}: {str(exc)[:200]}); "
            "it probably needs to download its network weights — run once online, or place them in "
            "pyiqa's cache (~/.cache/torch/hub/pyiqa)"
        ) from None


def perceptual_metrics(output: torch.Tensor, target: torch.Tensor, names: tuple[str, ...]) -> dict[str, float]:
    """Score ``output`` (N,C,H,W in [0,1]) with each pyiqa metric; NR metrics ignore ``target``."""
    out = {}
    for name in names:
        metric = _metric(name, str(output.device))
        with torch.inference_mode():
            if getattr(metric, "metric_mode", "FR") == "NR":
                val = metric(output.float())
            else:
                val = metric(output.float(), target.float())
        out[name] = float(val.mean())
    return out
