"""Built-in baselines, registered through the same hook as any plugin.

``identity`` returns its input: the floor every restoration model must beat on same-size tasks.
``bicubic`` upsamples with MATLAB's antialiased bicubic ``imresize`` — the "Bicubic" row of every
SR table (the papers' LR images are made with the same MATLAB function).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from restbench.plugin.hookspecs import hookimpl
from restbench.registry import Architecture, Claim, InputSpec, Variant

RCAN = "RCAN (Zhang et al., ECCV 2018), Table 2, Bicubic row"
RCAN_CITE = "RCAN (ECCV 2018, arXiv 1807.02758)"
# The authors' README shows Table 2 as three images (x2, x3 and x4/x8 blocks).
RCAN_IMAGE = {s: f"https://github.com/yulunzhang/RCAN/blob/f722e5d/Figs/psnr_bi_{i}.PNG" for s, i in ((2, 1), (3, 2), (4, 2), (8, 3))}

# Bicubic rows as published (Y channel, crop = scale; LR made by MATLAB imresize).
_BICUBIC = {
    2: {"Set5": (33.66, 0.9299), "Set14": (30.24, 0.8688), "BSD100": (29.56, 0.8431),
        "Urban100": (26.88, 0.8403), "Manga109": (30.80, 0.9339)},
    3: {"Set5": (30.39, 0.8682), "Set14": (27.55, 0.7742), "BSD100": (27.21, 0.7385),
        "Urban100": (24.46, 0.7349), "Manga109": (26.95, 0.8556)},
    4: {"Set5": (28.42, 0.8104), "Set14": (26.00, 0.7027), "BSD100": (25.96, 0.6675),
        "Urban100": (23.14, 0.6577), "Manga109": (24.89, 0.7866)},
    8: {"Set5": (24.40, 0.6580), "Set14": (23.10, 0.5660), "BSD100": (23.67, 0.5480),
        "Urban100": (20.74, 0.5160), "Manga109": (21.47, 0.6500)},
}


class Identity(nn.Module):
    """Output = input. No parameters."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Bicubic(nn.Module):
    """MATLAB ``imresize(lr, upscale, 'bicubic')`` on the 8-bit LR, as the SR papers' Bicubic rows."""

    def __init__(self, upscale: int = 2) -> None:
        super().__init__()
        self.upscale = upscale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from restbench.protocols.degradations import bicubic_upsample

        return bicubic_upsample(x, self.upscale)


@hookimpl
def register_models(register):
    register(
        Architecture("identity", Identity, description="returns the degraded input unchanged", licence="Apache-2.0"),
        variants=[Variant(id="identity", arch="identity", task="identity", licence_code="Apache-2.0")],
    )
    register(
        Architecture(
            "bicubic",
            Bicubic,
            description="MATLAB-style antialiased bicubic upsampling",
            code="MATLAB imresize(..., 'bicubic')",
            licence="Apache-2.0",
        ),
        variants=[
            Variant(
                id=f"bicubic-x{s}",
                arch="bicubic",
                task="classical-sr",
                arch_kwargs={"upscale": s},
                scale=s,
                licence_code="Apache-2.0",
                claims=tuple(
                    Claim(ds, p, q, RCAN, paper=RCAN_CITE, table="Table 2, Bicubic row",
                          source_kind="transcribed from a table image",
                          source_ref=f"{RCAN_IMAGE[s]} (README 'Quantitative Results', image of Table 2)")
                    for ds, (p, q) in rows.items()
                ),
                input=InputSpec(),
                paper="bicubic interpolation (MATLAB imresize)",
            )
            for s, rows in _BICUBIC.items()
        ],
    )
