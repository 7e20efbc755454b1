"""A test plugin whose model outputs NaN everywhere: its scores must never be stored or sealed."""

from __future__ import annotations

import torch
import torch.nn as nn

from restbench import hookimpl
from restbench.registry import Architecture, Variant


class NaNNet(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x, float("nan"))


@hookimpl
def register_models(register):
    register(
        Architecture("nannet", NaNNet, description="outputs NaN (reliability tests)", licence="Apache-2.0"),
        variants=[Variant(id="nannet", arch="nannet", task="gaussian-denoising", channels="grey", blind=True,
                          licence_code="Apache-2.0")],
    )
