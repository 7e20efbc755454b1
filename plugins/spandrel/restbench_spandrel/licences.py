"""Licences of the architectures spandrel implements, as restbench shows them.

spandrel itself is MIT and its main package holds only architectures under permissive licences
(MIT, Apache-2.0, public domain: spandrel's README, "Installation"). ``spandrel-extra-arches``
(MIT as a package) carries the code of architectures under "restrictive licences (e.g.
non-commercial)" (its README); the architecture's own licence is what binds, so it is what a
variant built from one shows. Where we read the upstream licence it is named; otherwise the entry
says that it is restrictive and where to read it.
"""

from __future__ import annotations

MAIN_LICENCE = "permissive (spandrel: MIT; architecture code MIT/Apache-2.0/public domain)"

_RESTRICTIVE = "non-commercial or copyleft per spandrel-extra-arches; read the upstream licence"

# Read: MPRNet and MIRNet-v2 LICENSE files as vendored by spandrel-extra-arches; Restormer's
# LICENSE.md (see plugins/restormer); CodeFormer's README ("NTU S-Lab License 1.0").
EXTRA_LICENCES = {
    "Restormer": "ACADEMIC PUBLIC LICENSE (swz30/Restormer; non-commercial use only)",
    "MPRNet": "ACADEMIC PUBLIC LICENSE (swz30/MPRNet; non-commercial use only)",
    "MIRNet2": "ACADEMIC PUBLIC LICENSE (swz30/MIRNetv2; non-commercial use only)",
    "CodeFormer": "NTU S-Lab License 1.0 (sczhou/CodeFormer; non-commercial)",
    "SRFormer": f"restrictive ({_RESTRICTIVE}: HVision-NKU/SRFormer)",
    "MAT": f"restrictive ({_RESTRICTIVE}: fenglinglwb/MAT)",
    "DDColor": f"restrictive ({_RESTRICTIVE}: piddnad/DDColor)",
    "AdaCode": f"restrictive ({_RESTRICTIVE}: kechunl/AdaCode)",
    "FeMaSR": f"restrictive ({_RESTRICTIVE}: chaofengc/FeMaSR)",
    "M3SNet": f"restrictive ({_RESTRICTIVE}: Tombs98/M3SNet)",
}

# Upstream licences of the architectures this plugin registers variants for (their LICENSE files).
REGISTERED_LICENCES = {
    "NAFNet": "MIT (megvii-research/NAFNet LICENSE)",
    "DRUNet": "MIT (cszn/DPIR LICENSE)",
    "SCUNet": "Apache-2.0 (cszn/SCUNet LICENSE)",
    "HAT": "Apache-2.0 (XPixelGroup/HAT LICENSE)",
}


def licence_of(arch_id: str) -> str:
    """The code licence a variant of ``arch_id`` carries."""
    return REGISTERED_LICENCES.get(arch_id) or EXTRA_LICENCES.get(arch_id) or MAIN_LICENCE


def is_extra(arch_id: str) -> bool:
    return arch_id in EXTRA_LICENCES


__all__ = ["EXTRA_LICENCES", "MAIN_LICENCE", "REGISTERED_LICENCES", "is_extra", "licence_of"]
