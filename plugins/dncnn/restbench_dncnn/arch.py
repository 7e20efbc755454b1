"""DnCNN (Zhang et al., TIP 2017) with cszn/KAIR's parameter layout.

KAIR stores the network as one ``nn.Sequential`` named ``model``: conv+ReLU, then ``nb-2`` blocks of
conv(+BN)+ReLU, then a conv; the network predicts the noise and the output is ``x - model(x)``.
The released ``dncnn_*.pth`` files have the batch norms folded into the convolutions
(``act_mode='R'``), so their keys run ``model.0`` … ``model.32`` for 17 layers; ``act_mode='BR'``
gives the trainable layout with ``BatchNorm2d`` (momentum 0.9, eps 1e-4 as in KAIR).
"""

from __future__ import annotations

import torch
import torch.nn as nn


class DnCNN(nn.Module):
    def __init__(self, in_nc: int = 1, out_nc: int = 1, nc: int = 64, nb: int = 17, act_mode: str = "BR") -> None:
        super().__init__()
        if nb < 2:
            raise ValueError("DnCNN needs nb >= 2 layers")
        if act_mode not in ("R", "BR"):
            raise ValueError(f"act_mode must be 'R' (BN folded, released weights) or 'BR', got {act_mode!r}")
        layers: list[nn.Module] = [nn.Conv2d(in_nc, nc, 3, 1, 1, bias=True), nn.ReLU(inplace=True)]
        for _ in range(nb - 2):
            layers.append(nn.Conv2d(nc, nc, 3, 1, 1, bias=True))
            if "B" in act_mode:
                layers.append(nn.BatchNorm2d(nc, momentum=0.9, eps=1e-4))
            layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Conv2d(nc, out_nc, 3, 1, 1, bias=True))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - self.model(x)
