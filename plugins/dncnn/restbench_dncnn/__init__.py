"""restbench plugin: DnCNN denoisers (KAIR release)."""

from restbench import hookimpl
from restbench.registry import Architecture

from .arch import DnCNN
from .variants import VARIANTS


@hookimpl
def register_models(register):
    register(
        Architecture(
            name="dncnn",
            builder=DnCNN,
            paper="Zhang et al., TIP 2017",
            code="https://github.com/cszn/KAIR/blob/master/models/network_dncnn.py",
            licence="MIT",
            description="residual CNN denoiser, 17/20 conv layers",
            prefers_channels_last=True,  # 1.2-1.8x faster on CPU (benchmarks/README.md), same scores
        ),
        variants=VARIANTS,
    )
