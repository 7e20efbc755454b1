"""restbench plugin: any checkpoint spandrel identifies, and the seeds' successors built by spandrel.

Three hooks:

* ``register_models``: NAFNet, DRUNet, SCUNet and HAT with their released checkpoints and the
  authors' published numbers (:mod:`.variants`), built by spandrel (:mod:`.builders`).
* ``resolve_checkpoint``: ``restbench run --models mynet.pth`` — spandrel identifies the file's
  architecture, purpose, scale, channels and size requirements (:mod:`.detect`); restbench's
  engine turns that into a variant and runs it under the standard protocol for the test set.
* ``checkpoint_architectures``: what ``resolve_checkpoint`` can identify, with each licence, for
  ``restbench models``.

``pip install 'restbench-spandrel[extra]'`` adds spandrel-extra-arches (Restormer, MPRNet,
MIRNet-v2, SRFormer, …), whose architectures are under non-commercial or copyleft licences; a
variant built from one carries that licence into ``restbench models`` and the leaderboards.
"""

from __future__ import annotations

from restbench import hookimpl

from .detect import architecture, detect, supported_architectures
from .variants import VARIANTS_BY_ARCH

PAPERS = {
    "NAFNet": ("Chen et al., ECCV 2022", "https://github.com/megvii-research/NAFNet"),
    "DRUNet": ("Zhang et al., TPAMI 2021", "https://github.com/cszn/DPIR"),
    "SCUNet": ("Zhang et al., MIR 2023", "https://github.com/cszn/SCUNet"),
    "HAT": ("Chen et al., CVPR 2023", "https://github.com/XPixelGroup/HAT"),
}


@hookimpl
def register_models(register):
    from dataclasses import replace

    for arch_id, variants in VARIANTS_BY_ARCH.items():
        paper, code = PAPERS[arch_id]
        arch = architecture(arch_id)
        register(replace(arch, paper=paper, description=f"{arch.description}; authors' code {code}"), variants=variants)


@hookimpl
def resolve_checkpoint(path, state_dict):
    return detect(path, state_dict)


@hookimpl
def checkpoint_architectures():
    return supported_architectures()
