"""restbench plugin: Restormer (swz30/Restormer, release v1.0)."""

from restbench import hookimpl
from restbench.registry import Architecture

from .arch import Restormer
from .variants import LICENCE, VARIANTS


@hookimpl
def register_models(register):
    register(
        Architecture(
            name="restormer",
            builder=Restormer,
            paper="Zamir et al., CVPR 2022 (arXiv 2111.09881)",
            code="https://github.com/swz30/Restormer/blob/main/basicsr/models/archs/restormer_arch.py",
            licence=LICENCE,
            description="U-shaped Transformer with channel-wise (transposed) attention MDTA and gated-Dconv FFN",
        ),
        variants=VARIANTS,
    )
