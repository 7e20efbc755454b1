"""restbench plugin: Uformer (ZhendongWang6/Uformer release)."""

from restbench import hookimpl
from restbench.registry import Architecture

from .arch import Uformer
from .variants import VARIANTS


@hookimpl
def register_models(register):
    register(
        Architecture(
            name="uformer",
            builder=Uformer,
            paper="Wang et al., CVPR 2022 (arXiv:2106.03106)",
            code="https://github.com/ZhendongWang6/Uformer/blob/main/model.py",
            licence="MIT",
            description="U-shaped transformer of LeWin blocks (window attention + LeFF) with decoder modulators",
        ),
        variants=VARIANTS,
    )
