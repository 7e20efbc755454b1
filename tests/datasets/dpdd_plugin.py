"""Two weight-free defocus 'models' for the DPDD tests: the centre view as it is (3 channels) and
the mean of the left and right dual-pixel views (6 channels in, 3 out), each with claims on the
whole set and on its indoor split, so runs, splits and verdicts can be checked against numbers
computed independently from the files."""

from __future__ import annotations

import torch
import torch.nn as nn

from restbench import hookimpl
from restbench.registry import Architecture, Claim, InputSpec, Variant

# Set by the tests before a run: the values the claims must carry (a claim is plain data).
CLAIMS: dict[str, dict] = {}


class CentreView(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class MeanOfViews(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x[:, :3] + x[:, 3:]) / 2


def _claims(vid: str) -> tuple[Claim, ...]:
    return tuple(Claim("DPDD", c["psnr"], c["ssim"], "test", subset=c.get("subset"), mae=c.get("mae"))
                 for c in CLAIMS.get(vid, ()))


@hookimpl
def register_models(register):
    register(Architecture("centre-view", CentreView, description="returns the centre view", licence="Apache-2.0"),
             variants=[Variant(id="dpdd-centre", arch="centre-view", task="defocus-deblurring",
                               licence_code="Apache-2.0", claims=_claims("dpdd-centre"))])
    register(Architecture("mean-of-views", MeanOfViews, description="mean of the dual-pixel views", licence="Apache-2.0"),
             variants=[Variant(id="dpdd-dual", arch="mean-of-views", task="defocus-deblurring",
                               input=InputSpec(channels=6), licence_code="Apache-2.0", claims=_claims("dpdd-dual"))])
