"""One profile row: a built model's parameters, MACs by operator group, peak memory and latency at
one input size. ``restbench profile`` prints these rows and ``restbench ablate`` reuses them.

Costs do not depend on trained values, so callers build models with random init.
"""

from __future__ import annotations

import torch

from restbench.costs.cache import count_parameters
from restbench.costs.measure import count_macs, latency, peak_memory


def profile_model(model: torch.nn.Module, channels: int, size: tuple[int, int], device, runs: int, timing: bool) -> dict:
    x = torch.rand(1, channels, *size)
    macs = count_macs(model, x)
    row = dict(
        size=f"{size[0]}x{size[1]}",
        params=count_parameters(model),
        macs=macs.total,
        gmacs=round(macs.total / 1e9, 3),
        macs_by_group=macs.by_group,
        macs_by_operator=macs.by_operator,
        skipped_operators=macs.skipped,
        device=str(device),
    )
    if timing:
        model = model.to(device)
        xd = x.to(device)

        def fwd():
            with torch.inference_mode():
                model(xd)

        mem, how = peak_memory(fwd, device)
        lat = latency(fwd, device, runs=runs)
        row.update(peak_memory_bytes=mem, memory_measure=how, latency_ms=lat.median_ms, latency_p90_ms=lat.p90_ms,
                   latency_runs=lat.runs, timer=lat.timer)
    return row


__all__ = ["profile_model"]
