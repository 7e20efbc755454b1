"""DnCNN checkpoints released in cszn/KAIR (release v1.0), as data.

Sources: KAIR ``main_test_dncnn.py`` (model names, nb=17 for sigma-specific, nb=20 for blind;
``act_mode='R'`` because BN is folded in the released files) and the DnCNN paper
(Zhang et al., TIP 2017), Table II (grey, BSD68), Table III (Set12 average), Table V (CBSD68).
"""

from __future__ import annotations

from restbench.registry import Claim, InputSpec, Variant, WeightSource

RELEASE = "https://github.com/cszn/KAIR/releases/download/v1.0/"
PAPER = "Zhang et al., Beyond a Gaussian Denoiser: Residual Learning of Deep CNN for Image Denoising, TIP 2017"
T2 = "DnCNN paper, Table II (BSD68)"
T3 = "DnCNN paper, Table III (Set12 average)"
T5 = "DnCNN paper, Table V (CBSD68, CDnCNN-B)"

_S = {  # sigma -> (Set12, BSD68) for DnCNN-S
    15: (32.86, 31.73),
    25: (30.44, 29.23),
    50: (27.18, 26.23),
}
_B = {  # sigma -> (Set12, BSD68) for DnCNN-B
    15: (32.68, 31.61),
    25: (30.36, 29.16),
    50: (27.21, 26.23),
}
_CB = {15: 33.89, 25: 31.23, 50: 27.92}

_SHA = {"dncnn_25.pth": "0451a70de9b672ae037270498fbb1c17a1c1c4403785df586ff65df5b858e5b0"}


def _variant(vid: str, fname: str, *, sigma=None, blind=False, channels="grey", nb=17, claims=()) -> Variant:
    nc_io = 1 if channels == "grey" else 3
    return Variant(
        id=vid,
        arch="dncnn",
        task="gaussian-denoising",
        arch_kwargs=dict(in_nc=nc_io, out_nc=nc_io, nc=64, nb=nb, act_mode="R"),
        weight_file=fname,
        sources=(WeightSource(url=RELEASE + fname),),
        sha256=_SHA.get(fname),
        checkpoint_key=None,
        licence_code="MIT",
        licence_weights="MIT",
        sigma=sigma,
        blind=blind,
        channels=channels,
        train_set="BSD400",
        claims=tuple(claims),
        input=InputSpec(channels=nc_io),
        paper=PAPER,
    )


VARIANTS = [
    *[
        _variant(
            f"dncnn-s{s}",
            f"dncnn_{s}.pth",
            sigma=s,
            claims=(Claim("Set12", set12, None, T3), Claim("BSD68", bsd, None, T2)),
        )
        for s, (set12, bsd) in _S.items()
    ],
    _variant(
        "dncnn-b-grey",
        "dncnn_gray_blind.pth",
        blind=True,
        nb=20,
        claims=[c for s, (a, b) in _B.items() for c in (Claim("Set12", a, None, T3, sigma=s), Claim("BSD68", b, None, T2, sigma=s))],
    ),
    _variant(
        "dncnn-b-color",
        "dncnn_color_blind.pth",
        blind=True,
        nb=20,
        channels="rgb",
        claims=[Claim("CBSD68", v, None, T5, sigma=s) for s, v in _CB.items()],
    ),
]
