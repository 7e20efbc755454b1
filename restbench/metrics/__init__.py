"""Fidelity metrics exactly as the papers' scripts compute them, plus optional perceptual ones.

Public face (unchanged since restbench 0.1): ``restbench.metrics.psnr``, ``ssim``, ``psnrb``,
``psnr_ssim``, ``scores``, ``prepare``, ``quantize``, ``rgb_to_y`` … from :mod:`.fidelity`.
Modules: ``fidelity`` (PSNR/SSIM/PSNR-B, colour conversion, the four SSIMs), ``kernels`` (the
fused numba float64 kernels the CPU path uses), ``alignment`` (RealBlur's ECC alignment and masked
scores), ``perceptual`` (pyiqa metrics such as LPIPS — optional, never behind PSNR/SSIM).
"""

from restbench.metrics.fidelity import *  # noqa: F401,F403  (the public face is fidelity's __all__)
from restbench.metrics.fidelity import __all__ as _fidelity_all


__all__ = list(_fidelity_all)
