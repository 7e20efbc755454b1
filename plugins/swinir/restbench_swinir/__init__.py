"""restbench plugin: SwinIR (JingyunLiang/SwinIR release v0.0) for SR, denoising and JPEG artefact removal."""

from restbench import hookimpl
from restbench.registry import Architecture

from .arch import SwinIR
from .variants import VARIANTS


@hookimpl
def register_models(register):
    register(
        Architecture(
            name="swinir",
            builder=SwinIR,
            paper="Liang et al., SwinIR: Image Restoration Using Swin Transformer, ICCVW 2021 (arXiv 2108.10257)",
            code="https://github.com/JingyunLiang/SwinIR/blob/main/models/network_swinir.py",
            licence="Apache-2.0",
            description="residual Swin Transformer blocks (shifted-window attention) with task-specific heads",
        ),
        variants=VARIANTS,
    )
